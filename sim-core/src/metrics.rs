//! The metrics catalogue and the collector the model writes into during a run.
//!
//! Histograms keep every sample, so min, mean and the percentiles in reports are exact. Samples
//! are buffered and folded into sorted (value, count) runs, so a long run of repeated values
//! costs little memory.

use crate::report::{HistSummary, MetricValue, NoopKind, NoopReport, OrderedMap};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricKind {
    Count,
    Gauge,
    Histogram,
}

pub struct MetricInfo {
    pub metric: Metric,
    pub name: &'static str,
    pub kind: MetricKind,
    pub unit: &'static str,
    pub meaning: &'static str,
}

macro_rules! catalogue {
    ($( $variant:ident = $name:literal, $kind:ident, $unit:literal, $meaning:literal; )*) => {
        /// One metric of the catalogue.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        pub enum Metric { $($variant),* }

        /// Every metric in report order.
        pub const METRICS: &[MetricInfo] = &[
            $( MetricInfo { metric: Metric::$variant, name: $name, kind: MetricKind::$kind, unit: $unit, meaning: $meaning } ),*
        ];
    };
}

catalogue! {
    RegisterLatency = "register.latency", Histogram, "ns", "mmu_notifier_register call to return";
    RegisterOk = "register.ok", Count, "", "registrations that succeeded";
    RegisterFailed = "register.failed", Count, "", "registrations that failed (-ENOMEM or -EINTR)";
    RegisterEintr = "register.eintr", Count, "", "registrations that failed with -EINTR (a signal was pending)";
    RegisterEnomem = "register.enomem", Count, "", "registrations that failed with -ENOMEM (no vmalloc room)";
    UnregisterLatency = "unregister.latency", Histogram, "ns", "mmu_notifier_unregister call to return";
    UnregisterOk = "unregister.ok", Count, "", "unregistrations that succeeded";
    UnregisterFailed = "unregister.failed", Count, "", "unregistrations that failed";
    ReleaseCalls = "release.calls", Count, "", "->release callbacks run at mm teardown";
    MmLockLocks = "mm_lock.locks", Histogram, "", "distinct locks taken by one mm_lock (or equivalent)";
    MmLockHold = "mm_lock.hold", Histogram, "ns", "time from the first lock taken to the last released";
    MmLockScanSteps = "mm_lock.scan_steps", Count, "", "VMA visits and comparisons made by the locking strategy";
    VmallocPeak = "vmalloc.peak", Gauge, "bytes", "most vmalloc space in use at once (guard pages included)";
    VmallocPinnedPeak = "vmalloc.pinned_peak", Gauge, "bytes", "most vmalloc space held by mm_lock data at once";
    VmallocFailed = "vmalloc.failed", Count, "", "vmalloc requests that found no room";
    OomKills = "oom.kills", Count, "", "OOM kills sent";
    OomKillLatency = "oom.kill_latency", Histogram, "ns", "SIGKILL sent to the victim's memory freed";
    KillResponse = "kill.response", Histogram, "ns", "SIGKILL sent to the victim starting do_exit (where it noticed the signal)";
    ReclaimStall = "reclaim.stall", Histogram, "ns", "time an rmap walk (reclaim or truncate) waited for a lock held by a lock-all";
    RmapWalk = "rmap.walk", Histogram, "ns", "one rmap walk from lock request to release: a page of reclaim that was still mapped, or a whole truncate";
    InvalidateCalls = "invalidate.calls", Count, "", "invalidate callbacks run";
    NotifierHooks = "notifier.hooks", Count, "", "notifier hooks called (invalidate_range_start/_end per VMA, and for reclaim clear_flush_young and invalidate_page per page) on an mm whose mm_has_notifiers() is true";
    NotifierEmptyHooks = "notifier.empty_hooks", Count, "", "of those, hooks that found no notifier registered: mm_has_notifiers() stays true after the last unregister in 2.6.27 (the mmu_notifier_mm lives until the mm does); the 2008 patches kept the list in the mm and it was false again";
    InvalidateMissed = "invalidate.missed", Count, "", "secondary-MMU mappings left pointing at a page that was unmapped";
    ReleaseMissed = "release.missed", Count, "", "secondary-MMU mappings of a page freed after ->release unlinked the notifier and before the driver tore its mappings down";
    RaceUnregisterRelease = "race.unregister_release", Count, "", "unregister and ->release unlinking the same notifier at once, or unregister after the mm is gone";
    DeadlockCount = "deadlock.count", Count, "", "deadlocks found (each cycle is listed in the report)";
    AtomicSleep = "atomic_sleep", Count, "", "notifier callbacks that slept while a spinlock was held";
    LockWait = "lock.wait", Histogram, "ns", "time any task waited for any lock";
    LockHold = "lock.hold", Histogram, "ns", "time any lock was held exclusively (spinlocks, mutexes, rwsems for write)";
    LockMaxHeld = "lock.max_held", Gauge, "", "most spinlocks one task held at once";
    PreemptOverflow = "preempt.overflow", Count, "", "times a task held more than 255 spinlocks at once (preempt_count's preemption field)";
    LockdepCycles = "lockdep.cycles", Count, "", "possible circular locking dependencies: distinct cycles in the order locks were asked for, between classes or among one class's locks, whether or not this run deadlocked";
    LockdepNesting = "lockdep.nesting", Count, "", "lock classes a task nested (took one while holding another of the class) without a nest annotation: what lockdep reports as possible recursive locking";
    LockAcquisitions = "lock.acquisitions", Count, "", "locks acquired, of every kind (lock_stat's acquisitions, summed over classes)";
    LockdepOverflow = "lockdep.overflow", Count, "", "times a task held more locks than lockdep tracks (48; 2048 of one class under a nest annotation)";
    PreemptOff = "preempt_off", Histogram, "ns", "intervals a task ran with at least one spinlock held";
    MmapFailed = "mmap.failed", Count, "", "VMAs mmap could not create at max_map_count";
    FaultRetry = "fault.retry", Count, "", "secondary-MMU faults refused because an invalidation was in progress";
    StepsNoop = "steps.noop", Count, "", "steps and actions that found nothing to act on (the report's noops name each line)";
}

