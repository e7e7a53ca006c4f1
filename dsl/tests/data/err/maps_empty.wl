driver kvm {}
process vm {
  mmap maps "maps/empty.maps"
  register kvm
}
