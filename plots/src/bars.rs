//! Bar charts for sweeps a scaling chart cannot show: strategies, booleans, names. One chart per
//! metric of a curated list that differs between points, one bar per point in report order (the
//! mean over seeds, with a min-to-max whisker), coloured by strategy.

use crate::barplot::{Bar, BarChart, Part};
use crate::data::{self, Group, Stat};
use crate::render::{Format, PALETTE};
use sim_core::metrics::{Metric, MetricKind};
use sim_core::program::ParamValue;
use sim_core::report::{MetricValue, OrderedMap, PointReport, Report};

/// The metrics drawn as bars, in this order: counts and gauges (the statistic is unused), then
/// histograms by the statistic that tells the points apart.
const METRICS: [(&str, Stat); 17] = [
    ("deadlock.count", Stat::Max),
    ("invalidate.missed", Stat::Max),
    ("race.unregister_release", Stat::Max),
    ("atomic_sleep", Stat::Max),
    ("register.failed", Stat::Max),
    ("register.eintr", Stat::Max),
    ("register.enomem", Stat::Max),
    ("unregister.failed", Stat::Max),
    ("vmalloc.failed", Stat::Max),
    ("preempt.overflow", Stat::Max),
    ("lockdep.overflow", Stat::Max),
    ("vmalloc.pinned_peak", Stat::Max),
    ("register.latency", Stat::Mean),
    ("unregister.latency", Stat::Mean),
    ("reclaim.stall", Stat::P90),
    ("oom.kill_latency", Stat::Max),
    ("rmap.walk", Stat::Min),
];

/// More points than this are a sweep for a scaling chart, not a row of bars.
pub const MAX_BARS: usize = 32;

/// The bar charts that fit the report; `covered` names metrics a scaling chart already shows.
pub fn charts(report: &Report, groups: &[Group<'_>], swept: &[String], covered: &[&str]) -> Vec<BarChart> {
    if groups.len() < 2 || groups.len() > MAX_BARS {
        return Vec::new();
    }
    // Colours follow the strategies in the order they first appear, as the line charts' do.
    let mut strategies: Vec<String> = Vec::new();
    let colors: Vec<usize> = groups
        .iter()
        .map(|g| match g.params.get("strategy") {
            Some(s) => {
                let s = s.to_string();
                strategies.iter().position(|k| *k == s).unwrap_or_else(|| {
                    strategies.push(s);
                    strategies.len() - 1
                })
            }
            None => 0,
        })
        .collect();
    // A legend for two strategies or more, as long as each has a colour of its own.
    let legend = if (2..=PALETTE.len()).contains(&strategies.len()) { strategies } else { Vec::new() };
    let labels: Vec<Vec<Part>> = groups.iter().map(|g| label(g.params, swept)).collect();
    let seeds = data::replications(groups);
    METRICS
        .iter()
        .filter(|(m, _)| !covered.contains(m))
        .filter_map(|&(metric, stat)| {
            let bars = bars(report, groups, metric, stat, &labels, &colors)?;
            Some(describe(report, swept, metric, stat, seeds, bars, legend.clone()))
        })
        .collect()
}

/// A bar's name, one part per swept parameter: names bare ("mm_lock"), others as `name=value`.
fn label(params: &OrderedMap<ParamValue>, swept: &[String]) -> Vec<Part> {
    swept
        .iter()
        .filter_map(|k| {
            params.get(k).map(|v| Part {
                text: match v {
                    ParamValue::Name(s) => s.clone(),
                    v => format!("{k}={v}"),
                },
                value: v.to_string(),
            })
        })
        .collect()
}

/// A point's value of `metric`: a count or gauge as it is, a histogram by `stat` (none without
/// samples).
fn value(p: &PointReport, metric: &str, stat: Stat) -> Option<f64> {
    match p.metric(metric)? {
        MetricValue::Scalar(v) => Some(*v as f64),
        MetricValue::Histogram(h) if h.count > 0 => Some(stat.of(h)),
        MetricValue::Histogram(_) => None,
    }
}

/// Each group's bar: the mean over seeds and, with several seeds, their range; none when `metric`
/// is zero at every point or the same at every point.
fn bars(
    report: &Report,
    groups: &[Group<'_>],
    metric: &str,
    stat: Stat,
    labels: &[Vec<Part>],
    colors: &[usize],
) -> Option<Vec<Bar>> {
    let all: Vec<Option<f64>> = report.points.iter().map(|p| value(p, metric, stat)).collect();
    if !all.iter().any(|v| v.is_some_and(|v| v != 0.0)) || all.windows(2).all(|w| w[0] == w[1]) {
        return None;
    }
    let bars = groups
        .iter()
        .zip(labels.iter().zip(colors))
        .map(|(g, (label, &color))| {
            let values: Vec<f64> = g.points.iter().filter_map(|p| value(p, metric, stat)).collect();
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            Bar {
                label: label.clone(),
                value: data::mean(values.iter().copied()),
                range: (values.len() > 1 && hi > lo).then_some((lo, hi)),
                color,
            }
        })
        .collect();
    Some(bars)
}

fn describe(
    report: &Report,
    swept: &[String],
    metric: &str,
    stat: Stat,
    seeds: usize,
    bars: Vec<Bar>,
    legend: Vec<String>,
) -> BarChart {
    let info = Metric::by_name(metric).map(|m| m.info());
    let format = Format::of_metric(metric);
    let histogram = info.is_some_and(|i| i.kind == MetricKind::Histogram);
    let (title, y_label) = if histogram {
        (
            format!("{}: {metric}, {} per point", report.workload, stat.words()),
            format!("{metric}, {} per point ({})", stat.words(), format.words()),
        )
    } else {
        (format!("{}: {metric}", report.workload), format!("{metric} ({})", format.words()))
    };
    let mut subtitle = info.map(|i| i.meaning.to_string()).unwrap_or_default();
    if seeds > 1 {
        subtitle.push_str(&format!("; bars: mean of {seeds} seeds, whiskers: min to max"));
    }
    BarChart {
        name: format!("bars-{}", data::file_part(metric)),
        title,
        subtitle,
        x_label: swept.join(" / "),
        y_label,
        format,
        bars,
        legend,
    }
}
