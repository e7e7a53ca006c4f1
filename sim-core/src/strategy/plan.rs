//! How each strategy walks the mm to lock it: a plan of lock, check and unlock steps with the
//! CPU time between them, computed under mmap_sem (the VMA list cannot change then).
//!
//! Host work is at most O(N log N) even where the simulated cost is O(N²): `mm_lock_slow`'s
//! repeated scans are charged arithmetically, one step per lock taken. A plan is stored in a
//! compact form (a few bytes per lock or per VMA) and its steps are produced one at a time by a
//! [`Cursor`], so an mm can keep its plan until its VMA list changes and a later lock-all of the
//! same mm (the unregister after a register) does not build it again.

use crate::cost::Cost;
use crate::kernel::locks::LockId;
use crate::kernel::mm::MmId;
use crate::kernel::Kernel;
use crate::program::Strategy;
use crate::strategy::sort::v13_heap_sort;

#[derive(Hash, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanStep {
    /// Spend `before` ns, then take the lock (write).
    Lock {
        lock: LockId,
        before: u64,
    },
    /// Spend `before` ns, then test signal_pending(): -EINTR if set.
    Check {
        before: u64,
    },
    /// Spend `before` ns, then release the lock if this lock-all holds it.
    Unlock {
        lock: LockId,
        before: u64,
    },
    Cpu(u64),
}

/// The walk, compactly.
#[derive(Hash, Clone, Debug, Default, PartialEq, Eq)]
enum Walk {
    /// No lock at all (`unlocked`, or an empty mm for v13).
    #[default]
    Nothing,
    /// v13: the locks taken, in order, each with the array slots walked since the previous one
    /// taken; mm_unlock walks the same arrays in the same order.
    Arrays(Vec<(LockId, u32)>),
    /// v11: the distinct i_mmap locks, then the distinct anon_vma locks, in address order; each
    /// costs a scan of every VMA, and one more scan per class finds nothing.
    Scans { files: Vec<LockId>, anon: Vec<LockId>, scan_ns: u64 },
    /// 2.6.27: each VMA's i_mmap and anon_vma lock ([`FRESH`] marks the first VMA that has it).
    Passes(Vec<[u32; 2]>),
}

/// Marks, in [`Walk::Passes`], the VMA where a lock is first seen (AS_MM_ALL_LOCKS not yet set).
const FRESH: u32 = 1 << 31;
/// No lock of that kind on that VMA.
const ABSENT: u32 = u32::MAX;

#[derive(Hash, Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    walk: Walk,
    /// CPU before the first lock step: filling (and sorting) mm_lock's arrays.
    pub prep_ns: u64,
    /// VMA visits and comparisons, lock and unlock together.
    pub scan_steps: u64,
    /// Locks the plan takes.
    pub distinct: u32,
    /// `vma_step`, and `vma_step` plus `signal_check`: what each walked VMA costs.
    step_ns: u64,
    check_ns: u64,
}

/// Where a lock-all stands in its plan.
#[derive(Hash, Clone, Copy, Debug, Default)]
pub struct Cursor {
    i: u32,
    /// Which half of a VMA's entry (or which pass) is next.
    sub: u8,
    /// CPU walked since the last unlock (the merged unlock pass).
    acc: u64,
    done: bool,
}

impl Plan {
    /// The next step of the lock phase.
    pub fn next_lock(&self, c: &mut Cursor) -> Option<PlanStep> {
        match &self.walk {
            Walk::Nothing => None,
            Walk::Arrays(steps) => {
                let &(lock, walked) = steps.get(c.i as usize)?;
                c.i += 1;
                Some(PlanStep::Lock { lock, before: u64::from(walked).saturating_mul(self.step_ns) })
            }
            Walk::Scans { files, anon, scan_ns } => {
                scans(files, anon, *scan_ns, c, |lock, before| PlanStep::Lock { lock, before })
            }
            Walk::Passes(vmas) => loop {
                // sub 0/1: the check and the i_mmap lock of pass one; 2/3: pass two, anon_vma.
                let entry = vmas.get(c.i as usize);
                let Some(entry) = entry else {
                    if c.sub >= 2 {
                        return None;
                    }
                    c.i = 0;
                    c.sub = 2;
                    continue;
                };
                let pass = (c.sub / 2) as usize;
                if c.sub.is_multiple_of(2) {
                    c.sub += 1;
                    return Some(PlanStep::Check { before: self.check_ns });
                }
                c.sub -= 1;
                c.i += 1;
                let slot = entry[pass];
                if slot != ABSENT && slot & FRESH != 0 {
                    return Some(PlanStep::Lock { lock: slot & !FRESH, before: 0 });
                }
            },
        }
    }

