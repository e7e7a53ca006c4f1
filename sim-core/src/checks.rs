//! Deciding `expect` lines against reports: per point, and across points (log-log slopes over
//! a sweep, comparisons with the same point under another strategy), at each seed; then over
//! the seeds of each point, as the line's qualifier (`always`, `sometimes`, `never`) says.

use crate::metrics::Metric;
use crate::program::{BinOp, Check, CheckKind, Cond, Expr, HistField, MetricRef, ParamValue, Qualifier};
use crate::report::{CheckResult, MetricValue, OrderedMap, PointReport, Verdict};

fn cond_holds(when: &[Cond], params: &OrderedMap<ParamValue>) -> bool {
    when.iter().all(|c| (params.get(&c.param) == Some(&c.value)) == c.equal)
}

fn metric(p: &PointReport, m: &MetricRef) -> Result<f64, String> {
    match (p.metric(&m.name), m.field) {
        (Some(MetricValue::Scalar(v)), None) => Ok(*v as f64),
        (Some(MetricValue::Histogram(h)), Some(f)) => Ok(h.field(f)),
        (None, _) => Err(format!("no metric {} in the report", m.name)),
        _ => Err(format!("{} and its field do not match", m.name)),
    }
}

/// The point that differs from `p` only in the parameters `at` names (same seed).
fn other<'a>(p: &PointReport, at: &[(String, ParamValue)], points: &[&'a PointReport]) -> Option<&'a PointReport> {
    points.iter().copied().find(|q| {
        q.seed == p.seed
            && q.params.0.len() == p.params.0.len()
            && q.params.iter().all(|(k, v)| match at.iter().find(|(n, _)| n == k) {
                Some((_, want)) => v == want,
                None => p.params.get(k) == Some(v),
            })
    })
}

fn eval(e: &Expr, p: &PointReport, points: &[&PointReport]) -> Result<f64, String> {
    Ok(match e {
        Expr::Num(x) => *x,
        Expr::Metric(m) if m.at.is_empty() => metric(p, m)?,
        Expr::Metric(m) => {
            let at: Vec<String> = m.at.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let q = other(p, &m.at, points).ok_or_else(|| format!("no point with {}", at.join(", ")))?;
            metric(q, m)?
        }
        Expr::Bin(a, op, b) => {
            let (x, y) = (eval(a, p, points)?, eval(b, p, points)?);
            match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => {
                    if y == 0.0 {
                        return Err("division by zero".to_string());
                    }
                    x / y
                }
            }
        }
    })
}

/// The unit of an expression: a metric's (`""` for counts), `None` for a bare number.
fn expr_unit(e: &Expr) -> Option<&'static str> {
    match e {
        Expr::Num(_) => None,
        Expr::Metric(m) if m.field == Some(HistField::Count) => Some(""),
        Expr::Metric(m) => Some(Metric::by_name(&m.name).map_or("", |x| x.info().unit)),
        Expr::Bin(a, op, b) => match (expr_unit(a), *op, expr_unit(b)) {
            (u, BinOp::Add | BinOp::Sub, v) => u.or(v),
            (Some(u), BinOp::Mul, None) | (None, BinOp::Mul, Some(u)) | (Some(u), BinOp::Div, None) => Some(u),
            (None, _, None) => None,
            // A product or a ratio of two quantities has no unit a reader would want.
            _ => Some(""),
        },
    }
}

/// The unit a check's figures are in.
fn unit(c: &Check) -> String {
    match &c.kind {
        CheckKind::Compare { lhs, rhs, .. } => expr_unit(lhs).or_else(|| expr_unit(rhs)).unwrap_or("").to_string(),
        CheckKind::Slope { .. } => String::new(),
    }
}

