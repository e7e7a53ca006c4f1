//! `sim costs`: the cost-model table.

use crate::{Outcome, UserError};
use sim_core::cost::COSTS;
use std::io::Write;

pub fn print() -> Result<Outcome, UserError> {
    let mut out = std::io::stdout().lock();
    let name_w = COSTS.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let unit_w = COSTS.iter().map(|c| c.unit.len()).max().unwrap_or(0);
    writeln!(out, "{:name_w$}  {:>10}  {:unit_w$}  meaning", "name", "default", "unit")?;
    for c in COSTS {
        writeln!(out, "{:name_w$}  {:>10}  {:unit_w$}  {}", c.name, c.default_ns, c.unit, c.meaning)?;
    }
    writeln!(out, "\nOverride one in a workload: machine {{ cost NAME DURATION }}, e.g. `cost vma_step 8ns`.")?;
    Ok(Outcome::Ok)
}
