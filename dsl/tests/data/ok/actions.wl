file "data" size 1M
driver gru {}
process rank x 4 {
  mmap file "data" shared
  mmap anon 4K x 100
  register gru
  fork child { exit }
  sleep 10ms
  munmap 5
  unregister gru
  exit
}
at 0ns signal rank
at 1ms kill rank[3]
at 1.5ms oom_kill rank[2]
at rank.register signal rank[0]
at rank[1].unregister + 20us kill rank[1]
at rank.mmap + 1us reclaim 10
at rank.munmap vmalloc_hog 1M
at rank.fork + 1ms vmalloc_free 1M
at rank[0].exit truncate "data"
at child.exit signal child
every 100us reclaim 64
every 50us truncate "data" until 5ms
every 1ms signal rank until 20ms
every 2ms vmalloc_hog 4K until 10ms
every 3ms vmalloc_free 4K
