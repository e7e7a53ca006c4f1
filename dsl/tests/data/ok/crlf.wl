workload "crlf"
process p {
  mmap anon 4K
  exit
}
expect deadlock.count == 0
