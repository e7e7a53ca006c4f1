//! Data-driven tests: every `data/ok/*.wl` loads and lowers to its `.out` twin (and warns
//! exactly as its `.warn` twin says, if it has one: no twin, no warning), every
//! `data/err/*.wl` fails with exactly its `.err` twin. `UPDATE_EXPECT=1` rewrites the twins.
//! A first line `# overrides: NAME=VALUE ...` passes `-p` overrides.

use sim_core::cost::COSTS;
use sim_core::program::{Check, Program};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn data_dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(sub)
}

/// Maps files named by the data files: their paths are relative to `tests/data`, as the names
/// the data files are loaded under are.
fn read_data(path: &Path) -> std::io::Result<Vec<u8>> {
    dsl::read_file(&data_dir("").join(path))
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

/// A check's qualifier, for the twins: nothing for a plain `expect`.
fn qualifier(c: &Check) -> String {
    if c.qualifier.is_plain() {
        String::new()
    } else {
        format!(" over seeds {:?}", c.qualifier)
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
        let _ = writeln!(out, "  check {}: {}\n    {:?} when {:?}{}", c.line, c.text, c.kind, c.when, qualifier(c));
    }
}

fn dump(w: &dsl::Workload) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "name: {}\nsource: {}\nseed: {}", w.name(), w.source(), w.seed());
    for c in w.cross_checks() {
        let _ = writeln!(out, "cross check {}: {}\n  {:?} when {:?}{}", c.line, c.text, c.kind, c.when, qualifier(c));
    }
    let points = w.points();
    for l in w.layouts() {
        let _ = writeln!(out, "layout {:?}: {l:?} locks={}", l.written, l.locks());
    }
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
        let actual = match dsl::load_with(&name, &bytes, &overrides(&bytes), &read_data) {
            Ok(w) => {
                let warn = path.with_extension("warn");
                if !w.warnings().is_empty() || warn.exists() {
                    compare(&warn, &format!("{}\n", w.warnings()), &mut failures);
                }
                dump(&w)
            }
            Err(d) => {
                failures.push(format!("{name}: a file in ok/ must load, but:\n{d}"));
                continue;
            }
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
        let actual = match dsl::load_with(&name, &bytes, &overrides(&bytes), &read_data) {
            Ok(_) => "unexpectedly loaded without errors\n".to_string(),
            Err(d) => format!("{d}\n"),
        };
        compare(&path.with_extension("err"), &actual, &mut failures);
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    assert!(count >= 30, "expected at least 30 err files, found {count}");
}

// ---------------------------------------------------------------- robustness

/// Every diagnostic points inside the input (or just past its end) and renders.
fn assert_positions(bytes: &[u8], result: &Result<dsl::Workload, dsl::Diagnostics>) {
    let diags = match result {
        Ok(w) => {
            for p in w.points() {
                if let Err(d) = w.instantiate(&p) {
                    panic!("a point of a loaded workload failed:\n{d}");
                }
            }
            return;
        }
        Err(d) => d,
    };
    assert!(!diags.is_empty(), "an error without diagnostics");
    let _ = diags.to_string();
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.split('\n').collect();
    for d in diags {
        assert!(!d.message().is_empty());
        // The command line, or a maps file a step read: not this input.
        if d.file() == "<command line>" || d.note().is_some() {
            continue;
        }
        assert!(d.line() >= 1 && d.line() <= lines.len(), "line {} outside the input: {d}", d.line());
        let len = lines[d.line() - 1].chars().count();
        assert!(d.col() >= 1 && d.col() <= len + 1, "column {} outside line {} ({len} chars): {d}", d.col(), d.line());
    }
}

fn examples() -> Vec<Vec<u8>> {
    ["spec_gru", "spec_oom", "spec_scaling", "spec_vmalloc", "steps", "actions", "expect_forms"]
        .iter()
        .map(|n| std::fs::read(data_dir("ok").join(format!("{n}.wl"))).unwrap())
        .collect()
}

/// Applies edits `(kind, at, len, byte)`: 0 deletes, 1 duplicates, 2 overwrites a byte.
fn mutate(bytes: &mut Vec<u8>, edits: &[(u8, usize, usize, u8)]) {
    for &(kind, at, len, byte) in edits {
        if bytes.is_empty() {
            break;
        }
        let at = at % bytes.len();
        let end = (at + len).min(bytes.len());
        match kind {
            0 => {
                bytes.drain(at..end);
            }
            1 => {
                let piece: Vec<u8> = bytes[at..end].to_vec();
                bytes.splice(at..at, piece);
            }
            _ => bytes[at] = byte,
        }
    }
}

