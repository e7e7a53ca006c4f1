# Sizes are powers of 1024, a bare integer is bytes; durations take ns, us, ms or s.
workload "units"
machine {
  memory 32T
  vmalloc 128M
  max_map_count 65_530
}
file "bytes" size 1000
file "kilo" size 4K
file "giga" size 2G
process p {
  mmap anon 4096
  mmap anon 2M x 1_000
  compute 250ns
  compute 1.5us
  compute 20ms
  sleep 1s
  sleep 0.5s
  sleep 1.000000001s
  exit
}
