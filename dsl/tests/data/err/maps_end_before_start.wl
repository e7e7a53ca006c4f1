driver kvm {}
process vm {
  mmap maps "maps/end_before_start.maps"
  register kvm
}
