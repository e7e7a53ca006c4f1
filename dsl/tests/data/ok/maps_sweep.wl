# A sweep of layouts; two processes of one layout share its files.
sweep layout = ["maps/tiny.maps", "maps/small.maps"]
file "guest.ram" size 16M
driver kvm {}
process vm x 2 {
  mmap maps $layout
  mmap file "guest.ram" shared
  register kvm
}
process small when layout == "maps/small.maps" {
  mmap maps "maps/tiny.maps"
}
expect register.failed == 0 when layout != "maps/tiny.maps"
expect register.latency.max <= register.latency.max[layout="maps/small.maps"]
