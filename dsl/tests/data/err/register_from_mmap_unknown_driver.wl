workload "from-mmap-unknown-driver"
driver gru { callback 400ns }
process rank {
  mmap anon 64K x 4
  register gur from mmap
}
