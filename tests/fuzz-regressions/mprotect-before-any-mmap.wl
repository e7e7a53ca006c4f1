# Regression (mutant 37738 of tests/golden/tiny-mixed.wl): mprotect as the very first step, before
# any VMA exists anywhere, indexed a VMA that did not exist.
# A small workload touching every kind of step and action, for a golden report.
workload "tiny-mixed"
seed 5
machine { cpus 2 }
sweep strategy = [mm_lock, mm_lock_slow, mm_take_all_locks]
file "lib" size 64K
driver kvm { callback 150ns }
driver xpmem { callback 1us; sleeps true }
process vm x 2 {mprotect 64
  mmap file "lib" x 2 private
  mmap anon 16K x 8
  touch 16
  register kvm
  fork child {
    touch 4
    mprotect 2
    exit
  }
  repeat 3 {
    touch uniform(2, 6)
    compute exp(20us)
  }
  register xpmem
  munmap 2
  unregister kvm
  sleep 50us
}
every 30us reclaim 4
every 45us truncate "lib"
at vm[1].register + 10us signal vm
expect invalidate.missed == 0
expect deadlock.count == 0
