sweep n = [4, 5]
process owner x $n - 1 {
  mmap anon 4K
  sleep 1ms
}
at 1us kill owner[3]
