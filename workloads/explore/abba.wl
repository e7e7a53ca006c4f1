# Two mms that share two files, mapped in opposite orders, each registering once: the smallest
# scope at which a lock-all that takes its locks in VMA order can deadlock (ABBA).
# `sim explore workloads/explore/abba.wl` runs every schedule of each strategy: unsorted reaches
# the deadlock (in the seed's own run: both tasks start together); mm_lock's address order and
# mm_take_all_locks' mm_all_locks_mutex exhaust the scope without one. Under unsorted every
# schedule deadlocks: both tasks reach their first i_mmap lock at the same instant whatever the
# order the simultaneous events run in, so each holds one lock when it asks for the other.
workload "explore-abba"
seed 1
sweep strategy = [unsorted, mm_lock, mm_take_all_locks]
file "a" size 4K
file "b" size 4K
driver kvm { callback 150ns }
process first {
  mmap file "a" shared
  mmap file "b" shared
  register kvm
  unregister kvm
}
process second {
  mmap file "b" shared
  mmap file "a" shared
  register kvm
  unregister kvm
}
expect sometimes deadlock.count > 0 when strategy == unsorted
expect never deadlock.count > 0 when strategy != unsorted
