//! lockdep's warnings and lock_stat's tables as a kernel developer reads them: the report's
//! `lockdep` findings as the kernel's "possible circular locking dependency" and "possible
//! recursive locking" texts, once per distinct finding over every point, and each point's
//! `lock_stat` rows as /proc/lock_stat's columns, sorted as `perf lock report` sorts them.

use crate::exec::{describe, group};
use crate::units::ns;
use sim_core::metrics::Metric;
use sim_core::program::ParamValue;
use sim_core::report::{LockStatRow, LockdepDep, MetricValue, OrderedMap, PointReport, Report};
use std::fmt::Write;

/// Points whose lock_stat table `sim run --lock-stat` prints.
pub const MAX_TABLES: usize = 8;
/// Rows of one lock_stat table without `--all`.
pub const MAX_ROWS: usize = 40;
/// lockdep warnings printed after the summary; the JSON has every one.
pub const MAX_WARNINGS: usize = 6;

/// /proc/lock_stat's columns after the name, in its order.
pub const COLUMNS: [&str; 12] = [
    "con-bounces",
    "contentions",
    "waittime-min",
    "waittime-max",
    "waittime-total",
    "waittime-avg",
    "acq-bounces",
    "acquisitions",
    "holdtime-min",
    "holdtime-max",
    "holdtime-total",
    "holdtime-avg",
];

/// A row's twelve figures; times in ns.
fn figures(r: &LockStatRow) -> [f64; 12] {
    [
        r.con_bounces as f64,
        r.contentions as f64,
        r.waittime_min as f64,
        r.waittime_max as f64,
        r.waittime_total as f64,
        r.waittime_avg,
        r.acq_bounces as f64,
        r.acquisitions as f64,
        r.holdtime_min as f64,
        r.holdtime_max as f64,
        r.holdtime_total as f64,
        r.holdtime_avg,
    ]
}

/// Whether column `i` is a time.
fn is_time(i: usize) -> bool {
    !matches!(i, 0 | 1 | 6 | 7)
}

/// The rows of a point at the level asked for, as `perf lock report` sorts them: most
/// contentions first, then most acquisitions, then by name; rows of locks never taken left out.
pub fn sorted(p: &PointReport, instances: bool) -> Vec<&LockStatRow> {
    let rows = if instances { &p.lock_stat_instances } else { &p.lock_stat };
    let mut out: Vec<&LockStatRow> = rows.iter().filter(|r| r.acquisitions > 0 || r.contentions > 0).collect();
    out.sort_by(|a, b| {
        b.contentions.cmp(&a.contentions).then(b.acquisitions.cmp(&a.acquisitions)).then(a.name.cmp(&b.name))
    });
    out
}

/// One point's table, at most [`MAX_ROWS`] rows unless `all`.
fn table(out: &mut String, p: &PointReport, instances: bool, all: bool) {
    let rows = sorted(p, instances);
    let what = if instances { "lock" } else { "class name" };
    let _ = writeln!(out, "lock_stat: {} (seed {})", describe(&p.params), p.seed);
    if rows.is_empty() {
        let _ = writeln!(out, "  no lock was taken\n");
        return;
    }
    let shown = if all { rows.len() } else { rows.len().min(MAX_ROWS) };
    let cells: Vec<Vec<String>> = rows[..shown]
        .iter()
        .map(|r| {
            let mut line = vec![r.name.clone()];
            line.extend(figures(r).iter().enumerate().map(|(i, &v)| if is_time(i) { ns(v) } else { group(v as u64) }));
            line
        })
        .collect();
    let mut head = vec![what.to_string()];
    head.extend(COLUMNS.iter().map(|c| c.to_string()));
    let lines = crate::units::table_lines(&head, &cells, 1);
    let _ = writeln!(out, "  {}", lines[0]);
    let _ = writeln!(out, "  {}", "-".repeat(lines[0].chars().count()));
    for l in &lines[1..] {
        let _ = writeln!(out, "  {l}");
    }
    if shown < rows.len() {
        let _ = writeln!(
            out,
            "  ({} of {} rows not shown: the least contended; --all shows every row, --lock-stat-csv writes them all)",
            rows.len() - shown,
            rows.len()
        );
    }
    let _ = writeln!(out);
}