/// A check decided at one run (or one seed's points): `held` is whether its condition held, and
/// `passed` whether the line passes on that run alone, as with one seed. A `never` line passes
/// where its condition does not hold; a result without a value could not be decided, and fails.
fn result(c: &Check, value: Option<f64>, against: Option<f64>, held: bool) -> CheckResult {
    let passed = value.is_some() && c.qualifier.accepts(u32::from(held), 1);
    CheckResult {
        line: c.line,
        text: c.text.clone(),
        value,
        against,
        passed,
        skipped: false,
        params: OrderedMap::default(),
        note: None,
        unit: unit(c),
        interval: None,
        qualifier: c.qualifier,
        verdict: None,
        held: None,
        total: None,
        seed: None,
        first_failing_seed: None,
        first_held_seed: None,
    }
}

/// Whether a single run's result saw the line's condition hold (`None`: it could not be
/// decided). The inverse of [`result`]'s `passed`.
pub fn held(r: &CheckResult) -> Option<bool> {
    r.value?;
    Some(if r.qualifier == Qualifier::Never { !r.passed } else { r.passed })
}

/// Why a line that reads a metric the run did not measure is not decided.
pub const NOT_MEASURED: &str = "not measured (--no-lockdep)";

/// Whether the expression reads a metric the point did not measure.
fn unmeasured(e: &Expr, p: &PointReport) -> bool {
    match e {
        Expr::Num(_) => false,
        Expr::Metric(m) => p.not_measured.contains(&m.name),
        Expr::Bin(a, _, b) => unmeasured(a, p) || unmeasured(b, p),
    }
}

/// A line left undecided because it reads a metric that was not measured.
fn skipped(c: &Check) -> CheckResult {
    CheckResult { skipped: true, note: Some(NOT_MEASURED.to_string()), ..result(c, None, None, false) }
}

fn compare(c: &Check, p: &PointReport, points: &[&PointReport]) -> CheckResult {
    let CheckKind::Compare { lhs, op, rhs } = &c.kind else { unreachable!("compare") };
    if unmeasured(lhs, p) || unmeasured(rhs, p) {
        return skipped(c);
    }
    match (eval(lhs, p, points), eval(rhs, p, points)) {
        (Ok(a), Ok(b)) => result(c, Some(a), Some(b), op.holds(a, b)),
        (Err(e), _) | (_, Err(e)) => CheckResult { note: Some(e), ..result(c, None, None, false) },
    }
}

/// The per-point checks of a point (their `when` was decided when the program was built).
pub fn point_checks(checks: &[Check], p: &PointReport) -> Vec<CheckResult> {
    checks.iter().filter(|c| cond_holds(&c.when, &p.params)).map(|c| compare(c, p, &[p])).collect()
}

/// Least-squares slope of ln(y) against ln(x).
pub fn log_log_slope(xy: &[(f64, f64)]) -> Option<f64> {
    crate::stats::log_log_fit(xy).map(|f| f.slope)
}

