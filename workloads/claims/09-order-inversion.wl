# Claim 9 — v13's anon_vma-before-i_mmap order inverts the VM's static lock order.
#
# The claim: the VM takes a file's i_mmap_lock before an anon_vma lock (vma_adjust, used by an
# mprotect that splits a VMA). v13's mm_lock takes all anon_vma locks first, then all i_mmap
# locks; a register in one mm and a split in an mm that shares the file and the anon_vma can
# each hold one lock and wait for the other. The merged mm_take_all_locks takes i_mmap locks
# first, the VM's order, and cannot deadlock this way; lockdep reported the inversion once the
# lock-all met the rest of the VM.
# Who and when: 2.6.27 (July 2008): mm_take_all_locks locks mappings before anon_vmas, the
# order documented in mm/rmap.c; the v13 order is the reverse.
# The workload: a parent maps 64 private mappings of a library (each VMA: the file's i_mmap
# lock and its own anon_vma), touches them and forks a child that shares the anon_vmas; the child
# mprotects (splits) random VMAs 200 times while the parent registers and unregisters 100 times;
# with `gap=100ms` the child starts its splits only after the parent's registers are over.
# What the model shows: mm_lock deadlocks — parent in register holds an anon_vma lock and waits
# for the i_mmap lock; child in mprotect holds the i_mmap lock and waits for that anon_vma lock.
# mm_take_all_locks and mm_lock_slow (v11 took i_mmap locks first too) never deadlock. lockdep's
# view holds without the collision: with the splits 100 ms later nothing deadlocks, yet mm_lock
# asked for i_mmap while holding anon_vma and the split asked for anon_vma while holding i_mmap,
# a possible circular dependency between the two classes (lockdep.cycles 1), as lockdep reported
# on 2.6.27-rc1; the other two designs follow the VM's order and show none.
# Over seeds: mm_lock *can* deadlock with the split, so that line is `sometimes` (every one of 20
# seeds deadlocks with gap=1us; a child that starts its splits at a random time within 10 ms
# deadlocks at about half of them, which the claims test uses); the VM-order designs and the
# late splits `never` deadlock; lockdep's inversion under mm_lock is `always`.
workload "09-order-inversion"
seed 9
sweep strategy = [mm_lock, mm_take_all_locks, mm_lock_slow]
sweep gap = [1us, 100ms]
file "lib" size 64K
driver kvm { callback 150ns }
process parent {
  mmap file "lib" x 64 private
  touch 256
  fork child {
    sleep $gap
    repeat 200 {
      mprotect 4
      compute exp(5us)
    }
  }
  repeat 100 {
    register kvm
    compute exp(10us)
    unregister kvm
  }
}
expect sometimes deadlock.count > 0 when strategy == mm_lock and gap == 1us
expect never deadlock.count > 0 when strategy != mm_lock
expect never deadlock.count > 0 when gap == 100ms
expect always lockdep.cycles > 0 when strategy == mm_lock
expect never lockdep.cycles > 0 when strategy != mm_lock
