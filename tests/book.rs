//! The book cannot drift: its `wl` blocks load (and the short ones run), every claim page shows a
//! chart and the verdict the model gives today, and every cost and metric is documented.

use sim_core::kernel::Limits;
use sim_core::sim::{self, Observe};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pages() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root().join("book/src")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("book folder") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "md") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Expands mdBook's `{{#include PATH}}` and `{{#include PATH:FROM:TO}}` (1-based lines).
fn expand(text: &str, dir: &Path) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim();
        if let Some(spec) = t.strip_prefix("{{#include ").and_then(|s| s.strip_suffix("}}")) {
            let mut parts = spec.split(':');
            let path = dir.join(parts.next().unwrap_or_default());
            let body = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let from: usize = parts.next().and_then(|s| s.parse().ok()).unwrap_or(1);
            let to: Option<usize> = parts.next().and_then(|s| s.parse().ok());
            for (i, l) in body.lines().enumerate() {
                let n = i + 1;
                if n >= from && to.is_none_or(|to| n <= to) {
                    out.push_str(l);
                    out.push('\n');
                }
            }
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The page's `wl` blocks, included files expanded. A block that is one whole included file
/// comes with that file's path, so that what it reads (`mmap maps`) is found beside it.
fn wl_blocks(page: &Path) -> Vec<(Option<PathBuf>, String)> {
    let dir = page.parent().expect("dir");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in std::fs::read_to_string(page).expect("page").lines() {
        match &mut current {
            None if line.trim_start().starts_with("```wl") => current = Some(String::new()),
            Some(b) if line.trim_start().starts_with("```") => {
                let whole = b.trim().strip_prefix("{{#include ").and_then(|s| s.strip_suffix("}}"));
                let file = whole.filter(|s| !s.contains(':') && !s.contains('\n')).map(|s| dir.join(s));
                blocks.push((file, expand(&std::mem::take(b), dir)));
                current = None;
            }
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
            None => {}
        }
    }
    blocks
}

#[test]
fn every_wl_block_checks_and_the_short_ones_run() {
    let mut blocks = 0;
    let mut ran = 0;
    for page in pages() {
        for (i, (file, b)) in wl_blocks(&page).iter().enumerate() {
            blocks += 1;
            let name = match file {
                Some(f) => f.display().to_string(),
                None => format!("{}#{}", page.display(), i + 1),
            };
            let w = dsl::load(&name, b.as_bytes(), &[]).unwrap_or_else(|d| panic!("{name}:\n{d}\n{b}"));
            let points = w.points();
            // Claim pages include the claim workloads, which the verdict test runs in full.
            let claim_page = page.components().any(|c| c.as_os_str() == "claims");
            if claim_page || points.len() > 4 || b.lines().count() > 40 {
                continue;
            }
            let limits = Limits { max_events: 5_000_000, ..Limits::default() };
            for params in points {
                let program = w.instantiate(&params).expect("instantiates");
                let run = sim::run(&program, params, w.seed(), limits, Observe::default(), &mut |_, _| true);
                assert!(run.is_ok(), "{name} does not run: {:?}", run.err());
            }
            ran += 1;
        }
    }
    assert!(blocks >= 10, "{blocks} wl blocks in the book");
    assert!(ran >= 5, "only {ran} runnable snippets");
}

#[test]
fn every_claim_has_a_page_with_a_chart_and_todays_verdict() {
    let claims = root().join("workloads/claims");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&claims)
        .expect("claims")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wl"))
        .collect();
    files.sort();
    let summary = std::fs::read_to_string(root().join("book/src/SUMMARY.md")).expect("summary");
    for wl in files {
        let name = wl.file_stem().expect("stem").to_string_lossy().into_owned();
        let dir = root().join("book/src/claims").join(&name);
        assert!(summary.contains(&format!("claims/{name}.md")), "{name} has no page in SUMMARY.md");
        let page = std::fs::read_to_string(root().join(format!("book/src/claims/{name}.md"))).expect("page");
        assert!(page.contains(&format!("{{{{#include {name}/charts.md}}}}")), "{name}'s page shows no charts");
        let charts = std::fs::read_to_string(dir.join("charts.md")).expect("charts.md (run book/generate.sh)");
        let images: Vec<&str> = charts.lines().filter_map(|l| l.split("](").nth(1)?.strip_suffix(')')).collect();
        assert!(!images.is_empty(), "{name} has no chart (run book/generate.sh)");
        for img in images {
            assert!(root().join("book/src/claims").join(img).exists(), "{name}: {img} is missing");
        }
        let out = Command::new(env!("CARGO_BIN_EXE_sim"))
            .args(["check", &format!("workloads/claims/{name}.wl"), "--seeds", "20", "-q"])
            .current_dir(root())
            .output()
            .expect("sim check");
        let verdict = std::fs::read_to_string(dir.join("verdict.txt")).expect("verdict.txt");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            verdict,
            "{name}: the book's verdict is stale; run book/generate.sh"
        );
    }
}