/// Checks across the points of one seed, each check's results apart, in source order: one per
/// group (slope) or per point (comparison with another point).
fn cross_at(checks: &[Check], points: &[&PointReport]) -> Vec<Vec<CheckResult>> {
    let mut all = Vec::new();
    for c in checks {
        let mut out = Vec::new();
        let selected: Vec<&PointReport> = points.iter().copied().filter(|p| cond_holds(&c.when, &p.params)).collect();
        match &c.kind {
            CheckKind::Compare { .. } => {
                for p in selected {
                    let mut r = compare(c, p, points);
                    r.params = p.params.clone();
                    out.push(r);
                }
            }
            CheckKind::Slope { metric: m, param, lo, hi } => {
                // Groups: points sharing every parameter but the swept one.
                let mut groups: Vec<(OrderedMap<ParamValue>, Vec<&PointReport>)> = Vec::new();
                for p in selected {
                    let key = OrderedMap(p.params.iter().filter(|(k, _)| k != param).cloned().collect());
                    match groups.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, g)) => g.push(p),
                        None => groups.push((key, vec![p])),
                    }
                }
                if groups.is_empty() {
                    out.push(CheckResult {
                        note: Some("no point matches its `when`".to_string()),
                        ..result(c, None, None, false)
                    });
                }
                for (key, group) in groups {
                    if group.iter().any(|p| p.not_measured.contains(&m.name)) {
                        out.push(CheckResult { params: key, ..skipped(c) });
                        continue;
                    }
                    let mut xy = Vec::new();
                    let mut note = None;
                    for p in &group {
                        let x = match p.params.get(param) {
                            Some(ParamValue::Int(x)) => *x as f64,
                            _ => {
                                note = Some(format!("{param} is not a number at every point"));
                                break;
                            }
                        };
                        match metric(p, m) {
                            Ok(y) => xy.push((x, y)),
                            Err(e) => note = Some(e),
                        }
                    }
                    let fit = if note.is_none() { crate::stats::log_log_fit(&xy) } else { None };
                    let slope = fit.map(|f| f.slope);
                    if slope.is_none() && note.is_none() {
                        note = Some(format!(
                            "a slope needs at least two values of {param} and a positive {} at each",
                            m.name
                        ));
                    }
                    let inside = slope.is_some_and(|s| s >= *lo && s <= *hi);
                    let interval = fit.and_then(|f| f.ci).map(|(lo, hi)| [lo, hi]);
                    out.push(CheckResult { params: key, note, interval, ..result(c, slope, None, inside) });
                }
            }
        }
        all.push(out);
    }
    all
}

/// One instance of a line decided at each seed: the seed and its result.
type SeedRuns = Vec<(u64, CheckResult)>;

/// The distinct seeds of the points, in the order they first appear.
fn seeds(points: &[PointReport]) -> Vec<u64> {
    let mut out: Vec<u64> = Vec::new();
    for p in points {
        if !out.contains(&p.seed) {
            out.push(p.seed);
        }
    }
    out
}

/// Checks across points, in source order: each decided at every seed over that seed's points
/// (a slope fitted per seed, a comparison with the same seed of the other point), then over the
/// seeds, one result per group (slope) or per point (comparison with another point).
pub fn cross_checks(checks: &[Check], points: &[PointReport]) -> Vec<CheckResult> {
    let per_seed: Vec<(u64, Vec<Vec<CheckResult>>)> = seeds(points)
        .into_iter()
        .map(|s| {
            let at: Vec<&PointReport> = points.iter().filter(|p| p.seed == s).collect();
            (s, cross_at(checks, &at))
        })
        .collect();
    let mut out = Vec::new();
    for (i, c) in checks.iter().enumerate() {
        let bounds = match c.kind {
            CheckKind::Slope { lo, hi, .. } => Some((lo, hi)),
            CheckKind::Compare { .. } => None,
        };
        let mut instances: Vec<(OrderedMap<ParamValue>, SeedRuns)> = Vec::new();
        for (seed, results) in &per_seed {
            for r in &results[i] {
                match instances.iter_mut().find(|(k, _)| *k == r.params) {
                    Some((_, runs)) => runs.push((*seed, r.clone())),
                    None => instances.push((r.params.clone(), vec![(*seed, r.clone())])),
                }
            }
        }
        out.extend(instances.into_iter().map(|(_, runs)| over_seeds(c.qualifier, runs, bounds)));
    }
    out
}

/// Per-point lines decided over the seeds of each set of parameters, from the points' own
/// results: by line, then in the order the sets of parameters first appear.
pub fn point_verdicts(points: &[PointReport]) -> Vec<CheckResult> {
    type Instance<'a> = ((u32, &'a str, &'a OrderedMap<ParamValue>), Vec<(u64, CheckResult)>);
    let mut instances: Vec<Instance<'_>> = Vec::new();
    for p in points {
        for r in &p.checks {
            let key = (r.line, r.text.as_str(), &p.params);
            match instances.iter_mut().find(|(k, _)| *k == key) {
                Some((_, runs)) => runs.push((p.seed, r.clone())),
                None => instances.push((key, vec![(p.seed, r.clone())])),
            }
        }
    }
    instances.sort_by_key(|((line, _, _), _)| *line);
    instances
        .into_iter()
        .map(|((_, _, params), runs)| {
            let q = runs[0].1.qualifier;
            CheckResult { params: params.clone(), ..over_seeds(q, runs, None) }
        })
        .collect()
}

