//! Lock-scaling charts: a latency or hold-time metric against each numeric swept parameter,
//! log-log, one line per strategy (and per combination of the other swept parameters), each
//! with its fitted log-log slope and the slope's 95% interval; over several seeds each point is
//! the mean with its 95% confidence interval as an error bar. The OOM-kill latency chart is one
//! of them.

use crate::data::{self, Group, Stat};
use crate::render::{Axis, Chart, Format, Scale, Series};
use sim_core::report::Report;
use sim_core::stats;

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
    // Per line: the mean per x, every seed's value (for the fit), and the interval per x.
    struct Line {
        label: String,
        means: Vec<(f64, f64)>,
        all: Vec<(f64, f64)>,
        bars: Vec<(f64, f64, f64)>,
    }
    let mut lines: Vec<Line> = Vec::new();
    let mut seeds = 1;
    for g in groups {
        let Some(xv) = data::int(g.params, x) else { continue };
        let values: Vec<f64> = g.points.iter().filter_map(|p| data::hist(p, metric)).map(|h| stat.of(h)).collect();
        seeds = seeds.max(values.len());
        let Some(interval) = stats::interval(&values) else { continue };
        let y = interval.mean;
        if xv == 0 || y <= 0.0 {
            continue;
        }
        let label = data::label(g.params, keys);
        let i = match lines.iter().position(|l| l.label == label) {
            Some(i) => i,
            None => {
                lines.push(Line { label, means: Vec::new(), all: Vec::new(), bars: Vec::new() });
                lines.len() - 1
            }
        };
        let l = &mut lines[i];
        l.means.push((xv as f64, y));
        l.all.extend(values.iter().map(|&v| (xv as f64, v)));
        if let (Some(lo), Some(hi)) = (interval.ci_low, interval.ci_high) {
            l.bars.push((xv as f64, lo, hi));
        }
    }
    let mut xs: Vec<f64> = lines.iter().flat_map(|l| l.means.iter().map(|p| p.0)).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    if xs.len() < 2 {
        return None;
    }
    let series = lines
        .into_iter()
        .map(|mut l| {
            l.means.sort_by(|a, b| a.0.total_cmp(&b.0));
            let name = if l.label.is_empty() { metric.to_string() } else { l.label };
            // Fitted over every seed's point, as `expect slope(...)` is.
            let label = match stats::log_log_fit(&l.all) {
                Some(f) => match f.ci {
                    Some((lo, hi)) => format!("{name} (slope {:.2} ± {:.2})", f.slope, (hi - lo) / 2.0),
                    None => format!("{name} (slope {:.2})", f.slope),
                },
                None => format!("{name} (one point, no slope)"),
            };
            let bars = if seeds > 1 { l.bars } else { Vec::new() };
            Series { label, line: l.means.clone(), markers: l.means, bars }
        })
        .collect();
    let format = Format::of_metric(metric);
    let per_point = match stat {
        s if seeds > 1 => format!("{} per point, averaged over {seeds} seeds", s.words()),
        s => format!("{} per point", s.words()),
    };
    let at = if at.is_empty() { String::new() } else { format!(" at {at}") };
    Some(Chart {
        name: format!("scaling-{}-vs-{}", data::file_part(metric), data::file_part(x)),
        title: format!(
            "{}: {metric} against {x}{at} (log-log{})",
            report.workload,
            if seeds > 1 { "; bars: 95% confidence intervals" } else { "" }
        ),
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

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::program::ParamValue;
    use sim_core::report::{End, HistSummary, MetricValue, OrderedMap, PointReport};

    fn point(vmas: u64, seed: u64, latency: u64) -> PointReport {
        let h = HistSummary {
            count: 1,
            min: latency,
            mean: latency as f64,
            p50: latency,
            p90: latency,
            p99: latency,
            max: latency,
        };
        PointReport {
            index: 0,
            params: OrderedMap(vec![("vmas".to_string(), ParamValue::Int(vmas))]),
            seed,
            sim_time_ns: 0,
            events: 0,
            fingerprint: String::new(),
            end: End::Completed,
            metrics: OrderedMap(vec![("register.latency".to_string(), MetricValue::Histogram(h))]),
            deadlocks: Vec::new(),
            lockdep: Default::default(),
            lock_stat: Vec::new(),
            lock_stat_instances: Vec::new(),
            not_measured: Vec::new(),
            noops: Vec::new(),
            vmalloc_in_use: Vec::new(),
            checks: Vec::new(),
        }
    }

    /// Five seeds of 1, 2, 3, 4, 5 us at each vmas: the bar is 3 us ± t(4) * s / sqrt(5), by hand
    /// s = sqrt(10 / 4) = 1.5811388, so 3 ± 1.9632432 us: 1.0367568 to 4.9632432 us.
    #[test]
    fn error_bars_are_the_95_percent_interval_over_seeds() {
        let mut points = Vec::new();
        for vmas in [16, 32] {
            for seed in 1..=5 {
                points.push(point(vmas, seed, 1000 * seed));
            }
        }
        let report = Report {
            sim: String::new(),
            workload: "w".to_string(),
            source: String::new(),
            cost_overrides: OrderedMap::default(),
            units: OrderedMap::default(),
            points,
            checks: Vec::new(),
            verdicts: Vec::new(),
            statistics: Vec::new(),
            incomplete: None,
        };
        let groups = data::groups(&report);
        let charts = charts(&report, &groups, &["vmas".to_string()]);
        let chart = charts.iter().find(|c| c.name == "scaling-register.latency-vs-vmas").expect("chart");
        assert!(chart.title.contains("bars: 95% confidence intervals"), "{}", chart.title);
        let bars = &chart.series[0].bars;
        assert_eq!(bars.len(), 2);
        for &(x, lo, hi) in bars {
            assert!(x == 16.0 || x == 32.0);
            assert!((lo - 1036.7568).abs() < 1e-3 && (hi - 4963.2432).abs() < 1e-3, "{lo} {hi}");
        }
        assert_eq!(chart.series[0].markers, vec![(16.0, 3000.0), (32.0, 3000.0)]);
    }
}
