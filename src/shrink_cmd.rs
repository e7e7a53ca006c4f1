//! `sim shrink`: the smallest workload found on which the same `expect` line still fails (or,
//! with `--witness`, still holds at a seed), decided as `sim check` decides it; dsl's reducer
//! proposes, this file judges by running the simulations.

use crate::cli::ShrinkArgs;
use crate::exec;
use crate::{output, Outcome, UserError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sim_core::checks;
use sim_core::kernel::Limits;
use sim_core::program::{Check, Program, StepKind, Value};
use sim_core::report::{CheckResult, PointReport};
use sim_core::sim;
use std::io::IsTerminal;

/// What "the line still fails" means for this shrink.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The line fails as `sim check` decides it, with its figures decided (not a line that no
    /// longer has anything to measure).
    Fails,
    /// The line's condition held at one seed at least.
    Witness,
}

struct Judge {
    path: String,
    seeds: u32,
    mode: Mode,
    limits: Limits,
    /// `--seed`, over the workload's `seed`.
    base: Option<u64>,
}

enum Stop {
    Interrupted,
    Error(String),
}

impl Judge {
    /// Runs, at every seed, each point of `w` where line `only` applies (every point, for a line
    /// across points; every point and line with `None`), and decides the lines as `sim check`
    /// does: the rows of that line (of every line), and the runs used.
    fn rows(&self, w: &dsl::Workload, only: Option<u32>) -> Result<(Vec<CheckResult>, u64), Stop> {
        let cross_line = |l: u32| w.cross_checks().iter().any(|c| c.line == l);
        let mut reports: Vec<PointReport> = Vec::new();
        let mut runs = 0;
        for params in w.points() {
            let program = w.instantiate(&params).map_err(|d| Stop::Error(d.to_string()))?;
            let wanted = match only {
                None => true,
                Some(l) => cross_line(l) || program.checks.iter().any(|c| c.line == l),
            };
            if !wanted {
                continue;
            }
            for k in 0..self.seeds {
                // A run may end before its first progress call: ask before each one.
                if exec::interrupted() {
                    return Err(Stop::Interrupted);
                }
                let seed = self.base.unwrap_or(w.seed()).wrapping_add(u64::from(k));
                let spec = exec::RunSpec { index: 0, params: params.clone(), seed };
                let how = exec::PointOptions { limits: self.limits, observe: sim::Observe::default(), schedule: None };
                match exec::run_program(w, &spec, &program, how, &ProgressBar::hidden(), false) {
                    Ok(Some((report, _))) => reports.push(report),
                    Ok(None) => return Err(Stop::Interrupted),
                    Err(UserError(e)) => return Err(Stop::Error(e)),
                }
                runs += 1;
            }
        }
        let mut rows: Vec<CheckResult> =
            checks::point_verdicts(&reports).into_iter().filter(|r| only.is_none_or(|l| r.line == l)).collect();
        let cross: Vec<Check> = w.cross_checks().iter().filter(|c| only.is_none_or(|l| c.line == l)).cloned().collect();
        rows.extend(checks::cross_checks(&cross, &reports));
        rows.sort_by_key(|r| r.line);
        Ok((rows, runs))
    }

    fn load(&self, text: &str) -> Result<dsl::Workload, String> {
        dsl::load(&self.path, text.as_bytes(), &[]).map_err(|d| d.to_string())
    }

    /// Whether a row is what this shrink keeps.
    fn keeps(&self, r: &CheckResult) -> bool {
        r.value.is_some()
            && match self.mode {
                Mode::Fails => !r.passed,
                Mode::Witness => r.held.unwrap_or(0) > 0,
            }
    }

    /// Judges a candidate's text whose target is on `line`.
    fn judge(&self, text: &str, line: u32) -> (dsl::Judged, u64) {
        let Ok(w) = self.load(text) else { return (dsl::Judged::Invalid, 0) };
        match self.rows(&w, Some(line)) {
            Ok((rows, runs)) => match rows.iter().find(|r| self.keeps(r)) {
                Some(r) => (dsl::Judged::Kept(point(r)), runs),
                None => (dsl::Judged::Lost, runs),
            },
            Err(Stop::Interrupted) => (dsl::Judged::Interrupted, 0),
            Err(Stop::Error(_)) => (dsl::Judged::Invalid, 0),
        }
    }
}

fn point(r: &CheckResult) -> Vec<(String, String)> {
    r.params.iter().map(|(k, v)| (k.clone(), v.to_string())).collect()
}

