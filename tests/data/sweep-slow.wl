# A sweep of 40 points that each take a noticeable time, for the interruption test.
workload "sweep-slow"
seed 4
sweep strategy = [mm_lock, mm_take_all_locks]
sweep round = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
driver kvm { callback 150ns }
process vm x 4 {
  mmap anon 4K x 2000
  repeat 40 {
    touch 50
    register kvm
    unregister kvm
  }
}
every 20us reclaim 4
