# A param in error is reported once, not again at each use.
param n = 4Q
sweep m = [1, 2us]
process p {
  mmap anon 4K x $n
  touch $m
}
expect register.ok == 1 when n == 1
