//! `sim check`: the debate's claims as workloads; one row per check, a total, exit 1 on a FAIL.

use crate::cli::CheckArgs;
use crate::exec;
use crate::{output, summary, Outcome, UserError};
use serde::Serialize;
use sim_core::checks;
use sim_core::kernel::Limits;
use sim_core::report::{CheckResult, OrderedMap, PointReport, Verdict};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Serialize)]
struct Row {
    claim: String,
    file: String,
    #[serde(flatten)]
    check: CheckResult,
}

/// A per-point line that holds at every point where it applies is one row, with the point whose
/// figures come closest to failing it; one that fails somewhere is a row per failing point.
fn per_point_rows(verdicts: Vec<CheckResult>, sets: usize, seeds: bool) -> Vec<CheckResult> {
    let mut out = Vec::new();
    for same in by_line(verdicts) {
        if same.iter().all(|c| c.skipped) {
            out.extend(same.into_iter().next().map(|c| CheckResult { params: OrderedMap::default(), ..c }));
        } else if same.iter().all(|c| c.passed) {
            out.push(collapse(same, sets, seeds));
        } else {
            out.extend(same.into_iter().filter(|c| !c.passed).map(|mut c| {
                if sets < 2 {
                    c.params = OrderedMap::default();
                }
                c
            }));
        }
    }
    out
}

/// Comparisons with other points, one result per point: like per-point lines, a line that holds
/// everywhere is one row. Slopes (one per group) stay as they are.
fn cross_rows(results: Vec<CheckResult>, seeds: bool) -> Vec<CheckResult> {
    let mut out = Vec::new();
    for same in by_line(results) {
        if same.iter().all(|c| c.skipped) {
            out.extend(same.into_iter().next().map(|c| CheckResult { params: OrderedMap::default(), ..c }));
            continue;
        }
        let comparison = same.iter().all(|c| c.against.is_some());
        if comparison && same.len() > 1 && same.iter().all(|c| c.passed) {
            out.push(collapse(same, 2, seeds));
        } else {
            out.extend(same);
        }
    }
    out
}

/// Results cut into runs of one line each (they come grouped by line).
fn by_line(results: Vec<CheckResult>) -> Vec<Vec<CheckResult>> {
    let mut out: Vec<Vec<CheckResult>> = Vec::new();
    for c in results {
        match out.last_mut() {
            Some(last) if last[0].line == c.line && last[0].text == c.text => last.push(c),
            _ => out.push(vec![c]),
        }
    }
    out
}

/// One row for a line that passed at every point: the tightest point's figures, the seed counts
/// of them all.
fn collapse(same: Vec<CheckResult>, sets: usize, seeds: bool) -> CheckResult {
    let n = same.len();
    let held: u32 = same.iter().filter_map(|c| c.held).sum();
    let total: u32 = same.iter().filter_map(|c| c.total).sum();
    let mut c = same
        .into_iter()
        .min_by(|a, b| checks::margin(a, None).total_cmp(&checks::margin(b, None)))
        .unwrap_or_else(|| unreachable!("a line has a result"));
    c.held = Some(held);
    c.total = Some(total);
    c.verdict = Some(Verdict::of(held, total));
    if sets < 2 {
        c.params = OrderedMap::default();
    }
    if n > 1 {
        c.note = Some(if seeds { format!("all {n} points") } else { format!("all {n} points; tightest shown") });
    }
    c
}

/// The .wl files named, folders expanded in name order (default: workloads/claims).
pub fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, UserError> {
    let paths = if paths.is_empty() { vec![PathBuf::from("workloads/claims")] } else { paths.to_vec() };
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(&p)
                .map_err(|e| UserError(format!("error: cannot read {}: {e}", p.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "wl"))
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(UserError(format!("error: no .wl files in {}", p.display())));
            }
            out.extend(found);
        } else if p.exists() {
            out.push(p);
        } else {
            return Err(UserError(format!("error: {} does not exist", p.display())));
        }
    }
    Ok(out)
}

