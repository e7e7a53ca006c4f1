//! Statistics over replications: the mean of a metric over seeds with its 95% confidence interval
//! (Student t), and the least-squares log-log slope with the interval of its standard error.
//! Only arithmetic, `f64::sqrt` (correctly rounded everywhere) and `libm`: the same bits on
//! every machine.

use crate::metrics::{MetricKind, METRICS};
use crate::program::{HistField, ParamValue};
use crate::report::{GroupStats, MetricValue, OrderedMap, PointReport};
use serde::{Deserialize, Serialize};

/// The 0.975 quantile of Student's t distribution for 1 to 30 degrees of freedom: the factor
/// of a two-sided 95% interval.
const T975: [f64; 30] = [
    12.706204736174707,
    4.302652729749464,
    3.182446305284263,
    2.7764451051977934,
    2.5705818356363146,
    2.4469118511449692,
    2.3646242515927844,
    2.306004135204166,
    2.2621571628540993,
    2.2281388519649385,
    2.200985160082949,
    2.1788128296634177,
    2.1603686564610127,
    2.1447866879169273,
    2.131449545559323,
    2.1199052992210112,
    2.1098155778331806,
    2.10092204024096,
    2.093024054408263,
    2.0859634472658364,
    2.079613844727662,
    2.0738730679040147,
    2.0686576104190406,
    2.0638985616280205,
    2.059538552753294,
    2.055529438642871,
    2.0518305164802833,
    2.048407141795244,
    2.045229642132703,
    2.0422724563012373,
];

/// The 0.975 quantile of the standard normal distribution.
const Z975: f64 = 1.959963984540054;

/// The 0.975 quantile of Student's t with `df` degrees of freedom (`df >= 1`): the table up to
/// 30, past it the Cornish-Fisher expansion around the normal quantile to the fourth order
/// (error below 3e-8 at 31, smaller beyond).
pub fn t975(df: u64) -> f64 {
    assert!(df >= 1, "a t quantile needs at least one degree of freedom");
    if df <= 30 {
        return T975[df as usize - 1];
    }
    let v = df as f64;
    let z = Z975;
    let z2 = z * z;
    let (z3, z5, z7, z9) = (z2 * z, z2 * z2 * z, z2 * z2 * z2 * z, z2 * z2 * z2 * z2 * z);
    let g1 = (z3 + z) / 4.0;
    let g2 = (5.0 * z5 + 16.0 * z3 + 3.0 * z) / 96.0;
    let g3 = (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / 384.0;
    let g4 = (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / 92160.0;
    z + g1 / v + g2 / (v * v) + g3 / (v * v * v) + g4 / (v * v * v * v)
}

/// A sample's mean with its standard deviation and 95% confidence interval (Student t at n-1
/// degrees of freedom); the last three are absent for fewer than two values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub n: u64,
    pub mean: f64,
    pub stddev: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

impl Interval {
    /// Half the width of the interval, if there is one.
    pub fn half_width(&self) -> Option<f64> {
        Some((self.ci_high? - self.ci_low?) / 2.0)
    }

    /// Whether two intervals share a point (false when either has none).
    pub fn overlaps(&self, other: &Interval) -> Option<bool> {
        Some(self.ci_low? <= other.ci_high? && other.ci_low? <= self.ci_high?)
    }
}

/// The mean and interval of `values`; none for an empty sample.
pub fn interval(values: &[f64]) -> Option<Interval> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Some(Interval { n: n as u64, mean, stddev: None, ci_low: None, ci_high: None });
    }
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    let stddev = (ss / (n - 1) as f64).sqrt();
    let half = t975(n as u64 - 1) * stddev / (n as f64).sqrt();
    Some(Interval { n: n as u64, mean, stddev: Some(stddev), ci_low: Some(mean - half), ci_high: Some(mean + half) })
}

/// A least-squares line through log-log points: its slope and, with three points or more, the
/// 95% interval of the slope (its standard error times t at n-2 degrees of freedom).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    pub slope: f64,
    pub ci: Option<(f64, f64)>,
    pub n: u64,
}

