sweep layout = ["maps/bad_hex.maps", "maps/overlap.maps"]
driver kvm {}
process vm {
  mmap maps $layout
  register kvm
}
