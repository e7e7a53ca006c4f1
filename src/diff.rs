//! `sim diff A.json B.json`: two runs of the same points side by side, figure by figure, the
//! largest relative change first; with several seeds per point, means compared with whether
//! their 95% confidence intervals overlap.

use crate::cli::DiffArgs;
use crate::units::{human, human_pair};
use crate::{output, Outcome, UserError};
use sim_core::metrics::Metric;
use sim_core::program::{HistField, ParamValue};
use sim_core::report::{OrderedMap, PointReport, Report};
use sim_core::stats::{self, Interval};
use std::io::Write;
use std::path::Path;

/// Rows shown without `--all`.
const MAX_ROWS: usize = 40;

/// What is compared: one point, or one set of parameters over its seeds.
struct Unit<'a> {
    name: String,
    points: Vec<&'a PointReport>,
}

/// One figure of one unit in both runs.
struct Change {
    unit: usize,
    key: String,
    metric: &'static str,
    field: Option<HistField>,
    before: Option<Interval>,
    after: Option<Interval>,
}

impl Change {
    /// How far apart the two are: the larger over the smaller (1 when equal, infinite when one
    /// is zero or missing and the other is not). No logarithm, so the order is the same anywhere.
    fn factor(&self) -> f64 {
        let (a, b) = (self.before.as_ref().map(|i| i.mean), self.after.as_ref().map(|i| i.mean));
        match (a, b) {
            (Some(a), Some(b)) if a == b => 1.0,
            (Some(a), Some(b)) if a > 0.0 && b > 0.0 => a.max(b) / a.min(b),
            (None, None) => 1.0,
            _ => f64::INFINITY,
        }
    }
}

fn params_text(params: &OrderedMap<ParamValue>) -> String {
    let s = crate::exec::describe(params);
    if s.is_empty() {
        "(the point)".to_string()
    } else {
        s
    }
}

/// The units of a report: its sets of parameters when both runs have several seeds per set,
/// else its points.
fn units(r: &Report, by_group: bool) -> Vec<Unit<'_>> {
    if by_group {
        stats::by_params(&r.points)
            .into_iter()
            .map(|(params, points)| Unit { name: format!("{} ({} seeds)", params_text(params), points.len()), points })
            .collect()
    } else {
        r.points
            .iter()
            .map(|p| Unit { name: format!("{} seed {}", params_text(&p.params), p.seed), points: vec![p] })
            .collect()
    }
}

fn costs_text(r: &Report) -> String {
    if r.cost_overrides.is_empty() {
        return "the workload's".to_string();
    }
    r.cost_overrides.iter().map(|(k, v)| format!("cost.{k}={}", human("ns", *v as f64))).collect::<Vec<_>>().join(", ")
}

/// Both reports hold the same points (parameters and seeds), or the first difference in words.
fn same_points(a: &Report, b: &Report, an: &Path, bn: &Path) -> Result<(), UserError> {
    let key = |p: &PointReport| (format!("{:?}", p.params.0), p.seed);
    let mut ka: Vec<_> = a.points.iter().map(key).collect();
    let mut kb: Vec<_> = b.points.iter().map(key).collect();
    ka.sort();
    kb.sort();
    if ka == kb && !ka.is_empty() {
        return Ok(());
    }
    let describe = |r: &Report, k: &(String, u64)| {
        r.points
            .iter()
            .find(|p| key(p) == *k)
            .map(|p| format!("{} seed {}", params_text(&p.params), p.seed))
            .unwrap_or_default()
    };
    let only_a = ka.iter().find(|k| !kb.contains(k));
    let only_b = kb.iter().find(|k| !ka.contains(k));
    let why = match (only_a, only_b) {
        (Some(k), _) => format!("{} is only in {}", describe(a, k), an.display()),
        (None, Some(k)) => format!("{} is only in {}", describe(b, k), bn.display()),
        (None, None) if ka.is_empty() => "they hold no points".to_string(),
        (None, None) => format!("{} has {} points, {} has {}", an.display(), ka.len(), bn.display(), kb.len()),
    };
    Err(UserError(format!(
        "error: {} and {} are not runs of the same points: {why}\n  sim diff compares two runs of one workload with the same sweeps, seeds and -p parameters (cost.NAME settings may differ)",
        an.display(),
        bn.display()
    )))
}

