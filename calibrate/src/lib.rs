//! calibrate: the lock-all designs run for real on this host — real spinlocks laid out as a
//! layout's VMAs share them, taken by each design's algorithm while another thread does
//! reclaim-like walks — timed, fitted and set beside the model's run of the same layouts.
//!
//! Host timing lives here, outside sim-core (which reads no clock): `host` has the locks and
//! the three algorithms, `micro` the lock costs alone, `model` the sim-core side, `fit` the
//! medians and exponents, `file` the JSON the `sim` binary writes and reads back.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod file;
pub mod fit;
pub mod host;
pub mod layout;
pub mod micro;
pub mod model;
pub mod sched;

use file::{Calibration, DesignRow, Point};
use fit::{exponent, median};
use host::{HostMm, Taken};
use layout::Layout;
use sim_core::cost::{Cost, Costs};
use sim_core::program::Strategy;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

/// The three lock-alls of the debate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Design {
    MmTakeAllLocks,
    MmLock,
    MmLockSlow,
}

impl Design {
    pub const ALL: [Design; 3] = [Design::MmTakeAllLocks, Design::MmLock, Design::MmLockSlow];

    pub fn strategy(self) -> Strategy {
        match self {
            Design::MmTakeAllLocks => Strategy::MmTakeAllLocks,
            Design::MmLock => Strategy::MmLock,
            Design::MmLockSlow => Strategy::MmLockSlow,
        }
    }

    pub fn name(self) -> &'static str {
        self.strategy().name()
    }

    /// One lock-all and its unlock on the host.
    pub fn run(self, mm: &HostMm) -> Taken {
        match self {
            Design::MmTakeAllLocks => mm.mm_take_all_locks(&mut ()),
            Design::MmLock => mm.mm_lock(&mut ()),
            Design::MmLockSlow => mm.mm_lock_slow(&mut ()),
        }
    }
}

/// What to measure: each design's N values, rounds per point, and how long one timed batch
/// of back-to-back lock-alls should last.
#[derive(Clone, Debug)]
pub struct Plan {
    pub mode: &'static str,
    pub sizes: Vec<(Design, Vec<u32>)>,
    pub rounds: u32,
    pub batch_ns: u64,
}

fn pow2(lo: u32, hi: u32) -> Vec<u32> {
    (lo..=hi).map(|e| 1 << e).collect()
}

impl Plan {
    /// The linear designs at 2^lo..2^hi VMAs, v11's O(N²) scan at 2^8..2^slow_hi.
    fn powers(mode: &'static str, (lo, hi): (u32, u32), slow_hi: u32, rounds: u32, batch_ns: u64) -> Plan {
        let sizes = Design::ALL
            .iter()
            .map(|&d| (d, if d == Design::MmLockSlow { pow2(8, slow_hi) } else { pow2(lo, hi) }))
            .collect();
        Plan { mode, sizes, rounds, batch_ns }
    }

    /// 2^10..2^14 VMAs for the linear designs, 2^8..2^11 for v11.
    pub fn quick() -> Plan {
        Plan::powers("quick", (10, 14), 11, 41, 1_000_000)
    }

    /// 2^8..2^16 VMAs (max_map_count is 65 530), v11 to 2^13.
    pub fn full() -> Plan {
        Plan::powers("full", (8, 16), 13, 61, 2_000_000)
    }

    /// A couple of seconds at most: for tests of the plumbing, not for figures.
    pub fn tiny() -> Plan {
        Plan {
            mode: "tiny",
            sizes: Design::ALL.iter().map(|&d| (d, vec![64, 128, 256])).collect(),
            rounds: 3,
            batch_ns: 100_000,
        }
    }

    /// Progress steps [`calibrate`] reports: warm-up and rounds of every point, the lock costs,
    /// and the model's runs.
    pub fn steps(&self) -> u64 {
        let points: u64 = self.sizes.iter().map(|(_, n)| n.len() as u64).sum();
        points * (1 + self.rounds as u64) + 1 + 2 * points
    }
}

