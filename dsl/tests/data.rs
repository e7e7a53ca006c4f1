//! Data-driven tests: every `data/ok/*.wl` loads and lowers to its `.out` twin, every
//! `data/err/*.wl` fails with exactly its `.err` twin. `UPDATE_EXPECT=1` rewrites the twins.
//! A first line `# overrides: NAME=VALUE ...` passes `-p` overrides.

use sim_core::cost::COSTS;
use sim_core::program::Program;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn data_dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(sub)
}

fn overrides(bytes: &[u8]) -> Vec<(String, String)> {
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let first = String::from_utf8_lossy(first);
    match first.strip_prefix("# overrides:") {
        Some(rest) => rest
            .split_whitespace()
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (k.to_string(), v.to_string())
            })
            .collect(),
        None => Vec::new(),
    }
}

fn wl_files(sub: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data_dir(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wl"))
        .collect();
    files.sort();
    files
}

/// Compares `actual` with the twin file, or rewrites it under UPDATE_EXPECT=1.
fn compare(twin: &Path, actual: &str, failures: &mut Vec<String>) {
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(twin, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(twin).unwrap_or_default();
    if expected != actual {
        failures.push(format!("--- {}\n{actual}", twin.display()));
    }
}

fn dump_program(p: &Program, out: &mut String) {
    let m = &p.machine;
    let costs: Vec<String> = COSTS
        .iter()
        .filter(|c| m.costs.get(c.cost) != c.default_ns)
        .map(|c| format!("{}={}", c.name, m.costs.get(c.cost)))
        .collect();
    let _ = writeln!(
        out,
        "  machine: cpus={} memory={} vmalloc={} max_map_count={} costs=[{}]",
        m.cpus,
        m.memory_bytes,
        m.vmalloc_bytes,
        m.max_map_count,
        costs.join(" ")
    );
    let _ = writeln!(out, "  workload: {:?} strategy: {:?}", p.workload, p.strategy);
    let _ = writeln!(out, "  options: {:?}", p.options);
    for (i, f) in p.files.iter().enumerate() {
        let _ = writeln!(out, "  file {i}: {f:?}");
    }
    for (i, d) in p.drivers.iter().enumerate() {
        let _ = writeln!(out, "  driver {i}: {d:?}");
    }
    for (i, pr) in p.processes.iter().enumerate() {
        let _ = writeln!(out, "  process {i}: {pr:?}");
    }
    let _ = writeln!(out, "  targets: {:?}", p.targets);
    for (i, b) in p.blocks.iter().enumerate() {
        let _ = writeln!(out, "  block {i}:");
        for s in b {
            let _ = writeln!(out, "    {}: {:?}", s.line, s.kind);
        }
    }
    for a in &p.actions {
        let _ = writeln!(out, "  action {}: {:?} {:?}", a.line, a.trigger, a.action);
    }
    for c in &p.checks {
        let _ = writeln!(out, "  check {}: {}\n    {:?} when {:?}", c.line, c.text, c.kind, c.when);
    }
}

fn dump(w: &dsl::Workload) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "name: {}\nsource: {}\nseed: {}", w.name(), w.source(), w.seed());
    for c in w.cross_checks() {
        let _ = writeln!(out, "cross check {}: {}\n  {:?} when {:?}", c.line, c.text, c.kind, c.when);
    }
    let points = w.points();
    let _ = writeln!(out, "points: {}", points.len());
    for (i, params) in points.iter().enumerate() {
        let ps: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(out, "point {i}: {}", ps.join(" "));
        match w.instantiate(params) {
            Ok(p) => dump_program(&p, &mut out),
            Err(d) => {
                let _ = writeln!(out, "  instantiate failed:\n{d}");
            }
        }
    }
    out
}

#[test]
fn ok_files_lower_to_their_twins() {
    let mut failures = Vec::new();
    let files = wl_files("ok");
    let count = files.len();
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let name = format!("ok/{}", path.file_name().unwrap().to_string_lossy());
        let actual = match dsl::load(&name, &bytes, &overrides(&bytes)) {
            Ok(w) => dump(&w),
            Err(d) => format!("unexpected errors:\n{d}\n"),
        };
        compare(&path.with_extension("out"), &actual, &mut failures);
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    assert!(count >= 14, "expected at least 14 ok files, found {count}");
}

#[test]
fn err_files_fail_with_their_twins() {
    let mut failures = Vec::new();
    let files = wl_files("err");
    let count = files.len();
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let name = format!("err/{}", path.file_name().unwrap().to_string_lossy());
        let actual = match dsl::load(&name, &bytes, &overrides(&bytes)) {
            Ok(_) => "unexpectedly loaded without errors\n".to_string(),
            Err(d) => format!("{d}\n"),
        };
        compare(&path.with_extension("err"), &actual, &mut failures);
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    assert!(count >= 30, "expected at least 30 err files, found {count}");
}
