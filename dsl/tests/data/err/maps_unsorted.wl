driver kvm {}
process vm {
  mmap maps "maps/unsorted.maps"
  register kvm
}
