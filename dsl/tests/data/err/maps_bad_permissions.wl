driver kvm {}
process vm {
  mmap maps "maps/bad_permissions.maps"
  register kvm
}