impl MetricInfo {
    /// The unit as reports name it: `ns`, `bytes` or `count`.
    pub fn unit_name(&self) -> &'static str {
        if self.unit.is_empty() {
            "count"
        } else {
            self.unit
        }
    }
}

/// Every metric's unit, in catalogue order, for the report's `units`.
pub fn units() -> OrderedMap<String> {
    let mut out = OrderedMap::default();
    for m in METRICS {
        out.push(m.name.to_string(), m.unit_name().to_string());
    }
    out
}

impl Metric {
    pub fn info(self) -> &'static MetricInfo {
        &METRICS[self as usize]
    }

    pub fn by_name(name: &str) -> Option<Metric> {
        METRICS.iter().find(|m| m.name == name).map(|m| m.metric)
    }

    /// One line for a reader where what a figure is made of is not plain from its name.
    pub fn gloss(self) -> Option<&'static str> {
        Some(match self {
            Metric::UnregisterLatency => {
                "mm_take_all_locks' unregister takes no mm-wide lock but waits an RCU grace period \
                 (synchronize_rcu, the rcu_grace cost): that is nearly all of its latency"
            }
            Metric::MmLockHold => {
                "first rmap lock taken to last released: reclaim and truncate of the mm's pages wait that long"
            }
            Metric::OomKillLatency => {
                "SIGKILL to memory freed: a task inside mm_lock_slow notices the kill only when its O(N^2) scan ends"
            }
            Metric::VmallocPeak => {
                "v13's mm_lock vmallocs two arrays of 8 bytes per VMA; the other designs allocate nothing"
            }
            Metric::PreemptOverflow => {
                "preempt_count's preemption field counts to 255: a lock-all over more distinct spinlocks overflows it"
            }
            Metric::ReclaimStall => "an rmap walk waiting for a lock that a lock-all holds",
            Metric::StepsNoop => "steps and actions that found nothing to act on: the warnings name their lines",
            _ => return None,
        })
    }
}

/// Every sample of one histogram: recent ones in a buffer, older ones as sorted runs of
/// (value, count).
///
/// The runs form a log-structured stack: each is more than twice as long as the one after it,
/// so a sample is merged O(log n) times however long the run, and the buffer stays small enough
/// (64 KiB) to keep out of the model's way in the cache.
#[derive(Default)]
pub struct Samples {
    buffer: Vec<u64>,
    runs: Vec<Vec<(u64, u64)>>,
    scratch: Vec<u64>,
}

