# What does registering a secondary MMU cost on a real process? Each layout in maps/ is the
# /proc/PID/maps of a process captured on Linux (maps/README.md says which): sim makes one VMA
# per line, one i_mmap lock per mapped file and an anon_vma per anonymous or private writable
# VMA. A KVM-like driver registers on it while page reclaim and a truncate of the guest's RAM
# file run, maps pages through it, and unregisters.
workload "real-layout"
seed 1

sweep layout = ["maps/qemu-kvm.maps", "maps/python3-numpy.maps", "maps/java.maps", "maps/rustc.maps"]
sweep strategy = [mm_lock, mm_lock_slow, mm_take_all_locks, unsorted, unlocked]

file "guest.ram" size 64M     # a shared memory-backend file, as qemu's -object memory-backend-file,share=on

driver kvm { callback 150ns }

process vm {
  mmap maps $layout
  mmap file "guest.ram" shared
  touch 256
  register kvm
  repeat 20 {
    touch 64
    compute exp(20us)
  }
  unregister kvm
  exit
}

every 50us reclaim 16
every 100us truncate "guest.ram"

expect register.failed == 0
expect unregister.failed == 0
expect deadlock.count == 0
expect invalidate.missed == 0 when strategy != unlocked
# The thread's figure: registration costs "at most 1 msec" per VM start. On these processes it
# holds for every strategy, though v11's scan, O(N²), already costs several times the merged code.
expect register.latency.max < 1ms
expect register.latency.max > 2 * register.latency.max[strategy=mm_take_all_locks] when strategy == mm_lock_slow
# Every rmap lock of the mm is held at once, each a preempt_count increment: below 256 here.
expect preempt.overflow == 0
