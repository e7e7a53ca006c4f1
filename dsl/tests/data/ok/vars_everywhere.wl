param cpus = 2
param mem = 1G
param arena = 64M
param maps = 500
param cb = 300ns
param sleepy = true
param fsize = 2M
param n = 3
param t = 5ms
param idx = 1
param pins = false
machine {
  cpus $cpus
  memory $mem
  vmalloc $arena
  max_map_count $maps
  cost syscall $cb
}
option unregister_pins_mm $pins
file "f" size $fsize
driver d {
  callback $cb
  sleeps $sleepy
  fault $t
}
process p x $n {
  mmap anon $fsize x $n
  mmap file "f" $fsize x $n
  touch $n
  mprotect $n
  munmap $n
  compute $t
  sleep $cb
  repeat $n { touch $n }
}
at $t kill p[$idx]
at p[$idx].register + $t signal p
every $t reclaim $n until $t
at $t vmalloc_hog $arena
seed 5
