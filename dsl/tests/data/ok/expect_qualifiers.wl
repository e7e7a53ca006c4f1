# How each line is decided over a point's seeds.
workload "qualifiers"
sweep strategy = [unsorted, mm_lock]
sweep vmas = [8, 16]
driver kvm { callback 200ns }
process vm { mmap anon 4K x $vmas; register kvm; touch 4 }
expect deadlock.count == 0
expect always register.ok == 1 when strategy == mm_lock
expect sometimes deadlock.count > 0 when strategy == unsorted
expect never invalidate.missed > 0
expect always slope(mm_lock.hold.max, vmas) in 0.5..1.5
