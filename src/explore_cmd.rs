//! `sim explore`: every schedule of each point of a small workload, what they can reach.

use crate::cli::ExploreArgs;
use crate::exec::{self, describe};
use crate::{output, Outcome, UserError};
use serde_json::{json, Value};
use sim_core::explore::{self, Bound, Bounds, Exploration, Found, Violation};
use sim_core::kernel::Limits;
use sim_core::program::{ParamValue, Qualifier};
use sim_core::report::OrderedMap;
use std::fmt::Write as _;

pub fn run(args: ExploreArgs) -> Result<Outcome, UserError> {
    let w = exec::load(&args.file, &args.params)?;
    let seed = args.seed.unwrap_or(w.seed());
    let limits = Limits { max_events: args.max_events, ..Limits::default() };
    let bounds = Bounds {
        max_states: args.max_states,
        max_runs: args.max_runs,
        depth: args.depth,
        max_draw: args.draws,
        merge: !args.no_merge,
    };
    let points = w.points();
    let bar = exec::progress_bar(points.len() as u64, args.quiet);
    let mut out = String::new();
    let mut rows = Vec::new();
    let mut failed = false;
    let mut interrupted = false;
    let draws = if args.draws >= 2 { format!("draws over at most {} values", args.draws) } else { "no draws".into() };
    let _ = writeln!(
        out,
        "explore {}: {} point{}, seed {seed}; choices: the order of simultaneous events, the next runnable task, {draws}",
        w.source(),
        points.len(),
        if points.len() == 1 { "" } else { "s" },
    );
    if !w.cross_checks().is_empty() {
        let _ = writeln!(
            out,
            "({} expect line{} across points (slopes, METRIC[...]) not judged here: `sim check` judges them)",
            w.cross_checks().len(),
            if w.cross_checks().len() == 1 { "" } else { "s" }
        );
    }
    for params in &points {
        let program = w.instantiate(params).map_err(|d| UserError(d.to_string()))?;
        bar.set_message(describe(params));
        let mut progress = |x: &Exploration| {
            bar.set_message(format!(
                "{}: {} runs, {} states",
                describe(params),
                exec::group(x.runs),
                exec::group(x.states)
            ));
            !exec::interrupted()
        };
        let x = explore::explore(&program, params, seed, limits, bounds, &mut progress, &|| !exec::interrupted())
            .map_err(|e| exec::limit_error(&w, &e, params, seed))?;
        bar.inc(1);
        let replay = replay_command(&w, &args, params, seed);
        failed |= x.expects.iter().any(|e| !e.passed());
        interrupted |= x.bound == Some(Bound::Stopped);
        point_text(&mut out, params, &x, &replay);
        rows.push(point_json(params, seed, &x));
        if interrupted {
            break;
        }
    }
    bar.finish_and_clear();
    if let Some(path) = &args.json {
        let doc = json!({
            "workload": w.name(),
            "source": w.source(),
            "seed": seed,
            "bounds": {
                "max_states": bounds.max_states,
                "max_runs": bounds.max_runs,
                "depth": bounds.depth,
                "draws": bounds.max_draw,
                "merge": bounds.merge,
            },
            "points": rows,
        });
        let mut s = serde_json::to_string_pretty(&doc).map_err(|e| UserError(format!("error: JSON: {e}")))?;
        s.push('\n');
        output::write_atomic(path, s.as_bytes())?;
    }
    if args.json.as_deref() == Some(std::path::Path::new("-")) {
        eprint!("{out}");
    } else {
        print!("{out}");
    }
    Ok(if interrupted {
        Outcome::Interrupted
    } else if failed {
        Outcome::ChecksFailed
    } else {
        Outcome::Ok
    })
}

/// `sim run FILE -p ... --seed S`, to which a schedule is appended.
fn replay_command(w: &dsl::Workload, args: &ExploreArgs, params: &OrderedMap<ParamValue>, seed: u64) -> String {
    let mut cmd = format!("sim run {}", args.file.display());
    for (name, value) in params.iter() {
        let _ = write!(cmd, " -p {name}={}", w.param_text(name, value));
    }
    for p in &args.params {
        let name = p.split_once('=').map_or(p.as_str(), |(n, _)| n.trim());
        if !params.iter().any(|(n, _)| n == name) {
            let _ = write!(cmd, " -p {p}");
        }
    }
    let _ = write!(cmd, " --seed {seed}");
    if args.draws != 4 {
        let _ = write!(cmd, " --draws {}", args.draws);
    }
    cmd
}

