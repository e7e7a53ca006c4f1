//! Lock-scaling charts: a latency or hold-time metric against each numeric swept parameter,
//! log-log, one line per strategy (and per combination of the other swept parameters), each
//! with its fitted log-log slope. The OOM-kill latency chart is one of them.

use crate::data::{self, Group, Stat};
use crate::render::{Axis, Chart, Format, Scale, Series};
use sim_core::checks::log_log_slope;
use sim_core::report::{HistSummary, Report};

/// The metrics charted, each with the statistic of a point's histogram that stands for it:
/// latencies by their mean; the OOM kill and the kill response (one per run), the lock hold and
/// the preempt-off interval (worst case) by max; reclaim stalls by their 90th percentile.
const METRICS: [(&str, Stat); 7] = [
    ("register.latency", Stat::Mean),
    ("unregister.latency", Stat::Mean),
    ("mm_lock.hold", Stat::Max),
    ("oom.kill_latency", Stat::Max),
    ("kill.response", Stat::Max),
    ("preempt_off", Stat::Max),
    ("reclaim.stall", Stat::P90),
];

/// The metric a scaling chart shows, for charts this module drew.
pub fn metric_of(chart: &Chart) -> Option<&'static str> {
    METRICS.iter().map(|m| m.0).find(|m| chart.name.starts_with(&format!("scaling-{}-vs-", data::file_part(m))))
}

/// More lines than this and the other numeric swept parameters are held at their largest value.
const MAX_LINES: usize = 12;

pub fn charts(report: &Report, groups: &[Group<'_>], swept: &[String]) -> Vec<Chart> {
    let numeric = data::numeric(report, swept);
    let mut out = Vec::new();
    for x in &numeric {
        let mut except = vec![x.clone()];
        let keys = data::line_keys(report, swept, &except);
        let mut labels: Vec<String> = groups.iter().map(|g| data::label(g.params, &keys)).collect();
        labels.sort();
        labels.dedup();
        let others: Vec<String> = numeric.iter().filter(|k| *k != x).cloned().collect();
        let (chosen, at) = if labels.len() > MAX_LINES && !others.is_empty() {
            except.extend(others.iter().cloned());
            data::at_largest(groups, &others)
        } else {
            (groups.iter().collect(), String::new())
        };
        let keys = data::line_keys(report, swept, &except);
        for (metric, stat) in METRICS {
            out.extend(chart(report, &chosen, &keys, x, &at, metric, stat));
        }
    }
    out
}

/// `metric` against `x`: one line per value of `keys` among `groups`; `at` names the values
/// other parameters were held at.
fn chart(
    report: &Report,
    groups: &[&Group<'_>],
    keys: &[String],
    x: &str,
    at: &str,
    metric: &str,
    stat: Stat,
) -> Option<Chart> {
    let mut lines: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    let mut seeds = 1;
    for g in groups {
        let Some(xv) = data::int(g.params, x) else { continue };
        let hists: Vec<&HistSummary> = g.points.iter().filter_map(|p| data::hist(p, metric)).collect();
        seeds = seeds.max(hists.len());
        let Some(y) = data::mean(hists.iter().map(|h| stat.of(h))) else { continue };
        if xv == 0 || y <= 0.0 {
            continue;
        }
        let label = data::label(g.params, keys);
        match lines.iter_mut().find(|l| l.0 == label) {
            Some(l) => l.1.push((xv as f64, y)),
            None => lines.push((label, vec![(xv as f64, y)])),
        }
    }
    let mut xs: Vec<f64> = lines.iter().flat_map(|l| l.1.iter().map(|p| p.0)).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    if xs.len() < 2 {
        return None;
    }
    let series = lines
        .into_iter()
        .map(|(name, mut pts)| {
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let name = if name.is_empty() { metric.to_string() } else { name };
            let label = match log_log_slope(&pts) {
                Some(s) => format!("{name} (slope {s:.2})"),
                None => format!("{name} (one point, no slope)"),
            };
            Series { label, line: pts.clone(), markers: pts }
        })
        .collect();
    let format = Format::of_metric(metric);
    let per_point = match stat {
        Stat::Mean if seeds > 1 => format!("mean per point, averaged over {seeds} seeds"),
        Stat::Max if seeds > 1 => format!("max per point, averaged over {seeds} seeds"),
        s => format!("{} per point", s.words()),
    };
    let at = if at.is_empty() { String::new() } else { format!(" at {at}") };
    Some(Chart {
        name: format!("scaling-{}-vs-{}", data::file_part(metric), data::file_part(x)),
        title: format!("{}: {metric} against {x}{at} (log-log)", report.workload),
        x: Axis {
            label: format!("{x} (log scale)"),
            scale: Scale::Log,
            format: Format::Plain,
            ticks: Some(xs),
            from_zero: false,
        },
        y: Axis {
            label: format!("{metric}, {per_point} ({}, log scale)", format.words()),
            scale: Scale::Log,
            format,
            ticks: None,
            from_zero: false,
        },
        series,
    })
}
