# Claim 4 — v13's unregister can fail; only ->release at exit is reliable.
#
# The claim: in v13 mmu_notifier_unregister goes through mm_lock, which vmallocs its lock
# arrays, so it fails with -ENOMEM when the vmalloc arena is exhausted (a framebuffer-sized
# user on a 128 MB x86-32 arena is enough); ->release at exit_mmap unlinks with no lock and no
# allocation and never fails. Every registration still ends exactly once: by a successful
# unregister or by ->release.
# Who and when: Andrea Arcangeli, "[PATCH 0 of 9] mmu notifier #v12" (8 April 2008):
# "mmu_notifier_unregister may also fail ... if the system runs out of vmalloc space or
# physical memory, only exit_mmap guarantees that any kernel module can be unloaded in presence
# of an oom condition."
# The workload: 8 ranks each map 60000 VMAs, register, sleep 200 ms and unregister; 100 ms after
# the first register starts, another kernel user takes 130900 KB of the 128 MB arena.
# What the model shows: all 8 v13 unregisters fail with -ENOMEM and all 8 notifiers end in
# ->release; the merged design's unregister allocates nothing and never fails.
# Over seeds: v13's unregister *can* fail, so that line is `sometimes` (the model has it fail at
# every one of 20 seeds: the hog always takes the arena before the unregisters); the merged
# unregister `never` fails; that each registration ends exactly once is `always`.
workload "04-unregister-enomem"
seed 3
machine {
  cpus 8
  vmalloc 128M
}
sweep strategy = [mm_lock, mm_take_all_locks]
param hog = 130900K
driver gru { callback 400ns }
process rank x 8 {
  mmap anon 4K x 60000
  register gru
  sleep 200ms
  unregister gru
  exit
}
at rank[0].register + 100ms vmalloc_hog $hog
expect always register.ok == 8
expect sometimes unregister.failed > 0 when strategy == mm_lock
expect never unregister.failed > 0 when strategy == mm_take_all_locks
expect always release.calls == unregister.failed when strategy == mm_lock
expect always release.calls + unregister.ok == 8
