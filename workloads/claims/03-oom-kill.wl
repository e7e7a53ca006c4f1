# Claim 3 — a task inside the O(N^2) fallback cannot be killed.
#
# The claim: mm_lock_slow never checks for signals and keeps preemption off through O(N^2)
# scans, so a SIGKILL (from the OOM killer or an admin's kill -9) waits for the whole scan: the
# time to act on it grows as N^2. v13's mm_lock does not look at signals either but is short
# (N log N). The merged mm_take_all_locks checks signal_pending() at every VMA and returns
# -EINTR: the kill is noticed within one VMA step, and the memory is free after the teardown.
# "An admin would rather kill -9 in O(N) than wait for an O(N^2) syscall."
# Who and when: the fallback debate, linux-mm, April-May 2008; the merged design's per-VMA
# signal_pending() check is in 2.6.27's mm_take_all_locks (July 2008).
# The workload: one process maps N anonymous VMAs and registers; the OOM killer picks it 20 us
# after its register starts. kill.response is SIGKILL to do_exit (where it noticed the signal);
# oom.kill_latency is SIGKILL to the memory being freed (teardown included, O(N) for all).
# What the model shows: kill.response slopes of about 2.0 (fallback) and 1.1 (v13): 34 s against
# 17 ms at 65530 VMAs. Under the merged design the kill is noticed at the next VMA visit; what
# remains is mm_drop_all_locks releasing what was taken (one pass, 4 ns a VMA): 262 us at 65530
# VMAs, linear with a small constant, so the claim's "one VMA step" holds for noticing the signal
# and the model adds the unwind the merged code does before returning -EINTR.
# Over seeds: every line is `always`: the slopes (fitted per seed), the bound and the ratios
# hold at each run.
workload "03-oom-kill"
seed 11
sweep strategy = [mm_lock, mm_lock_slow, mm_take_all_locks]
sweep vmas = [1024, 2048, 4096, 8192, 16384, 32768, 65530]
driver xpmem { callback 1us }
process victim {
  mmap anon 4K x $vmas
  register xpmem
  exit
}
at victim.register + 20us oom_kill victim
expect always oom.kills == 1
expect always slope(kill.response.max, vmas) in 1.8..2.1 when strategy == mm_lock_slow
expect always slope(kill.response.max, vmas) in 0.95..1.3 when strategy == mm_lock
expect always kill.response.max < 1ms when strategy == mm_take_all_locks
expect always slope(kill.response.max, vmas) in 0.8..1.2 when strategy == mm_take_all_locks
expect always kill.response.max > 10000 * kill.response.max[strategy=mm_take_all_locks] when strategy == mm_lock_slow and vmas == 65530
expect always oom.kill_latency.max > 100 * oom.kill_latency.max[strategy=mm_take_all_locks] when strategy == mm_lock_slow and vmas == 65530
