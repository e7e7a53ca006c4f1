# Claim 15 — ->release runs exactly once, and ends before exit_mmap frees the pages.
#
# The claim: whichever of the owner's exit and a concurrent mmu_notifier_unregister comes first,
# the driver's ->release runs once, and exit_mmap frees no page while a released notifier can
# still reach it through its secondary MMU. In 2.6.27 the notifier list's lock decides which side
# unlinks (the other finds the notifier unhashed), the side that unlinked calls ->release inside
# an RCU read-side section, and mmu_notifier_release ends with synchronize_rcu(), which cannot
# return — so exit_mmap cannot free — before a ->release that unregister started has returned.
# Who and when: mmu_notifier_release/unregister in 2.6.27 (Andrea Arcangeli, July 2008), the
# comments in mm/mmu_notifier.c; the thread's C9.
# The workload: 8 owners map 2048 pages each, touch 128 to 384 of them and exit; exporter i
# registers an XPMEM-like driver on owner i and unregisters it at about 0.7 ms, so unregister and
# exit race, either first; the driver's ->release is slow (20 ms, longer than a grace period).
# Unregisters hold no mm_users pin (XPMEM's case).
# What the model shows: under the merged design every registration ends exactly once
# (release.calls + unregister.ok == register.ok), no page is freed while a released notifier's
# mappings are live (release.missed 0: exit_mmap's synchronize_rcu waits out the unregister's
# ->release), and no race; v13's mm_lock, whose ->release unlinks with no lock and whose
# unregister locks the whole mm, races with the exit.
# Over seeds: an exit can race an unregister, so mm_lock's race is `sometimes` (it races at every
# one of 20 seeds); the merged design's registrations `always` end once, and it `never` frees a page
# under a released driver's mappings nor races.
workload "15-release-before-free"
seed 15
machine { cpus 16 }
sweep strategy = [mm_take_all_locks, mm_lock]
option unregister_pins_mm false
driver xpmem { callback 20ms }
process owner x 8 {
  mmap anon 64K x 128
  sleep 150us
  touch uniform(128, 384)
  exit
}
process exporter x 8 {
  sleep 100us
  register xpmem of owner[$index]
  sleep 600us
  unregister xpmem of owner[$index]
}
expect always release.calls + unregister.ok == register.ok when strategy == mm_take_all_locks
expect never release.missed > 0 when strategy == mm_take_all_locks
expect never race.unregister_release > 0 when strategy == mm_take_all_locks
expect sometimes race.unregister_release > 0 when strategy == mm_lock