/// The per-point samples of the host's rounds.
#[derive(Default)]
struct Samples {
    ns: Vec<f64>,
    fill_ns: Vec<f64>,
    sort_ns: Vec<f64>,
    taken: Taken,
    /// The copy the next batch starts with.
    next: usize,
}

/// Bytes the copies of one layout take together: several times L2 (1-2 MiB on current x86),
/// well inside a server's L3.
const COPIES_BYTES: u64 = 8 << 20;

/// Copies of a layout, each shuffled apart, that a point cycles through. Whatever N, a timed
/// lock-all then finds its objects in the last-level cache and not in L2, and sorts an array
/// whose branches it has not just run: looping over one copy would let the caches keep a small
/// layout whole and the branch predictor learn its sort (both only at small N, which would bend
/// the fitted exponent; the kernel sorts an array once).
fn copies(l: Layout) -> u64 {
    let bytes = u64::from(l.vmas + l.distinct_locks()) * host::OBJECT_BYTES;
    COPIES_BYTES.div_ceil(bytes).clamp(2, 1024)
}

/// Times `k` lock-alls back to back, over the copies in turn: ns per call, and per call of
/// v13's fill and sort. The copies are read first, untimed, so that what the rounds of other
/// points evicted is back in the last-level cache. Time the thread spent waiting for a CPU
/// (another program had it) is not the lock-all's: it is taken off, and a batch that ran for
/// less than a tenth of its time is dropped. Returns whether the batch waited at all.
fn batch(design: Design, mms: &[HostMm], k: u32, s: &mut Samples) -> bool {
    let (mut fill, mut sort) = (0u64, 0u64);
    std::hint::black_box(mms.iter().map(HostMm::touch).fold(0, u64::wrapping_add));
    let waited_before = sched::run_delay_ns();
    let start = Instant::now();
    for _ in 0..k {
        let t = design.run(&mms[s.next]);
        s.next = (s.next + 1) % mms.len();
        fill += t.fill_ns;
        sort += t.sort_ns;
        s.taken = t;
    }
    let wall = start.elapsed().as_nanos() as f64;
    let waited = match (waited_before, sched::run_delay_ns()) {
        (Some(a), Some(b)) => b.saturating_sub(a) as f64,
        _ => 0.0,
    };
    if waited > 0.9 * wall {
        return true;
    }
    // Only v13's sort phase can be told apart; the wait is charged to the whole.
    let k = f64::from(k);
    s.ns.push((wall - waited) / k);
    s.fill_ns.push(fill as f64 / k);
    s.sort_ns.push((sort as f64 * (1.0 - waited / wall)) / k);
    waited > 0.0
}

