process p {
  mmap anon 4Q
}
