//! `sim merge`: the shards of a run (`--shard K/N`) back into the report of the whole run.

use crate::cli::MergeArgs;
use crate::{output, Outcome, UserError};
use sim_core::checks;
use sim_core::report::Report;

pub fn run(args: MergeArgs) -> Result<Outcome, UserError> {
    let mut parts = Vec::new();
    for path in &args.parts {
        parts.push((path, output::read_report(path)?));
    }
    let (first_path, first) = &parts[0];
    let Some(info) = first.incomplete.clone() else {
        return Err(UserError(format!("error: {} is already a complete report", first_path.display())));
    };
    let mut points = Vec::new();
    for (path, r) in &parts {
        if r.workload != first.workload
            || r.source != first.source
            || r.cost_overrides != first.cost_overrides
            || r.incomplete.as_ref().map(|i| i.points_total) != Some(info.points_total)
            || r.incomplete.as_ref().map(|i| &i.run) != Some(&info.run)
        {
            return Err(UserError(format!(
                "error: {} is not a shard of the same run as {}",
                path.display(),
                first_path.display()
            )));
        }
        points.extend(r.points.iter().cloned());
    }
    points.sort_by_key(|p| p.index);
    points.dedup_by_key(|p| p.index);
    if points.len() as u64 != info.points_total || points.iter().enumerate().any(|(i, p)| p.index != i as u64) {
        let have: std::collections::BTreeSet<u64> = points.iter().map(|p| p.index).collect();
        let missing: Vec<String> =
            (0..info.points_total).filter(|i| !have.contains(i)).take(10).map(|i| (i + 1).to_string()).collect();
        return Err(UserError(format!(
            "error: the shards hold {} of {} points; missing points {}{}",
            have.len(),
            info.points_total,
            missing.join(", "),
            if missing.len() == 10 { ", ..." } else { "" }
        )));
    }
    let (checks, verdicts) = checks::decide(&info.cross_checks, &points);
    let report = Report {
        sim: first.sim.clone(),
        workload: first.workload.clone(),
        source: first.source.clone(),
        cost_overrides: first.cost_overrides.clone(),
        units: sim_core::metrics::units(),
        checks,
        verdicts,
        statistics: sim_core::stats::statistics(&points),
        points,
        incomplete: None,
    };
    output::write_atomic(std::path::Path::new("-"), output::json(&report)?.as_bytes())?;
    Ok(if crate::summary::failed(&report) > 0 { Outcome::ChecksFailed } else { Outcome::Ok })
}
