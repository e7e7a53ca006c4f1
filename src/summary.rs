//! The human-readable summary of a run: what happened at each point, and the checks.

use sim_core::metrics::{Metric, MetricKind, METRICS};
use sim_core::report::{CheckResult, End, MetricValue, PointReport, Report};
use std::fmt::Write;

/// Nanoseconds, readably: `850 ns`, `12.3 us`, `4.56 ms`, `2.01 s`.
pub fn ns(v: f64) -> String {
    let a = v.abs();
    if a < 1e3 {
        format!("{v:.0} ns")
    } else if a < 1e6 {
        format!("{:.3} us", v / 1e3)
    } else if a < 1e9 {
        format!("{:.3} ms", v / 1e6)
    } else {
        format!("{:.3} s", v / 1e9)
    }
}

pub fn bytes(v: f64) -> String {
    let a = v.abs();
    if a < 1024.0 {
        format!("{v:.0} B")
    } else if a < 1024.0 * 1024.0 {
        format!("{:.1} KiB", v / 1024.0)
    } else if a < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2} MiB", v / (1024.0 * 1024.0))
    } else {
        format!("{:.2} GiB", v / (1024.0 * 1024.0 * 1024.0))
    }
}

fn value(unit: &str, v: f64) -> String {
    match unit {
        "ns" => ns(v),
        "bytes" => bytes(v),
        _ if v.fract() == 0.0 => crate::exec::group(v as u64),
        _ => format!("{v:.2}"),
    }
}

fn end(e: End) -> &'static str {
    match e {
        End::Completed => "completed",
        End::Deadlock => "stopped by a deadlock",
        End::Horizon => "stopped at --until",
        End::EventBudget => "stopped by the event budget",
    }
}

fn point_header(p: &PointReport) -> String {
    format!(
        "{} (seed {}): {} at {} simulated, {} events, fingerprint {}",
        crate::exec::describe(&p.params),
        p.seed,
        end(p.end),
        ns(p.sim_time_ns as f64),
        crate::exec::group(p.events),
        p.fingerprint
    )
}

/// Every non-zero metric of one point, with units.
fn point_detail(out: &mut String, p: &PointReport) {
    let mut hist = Vec::new();
    let mut scalars = Vec::new();
    for info in METRICS {
        match p.metric(info.name) {
            Some(MetricValue::Histogram(h)) if h.count > 0 => hist.push((info, h)),
            Some(MetricValue::Scalar(v)) if *v > 0 => scalars.push((info, *v)),
            _ => {}
        }
    }
    if !hist.is_empty() {
        let _ = writeln!(
            out,
            "  {:<20} {:>9} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}",
            "histogram", "count", "min", "mean", "p50", "p90", "p99", "max"
        );
        for (info, h) in hist {
            let u = info.unit;
            let _ = writeln!(
                out,
                "  {:<20} {:>9} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}",
                info.name,
                crate::exec::group(h.count),
                value(u, h.min as f64),
                value(u, h.mean),
                value(u, h.p50 as f64),
                value(u, h.p90 as f64),
                value(u, h.p99 as f64),
                value(u, h.max as f64)
            );
        }
    }
    if !scalars.is_empty() {
        let _ = writeln!(out);
        for (info, v) in scalars {
            let _ = writeln!(out, "  {:<24} {:>14}   {}", info.name, value(info.unit, v as f64), info.meaning);
        }
    }
    for d in &p.deadlocks {
        let _ = writeln!(out, "\n  deadlock at {}:", ns(d.time_ns as f64));
        for e in &d.cycle {
            let _ = writeln!(out, "    {} in {} holds {}, waits for {}", e.task, e.doing, e.holds, e.waits_for);
        }
    }
}

/// Columns of the sweep table: the headline figures that are non-zero somewhere.
const COLUMNS: &[(Metric, &str)] = &[
    (Metric::RegisterLatency, "mean"),
    (Metric::RegisterFailed, ""),
    (Metric::UnregisterLatency, "mean"),
    (Metric::UnregisterFailed, ""),
    (Metric::MmLockHold, "max"),
    (Metric::OomKillLatency, "max"),
    (Metric::VmallocPeak, ""),
    (Metric::InvalidateMissed, ""),
    (Metric::DeadlockCount, ""),
    (Metric::RaceUnregisterRelease, ""),
    (Metric::AtomicSleep, ""),
    (Metric::ReclaimStall, "max"),
    (Metric::PreemptOverflow, ""),
];

fn column(p: &PointReport, m: Metric, field: &str) -> f64 {
    match p.metric(m.info().name) {
        Some(MetricValue::Scalar(v)) => *v as f64,
        Some(MetricValue::Histogram(h)) if field == "max" => h.max as f64,
        Some(MetricValue::Histogram(h)) => h.mean,
        None => 0.0,
    }
}

