machine { memory 1G }
file "huge" size 2G
process p {
  mmap anon 2M x 1024
}
