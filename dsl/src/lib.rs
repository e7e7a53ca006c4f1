//! The workload language: parse, check, lower to `sim_core::program`.
//!
//! [`load`] finds every error a workload has before anything runs: syntax, names, units,
//! overrides, and the limits of every point of its sweeps.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod ast;
mod check;
mod diagnostic;
mod lower;
mod maps;
mod parse;
mod print;
mod reduce;

pub use diagnostic::{Diagnostic, Diagnostics, ErrorKind, Thing};
pub use lower::MAX_POINTS;
pub use maps::{read_file, LayoutSummary, MAX_MAPS_BYTES};
pub use parse::MAX_NESTING;
pub use reduce::{reduce, Counts, Judged, Reduced, Shrink};

use diagnostic::Source;
use sim_core::program::{Check, ParamValue, Program};
use sim_core::report::OrderedMap;

/// A checked workload: its points, and a program for any of them.
#[derive(Clone, Debug)]
pub struct Workload {
    name: String,
    source: String,
    seed: u64,
    src: Source,
    ir: check::Ir,
    points: Vec<OrderedMap<ParamValue>>,
    cross_checks: Vec<Check>,
    layouts: maps::Layouts,
    warnings: Diagnostics,
}

impl Workload {
    /// `workload "NAME"`, or the file's stem.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The path as given to [`load`].
    pub fn source(&self) -> &str {
        &self.source
    }

    /// `seed N`, default 1.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The cross product of the sweeps, first sweep outermost. Each map has `strategy` first,
    /// then every `param` and `sweep` in declaration order.
    pub fn points(&self) -> Vec<OrderedMap<ParamValue>> {
        self.points.clone()
    }

    /// A point's parameter as `-p NAME=VALUE` takes it back: a duration in ns, a size in the
    /// largest unit that divides it.
    pub fn param_text(&self, name: &str, value: &ParamValue) -> String {
        let kind = self.ir.params.iter().find(|p| p.name == name).map(|p| p.kind);
        match (kind, value) {
            (Some(check::Kind::Dur), ParamValue::Int(n)) => format!("{n}ns"),
            (Some(check::Kind::Size), ParamValue::Int(n)) => {
                let n = *n;
                for (unit, bytes) in [("T", 1u64 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)] {
                    if n != 0 && n % bytes == 0 {
                        return format!("{}{unit}", n / bytes);
                    }
                }
                format!("{n}")
            }
            _ => value.to_string(),
        }
    }

    /// The program of one point.
    pub fn instantiate(&self, params: &OrderedMap<ParamValue>) -> Result<Program, Diagnostics> {
        lower::instantiate(&self.ir, &self.src, &self.layouts, params).map_err(Diagnostics::finish)
    }

    /// The maps files the workload's `mmap maps` steps read, in path order.
    pub fn layouts(&self) -> Vec<LayoutSummary> {
        self.layouts.iter().filter_map(|(written, l)| l.as_ref().map(|l| l.summary(written))).collect()
    }

    /// What loads but is likely not meant, such as a sweep that nothing reads; a caller shows
    /// them and goes on.
    pub fn warnings(&self) -> &Diagnostics {
        &self.warnings
    }

    /// The cost parameters set with `-p cost.NAME=DURATION`, by name, in nanoseconds (the last
    /// of several settings of one parameter).
    pub fn cost_overrides(&self) -> OrderedMap<u64> {
        let mut out: OrderedMap<u64> = OrderedMap::default();
        for &(cost, ns) in &self.ir.machine.cost_overrides {
            match out.0.iter_mut().find(|(k, _)| k == cost.name()) {
                Some(slot) => slot.1 = ns,
                None => out.push(cost.name().to_string(), ns),
            }
        }
        out
    }

    /// The text of line `n` (1-based) of the workload, without its end of line.
    pub fn line(&self, n: u32) -> Option<&str> {
        self.src.text().lines().nth((n as usize).checked_sub(1)?)
    }

    /// The checks that compare points: `slope(...)` and metrics with `[NAME=VALUE]`, with their
    /// `when` kept.
    pub fn cross_checks(&self) -> &[Check] {
        &self.cross_checks
    }
}