fn sweep_table(out: &mut String, points: &[PointReport]) {
    let cols: Vec<&(Metric, &str)> =
        COLUMNS.iter().filter(|(m, f)| points.iter().any(|p| column(p, *m, f) != 0.0)).collect();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut head: Vec<String> =
        points.first().map(|p| p.params.iter().map(|(k, _)| k.clone()).collect()).unwrap_or_default();
    head.push("seed".into());
    for (m, f) in &cols {
        let name = m.info().name;
        head.push(if m.info().kind == MetricKind::Histogram { format!("{name}.{f}") } else { name.to_string() });
    }
    for p in points {
        let mut row: Vec<String> = p.params.iter().map(|(_, v)| v.to_string()).collect();
        row.push(p.seed.to_string());
        for (m, f) in &cols {
            row.push(value(m.info().unit, column(p, *m, f)));
        }
        rows.push(row);
    }
    let widths: Vec<usize> =
        (0..head.len()).map(|i| rows.iter().map(|r| r[i].len()).chain([head[i].len()]).max().unwrap_or(0)).collect();
    let line =
        |cells: &[String]| cells.iter().zip(&widths).map(|(c, w)| format!("{c:>w$}")).collect::<Vec<_>>().join("  ");
    let _ = writeln!(out, "  {}", line(&head));
    for r in &rows {
        let _ = writeln!(out, "  {}", line(r));
    }
    for p in points.iter().filter(|p| p.end != End::Completed || !p.deadlocks.is_empty()) {
        let _ = writeln!(out, "  {}: {}", crate::exec::describe(&p.params), end(p.end));
    }
}

pub fn check_line(c: &CheckResult) -> String {
    let verdict = if c.passed { "PASS" } else { "FAIL" };
    let measured = match (c.value, c.against) {
        (Some(v), Some(a)) => format!("{} vs {}", fmt_num(v), fmt_num(a)),
        (Some(v), None) => fmt_num(v),
        (None, _) => c.note.clone().unwrap_or_else(|| "not computable".into()),
    };
    let at = if c.params.is_empty() { String::new() } else { format!(" [{}]", crate::exec::describe(&c.params)) };
    format!("{verdict}  line {:<4} {}{at}  ->  {measured}", c.line, c.text)
}

pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.4}")
    }
}

/// The summary of a run.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let n = report.points.len();
    let _ = writeln!(out, "{} — {} — {} point{}", report.workload, report.source, n, if n == 1 { "" } else { "s" });
    if n == 1 {
        let p = &report.points[0];
        let _ = writeln!(out, "{}\n", point_header(p));
        point_detail(&mut out, p);
    } else if n > 1 {
        let _ = writeln!(out);
        sweep_table(&mut out, &report.points);
    }
    let point_checks: Vec<(&PointReport, &CheckResult)> =
        report.points.iter().flat_map(|p| p.checks.iter().map(move |c| (p, c))).collect();
    if !point_checks.is_empty() || !report.checks.is_empty() {
        let _ = writeln!(out, "\nchecks");
        // Per-point checks: one line per check, failures named by point.
        let mut lines: Vec<(u32, String)> = Vec::new();
        for (p, c) in &point_checks {
            if n == 1 || !c.passed {
                let mut c = (*c).clone();
                if n > 1 {
                    c.params = p.params.clone();
                }
                lines.push((c.line, check_line(&c)));
            }
        }
        if n > 1 {
            let mut by_line: Vec<(u32, String, usize, usize)> = Vec::new();
            for (_, c) in &point_checks {
                match by_line.iter_mut().find(|x| x.0 == c.line) {
                    Some(x) => {
                        x.2 += usize::from(c.passed);
                        x.3 += 1;
                    }
                    None => by_line.push((c.line, c.text.clone(), usize::from(c.passed), 1)),
                }
            }
            for (line, text, passed, total) in by_line {
                let verdict = if passed == total { "PASS" } else { "FAIL" };
                lines.push((line, format!("{verdict}  line {line:<4} {text}  ->  {passed}/{total} points")));
            }
        }
        for c in &report.checks {
            lines.push((c.line, check_line(c)));
        }
        lines.sort_by_key(|(l, _)| *l);
        for (_, l) in lines {
            let _ = writeln!(out, "  {l}");
        }
    }
    out
}

/// Checks that failed, anywhere in the report.
pub fn failed(report: &Report) -> usize {
    report.points.iter().flat_map(|p| &p.checks).chain(&report.checks).filter(|c| !c.passed).count()
}
