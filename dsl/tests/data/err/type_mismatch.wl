param t = 20us
param n = 16
process p {
  mmap anon 4K x $t
  compute $n
}
