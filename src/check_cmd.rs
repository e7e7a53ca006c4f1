//! `sim check`: the debate's claims as workloads; one row per check, a total, exit 1 on a FAIL.

use crate::cli::CheckArgs;
use crate::exec;
use crate::{output, summary, Outcome, UserError};
use serde::Serialize;
use sim_core::checks;
use sim_core::kernel::Limits;
use sim_core::report::{CheckResult, OrderedMap, PointReport};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Serialize)]
struct Row {
    claim: String,
    file: String,
    line: u32,
    text: String,
    passed: bool,
    value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    against: Option<f64>,
    #[serde(skip_serializing_if = "OrderedMap::is_empty")]
    params: OrderedMap<sim_core::program::ParamValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    interval: Option<[f64; 2]>,
}

impl Row {
    fn new(claim: &str, file: &str, c: CheckResult) -> Row {
        Row {
            claim: claim.to_string(),
            file: file.to_string(),
            line: c.line,
            text: c.text,
            passed: c.passed,
            value: c.value,
            against: c.against,
            params: c.params,
            note: c.note,
            unit: c.unit,
            interval: c.interval,
        }
    }

    /// The figure as `sim run`'s summary shows it: in the check's unit, a slope with its interval.
    fn measured(&self) -> String {
        let c = CheckResult {
            line: self.line,
            text: String::new(),
            value: self.value,
            against: self.against,
            passed: self.passed,
            params: OrderedMap::default(),
            note: self.note.clone(),
            unit: self.unit.clone(),
            interval: self.interval,
        };
        summary::measured(&c)
    }
}

/// A per-point check that holds at every point where it applies is one row, with the value
/// farthest from its bound; one that fails somewhere is a row per failing point.
fn per_point_rows(points: &[PointReport]) -> Vec<CheckResult> {
    let mut lines: Vec<u32> = points.iter().flat_map(|p| p.checks.iter().map(|c| c.line)).collect();
    lines.sort_unstable();
    lines.dedup();
    let mut out = Vec::new();
    for line in lines {
        let at: Vec<(&PointReport, &CheckResult)> =
            points.iter().flat_map(|p| p.checks.iter().filter(|c| c.line == line).map(move |c| (p, c))).collect();
        let failed: Vec<&(&PointReport, &CheckResult)> = at.iter().filter(|(_, c)| !c.passed).collect();
        if failed.is_empty() {
            // The tightest point: the smallest margin between the two sides.
            let tightest = at.iter().min_by(|a, b| margin(a.1).total_cmp(&margin(b.1))).map(|(p, c)| (p, (*c).clone()));
            if let Some((p, mut c)) = tightest {
                if points.len() > 1 {
                    c.params = p.params.clone();
                }
                if at.len() > 1 {
                    c.note = Some(format!("all {} points; tightest shown", at.len()));
                }
                out.push(c);
            }
        } else {
            for (p, c) in failed {
                let mut c = (*c).clone();
                if points.len() > 1 {
                    c.params = p.params.clone();
                }
                out.push(c);
            }
        }
    }
    out
}

/// Comparisons with other points, one result per point: like per-point checks, a line that holds
/// everywhere is one row. Slopes (one per group) stay as they are.
fn collapse_comparisons(results: Vec<CheckResult>) -> Vec<CheckResult> {
    let mut out: Vec<CheckResult> = Vec::new();
    let mut i = 0;
    while i < results.len() {
        let line = results[i].line;
        let same: Vec<&CheckResult> = results[i..].iter().take_while(|c| c.line == line).collect();
        i += same.len();
        let comparison = same.iter().all(|c| c.against.is_some());
        if comparison && same.len() > 1 && same.iter().all(|c| c.passed) {
            if let Some(tightest) = same.iter().min_by(|a, b| margin(a).total_cmp(&margin(b))) {
                let mut c = (*tightest).clone();
                c.note = Some(format!("all {} points; tightest shown", same.len()));
                out.push(c);
            }
        } else {
            out.extend(same.into_iter().cloned());
        }
    }
    out
}

fn margin(c: &CheckResult) -> f64 {
    match (c.value, c.against) {
        (Some(v), Some(a)) => (v - a).abs(),
        _ => f64::INFINITY,
    }
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
    let specs: Vec<Vec<exec::RunSpec>> = loaded.iter().map(|w| exec::plan(w, None, 1)).collect();
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
            let r = exec::run_program(&loaded[*w], spec, program, limits, false, &bar, false)?;
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
    let mut rows = Vec::new();
    for (w, points) in loaded.iter().zip(&per_file) {
        let mut results = per_point_rows(points);
        results.extend(collapse_comparisons(checks::cross_checks(w.cross_checks(), points)));
        results.sort_by_key(|c| c.line);
        if results.is_empty() {
            let none = CheckResult {
                line: 0,
                text: "(no expect line)".to_string(),
                value: None,
                against: None,
                passed: false,
                params: OrderedMap::default(),
                note: Some("a claim without checks decides nothing".to_string()),
                unit: String::new(),
                interval: None,
            };
            rows.push(Row::new(w.name(), w.source(), none));
        }
        for c in results {
            rows.push(Row::new(w.name(), w.source(), c));
        }
    }
    let failed = rows.iter().filter(|r| !r.passed).count();
    if let Some(path) = &args.json {
        let mut s = serde_json::to_string_pretty(&rows).map_err(|e| UserError(format!("error: JSON: {e}")))?;
        s.push('\n');
        output::write_atomic(path, s.as_bytes())?;
    }
    if args.json.as_deref() != Some(Path::new("-")) {
        let mut out = std::io::stdout().lock();
        let cw = rows.iter().map(|r| r.claim.len()).max().unwrap_or(5).max(5);
        let measured: Vec<String> = rows.iter().map(Row::measured).collect();
        let mw = measured.iter().map(|m| m.chars().count()).max().unwrap_or(0);
        for (r, measured) in rows.iter().zip(&measured) {
            let pad = " ".repeat(mw - measured.chars().count());
            let at = if r.params.is_empty() { String::new() } else { format!(" [{}]", exec::describe(&r.params)) };
            let at = match (&r.note, r.value) {
                (Some(n), Some(_)) => format!("{at} ({n})"),
                _ => at,
            };
            writeln!(
                out,
                "{:<cw$}  {}  {pad}{measured}  {}:{}  {}{at}",
                r.claim,
                if r.passed { "PASS" } else { "FAIL" },
                r.file,
                r.line,
                r.text
            )?;
        }
        writeln!(
            out,
            "\n{} checks in {} workloads: {} passed, {} failed",
            rows.len(),
            loaded.len(),
            rows.len() - failed,
            failed
        )?;
        if rows.iter().any(|r| r.interval.is_some()) {
            writeln!(out, "(a slope's ± is the half-width of its 95% confidence interval)")?;
        }
    }
    Ok(if failed > 0 { Outcome::ChecksFailed } else { Outcome::Ok })
}
