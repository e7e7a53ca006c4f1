//! The notifier list of an mm, as the paths below the strategies change it: unlinking a
//! notifier (by unregister or by ->release at exit) and freeing what a registration kept. The
//! strategies (`crate::strategy`) build register and unregister on these; exit_mmap uses them
//! for ->release.

use super::mm::MmId;
use super::Kernel;
use crate::metrics::Metric;
use crate::program::DriverId;

/// Unlinks driver `d`'s notifier from the mm's list. From ->release at exit, it counts a
/// release, and a race if a v13-style unregister from another task is in progress.
pub fn unlink_notifier(k: &mut Kernel, mm: MmId, d: DriverId, from_release: bool) {
    let m = k.mem.mm_mut(mm);
    let slot = &mut m.notifiers[d as usize];
    debug_assert!(slot.registered);
    slot.registered = false;
    m.registered &= !(1u64 << d);
    if from_release {
        // Unlinked first, ->release next (2.6.27's order): until the driver has torn its
        // mappings down, a page freed by reclaim is still mapped in its secondary MMU.
        m.releasing |= 1u64 << d;
    }
    if from_release {
        if slot.unregistering {
            slot.raced = true;
            k.metrics.inc(Metric::RaceUnregisterRelease);
        }
        k.metrics.inc(Metric::ReleaseCalls);
    }
}

/// keep_lock_data: frees the arrays a registration kept (at unregister or at exit).
pub fn free_kept_arrays(k: &mut Kernel, mm: MmId, d: DriverId) {
    if let Some((a, b)) = k.mem.mm_mut(mm).notifiers[d as usize].kept.take() {
        k.vfree(a, true);
        k.vfree(b, true);
    }
}