/// Runs the plan. `step` is called before each step with what it is about to do; when it
/// returns false the calibration stops (every thread joined) and returns `Ok(None)`.
pub fn calibrate(plan: &Plan, step: &mut dyn FnMut(&str) -> bool) -> Result<Option<Calibration>, String> {
    let mut sizes: Vec<u32> = plan.sizes.iter().flat_map(|(_, n)| n.iter().copied()).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let mms: Vec<Vec<HostMm>> = sizes
        .iter()
        .map(|&n| {
            let l = Layout::new(n);
            (0..copies(l)).map(|v| HostMm::new(l, 0x9e37_79b9 ^ u64::from(n) << 8 ^ v)).collect()
        })
        .collect();
    let cells: Vec<(Design, usize)> =
        plan.sizes.iter().flat_map(|(d, ns)| ns.iter().map(|n| (*d, sizes.binary_search(n).unwrap_or(0)))).collect();
    let mut samples: Vec<Samples> = cells.iter().map(|_| Samples::default()).collect();

    // The host side, with a reclaimer on another thread walking the mm being locked.
    let current = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let mut preempted = 0u64;
    let (finished, walks) = std::thread::scope(|s| {
        let reclaimer = s.spawn(|| host::reclaim(&mms, &current, &stop, 0x5eed));
        let finished = (|| {
            let mut per_batch = Vec::new();
            for &(d, i) in &cells {
                if !step(&format!("warm-up {} at {} VMAs", d.name(), sizes[i])) {
                    return false;
                }
                current.store(i, Ordering::Relaxed);
                let start = Instant::now();
                for mm in &mms[i] {
                    d.run(mm);
                }
                let one = (start.elapsed().as_nanos() as u64 / mms[i].len() as u64).max(1);
                per_batch.push((plan.batch_ns / one).clamp(1, 100_000) as u32);
            }
            for r in 0..plan.rounds {
                for (c, &(d, i)) in cells.iter().enumerate() {
                    if !step(&format!("round {}/{}: {} at {} VMAs", r + 1, plan.rounds, d.name(), sizes[i])) {
                        return false;
                    }
                    current.store(i, Ordering::Relaxed);
                    preempted += u64::from(batch(d, &mms[i], per_batch[c], &mut samples[c]));
                }
            }
            true
        })();
        stop.store(true, Ordering::Relaxed);
        (finished, reclaimer.join().unwrap_or(0))
    });
    if !finished || !step("lock costs") {
        return Ok(None);
    }
    let mut go = || true;
    let locks = micro::lock_costs(plan.rounds.max(5) * 10, &mut go);

    // Costs the timings give, at each design's largest N.
    let largest = |design: Design| {
        cells.iter().zip(&samples).filter(|((d, _), _)| *d == design).max_by_key(|((_, i), _)| sizes[*i])
    };
    let med = |v: &[f64]| median(v).unwrap_or(0.0);
    let mut costs = BTreeMap::new();
    costs.insert(Cost::SpinLockWarm.name().to_string(), locks.warm_ns);
    if let Some(cold) = locks.cold_ns {
        costs.insert(Cost::SpinLockCold.name().to_string(), cold);
    }
    costs.insert(Cost::SpinUnlock.name().to_string(), locks.unlock_ns);
    let mut vma_step = None;
    if let Some(((_, i), s)) = largest(Design::MmLockSlow) {
        // v11 visits every VMA once per scan: a scan per lock and one empty scan per class,
        // for the lock and again for the unlock.
        let l = mms[*i][0].layout();
        let visits = 2.0 * f64::from(l.vmas) * f64::from(l.distinct_locks() + 2);
        let lock_ns = f64::from(s.taken.locks) * (locks.warm_ns + locks.unlock_ns);
        let step_ns = ((med(&s.ns) - lock_ns) / visits).max(0.0);
        costs.insert(Cost::VmaStep.name().to_string(), step_ns);
        vma_step = Some(step_ns);
    }
    if let Some(((_, i), s)) = largest(Design::MmLock) {
        let l = mms[*i][0].layout();
        if s.taken.comparisons > 0 {
            costs.insert(Cost::LockCompare.name().to_string(), med(&s.sort_ns) / s.taken.comparisons as f64);
        }
        if let Some(step_ns) = vma_step {
            // The fill walks the VMAs twice and stores one entry per VMA (each has one lock).
            let store = (med(&s.fill_ns) - 2.0 * f64::from(l.vmas) * step_ns) / f64::from(l.vmas);
            costs.insert(Cost::ArrayStore.name().to_string(), store.max(0.0));
        }
    }

    // The model, with its defaults and with the costs measured here.
    let defaults = Costs::default();
    let mut measured = defaults.clone();
    for (name, ns) in &costs {
        if let Some(c) = Cost::by_name(name) {
            measured.set(c, file::model_ns(*ns));
        }
    }
    let mut rows: Vec<DesignRow> = Vec::new();
    for (design, ns) in &plan.sizes {
        let mut points = Vec::new();
        for &n in ns {
            if !step(&format!("model: {} at {n} VMAs", design.name())) {
                return Ok(None);
            }
            let c = cells.iter().position(|&(d, i)| d == *design && sizes[i] == n).unwrap_or(0);
            let s = &samples[c];
            let layout = Layout::new(n);
            points.push(Point {
                vmas: n,
                locks: s.taken.locks,
                host_ns: med(&s.ns),
                host_ns_min: s.ns.iter().copied().fold(f64::INFINITY, f64::min),
                host_ns_max: s.ns.iter().copied().fold(0.0, f64::max),
                comparisons: s.taken.comparisons,
                fill_ns: med(&s.fill_ns),
                sort_ns: med(&s.sort_ns),
                sim_ns: model::register_ns(layout, *design, &defaults)?,
                sim_host_costs_ns: 0,
            });
        }
        for p in &mut points {
            if !step(&format!("model with the host's costs: {} at {} VMAs", design.name(), p.vmas)) {
                return Ok(None);
            }
            p.sim_host_costs_ns = model::register_ns(Layout::new(p.vmas), *design, &measured)?;
        }
        let fit = |f: &dyn Fn(&Point) -> f64| exponent(&points.iter().map(|p| (p.vmas, f(p))).collect::<Vec<_>>());
        let last = points.last();
        rows.push(DesignRow {
            design: design.name().to_string(),
            host_exponent: fit(&|p| p.host_ns),
            sim_exponent: fit(&|p| p.sim_ns as f64),
            sim_host_costs_exponent: fit(&|p| p.sim_host_costs_ns as f64),
            per_lock_ns: match design {
                Design::MmLockSlow => None,
                _ => last.filter(|p| p.locks > 0).map(|p| (p.host_ns - p.sort_ns) / f64::from(p.locks)),
            },
            per_sort_step_ns: last.filter(|p| p.comparisons > 0).map(|p| p.sort_ns / p.comparisons as f64),
            points,
        });
    }
    Ok(Some(Calibration {
        sim: env!("CARGO_PKG_VERSION").to_string(),
        mode: plan.mode.to_string(),
        host_cpus: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
        reclaim_walks: walks,
        rounds: plan.rounds,
        batches: cells.len() as u64 * u64::from(plan.rounds),
        preempted_batches: preempted,
        layout: format!(
            "N VMAs: three of every four anonymous, each with its own anon_vma; every fourth a shared \
             mapping of one of {} files in turn; 3N/4 + {} distinct locks, slab addresses shuffled",
            layout::FILES,
            layout::FILES
        ),
        designs: rows,
        costs,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tiny_calibration_fills_every_row_and_stops_when_asked() {
        let plan = Plan::tiny();
        let mut steps = 0;
        let c = calibrate(&plan, &mut |_| {
            steps += 1;
            true
        })
        .expect("runs")
        .expect("not stopped");
        assert_eq!(steps, plan.steps());
        assert_eq!(c.designs.len(), 3);
        for row in &c.designs {
            assert_eq!(row.points.len(), 3);
            assert!(row.host_exponent.is_some() && row.sim_exponent.is_some(), "{}", row.design);
            assert!(row.points.iter().all(|p| p.host_ns > 0.0 && p.sim_ns > 0 && p.locks > 0));
        }
        assert!(c.designs[1].per_sort_step_ns.is_some() && c.designs[2].per_lock_ns.is_none());
        // spin_lock_cold needs the two threads on two CPUs, which a busy machine may not give.
        for name in ["spin_lock_warm", "spin_unlock", "vma_step", "lock_compare", "array_store"] {
            assert!(c.costs.contains_key(name), "{name}");
        }
        let mut left = 4;
        let stopped = calibrate(&plan, &mut |_| {
            left -= 1;
            left > 0
        });
        assert_eq!(stopped, Ok(None));
    }
}