/// Parses, checks and instantiates every point of a workload. `path` is used in messages and
/// for the default name, and the maps files of `mmap maps` steps are read from the file system
/// relative to its folder; `overrides` are the `-p NAME=VALUE` pairs.
pub fn load(path: &str, bytes: &[u8], overrides: &[(String, String)]) -> Result<Workload, Diagnostics> {
    load_with(path, bytes, overrides, &read_file)
}

/// [`load`], with the maps files read by `read` (given `path`'s folder joined with the path as
/// written): tests and fuzzers serve them from memory.
pub fn load_with(
    path: &str,
    bytes: &[u8],
    overrides: &[(String, String)],
    read: &dyn Fn(&std::path::Path) -> std::io::Result<Vec<u8>>,
) -> Result<Workload, Diagnostics> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => return Err(not_utf8(path, bytes, e.valid_up_to()).into()),
    };
    // A byte-order mark is not part of the text (editors do not count it as a column).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let src = Source::new(path, text.to_string(), 0);
    let stmts = parse::parse_file(&src).map_err(Diagnostics::finish)?;
    let (mut ir, mut diags) = check::check(&src, &stmts, overrides);
    if ir.name.is_none() {
        ir.name = Some(stem(path));
    }
    let layouts = maps::read_all(&ir, &src, path, read, &mut diags);
    let points = match lower::points(&ir, &src) {
        Ok(p) => p,
        Err(d) => {
            diags.extend(d);
            Vec::new()
        }
    };
    for p in &points {
        if let Err(d) = lower::instantiate(&ir, &src, &layouts, p) {
            diags.extend(d);
        }
    }
    if !diags.is_empty() {
        return Err(diags.finish());
    }
    let cross_checks = ir.checks.iter().filter(|c| c.kind.is_cross_point()).cloned().collect();
    let warnings = std::mem::take(&mut ir.warnings);
    Ok(Workload {
        name: ir.name.clone().unwrap_or_default(),
        source: path.to_string(),
        seed: ir.seed.unwrap_or(1),
        src,
        ir,
        points,
        cross_checks,
        layouts,
        warnings,
    })
}

fn stem(path: &str) -> String {
    std::path::Path::new(path).file_stem().map_or_else(|| path.to_string(), |s| s.to_string_lossy().into_owned())
}

/// The error for input that is not UTF-8, at the first bad byte.
pub(crate) fn not_utf8(path: &str, bytes: &[u8], bad: usize) -> Diagnostic {
    let head = bytes.get(..bad).unwrap_or(bytes);
    let line = head.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = head.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let line_end = bytes.iter().skip(line_start).position(|&b| b == b'\n').map_or(bytes.len(), |i| line_start + i);
    let prefix = String::from_utf8_lossy(bytes.get(line_start..bad).unwrap_or(&[]));
    let shown = String::from_utf8_lossy(bytes.get(line_start..line_end).unwrap_or(&[])).into_owned();
    let byte = bytes.get(bad).copied().unwrap_or(0);
    Diagnostic::at(path, line, prefix.chars().count() + 1, shown, diagnostic::ErrorKind::NotUtf8 { byte })
        .with_help("save the workload as UTF-8 text")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_printed_as_overrides_loads_back_as_that_point() {
        let src = b"workload \"p\"\nsweep s = [4K, 6K, 1M, 5000]\nsweep d = [1us, 150ns]\nsweep on = [true, false]\n\
process p when on == true {\n  mmap anon $s\n  sleep $d\n}\nprocess q {\n  sleep $d\n}\n";
        let w = load("p.wl", src, &[]).expect("loads");
        assert_eq!(w.points().len(), 16);
        for point in w.points() {
            let overrides: Vec<(String, String)> =
                point.iter().map(|(name, v)| (name.clone(), w.param_text(name, v))).collect();
            let again = load("p.wl", src, &overrides).unwrap_or_else(|d| panic!("{overrides:?}: {d}"));
            assert_eq!(again.points(), vec![point.clone()], "{overrides:?}");
        }
    }
}
