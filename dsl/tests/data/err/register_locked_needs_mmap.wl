workload "locked-entry-elsewhere"
driver gru { callback 400ns }
process rank {
  mmap anon 64K x 4
  __register gru
}
