//! The calibration file (`sim calibrate --json`): one row per design and the measured costs,
//! and the reader `sim costs --from` and `sim run --costs` use.

use serde::{Deserialize, Serialize};
use sim_core::cost::{Cost, Costs, COSTS};
use std::collections::BTreeMap;

/// What `sim calibrate` measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// sim's version.
    pub sim: String,
    /// `quick`, `full` or `tiny`.
    pub mode: String,
    /// CPUs the host offers, and the reclaim walks the contending thread made while timing.
    pub host_cpus: u32,
    pub reclaim_walks: u64,
    /// Timing rounds per point (each point's time is the median of its rounds).
    pub rounds: u32,
    /// Timed batches, and those during which another program had this thread's CPU (their
    /// wait taken off; one that ran for less than a tenth of its time is dropped).
    pub batches: u64,
    pub preempted_batches: u64,
    /// The layout both sides locked, in words.
    pub layout: String,
    pub designs: Vec<DesignRow>,
    /// Cost-model parameters (the names of `sim costs`) measured here, in ns.
    pub costs: BTreeMap<String, f64>,
}

/// One design: its points, both exponents and the costs derived from its timings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DesignRow {
    pub design: String,
    /// Fitted log-log exponent of the host's lock-all time in N.
    pub host_exponent: Option<f64>,
    /// The same fit of the model's `register.latency`, default costs.
    pub sim_exponent: Option<f64>,
    /// The same fit of the model run with the `costs` measured here.
    pub sim_host_costs_exponent: Option<f64>,
    /// Host ns per lock taken (and released) at the largest N, v13's sort left out; `None`
    /// for v11, whose time is its scans'.
    pub per_lock_ns: Option<f64>,
    /// Host ns per comparison of v13's heap sort at the largest N; `None` for the others.
    pub per_sort_step_ns: Option<f64>,
    pub points: Vec<Point>,
}

/// One N of one design.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub vmas: u32,
    /// Distinct locks the lock-all took.
    pub locks: u32,
    /// Median over rounds of the host's lock-all and unlock, ns.
    pub host_ns: f64,
    /// Fastest and slowest round, ns.
    pub host_ns_min: f64,
    pub host_ns_max: f64,
    /// v13: comparisons of its two sorts, and the medians of its fill and sort phases, ns.
    pub comparisons: u64,
    pub fill_ns: f64,
    pub sort_ns: f64,
    /// The model's register.latency: default costs, and the costs measured here.
    pub sim_ns: u64,
    pub sim_host_costs_ns: u64,
}

impl Calibration {
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// A measured cost as the model takes it: whole nanoseconds, and at least 1 ns for anything
/// measured above zero (the model's resolution; 0 would make the step free).
pub fn model_ns(ns: f64) -> u64 {
    if ns > 0.0 {
        (ns.round() as u64).max(1)
    } else {
        0
    }
}

/// The `costs` object of a calibration file (or of any JSON file that has one): each entry a
/// cost name of `sim costs` and a non-negative number of ns, in `sim costs` order.
pub fn read_costs(text: &str) -> Result<Vec<(Cost, f64)>, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let costs = value
        .get("costs")
        .ok_or("no `costs` object (write one with `sim calibrate --json FILE`)")?
        .as_object()
        .ok_or("`costs` is not an object of NAME: nanoseconds")?;
    let mut out = Vec::new();
    for (name, v) in costs {
        let cost = Cost::by_name(name).ok_or_else(|| {
            let names: Vec<&str> = COSTS.iter().map(|c| c.name).collect();
            format!("unknown cost `{name}` in `costs` (the costs are: {})", names.join(", "))
        })?;
        let ns = v
            .as_f64()
            .filter(|ns| ns.is_finite() && *ns >= 0.0)
            .ok_or_else(|| format!("cost `{name}`: {v} is not a non-negative number of ns"))?;
        out.push((cost, ns));
    }
    out.sort_by_key(|&(c, _)| c);
    Ok(out)
}

/// The default costs with `measured` laid over them.
pub fn apply(costs: &mut Costs, measured: &[(Cost, f64)]) {
    for &(c, ns) in measured {
        costs.set(c, model_ns(ns));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> DesignRow {
        DesignRow {
            design: "mm_lock".into(),
            host_exponent: Some(1.12),
            sim_exponent: Some(1.07),
            sim_host_costs_exponent: None,
            per_lock_ns: Some(9.5),
            per_sort_step_ns: Some(3.25),
            points: vec![Point {
                vmas: 1024,
                locks: 784,
                host_ns: 41_000.5,
                host_ns_min: 40_000.0,
                host_ns_max: 52_000.0,
                comparisons: 15_000,
                fill_ns: 900.0,
                sort_ns: 30_000.0,
                sim_ns: 150_000,
                sim_host_costs_ns: 60_000,
            }],
        }
    }

    #[test]
    fn a_calibration_round_trips_through_json_and_its_costs_read_back() {
        let c = Calibration {
            sim: "0.1.0".into(),
            mode: "quick".into(),
            host_cpus: 2,
            reclaim_walks: 10,
            rounds: 9,
            batches: 27,
            preempted_batches: 1,
            layout: "test".into(),
            designs: vec![row()],
            costs: [("lock_compare".to_string(), 3.25), ("vma_step".to_string(), 0.4)].into_iter().collect(),
        };
        let text = c.to_json();
        let back: Calibration = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, c);
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["designs"][0]["design"], "mm_lock");
        assert!(v["designs"][0]["host_exponent"].is_number());
        assert!(v["designs"][0]["sim_host_costs_exponent"].is_null());
        let costs = read_costs(&text).expect("costs");
        assert_eq!(costs, vec![(Cost::VmaStep, 0.4), (Cost::LockCompare, 3.25)]);
        let mut table = Costs::default();
        apply(&mut table, &costs);
        assert_eq!(table.get(Cost::VmaStep), 1, "a measured cost is at least 1 ns");
        assert_eq!(table.get(Cost::LockCompare), 3);
        assert_eq!(table.get(Cost::Fault), Costs::default().get(Cost::Fault));
    }

    #[test]
    fn bad_cost_files_say_what_is_wrong() {
        let err = |t: &str| read_costs(t).expect_err("rejected");
        assert!(err("{").contains("not JSON"));
        assert!(err("{}").contains("no `costs`"));
        assert!(err(r#"{"costs": 3}"#).contains("not an object"));
        assert!(err(r#"{"costs": {"vma_stp": 1}}"#).contains("unknown cost `vma_stp`"));
        assert!(err(r#"{"costs": {"vma_step": -1}}"#).contains("non-negative"));
        assert!(err(r#"{"costs": {"vma_step": "4ns"}}"#).contains("non-negative"));
        assert_eq!(read_costs(r#"{"costs": {}}"#), Ok(Vec::new()));
    }
}
