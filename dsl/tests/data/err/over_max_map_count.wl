machine { max_map_count 1000 }
process p {
  mmap anon 4K x 1001
}