/// Pieces of the language, so that random sequences get past the first token.
const TOKENS: &[&str] = &[
    "process",
    "p",
    "x",
    "4",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\n",
    ";",
    " ",
    "mmap",
    "anon",
    "file",
    "\"f\"",
    "4K",
    "20us",
    "1.5ms",
    "$n",
    "$index",
    "register",
    "kvm",
    "of",
    "repeat",
    "fork",
    "at",
    "every",
    "until",
    "expect",
    "register.latency.max",
    "==",
    "<",
    "*",
    "+",
    "when",
    "strategy",
    "mm_lock",
    "sweep",
    "n",
    "=",
    "pow2(1..3)",
    "param",
    "driver",
    "machine",
    "cpus",
    "cost",
    "uniform(1, 2)",
    "exp(3)",
    "slope",
    "in",
    "..",
    "-1",
    "0",
    "#c",
    "size",
    "oom_kill",
    "p[1]",
    ".register",
    "\"",
    "\\",
    "65530",
    "99999999999999999999",
    "T",
    "touch",
    "exit",
];

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 512, ..Default::default() })]

    #[test]
    fn any_bytes_give_diagnostics_inside_the_input(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
        assert_positions(&bytes, &dsl::load("fuzz.wl", &bytes, &[]));
    }

    #[test]
    fn token_soup_gives_diagnostics_inside_the_input(picks in proptest::collection::vec(0..TOKENS.len(), 0..80)) {
        let text: String = picks.iter().map(|&i| TOKENS[i]).collect::<Vec<_>>().join(" ");
        assert_positions(text.as_bytes(), &dsl::load("soup.wl", text.as_bytes(), &[]));
    }

    #[test]
    fn mutated_examples_give_diagnostics_inside_the_input(
        which in 0usize..7,
        edits in proptest::collection::vec((0u8..3, proptest::num::usize::ANY, 1usize..12, proptest::num::u8::ANY), 1..6),
    ) {
        let mut bytes = examples()[which].clone();
        mutate(&mut bytes, &edits);
        assert_positions(&bytes, &dsl::load("mutant.wl", &bytes, &[]));
    }

    #[test]
    fn mutated_maps_files_give_diagnostics_inside_them(
        edits in proptest::collection::vec((0u8..3, proptest::num::usize::ANY, 1usize..12, proptest::num::u8::ANY), 1..6),
    ) {
        let mut maps = std::fs::read(data_dir("ok/maps").join("small.maps")).unwrap();
        mutate(&mut maps, &edits);
        let serve = |_: &Path| Ok(maps.clone());
        let result = dsl::load_with("m.wl", b"process p { mmap maps \"x.maps\"; exit }\n", &[], &serve);
        if let Err(d) = &result {
            let text = String::from_utf8_lossy(&maps);
            let lines: Vec<&str> = text.split('\n').collect();
            for d in d {
                let _ = d.to_string();
                if d.file() == "x.maps" {
                    assert!(d.line() >= 1 && d.line() <= lines.len(), "line {} outside the maps file: {d}", d.line());
                    let len = lines[d.line() - 1].chars().count();
                    assert!(d.col() >= 1 && d.col() <= len + 1, "column {} outside line {}: {d}", d.col(), d.line());
                }
            }
        }
    }

    #[test]
    fn overrides_never_panic(name in "[a-z$\\[= ]{0,8}", value in "[a-z0-9_.\\-\\[\\]$=\" KMGTnsu]{0,12}") {
        let bytes = std::fs::read(data_dir("ok").join("spec_oom.wl")).unwrap();
        let result = dsl::load("oom.wl", &bytes, &[(name, value)]);
        if let Err(d) = &result {
            let _ = d.to_string();
        }
    }
}

#[test]
fn nesting_twenty_thousand_deep_is_an_error_not_a_stack_overflow() {
    let n = 20_000;
    let cases = [
        format!("process p {}{}", "{ repeat 2 ".repeat(n), "}".repeat(n)),
        format!("expect {}1{} == 1", "(".repeat(n), ")".repeat(n)),
        format!("sweep x = {}1{}", "[".repeat(n), "]".repeat(n)),
        format!("process p {}", "{".repeat(n)),
        "([{".repeat(n),
        format!("expect a[{}", "(".repeat(n)),
    ];
    for text in cases {
        let result = dsl::load("deep.wl", text.as_bytes(), &[]);
        let Err(d) = &result else { panic!("deep nesting loaded") };
        assert!(d.iter().any(|d| d.message().contains("nesting deeper")), "{d}");
        assert_positions(text.as_bytes(), &result);
    }
}

