//! The report: plain serde data, written as JSON by the binary and read back by `sim plot` and
//! `sim merge`. Field order is fixed, so equal runs give equal bytes.

use crate::program::{ParamValue, Qualifier};
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A JSON object whose keys keep the order they were pushed in.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderedMap<V>(pub Vec<(String, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<V> OrderedMap<V> {
    pub fn push(&mut self, key: String, value: V) {
        self.0.push((key, value));
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = &(String, V)> {
        self.0.iter()
    }
}

impl<V: Serialize> Serialize for OrderedMap<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V2<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for V2<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = a.next_entry()? {
                    out.push((k, v));
                }
                Ok(OrderedMap(out))
            }
        }
        d.deserialize_map(V2(std::marker::PhantomData))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub sim: String,
    pub workload: String,
    pub source: String,
    /// Cost parameters set on the command line (`-p cost.NAME=DURATION`), in nanoseconds.
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    pub cost_overrides: OrderedMap<u64>,
    /// Every metric's unit: `ns`, `bytes` or `count` (a histogram's `count` field is a count
    /// whatever its unit).
    #[serde(default)]
    pub units: OrderedMap<String>,
    pub points: Vec<PointReport>,
    pub checks: Vec<CheckResult>,
    /// With several seeds per point: each per-point `expect` line decided over the seeds of
    /// each set of parameters it applies to (the top-level `checks` are decided over seeds
    /// already). Absent when every point ran once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verdicts: Vec<CheckResult>,
    /// With several seeds per point: each set of parameters' metrics over its seeds (mean,
    /// standard deviation, 95% confidence interval). Absent when every point ran once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statistics: Vec<GroupStats>,
    /// Present only in a shard's or an interrupted run's report: what `sim merge` and
    /// `--resume` need to finish it. A complete report has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<Incomplete>,
}

/// One set of parameters run under several seeds: each metric (each field of a histogram, as
/// `register.latency.mean`) over its seeds. A histogram's fields other than `count` are taken
/// over the seeds where it has samples; a figure no seed has is left out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupStats {
    pub params: OrderedMap<ParamValue>,
    pub seeds: Vec<u64>,
    pub metrics: OrderedMap<crate::stats::Interval>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incomplete {
    /// Points of the whole run.
    pub points_total: u64,
    /// `K/N` for a shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// The checks across points, decided once every point is in.
    pub cross_checks: Vec<crate::program::Check>,
    /// The command-line settings the points ran under that their reports do not show (seed,
    /// seeds, `-p`, `--until`, `--max-events`, `--no-lockdep`, `--lock-stat`, `--costs`): the
    /// shards of one run, and a run and its resumption, agree on it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub run: String,
}

/// Why a point's run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum End {
    /// Every process exited.
    Completed,
    /// Every process left is stuck in or behind a deadlock.
    Deadlock,
    /// The `--until` horizon was reached.
    Horizon,
    /// The event budget (`--max-events`) ran out.
    EventBudget,
    /// An explored run stopped at a state another schedule had reached (`sim explore`): what
    /// follows was explored from there.
    Pruned,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointReport {
    /// Position in the run: the sweeps' cross product, seeds innermost.
    pub index: u64,
    pub params: OrderedMap<ParamValue>,
    pub seed: u64,
    pub sim_time_ns: u64,
    pub events: u64,
    pub fingerprint: String,
    pub end: End,
    pub metrics: OrderedMap<MetricValue>,
    /// Metrics of the catalogue this run did not measure, left out of `metrics`: the
    /// `lockdep.*` ones under `--no-lockdep`. Absent when every metric was measured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_measured: Vec<String>,
    pub deadlocks: Vec<DeadlockReport>,
    /// Possible deadlocks and unannotated nesting, as lockdep reports them.
    #[serde(default)]
    pub lockdep: LockdepReport,
    /// /proc/lock_stat's columns per lock class.
    #[serde(default)]
    pub lock_stat: Vec<LockStatRow>,
    /// The same per lock, when asked for (`--lock-stat=instance`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lock_stat_instances: Vec<LockStatRow>,
    /// Steps and actions that found nothing to act on, one entry per line and kind, in the
    /// order they first happened (each also counts in `steps.noop`).
    #[serde(default)]
    pub noops: Vec<NoopReport>,
    /// vmalloc space in use over time: `[time_ns, bytes]` at each change (thinned to at most
    /// a few thousand points, keeping the peak).
    pub vmalloc_in_use: Vec<[u64; 2]>,
    pub checks: Vec<CheckResult>,
}