/// Fields of one histogram at one unit that moved together (equal before, equal after, as with
/// a single call) are one row: `register.latency.{min,mean,max}`.
fn merge_fields(changes: Vec<Change>) -> Vec<Change> {
    let mean = |i: &Option<Interval>| i.as_ref().map(|i| i.mean);
    let mut out: Vec<(Change, Vec<&'static str>)> = Vec::new();
    for c in changes {
        if let Some((last, fields)) = out.last_mut() {
            let together = last.unit == c.unit
                && last.metric == c.metric
                && c.field.is_some()
                && mean(&last.before) == mean(&c.before)
                && mean(&last.after) == mean(&c.after);
            if together {
                fields.extend(c.field.map(HistField::name));
                continue;
            }
        }
        let fields = c.field.map(HistField::name).into_iter().collect();
        out.push((c, fields));
    }
    out.into_iter()
        .map(|(mut c, fields)| {
            if fields.len() > 1 {
                c.key = format!("{}.{{{}}}", c.metric, fields.join(","));
            }
            c
        })
        .collect()
}

fn ratio(c: &Change) -> String {
    match (c.before.as_ref().map(|i| i.mean), c.after.as_ref().map(|i| i.mean)) {
        (Some(a), Some(b)) if a != 0.0 => {
            let r = b / a;
            if r >= 100.0 {
                format!("{r:.0}x")
            } else if r >= 10.0 {
                format!("{r:.1}x")
            } else if (r - 1.0).abs() < 5e-4 {
                // Close to 1: enough digits to show which way it went.
                format!("{r:.5}x")
            } else {
                format!("{r:.3}x")
            }
        }
        (Some(_), Some(_)) => "from 0".to_string(),
        (None, Some(_)) => "new".to_string(),
        (Some(_), None) => "gone".to_string(),
        (None, None) => String::new(),
    }
}

pub fn run(args: DiffArgs) -> Result<Outcome, UserError> {
    let a = output::read_report(&args.before)?;
    let b = output::read_report(&args.after)?;
    same_points(&a, &b, &args.before, &args.after)?;
    let replicated = |r: &Report| stats::by_params(&r.points).iter().any(|(_, g)| g.len() > 1);
    let by_group = replicated(&a) && replicated(&b);
    let (ua, ub) = (units(&a, by_group), units(&b, by_group));
    let figures = stats::figures();
    let mut changes: Vec<Change> = Vec::new();
    let mut total = 0usize;
    for (i, u) in ua.iter().enumerate() {
        // The same unit in the other run: the same parameters (and seed).
        let Some(v) = ub.iter().find(|v| {
            v.points.first().map(|p| (&p.params, (!by_group).then_some(p.seed)))
                == u.points.first().map(|p| (&p.params, (!by_group).then_some(p.seed)))
        }) else {
            continue;
        };
        for (key, metric, field) in &figures {
            let of = |pts: &[&PointReport]| {
                let values: Vec<f64> = pts.iter().filter_map(|p| stats::figure(p, metric, *field)).collect();
                stats::interval(&values)
            };
            let (before, after) = (of(&u.points), of(&v.points));
            if before.is_none() && after.is_none() {
                continue;
            }
            total += 1;
            let c = Change { unit: i, key: key.clone(), metric, field: *field, before, after };
            if c.factor() > 1.0 {
                changes.push(c);
            }
        }
    }
    // Largest change first; ties in report order, then catalogue order (the sort is stable).
    changes.sort_by(|x, y| y.factor().total_cmp(&x.factor()));
    let total_changed = changes.len();
    let changes = merge_fields(changes);

    let mut out = std::io::stdout().lock();
    for (what, path, r) in [("before:", &args.before, &a), ("after: ", &args.after, &b)] {
        let (name, n, costs) = (&r.workload, r.points.len(), costs_text(r));
        writeln!(out, "{what} {} — {name}, {n} points, costs {costs}", path.display())?;
    }
    let same_runs = a
        .points
        .iter()
        .all(|p| b.points.iter().any(|q| q.params == p.params && q.seed == p.seed && q.fingerprint == p.fingerprint));
    if changes.is_empty() {
        let why = if same_runs {
            "every point's fingerprint agrees: the runs are identical"
        } else {
            "the runs differ only in figures the report does not keep"
        };
        writeln!(out, "\nno figure changed ({total} compared; {why})")?;
        return Ok(Outcome::Ok);
    }
    let shown = if args.all { changes.len() } else { changes.len().min(MAX_ROWS) };
    let what = if by_group { "mean over seeds" } else { "figure" };
    let changed: usize = total_changed;
    writeln!(
        out,
        "\n{changed} of {total} figures changed; {}, largest relative change first:\n",
        if shown < changes.len() {
            format!("the {shown} largest rows shown (--all for every one)")
        } else {
            "all shown".to_string()
        },
    )?;
    let mut head = vec![
        "point".to_string(),
        what.to_string(),
        "before".to_string(),
        "after".to_string(),
        "after/before".to_string(),
    ];
    if by_group {
        head.push("95% intervals".to_string());
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    for c in &changes[..shown] {
        // A histogram's count is a count whatever the histogram measures.
        let unit = match c.field {
            Some(HistField::Count) => "",
            _ => Metric::by_name(c.metric).map_or("", |m| m.info().unit),
        };
        let (x, y) = match (&c.before, &c.after) {
            (Some(x), Some(y)) => human_pair(unit, x.mean, y.mean),
            (x, y) => (
                x.as_ref().map_or("–".to_string(), |i| human(unit, i.mean)),
                y.as_ref().map_or("–".to_string(), |i| human(unit, i.mean)),
            ),
        };
        let mut row = vec![ua[c.unit].name.clone(), c.key.clone(), x, y, ratio(c)];
        if by_group {
            let overlap = match (&c.before, &c.after) {
                (Some(x), Some(y)) => match x.overlaps(y) {
                    Some(true) => "overlap",
                    Some(false) => "apart",
                    None => "",
                },
                _ => "",
            };
            row.push(overlap.to_string());
        }
        rows.push(row);
    }
    for l in crate::units::table_lines(&head, &rows, 2) {
        writeln!(out, "  {}", l.trim_end())?;
    }
    if shown < changes.len() {
        writeln!(out, "  ({} rows of smaller changes not shown)", changes.len() - shown)?;
    }
    Ok(Outcome::Ok)
}
