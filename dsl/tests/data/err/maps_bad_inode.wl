driver kvm {}
process vm {
  mmap maps "maps/bad_inode.maps"
  register kvm
}
