file "shm" size 1M
process p {
  mmap file "shm" shared
  touch 5 in file "shn"
  touch 5 in file "lib"
}
