# A driver registering from its device's mmap handler, through either entry.
workload "register-from-mmap"
driver gru { callback 400ns }
process rank {
  mmap anon 64K x 4
  register gru from mmap
  unregister gru
}
process locked_rank {
  mmap anon 64K x 4
  __register gru from mmap
  unregister gru
}
