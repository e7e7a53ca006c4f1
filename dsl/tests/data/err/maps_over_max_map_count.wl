machine { max_map_count 4 }
driver kvm {}
process vm {
  mmap maps "maps/over_max_map_count.maps"
  register kvm
}
