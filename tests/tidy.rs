//! House rules that a reviewer would otherwise check by hand.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "target" || n == "book") {
                continue;
            }
            files(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

#[test]
fn every_rust_file_says_what_it_owns() {
    let mut rs = Vec::new();
    for d in ["src", "tests", "sim-core", "dsl", "plots", "calibrate"] {
        files(&root().join(d), "rs", &mut rs);
    }
    assert!(rs.len() > 30);
    for f in rs {
        let text = std::fs::read_to_string(&f).expect("read");
        assert!(text.starts_with("//!"), "{} does not start with a //! line", f.display());
    }
}

#[test]
fn sim_core_depends_only_on_what_it_may() {
    let manifest = std::fs::read_to_string(root().join("sim-core/Cargo.toml")).expect("manifest");
    let deps = manifest.split("[dependencies]").nth(1).expect("dependencies").split("\n[").next().unwrap_or("");
    let allowed = ["serde", "rand_chacha", "rand_core", "libm"];
    for line in deps.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let name = line.split(['=', '.', ' ']).next().unwrap_or("");
        assert!(
            allowed.contains(&name),
            "sim-core may not depend on {name}: it knows nothing of text, files or terminals"
        );
    }
}

#[test]
fn every_shipped_workload_checks_clean() {
    let mut wl = Vec::new();
    files(&root().join("workloads"), "wl", &mut wl);
    assert!(wl.len() >= 18);
    for f in wl {
        let bytes = std::fs::read(&f).expect("read");
        match dsl::load(&f.display().to_string(), &bytes, &[]) {
            Err(d) => panic!("{}:\n{d}", f.display()),
            Ok(w) => assert!(w.warnings().is_empty(), "{}:\n{}", f.display(), w.warnings()),
        }
    }
}

/// Floors one way inside sim-core: the engine names nothing of the kernel, the kernel nothing of
/// the strategies.
#[test]
fn sim_core_floors_point_one_way() {
    for (dir, banned) in [
        ("sim-core/src/engine", &["crate::kernel", "crate::strategy"][..]),
        ("sim-core/src/kernel", &["crate::strategy", "super::super::strategy"][..]),
    ] {
        let mut rs = Vec::new();
        files(&root().join(dir), "rs", &mut rs);
        for f in rs {
            let text = std::fs::read_to_string(&f).expect("read");
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for b in banned {
                    assert!(!code.contains(b), "{}:{}: {dir} must not use {b}: {line}", f.display(), n + 1);
                }
            }
        }
    }
}
