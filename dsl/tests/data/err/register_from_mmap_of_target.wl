workload "from-mmap-of-another"
driver gru { callback 400ns }
process owner { mmap anon 64K x 4 }
process rank {
  register gru from mmap of owner
}
