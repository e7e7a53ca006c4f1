# Per-point checks, arithmetic, units in numbers, when clauses, cross-point checks.
sweep strategy = [mm_lock, mm_take_all_locks]
sweep vmas = [16, 64]
param big = true
driver kvm {}
process vm {
  mmap anon 4K x $vmas
  register kvm
}
expect register.failed == 0
expect register.ok != 0
expect register.latency.max < 1ms
expect register.latency.p99 <= 1.5ms
expect vmalloc.peak > 4K
expect mm_lock.locks.count >= 1
expect release.calls + unregister.ok == 1
expect (register.latency.mean + mm_lock.hold.mean) / 2 < 10 * 1us # comment after a check
expect register.latency.min - -1 > 0
expect lock.max_held * 2 >= 0 when strategy == mm_lock
expect lock.max_held <= 255 when strategy != mm_lock and vmas == 64
expect preempt.overflow == 0 when big == true
expect register.latency.max > 2 * register.latency.max[strategy=mm_take_all_locks] when strategy == mm_lock
expect register.latency.mean >= register.latency.mean[strategy=mm_lock, vmas=16] when vmas == 64
expect slope(register.latency.mean, vmas) in -0.5..2.5
expect slope(mm_lock.scan_steps, vmas) in 0.9..1.1 when strategy == mm_take_all_locks
