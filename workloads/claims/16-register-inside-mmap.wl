# Claim 16 — a register from inside mmap deadlocks on mmap_sem unless the entry expects it held.
#
# The claim: SGI's GRU registers its notifier from its device's mmap handler, where the caller
# already holds mmap_sem for write. mmu_notifier_register takes mmap_sem itself (every lock-all
# design needs it for write), so called there it waits for a lock its own task holds: a
# self-deadlock. __mmu_notifier_register, which expects mmap_sem held and takes none, does not.
# Who and when: Jack Steiner asked for a __mmu_notifier_register callable under mmap_sem in write
# mode (#v16 of the series, 7 May 2008); merged in 2.6.27. The thread's C15.
# The workload: a GRU rank maps 16 VMAs and registers from inside its mmap, through the plain
# entry (`register gru from mmap`) or the locked one (`__register gru from mmap`), then touches
# and unregisters.
# What the model shows: through the plain entry every design that takes mmap_sem deadlocks (the
# report: the rank holds its mmap_sem and waits for it); `unlocked`, which takes no lock, does not;
# through the locked entry no design deadlocks and the register succeeds.
# Over seeds: nothing here depends on timing — the task waits for itself — so the plain entry
# `always` deadlocks a design that takes mmap_sem, and the locked entry and `unlocked` `never` do.
workload "16-register-inside-mmap"
seed 16
sweep strategy = [mm_lock, mm_lock_slow, mm_take_all_locks, unlocked]
sweep entry = [plain, locked]
driver gru { callback 400ns }
process rank when entry == plain {
  mmap anon 64K x 16
  register gru from mmap
  touch 64
  unregister gru
}
process locked_rank when entry == locked {
  mmap anon 64K x 16
  __register gru from mmap
  touch 64
  unregister gru
}
expect always deadlock.count > 0 when entry == plain and strategy != unlocked
expect never deadlock.count > 0 when entry == locked
expect never deadlock.count > 0 when strategy == unlocked
expect always register.ok == 1 when entry == locked
