//! Deciding `expect` lines against reports: per point, and across points (log-log slopes over
//! a sweep, comparisons with the same point under another strategy).

use crate::metrics::Metric;
use crate::program::{BinOp, Check, CheckKind, Cond, Expr, HistField, MetricRef, ParamValue};
use crate::report::{CheckResult, MetricValue, OrderedMap, PointReport};

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
fn other<'a>(p: &PointReport, at: &[(String, ParamValue)], points: &'a [PointReport]) -> Option<&'a PointReport> {
    points.iter().find(|q| {
        q.seed == p.seed
            && q.params.0.len() == p.params.0.len()
            && q.params.iter().all(|(k, v)| match at.iter().find(|(n, _)| n == k) {
                Some((_, want)) => v == want,
                None => p.params.get(k) == Some(v),
            })
    })
}

fn eval(e: &Expr, p: &PointReport, points: &[PointReport]) -> Result<f64, String> {
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

fn result(c: &Check, value: Option<f64>, against: Option<f64>, passed: bool) -> CheckResult {
    CheckResult {
        line: c.line,
        text: c.text.clone(),
        value,
        against,
        passed,
        params: OrderedMap::default(),
        note: None,
        unit: unit(c),
        interval: None,
    }
}

fn compare(c: &Check, p: &PointReport, points: &[PointReport]) -> CheckResult {
    let CheckKind::Compare { lhs, op, rhs } = &c.kind else { unreachable!("compare") };
    match (eval(lhs, p, points), eval(rhs, p, points)) {
        (Ok(a), Ok(b)) => result(c, Some(a), Some(b), op.holds(a, b)),
        (Err(e), _) | (_, Err(e)) => CheckResult { note: Some(e), ..result(c, None, None, false) },
    }
}

/// The per-point checks of a point (their `when` was decided when the program was built).
pub fn point_checks(checks: &[Check], p: &PointReport) -> Vec<CheckResult> {
    checks.iter().filter(|c| cond_holds(&c.when, &p.params)).map(|c| compare(c, p, std::slice::from_ref(p))).collect()
}

/// Least-squares slope of ln(y) against ln(x).
pub fn log_log_slope(xy: &[(f64, f64)]) -> Option<f64> {
    crate::stats::log_log_fit(xy).map(|f| f.slope)
}

/// Checks across points, in source order; one result per group (slope) or per point
/// (comparison with another point).
pub fn cross_checks(checks: &[Check], points: &[PointReport]) -> Vec<CheckResult> {
    let mut out = Vec::new();
    for c in checks {
        let selected: Vec<&PointReport> = points.iter().filter(|p| cond_holds(&c.when, &p.params)).collect();
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
                    let passed = slope.is_some_and(|s| s >= *lo && s <= *hi);
                    let interval = fit.and_then(|f| f.ci).map(|(lo, hi)| [lo, hi]);
                    out.push(CheckResult { params: key, note, interval, ..result(c, slope, None, passed) });
                }
            }
        }
    }
    out
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
