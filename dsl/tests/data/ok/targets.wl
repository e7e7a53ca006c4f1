# Targets: process names first, then distinct fork child names.
driver x {}
process a x 2 {
  fork kid { sleep 1ms }
  fork kid { sleep 2ms }
  fork other { register x of a[1] }
}
process b {
  register x of a
  unregister x of a[0]
  register x of kid
}
at kid.fork + 10us kill kid
at other.exit signal other[0]
