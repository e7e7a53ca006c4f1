# A sweep that nothing reads runs the same simulation at each of its values: a warning.
sweep trial = [1, 2, 3, 4]
sweep picked = [1, 2]
sweep layout = [a, b]
sweep vmas = [4, 8]
driver kvm {}
process p when layout == a {
  mmap anon 4K x $vmas
  register kvm
}
process q when layout == b {
  mmap anon 4K x 2
}
expect register.failed == 0 when picked == 1
expect register.ok == 1 when layout == a
