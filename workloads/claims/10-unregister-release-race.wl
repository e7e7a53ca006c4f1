# Claim 10 — unregister from another task without an mm_users pin races with ->release.
#
# The claim: in v13, ->release at exit_mmap unlinks the notifier with no lock. An unregister run
# by another task (XPMEM detaching from an exporting process) that holds no mm_users reference
# can run while the owner's exit_mmap unlinks the same notifier, or after the mm is gone. With
# the pin, the caller either keeps the mm alive or finds it gone. The merged design pins mm_count
# at register and runs ->release exactly once, under the notifier list's lock, whichever of
# unregister and exit comes first.
# Who and when: the unregister/->release discussion of May-June 2008 (XPMEM's use, Robin Holt
# and Christoph Lameter; Andrea Arcangeli's merged unregister in 2.6.27).
# The workload: 8 owners register an XPMEM-like driver and exit after 100-300 us; an exporter
# unregisters it from all of them at 150 us. `pin` sets unregister_pins_mm.
# What the model shows: v13 without the pin counts races (unregister during or after exit);
# with the pin none; the merged design none either way.
# Over seeds: the unpinned unregister *can* race, so that line is `sometimes` (the model finds a
# race at every one of 20 seeds, with 8 owners exiting around the unregister); with the pin, and
# under the merged design, `never`.
workload "10-unregister-release-race"
seed 10
sweep strategy = [mm_lock, mm_take_all_locks]
sweep pin = [false, true]
option unregister_pins_mm $pin
driver xpmem { callback 1us }
process owner x 8 {
  mmap anon 4K x 1024
  register xpmem
  compute uniform(100us, 300us)
  exit
}
process exporter {
  sleep 150us
  unregister xpmem of owner
}
expect sometimes race.unregister_release > 0 when strategy == mm_lock and pin == false
expect never race.unregister_release > 0 when pin == true
expect never race.unregister_release > 0 when strategy == mm_take_all_locks
