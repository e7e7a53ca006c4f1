//! The report: plain serde data, written as JSON by the binary and read back by `sim plot` and
//! `sim merge`. Field order is fixed, so equal runs give equal bytes.

use crate::program::ParamValue;
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
    pub points: Vec<PointReport>,
    pub checks: Vec<CheckResult>,
    /// Present only in a shard's or an interrupted run's report: what `sim merge` and
    /// `--resume` need to finish it. A complete report has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<Incomplete>,
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub line: u32,
    pub text: String,
    /// The measured left-hand side (or slope); `null` when it could not be computed.
    pub value: Option<f64>,
    /// The right-hand side it was compared with (absent for slopes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub against: Option<f64>,
    pub passed: bool,
    /// For checks across points: the parameters of the point or group it was decided on.
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    pub params: OrderedMap<ParamValue>,
    /// Why it could not be decided, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl<V> OrderedMap<V> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