#[test]
fn nesting_up_to_the_limit_parses() {
    let depth = dsl::MAX_NESTING;
    let repeats = depth - 1; // the process body is one level
    let text = format!(
        "process p {{\n{}touch 1\n{}}}\nexpect {}register.ok{} == 1\n",
        "repeat 2 {\n".repeat(repeats),
        "}\n".repeat(repeats),
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let w = dsl::load("limit.wl", text.as_bytes(), &[]).unwrap_or_else(|d| panic!("{d}"));
    let p = w.instantiate(&w.points()[0]).unwrap();
    assert_eq!(p.blocks.len(), depth);
}

#[test]
fn lowering_is_lazy() {
    let text = "process p x 100000 { repeat 1000000000 { repeat 1000000000 { touch 1 } } }\n";
    let w = dsl::load("lazy.wl", text.as_bytes(), &[]).unwrap();
    let p = w.instantiate(&w.points()[0]).unwrap();
    assert_eq!(p.processes[0].instances, 100_000);
    assert_eq!(p.blocks.iter().map(Vec::len).sum::<usize>(), 3);
}

#[test]
fn the_shipped_workloads_load() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../workloads");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "wl") {
            let bytes = std::fs::read(&path).unwrap();
            if let Err(d) = dsl::load(&path.display().to_string(), &bytes, &[]) {
                panic!("{d}");
            }
        }
    }
}

#[test]
fn points_and_names() {
    let text = "sweep a = [1, 2]\nparam k = 3\nsweep strategy = [mm_lock, unlocked]\nsweep b = [x, y]\n";
    let w = dsl::load("dir/name.wl", text.as_bytes(), &[]).unwrap();
    assert_eq!(w.name(), "name");
    assert_eq!(w.source(), "dir/name.wl");
    assert_eq!(w.seed(), 1);
    let shown: Vec<String> =
        w.points().iter().map(|p| p.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")).collect();
    assert_eq!(shown[0], "strategy=mm_lock a=1 k=3 b=x");
    assert_eq!(shown[1], "strategy=mm_lock a=1 k=3 b=y");
    assert_eq!(shown[2], "strategy=unlocked a=1 k=3 b=x");
    assert_eq!(shown[7], "strategy=unlocked a=2 k=3 b=y");
    assert_eq!(shown.len(), 8);
}

#[test]
fn too_many_points_is_an_error() {
    let text = "sweep a = pow2(0..63)\nsweep b = pow2(0..63)\nsweep c = pow2(0..63)\n";
    let d = dsl::load("big.wl", text.as_bytes(), &[]).unwrap_err();
    assert!(d.to_string().contains("more than the limit"), "{d}");
}

#[test]
fn a_maps_file_past_the_size_limit_is_refused() {
    let text = b"process p { mmap maps \"big.maps\" }\n";
    let big = |_: &Path| Ok(vec![b' '; dsl::MAX_MAPS_BYTES + 1]);
    let d = dsl::load_with("big.wl", text, &[], &big).unwrap_err();
    assert_eq!(d.iter().next().unwrap().message(), "maps file \"big.maps\" is larger than 16 MiB");
}

#[test]
fn a_maps_file_is_read_once_however_many_steps_and_points_name_it() {
    let text = b"sweep n = [1, 2, 3]\nprocess p x $n { mmap maps \"a.maps\"; mmap maps \"a.maps\" }\n";
    let reads = std::cell::Cell::new(0);
    let serve = |_: &Path| {
        reads.set(reads.get() + 1);
        Ok(b"1000-2000 rw-p 00000000 00:00 0\n".to_vec())
    };
    let w = dsl::load_with("once.wl", text, &[], &serve).unwrap();
    for p in w.points() {
        w.instantiate(&p).unwrap();
    }
    assert_eq!(reads.get(), 1);
}

#[test]
fn a_directory_is_not_a_maps_file() {
    let dir = data_dir("ok");
    let e = dsl::read_file(&dir.join("maps")).unwrap_err();
    assert_eq!(e.to_string(), "not a regular file");
}

#[test]
fn workloads_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<dsl::Workload>();
    assert_send_sync::<dsl::Diagnostics>();
}

#[test]
fn many_broken_points_report_a_few_errors_quickly() {
    let text = "sweep a = pow2(20..63)\nsweep b = pow2(20..63)\nprocess p { mmap anon $a x $b }\n";
    let d = dsl::load("many.wl", text.as_bytes(), &[]).unwrap_err();
    assert!(d.len() <= 5, "{} errors", d.len());
}
