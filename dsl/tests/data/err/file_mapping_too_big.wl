file "f" size 8M
process p {
  mmap file "f" 16M
  mmap file "f" x 1000
}
machine { memory 4G }
