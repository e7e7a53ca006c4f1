driver kvm {}
process vm {
  mmap maps "maps/overlap.maps"
  register kvm
}