pub fn run(args: CheckArgs) -> Result<Outcome, UserError> {
    let files = files(&args.paths)?;
    let mut loaded = Vec::new();
    let mut errors = String::new();
    for f in &files {
        match exec::load(f, &[]) {
            Ok(w) => loaded.push(w),
            Err(UserError(e)) => {
                // One file's diagnostics apart from the next one's.
                if !errors.is_empty() {
                    errors.push_str("\n\n");
                }
                errors.push_str(e.trim_end());
            }
        }
    }
    if !errors.is_empty() {
        return Err(UserError(errors));
    }
    let specs: Vec<Vec<exec::RunSpec>> = loaded.iter().map(|w| exec::plan(w, args.seed, args.seeds)).collect();
    let jobs: Vec<(usize, usize)> =
        specs.iter().enumerate().flat_map(|(w, s)| (0..s.len()).map(move |i| (w, i))).collect();
    let limits = Limits { max_events: args.max_events, ..Limits::default() };
    let bar = exec::progress_bar(jobs.len() as u64, args.quiet);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(exec::jobs(args.jobs))
        .build()
        .map_err(|e| UserError(format!("error: cannot start worker threads: {e}")))?;
    let mut programs = Vec::with_capacity(jobs.len());
    for &(w, i) in &jobs {
        let spec = &specs[w][i];
        programs.push((w, spec, loaded[w].instantiate(&spec.params).map_err(|d| UserError(d.to_string()))?));
    }
    let results: Vec<Option<Result<Option<PointReport>, UserError>>> = crate::balance::run(
        &pool,
        &programs,
        |(_, _, p)| crate::balance::weight(p),
        |(w, spec, program)| {
            if exec::interrupted() {
                return Ok(None);
            }
            let observe = sim_core::sim::Observe { no_lockdep: args.no_lockdep, ..Default::default() };
            let how = exec::PointOptions { limits, observe, schedule: None };
            let r = exec::run_program(&loaded[*w], spec, program, how, &bar, false)?;
            bar.inc(1);
            Ok(r.map(|(p, _)| p))
        },
    );
    bar.finish_and_clear();
    if exec::interrupted() {
        return Ok(Outcome::Interrupted);
    }
    let mut per_file: Vec<Vec<PointReport>> = vec![Vec::new(); loaded.len()];
    for (&(w, _), r) in jobs.iter().zip(results) {
        if let Some(p) = r.unwrap_or(Ok(None))? {
            per_file[w].push(p);
        }
    }
    let seeds = args.seeds > 1;
    let mut rows = Vec::new();
    for (w, points) in loaded.iter().zip(&per_file) {
        let sets = w.points().len();
        let mut results = per_point_rows(checks::point_verdicts(points), sets, seeds);
        results.extend(cross_rows(checks::cross_checks(w.cross_checks(), points), seeds));
        results.sort_by_key(|c| c.line);
        if results.is_empty() {
            let none = CheckResult {
                line: 0,
                text: "(no expect line)".to_string(),
                note: Some("a claim without checks decides nothing".to_string()),
                ..CheckResult::default()
            };
            rows.push(Row { claim: w.name().to_string(), file: w.source().to_string(), check: none });
        }
        for c in results {
            rows.push(Row { claim: w.name().to_string(), file: w.source().to_string(), check: c });
        }
    }
    let failed = rows.iter().filter(|r| !r.check.passed && !r.check.skipped).count();
    let skipped = rows.iter().filter(|r| r.check.skipped).count();
    if let Some(path) = &args.json {
        let mut s = serde_json::to_string_pretty(&rows).map_err(|e| UserError(format!("error: JSON: {e}")))?;
        s.push('\n');
        output::write_atomic(path, s.as_bytes())?;
    }
    if args.json.as_deref() != Some(Path::new("-")) {
        let mut out = std::io::stdout().lock();
        let cw = rows.iter().map(|r| r.claim.len()).max().unwrap_or(5).max(5);
        let measured: Vec<String> = rows.iter().map(|r| summary::measured(&r.check)).collect();
        let mw = measured.iter().map(|m| m.chars().count()).max().unwrap_or(0);
        let verdicts: Vec<String> =
            rows.iter()
                .map(|r| {
                    if seeds {
                        format!("{}  ", summary::over_seeds(&r.check).unwrap_or_default())
                    } else {
                        String::new()
                    }
                })
                .collect();
        let vw = verdicts.iter().map(String::len).max().unwrap_or(0);
        for ((r, measured), verdict) in rows.iter().zip(&measured).zip(&verdicts) {
            let c = &r.check;
            let pad = " ".repeat(mw - measured.chars().count());
            let at = if c.params.is_empty() { String::new() } else { format!(" [{}]", exec::describe(&c.params)) };
            let mut notes: Vec<String> = Vec::new();
            if let (Some(n), Some(_)) = (&c.note, c.value) {
                notes.push(n.clone());
            }
            if seeds {
                notes.extend(summary::seed_note(c));
            }
            let notes = if notes.is_empty() { String::new() } else { format!(" ({})", notes.join("; ")) };
            writeln!(
                out,
                "{:<cw$}  {}  {verdict:<vw$}{pad}{measured}  {}:{}  {}{at}{notes}",
                r.claim,
                summary::word(c),
                r.file,
                c.line,
                c.text
            )?;
        }
        writeln!(
            out,
            "\n{} in {}: {} passed, {} failed{}",
            plural(rows.len(), "check"),
            plural(loaded.len(), "workload"),
            rows.len() - failed - skipped,
            failed,
            if skipped > 0 { format!(", {skipped} skipped ({})", checks::NOT_MEASURED) } else { String::new() }
        )?;
        if seeds {
            let mut bases: Vec<u64> = loaded.iter().map(|w| args.seed.unwrap_or(w.seed())).collect();
            bases.dedup();
            let which = match bases[..] {
                [b] => format!("seeds {b} to {}", b.wrapping_add(u64::from(args.seeds) - 1)),
                _ => format!("{} seeds, from each workload's `seed` on", args.seeds),
            };
            writeln!(
                out,
                "(every point ran at {which}; Always, Sometimes k/n or Never: at how many of the runs the line's condition held)"
            )?;
        }
        if rows.iter().any(|r| r.check.interval.is_some()) {
            writeln!(out, "(a slope's ± is the half-width of its 95% confidence interval)")?;
        }
    }
    Ok(if failed > 0 { Outcome::ChecksFailed } else { Outcome::Ok })
}

/// `1 check`, `2 checks`.
fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}
