# Claim 11 — while a lock-all holds every rmap lock, reclaim and truncate stall.
#
# The claim: mm_lock (any version) holds every i_mmap and anon_vma lock of the mm while it runs,
# so page reclaim and truncate in any mm that shares those locks stall for as long as the
# lock-all takes: a time that grows with N (N log N for v13, N^2 for the fallback). With no
# registration running, the merged design costs them nothing: mm_all_locks_mutex serialises
# lock-alls only, and rmap walks never take it.
# Who and when: the cost of holding every rmap lock was raised against mm_lock throughout April-
# May 2008 (Nick Piggin, Christoph Lameter); the global mutex of 2.6.27 is taken only by
# mm_take_all_locks.
# The workload: a process of N anonymous VMAs touches 2000 pages and forks a peer that shares
# its anon_vmas; both keep touching pages while the process registers and unregisters 60 times
# (200 us apart) and page reclaim walks one random mapped page every 10 us (while the processes
# touch, pages are mapped faster than reclaim frees them; while a long lock-all, or the merged
# unregister's RCU wait, keeps them from touching, reclaim runs out of mapped pages and those
# ticks find nothing: `steps.noop`). With `registering=no` the same mms run the same time
# without registering.
# What the model shows: the 90th percentile of reclaim.stall grows as N (v13, merged) and N^2
# (fallback); with no registration there is no stall at all.
# Over seeds: the slopes are `always`, fitted at each seed (the pages reclaim picks change with
# it); with no registration reclaim `never` stalls.
workload "11-rmap-stall"
seed 11
sweep strategy = [mm_lock, mm_lock_slow, mm_take_all_locks]
sweep registering = [yes, no]
sweep vmas = [512, 1024, 2048, 4096]
driver kvm { callback 150ns }
process vm when registering == yes {
  mmap anon 4K x $vmas
  touch 2000
  fork peer {
    repeat 60 {
      touch 40
      sleep 400us
    }
  }
  repeat 60 {
    register kvm
    touch 40
    compute 200us
    unregister kvm
    touch 40
    compute 200us
  }
}
process idle when registering == no {
  mmap anon 4K x $vmas
  touch 2000
  fork quiet_peer {
    repeat 60 {
      touch 40
      sleep 400us
    }
  }
  repeat 60 {
    touch 40
    compute 200us
    touch 40
    compute 200us
  }
}
every 10us reclaim 1
expect always slope(reclaim.stall.p90, vmas) in 0.8..1.4 when strategy == mm_lock and registering == yes
expect always slope(reclaim.stall.p90, vmas) in 1.7..2.2 when strategy == mm_lock_slow and registering == yes
expect always slope(reclaim.stall.p90, vmas) in 0.8..1.4 when strategy == mm_take_all_locks and registering == yes
expect never reclaim.stall.count > 0 when registering == no
