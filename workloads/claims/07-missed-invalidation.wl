# Claim 7 — registering without a lock that covers in-flight invalidations misses one.
#
# The claim: if a notifier is added to the list between someone's invalidate_range_start and
# invalidate_range_end, it sees an end without a start, may map a page in the window, and is
# left pointing at a freed page. Taking every rmap lock (and mmap_sem) during the insertion waits
# out every in-flight start/end pair: that is why register needs mm_lock at all.
# Who and when: the rationale of mm_lock in the #v11-#v13 series (Andrea Arcangeli, April 2008),
# kept in 2.6.27's mmu_notifier_register.
# The workload: a process maps a 64 MB shared file, and 400 times touches 40 pages, registers
# a KVM-like driver, touches 5 pages, unregisters; the file is truncated every 300 us (under its
# i_mmap_lock, each mapping's ptes torn down between invalidate_range_start and _end). A window
# lasts as long as the teardown of the pages touched since the last truncate (about 10 us); a
# miss needs a register inside one and a secondary fault (about 2 us) before it closes.
# What the model shows: with no lock-all (`unlocked`) the driver maps pages inside windows whose
# start it never saw and invalidate.missed counts the stale mappings; mm_lock, mm_lock_slow and
# mm_take_all_locks never miss one. (invalidate.missed is checked exactly, at every pte teardown.)
# Over seeds: a register without a lock-all *can* miss, so that line is `sometimes` (the model
# misses at every one of 20 seeds: 400 registers against a truncate every 300 us); the three
# lock-alls `never` miss.
workload "07-missed-invalidation"
seed 7
sweep strategy = [mm_lock, mm_lock_slow, mm_take_all_locks, unlocked]
file "shm" size 64M
driver kvm { callback 150ns }
process vm {
  mmap file "shm" shared
  repeat 400 {
    touch 40
    register kvm
    touch 5
    unregister kvm
  }
}
every 300us truncate "shm"
expect never invalidate.missed > 0 when strategy != unlocked
expect sometimes invalidate.missed > 0 when strategy == unlocked
expect always register.ok == 400