/// Two sorted runs as one, the counts of a value in both added.
fn merge(a: &[(u64, u64)], b: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        if x.0 == y.0 {
            out.push((x.0, x.1 + y.1));
            i += 1;
            j += 1;
        } else if x.0 < y.0 {
            out.push(x);
            i += 1;
        } else {
            out.push(y);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Sorts `v` ascending: a least-significant-digit radix sort in 11-bit digits over just the bits
/// in which the values differ (latencies in ns take three or four passes), or, for a few
/// values, a comparison sort.
fn radix_sort(v: &mut Vec<u64>, tmp: &mut Vec<u64>) {
    const BITS: u32 = 11;
    if v.len() <= 1 << 9 {
        // Short (most histograms of a run, at its end): a pass's 2048 counters would cost more
        // than the values.
        v.sort_unstable();
        return;
    }
    let (any, all) = v.iter().fold((0u64, u64::MAX), |(o, a), &x| (o | x, a & x));
    let differ = any ^ all;
    if differ == 0 {
        return;
    }
    let top = u64::BITS - differ.leading_zeros();
    let mut shift = differ.trailing_zeros();
    tmp.clear();
    tmp.resize(v.len(), 0);
    while shift < top {
        let digit = |x: u64| ((x >> shift) & ((1 << BITS) - 1)) as usize;
        let mut at = [0usize; 1 << BITS];
        for &x in v.iter() {
            at[digit(x)] += 1;
        }
        let mut sum = 0;
        for c in at.iter_mut() {
            let n = *c;
            *c = sum;
            sum += n;
        }
        for &x in v.iter() {
            let d = digit(x);
            tmp[at[d]] = x;
            at[d] += 1;
        }
        std::mem::swap(v, tmp);
        shift += BITS;
    }
}

impl Samples {
    const BUFFER: usize = 1 << 13;

    #[inline]
    pub fn push(&mut self, v: u64) {
        self.buffer.push(v);
        if self.buffer.len() >= Self::BUFFER {
            self.fold();
        }
    }

    /// Sorts the buffer into a run, then merges runs from the newest while one is not more than
    /// twice as long as the next.
    fn fold(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        radix_sort(&mut self.buffer, &mut self.scratch);
        let mut fresh: Vec<(u64, u64)> = Vec::with_capacity(self.buffer.len());
        for &v in &self.buffer {
            match fresh.last_mut() {
                Some((x, c)) if *x == v => *c += 1,
                _ => fresh.push((v, 1)),
            }
        }
        self.buffer.clear();
        self.runs.push(fresh);
        while let [.., older, newer] = &self.runs[..] {
            if older.len() > 2 * newer.len() {
                break;
            }
            self.merge_newest();
        }
    }

    /// Folds the buffer and every run into one.
    fn collapse(&mut self) {
        self.fold();
        while self.runs.len() >= 2 {
            self.merge_newest();
        }
    }

    /// Merges the two newest runs into one.
    fn merge_newest(&mut self) {
        let (Some(newer), Some(older)) = (self.runs.pop(), self.runs.pop()) else { unreachable!("two runs") };
        self.runs.push(merge(&older, &newer));
    }

    pub fn len(&self) -> u64 {
        self.buffer.len() as u64 + self.runs.iter().flatten().map(|r| r.1).sum::<u64>()
    }

    pub fn is_empty(&self) -> bool {
        self.buffer.is_empty() && self.runs.is_empty()
    }

    /// Exact summary; percentiles by nearest rank.
    pub fn summary(&mut self) -> HistSummary {
        self.collapse();
        let Some(runs) = self.runs.first() else { return HistSummary::default() };
        let n: u64 = runs.iter().map(|r| r.1).sum();
        let rank = |p: u64| {
            let want = ((p * n).div_ceil(100)).max(1);
            let mut seen = 0;
            for &(v, c) in runs {
                seen += c;
                if seen >= want {
                    return v;
                }
            }
            runs[runs.len() - 1].0
        };
        let sum: u128 = runs.iter().map(|&(v, c)| v as u128 * c as u128).sum();
        HistSummary {
            count: n,
            min: runs[0].0,
            mean: sum as f64 / n as f64,
            p50: rank(50),
            p90: rank(90),
            p99: rank(99),
            max: runs[runs.len() - 1].0,
        }
    }
}

/// What the model writes into while it runs.
pub struct Collector {
    scalars: Vec<u64>,
    samples: Vec<Samples>,
    noops: Vec<NoopReport>,
}

impl Default for Collector {
    fn default() -> Self {
        Collector {
            scalars: vec![0; METRICS.len()],
            samples: (0..METRICS.len()).map(|_| Samples::default()).collect(),
            noops: Vec::new(),
        }
    }
}

impl Collector {
    #[inline]
    pub fn add(&mut self, m: Metric, n: u64) {
        debug_assert_eq!(m.info().kind, MetricKind::Count, "{} is not a count", m.info().name);
        self.scalars[m as usize] += n;
    }

    #[inline]
    pub fn inc(&mut self, m: Metric) {
        self.add(m, 1);
    }

    /// Raises a gauge to `v` if `v` is higher.
    #[inline]
    pub fn peak(&mut self, m: Metric, v: u64) {
        debug_assert_eq!(m.info().kind, MetricKind::Gauge, "{} is not a gauge", m.info().name);
        let slot = &mut self.scalars[m as usize];
        *slot = (*slot).max(v);
    }

    #[inline]
    pub fn sample(&mut self, m: Metric, v: u64) {
        debug_assert_eq!(m.info().kind, MetricKind::Histogram, "{} is not a histogram", m.info().name);
        self.samples[m as usize].push(v);
    }

    pub fn get(&self, m: Metric) -> u64 {
        self.scalars[m as usize]
    }

    /// A step or action at `line` found nothing to act on at `now`: counted in `steps.noop` and
    /// under its line and kind (few distinct ones: a short list searched in order).
    pub fn noop(&mut self, kind: NoopKind, line: u32, now: u64) {
        self.add(Metric::StepsNoop, 1);
        match self.noops.iter_mut().find(|n| n.line == line && n.kind == kind) {
            Some(n) => n.count += 1,
            None => self.noops.push(NoopReport { line, kind, first_time_ns: now, count: 1 }),
        }
    }

    /// The no-ops so far, in the order they first happened.
    pub fn noops(&self) -> Vec<NoopReport> {
        self.noops.clone()
    }

    /// The report's metrics, in catalogue order.
    pub fn finish(mut self) -> OrderedMap<MetricValue> {
        let mut out = OrderedMap::default();
        for info in METRICS {
            let i = info.metric as usize;
            let value = match info.kind {
                MetricKind::Count | MetricKind::Gauge => MetricValue::Scalar(self.scalars[i]),
                MetricKind::Histogram => MetricValue::Histogram(self.samples[i].summary()),
            };
            out.push(info.name.to_string(), value);
        }
        out
    }
}

/// Exact summary of a list of samples; percentiles by nearest rank.
pub fn summarize(samples: &[u64]) -> HistSummary {
    let mut s = Samples::default();
    for &v in samples {
        s.push(v);
    }
    s.summary()
}

#[cfg(test)]
fn summarize_sorted(samples: &mut [u64]) -> HistSummary {
    if samples.is_empty() {
        return HistSummary::default();
    }
    samples.sort_unstable();
    let n = samples.len() as u64;
    let rank = |p: u64| samples[(((p * n).div_ceil(100)).max(1) - 1) as usize];
    let sum: u128 = samples.iter().map(|&v| v as u128).sum();
    HistSummary {
        count: n,
        min: samples[0],
        mean: sum as f64 / n as f64,
        p50: rank(50),
        p90: rank(90),
        p99: rank(99),
        max: samples[samples.len() - 1],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Folding into runs gives the summary of sorting every sample.
        #[test]
        fn runs_summarize_exactly(v in proptest::collection::vec(0u64..50, 0..200_000)) {
            let mut a = v.clone();
            proptest::prop_assert_eq!(summarize(&v), summarize_sorted(&mut a));
        }

        /// So do values that rarely repeat, over many folds and merges of the runs.
        #[test]
        fn wide_runs_summarize_exactly(v in proptest::collection::vec(0u64..10_000_000, 0..100_000)) {
            let mut a = v.clone();
            proptest::prop_assert_eq!(summarize(&v), summarize_sorted(&mut a));
        }
    }

    proptest::proptest! {
        #[test]
        fn radix_sort_sorts(mut v in proptest::collection::vec(proptest::num::u64::ANY, 0..3000), small in 0u32..64) {
            // Half the cases in a narrow range, as latencies are.
            if small % 2 == 0 {
                v.iter_mut().for_each(|x| *x %= 1 << small);
            }
            let mut want = v.clone();
            want.sort_unstable();
            radix_sort(&mut v, &mut Vec::new());
            proptest::prop_assert_eq!(v, want);
        }
    }

    #[test]
    fn summary_is_exact() {
        let v: Vec<u64> = (1..=100).rev().collect();
        let s = summarize(&v);
        assert_eq!((s.count, s.min, s.p50, s.p90, s.p99, s.max), (100, 1, 50, 90, 99, 100));
        assert_eq!(s.mean, 50.5);
        let one = vec![7];
        let s = summarize(&one);
        assert_eq!((s.p50, s.p99, s.max), (7, 7, 7));
        assert_eq!(summarize(&[]), HistSummary::default());
    }

    #[test]
    fn catalogue_is_indexed_by_variant_and_covers_the_contract() {
        for (i, m) in METRICS.iter().enumerate() {
            assert_eq!(m.metric as usize, i);
        }
        for name in [
            "register.latency",
            "register.ok",
            "register.failed",
            "unregister.latency",
            "unregister.ok",
            "unregister.failed",
            "release.calls",
            "mm_lock.locks",
            "mm_lock.hold",
            "mm_lock.scan_steps",
            "vmalloc.peak",
            "vmalloc.pinned_peak",
            "vmalloc.failed",
            "oom.kills",
            "oom.kill_latency",
            "reclaim.stall",
            "invalidate.calls",
            "invalidate.missed",
            "race.unregister_release",
            "deadlock.count",
            "atomic_sleep",
            "lock.wait",
            "lock.max_held",
            "preempt.overflow",
            "preempt_off",
        ] {
            assert!(Metric::by_name(name).is_some(), "{name} missing from the catalogue");
        }
    }
}
