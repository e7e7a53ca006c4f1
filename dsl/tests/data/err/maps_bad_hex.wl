driver kvm {}
process vm {
  mmap maps "maps/bad_hex.maps"
  register kvm
}