#[test]
fn the_exploration_the_book_shows_is_todays() {
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["explore", "workloads/explore/abba.wl", "-q"])
        .current_dir(root())
        .output()
        .expect("sim runs");
    let shown = std::fs::read_to_string(root().join("book/src/explore/abba.txt")).expect("abba.txt");
    assert_eq!(String::from_utf8_lossy(&out.stdout), shown, "run book/generate.sh");
}

#[test]
fn every_cost_and_metric_is_documented() {
    let model = std::fs::read_to_string(root().join("book/src/model.md")).expect("model chapter");
    for c in sim_core::cost::COSTS {
        assert!(model.contains(&format!("`{}`", c.name)), "cost {} is not in the model chapter", c.name);
    }
    let metrics = std::fs::read_to_string(root().join("book/src/metrics.md")).expect("metrics chapter");
    for m in sim_core::metrics::METRICS {
        assert!(metrics.contains(&format!("`{}`", m.name)), "metric {} is not in the metrics chapter", m.name);
    }
}

/// The lockdep page's reports are what the runs print today: the same commands as
/// book/generate.sh, lockdep's output cut from its first warning on as the script cuts it.
#[test]
fn the_lockdep_pages_reports_are_current() {
    let page = std::fs::read_to_string(root().join("book/src/lockdep.md")).expect("lockdep page");
    let summary = std::fs::read_to_string(root().join("book/src/SUMMARY.md")).expect("summary");
    assert!(summary.contains("- [Metrics](metrics.md)\n- [Reading lockdep and lock_stat output](lockdep.md)\n"));
    let cases: [(&str, &[&str], bool); 3] = [
        (
            "order-inversion.txt",
            &["run", "workloads/claims/09-order-inversion.wl", "-p", "strategy=mm_lock", "-p", "gap=100ms"],
            true,
        ),
        (
            "v13-mm_lock.txt",
            &["run", "workloads/claims/12-preempt-lockdep.wl", "-p", "strategy=mm_lock", "-p", "vmas=200"],
            true,
        ),
        ("gru-lock-stat.txt", &["run", "workloads/gru.wl", "--lock-stat", "-q"], false),
    ];
    for (file, args, cut) in cases {
        assert!(page.contains(&format!("{{{{#include lockdep/{file}}}}}")), "the page does not include {file}");
        let out = Command::new(env!("CARGO_BIN_EXE_sim")).args(args).current_dir(root()).output().expect("sim run");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let want = if cut {
            let from = stdout
                .lines()
                .position(|l| l.starts_with("=====") || l.starts_with("BUG: "))
                .unwrap_or_else(|| panic!("{file}: the run printed no lockdep warning:\n{stdout}"));
            stdout.lines().skip(from).map(|l| format!("{l}\n")).collect::<String>()
        } else {
            stdout
        };
        let have = std::fs::read_to_string(root().join("book/src/lockdep").join(file)).expect("run book/generate.sh");
        assert_eq!(have, want, "book/src/lockdep/{file} is stale; run book/generate.sh");
    }
    let v13 = std::fs::read_to_string(root().join("book/src/lockdep/v13-mm_lock.txt")).expect("v13");
    assert!(v13.contains("possible recursive locking detected") && v13.contains("BUG: MAX_LOCK_DEPTH too low!"));
}