    /// A lock the walk takes (or releases) `ahead` steps after the cursor, roughly: for
    /// prefetching, never for a decision.
    pub fn lock_ahead(&self, c: &Cursor, ahead: u32) -> Option<LockId> {
        let i = (c.i + ahead) as usize;
        match &self.walk {
            Walk::Nothing => None,
            Walk::Arrays(steps) => steps.get(i).map(|s| s.0),
            Walk::Scans { files, anon, .. } => {
                files.get(i).or_else(|| anon.get(i.checked_sub(files.len() + 1)?)).copied()
            }
            Walk::Passes(vmas) => {
                let slot = vmas.get(i)?[if c.sub >= 2 { 1 } else { 0 }];
                (slot != ABSENT).then_some(slot & !FRESH)
            }
        }
    }

    /// The next step of the unlock phase.
    pub fn next_unlock(&self, c: &mut Cursor) -> Option<PlanStep> {
        match &self.walk {
            Walk::Nothing => None,
            Walk::Arrays(steps) => {
                let &(lock, walked) = steps.get(c.i as usize)?;
                c.i += 1;
                Some(PlanStep::Unlock { lock, before: u64::from(walked).saturating_mul(self.step_ns) })
            }
            Walk::Scans { files, anon, scan_ns } => {
                scans(files, anon, *scan_ns, c, |lock, before| PlanStep::Unlock { lock, before })
            }
            // mm_drop_all_locks: one pass, each VMA's anon_vma lock then its i_mmap lock.
            Walk::Passes(vmas) => loop {
                let Some(entry) = vmas.get(c.i as usize) else {
                    if c.done || c.acc == 0 {
                        return None;
                    }
                    c.done = true;
                    return Some(PlanStep::Cpu(c.acc));
                };
                if c.sub == 0 {
                    c.acc = c.acc.saturating_add(self.step_ns);
                }
                let slot = if c.sub == 0 { entry[1] } else { entry[0] };
                if c.sub == 0 {
                    c.sub = 1;
                } else {
                    c.sub = 0;
                    c.i += 1;
                }
                if slot != ABSENT && slot & FRESH != 0 {
                    let before = std::mem::take(&mut c.acc);
                    return Some(PlanStep::Unlock { lock: slot & !FRESH, before });
                }
            },
        }
    }
}

/// v11's steps: each lock after a full scan, and one more scan per class that finds nothing.
fn scans(
    files: &[LockId],
    anon: &[LockId],
    scan_ns: u64,
    c: &mut Cursor,
    step: impl Fn(LockId, u64) -> PlanStep,
) -> Option<PlanStep> {
    let i = c.i as usize;
    c.i += 1;
    let f = files.len();
    match i {
        _ if i < f => Some(step(files[i], scan_ns)),
        _ if i == f => Some(PlanStep::Cpu(scan_ns)),
        _ if i <= f + anon.len() => Some(step(anon[i - f - 1], scan_ns)),
        _ if i == f + anon.len() + 1 => Some(PlanStep::Cpu(scan_ns)),
        _ => None,
    }
}

/// The lock addresses of an mm's VMAs in VMA order: anon_vma locks and i_mmap locks.
fn lock_addresses(k: &Kernel, mm: MmId) -> (Vec<u64>, Vec<u64>, u64) {
    let mut anon = Vec::new();
    let mut files = Vec::new();
    let mut n = 0;
    for v in k.mem.live_vmas(mm) {
        n += 1;
        let vma = k.mem.vma(v);
        if let Some(l) = vma.anon_lock() {
            anon.push(k.locks.addr(l));
        }
        if let Some(l) = vma.file_lock() {
            files.push(k.locks.addr(l));
        }
    }
    (anon, files, n)
}

/// The lock id inside a lock address (its low 32 bits; see `Kernel::add_rmap_lock`).
fn lock_of(addr: u64) -> LockId {
    addr as u32
}

pub fn build(k: &mut Kernel, strategy: Strategy, mm: MmId) -> Plan {
    let mut plan = match strategy {
        Strategy::MmLock => v13(k, mm, true),
        Strategy::Unsorted => v13(k, mm, false),
        Strategy::MmLockSlow => slow(k, mm),
        Strategy::MmTakeAllLocks => take_all(k, mm),
        Strategy::Unlocked => Plan::default(),
    };
    plan.step_ns = k.cost(Cost::VmaStep);
    plan.check_ns = plan.step_ns.saturating_add(k.cost(Cost::SignalCheck));
    plan
}

/// v13 `mm_lock`: fill two arrays in one VMA walk each, sort them, then take the anon_vma locks
/// and then the i_mmap locks in array order, skipping a lock equal to the previous one.
/// Without the sort (`unsorted`), a lock already taken is skipped wherever it appears.
fn v13(k: &mut Kernel, mm: MmId, sorted: bool) -> Plan {
    let (mut anon, mut files, n) = lock_addresses(k, mm);
    let step = k.cost(Cost::VmaStep);
    let mut plan = Plan {
        prep_ns: (2 * n)
            .saturating_mul(step)
            .saturating_add(((anon.len() + files.len()) as u64).saturating_mul(k.cost(Cost::ArrayStore))),
        scan_steps: 2 * n,
        ..Plan::default()
    };
    if sorted {
        let comparisons = v13_heap_sort(&mut anon) + v13_heap_sort(&mut files);
        plan.prep_ns = plan.prep_ns.saturating_add(comparisons.saturating_mul(k.cost(Cost::LockCompare)));
        plan.scan_steps += comparisons;
    }
    k.new_marks();
    let mut steps = Vec::new();
    for array in [&anon, &files] {
        let mut walked = 0u32;
        let mut last = None;
        for &addr in array {
            walked += 1;
            let fresh = if sorted {
                // mm_lock_unlock(): `if (locks[i] != last)`, with BUG_ON(last > locks[i]).
                assert!(last.is_none_or(|l| l <= addr), "mm_lock: array not sorted (BUG_ON)");
                last != Some(addr)
            } else {
                k.mark(lock_of(addr))
            };
            last = Some(addr);
            if fresh {
                steps.push((lock_of(addr), walked));
                walked = 0;
            }
        }
    }
    plan.distinct = steps.len() as u32;
    plan.walk = if steps.is_empty() { Walk::Nothing } else { Walk::Arrays(steps) };
    plan
}

