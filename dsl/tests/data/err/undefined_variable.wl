param vmas = 4096
process p {
  mmap anon 4K x $vmaz
}
