# Claim 1 — how each design's lock-all scales with the number of VMAs N.
#
# The claim: the merged mm_take_all_locks is O(N); v13's mm_lock is O(N log N) plus two vmallocs;
# the allocation-free fallback (mm_lock_slow, v11's mm_lock) is O(N x distinct locks): O(N^2)
# when every VMA has its own anon_vma, O(N) when they all share one lock.
# Who and when: Andrea Arcangeli's "[PATCH 0 of 9] mmu notifier #v12" (8 April 2008) gives
# "a different implementation of mm_lock that guarantees handling signals in O(N)" as the reason
# to leave #v11's scan; the O(N log N) sort and the O(N^2) fallback were weighed against each
# other through #v13-#v16 (April-May 2008); 2.6.27 merged the O(N) mm_take_all_locks.
# The workload: one process maps N VMAs and registers once; N from 256 to 16384. With
# layout=own every VMA is anonymous with its own anon_vma lock; with layout=shared every VMA is
# a shared mapping of one file, so all share one i_mmap lock.
# What the model shows: fitted log-log slopes of about 1.00 (merged), 1.05-1.10 (v13, the vmalloc
# and fill are linear, the heap sort adds the log), 1.99 (fallback, own locks) and 1.00 (fallback,
# one shared lock).
# Over seeds: the slopes are `always` (fitted at each seed, every one in its range: the slab
# addresses that v13 sorts change with the seed, the exponent does not), and register `never`
# fails.
workload "01-lock-scaling"
seed 7
sweep strategy = [mm_lock, mm_lock_slow, mm_take_all_locks]
sweep layout = [own, shared]
sweep vmas = pow2(8..14)
file "lib" size 4K
driver kvm { callback 150ns }
process own when layout == own {
  mmap anon 4K x $vmas
  register kvm
  exit
}
process one when layout == shared {
  mmap file "lib" x $vmas shared
  register kvm
  exit
}
expect never register.failed > 0
expect always slope(register.latency.mean, vmas) in 0.95..1.05 when strategy == mm_take_all_locks
expect always slope(register.latency.mean, vmas) in 1.02..1.15 when strategy == mm_lock and layout == own
expect always slope(register.latency.mean, vmas) in 1.8..2.1 when strategy == mm_lock_slow and layout == own
expect always slope(register.latency.mean, vmas) in 0.95..1.05 when strategy == mm_lock_slow and layout == shared