/// v11 `mm_lock` (the allocation-free fallback): for i_mmap locks, then anon_vma locks, scan
/// every VMA for the lowest lock address above the last one taken, take it, repeat; one final
/// scan finds nothing. Unlocking repeats the scans. O(N × distinct locks) VMA visits.
fn slow(k: &mut Kernel, mm: MmId) -> Plan {
    let (mut anon, mut files, n) = lock_addresses(k, mm);
    for a in [&mut anon, &mut files] {
        a.sort_unstable();
        a.dedup();
    }
    let distinct = (anon.len() + files.len()) as u32;
    Plan {
        walk: Walk::Scans {
            files: files.into_iter().map(lock_of).collect(),
            anon: anon.into_iter().map(lock_of).collect(),
            scan_ns: n.saturating_mul(k.cost(Cost::VmaStep)),
        },
        distinct,
        scan_steps: 2 * n * (distinct as u64 + 2),
        ..Plan::default()
    }
}

/// 2.6.27 `mm_take_all_locks`: one pass over the VMAs taking each address_space's i_mmap_lock
/// the first time it is seen (AS_MM_ALL_LOCKS), a second pass for anon_vma locks; every VMA
/// visit checks signal_pending(). `mm_drop_all_locks` is one pass releasing both.
fn take_all(k: &mut Kernel, mm: MmId) -> Plan {
    let vmas: Vec<_> = k.mem.live_vmas(mm).collect();
    k.new_marks();
    let mut distinct = 0;
    let mut entries = Vec::with_capacity(vmas.len());
    for &v in &vmas {
        let vma = k.mem.vma(v);
        let locks = [vma.file_lock(), vma.anon_lock()];
        let mut entry = [ABSENT; 2];
        for (slot, lock) in entry.iter_mut().zip(locks) {
            if let Some(l) = lock {
                assert!(l & FRESH == 0, "lock ids fit in 31 bits");
                *slot = l;
                if k.mark(l) {
                    *slot |= FRESH;
                    distinct += 1;
                }
            }
        }
        entries.push(entry);
    }
    Plan { walk: Walk::Passes(entries), distinct, scan_steps: 3 * vmas.len() as u64, ..Plan::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(plan: &Plan, lock: bool) -> Vec<PlanStep> {
        let mut c = Cursor::default();
        let mut out = Vec::new();
        while let Some(s) = if lock { plan.next_lock(&mut c) } else { plan.next_unlock(&mut c) } {
            out.push(s);
        }
        out
    }

    /// Three VMAs: file 10 with anon 20, file 10 again with anon 21, no file with anon 20.
    #[test]
    fn the_merged_passes_take_each_lock_at_its_first_vma_and_drop_them_in_one_pass() {
        let plan = Plan {
            walk: Walk::Passes(vec![[10 | FRESH, 20 | FRESH], [10, 21 | FRESH], [ABSENT, 20]]),
            step_ns: 4,
            check_ns: 6,
            ..Plan::default()
        };
        use PlanStep::*;
        let check = Check { before: 6 };
        assert_eq!(
            drain(&plan, true),
            vec![
                check,
                Lock { lock: 10, before: 0 },
                check,
                check,
                check,
                Lock { lock: 20, before: 0 },
                check,
                Lock { lock: 21, before: 0 },
                check
            ]
        );
        assert_eq!(
            drain(&plan, false),
            vec![
                Unlock { lock: 20, before: 4 },
                Unlock { lock: 10, before: 0 },
                Unlock { lock: 21, before: 4 },
                Cpu(4)
            ]
        );
    }

    #[test]
    fn the_scans_end_each_class_with_an_empty_scan() {
        let plan = Plan { walk: Walk::Scans { files: vec![1], anon: vec![2, 3], scan_ns: 9 }, ..Plan::default() };
        use PlanStep::*;
        assert_eq!(
            drain(&plan, true),
            vec![Lock { lock: 1, before: 9 }, Cpu(9), Lock { lock: 2, before: 9 }, Lock { lock: 3, before: 9 }, Cpu(9)]
        );
        assert_eq!(drain(&plan, false).len(), 5);
    }
}