impl PointReport {
    pub fn metric(&self, name: &str) -> Option<&MetricValue> {
        self.metrics.get(name)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MetricValue {
    Scalar(u64),
    Histogram(HistSummary),
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HistSummary {
    pub count: u64,
    pub min: u64,
    pub mean: f64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
}

impl HistSummary {
    /// One field, as `expect` names it (`.count`, `.min`, `.mean`, ...).
    pub fn field(&self, f: crate::program::HistField) -> f64 {
        use crate::program::HistField;
        match f {
            HistField::Count => self.count as f64,
            HistField::Min => self.min as f64,
            HistField::Mean => self.mean,
            HistField::P50 => self.p50 as f64,
            HistField::P90 => self.p90 as f64,
            HistField::P99 => self.p99 as f64,
            HistField::Max => self.max as f64,
        }
    }
}

/// A step or action that did nothing, at one workload line: what it found, when first, how often.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoopReport {
    pub line: u32,
    pub kind: NoopKind,
    pub first_time_ns: u64,
    pub count: u64,
}

/// Why a step or action had nothing to act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoopKind {
    RegisterNoTarget,
    RegisterAlready,
    UnregisterNoTarget,
    UnregisterMmGone,
    UnregisterNotRegistered,
    TouchNoVma,
    MunmapNoVma,
    MprotectNoVma,
    OomKillNoTarget,
    KillNoTarget,
    SignalNoTarget,
    ReclaimNoPage,
    TruncateUnmapped,
    VmallocFreeNothingHeld,
}

impl NoopKind {
    /// What happened, for a warning that names the line.
    pub fn meaning(self) -> &'static str {
        match self {
            NoopKind::RegisterNoTarget => "register found no live instance of its target: nothing was registered",
            NoopKind::RegisterAlready => "register found the driver already registered on that mm",
            NoopKind::UnregisterNoTarget => "unregister found no instance of its target: nothing was unregistered",
            NoopKind::UnregisterMmGone => {
                "unregister found the target's mm gone (its owner had exited and ->release had run)"
            }
            NoopKind::UnregisterNotRegistered => {
                "unregister found the driver not registered on that mm (never, its register failed, or already unregistered)"
            }
            NoopKind::TouchNoVma => "touch found no VMA in the mm: no page was touched",
            NoopKind::MunmapNoVma => "munmap found no VMA in the mm: nothing was unmapped",
            NoopKind::MprotectNoVma => "mprotect found no VMA in the mm: nothing was changed",
            NoopKind::OomKillNoTarget => "oom_kill found no live instance of its target that was not already dying",
            NoopKind::KillNoTarget => "kill found no live instance of its target that was not already dying",
            NoopKind::SignalNoTarget => "signal found no live instance of its target",
            NoopKind::ReclaimNoPage => "reclaim found no mapped page to walk",
            NoopKind::TruncateUnmapped => "truncate found no VMA mapping the file",
            NoopKind::VmallocFreeNothingHeld => "vmalloc_free found no vmalloc_hog space held",
        }
    }
}

/// One deadlock: the cycle of tasks, each holding the lock the previous one waits for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeadlockReport {
    pub time_ns: u64,
    pub cycle: Vec<DeadlockEdge>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeadlockEdge {
    pub task: String,
    /// What the task was doing (the step and the kernel operation).
    pub doing: String,
    pub holds: String,
    pub waits_for: String,
}

