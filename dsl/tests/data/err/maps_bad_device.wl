driver kvm {}
process vm {
  mmap maps "maps/bad_device.maps"
  register kvm
}
