//! What the charts read from a report: points grouped by their parameters (replications under
//! different seeds merged), the swept parameters, and line labels.

use sim_core::program::ParamValue;
use sim_core::report::{HistSummary, MetricValue, OrderedMap, PointReport, Report};
use std::collections::BTreeMap;

/// The points that share one set of parameters: one per seed.
pub struct Group<'a> {
    pub params: &'a OrderedMap<ParamValue>,
    pub points: Vec<&'a PointReport>,
}

/// The report's points grouped by parameters, in report order.
pub fn groups(report: &Report) -> Vec<Group<'_>> {
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut out: Vec<Group<'_>> = Vec::new();
    for p in &report.points {
        let key = format!("{:?}", p.params.0);
        match index.get(&key) {
            Some(&i) => out[i].points.push(p),
            None => {
                index.insert(key, out.len());
                out.push(Group { params: &p.params, points: vec![p] });
            }
        }
    }
    out
}

/// The most seeds any set of parameters was run with.
pub fn replications(groups: &[Group<'_>]) -> usize {
    groups.iter().map(|g| g.points.len()).max().unwrap_or(0)
}

/// The parameters whose value is not the same at every point, in the order they first appear.
pub fn swept(report: &Report) -> Vec<String> {
    let mut names: Vec<&str> = Vec::new();
    for p in &report.points {
        for (k, _) in p.params.iter() {
            if !names.contains(&k.as_str()) {
                names.push(k);
            }
        }
    }
    names
        .into_iter()
        .filter(|k| {
            let first = report.points.first().and_then(|p| p.params.get(k));
            report.points.iter().any(|p| p.params.get(k) != first)
        })
        .map(str::to_string)
        .collect()
}

/// The swept parameters that are integers at every point: the ones a chart can put on an axis.
pub fn numeric(report: &Report, swept: &[String]) -> Vec<String> {
    swept
        .iter()
        .filter(|k| report.points.iter().all(|p| matches!(p.params.get(k), Some(ParamValue::Int(_)))))
        .cloned()
        .collect()
}

/// The groups where each of `keys` (integer parameters) has its largest value, and that
/// restriction in words ("vmas=16384, cpus=8"; empty when `keys` is).
pub fn at_largest<'g, 'a>(groups: &'g [Group<'a>], keys: &[String]) -> (Vec<&'g Group<'a>>, String) {
    let top: Vec<(&String, u64)> =
        keys.iter().filter_map(|k| groups.iter().filter_map(|g| int(g.params, k)).max().map(|m| (k, m))).collect();
    let chosen = groups.iter().filter(|g| top.iter().all(|(k, m)| int(g.params, k) == Some(*m))).collect();
    (chosen, top.iter().map(|(k, m)| format!("{k}={m}")).collect::<Vec<_>>().join(", "))
}

/// An integer parameter's value.
pub fn int(params: &OrderedMap<ParamValue>, key: &str) -> Option<u64> {
    match params.get(key) {
        Some(ParamValue::Int(v)) => Some(*v),
        _ => None,
    }
}

/// `strategy` first (when there is one), then `others` that are not `strategy` nor in `except`.
pub fn line_keys(report: &Report, others: &[String], except: &[String]) -> Vec<String> {
    let mut keys = Vec::new();
    if report.points.iter().any(|p| p.params.get("strategy").is_some()) {
        keys.push("strategy".to_string());
    }
    keys.extend(others.iter().filter(|k| *k != "strategy" && !except.contains(k)).cloned());
    keys
}

/// A line's name: the strategy bare, other parameters as `name=value`, comma-separated.
pub fn label(params: &OrderedMap<ParamValue>, keys: &[String]) -> String {
    keys.iter()
        .filter_map(|k| params.get(k).map(|v| if k == "strategy" { v.to_string() } else { format!("{k}={v}") }))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statistic of a point's histogram that stands for it on a chart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stat {
    Min,
    Mean,
    P90,
    Max,
}

impl Stat {
    pub fn of(self, h: &HistSummary) -> f64 {
        match self {
            Stat::Min => h.min as f64,
            Stat::Mean => h.mean,
            Stat::P90 => h.p90 as f64,
            Stat::Max => h.max as f64,
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Stat::Min => "min",
            Stat::Mean => "mean",
            Stat::P90 => "p90",
            Stat::Max => "max",
        }
    }
}

/// A histogram metric of a point, when it has samples.
pub fn hist<'a>(p: &'a PointReport, metric: &str) -> Option<&'a HistSummary> {
    match p.metric(metric) {
        Some(MetricValue::Histogram(h)) if h.count > 0 => Some(h),
        _ => None,
    }
}

/// The mean of `values`, if there are any.
pub fn mean(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.into_iter().fold((0.0, 0u32), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / f64::from(n))
}

/// Replaces what cannot go in a file name.
pub fn file_part(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect()
}
