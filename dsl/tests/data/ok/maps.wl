# A real layout: one VMA per maps line, files by inode, special mappings skipped.
driver kvm { callback 150ns }
process vm {
  mmap anon 4K x 2
  mmap maps "maps/small.maps"
  register kvm
  exit
}
