sweep layout = [own, shared]
driver kvm { callback 150ns }
process own when layot == own {
  mmap anon 4K x 16
  register kvm
}
process two when layout == 4K {
  register kvm
}
