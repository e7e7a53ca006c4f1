# Three guests, each mapping a 64 MB shared file (the guests' memory) and 64 small anonymous
# VMAs, loop touch / register / touch / unregister while the file is truncated every 150 us.
workload "truncate-guests"
seed 1
sweep strategy = [mm_lock, mm_lock_slow, mm_take_all_locks, unsorted, unlocked]
file "ram" size 64M
driver kvm { callback 200ns }
process guest x 3 {
  mmap file "ram" shared
  mmap anon 16K x 64
  repeat 200 {
    touch 64
    register kvm
    touch 16
    unregister kvm
  }
}
every 150us truncate "ram"
expect invalidate.missed > 0 when strategy == unlocked
expect invalidate.missed == 0 when strategy != unlocked
