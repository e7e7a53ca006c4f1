//! vmalloc space in use over simulated time: one step line per point (first seed) that used any.

use crate::data::{self, Group};
use crate::render::{Axis, Chart, Format, Scale, Series};
use crate::ticks;
use sim_core::report::Report;

pub fn charts(report: &Report, groups: &[Group<'_>], swept: &[String]) -> Vec<Chart> {
    let keys = data::line_keys(report, swept, &[]);
    // Replications would only multiply near-identical lines: the first seed stands for each point.
    let replicated = data::replications(groups) > 1;
    let mut lines: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for p in groups.iter().filter_map(|g| g.points.first()) {
        if p.vmalloc_in_use.iter().all(|s| s[1] == 0) {
            continue;
        }
        let mut label = data::label(&p.params, &keys);
        if label.is_empty() {
            label = format!("point {}", p.index);
        }
        // A step series: each value holds until the next change, the last one to the end of the run.
        let mut steps: Vec<(f64, f64)> = Vec::with_capacity(2 * p.vmalloc_in_use.len() + 1);
        for &[t, b] in &p.vmalloc_in_use {
            if let Some(&(_, prev)) = steps.last() {
                steps.push((t as f64, prev));
            }
            steps.push((t as f64, b as f64));
        }
        if let Some(&(t, b)) = steps.last() {
            if (p.sim_time_ns as f64) > t {
                steps.push((p.sim_time_ns as f64, b));
            }
        }
        lines.push((label, steps));
    }
    if lines.is_empty() {
        return Vec::new();
    }
    let t_max = lines.iter().flat_map(|l| l.1.iter().map(|p| p.0)).fold(0.0, f64::max);
    let b_max = lines.iter().flat_map(|l| l.1.iter().map(|p| p.1)).fold(0.0, f64::max);
    let (tu, bu) = (ticks::time_unit(t_max), ticks::byte_unit(b_max));
    let series = lines
        .into_iter()
        .map(|(label, steps)| Series {
            label,
            line: steps.into_iter().map(|(t, b)| (t / tu.div, b / bu.div)).collect(),
            markers: Vec::new(),
        })
        .collect();
    vec![Chart {
        name: "vmalloc-in-use".to_string(),
        title: format!(
            "{}: vmalloc space in use over time{}",
            report.workload,
            if replicated { " (first seed of each point)" } else { "" }
        ),
        x: Axis {
            label: format!("simulated time ({})", tu.name),
            scale: Scale::Linear,
            format: Format::Plain,
            ticks: None,
            from_zero: true,
        },
        y: Axis {
            label: format!("vmalloc space in use ({})", bu.name),
            scale: Scale::Linear,
            format: Format::Plain,
            ticks: None,
            from_zero: true,
        },
        series,
    }]
}
