//! Axis ticks and their labels: round steps on linear axes, decades (or 1-2-5) on log axes, and
//! human units (ns/µs/ms/s, B/KiB/MiB/GiB). Only `+ - * /` and libm, so labels do not depend on the
//! platform's maths library.

/// `10^e`, exact for the exponents axes need (|e| ≤ 22), correctly rounded beyond.
pub fn pow10(e: i32) -> f64 {
    let mut p = 1.0;
    for _ in 0..e.unsigned_abs().min(400) {
        p *= 10.0;
    }
    if e < 0 {
        1.0 / p
    } else {
        p
    }
}

/// The decade of `v > 0`: the `e` with `10^e ≤ v < 10^(e+1)`.
fn decade(v: f64) -> i32 {
    let mut e = libm::floor(libm::log10(v)) as i32;
    // log10 may land one off near powers of ten; settle it exactly.
    if pow10(e) > v {
        e -= 1;
    } else if pow10(e + 1) <= v {
        e += 1;
    }
    e
}

/// A round step (1, 2 or 5 times a power of ten) giving about `target` intervals over `span`,
/// with its power of ten.
pub fn nice_step(span: f64, target: u32) -> (f64, i32) {
    let raw = span / f64::from(target.max(1));
    let e = decade(raw);
    let m = raw / pow10(e);
    match m {
        m if m < 1.5 => (pow10(e), e),
        m if m < 3.5 => (2.0 * pow10(e), e),
        m if m < 7.5 => (5.0 * pow10(e), e),
        _ => (pow10(e + 1), e + 1),
    }
}

/// Multiples of `step` within `lo..=hi`.
pub fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let first = libm::ceil(lo / step) as i64;
    let last = libm::floor(hi / step) as i64;
    (first..=last.min(first + 1000)).map(|k| k as f64 * step).collect()
}

/// Major and minor tick values (real, not logarithms) for a log axis over `lo..=hi`.
pub fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let (d_lo, d_hi) = (decade(lo), decade(hi));
    let in_range = |v: &f64| *v >= lo && *v <= hi;
    let decades: Vec<i32> = (d_lo..=d_hi + 1).filter(|&d| in_range(&pow10(d))).collect();
    let with = |mantissas: &[f64]| -> Vec<f64> {
        (d_lo..=d_hi).flat_map(|d| mantissas.iter().map(move |m| m * pow10(d))).filter(in_range).collect()
    };
    if decades.len() >= 3 {
        // Every decade, or every k-th when there are many; the rest become minor lines.
        let k = decades.len().div_ceil(9);
        let major: Vec<f64> = decades.iter().filter(|&&d| d.rem_euclid(k as i32) == 0).map(|&d| pow10(d)).collect();
        let minor: Vec<f64> = if decades.len() <= 7 {
            with(&[2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
        } else {
            decades.iter().filter(|&&d| d.rem_euclid(k as i32) != 0).map(|&d| pow10(d)).collect()
        };
        (major, minor)
    } else {
        let major = with(&[1.0, 2.0, 5.0]);
        let minor = with(&[3.0, 4.0, 6.0, 7.0, 8.0, 9.0]);
        if major.len() >= 2 {
            (major, minor)
        } else {
            (with(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]), Vec::new())
        }
    }
}

/// Keeps at most `max` of `values`, evenly spaced, always the first.
pub fn thin(values: Vec<f64>, max: usize) -> Vec<f64> {
    let k = values.len().div_ceil(max.max(1)).max(1);
    values.into_iter().enumerate().filter(|(i, _)| i % k == 0).map(|(_, v)| v).collect()
}

/// Three significant digits at most, without trailing zeros.
pub fn sig3(v: f64) -> String {
    let s = if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    if s == "-0" {
        "0".to_string()
    } else {
        s
    }
}

/// A number with the decimals a tick step of `10^e` needs.
pub fn fixed(v: f64, e: i32) -> String {
    let s = format!("{:.*}", (-e).max(0) as usize, v);
    if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// A unit to show a quantity in: divide by `div`, append `name`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unit {
    pub div: f64,
    pub name: &'static str,
}