/// The least-squares slope of ln(y) against ln(x), over every point (replications included);
/// none with fewer than two distinct x or a non-positive value.
pub fn log_log_fit(xy: &[(f64, f64)]) -> Option<Fit> {
    if xy.len() < 2 || xy.iter().any(|&(x, y)| x <= 0.0 || y <= 0.0) {
        return None;
    }
    let pts: Vec<(f64, f64)> = xy.iter().map(|&(x, y)| (libm::log(x), libm::log(y))).collect();
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let ci = (pts.len() > 2).then(|| {
        let intercept = my - slope * mx;
        let sse: f64 = pts
            .iter()
            .map(|p| {
                let r = p.1 - intercept - slope * p.0;
                r * r
            })
            .sum();
        let se = (sse / (n - 2.0) / sxx).sqrt();
        let half = t975(pts.len() as u64 - 2) * se;
        (slope - half, slope + half)
    });
    Some(Fit { slope, ci, n: pts.len() as u64 })
}

/// A point's figure of a metric: a count or gauge as it is, a histogram's field (none for a
/// field other than `count` of a histogram without samples).
pub fn figure(p: &PointReport, metric: &str, field: Option<HistField>) -> Option<f64> {
    match (p.metric(metric)?, field) {
        (MetricValue::Scalar(v), None) => Some(*v as f64),
        (MetricValue::Histogram(h), Some(HistField::Count)) => Some(h.count as f64),
        (MetricValue::Histogram(h), Some(_)) if h.count == 0 => None,
        (MetricValue::Histogram(h), Some(f)) => Some(h.field(f)),
        _ => None,
    }
}

/// Every figure of the catalogue, in order: `(key, metric, field)`, histograms by field.
pub fn figures() -> Vec<(String, &'static str, Option<HistField>)> {
    let mut out = Vec::new();
    for m in METRICS {
        match m.kind {
            MetricKind::Histogram => {
                for f in HistField::ALL {
                    out.push((format!("{}.{}", m.name, f.name()), m.name, Some(f)));
                }
            }
            _ => out.push((m.name.to_string(), m.name, None)),
        }
    }
    out
}

/// The points grouped by parameters, in the order each set first appears.
pub fn by_params(points: &[PointReport]) -> Vec<(&OrderedMap<ParamValue>, Vec<&PointReport>)> {
    let mut out: Vec<(&OrderedMap<ParamValue>, Vec<&PointReport>)> = Vec::new();
    // Where each set of parameters' group is: a sweep may have 100 000 points.
    let mut at: std::collections::BTreeMap<&[(String, ParamValue)], usize> = std::collections::BTreeMap::new();
    for p in points {
        match at.get(p.params.0.as_slice()) {
            Some(&i) => out[i].1.push(p),
            None => {
                at.insert(p.params.0.as_slice(), out.len());
                out.push((&p.params, vec![p]));
            }
        }
    }
    out
}

