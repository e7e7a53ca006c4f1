driver kvm {}
process vm {
  mmap maps "maps/address_too_big.maps"
  register kvm
}
