# Claim 6 — the merged unregister needs no lock-all.
#
# The claim: 2.6.27's mmu_notifier_unregister takes no mm-wide lock: it unlinks under the
# notifier list's own spinlock, calls ->release itself if exit has not, waits one RCU grace
# period and drops register's mm_count pin. Its latency is flat in N and does not depend on the
# vmalloc arena; v13's unregister is a full mm_lock and can fail.
# Who and when: the merged mmu-notifier core (Andrea Arcangeli, 2.6.27, July 2008).
# The workload: one process of N VMAs registers, computes 100 ms and unregisters; 50 ms after
# register starts (once it is done), another kernel user takes 4 KB or 127.5 MB of the arena.
# What the model shows: the merged unregister costs one RCU grace period (8 ms by default)
# whatever N and the arena; v13's grows with N and fails once the arena is full.
# Over seeds: the merged unregister `never` fails; the flat slope, the equal latencies and v13's
# one failure at the full arena are `always`.
workload "06-merged-unregister"
seed 6
sweep strategy = [mm_lock, mm_take_all_locks]
sweep vmas = [1024, 4096, 16384, 60000]
sweep hog = [4K, 130560K]
driver kvm { callback 150ns }
process vm {
  mmap anon 4K x $vmas
  register kvm
  compute 100ms
  unregister kvm
  exit
}
at vm.register + 50ms vmalloc_hog $hog
expect never unregister.failed > 0 when strategy == mm_take_all_locks
expect always slope(unregister.latency.mean, vmas) in -0.02..0.02 when strategy == mm_take_all_locks
expect always unregister.latency.mean == unregister.latency.mean[hog=4K] when strategy == mm_take_all_locks and hog == 130560K
expect always slope(unregister.latency.mean, vmas) in 0.5..1.5 when strategy == mm_lock and hog == 4K
expect always unregister.failed == 1 when strategy == mm_lock and hog == 130560K and vmas == 60000
