process p {
  mmap anon 4K
  exit