/// lockdep's findings: each possible circular dependency once, and each lock class nested
/// without an annotation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LockdepReport {
    pub cycles: Vec<LockdepCycle>,
    pub nesting: Vec<LockdepDep>,
    /// Set when the instance checks turned themselves off (their tables filled up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub off: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LockdepCycle {
    /// `classes` (an order between lock classes) or `locks` (among the locks of one class).
    pub between: String,
    /// The locks around the cycle, in order.
    pub locks: Vec<String>,
    /// One dependency per edge of the cycle, as first seen; the first closed the cycle.
    pub chain: Vec<LockdepDep>,
}

/// A task held `held` (taken at line `held_line`) and asked for `acquired` at line `line`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LockdepDep {
    pub task: String,
    pub held: String,
    pub held_class: String,
    pub held_line: u32,
    pub acquired: String,
    pub acquired_class: String,
    pub line: u32,
    pub time_ns: u64,
}

/// One row of /proc/lock_stat: a class (or one lock); times in ns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LockStatRow {
    pub name: String,
    #[serde(rename = "con-bounces")]
    pub con_bounces: u64,
    pub contentions: u64,
    #[serde(rename = "waittime-min")]
    pub waittime_min: u64,
    #[serde(rename = "waittime-max")]
    pub waittime_max: u64,
    #[serde(rename = "waittime-total")]
    pub waittime_total: u64,
    #[serde(rename = "waittime-avg")]
    pub waittime_avg: f64,
    #[serde(rename = "acq-bounces")]
    pub acq_bounces: u64,
    pub acquisitions: u64,
    #[serde(rename = "holdtime-min")]
    pub holdtime_min: u64,
    #[serde(rename = "holdtime-max")]
    pub holdtime_max: u64,
    #[serde(rename = "holdtime-total")]
    pub holdtime_total: u64,
    #[serde(rename = "holdtime-avg")]
    pub holdtime_avg: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub line: u32,
    pub text: String,
    /// The measured left-hand side (or slope); `null` when it could not be computed.
    pub value: Option<f64>,
    /// The right-hand side it was compared with (absent for slopes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub against: Option<f64>,
    pub passed: bool,
    /// Not decided: a metric it reads was not measured (`lockdep.*` under `--no-lockdep`).
    /// `passed` is then false, `note` says why, and the line counts as neither passed nor failed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
    /// For checks across points: the parameters of the point or group it was decided on.
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    pub params: OrderedMap<ParamValue>,
    /// Why it could not be decided, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The unit both sides are in: `ns`, `bytes`, or absent for counts, slopes and numbers.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// For slopes fitted through three points or more: the 95% confidence interval of the
    /// slope (its standard error times Student's t at n-2 degrees of freedom).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<[f64; 2]>,
    /// `always`, `sometimes` or `never` as the line says (absent for a plain `expect`).
    #[serde(default, skip_serializing_if = "Qualifier::is_plain")]
    pub qualifier: Qualifier,
    /// Over seeds: at how many of the seeds the line's condition held (`held` of `total`), in a
    /// word, the seed whose figures are shown, the first seed against the line and the first
    /// at which the condition held. Absent on a single run's result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_failing_seed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_held_seed: Option<u64>,
}

/// How often a line's condition held over the seeds: at every one, at some, at none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Always,
    Sometimes,
    Never,
}

impl Verdict {
    pub fn of(held: u32, total: u32) -> Verdict {
        if held == total {
            Verdict::Always
        } else if held == 0 {
            Verdict::Never
        } else {
            Verdict::Sometimes
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Verdict::Always => "Always",
            Verdict::Sometimes => "Sometimes",
            Verdict::Never => "Never",
        }
    }
}

impl<V> OrderedMap<V> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
