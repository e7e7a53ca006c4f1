//! Numbers as a reader wants them: times in ns/us/ms/s, sizes in B/KiB/MiB/GiB, counts grouped,
//! and for a pair of figures, as many digits as it takes to tell them apart.

/// Nanoseconds at a fixed precision, for tables: `850 ns`, `12.300 us`, `4.560 ms`, `2.010 s`.
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

/// Bytes at a fixed precision, for tables: `512 B`, `16.0 KiB`, `1.25 MiB`.
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

/// A table cell of a metric in its catalogue unit (`ns`, `bytes`, or a count, grouped).
pub fn cell(unit: &str, v: f64) -> String {
    match unit {
        "ns" => ns(v),
        "bytes" => bytes(v),
        _ if v.fract() == 0.0 && (0.0..1e15).contains(&v) => crate::exec::group(v as u64),
        _ => format!("{v:.2}"),
    }
}

/// The scale a value of `unit` reads in, and the scale's name.
fn scale(unit: &str, v: f64) -> (f64, &'static str) {
    let a = v.abs();
    match unit {
        "ns" if a < 1e3 => (1.0, "ns"),
        "ns" if a < 1e6 => (1e3, "us"),
        "ns" if a < 1e9 => (1e6, "ms"),
        "ns" => (1e9, "s"),
        "bytes" if a < 1024.0 => (1.0, "B"),
        "bytes" if a < 1024.0 * 1024.0 => (1024.0, "KiB"),
        "bytes" if a < 1024.0 * 1024.0 * 1024.0 => (1024.0 * 1024.0, "MiB"),
        "bytes" if a < 1024.0 * 1024.0 * 1024.0 * 1024.0 => (1024.0 * 1024.0 * 1024.0, "GiB"),
        "bytes" => (1024.0 * 1024.0 * 1024.0 * 1024.0, "TiB"),
        _ => (1.0, ""),
    }
}

/// `x` to `digits` significant digits, trailing zeros dropped if `trim`: `28.81`, `1`, `0.002`.
fn significant(x: f64, digits: usize, trim: bool) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    // Digits left of the point, counted without logarithms.
    let mut whole = 0usize;
    let mut p = 1.0;
    while x.abs() >= p {
        whole += 1;
        p *= 10.0;
    }
    let decimals = if whole == 0 {
        // 0.00123: leading zeros after the point do not count.
        let mut lead = 0usize;
        let mut q = 0.1;
        while x.abs() < q && lead < 300 {
            lead += 1;
            q /= 10.0;
        }
        lead + digits
    } else {
        digits.saturating_sub(whole)
    };
    let s = format!("{x:.decimals$}");
    if trim && s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn human_digits(unit: &str, v: f64, digits: usize, trim: bool) -> String {
    match unit {
        "ns" | "bytes" => {
            let (div, name) = scale(unit, v);
            format!("{} {name}", significant(v / div, digits, trim))
        }
        _ if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        _ => significant(v, digits, trim),
    }
}

/// A figure in its unit, to four significant digits: `28.81 s`, `1 s`, `15.62 MiB`, `3812`.
pub fn human(unit: &str, v: f64) -> String {
    human_digits(unit, v, 4, true)
}

/// Two figures compared with each other: four significant digits, or, when four would make
/// different values read the same, whole nanoseconds or bytes (or as many digits as tell them
/// apart, zeros kept).
pub fn human_pair(unit: &str, a: f64, b: f64) -> (String, String) {
    let (x, y) = (human(unit, a), human(unit, b));
    if x != y || a == b {
        return (x, y);
    }
    let whole = |v: f64| v.fract() == 0.0 && (0.0..1e15).contains(&v);
    let base = match unit {
        "ns" => "ns",
        "bytes" => "B",
        _ => "",
    };
    if !base.is_empty() && whole(a) && whole(b) {
        let exact = |v: f64| format!("{} {base}", crate::exec::group(v as u64));
        return (exact(a), exact(b));
    }
    for digits in 5..=17 {
        let (x, y) = (human_digits(unit, a, digits, false), human_digits(unit, b, digits, false));
        if x != y {
            return (x, y);
        }
    }
    (x, y)
}

/// A table's lines, each column as wide as its widest cell: the first `left` columns
/// left-aligned (names), the others right-aligned (figures), two spaces apart.
pub fn table_lines(head: &[String], rows: &[Vec<String>], left: usize) -> Vec<String> {
    let widths: Vec<usize> = (0..head.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).chain([head[i].chars().count()]).max().unwrap_or(0))
        .collect();
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                let pad = " ".repeat(w - c.chars().count());
                if i < left {
                    format!("{c}{pad}")
                } else {
                    format!("{pad}{c}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    std::iter::once(head).chain(rows.iter().map(|r| r.as_slice())).map(line).collect()
}

#[cfg(test)]
mod tests {

    #[test]
    fn table_lines_align_names_left_and_figures_right() {
        let head = vec!["name".to_string(), "n".to_string()];
        let rows = vec![vec!["a".to_string(), "1,234".to_string()], vec!["µs-long".to_string(), "5".to_string()]];
        assert_eq!(
            table_lines(&head, &rows, 1),
            vec!["name         n".to_string(), "a        1,234".to_string(), "µs-long      5".to_string()]
        );
    }
    use super::*;

    #[test]
    fn figures_read_in_their_unit() {
        assert_eq!(human("ns", 28_805_160_100.0), "28.81 s");
        assert_eq!(human("ns", 1e9), "1 s");
        assert_eq!(human("ns", 17_227_764.0), "17.23 ms");
        assert_eq!(human("ns", 850.0), "850 ns");
        assert_eq!(human("ns", 0.0), "0 ns");
        assert_eq!(human("bytes", 16_379_904.0), "15.62 MiB");
        assert_eq!(human("bytes", 4096.0), "4 KiB");
        assert_eq!(human("", 3812.0), "3812");
        assert_eq!(human("", 0.99584), "0.9958");
        assert_eq!(human("", 8.5), "8.5");
        assert_eq!(significant(0.0012345, 3, true), "0.00123");
        assert_eq!(significant(2.5, 4, false), "2.500");
    }

    #[test]
    fn a_pair_gets_the_digits_that_tell_it_apart() {
        assert_eq!(human_pair("ns", 8_003_195.0, 8_003_196.0), ("8,003,195 ns".into(), "8,003,196 ns".into()));
        assert_eq!(human_pair("ns", 8_003_195.5, 8_003_196.0), ("8.0031955 ms".into(), "8.0031960 ms".into()));
        assert_eq!(human_pair("ns", 8_003_195.0, 8_003_195.0), ("8.003 ms".into(), "8.003 ms".into()));
        assert_eq!(human_pair("ns", 28_805_160_100.0, 1e9), ("28.81 s".into(), "1 s".into()));
    }

    #[test]
    fn table_cells() {
        assert_eq!(ns(12_300.0), "12.300 us");
        assert_eq!(bytes(16_384.0), "16.0 KiB");
        assert_eq!(cell("", 1_234_567.0), "1,234,567");
        assert_eq!(cell("", 2.5), "2.50");
    }
}