/// A whole run's decisions: the lines across points (over seeds), and with several seeds per
/// set of parameters, the per-point lines over seeds (empty otherwise: the points' own results
/// say it all).
pub fn decide(cross: &[Check], points: &[PointReport]) -> (Vec<CheckResult>, Vec<CheckResult>) {
    let replicated = crate::stats::by_params(points).iter().any(|(_, g)| g.len() > 1);
    let verdicts = if replicated { point_verdicts(points) } else { Vec::new() };
    (cross_checks(cross, points), verdicts)
}

/// How far a run's figures are from failing the line's condition (or from meeting it): the gap
/// between the two sides, or a slope's distance to the nearer bound.
pub fn margin(r: &CheckResult, bounds: Option<(f64, f64)>) -> f64 {
    match (r.value, r.against, bounds) {
        (Some(v), Some(a), _) => (v - a).abs(),
        (Some(s), None, Some((lo, hi))) => (s - lo).abs().min((hi - s).abs()),
        _ => f64::INFINITY,
    }
}

/// One instance of a line (a point, or a slope's group) over its seeds, `runs` in seed order:
/// passed as the qualifier says, with the counts, and the figures of one seed: the first
/// undecided one, else the first against the line, else (for a `sometimes` line that held) the
/// first where it held, else the tightest.
fn over_seeds(q: Qualifier, runs: Vec<(u64, CheckResult)>, bounds: Option<(f64, f64)>) -> CheckResult {
    // Not measured at one seed is not measured at all: nothing to count.
    if let Some((_, r)) = runs.iter().find(|(_, r)| r.skipped) {
        return r.clone();
    }
    let outcomes: Vec<Option<bool>> = runs.iter().map(|(_, r)| held(r)).collect();
    let total = runs.len() as u32;
    let held_n = outcomes.iter().filter(|o| **o == Some(true)).count() as u32;
    let undecided = outcomes.iter().position(Option::is_none);
    let passed = undecided.is_none() && q.accepts(held_n, total);
    let failing = outcomes.iter().position(|o| o.is_none_or(|h| q.refuted_by(h)));
    let first_held = outcomes.iter().position(|o| *o == Some(true));
    let tightest = (0..runs.len())
        .min_by(|&a, &b| margin(&runs[a].1, bounds).total_cmp(&margin(&runs[b].1, bounds)).then(a.cmp(&b)))
        .unwrap_or(0);
    let shown = match (undecided, failing, first_held) {
        (Some(i), _, _) => i,
        (None, Some(i), _) => i,
        (None, None, Some(i)) if q == Qualifier::Sometimes => i,
        _ => tightest,
    };
    let seed_at = |i: Option<usize>| i.map(|i| runs[i].0);
    let (seed, r) = runs[shown].clone();
    CheckResult {
        passed,
        verdict: Some(Verdict::of(held_n, total)),
        held: Some(held_n),
        total: Some(total),
        seed: Some(seed),
        first_failing_seed: seed_at(failing),
        first_held_seed: seed_at(first_held),
        ..r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_of_a_power_law_is_its_exponent() {
        let xy: Vec<(f64, f64)> = (1..8).map(|i| (f64::from(1 << i), 3.0 * f64::from(1 << (2 * i)))).collect();
        let s = log_log_slope(&xy).expect("slope");
        assert!((s - 2.0).abs() < 1e-12, "{s}");
        assert_eq!(log_log_slope(&[(1.0, 1.0)]), None);
        assert_eq!(log_log_slope(&[(1.0, 0.0), (2.0, 1.0)]), None);
    }
}
