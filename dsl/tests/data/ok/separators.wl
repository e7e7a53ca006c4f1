workload "semi; colons # and hashes"; seed 42   # two statements on one line
file "a \"quoted\" name\\" size 1M
process p { mmap anon 4K; touch 1; exit }

# blank lines and comments anywhere

process q {

  # a comment inside a block
  mmap file "a \"quoted\" name\\" ; touch 2   # trailing comment

}
expect register.failed == 0; expect deadlock.count == 0