/// The report's `statistics`: for each set of parameters, every figure over its seeds; empty
/// when no set ran under more than one seed.
pub fn statistics(points: &[PointReport]) -> Vec<GroupStats> {
    let groups = by_params(points);
    if groups.iter().all(|(_, g)| g.len() < 2) {
        return Vec::new();
    }
    let figures = figures();
    groups
        .into_iter()
        .map(|(params, g)| {
            let mut metrics = OrderedMap::default();
            for (key, metric, field) in &figures {
                let values: Vec<f64> = g.iter().filter_map(|p| figure(p, metric, *field)).collect();
                if let Some(i) = interval(&values) {
                    metrics.push(key.clone(), i);
                }
            }
            GroupStats { params: params.clone(), seeds: g.iter().map(|p| p.seed).collect(), metrics }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_tables() {
        assert_eq!(t975(1), 12.706204736174707);
        assert_eq!(t975(9), 2.2621571628540993);
        // Past the table the expansion carries on smoothly (reference values to 1e-12).
        for (df, want) in [(31, 2.0395134463963194), (40, 2.021075390306309), (100, 1.9839715185237616)] {
            assert!((t975(df) - want).abs() < 3e-8, "t975({df}) = {}", t975(df));
        }
        assert!((t975(1_000_000) - Z975).abs() < 1e-5);
        assert!(t975(30) > t975(31) && t975(31) > t975(32));
    }

    /// The sample 1, 2, 3, 4, 5 by hand: mean 3, s = sqrt(10 / 4) = 1.5811388, standard error
    /// s / sqrt(5) = 0.7071068, t(4) = 2.7764451: 3 ± 1.9632432.
    #[test]
    fn interval_of_a_small_sample_by_hand() {
        let i = interval(&[1.0, 2.0, 3.0, 4.0, 5.0]).expect("interval");
        assert_eq!(i.n, 5);
        assert_eq!(i.mean, 3.0);
        assert!((i.stddev.expect("sd") - 1.5811388300841898).abs() < 1e-12);
        assert!((i.ci_low.expect("low") - 1.0367568).abs() < 1e-6, "{i:?}");
        assert!((i.ci_high.expect("high") - 4.9632432).abs() < 1e-6, "{i:?}");
        assert!((i.half_width().expect("half") - 1.9632432).abs() < 1e-6);
        let one = interval(&[7.0]).expect("one value");
        assert_eq!((one.mean, one.stddev, one.ci_low), (7.0, None, None));
        assert_eq!(interval(&[]), None);
        let same = interval(&[2.0, 2.0, 2.0]).expect("constant");
        assert_eq!((same.ci_low, same.ci_high), (Some(2.0), Some(2.0)));
    }

    #[test]
    fn overlap() {
        let a = interval(&[1.0, 2.0, 3.0]).expect("a");
        let b = interval(&[2.5, 3.5, 4.5]).expect("b");
        let c = interval(&[100.0, 101.0, 102.0]).expect("c");
        assert_eq!(a.overlaps(&b), Some(true));
        assert_eq!(a.overlaps(&c), Some(false));
        assert_eq!(a.overlaps(&interval(&[1.0]).expect("one")), None);
    }

    /// y = x^2 exactly: slope 2 with a zero-width interval; with noise the interval holds the
    /// slope and matches the textbook standard error.
    #[test]
    fn slope_and_its_interval() {
        let exact: Vec<(f64, f64)> = (1..6).map(|i| (f64::from(1 << i), f64::from(1 << (2 * i)))).collect();
        let f = log_log_fit(&exact).expect("fit");
        assert!((f.slope - 2.0).abs() < 1e-12);
        let (lo, hi) = f.ci.expect("ci");
        assert!((hi - lo).abs() < 1e-9);
        // ln x = 0, 1, 2 and ln y = 0, 1, 3: slope 1.5, residuals 1/6, -1/3, 1/6, SSE 1/6,
        // se = sqrt((1/6) / 1 / 2) = 0.2886751, t(1) = 12.7062047: 1.5 ± 3.6679.
        let e = std::f64::consts::E;
        let f = log_log_fit(&[(1.0, 1.0), (e, e), (e * e, e * e * e)]).expect("fit");
        assert!((f.slope - 1.5).abs() < 1e-12, "{f:?}");
        let (lo, hi) = f.ci.expect("ci");
        assert!((hi - 1.5 - 12.706204736174707 * 0.28867513459481287).abs() < 1e-9, "{f:?}");
        assert!((1.5 - lo - (hi - 1.5)).abs() < 1e-12);
        assert_eq!(log_log_fit(&[(1.0, 1.0), (2.0, 2.0)]).and_then(|f| f.ci), None);
        assert_eq!(log_log_fit(&[(1.0, 1.0)]), None);
        assert_eq!(log_log_fit(&[(1.0, 0.0), (2.0, 1.0)]), None);
    }
}
