//! Approximate latency CDFs from the quantiles a report keeps (min, p50, p90, p99, max): a lower
//! staircase, one per strategy, at the largest value of each numeric swept parameter.

use crate::data::{self, Group};
use crate::render::{Axis, Chart, Format, Scale, Series};
use crate::ticks;
use sim_core::report::Report;

const METRICS: [&str; 2] = ["register.latency", "unregister.latency"];

/// The fractions of calls at or below each quantile kept.
const LEVELS: [f64; 5] = [0.0, 0.5, 0.9, 0.99, 1.0];

pub fn charts(report: &Report, groups: &[Group<'_>], swept: &[String]) -> Vec<Chart> {
    let numeric = data::numeric(report, swept);
    // The largest value of each numeric swept parameter: where the strategies differ most.
    let (chosen, at) = data::at_largest(groups, &numeric);
    let keys = data::line_keys(report, swept, &numeric);
    METRICS.iter().filter_map(|m| chart(report, &chosen, &keys, &at, m)).collect()
}

fn chart(report: &Report, groups: &[&Group<'_>], keys: &[String], at: &str, metric: &str) -> Option<Chart> {
    // Per line: the five quantiles (averaged over seeds), the calls per seed and the seeds.
    let mut lines: Vec<(String, [f64; 5], u64, usize)> = Vec::new();
    for g in groups {
        let hists: Vec<_> = g.points.iter().filter_map(|p| data::hist(p, metric)).collect();
        let q = |f: fn(&sim_core::report::HistSummary) -> u64| data::mean(hists.iter().map(|h| f(h) as f64));
        let (Some(min), Some(p50), Some(p90), Some(p99), Some(max)) =
            (q(|h| h.min), q(|h| h.p50), q(|h| h.p90), q(|h| h.p99), q(|h| h.max))
        else {
            continue;
        };
        let calls = hists.iter().map(|h| h.count).max().unwrap_or(0);
        let name = data::label(g.params, keys);
        let name = if name.is_empty() { metric.to_string() } else { name };
        lines.push((name, [min, p50, p90, p99, max], calls, hists.len()));
    }
    // A distribution of one call has no shape to show.
    if lines.iter().all(|l| l.2 < 2) {
        return None;
    }
    let lo = lines.iter().map(|l| l.1[0]).fold(f64::INFINITY, f64::min);
    let hi = lines.iter().map(|l| l.1[4]).fold(0.0, f64::max);
    let log = lo > 0.0 && hi / lo > 30.0;
    let unit = ticks::time_unit(hi);
    let scale_x = |v: f64| if log { v } else { v / unit.div };
    let series = lines
        .into_iter()
        .map(|(name, q, calls, seeds)| {
            let points: Vec<(f64, f64)> = q.iter().zip(LEVELS).map(|(&v, l)| (scale_x(v), l)).collect();
            // The fraction of calls at or below x is at least the level of the last quantile <= x.
            let mut line = Vec::with_capacity(2 * points.len());
            for (i, &(v, l)) in points.iter().enumerate() {
                if i > 0 {
                    line.push((v, points[i - 1].1));
                }
                line.push((v, l));
            }
            let per = if calls == 1 { "call" } else { "calls" };
            let label = if seeds > 1 {
                format!("{name} ({seeds} seeds × {calls} {per}, mean quantiles)")
            } else {
                format!("{name} ({calls} {per})")
            };
            Series { label, line, markers: points, bars: Vec::new() }
        })
        .collect();
    let x = if log {
        Axis {
            label: format!("{metric} (time, log scale)"),
            scale: Scale::Log,
            format: Format::Duration,
            ticks: None,
            from_zero: false,
        }
    } else {
        Axis {
            label: format!("{metric} ({})", unit.name),
            scale: Scale::Linear,
            format: Format::Plain,
            ticks: None,
            from_zero: false,
        }
    };
    let at = if at.is_empty() { String::new() } else { format!(" at {at}") };
    Some(Chart {
        name: format!("cdf-{}", data::file_part(metric)),
        title: format!("{}: {metric} CDF{at}, quantile-based", report.workload),
        x,
        y: Axis {
            label: "fraction of calls (steps at min, p50, p90, p99, max)".to_string(),
            scale: Scale::Linear,
            format: Format::Plain,
            ticks: Some(vec![0.0, 0.25, 0.5, 0.75, 0.9, 1.0]),
            from_zero: true,
        },
        series,
    })
}