/// Steps a program's processes run and VMAs they map, counting repeats by their counts and
/// instances by their number (a count drawn at run time counts once).
fn run_counts(p: &Program) -> (u64, u64) {
    fn block(p: &Program, b: u32, depth: u32, out: &mut (u64, u64), times: u64) {
        let Some(steps) = p.blocks.get(b as usize) else { return };
        if depth > 64 {
            return;
        }
        let c = |v: &Value| match v {
            Value::Const(n) => *n,
            _ => 1,
        };
        for s in steps {
            out.0 = out.0.saturating_add(times);
            match &s.kind {
                StepKind::MmapAnon { count, .. } | StepKind::MmapFile { count, .. } => {
                    out.1 = out.1.saturating_add(times.saturating_mul(c(count)));
                }
                StepKind::Repeat { count, body } => block(p, *body, depth + 1, out, times.saturating_mul(c(count))),
                StepKind::Fork { body, .. } => block(p, *body, depth + 1, out, times),
                _ => {}
            }
        }
    }
    let mut out = (0, 0);
    for proc in &p.processes {
        block(p, proc.body, 0, &mut out, u64::from(proc.instances));
    }
    out
}

/// The program of `w` at the point a row names (the first point, if it names none of them).
fn program_at(w: &dsl::Workload, at: &[(String, String)]) -> Option<Program> {
    let points = w.points();
    let found = points.iter().find(|p| at.iter().all(|(k, v)| p.get(k).is_none_or(|x| x.to_string() == *v)));
    w.instantiate(found.or(points.first())?).ok()
}

