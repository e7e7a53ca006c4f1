# A touch can aim at the pages of one file's VMAs, or of the anonymous ones.
file "shm" size 1M
file "lib" size 64K
driver kvm {}
process p {
  mmap anon 4K x 4
  mmap file "shm" shared
  mmap file "lib" x 2 private
  register kvm
  touch 5 in file "shm"
  touch 3 in file "lib"
  touch 5 in anon
  touch 5
}