fn replay(cmd: &str, f: &Found) -> String {
    if f.schedule.0.is_empty() {
        format!("{cmd} (the seed's own run)")
    } else {
        format!("{cmd} --schedule {}", f.schedule)
    }
}

fn point_text(out: &mut String, params: &OrderedMap<ParamValue>, x: &Exploration, cmd: &str) {
    let name = if params.is_empty() { "the workload".to_string() } else { describe(params) };
    let _ = writeln!(out, "\npoint {name}");
    for v in Violation::ALL {
        match x.violations.iter().find(|(w, _)| *w == v) {
            Some((_, f)) => {
                let _ = writeln!(out, "  {:<48} reachable: schedule {} (run {})", v.as_str(), f.schedule, f.run);
                if v == Violation::Deadlock {
                    if let Some(d) = f.report.deadlocks.first() {
                        for e in &d.cycle {
                            let _ = writeln!(
                                out,
                                "      {} holds {}, waits for {} ({})",
                                e.task, e.holds, e.waits_for, e.doing
                            );
                        }
                    }
                }
                let _ = writeln!(out, "      replay: {}", replay(cmd, f));
            }
            None => {
                let _ = writeln!(out, "  {:<48} not reached", v.as_str());
            }
        }
    }
    for e in &x.expects {
        let word = match e.qualifier {
            Qualifier::Sometimes => "in one run at least",
            Qualifier::Never => "in no run",
            Qualifier::Plain | Qualifier::Always => "in every run",
        };
        let verdict = if e.passed() { "PASS" } else { "FAIL" };
        let _ = writeln!(
            out,
            "  {verdict} line {}: {}\n      held in {} of {} completed runs (needed: {word})",
            e.line, e.text, e.held, e.decided
        );
        if !e.passed() {
            if let Some(f) = e.against.as_ref().or(e.witness.as_ref()) {
                let _ = writeln!(out, "      first against it: schedule {}; replay: {}", f.schedule, replay(cmd, f));
            }
        }
    }
    let merged = if x.merged > 0 {
        format!(", {} stopped at a state explored before", exec::group(x.merged))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "  explored: {} run{} ({} to the end{merged}), {} distinct states, {} choice points ({} order, {} cpu, {} draw), at most {} in one run",
        exec::group(x.runs),
        if x.runs == 1 { "" } else { "s" },
        exec::group(x.completed),
        exec::group(x.states),
        exec::group(x.order_points + x.cpu_points + x.draw_points),
        exec::group(x.order_points),
        exec::group(x.cpu_points),
        exec::group(x.draw_points),
        x.deepest
    );
    let _ = match x.bound {
        None => writeln!(out, "  exhausted: every schedule at this scope was explored"),
        Some(b) => writeln!(
            out,
            "  NOT exhausted: {}; what was not reached is not reached within that bound, not proved unreachable",
            bound_text(b)
        ),
    };
}

fn bound_text(b: Bound) -> String {
    match b {
        Bound::States(n) => format!("--max-states {n} reached"),
        Bound::Runs(n) => format!("--max-runs {n} reached"),
        Bound::Depth(d) => format!("runs had more than --depth {d} choice points; past it they took the first option"),
        Bound::Stopped => "interrupted".to_string(),
    }
}

fn found_json(f: &Found) -> Value {
    json!({ "schedule": f.schedule.to_string(), "run": f.run })
}

fn point_json(params: &OrderedMap<ParamValue>, seed: u64, x: &Exploration) -> Value {
    let violations: serde_json::Map<String, Value> = Violation::ALL
        .iter()
        .map(|v| {
            let f = x.violations.iter().find(|(w, _)| w == v).map(|(_, f)| found_json(f));
            (v.metric().to_string(), f.unwrap_or(Value::Null))
        })
        .collect();
    let expects: Vec<Value> = x
        .expects
        .iter()
        .map(|e| {
            json!({
                "line": e.line,
                "text": e.text,
                "passed": e.passed(),
                "held": e.held,
                "decided": e.decided,
                "against": e.against.as_ref().map(found_json),
                "witness": e.witness.as_ref().map(found_json),
            })
        })
        .collect();
    json!({
        "params": params,
        "seed": seed,
        "runs": x.runs,
        "completed": x.completed,
        "merged": x.merged,
        "states": x.states,
        "choice_points": { "order": x.order_points, "cpu": x.cpu_points, "draw": x.draw_points },
        "deepest": x.deepest,
        "exhausted": x.exhausted,
        "bound": x.bound.map(bound_text),
        "reachable": violations,
        "expects": expects,
    })
}