pub fn run(args: ShrinkArgs) -> Result<Outcome, UserError> {
    let file = args.file.display().to_string();
    let bytes = exec::read_workload(&args.file)?;
    // The workload and its pins are checked as `sim run` checks them, errors located.
    let original = exec::load_bytes(&args.file, &bytes, &args.params)?;
    let mode = if args.witness { Mode::Witness } else { Mode::Fails };
    let limits = Limits { max_events: args.max_events, ..Limits::default() };
    let judge = Judge { path: file.clone(), seeds: args.seeds, mode, limits, base: args.seed };
    let line = match args.expect {
        Some(l) => l,
        None => {
            let rows = match judge.rows(&original, None) {
                Ok((rows, _)) => rows,
                Err(Stop::Interrupted) => return Ok(Outcome::Interrupted),
                Err(Stop::Error(e)) => return Err(UserError(e)),
            };
            match rows.iter().find(|r| !r.passed) {
                Some(r) => r.line,
                None => {
                    eprintln!("{file}: no check fails{}: nothing to shrink", seeds_phrase(args.seeds));
                    return Ok(Outcome::ChecksFailed);
                }
            }
        }
    };
    let mut start = dsl::Shrink::new(&file, &bytes, line).map_err(UserError)?;
    for p in &args.params {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        start.pin(k.trim(), v.trim()).map_err(UserError)?;
    }
    if let Some(s) = args.seed {
        start.set_seed(s);
    }
    let expect_text = start.expect_text();
    let (text, target_line) = start.print(&[]);
    let pinned = judge.load(&text).map_err(|e| {
        UserError(format!("error: {file} with its pins written in does not load (a bug in sim shrink):\n{e}"))
    })?;
    let first = match judge.rows(&pinned, Some(target_line)) {
        Ok((rows, runs)) => (rows, runs),
        Err(Stop::Interrupted) => return Ok(Outcome::Interrupted),
        Err(Stop::Error(e)) => return Err(UserError(e)),
    };
    let Some(failing) = first.0.iter().find(|r| judge.keeps(r)) else {
        let what = if first.0.is_empty() {
            "applies at no point".to_string()
        } else if mode == Mode::Witness {
            format!("held at no seed{}", seeds_phrase(args.seeds))
        } else {
            format!("does not fail{}", seeds_phrase(args.seeds))
        };
        let hint = if mode == Mode::Fails && first.0.iter().any(|r| r.passed && r.held.unwrap_or(0) > 0) {
            "\n  = help: it holds here; --witness shrinks for the smallest file on which it still holds"
        } else {
            ""
        };
        eprintln!("{file}:{line}: {expect_text}\n  {what}: nothing to shrink{hint}");
        return Ok(Outcome::ChecksFailed);
    };
    let start_point = point(failing);
    let before = start.counts();
    let before_run = program_at(&pinned, &start_point).map(|p| run_counts(&p));

    let bar = if args.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed} {msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar
    };
    let mut judge_fn = |text: &str, line: u32| judge.judge(text, line);
    let mut progress = |best: &dsl::Shrink, runs: u64, kept: u32| {
        let c = best.counts();
        bar.set_message(format!(
            "{runs} runs, {kept} reductions kept: {} processes, {} steps, {} VMAs",
            c.processes, c.steps, c.vmas
        ));
    };
    let budget = args.max_runs.saturating_sub(first.1);
    let r = dsl::reduce(start, start_point, budget, &mut judge_fn, &mut progress);
    bar.finish_and_clear();

    let after = r.best.counts();
    let (body, body_line) = r.best.print(&[]);
    let shrunk = judge.load(&body).map_err(|e| UserError(format!("error: the shrunk file does not load:\n{e}")))?;
    let after_run = program_at(&shrunk, &r.point).map(|p| run_counts(&p));
    let runs = r.runs + first.1;
    let out_name = args.out.as_ref().map_or_else(|| "FILE".to_string(), |p| p.display().to_string());
    let at = if r.point.is_empty() {
        String::new()
    } else {
        format!(" at {}", r.point.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" "))
    };
    // The seed whose figures show it: the first against the line, or the first witness.
    let shown = match judge.rows(&shrunk, Some(body_line)) {
        Ok((rows, _)) => rows.iter().find(|row| judge.keeps(row)).and_then(|row| match mode {
            Mode::Fails => row.first_failing_seed.or(row.seed),
            Mode::Witness => row.first_held_seed.or(row.seed),
        }),
        Err(_) => None,
    };
    let seeds = if args.seeds > 1 {
        let first = shown.map_or_else(String::new, |s| format!(" (first at seed {s})"));
        format!("seeds {} to {}{first}", shrunk.seed(), shrunk.seed().wrapping_add(u64::from(args.seeds) - 1))
    } else {
        format!("seed {}", shrunk.seed())
    };
    let run_pair = |b: Option<(u64, u64)>, a: Option<(u64, u64)>, f: fn((u64, u64)) -> u64| match (b, a) {
        (Some(b), Some(a)) => format!(" ({} -> {} run)", f(b), f(a)),
        _ => String::new(),
    };
    let mut header = vec![
        format!("# Shrunk from {file}, line {line}:"),
        format!("#   {expect_text}"),
        match mode {
            Mode::Fails => format!("# which still fails here{at}, {seeds}."),
            Mode::Witness => format!("# whose condition still holds here{at}, {seeds} (a witness)."),
        },
    ];
    if !args.params.is_empty() || args.seed.is_some() {
        let mut pins: Vec<String> = args.params.iter().map(|p| format!("-p {p}")).collect();
        pins.extend(args.seed.map(|s| format!("--seed {s}")));
        header.push(format!("# Pinned: {}", pins.join(" ")));
    }
    header.push(format!(
        "# Reduced: processes {} -> {}, steps {} -> {}{}, VMAs {} -> {}{}; {} reductions kept, {} runs{}.",
        before.processes,
        after.processes,
        before.steps,
        after.steps,
        run_pair(before_run, after_run, |x| x.0),
        before.vmas,
        after.vmas,
        run_pair(before_run, after_run, |x| x.1).replace(" run)", " mapped)"),
        r.kept,
        runs,
        if r.out_of_runs {
            format!(" (stopped by --max-runs {})", args.max_runs)
        } else if r.interrupted {
            " (interrupted)".to_string()
        } else {
            String::new()
        },
    ));
    let seeds_flag = if args.seeds > 1 { format!(" --seeds {}", args.seeds) } else { String::new() };
    let saved = if args.out.is_some() { String::new() } else { ", saved as FILE".to_string() };
    let figures = match shown {
        Some(seed) if seed != shrunk.seed() => format!("figures of seed {seed}: sim run {out_name} --seed {seed}"),
        _ => format!("figures: sim run {out_name}"),
    };
    header.push(format!("# Replay{saved}: sim check {out_name}{seeds_flag}    ({figures})"));
    let (text, _) = r.best.print(&header);
    match &args.out {
        Some(p) => {
            // Its maps files are read relative to its own folder: it must load from there.
            if let Err(d) = dsl::load(&p.display().to_string(), text.as_bytes(), &[]) {
                return Err(UserError(format!(
                    "error: the shrunk workload would not load as {}: {}\n  = help: it reads its maps files \
                     relative to its own folder; write it beside {} (or copy the maps files it names)",
                    p.display(),
                    d.to_string().lines().next().unwrap_or_default(),
                    args.file.display()
                )));
            }
            output::write_atomic(p, text.as_bytes())?
        }
        None => output::write_atomic(std::path::Path::new("-"), text.as_bytes())?,
    }
    if !args.quiet {
        eprintln!(
            "shrunk {file}:{line} to {} steps, {} VMAs, {} processes in {runs} runs{}",
            after.steps,
            after.vmas,
            after.processes,
            if r.out_of_runs {
                " (--max-runs reached)"
            } else if r.interrupted {
                " (interrupted: the smallest so far)"
            } else {
                ""
            }
        );
    }
    Ok(if r.interrupted { Outcome::Interrupted } else { Outcome::Ok })
}

fn seeds_phrase(seeds: u32) -> String {
    if seeds > 1 {
        format!(" over {seeds} seeds")
    } else {
        " at its seed".to_string()
    }
}
