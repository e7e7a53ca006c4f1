//! How each strategy walks the mm to lock it: a plan of lock, check and unlock steps with the
//! CPU time between them, computed once under mmap_sem (the VMA list cannot change then).
//!
//! Host work is at most O(N log N) even where the simulated cost is O(N²): `mm_lock_slow`'s
//! repeated scans are charged arithmetically, one step per lock taken.

use crate::cost::Cost;
use crate::kernel::locks::LockId;
use crate::kernel::mm::MmId;
use crate::kernel::Kernel;
use crate::program::Strategy;
use crate::strategy::sort::v13_heap_sort;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub lock: Vec<PlanStep>,
    pub unlock: Vec<PlanStep>,
    /// CPU before the first lock step: filling (and sorting) mm_lock's arrays.
    pub prep_ns: u64,
    /// VMA visits and comparisons, lock and unlock together.
    pub scan_steps: u64,
    /// Locks the plan takes.
    pub distinct: u32,
}

/// The lock addresses of an mm's VMAs in VMA order: anon_vma locks and i_mmap locks.
fn lock_addresses(k: &Kernel, mm: MmId) -> (Vec<u64>, Vec<u64>, u64) {
    let mut anon = Vec::new();
    let mut files = Vec::new();
    let mut n = 0;
    for v in k.mem.live_vmas(mm) {
        n += 1;
        let vma = k.mem.vma(v);
        if let Some(a) = vma.anon_vma {
            anon.push(k.locks.get(k.mem.anon_vmas[a as usize].lock).addr);
        }
        if let Some(f) = vma.file {
            files.push(k.locks.get(k.mem.files[f as usize].lock).addr);
        }
    }
    (anon, files, n)
}

/// The lock id inside a lock address (its low 32 bits; see `Kernel::add_rmap_lock`).
fn lock_of(addr: u64) -> LockId {
    addr as u32
}

pub fn build(k: &mut Kernel, strategy: Strategy, mm: MmId) -> Plan {
    match strategy {
        Strategy::MmLock => v13(k, mm, true),
        Strategy::Unsorted => v13(k, mm, false),
        Strategy::MmLockSlow => slow(k, mm),
        Strategy::MmTakeAllLocks => take_all(k, mm),
        Strategy::Unlocked => Plan::default(),
    }
}

/// v13 `mm_lock`: fill two arrays in one VMA walk each, sort them, then take the anon_vma locks
/// and then the i_mmap locks in array order, skipping a lock equal to the previous one.
/// Without the sort (`unsorted`), a lock already taken is skipped wherever it appears.
fn v13(k: &mut Kernel, mm: MmId, sorted: bool) -> Plan {
    let (mut anon, mut files, n) = lock_addresses(k, mm);
    let step = k.cost(Cost::VmaStep);
    let mut plan = Plan {
        prep_ns: 2 * n * step + (anon.len() + files.len()) as u64 * k.cost(Cost::ArrayStore),
        scan_steps: 2 * n,
        ..Plan::default()
    };
    if sorted {
        let comparisons = v13_heap_sort(&mut anon) + v13_heap_sort(&mut files);
        plan.prep_ns += comparisons * k.cost(Cost::LockCompare);
        plan.scan_steps += comparisons;
    }
    k.new_marks();
    for array in [&anon, &files] {
        let mut before = 0;
        let mut last = None;
        for &addr in array {
            before += step;
            let fresh = if sorted {
                // mm_lock_unlock(): `if (locks[i] != last)`, with BUG_ON(last > locks[i]).
                assert!(last.is_none_or(|l| l <= addr), "mm_lock: array not sorted (BUG_ON)");
                last != Some(addr)
            } else {
                k.mark(lock_of(addr))
            };
            last = Some(addr);
            if fresh {
                plan.lock.push(PlanStep::Lock { lock: lock_of(addr), before });
                before = 0;
            }
        }
    }
    // mm_unlock walks the same arrays in the same order.
    plan.unlock = plan
        .lock
        .iter()
        .map(|s| match *s {
            PlanStep::Lock { lock, before } => PlanStep::Unlock { lock, before },
            other => other,
        })
        .collect();
    plan.distinct = plan.lock.len() as u32;
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
    let scan = n * k.cost(Cost::VmaStep);
    let mut plan = Plan::default();
    for array in [&files, &anon] {
        for &addr in array.iter() {
            plan.lock.push(PlanStep::Lock { lock: lock_of(addr), before: scan });
            plan.unlock.push(PlanStep::Unlock { lock: lock_of(addr), before: scan });
        }
        plan.lock.push(PlanStep::Cpu(scan));
        plan.unlock.push(PlanStep::Cpu(scan));
    }
    plan.distinct = (anon.len() + files.len()) as u32;
    plan.scan_steps = 2 * n * (anon.len() + files.len() + 2) as u64;
    plan
}

/// 2.6.27 `mm_take_all_locks`: one pass over the VMAs taking each address_space's i_mmap_lock
/// the first time it is seen (AS_MM_ALL_LOCKS), a second pass for anon_vma locks; every VMA
/// visit checks signal_pending(). `mm_drop_all_locks` is one pass releasing both.
fn take_all(k: &mut Kernel, mm: MmId) -> Plan {
    let vmas: Vec<_> = k.mem.live_vmas(mm).collect();
    let step = k.cost(Cost::VmaStep);
    let check = step + k.cost(Cost::SignalCheck);
    let mut plan = Plan::default();
    let file_lock = |k: &Kernel, v| k.mem.vma(v).file.map(|f| k.mem.files[f as usize].lock);
    let anon_lock = |k: &Kernel, v| k.mem.vma(v).anon_vma.map(|a| k.mem.anon_vmas[a as usize].lock);
    k.new_marks();
    for &v in &vmas {
        plan.lock.push(PlanStep::Check { before: check });
        if let Some(l) = file_lock(k, v) {
            if k.mark(l) {
                plan.lock.push(PlanStep::Lock { lock: l, before: 0 });
            }
        }
    }
    for &v in &vmas {
        plan.lock.push(PlanStep::Check { before: check });
        if let Some(l) = anon_lock(k, v) {
            if k.mark(l) {
                plan.lock.push(PlanStep::Lock { lock: l, before: 0 });
            }
        }
    }
    k.new_marks();
    let mut before = 0;
    for &v in &vmas {
        before += step;
        for l in [anon_lock(k, v), file_lock(k, v)].into_iter().flatten() {
            if k.mark(l) {
                plan.unlock.push(PlanStep::Unlock { lock: l, before });
                before = 0;
            }
        }
    }
    if before > 0 {
        plan.unlock.push(PlanStep::Cpu(before));
    }
    plan.distinct = plan.lock.iter().filter(|s| matches!(s, PlanStep::Lock { .. })).count() as u32;
    plan.scan_steps = 3 * vmas.len() as u64;
    plan
}
