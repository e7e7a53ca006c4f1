driver kvm {}
process vm {
  mmap maps "maps/not_utf8.maps"
  register kvm
}