const TIME: [Unit; 4] = [
    Unit { div: 1e9, name: "s" },
    Unit { div: 1e6, name: "ms" },
    Unit { div: 1e3, name: "µs" },
    Unit { div: 1.0, name: "ns" },
];

const BYTES: [Unit; 4] = [
    Unit { div: 1_073_741_824.0, name: "GiB" },
    Unit { div: 1_048_576.0, name: "MiB" },
    Unit { div: 1024.0, name: "KiB" },
    Unit { div: 1.0, name: "bytes" },
];

/// The largest unit in which `v` is at least 1 (the smallest for `v < 1`).
fn unit_for(units: &[Unit; 4], v: f64) -> Unit {
    units.iter().copied().find(|u| v >= u.div).unwrap_or(units[3])
}

/// The time unit for an axis whose largest value is `max_ns` nanoseconds.
pub fn time_unit(max_ns: f64) -> Unit {
    unit_for(&TIME, max_ns)
}

/// The binary unit for an axis whose largest value is `max` bytes.
pub fn byte_unit(max: f64) -> Unit {
    unit_for(&BYTES, max)
}

fn human(units: &[Unit; 4], v: f64) -> String {
    if v <= 0.0 {
        return format!("0 {}", units[3].name);
    }
    let u = unit_for(units, v);
    let s = sig3(v / u.div);
    // 999.7 µs rounds to "1000 µs": say "1 ms".
    if s == "1000" || s == "1024" {
        if let Some(up) = units.iter().rev().find(|w| w.div > u.div) {
            return format!("{} {}", sig3(v / up.div), up.name);
        }
    }
    format!("{s} {}", u.name)
}

/// A duration in nanoseconds, in the unit that reads best ("150 ns", "2.5 ms").
pub fn duration(ns: f64) -> String {
    human(&TIME, ns)
}

/// A size in bytes, in binary units ("16 KiB", "1.5 GiB").
pub fn bytes(b: f64) -> String {
    human(&BYTES, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(10.0, 5), (2.0, 0));
        assert_eq!(nice_step(1.0, 5), (0.2, -1));
        assert_eq!(nice_step(300.0, 6), (50.0, 1));
        assert_eq!(nice_step(0.9, 1), (1.0, 0));
        assert_eq!(multiples(-0.1, 1.05, 0.25), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(decade(1000.0), 3);
        assert_eq!(decade(999.0), 2);
        assert_eq!(decade(0.001), -3);
    }

    #[test]
    fn log_ticks_pick_decades_or_1_2_5() {
        let (major, minor) = log_ticks(900.0, 2.0e6);
        assert_eq!(major, vec![1e3, 1e4, 1e5, 1e6]);
        assert!(minor.contains(&2e3) && minor.contains(&2e6) && !minor.contains(&3e6));
        let (major, _) = log_ticks(150.0, 900.0);
        assert_eq!(major, vec![200.0, 500.0]);
        let (major, _) = log_ticks(1.0, 1e20);
        assert!(major.len() <= 9 && major.len() >= 5, "{major:?}");
    }

    #[test]
    fn human_units() {
        assert_eq!(duration(150.0), "150 ns");
        assert_eq!(duration(1000.0), "1 µs");
        assert_eq!(duration(2.5e6), "2.5 ms");
        assert_eq!(duration(999_700.0), "1 ms");
        assert_eq!(duration(3.4e10), "34 s");
        assert_eq!(bytes(16384.0), "16 KiB");
        assert_eq!(bytes(134_045_696.0), "128 MiB");
        assert_eq!(bytes(512.0), "512 bytes");
        assert_eq!(sig3(1.234), "1.23");
        assert_eq!(sig3(12.0), "12");
        assert_eq!(fixed(0.30000000000000004, -1), "0.3");
        assert_eq!(fixed(-0.0, 0), "0");
        assert_eq!(time_unit(3.2e8).name, "ms");
        assert_eq!(byte_unit(270_336.0).name, "KiB");
    }
}
