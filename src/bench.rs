//! `sim bench`: engine benchmarks on the real scheduler, timed here (sim-core reads no clock).

use crate::cli::{BenchCommand, HoldArgs, ModelArgs, SlowArgs};
use crate::{exec, Outcome, UserError};
use sim_core::program::Program;
use sim_core::sim::{self, PointRun};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

pub fn run(cmd: BenchCommand) -> Result<Outcome, UserError> {
    match cmd {
        BenchCommand::Hold(args) => hold(args),
        BenchCommand::Slow(args) => slow(args),
        BenchCommand::Model(args) => model(args),
    }
}

/// One process maps N anonymous VMAs (each its own anon_vma), registers under mm_lock_slow and
/// exits: the simulated register is O(N²) VMA visits, the host work O(N log N).
fn slow_program(vmas: u64) -> Program {
    use sim_core::program::*;
    let body = vec![
        Step { kind: StepKind::MmapAnon { size: Value::Const(4096), count: Value::Const(vmas) }, line: 1 },
        Step { kind: StepKind::Register { driver: 0, target: None }, line: 2 },
        Step { kind: StepKind::Exit, line: 3 },
    ];
    Program {
        workload: "bench-slow".into(),
        machine: Machine { max_map_count: vmas.max(65_530) as u32, ..Machine::default() },
        strategy: Strategy::MmLockSlow,
        options: Options::default(),
        files: Vec::new(),
        drivers: vec![DriverDef { name: "kvm".into(), callback_ns: 150, sleeps: false, fault_ns: 1000 }],
        processes: vec![ProcessDef { name: "vm".into(), instances: 1, body: 0, line: 1 }],
        blocks: vec![body],
        targets: vec!["vm".into()],
        actions: Vec::new(),
        checks: Vec::new(),
    }
}

/// Runs one point with the default limits; the host seconds exclude building the program.
fn timed(program: &Program, seed: u64) -> Result<(PointRun, f64), UserError> {
    let start = Instant::now();
    let run = sim::run(program, Default::default(), seed, Default::default(), Default::default(), &mut |_, _| {
        !exec::interrupted()
    })
    .map_err(|e| UserError(format!("error: {e:?}")))?;
    Ok((run, start.elapsed().as_secs_f64()))
}

fn slow(args: SlowArgs) -> Result<Outcome, UserError> {
    let (run, seconds) = timed(&slow_program(args.vmas), 1)?;
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

/// A case of `sim bench model`: the programs of every point of its workloads, with their seeds.
struct Case {
    name: String,
    points: Vec<(Program, u64)>,
}

/// gru's ranks on an mm small enough for the cache: each registers, faults pages in and
/// computes, then unregisters, over 64 VMAs. Beside gru (65,616 VMAs, a 2 GiB shared file) it
/// shows what an event of the model costs when its state is not what the host waits for.
const SMALL_MM: &str = "workload \"small-mm\"
machine { cpus 16 }
driver gru { callback 400ns }
process rank x 16 {
  mmap anon 64K x 64
  register gru
  repeat 2000 {
    touch 10
    compute exp(50us)
  }
  unregister gru
  exit
}
";

/// The points of a workload given as text, with their seeds.
fn embedded(name: &str, text: &str) -> Result<Case, UserError> {
    let w = dsl::load(name, text.as_bytes(), &[]).map_err(|d| UserError(d.to_string()))?;
    let mut points = Vec::new();
    for spec in exec::plan(&w, None, 1) {
        points.push((w.instantiate(&spec.params).map_err(|d| UserError(d.to_string()))?, spec.seed));
    }
    Ok(Case { name: name.to_string(), points })
}

fn cases(args: &ModelArgs) -> Result<Vec<Case>, UserError> {
    let named: Vec<(String, Vec<PathBuf>)> = if args.paths.is_empty() {
        vec![
            ("gru".to_string(), vec![PathBuf::from("workloads/gru.wl")]),
            ("claims".to_string(), crate::check_cmd::files(&[PathBuf::from("workloads/claims")])?),
        ]
    } else {
        let mut out = Vec::new();
        for p in &args.paths {
            out.push((p.display().to_string(), crate::check_cmd::files(std::slice::from_ref(p))?));
        }
        out
    };
    let mut cases = Vec::new();
    for (name, files) in named {
        let mut points = Vec::new();
        for f in files {
            let w = exec::load(&f, &[])?;
            for spec in exec::plan(&w, None, 1) {
                points.push((w.instantiate(&spec.params).map_err(|d| UserError(d.to_string()))?, spec.seed));
            }
        }
        cases.push(Case { name, points });
    }
    if args.paths.is_empty() {
        cases.insert(1, embedded("small mm: gru's ranks, 64 VMAs each", SMALL_MM)?);
    }
    cases.push(Case {
        name: format!("mm_lock_slow register, {} VMAs", args.vmas),
        points: vec![(slow_program(args.vmas), 1)],
    });
    Ok(cases)
}

/// Model events per second on real workloads, and the engine's hold rate in the same run.
fn model(args: ModelArgs) -> Result<Outcome, UserError> {
    let cases = cases(&args)?;
    let mut out = std::io::stdout().lock();
    let hold_events = 10_000_000;
    let mut hold_best = f64::INFINITY;
    let mut best = vec![(0u64, f64::INFINITY); cases.len()];
    for _ in 0..args.rounds {
        let start = Instant::now();
        sim_core::engine::hold::hold(1000, hold_events, 1);
        hold_best = hold_best.min(start.elapsed().as_secs_f64());
        for (case, slot) in cases.iter().zip(&mut best) {
            let (mut events, mut seconds) = (0, 0.0);
            for (program, seed) in &case.points {
                let (run, s) = timed(program, *seed)?;
                events += run.report.events;
                seconds += s;
                if exec::interrupted() {
                    return Ok(Outcome::Interrupted);
                }
            }
            if seconds < slot.1 {
                *slot = (events, seconds);
            }
        }
    }
    let hold_rate = hold_events as f64 / hold_best;
    writeln!(
        out,
        "{:<36} {:>7} {:>13} {:>9} {:>13} {:>9}",
        "case", "points", "events", "seconds", "events/s", "vs hold"
    )?;
    writeln!(
        out,
        "{:<36} {:>7} {:>13} {:>9.3} {:>13} {:>9}",
        "engine hold model, 10^3 pending",
        "",
        exec::group(hold_events),
        hold_best,
        exec::group(hold_rate as u64),
        "1.00"
    )?;
    for (case, (events, seconds)) in cases.iter().zip(best) {
        let rate = events as f64 / seconds.max(1e-9);
        writeln!(
            out,
            "{:<36} {:>7} {:>13} {:>9.3} {:>13} {:>9.2}",
            case.name,
            case.points.len(),
            exec::group(events),
            seconds,
            exec::group(rate as u64),
            rate / hold_rate
        )?;
    }
    writeln!(out, "(fastest of {} rounds per case; loading the workloads is not timed)", args.rounds)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_small_mm_case_is_one_point_of_gru_sized_ranks_on_64_vmas() {
        let case = embedded("small mm", SMALL_MM).expect("the embedded workload loads");
        assert_eq!(case.points.len(), 1);
        let (program, _) = &case.points[0];
        assert_eq!(program.processes[0].instances, 16);
        let (run, _) = timed(program, 1).expect("it runs");
        assert!(matches!(run.report.metric("register.ok"), Some(sim_core::report::MetricValue::Scalar(16))));
    }
}
