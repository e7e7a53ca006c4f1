//! `sim costs`: the cost-model table, with a calibration file's measured values beside it; and
//! the reader of that file for `sim run --costs`.

use crate::cli::CostsArgs;
use crate::{Outcome, UserError};
use sim_core::cost::{Cost, COSTS};
use std::io::Write;
use std::path::Path;

/// The `costs` of a calibration file, in `sim costs` order; a clear error if the file is
/// missing or is not one.
pub fn read(path: &Path) -> Result<Vec<(Cost, f64)>, UserError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| UserError(format!("error: cannot read {}: {e}", path.display())))?;
    calibrate::file::read_costs(&text).map_err(|e| UserError(format!("error: {}: {e}", path.display())))
}

pub fn run(args: CostsArgs) -> Result<Outcome, UserError> {
    let measured = match &args.from {
        Some(path) => read(path)?,
        None => Vec::new(),
    };
    let mut out = std::io::stdout().lock();
    let name_w = COSTS.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let unit_w = COSTS.iter().map(|c| c.unit.len()).max().unwrap_or(0);
    let value = |c: Cost| measured.iter().find(|m| m.0 == c).map(|m| m.1);
    if args.from.is_some() {
        writeln!(out, "{:name_w$}  {:>10}  {:>10}  {:unit_w$}  meaning", "name", "default", "measured", "unit")?;
    } else {
        writeln!(out, "{:name_w$}  {:>10}  {:unit_w$}  meaning", "name", "default", "unit")?;
    }
    for c in COSTS {
        if args.from.is_some() {
            let m = value(c.cost).map(|ns| format!("{ns:.2}")).unwrap_or_default();
            writeln!(out, "{:name_w$}  {:>10}  {m:>10}  {:unit_w$}  {}", c.name, c.default_ns, c.unit, c.meaning)?;
        } else {
            writeln!(out, "{:name_w$}  {:>10}  {:unit_w$}  {}", c.name, c.default_ns, c.unit, c.meaning)?;
        }
    }
    match &args.from {
        None => {
            writeln!(out, "\nOverride one in a workload: machine {{ cost NAME DURATION }}, e.g. `cost vma_step 8ns`.")?
        }
        Some(path) => {
            writeln!(
                out,
                "\n{} of {} costs measured. The model counts whole ns (a measured cost above 0 is at least 1 ns).",
                measured.len(),
                COSTS.len()
            )?;
            writeln!(out, "Run a workload with them:  sim run WORKLOAD --costs {}", path.display())?;
            writeln!(out, "or put them in its machine block:\nmachine {{")?;
            for &(c, ns) in &measured {
                writeln!(out, "  cost {} {}ns", c.name(), calibrate::file::model_ns(ns))?;
            }
            writeln!(out, "}}")?;
        }
    }
    Ok(Outcome::Ok)
}
