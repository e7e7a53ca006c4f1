# Three guests, each with 32 anonymous VMAs of 2 MB (the guests' memory), loop touch / register /
# touch / unregister while page reclaim takes 64 pages every 150 us. `notify` is how reclaim tells
# the drivers: `page`, 2.6.27's invalidate_page after the pte is cleared, or `range`, the unmap
# bracketed by invalidate_range_start/end as in later kernels.
# No strategy misses an invalidation here, `unlocked` included: with `page` a notifier added
# after reclaim read the list finds the pte already gone, so there is no window; with `range`
# the window is one page's rmap walk, and a driver that has just registered would have to fault
# that very page among the 49 152 mapped. (race_tests.rs shrinks the working set to four pages
# and finds the `range` race.)
workload "reclaim-guests"
seed 1
sweep strategy = [mm_lock, mm_lock_slow, mm_take_all_locks, unsorted, unlocked]
sweep notify = [page, range]
option reclaim_notify $notify
driver kvm { callback 200ns }
process guest x 3 {
  mmap anon 2M x 32
  repeat 200 {
    touch 64
    register kvm
    touch 16
    unregister kvm
  }
}
every 150us reclaim 64
expect invalidate.missed == 0