/// `sim run --lock-stat`: the tables of the first [`MAX_TABLES`] points.
pub fn tables(report: &Report, instances: bool, all: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nlock_stat, per {} (times simulated; a bounce: the lock was last taken on another CPU)\n",
        if instances { "lock" } else { "lock class" }
    );
    for p in report.points.iter().take(MAX_TABLES) {
        table(&mut out, p, instances, all);
    }
    if report.points.len() > MAX_TABLES {
        let _ = writeln!(
            out,
            "({} more points' tables not shown; --lock-stat-csv PATH writes every row of every point)",
            report.points.len() - MAX_TABLES
        );
    }
    out
}

/// Every lock_stat row of every point: `index,seed,<params>,level,name,<the 12 columns>`, times
/// in ns; per point its classes' rows in class order, then its locks' rows (if kept) in lock
/// order.
pub fn csv(report: &Report) -> String {
    let params: Vec<&str> =
        report.points.first().map(|p| p.params.iter().map(|(k, _)| k.as_str()).collect()).unwrap_or_default();
    let mut header: Vec<String> = vec!["index".into(), "seed".into()];
    header.extend(params.iter().map(|p| crate::output::csv_field(p)));
    header.extend(["level".into(), "name".into()]);
    header.extend(COLUMNS.iter().map(|c| c.to_string()));
    let mut out = header.join(",");
    out.push('\n');
    for p in &report.points {
        let mut prefix = vec![p.index.to_string(), p.seed.to_string()];
        prefix.extend(
            params
                .iter()
                .map(|n| p.params.get(n).map(|v| crate::output::csv_field(&v.to_string())).unwrap_or_default()),
        );
        let prefix = prefix.join(",");
        for (level, rows) in [("class", &p.lock_stat), ("instance", &p.lock_stat_instances)] {
            for r in rows {
                let values: Vec<String> = figures(r)
                    .iter()
                    .enumerate()
                    .map(|(i, v)| if i == 5 || i == 11 { v.to_string() } else { (*v as u64).to_string() })
                    .collect();
                let _ = writeln!(out, "{prefix},{level},{},{}", crate::output::csv_field(&r.name), values.join(","));
            }
        }
    }
    out
}

// ---- lockdep ---------------------------------------------------------------------------------

/// One distinct finding over the run: the points where it was seen, the first one's details.
struct Finding<'a> {
    key: (u8, Vec<String>),
    /// The chain of the first point that found it (a single dependency for a nesting).
    chain: &'a [LockdepDep],
    between_classes: bool,
    first: &'a PointReport,
    at: Vec<&'a PointReport>,
}

/// Every distinct finding, in the order first seen: cycles, then recursive nestings, then the
/// points that overflowed lockdep's held-lock table.
fn findings(report: &Report) -> Vec<Finding<'_>> {
    let mut out: Vec<Finding<'_>> = Vec::new();
    for p in &report.points {
        for c in &p.lockdep.cycles {
            // The same cycle whichever lock closed it: rotated to start at its least lock.
            let start = (0..c.locks.len()).min_by_key(|&i| &c.locks[i]).unwrap_or(0);
            let mut locks = c.locks[start..].to_vec();
            locks.extend_from_slice(&c.locks[..start]);
            locks.insert(0, c.between.clone());
            note(&mut out, (0, locks), &c.chain, c.between == "classes", p);
        }
    }
    for p in &report.points {
        // In the order they happened, as the kernel would have met them.
        let mut nesting: Vec<&LockdepDep> = p.lockdep.nesting.iter().collect();
        nesting.sort_by_key(|d| d.time_ns);
        for d in nesting {
            note(&mut out, (1, vec![d.held_class.clone()]), std::slice::from_ref(d), false, p);
        }
    }
    for p in &report.points {
        if matches!(p.metric(Metric::LockdepOverflow.info().name), Some(MetricValue::Scalar(v)) if *v > 0) {
            note(&mut out, (2, Vec::new()), &[], false, p);
        }
    }
    out
}

