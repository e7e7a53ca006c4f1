param k = 2
param big = 9223372036854775807
process p x 3 {
  touch 10 / 0
  touch 10 / ($k - 2)
  touch 100 / $index
  repeat $big * 2 { exit }
  touch 3 - 5
  touch $index - 1
  touch uniform(1, 2) + 1
  mmap anon 4K x $k - 2
  munmap $k - -1
}
