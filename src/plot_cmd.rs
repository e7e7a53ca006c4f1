//! `sim plot`: the charts of a saved report.

use crate::cli::PlotArgs;
use crate::{output, Outcome, UserError};

pub fn run(args: PlotArgs) -> Result<Outcome, UserError> {
    let report = output::read_report(&args.report)?;
    let drawn = plots::draw(&report, &args.out).map_err(|e| UserError(format!("error: charts: {e}")))?;
    if drawn.is_empty() {
        println!(
            "no chart fits this report (a chart needs points that differ, latencies of several calls, or vmalloc use)"
        );
    }
    for p in drawn {
        println!("chart: {}", p.display());
    }
    Ok(Outcome::Ok)
}
