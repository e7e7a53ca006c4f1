workload "several"
strategy mm_lok
process q x 0 {
  mmap anon 4K x $nope
  register gru
  touch 0
}
expect register.latency < 1ms
expect slope(register.latency.mean, vmas) in 1..2
at q[2].exit kill r
