//! `sim bench`: engine benchmarks on the real scheduler, timed here (sim-core reads no clock).

use crate::cli::{BenchCommand, HoldArgs, SlowArgs};
use crate::{Outcome, UserError};
use std::io::Write;
use std::time::Instant;

pub fn run(cmd: BenchCommand) -> Result<Outcome, UserError> {
    match cmd {
        BenchCommand::Hold(args) => hold(args),
        BenchCommand::Slow(args) => slow(args),
    }
}

/// One process maps N anonymous VMAs (each its own anon_vma), registers under mm_lock_slow and
/// exits: the simulated register is O(N²) VMA visits, the host work O(N log N).
fn slow(args: SlowArgs) -> Result<Outcome, UserError> {
    use sim_core::program::*;
    let body = vec![
        Step { kind: StepKind::MmapAnon { size: Value::Const(4096), count: Value::Const(args.vmas) }, line: 1 },
        Step { kind: StepKind::Register { driver: 0, target: None }, line: 2 },
        Step { kind: StepKind::Exit, line: 3 },
    ];
    let program = Program {
        workload: "bench-slow".into(),
        machine: Machine { max_map_count: args.vmas.max(65_530) as u32, ..Machine::default() },
        strategy: Strategy::MmLockSlow,
        options: Options::default(),
        files: Vec::new(),
        drivers: vec![DriverDef { name: "kvm".into(), callback_ns: 150, sleeps: false, fault_ns: 1000 }],
        processes: vec![ProcessDef { name: "vm".into(), instances: 1, body: 0, line: 1 }],
        blocks: vec![body],
        targets: vec!["vm".into()],
        actions: Vec::new(),
        checks: Vec::new(),
    };
    let start = Instant::now();
    let run =
        sim_core::sim::run(&program, Default::default(), 1, Default::default(), Default::default(), &mut |_, _| {
            !crate::exec::interrupted()
        })
        .map_err(|e| UserError(format!("error: {e:?}")))?;
    let seconds = start.elapsed().as_secs_f64();
    let latency = match run.report.metric("register.latency") {
        Some(sim_core::report::MetricValue::Histogram(h)) => h.max,
        _ => 0,
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "sim slow: vmas={} register_latency={} (simulated) events={} host_seconds={seconds:.3}",
        args.vmas,
        crate::units::ns(latency as f64),
        run.report.events
    )?;
    Ok(Outcome::Ok)
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
