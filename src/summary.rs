//! The human-readable summary of a run: what happened at each point (or each set of parameters,
//! over its seeds), the verdict across strategies, the steps that did nothing, and the checks.

use crate::units::{cell, human, human_pair, ns};
use sim_core::checks;
use sim_core::metrics::{Metric, MetricKind, METRICS};
use sim_core::program::{ParamValue, Qualifier};
use sim_core::report::{CheckResult, End, MetricValue, OrderedMap, PointReport, Report};
use sim_core::stats::{self, Interval};
use std::collections::BTreeSet;
use std::fmt::Write;

/// Rows of the sweep table without `--all`.
pub const MAX_ROWS: usize = 40;

/// How the summary is drawn.
pub struct Options<'a> {
    /// Every row of the sweep table, however many.
    pub all: bool,
    /// The text of a workload line, for the warnings that name one.
    pub line_text: &'a dyn Fn(u32) -> Option<String>,
}

fn end(e: End) -> &'static str {
    match e {
        End::Completed => "completed",
        End::Deadlock => "stopped by a deadlock",
        End::Horizon => "stopped at --until",
        End::EventBudget => "stopped by the event budget",
        End::Pruned => "stopped at a state already explored",
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
                cell(u, h.min as f64),
                cell(u, h.mean),
                cell(u, h.p50 as f64),
                cell(u, h.p90 as f64),
                cell(u, h.p99 as f64),
                cell(u, h.max as f64)
            );
        }
    }
    if !scalars.is_empty() {
        let _ = writeln!(out);
        for (info, v) in scalars {
            let _ = writeln!(out, "  {:<24} {:>14}   {}", info.name, cell(info.unit, v as f64), info.meaning);
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
pub const COLUMNS: &[(Metric, &str)] = &[
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
    (Metric::StepsNoop, ""),
];

/// A column's name as the table and the statistics call it: `register.latency.mean`.
pub fn column_name(m: Metric, field: &str) -> String {
    let name = m.info().name;
    if m.info().kind == MetricKind::Histogram {
        format!("{name}.{field}")
    } else {
        name.to_string()
    }
}

/// A point's figure for a column; none for a histogram without samples.
pub fn column(p: &PointReport, m: Metric, field: &str) -> Option<f64> {
    match p.metric(m.info().name)? {
        MetricValue::Scalar(v) => Some(*v as f64),
        MetricValue::Histogram(h) if h.count == 0 => None,
        MetricValue::Histogram(h) if field == "max" => Some(h.max as f64),
        MetricValue::Histogram(h) => Some(h.mean),
    }
}

/// A set of parameters and its runs: one row of the table.
pub struct Row<'a> {
    pub params: &'a OrderedMap<ParamValue>,
    pub points: Vec<&'a PointReport>,
}

/// The table's rows: one per point, or with several seeds per point, one per set of parameters.
pub fn rows(report: &Report) -> (Vec<Row<'_>>, bool) {
    let groups = stats::by_params(&report.points);
    let replicated = groups.iter().any(|(_, g)| g.len() > 1);
    if replicated {
        (groups.into_iter().map(|(params, points)| Row { params, points }).collect(), true)
    } else {
        (report.points.iter().map(|p| Row { params: &p.params, points: vec![p] }).collect(), false)
    }
}

/// A row's figures for a column over its seeds.
pub fn row_interval(row: &Row<'_>, m: Metric, field: &str) -> Option<Interval> {
    let values: Vec<f64> = row.points.iter().filter_map(|p| column(p, m, field)).collect();
    stats::interval(&values)
}

/// `9.642 ± 0.118 us`: a mean and the half-width of its interval, in one scale.
fn cell_ci(unit: &str, i: &Interval) -> String {
    let Some(half) = i.half_width() else { return cell(unit, i.mean) };
    let m = cell(unit, i.mean);
    match unit {
        "ns" | "bytes" => {
            // The scale the mean reads in applies to the half-width too.
            let (num, scale) = m.split_once(' ').unwrap_or((m.as_str(), ""));
            let div = match scale {
                "us" => 1e3,
                "ms" => 1e6,
                "s" => 1e9,
                "KiB" => 1024.0,
                "MiB" => 1024.0 * 1024.0,
                "GiB" => 1024.0 * 1024.0 * 1024.0,
                _ => 1.0,
            };
            let decimals = num.split_once('.').map_or(0, |(_, f)| f.len());
            format!("{num} ± {:.decimals$} {scale}", half / div)
        }
        _ if i.mean.fract() == 0.0 && half == 0.0 => format!("{m} ± 0"),
        _ => format!("{:.2} ± {half:.2}", i.mean),
    }
}

/// Which rows a long table shows: the first, the last, the least and greatest of each column,
/// then evenly spaced ones, `MAX_ROWS` in all.
fn shown(rows: &[Row<'_>], cols: &[&(Metric, &str)]) -> Vec<usize> {
    let n = rows.len();
    if n <= MAX_ROWS {
        return (0..n).collect();
    }
    let mut keep: BTreeSet<usize> = [0, n - 1].into_iter().collect();
    for (m, f) in cols {
        let values: Vec<(usize, f64)> =
            rows.iter().enumerate().filter_map(|(i, r)| row_interval(r, *m, f).map(|v| (i, v.mean))).collect();
        let lo = values.iter().min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let hi = values.iter().max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        keep.extend(lo.into_iter().chain(hi).map(|v| v.0));
    }
    // The rest evenly spaced among the rows not kept yet.
    let free: Vec<usize> = (0..n).filter(|i| !keep.contains(i)).collect();
    let want = MAX_ROWS.saturating_sub(keep.len()).min(free.len());
    for j in 0..want {
        keep.insert(free[(2 * j + 1) * free.len() / (2 * want)]);
    }
    keep.into_iter().collect()
}

fn sweep_table(out: &mut String, report: &Report, all: bool) {
    let (rows, replicated) = rows(report);
    let cols: Vec<&(Metric, &str)> = COLUMNS
        .iter()
        .filter(|(m, f)| report.points.iter().any(|p| column(p, *m, f).is_some_and(|v| v != 0.0)))
        .collect();
    let mut head: Vec<String> =
        rows.first().map(|r| r.params.iter().map(|(k, _)| k.clone()).collect()).unwrap_or_default();
    head.push(if replicated { "seeds".into() } else { "seed".into() });
    for (m, f) in &cols {
        head.push(column_name(*m, f));
    }
    let picked = if all { (0..rows.len()).collect() } else { shown(&rows, &cols) };
    let mut cells: Vec<Vec<String>> = Vec::new();
    for &i in &picked {
        let r = &rows[i];
        let mut line: Vec<String> = r.params.iter().map(|(_, v)| v.to_string()).collect();
        line.push(if replicated { r.points.len().to_string() } else { r.points[0].seed.to_string() });
        for (m, f) in &cols {
            let unit = m.info().unit;
            line.push(match row_interval(r, *m, f) {
                None => "–".to_string(),
                Some(i) if replicated => cell_ci(unit, &i),
                Some(i) => cell(unit, i.mean),
            });
        }
        cells.push(line);
    }
    if replicated {
        let k = rows.iter().map(|r| r.points.len()).max().unwrap_or(0);
        let _ = writeln!(
            out,
            "  each figure: mean over {k} seeds ± half-width of its 95% confidence interval (Student t, {} degrees of freedom)\n",
            k.saturating_sub(1)
        );
    }
    for l in crate::units::table_lines(&head, &cells, 0) {
        let _ = writeln!(out, "  {l}");
    }
    if picked.len() < rows.len() {
        let what = if replicated { "sets of parameters" } else { "points" };
        let _ = writeln!(
            out,
            "  ({} of {} {what} not shown: these are the first, the last, each column's least and greatest, and evenly spaced ones; --all shows every row, the JSON has them all)",
            rows.len() - picked.len(),
            rows.len()
        );
    }
    // Points that did not complete, by how they ended: a few sets of parameters named (with
    // their seeds when there are several), the rest counted.
    for e in [End::Deadlock, End::Horizon, End::EventBudget] {
        let groups = stopped_groups(&report.points, e);
        if groups.is_empty() {
            continue;
        }
        let named: Vec<String> = groups.iter().take(3).map(|g| g.describe(replicated)).collect();
        let more = if groups.len() > 3 {
            let what = if replicated { "sets of parameters" } else { "points" };
            format!(" and {} more {what}", groups.len() - 3)
        } else {
            String::new()
        };
        let _ = writeln!(out, "  {}: {}{more}", end(e), named.join("; "));
    }
}

/// The points of one set of parameters that ended one way, among all of that set's seeds.
struct Stopped {
    params: String,
    seeds: Vec<u64>,
    of: usize,
}

impl Stopped {
    fn describe(&self, replicated: bool) -> String {
        if !replicated {
            return self.params.clone();
        }
        let seeds = match self.seeds.as_slice() {
            all if all.len() == self.of => format!("all {} seeds", self.of),
            [one] => format!("seed {one} of {}", self.of),
            few if few.len() <= 4 => {
                let list: Vec<String> = few.iter().map(|s| s.to_string()).collect();
                format!("seeds {} of {}", list.join(", "), self.of)
            }
            many => format!("{} of {} seeds", many.len(), self.of),
        };
        format!("{} ({seeds})", self.params)
    }
}

/// The points that ended as `e`, grouped by their parameters in the order the sets first appear.
fn stopped_groups(points: &[PointReport], e: End) -> Vec<Stopped> {
    let mut groups: Vec<Stopped> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for p in points {
        let params = crate::exec::describe(&p.params);
        let at = *index.entry(params.clone()).or_insert_with(|| {
            groups.push(Stopped { params, seeds: Vec::new(), of: 0 });
            groups.len() - 1
        });
        let g = &mut groups[at];
        g.of += 1;
        if p.end == e {
            g.seeds.push(p.seed);
        }
    }
    groups.retain(|g| !g.seeds.is_empty());
    groups
}

/// The steps that did nothing, one per workload line and kind over every point: `FILE:LINE: what
/// happened (how often, first when, at how many points)`, then the line itself if known.
pub fn warnings(report: &Report, line_text: &dyn Fn(u32) -> Option<String>) -> Vec<(String, Option<String>)> {
    // (line, kind) -> first time, count, points
    let mut seen: Vec<(u32, sim_core::report::NoopKind, u64, u64, usize)> = Vec::new();
    for p in &report.points {
        for n in &p.noops {
            match seen.iter_mut().find(|s| s.0 == n.line && s.1 == n.kind) {
                Some(s) => {
                    s.2 = s.2.min(n.first_time_ns);
                    s.3 += n.count;
                    s.4 += 1;
                }
                None => seen.push((n.line, n.kind, n.first_time_ns, n.count, 1)),
            }
        }
    }
    seen.sort_by_key(|s| (s.0, s.1));
    let points = report.points.len();
    seen.into_iter()
        .map(|(line, kind, first, count, at)| {
            let when = if count == 1 {
                format!("once, at {} simulated", human("ns", first as f64))
            } else {
                format!("{count} times, first at {} simulated", human("ns", first as f64))
            };
            let at = if points > 1 { format!(", at {at} of {points} points") } else { String::new() };
            let head = format!("{}:{line}: {} ({when}{at})", report.source, kind.meaning());
            (head, line_text(line).map(|t| format!("{line:>5} | {}", t.trim())))
        })
        .collect()
}

/// Warnings as text, each line under its message, `prefix` (`warning` or `error`) first.
pub fn warning_text(warned: &[(String, Option<String>)], prefix: &str) -> String {
    let mut out = String::new();
    for (head, line) in warned {
        let _ = writeln!(out, "{prefix}: {head}");
        if let Some(l) = line {
            let _ = writeln!(out, "{l}");
        }
    }
    out
}

/// A check's measured figure: both sides in the check's unit, a slope with its interval.
pub fn measured(c: &CheckResult) -> String {
    match (c.value, c.against) {
        (Some(v), Some(a)) => {
            let (v, a) = human_pair(&c.unit, v, a);
            format!("{v} vs {a}")
        }
        (Some(v), None) => match c.interval {
            Some([lo, hi]) => format!("{v:.4} ± {:.4}", (hi - lo) / 2.0),
            None => human(&c.unit, v),
        },
        (None, _) => c.note.clone().unwrap_or_else(|| "not computable".into()),
    }
}

/// PASS, FAIL, or SKIP for a line that reads a metric the run did not measure.
pub fn word(c: &CheckResult) -> &'static str {
    match (c.skipped, c.passed) {
        (true, _) => "SKIP",
        (false, true) => "PASS",
        (false, false) => "FAIL",
    }
}

/// A result over seeds in a word, with its count: `Always 20/20`, `Sometimes 7/20`, `Never 0/20`.
pub fn over_seeds(c: &CheckResult) -> Option<String> {
    Some(format!("{} {}/{}", c.verdict?.word(), c.held?, c.total?))
}

/// Which seed a result over seeds shows the figures of, and why: the first seed against the line
/// where it failed, a `sometimes` line's first witness where it passed, else the tightest.
pub fn seed_note(c: &CheckResult) -> Option<String> {
    let seed = c.seed?;
    c.total?;
    Some(match (c.value.is_some(), c.passed, c.qualifier) {
        (false, _, _) => format!("at seed {seed}"),
        (true, true, Qualifier::Sometimes) | (true, false, Qualifier::Never) => format!("first held at seed {seed}"),
        (true, true, _) => format!("tightest at seed {seed}"),
        (true, false, Qualifier::Sometimes) => format!("held at no seed; closest at seed {seed}"),
        (true, false, _) => format!("first failed at seed {seed}"),
    })
}

/// A check's line in the summary; `seeds`: with its verdict over seeds.
pub fn check_line(c: &CheckResult, seeds: bool) -> String {
    let verdict = word(c);
    let at = if c.params.is_empty() { String::new() } else { format!(" [{}]", crate::exec::describe(&c.params)) };
    let over = match (seeds, over_seeds(c)) {
        (true, Some(v)) => format!("  {v}{}", seed_note(c).map(|n| format!(" ({n})")).unwrap_or_default()),
        _ => String::new(),
    };
    format!("{verdict}  line {:<4} {}{at}  ->  {}{over}", c.line, c.text, measured(c))
}

/// The summary of a run.
pub fn render(report: &Report, opts: &Options<'_>) -> String {
    let mut out = String::new();
    let n = report.points.len();
    let _ = writeln!(out, "{} — {} — {} point{}", report.workload, report.source, n, if n == 1 { "" } else { "s" });
    if !report.cost_overrides.is_empty() {
        let set: Vec<String> =
            report.cost_overrides.iter().map(|(k, v)| format!("cost.{k}={}", human("ns", *v as f64))).collect();
        let _ = writeln!(out, "costs set on the command line: {}", set.join(", "));
    }
    if n == 1 {
        let p = &report.points[0];
        let _ = writeln!(out, "{}\n", point_header(p));
        point_detail(&mut out, p);
    } else if n > 1 {
        let _ = writeln!(out);
        sweep_table(&mut out, report, opts.all);
    }
    let verdict = crate::verdict::lines(report);
    if !verdict.is_empty() {
        let _ = writeln!(out);
        for l in verdict {
            let _ = writeln!(out, "{l}");
        }
    }
    let warned = warnings(report, opts.line_text);
    if !warned.is_empty() {
        let _ = writeln!(out);
        out.push_str(&warning_text(&warned, "warning"));
    }
    let point_checks: Vec<(&PointReport, &CheckResult)> =
        report.points.iter().flat_map(|p| p.checks.iter().map(move |c| (p, c))).collect();
    if !point_checks.is_empty() || !report.checks.is_empty() {
        let _ = writeln!(out, "\nchecks");
        let seeds = replicated(report);
        let mut lines: Vec<(u32, String)> = Vec::new();
        if seeds {
            // Per-point lines over seeds: one line per line over its sets of parameters, the
            // failing sets named.
            let mut by_line: Vec<(u32, String, Vec<&CheckResult>)> = Vec::new();
            for c in &report.verdicts {
                if !c.passed && !c.skipped {
                    lines.push((c.line, check_line(c, true)));
                }
                match by_line.iter_mut().find(|x| x.0 == c.line && x.1 == c.text) {
                    Some(x) => x.2.push(c),
                    None => by_line.push((c.line, c.text.clone(), vec![c])),
                }
            }
            for (line, text, sets) in by_line {
                if sets.iter().all(|c| c.skipped) {
                    lines.push((line, format!("SKIP  line {line:<4} {text}  ->  {}", checks::NOT_MEASURED)));
                    continue;
                }
                let passed = sets.iter().filter(|c| c.passed).count();
                let held: u32 = sets.iter().filter_map(|c| c.held).sum();
                let total: u32 = sets.iter().filter_map(|c| c.total).sum();
                let verdict = if passed == sets.len() { "PASS" } else { "FAIL" };
                let word = sim_core::report::Verdict::of(held, total).word();
                lines.push((
                    line,
                    format!(
                        "{verdict}  line {line:<4} {text}  ->  {passed}/{} sets of parameters; {word} {held}/{total} runs",
                        sets.len()
                    ),
                ));
            }
        } else {
            // Per-point checks: one line per check, failures named by point.
            for (p, c) in &point_checks {
                if n == 1 || (!c.passed && !c.skipped) {
                    let mut c = (*c).clone();
                    if n > 1 {
                        c.params = p.params.clone();
                    }
                    lines.push((c.line, check_line(&c, false)));
                }
            }
            if n > 1 {
                let mut by_line: Vec<(u32, String, usize, usize, usize)> = Vec::new();
                for (_, c) in &point_checks {
                    let skipped = usize::from(c.skipped);
                    match by_line.iter_mut().find(|x| x.0 == c.line) {
                        Some(x) => {
                            x.2 += usize::from(c.passed);
                            x.3 += 1;
                            x.4 += skipped;
                        }
                        None => by_line.push((c.line, c.text.clone(), usize::from(c.passed), 1, skipped)),
                    }
                }
                for (line, text, passed, total, skipped) in by_line {
                    if skipped == total {
                        lines.push((line, format!("SKIP  line {line:<4} {text}  ->  {}", checks::NOT_MEASURED)));
                        continue;
                    }
                    let verdict = if passed == total { "PASS" } else { "FAIL" };
                    lines.push((line, format!("{verdict}  line {line:<4} {text}  ->  {passed}/{total} points")));
                }
            }
        }
        for c in &report.checks {
            lines.push((c.line, check_line(c, seeds)));
        }
        lines.sort_by_key(|(l, _)| *l);
        for (_, l) in lines {
            let _ = writeln!(out, "  {l}");
        }
        if report.checks.iter().any(|c| c.interval.is_some()) {
            let _ = writeln!(out, "  (a slope's ± is the half-width of its 95% confidence interval)");
        }
    }
    out
}

/// Whether some set of parameters ran at several seeds: the checks are then read over seeds.
fn replicated(report: &Report) -> bool {
    !report.verdicts.is_empty() || report.checks.iter().any(|c| c.total.is_some_and(|t| t > 1))
}

/// Checks that failed, anywhere in the report.
/// With several seeds, a per-point line is judged over them (`verdicts`), not at each run.
pub fn failed(report: &Report) -> usize {
    let unpassed = |c: &&CheckResult| !c.passed && !c.skipped;
    let per_point = if report.verdicts.is_empty() {
        report.points.iter().flat_map(|p| &p.checks).filter(unpassed).count()
    } else {
        report.verdicts.iter().filter(unpassed).count()
    };
    per_point + report.checks.iter().filter(unpassed).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mean_and_its_interval_read_in_one_scale() {
        let i = stats::interval(&[9_500.0, 9_642.0, 9_784.0]).expect("interval");
        assert_eq!(cell_ci("ns", &i), format!("9.642 ± {:.3} us", i.half_width().expect("half") / 1e3));
        let same = stats::interval(&[3.0, 3.0]).expect("interval");
        assert_eq!(cell_ci("", &same), "3 ± 0");
        let one = stats::interval(&[16_384.0]).expect("interval");
        assert_eq!(cell_ci("bytes", &one), "16.0 KiB");
    }

    #[test]
    fn stopped_points_are_named_once_per_set_of_parameters_with_their_seeds() {
        let stopped = |seeds: &[u64], of| Stopped { params: "strategy=unsorted".into(), seeds: seeds.to_vec(), of };
        assert_eq!(stopped(&[4], 1).describe(false), "strategy=unsorted");
        assert_eq!(stopped(&[1, 2, 3], 3).describe(true), "strategy=unsorted (all 3 seeds)");
        assert_eq!(stopped(&[7], 20).describe(true), "strategy=unsorted (seed 7 of 20)");
        assert_eq!(stopped(&[1, 5, 9], 20).describe(true), "strategy=unsorted (seeds 1, 5, 9 of 20)");
        assert_eq!(stopped(&[1, 2, 3, 4, 5], 20).describe(true), "strategy=unsorted (5 of 20 seeds)");
    }
}
