# Claim 2 — at max_map_count the allocation-free fallback is orders of magnitude slower.
#
# The claim: at the VMA limit (max_map_count 65530) the O(N^2) fallback takes seconds where v13's
# sorted mm_lock and the merged mm_take_all_locks take milliseconds, so "no allocation" is bought
# with a syscall that a user can make last for seconds.
# Who and when: the #v11 -> #v12 change (Andrea Arcangeli, 8 April 2008) and the fallback debate
# that followed in April-May 2008 on linux-mm (Christoph Lameter, Nick Piggin, Andrea Arcangeli).
# The workload: one process maps 65530 anonymous VMAs (each its own anon_vma) and registers.
# What the model shows: about 34 s for mm_lock_slow, about 17 ms for mm_lock, about 5 ms for
# mm_take_all_locks: the fallback is over 1000 times slower than either.
# Over seeds: every line is `always`: the latencies and the ratios are bounds on every run.
workload "02-max-map-count"
seed 2
sweep strategy = [mm_lock, mm_lock_slow, mm_take_all_locks]
param vmas = 65530
driver kvm { callback 150ns }
process vm {
  mmap anon 4K x $vmas
  register kvm
  exit
}
expect always register.ok == 1
expect always register.latency.max > 1s when strategy == mm_lock_slow
expect always register.latency.max < 50ms when strategy != mm_lock_slow
expect always register.latency.max > 1000 * register.latency.max[strategy=mm_lock] when strategy == mm_lock_slow
expect always register.latency.max > 1000 * register.latency.max[strategy=mm_take_all_locks] when strategy == mm_lock_slow
