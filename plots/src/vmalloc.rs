//! vmalloc space in use over simulated time: a step line for a run that used any; for a sweep,
//! one small panel per point (first seed) on a shared scale, or per strategy at the largest
//! value of each numeric swept parameter when the points are too many for a page.

use crate::data::{self, Group};
use crate::panels::{Panel, Panels};
use crate::render::{Axis, Chart, Format, Scale, Series};
use crate::ticks;
use sim_core::report::{PointReport, Report};

/// More panels than this and the sweep is shown at its largest values.
pub const MAX_PANELS: usize = 12;

/// The vmalloc chart of a report: one line, or small multiples.
pub enum Figure {
    Single(Chart),
    Panels(Panels),
}

/// A step series: each value holds until the next change, the last one to the end of the run.
fn steps(p: &PointReport) -> Vec<(f64, f64)> {
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
    steps
}

fn used(p: &PointReport) -> bool {
    p.vmalloc_in_use.iter().any(|s| s[1] != 0)
}

pub fn figure(report: &Report, groups: &[Group<'_>], swept: &[String]) -> Option<Figure> {
    let keys = data::line_keys(report, swept, &[]);
    // Replications would only multiply near-identical lines: the first seed stands for each point.
    let replicated = data::replications(groups) > 1;
    let mut chosen: Vec<&PointReport> =
        groups.iter().filter_map(|g| g.points.first().copied()).filter(|p| used(p)).collect();
    let mut at = String::new();
    if chosen.len() > MAX_PANELS {
        let numeric = data::numeric(report, swept);
        let (largest, words) = data::at_largest(groups, &numeric);
        chosen = largest.iter().filter_map(|g| g.points.first().copied()).filter(|p| used(p)).collect();
        at = words;
    }
    let total = chosen.len();
    chosen.truncate(MAX_PANELS);
    // Colours follow the strategies in the order they first appear, as the other charts' do.
    let mut strategies: Vec<String> = Vec::new();
    for p in &report.points {
        if let Some(s) = p.params.get("strategy").map(|s| s.to_string()) {
            if !strategies.contains(&s) {
                strategies.push(s);
            }
        }
    }
    // In nanoseconds and bytes until the units are chosen.
    let lines: Vec<Panel> = chosen
        .iter()
        .map(|p| {
            let label = data::label(&p.params, &keys);
            let color =
                p.params.get("strategy").and_then(|s| strategies.iter().position(|k| *k == s.to_string())).unwrap_or(0)
                    % crate::render::PALETTE.len();
            let title = if label.is_empty() { format!("point {}", p.index) } else { label };
            Panel { title, line: steps(p), color }
        })
        .collect();
    if lines.is_empty() {
        return None;
    }
    let t_max = lines.iter().flat_map(|l| l.line.iter().map(|p| p.0)).fold(0.0, f64::max);
    let b_max = lines.iter().flat_map(|l| l.line.iter().map(|p| p.1)).fold(0.0, f64::max);
    let (tu, bu) = (ticks::time_unit(t_max), ticks::byte_unit(b_max));
    let scaled = |steps: Vec<(f64, f64)>| steps.into_iter().map(|(t, b)| (t / tu.div, b / bu.div)).collect::<Vec<_>>();
    let seeds = if replicated { " (first seed of each point)" } else { "" };
    if lines.len() == 1 {
        let Panel { title: label, line, .. } = lines.into_iter().next()?;
        return Some(Figure::Single(Chart {
            name: "vmalloc-in-use".to_string(),
            title: format!("{}: vmalloc space in use over time{seeds}", report.workload),
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
            series: vec![Series { label, line: scaled(line), markers: Vec::new(), bars: Vec::new() }],
        }));
    }
    let at = if at.is_empty() { String::new() } else { format!(" at {at}") };
    let more = if total > MAX_PANELS { format!(", the first {MAX_PANELS} of {total}") } else { String::new() };
    Some(Figure::Panels(Panels {
        name: "vmalloc-in-use".to_string(),
        title: format!("{}: vmalloc space in use over time{at}{seeds}{more}", report.workload),
        subtitle: format!(
            "one panel per point; across: simulated time ({}), up: vmalloc space in use ({}), the same scale in every panel",
            tu.name, bu.name
        ),
        y_format: Format::Plain,
        panels: lines.into_iter().map(|p| Panel { line: scaled(p.line), ..p }).collect(),
    }))
}