fn note<'a>(
    out: &mut Vec<Finding<'a>>,
    key: (u8, Vec<String>),
    chain: &'a [LockdepDep],
    between_classes: bool,
    p: &'a PointReport,
) {
    match out.iter_mut().find(|f| f.key == key) {
        Some(f) => {
            if !f.at.iter().any(|q| std::ptr::eq(*q, p)) {
                f.at.push(p);
            }
        }
        None => out.push(Finding { key, chain, between_classes, first: p, at: vec![p] }),
    }
}

/// Where a finding was seen: `seen at 40 of 180 points: strategy=unsorted sharing=two_mms at
/// 20 of 20 seeds; ...`, or nothing for a run of one point.
fn seen_at(report: &Report, at: &[&PointReport]) -> Option<String> {
    let n = report.points.len();
    if n < 2 {
        return None;
    }
    // (params, seeds where seen, seeds run)
    let mut sets: Vec<(&OrderedMap<ParamValue>, usize, usize)> = Vec::new();
    for p in at {
        match sets.iter_mut().find(|s| *s.0 == p.params) {
            Some(s) => s.1 += 1,
            None => sets.push((&p.params, 1, report.points.iter().filter(|q| q.params == p.params).count())),
        }
    }
    let seeds = sets.iter().any(|s| s.2 > 1);
    let named: Vec<String> = sets
        .iter()
        .take(4)
        .map(|(params, k, of)| {
            let what = if params.is_empty() { "the workload".to_string() } else { describe(params) };
            if seeds {
                format!("{what} at {k} of {of} seeds")
            } else {
                what
            }
        })
        .collect();
    let more = if sets.len() > 4 { format!("; and {} more sets of parameters", sets.len() - 4) } else { String::new() };
    Some(format!("seen at {} of {n} points: {}{more}", at.len(), named.join("; ")))
}

/// `  12 | register kvm`, if the line is known.
fn source_line(line: u32, line_text: &dyn Fn(u32) -> Option<String>) -> String {
    line_text(line).map(|t| format!("  {line:>5} | {}\n", t.trim())).unwrap_or_default()
}

fn header(out: &mut String, title: &str) {
    let rule = title.len();
    let _ = writeln!(out, "\n{}\n{title}\n{}", "=".repeat(rule), "-".repeat(rule));
}

fn first_at(out: &mut String, report: &Report, f: &Finding<'_>) {
    if let Some(s) = seen_at(report, &f.at) {
        let _ = writeln!(out, "{s}");
        let _ = writeln!(out, "first at {} (seed {}):\n", describe(&f.first.params), f.first.seed);
    }
}

/// The lock a task is trying to acquire and the one it already holds, with their lines.
fn acquiring(out: &mut String, src: &str, d: &LockdepDep, line_text: &dyn Fn(u32) -> Option<String>) {
    let _ = writeln!(out, "{} is trying to acquire lock:", d.task);
    let _ = writeln!(
        out,
        "  {} (class {}), at {src}:{} ({} simulated)",
        d.acquired,
        d.acquired_class,
        d.line,
        ns(d.time_ns as f64)
    );
    out.push_str(&source_line(d.line, line_text));
    let _ = writeln!(out, "\nbut task is already holding lock:");
    let _ = writeln!(out, "  {} (class {}), taken at {src}:{}", d.held, d.held_class, d.held_line);
    if d.held_line != d.line {
        out.push_str(&source_line(d.held_line, line_text));
    }
}

