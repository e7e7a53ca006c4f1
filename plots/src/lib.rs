//! Charts drawn from sim-core's report types: lock scaling (log-log, with fitted slopes and,
//! over seeds, 95% intervals), vmalloc space over time (small multiples for a sweep),
//! quantile-based latency CDFs and, for sweeps of strategies and other non-numeric parameters,
//! bars per point; each as PNG and SVG in an embedded font, so equal reports give
//! byte-identical files on any machine.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod barplot;
mod bars;
mod cdf;
mod data;
mod panels;
mod render;
mod scaling;
mod ticks;
mod vmalloc;

use sim_core::report::Report;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// DejaVu Sans (Bitstream Vera licence, beside it in `assets/`): text never comes from the system.
static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Registers the embedded font as plotters' "sans-serif", once per process.
fn register_font() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font("sans-serif", plotters::style::FontStyle::Normal, FONT)
            .map_err(|_| "the embedded font does not load".to_string())
    })
    .clone()
}

/// Draws every chart that fits the report into `dir` (created if missing), PNG and SVG each;
/// returns the files written, in a fixed order. A report with nothing to chart writes nothing.
pub fn draw(report: &Report, dir: &Path) -> Result<Vec<PathBuf>, String> {
    let groups = data::groups(report);
    let swept = data::swept(report);
    let scaling = scaling::charts(report, &groups, &swept);
    let vmalloc = vmalloc::figure(report, &groups, &swept);
    let cdfs = cdf::charts(report, &groups, &swept);
    let covered: Vec<&str> = scaling.iter().filter_map(scaling::metric_of).collect();
    let bars = bars::charts(report, &groups, &swept, &covered);
    if scaling.is_empty() && vmalloc.is_none() && cdfs.is_empty() && bars.is_empty() {
        return Ok(Vec::new());
    }
    register_font()?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for chart in &scaling {
        files.extend(render::write(chart, dir)?);
    }
    match &vmalloc {
        Some(vmalloc::Figure::Single(chart)) => files.extend(render::write(chart, dir)?),
        Some(vmalloc::Figure::Panels(panels)) => files.extend(render::write(panels, dir)?),
        None => {}
    }
    for chart in &cdfs {
        files.extend(render::write(chart, dir)?);
    }
    for chart in &bars {
        files.extend(render::write(chart, dir)?);
    }
    Ok(files)
}
