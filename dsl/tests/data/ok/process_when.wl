# A process that exists only at some points of a sweep.
sweep layout = [own, shared]
file "f" size 64K
driver kvm { callback 150ns }
process own x 4 when layout == own {
  mmap anon 4K x 16
  register kvm
}
process one when layout != own and strategy == mm_lock {
  mmap file "f" x 16 shared
  register kvm
}
at own[3].register + 1us signal own[3]
expect register.ok > 0
