# Claim 12 — a lock-all over N distinct objects holds N spinlocks at once.
#
# The claim: every spinlock held raises preempt_count, whose preemption field counts to 255:
# a lock-all over more than 255 distinct anon_vmas overflows it. lockdep tracks 48 held locks;
# mm_take_all_locks' nest annotation (spin_lock_nest_lock) lets it count up to 2048 of one class
# instead. The time with preemption off grows with N (N^2 for the fallback).
# Who and when: lockdep's limit met mm_take_all_locks in the 2.6.27 cycle (Peter Zijlstra's
# spin_lock_nest_lock annotation, summer 2008); the preempt_count overflow was reported for
# mm_take_all_locks in April 2010 (Avi Kivity; Peter Zijlstra: "still a massive !preempt
# latency spot").
# The workload: one process maps N anonymous VMAs (N distinct anon_vma locks) and registers.
# What the model shows: preempt.overflow from N = 256 on for every strategy that holds them all
# (255 anon_vma locks plus the notifier list lock already make 256 under the merged design);
# lockdep.overflow from 48 locks for v13 and the fallback, only past 2048 for the merged
# design; preempt_off grows as N (v13, merged) and N^2 (fallback).
# Over seeds: the overflows past the limits are `always` (every lock-all holds them all), below
# the limits `never`; the slopes are `always`.
workload "12-preempt-lockdep"
seed 12
sweep strategy = [mm_lock, mm_lock_slow, mm_take_all_locks]
sweep vmas = [40, 200, 300, 1024, 2040, 4096]
driver kvm { callback 150ns }
process vm {
  mmap anon 4K x $vmas
  register kvm
  exit
}
expect never preempt.overflow > 0 when vmas == 200
expect always preempt.overflow > 0 when vmas == 300
expect never lockdep.overflow > 0 when vmas == 40
expect always lockdep.overflow > 0 when strategy != mm_take_all_locks and vmas == 200
expect never lockdep.overflow > 0 when strategy == mm_take_all_locks and vmas == 2040
expect always lockdep.overflow > 0 when strategy == mm_take_all_locks and vmas == 4096
expect always slope(preempt_off.max, vmas) in 0.8..1.2 when strategy != mm_lock_slow
expect always slope(preempt_off.max, vmas) in 1.7..2.2 when strategy == mm_lock_slow
