process p {
  mmap anon 4K x -3
  munmap -1
}
