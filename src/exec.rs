//! Loading a workload and running its points: in parallel, in a fixed order, with a progress
//! bar, stoppable with Ctrl-C without losing finished points.

use crate::UserError;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sim_core::checks;
use sim_core::kernel::{LimitError, Limits};
use sim_core::program::ParamValue;
use sim_core::report::{OrderedMap, PointReport};
use sim_core::sim::{self, RunError};
use sim_core::trace::TraceData;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Set by the first Ctrl-C: no new point starts and running ones stop.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the Ctrl-C handler: the first press stops the run cleanly, the second at once.
pub fn handle_ctrl_c() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\ninterrupted: finishing up (Ctrl-C again to quit at once)");
    });
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// Largest workload file read: about 100 000 lines, far past any hand-written or generated
/// workload, and what it takes to load stays in the hundreds of MB.
pub const MAX_WORKLOAD_BYTES: u64 = 4 << 20;

/// Reads a workload file (or a pipe: `<(...)`), refusing one past [`MAX_WORKLOAD_BYTES`]
/// without reading more than that, so `/dev/zero` is an error and not a hang.
pub fn read_workload(path: &Path) -> Result<Vec<u8>, UserError> {
    use std::io::Read;
    let cannot = |e: std::io::Error| UserError(format!("error: cannot read {}: {e}", path.display()));
    if std::fs::metadata(path).map_err(cannot)?.is_dir() {
        return Err(UserError(format!("error: cannot read {}: it is a folder, not a workload file", path.display())));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path).map_err(cannot)?.take(MAX_WORKLOAD_BYTES + 1).read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.len() as u64 > MAX_WORKLOAD_BYTES {
        return Err(UserError(format!(
            "error: {} is larger than {} MiB, the most a workload file may hold",
            path.display(),
            MAX_WORKLOAD_BYTES >> 20
        )));
    }
    Ok(bytes)
}

/// Reads and checks a workload; `-p NAME=VALUE` pairs are checked with it. Its warnings go to
/// standard error, and the caller goes on.
pub fn load(path: &Path, params: &[String]) -> Result<dsl::Workload, UserError> {
    load_bytes(path, &read_workload(path)?, params)
}

/// [`load`] of a workload already read from `path`.
pub fn load_bytes(path: &Path, bytes: &[u8], params: &[String]) -> Result<dsl::Workload, UserError> {
    let mut overrides = Vec::new();
    for p in params {
        let Some((name, value)) = p.split_once('=') else {
            return Err(UserError(format!("error: -p {p}: expected NAME=VALUE, e.g. -p vmas=4096")));
        };
        overrides.push((name.trim().to_string(), value.trim().to_string()));
    }
    let w = dsl::load(&path.display().to_string(), bytes, &overrides).map_err(|d| UserError(d.to_string()))?;
    if !w.warnings().is_empty() {
        eprintln!("{}\n", w.warnings());
    }
    Ok(w)
}

/// One run of the plan: a point's parameters and a seed.
#[derive(Clone)]
pub struct RunSpec {
    pub index: u64,
    pub params: OrderedMap<ParamValue>,
    pub seed: u64,
}

/// Every run of a workload: the sweeps' cross product, seeds innermost.
pub fn plan(w: &dsl::Workload, seed: Option<u64>, seeds: u32) -> Vec<RunSpec> {
    let base = seed.unwrap_or(w.seed());
    let mut out = Vec::new();
    for params in w.points() {
        for r in 0..seeds as u64 {
            out.push(RunSpec { index: out.len() as u64, params: params.clone(), seed: base.wrapping_add(r) });
        }
    }
    out
}

pub struct ExecOptions {
    pub jobs: usize,
    pub limits: Limits,
    pub quiet: bool,
    /// The index of the run to trace, if any.
    pub trace: Option<u64>,
    /// Costs laid over every program's (`sim run --costs`).
    pub costs: Vec<(sim_core::cost::Cost, f64)>,
    /// A schedule to follow and the draws it was made with (`sim run --schedule`).
    pub schedule: Option<(sim_core::engine::Schedule, u64)>,
    /// What every point records besides its report (`--lock-stat=instance`, `--no-lockdep`);
    /// its `trace` is set for the traced point only.
    pub observe: sim::Observe,
}

pub struct Executed {
    /// In plan order; `None` for runs not done (other shard, or interrupted).
    pub points: Vec<Option<PointReport>>,
    pub trace: Option<TraceData>,
    pub interrupted: bool,
}

