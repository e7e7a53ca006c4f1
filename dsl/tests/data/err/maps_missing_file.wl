driver kvm {}
process vm {
  mmap maps "maps/no_such.maps"
  register kvm
}
