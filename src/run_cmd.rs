//! `sim run`: every point of a workload, the summary, the files asked for.

use crate::cli::{LockStatLevel, RunArgs};
use crate::exec::{self, ExecOptions, RunSpec};
use crate::{output, summary, Outcome, UserError};
use sim_core::checks;
use sim_core::kernel::Limits;
use sim_core::report::{Incomplete, PointReport, Report};
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn run(args: RunArgs) -> Result<Outcome, UserError> {
    let w = exec::load(&args.file, &args.params)?;
    let specs = exec::plan(&w, args.seed, args.seeds);
    let limits = Limits { max_events: args.max_events, until_ns: args.until, ..Limits::default() };
    let costs = match &args.costs {
        Some(path) => crate::costs::read(path)?,
        None => Vec::new(),
    };
    let run_settings = settings(&args, &costs);
    let stdout = |p: &Option<PathBuf>| p.as_deref() == Some(Path::new("-"));
    let to_stdout: Vec<&str> = [
        ("--json", &args.json),
        ("--csv", &args.csv),
        ("--lock-stat-csv", &args.lock_stat_csv),
        ("--trace", &args.trace),
    ]
    .into_iter()
    .filter(|(_, p)| stdout(p))
    .map(|(name, _)| name)
    .collect();
    if let [first @ .., last] = &to_stdout[..] {
        if !first.is_empty() {
            let (all, one) = if first.len() == 1 { ("both", "one") } else { ("all", "all but one") };
            return Err(UserError(format!(
                "error: {} - and {last} - {all} want standard output: give {one} of them a file",
                first.join(" -, ")
            )));
        }
    }
    if args.check_determinism {
        return crate::determinism::check(&w, &specs[0], limits, &costs);
    }
    if args.schedule.is_some() && specs.len() != 1 {
        return Err(UserError(format!(
            "error: --schedule replays one run, and this is {} (points times --seeds): pin the swept \
             parameters with -p NAME=VALUE as `sim explore` printed them",
            specs.len()
        )));
    }
    let trace_index = match &args.trace {
        Some(_) if args.trace_point == 0 || args.trace_point > specs.len() => {
            return Err(UserError(format!(
                "error: --trace-point {} is not a point of this run (1 to {})",
                args.trace_point,
                specs.len()
            )))
        }
        Some(_) => Some(args.trace_point as u64 - 1),
        None => None,
    };
    let in_shard = |s: &RunSpec| args.shard.is_none_or(|(k, n)| s.index % n as u64 == (k - 1) as u64);
    let done = if args.resume { resume(&args, &w, &specs)? } else { vec![None; specs.len()] };
    let todo: Vec<u64> =
        specs.iter().filter(|s| in_shard(s) && done[s.index as usize].is_none()).map(|s| s.index).collect();
    let observe = sim_core::sim::Observe {
        lock_stat_instances: args.lock_stat == Some(LockStatLevel::Instance),
        no_lockdep: args.no_lockdep,
        ..Default::default()
    };
    let opts = ExecOptions {
        jobs: exec::jobs(args.jobs),
        limits,
        quiet: args.quiet,
        trace: trace_index,
        costs,
        observe,
        schedule: args.schedule.clone().map(|s| (s, args.draws)),
    };
    let ex = exec::execute(&w, &specs, &todo, done, &opts)?;

    let selected: Vec<&RunSpec> = specs.iter().filter(|s| in_shard(s)).collect();
    let complete = selected.iter().all(|s| ex.points[s.index as usize].is_some());
    let points: Vec<PointReport> = selected.iter().filter_map(|s| ex.points[s.index as usize].clone()).collect();
    let whole = complete && args.shard.is_none();
    let (checks, verdicts) = if whole { checks::decide(w.cross_checks(), &points) } else { Default::default() };
    let report = Report {
        sim: env!("CARGO_PKG_VERSION").to_string(),
        workload: w.name().to_string(),
        source: w.source().to_string(),
        cost_overrides: w.cost_overrides(),
        units: sim_core::metrics::units(),
        checks,
        verdicts,
        statistics: if whole { sim_core::stats::statistics(&points) } else { Vec::new() },
        points,
        incomplete: (!whole).then(|| Incomplete {
            points_total: specs.len() as u64,
            shard: args.shard.map(|(k, n)| format!("{k}/{n}")),
            cross_checks: w.cross_checks().to_vec(),
            run: run_settings,
        }),
    };

    if ex.interrupted {
        let path = args.json.clone().filter(|p| p != Path::new("-")).unwrap_or_else(|| partial_path(&w));
        output::write_atomic(&path, output::json(&report)?.as_bytes())?;
        eprintln!(
            "interrupted: {} of {} points done, saved to {}\nresume with: sim run {} --json {} --resume{}",
            report.points.len(),
            selected.len(),
            path.display(),
            args.file.display(),
            path.display(),
            repeat_flags(&args)
        );
        return Ok(Outcome::Interrupted);
    }

    let json_to_stdout = args.json.as_deref() == Some(Path::new("-"));
    let lock_stat_csv_to_stdout = args.lock_stat_csv.as_deref() == Some(Path::new("-"));
    if let Some(path) = &args.json {
        output::write_atomic(path, output::json(&report)?.as_bytes())?;
    }
    if let Some(path) = &args.csv {
        output::write_atomic(path, output::csv(&report).as_bytes())?;
    }
    if let Some(path) = &args.lock_stat_csv {
        output::write_atomic(path, crate::locking::csv(&report).as_bytes())?;
    }
    if let (Some(path), Some(trace)) = (&args.trace, &ex.trace) {
        output::write_atomic(path, crate::trace_out::chrome(trace).as_bytes())?;
    }
    let mut drawn = Vec::new();
    if let Some(dir) = &args.plots {
        drawn = plots::draw(&report, dir).map_err(|e| UserError(format!("error: charts: {e}")))?;
    }
    let line_text = |n: u32| w.line(n).map(str::to_string);
    if args.strict {
        let noops = summary::warnings(&report, &line_text);
        if !noops.is_empty() {
            let total: u64 = report.points.iter().flat_map(|p| &p.noops).map(|n| n.count).sum();
            return Err(UserError(format!(
                "{}--strict: {total} step{} or action{} found nothing to act on, at {} line{}",
                summary::warning_text(&noops, "error"),
                if total == 1 { "" } else { "s" },
                if total == 1 { "" } else { "s" },
                noops.len(),
                if noops.len() == 1 { "" } else { "s" }
            )));
        }
    }
    let mut text = String::new();
    if !args.quiet {
        let schedule = match &args.schedule {
            Some(s) => {
                format!("schedule {s} (choices as `sim explore` numbers them, draws over at most {})\n", args.draws)
            }
            None => String::new(),
        };
        text = format!(
            "{schedule}{}{}{}",
            layouts(&w),
            summary::render(&report, &summary::Options { all: args.all, line_text: &line_text }),
            crate::locking::warnings(&report, &line_text)
        );
    }
    if let Some(level) = args.lock_stat {
        text.push_str(&crate::locking::tables(&report, level == LockStatLevel::Instance, args.all));
    }
    if !text.is_empty() {
        let mut tail = String::new();
        // Under -q, only the tables asked for.
        if !args.quiet && report.incomplete.is_some() {
            tail.push_str(&format!(
                "\nshard {}: {} of {} points; combine the shards with `sim merge`\n",
                args.shard.map(|(k, n)| format!("{k}/{n}")).unwrap_or_default(),
                report.points.len(),
                specs.len()
            ));
        }
        for p in drawn.iter().filter(|_| !args.quiet) {
            tail.push_str(&format!("chart: {}\n", p.display()));
        }
        if json_to_stdout || lock_stat_csv_to_stdout {
            eprint!("{text}{tail}");
        } else {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.write_all(tail.as_bytes())?;
        }
    }
    Ok(if summary::failed(&report) > 0 { Outcome::ChecksFailed } else { Outcome::Ok })
}

