driver kvm {}
process vm {
  mmap maps "maps/unaligned.maps"
  register kvm
}
