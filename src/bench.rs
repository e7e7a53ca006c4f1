//! `sim bench`: engine benchmarks on the real scheduler, timed here (sim-core reads no clock).

use crate::cli::{BenchCommand, HoldArgs};
use crate::{Outcome, UserError};
use std::io::Write;
use std::time::Instant;

pub fn run(cmd: BenchCommand) -> Result<Outcome, UserError> {
    match cmd {
        BenchCommand::Hold(args) => hold(args),
    }
}

fn hold(args: HoldArgs) -> Result<Outcome, UserError> {
    let start = Instant::now();
    let outcome = sim_core::engine::hold::hold(args.pending, args.events, args.seed);
    let seconds = start.elapsed().as_secs_f64();
    let rate = outcome.events as f64 / seconds.max(1e-9);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "sim hold: pending={} events={} seconds={:.3} events_per_s={:.0} sim_time_ns={} fingerprint={:016x}",
        args.pending, outcome.events, seconds, rate, outcome.now, outcome.fingerprint
    )?;
    writeln!(out, "{rate:.0} events/s")?;
    Ok(Outcome::Ok)
}
