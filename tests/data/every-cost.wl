# Every step kind that charges a cost: `every_cost_at_its_largest_errs_or_runs_longer` sets each
# cost to 2^64-1 ns in turn.
strategy $s
param s = mm_lock
file "f" size 64K
driver kvm { callback 150ns }
process p {
  mmap anon 4K x 4
  mmap file "f" shared
  mmap file "f" private
  register kvm
  touch 8
  mprotect 2
  fork k { touch 2 }
  sleep 10us
  munmap 2
  unregister kvm
}
every 3us reclaim 2 until 20us
at 5us truncate "f"
at 1us vmalloc_hog 1M