/// A line per maps file the workload read: what it became.
fn layouts(w: &dsl::Workload) -> String {
    let mut out = String::new();
    for l in w.layouts() {
        out.push_str(&format!(
            "layout {}: {} VMAs ({} anonymous, {} of {} files), {} anon_vmas, {} rmap locks",
            l.path,
            l.vmas,
            l.anonymous,
            l.file_vmas,
            l.files,
            l.anon_vmas,
            l.locks()
        ));
        if !l.skipped.is_empty() {
            let names: Vec<String> =
                l.skipped.iter().map(|(n, k)| if *k == 1 { n.clone() } else { format!("{n} x{k}") }).collect();
            let total: u32 = l.skipped.iter().map(|(_, k)| k).sum();
            out.push_str(&format!("; {total} special skipped: {}", names.join(" ")));
        }
        out.push('\n');
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// Where an interrupted run without --json saves its points.
fn partial_path(w: &dsl::Workload) -> PathBuf {
    PathBuf::from(format!("{}.partial.json", w.name()))
}

fn repeat_flags(args: &RunArgs) -> String {
    let mut s = String::new();
    if let Some(seed) = args.seed {
        s.push_str(&format!(" --seed {seed}"));
    }
    if args.seeds > 1 {
        s.push_str(&format!(" --seeds {}", args.seeds));
    }
    for p in &args.params {
        s.push_str(&format!(" -p {p}"));
    }
    if let Some((k, n)) = args.shard {
        s.push_str(&format!(" --shard {k}/{n}"));
    }
    s
}

/// The points of an interrupted run's report that belong to this run.
/// The settings a report's points ran under that the points do not record (see
/// [`Incomplete::run`]), as one line; `-p` pairs sorted, so their order does not matter.
fn settings(args: &RunArgs, costs: &[(sim_core::cost::Cost, f64)]) -> String {
    let mut params = args.params.clone();
    params.sort();
    format!(
        "seed {:?}, seeds {}, -p {:?}, until {:?}, max-events {}, lockdep {}, lock-stat {:?}, costs {:?}",
        args.seed, args.seeds, params, args.until, args.max_events, !args.no_lockdep, args.lock_stat, costs
    )
}

fn resume(args: &RunArgs, w: &dsl::Workload, specs: &[RunSpec]) -> Result<Vec<Option<PointReport>>, UserError> {
    let path = args
        .json
        .as_deref()
        .filter(|p| *p != Path::new("-"))
        .ok_or_else(|| UserError("error: --resume needs the --json file of the interrupted run".to_string()))?;
    let mut done = vec![None; specs.len()];
    if !path.exists() {
        return Ok(done);
    }
    let saved = output::read_report(path)?;
    let costs = match &args.costs {
        Some(p) => crate::costs::read(p)?,
        None => Vec::new(),
    };
    if saved.incomplete.as_ref().is_some_and(|i| !i.run.is_empty() && i.run != settings(args, &costs)) {
        return Err(UserError(format!(
            "error: {} was run with other settings ({}): resume with the same flags",
            path.display(),
            saved.incomplete.as_ref().map_or("", |i| i.run.as_str())
        )));
    }
    if saved.cost_overrides != w.cost_overrides() {
        return Err(UserError(format!(
            "error: {} was run with other costs set on the command line: resume with the same -p cost.NAME flags",
            path.display()
        )));
    }
    if saved.workload != w.name() || saved.source != w.source() {
        return Err(UserError(format!(
            "error: {} holds a run of {} ({}), not of {}",
            path.display(),
            saved.workload,
            saved.source,
            w.source()
        )));
    }
    for p in saved.points {
        match specs.get(p.index as usize) {
            Some(s) if s.params == p.params && s.seed == p.seed => {
                let i = p.index as usize;
                done[i] = Some(p);
            }
            _ => {
                return Err(UserError(format!(
                    "error: {} does not match this run (point {} differs): resume with the same flags",
                    path.display(),
                    p.index + 1
                )))
            }
        }
    }
    Ok(done)
}
