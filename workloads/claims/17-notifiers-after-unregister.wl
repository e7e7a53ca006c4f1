# Claim 17 — after the last unregister, every invalidation still goes through the notifier code.
#
# The claim: once an mm has had a notifier, mm_has_notifiers() stays true after the last one is
# unregistered, so every later invalidation (munmap, mprotect, truncate, reclaim, exit) keeps
# calling into mmu_notifier.c and walking an empty list, until the mm dies.
# Who and when: 2.6.27 allocates mm->mmu_notifier_mm inside mm_take_all_locks at the first
# register and frees it only in mmdrop, and mm_has_notifiers() tests that pointer; the 2008
# patches before it (v11-v13, the mm_lock designs here) kept an hlist_head in the mm_struct and
# tested whether it was empty. The thread's C17.
# The workload: a process registers a KVM-like driver, unregisters it, then keeps working:
# 40 rounds of touching 256 pages, mprotecting and unmapping, under periodic reclaim.
# What the model shows: under the merged design every hook after the unregister walks an empty
# list (notifier.empty_hooks in the thousands, each charged notifier_hook); under v13's mm_lock
# the list is empty again and the test false, so no hook runs after the unregister. The model
# shows the claim for the design that was merged, and not for the 2008 patches it replaced.
# Over seeds: the hooks after the unregister are `always` there under the merged design and
# `never` under mm_lock; the reclaim's pages change with the seed, not the claim.
workload "17-notifiers-after-unregister"
seed 17
sweep strategy = [mm_take_all_locks, mm_lock]
driver kvm { callback 200ns }
process vm {
  mmap anon 64K x 64
  register kvm
  touch 128
  unregister kvm
  repeat 40 {
    mmap anon 64K x 8
    touch 256
    mprotect 4
    munmap 8
  }
}
every 50us reclaim 4
expect always notifier.empty_hooks > 1000 when strategy == mm_take_all_locks
expect never notifier.empty_hooks > 0 when strategy == mm_lock
expect always notifier.hooks > notifier.empty_hooks when strategy == mm_take_all_locks
