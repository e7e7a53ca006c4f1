//! Medians and log-log exponents: how the host's and the model's times grow with N.

/// The median of `v` (the mean of the two middle values for an even count); `None` if empty.
pub fn median(v: &[f64]) -> Option<f64> {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return None;
    }
    s.sort_by(f64::total_cmp);
    let m = s.len() / 2;
    Some(if s.len().is_multiple_of(2) { (s[m - 1] + s[m]) / 2.0 } else { s[m] })
}

/// The least-squares slope of ln(time) against ln(N): the exponent k of time ∝ N^k. The same
/// fit `expect slope(...)` uses (sim-core's `log_log_slope`), so the host's and the model's
/// exponents are fitted alike.
pub fn exponent(points: &[(u32, f64)]) -> Option<f64> {
    let xy: Vec<(f64, f64)> = points.iter().map(|&(n, t)| (f64::from(n), t)).collect();
    sim_core::checks::log_log_slope(&xy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
    }

    #[test]
    fn exponents_of_n_n_log_n_and_n_squared() {
        let ns = [1024u32, 2048, 4096, 8192, 16384];
        let fit = |f: &dyn Fn(f64) -> f64| exponent(&ns.map(|n| (n, f(f64::from(n))))).expect("fit");
        assert!((fit(&|n| 7.0 * n) - 1.0).abs() < 1e-9);
        assert!((fit(&|n| n * n) - 2.0).abs() < 1e-9);
        // N log N: the local slope is 1 + 1/ln N, about 1.12 over 2^10..2^14.
        let nlogn = fit(&|n| n * n.log2());
        assert!(nlogn > 1.11 && nlogn < 1.13, "{nlogn}");
        // A fixed cost lowers the exponent; a power law with noise keeps it.
        assert!(fit(&|n| 1e6 + n) < 0.5);
        assert_eq!(exponent(&[(1024, 1.0)]), None);
    }
}