fn circular(out: &mut String, report: &Report, f: &Finding<'_>, line_text: &dyn Fn(u32) -> Option<String>) {
    let src = &report.source;
    let Some(new) = f.chain.first() else { return };
    let name = |d: &LockdepDep| if f.between_classes { d.acquired_class.clone() } else { d.acquired.clone() };
    header(out, "WARNING: possible circular locking dependency detected");
    first_at(out, report, f);
    acquiring(out, src, new, line_text);
    let _ = writeln!(out, "\nwhich lock already depends on the new lock.\n");
    let _ = writeln!(out, "the existing dependency chain (in reverse order) is:\n");
    for (i, d) in f.chain.iter().enumerate().skip(1).rev().chain(std::iter::once((0, new))) {
        let _ = writeln!(out, "-> #{i} ({}):", name(d));
        let _ = writeln!(
            out,
            "       {} asked for {} at {src}:{} while holding {} (taken at line {})",
            d.task, d.acquired, d.line, d.held, d.held_line
        );
        if i != 0 {
            out.push_str(&source_line(d.line, line_text));
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "other info that might help us debug this:\n");
    if f.chain.len() == 2 {
        let old = &f.chain[1];
        let held = if f.between_classes { &new.held_class } else { &new.held };
        let _ = writeln!(out, " Possible unsafe locking scenario:\n");
        let cpu0 = format!("CPU0 ({})", new.task);
        let _ = writeln!(out, "       {cpu0:<24}CPU1 ({})", old.task);
        let _ = writeln!(out, "       ----                    ----");
        let _ = writeln!(out, "  lock({held});");
        let _ = writeln!(out, "                               lock({});", name(new));
        let _ = writeln!(out, "                               lock({held});");
        let _ = writeln!(out, "  lock({});", name(new));
    } else {
        let names: Vec<String> = f.chain.iter().map(name).collect();
        let _ = writeln!(out, "Chain exists of:\n  {}", names.join(" --> "));
    }
    let _ = writeln!(out, "\n *** DEADLOCK ***");
}

fn recursive(out: &mut String, report: &Report, f: &Finding<'_>, line_text: &dyn Fn(u32) -> Option<String>) {
    let src = &report.source;
    let Some(d) = f.chain.first() else { return };
    header(out, "WARNING: possible recursive locking detected");
    first_at(out, report, f);
    acquiring(out, src, d, line_text);
    let _ = writeln!(out, "\nother info that might help us debug this:");
    let _ = writeln!(out, " Possible unsafe locking scenario:\n");
    let _ = writeln!(out, "       CPU0\n       ----");
    let _ = writeln!(out, "  lock({});\n  lock({});", d.held_class, d.acquired_class);
    let _ = writeln!(out, "\n *** DEADLOCK ***\n");
    let _ = writeln!(out, " May be due to missing lock nesting notation");
}

fn depth(out: &mut String, report: &Report, f: &Finding<'_>) {
    let scalar = |m: Metric| match f.first.metric(m.info().name) {
        Some(MetricValue::Scalar(v)) => *v,
        _ => 0,
    };
    let _ = writeln!(out, "\nBUG: MAX_LOCK_DEPTH too low!");
    let _ = writeln!(out, "turning off the locking correctness validator.");
    if let Some(s) = seen_at(report, &f.at) {
        let _ = writeln!(out, "{s}");
    }
    let _ = writeln!(
        out,
        "(a task went past lockdep's 48 held locks, or 2048 of one class under a nest annotation, {} time{}{}; \
         it held up to {} spinlocks at once: lock.max_held)",
        scalar(Metric::LockdepOverflow),
        if scalar(Metric::LockdepOverflow) == 1 { "" } else { "s" },
        if report.points.len() > 1 {
            format!(" at {} (seed {})", describe(&f.first.params), f.first.seed)
        } else {
            String::new()
        },
        scalar(Metric::LockMaxHeld)
    );
}

/// lockdep's warnings over the run, each distinct one once, at most [`MAX_WARNINGS`]; empty if
/// lockdep found nothing.
pub fn warnings(report: &Report, line_text: &dyn Fn(u32) -> Option<String>) -> String {
    let found = findings(report);
    let mut out = String::new();
    for f in found.iter().take(MAX_WARNINGS) {
        match f.key.0 {
            0 => circular(&mut out, report, f, line_text),
            1 => recursive(&mut out, report, f, line_text),
            _ => depth(&mut out, report, f),
        }
    }
    if found.len() > MAX_WARNINGS {
        let _ = writeln!(
            out,
            "\n({} more lockdep warnings not shown: each point's `lockdep` in the JSON report lists them all)",
            found.len() - MAX_WARNINGS
        );
    }
    let off: Vec<&PointReport> = report.points.iter().filter(|p| p.lockdep.off.is_some()).collect();
    if let Some(p) = off.first() {
        let _ = writeln!(
            out,
            "\nnote: at {} of {} points {}",
            off.len(),
            report.points.len(),
            p.lockdep.off.as_deref().unwrap_or_default()
        );
    }
    out
}
