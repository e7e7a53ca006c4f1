# Claim 8 — taking the locks without an order deadlocks mms that share them.
#
# The claim: two mms that share files (or anon_vmas, after fork) and map them in different
# orders deadlock if each register takes its locks in VMA order (ABBA). v13 sorts the locks by
# address, so every mm_lock takes shared locks in one global order; the merged design serialises
# all lock-alls with mm_all_locks_mutex, so no two run at once; a single mm can never deadlock
# with itself. "Address order is what stops two tasks locking two mms that share files or
# anon_vmas from deadlocking."
# Who and when: v13's sorted mm_lock (Andrea Arcangeli, April 2008); Linus Torvalds proposed the
# global mutex that made the sort unnecessary, merged as mm_take_all_locks in 2.6.27.
# The workload: two processes map files "a" and "b" (shared), one as a,b and one as b,a, and
# register/unregister 20 times each; `sharing=one_mm` runs only the first, `two_mms_apart` starts
# the second after the first is done, so their lock-alls never overlap. (fork alone shares
# anon_vmas in the same VMA order, so it needs files mapped in another order to cross.)
# What the model shows: `unsorted` deadlocks (the report names both i_mmap locks and both
# tasks); mm_lock and mm_take_all_locks never do; one mm never does. lockdep's view says more:
# `unsorted` asks for the two locks in both orders, a possible circular dependency, even in the
# run where the timing never let them deadlock (lockdep.cycles 1, deadlock.count 0); the sorted
# design never does, and the merged one nests its locks under mm_all_locks_mutex, which orders
# nothing among them. mm_lock and unsorted nest i_mmap locks with no annotation, which lockdep
# reports as possible recursive locking (lockdep.nesting); the merged design does not.
# Over seeds: unsorted *can* deadlock, so that line is `sometimes` (the model deadlocks at every
# one of 20 seeds: both mms start together); the designs and layouts that cannot deadlock are
# `never`; lockdep's possible cycle is `always`, since every run asks for both orders.
workload "08-unsorted-deadlock"
seed 8
sweep strategy = [unsorted, mm_lock, mm_take_all_locks]
sweep sharing = [two_mms, two_mms_apart, one_mm]
file "a" size 4K
file "b" size 4K
driver kvm { callback 150ns }
process first {
  mmap file "a" shared
  mmap file "b" shared
  repeat 20 {
    register kvm
    unregister kvm
  }
}
process second when sharing == two_mms {
  mmap file "b" shared
  mmap file "a" shared
  repeat 20 {
    register kvm
    unregister kvm
  }
}
process later when sharing == two_mms_apart {
  mmap file "b" shared
  mmap file "a" shared
  sleep 10ms
  repeat 20 {
    register kvm
    unregister kvm
  }
}
expect sometimes deadlock.count > 0 when strategy == unsorted and sharing == two_mms
expect never deadlock.count > 0 when sharing == two_mms_apart
expect always lockdep.cycles > 0 when strategy == unsorted and sharing != one_mm
expect never lockdep.cycles > 0 when strategy != unsorted
expect never lockdep.nesting > 0 when strategy == mm_take_all_locks
expect never deadlock.count > 0 when strategy != unsorted
expect never deadlock.count > 0 when sharing == one_mm
