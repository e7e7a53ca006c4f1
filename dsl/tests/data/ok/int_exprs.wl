# Counts and instance indices are integer expressions over numbers, parameters and $index:
# N closers each unregister from their own owner, a killer per owner, a kill of the last one.
sweep n = [2, 3]
param k = 4
driver gru { callback 100ns }
process owner x $n {
  mmap anon 4K x $k * 2 + 1
  register gru
  touch ($index + 1) * 10 - $index
  repeat $k / 3 { touch 1 }
  touch $k-3; touch 2*3; touch -1 + 3; touch (($k)); touch 7 / 2 - 7 / -2
  sleep 1ms
}
process closer x $n {
  sleep 500us
  unregister gru of owner[$index]
  register gru of owner[$n - 1 - $index]
  fork helper {
    register gru of owner[($index + 1) / 2]
  }
}
process killer x $n - 1 {
  mmap anon 4K x $index + 1
  sleep 2ms
}
at 3ms kill owner[ $n - 1 ]
at owner[$n / 2].register signal killer[$n - 2]
at 4ms kill helper[$k - 4]
every 1ms reclaim $k - 2 until 5ms
