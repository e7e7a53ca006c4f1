# Claim 13 — frequent signals make the merged register fail with -EINTR.
#
# The claim: mm_take_all_locks returns -EINTR on any pending signal, even a non-fatal one such as
# a timer's SIGALRM, so a process with a frequent timer can see register fail, more often the
# larger its mm; v13's mm_lock and the fallback never look at signals and never return -EINTR
# (and cannot be interrupted).
# Who and when: 2.6.27's mm_take_all_locks (July 2008) checks signal_pending() at every VMA; the
# #v12 cover letter (Andrea Arcangeli, 8 April 2008) already warned that register and unregister
# "may also fail with -EINTR if there are signal pending". (The v13 code modelled here takes no
# signal into account; see the book's strategies chapter.)
# The workload: a process of N VMAs registers and unregisters 20 times, 37 us apart, under a
# 50 us interval timer.
# What the model shows: the merged register fails with -EINTR a few times at small N and at
# almost every attempt at large N; v13 and the fallback never fail.
# Over seeds: v13 and the fallback `never` return -EINTR and `always` register; the merged
# design's failures, more at larger N and at 18 of 20 attempts or more at 8192 VMAs, are `always`.
workload "13-signals-eintr"
seed 13
sweep strategy = [mm_take_all_locks, mm_lock, mm_lock_slow]
sweep vmas = [128, 512, 2048, 8192]
driver kvm { callback 150ns }
process vm {
  mmap anon 4K x $vmas
  repeat 20 {
    register kvm
    unregister kvm
    compute 37us
  }
}
every 50us signal vm
expect never register.eintr > 0 when strategy != mm_take_all_locks
expect always register.ok == 20 when strategy != mm_take_all_locks
expect always register.eintr > register.eintr[vmas=128] when strategy == mm_take_all_locks and vmas == 2048
expect always register.eintr >= 18 when strategy == mm_take_all_locks and vmas == 8192
