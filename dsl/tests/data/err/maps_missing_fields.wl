driver kvm {}
process vm {
  mmap maps "maps/missing_fields.maps"
  register kvm
}