/// Runs `todo` (a subset of `specs`, by index) and returns every run's report in plan order,
/// keeping the ones already in `done`.
pub fn execute(
    w: &dsl::Workload,
    specs: &[RunSpec],
    todo: &[u64],
    mut done: Vec<Option<PointReport>>,
    opts: &ExecOptions,
) -> Result<Executed, UserError> {
    done.resize(specs.len(), None);
    let bar = progress_bar(todo.len() as u64, opts.quiet);
    let trace = Mutex::new(None);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .build()
        .map_err(|e| UserError(format!("error: cannot start worker threads: {e}")))?;
    let mut programs = Vec::with_capacity(todo.len());
    for &i in todo {
        let spec = &specs[i as usize];
        let mut program = w.instantiate(&spec.params).map_err(|d| UserError(d.to_string()))?;
        calibrate::file::apply(&mut program.machine.costs, &opts.costs);
        programs.push((spec, program));
    }
    let single = todo.len() == 1;
    let results: Vec<Option<Result<Option<PointReport>, UserError>>> = crate::balance::run(
        &pool,
        &programs,
        |(_, p)| crate::balance::weight(p),
        |(spec, program)| {
            if interrupted() {
                return Ok(None);
            }
            let observe = sim::Observe { trace: opts.trace == Some(spec.index), ..opts.observe };
            let how = PointOptions { limits: opts.limits, observe, schedule: opts.schedule.as_ref() };
            let r = run_program(w, spec, program, how, &bar, single)?;
            bar.inc(1);
            Ok(r.map(|(report, tr)| {
                if let Some(tr) = tr {
                    if let Ok(mut slot) = trace.lock() {
                        *slot = Some(tr);
                    }
                }
                report
            }))
        },
    );
    bar.finish_and_clear();
    for (&i, r) in todo.iter().zip(results) {
        if let Some(report) = r.unwrap_or(Ok(None))? {
            done[i as usize] = Some(report);
        }
    }
    let trace = trace.into_inner().unwrap_or_default();
    Ok(Executed { points: done, trace, interrupted: interrupted() })
}

/// How one point runs, besides its program and seed.
#[derive(Clone, Copy)]
pub struct PointOptions<'a> {
    pub limits: Limits,
    /// What the run records besides its report.
    pub observe: sim::Observe,
    /// A schedule to follow and the draws it was made with (`sim run --schedule`).
    pub schedule: Option<&'a (sim_core::engine::Schedule, u64)>,
}

/// Runs one point of the plan, its program already built.
pub fn run_program(
    w: &dsl::Workload,
    spec: &RunSpec,
    program: &sim_core::program::Program,
    how: PointOptions,
    bar: &ProgressBar,
    single: bool,
) -> Result<Option<(PointReport, Option<TraceData>)>, UserError> {
    let PointOptions { limits, observe, schedule } = how;
    let mut progress = |events: u64, now: u64| {
        if single {
            bar.set_message(format!("{} events, {} simulated", group(events), crate::units::ns(now as f64)));
        }
        !interrupted()
    };
    let choices = schedule.map(|(s, draws)| sim_core::engine::Choices::new(s.0.clone(), false, *draws));
    let (result, choices) =
        sim::run_with_choices(program, spec.params.clone(), spec.seed, limits, observe, choices, &mut progress);
    // (A run that stopped early, interrupted or past a limit, says so below instead.)
    if let Some(c) = choices.as_ref().filter(|c| result.is_ok() && c.invalid.is_none() && c.unused() > 0) {
        return Err(UserError(format!(
            "error: --schedule does not fit this run: it has {} entries past the run's last choice point \
             (the run met {}); was it printed for another workload, point, seed or --draws?",
            c.unused(),
            c.met
        )));
    }
    if let Some((i, taken, options)) = choices.and_then(|c| c.invalid) {
        return Err(UserError(format!(
            "error: --schedule does not fit this run: choice point {} has {options} options (0 to {}), the \
             schedule says {taken}; was it printed for another workload, point, seed or --draws?",
            i + 1,
            options - 1
        )));
    }
    match result {
        Ok(run) => {
            let mut report = run.report;
            report.index = spec.index;
            report.checks = checks::point_checks(&program.checks, &report);
            Ok(Some((report, run.trace)))
        }
        Err(RunError::Interrupted) => Ok(None),
        Err(RunError::Limit(e)) => Err(limit_error(w, &e, &spec.params, spec.seed)),
    }
}

/// A run past a host limit, as an error at the workload line that ran away.
pub fn limit_error(w: &dsl::Workload, e: &LimitError, params: &OrderedMap<ParamValue>, seed: u64) -> UserError {
    UserError(format!("{}:{}:1: error: {} (point {}, seed {seed})", w.source(), e.line, e.message, describe(params)))
}

pub fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let style = if total <= 1 {
        ProgressStyle::with_template("{spinner} {elapsed} {msg}")
    } else {
        ProgressStyle::with_template("{bar:30} {pos}/{len} points, {elapsed} elapsed, {eta} left {msg}")
    };
    if let Ok(style) = style {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// `strategy=mm_lock vmas=4096`.
pub fn describe(params: &OrderedMap<ParamValue>) -> String {
    params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
}

/// 1234567 as `1,234,567`.
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The number of worker threads: `-j`, or the machine's cores.
pub fn jobs(j: Option<u32>) -> usize {
    j.map(|j| j as usize).unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
