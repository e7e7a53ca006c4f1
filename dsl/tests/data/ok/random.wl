# Random values are drawn each time the step runs; $index is the instance number.
driver d {}
process worker x 4 {
  mmap anon uniform(4K, 64K) x uniform(1, 8)
  repeat exp(10) {
    touch uniform(1, 100)
    compute exp(50us)
    sleep uniform(1us, 1ms)
  }
  mprotect $index
  touch $index
  repeat $index {
    compute 1us
  }
}
every 100us reclaim uniform(1, 64)
every 1ms reclaim exp(8)
