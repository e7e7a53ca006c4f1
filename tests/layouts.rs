//! Real layouts end to end: the shipped maps files against counts made here from their text,
//! through the lowered program and a run's `mm_lock.locks`; `sim run workloads/real-layout.wl`;
//! `sim maps`.

use sim_core::program::StepKind;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim")).args(args).current_dir(root()).output().expect("the sim binary runs")
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sim-layout-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// What a maps text should become, counted without the loader's code: whitespace-split
/// fields, the pathname the rest of the line.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    vmas: u64,
    anonymous: u64,
    file_vmas: u64,
    files: u64,
    anon_vmas: u64,
    pages: u64,
    skipped: u64,
}

fn count(text: &str) -> Counts {
    let mut c = Counts::default();
    let mut files = BTreeSet::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let path = f[5..].join(" ");
        let anonymous = path.is_empty() || path == "[heap]" || path.starts_with("[stack") || path.starts_with("[anon:");
        if !anonymous && path.starts_with('[') {
            c.skipped += 1;
            continue;
        }
        let (a, b) = f[0].split_once('-').expect("a range");
        let bytes = u64::from_str_radix(b, 16).expect("hex") - u64::from_str_radix(a, 16).expect("hex");
        c.vmas += 1;
        c.pages += bytes / 4096;
        let perms = f[1].as_bytes();
        if anonymous {
            c.anonymous += 1;
            c.anon_vmas += 1;
        } else {
            c.file_vmas += 1;
            // One address_space per device and inode.
            files.insert(if f[4] == "0" { path } else { format!("{} {}", f[3], f[4]) });
            if perms[1] == b'w' && perms[3] == b'p' {
                c.anon_vmas += 1;
            }
        }
    }
    c.files = files.len() as u64;
    c
}

fn shipped() -> Vec<PathBuf> {
    let mut maps: Vec<PathBuf> = std::fs::read_dir(root().join("workloads/maps"))
        .expect("workloads/maps")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "maps"))
        .collect();
    maps.sort();
    maps
}

/// A workload that maps one layout and registers once under mm_lock.
fn register_on(maps: &Path) -> String {
    format!(
        "strategy mm_lock\ndriver kvm {{}}\nprocess p {{\n  mmap maps {:?}\n  register kvm\n  exit\n}}\n",
        maps.display()
    )
}

#[test]
fn shipped_layouts_lower_and_lock_as_their_text_says() {
    let maps = shipped();
    assert!(maps.len() >= 3, "{} layouts in workloads/maps", maps.len());
    for m in maps {
        let text = std::fs::read_to_string(&m).expect("maps file");
        let want = count(&text);
        assert!(want.vmas > 50 && want.files > 5 && want.skipped >= 3, "{}: {want:?}", m.display());
        let wl = tmp(&format!("{}.wl", m.file_stem().expect("stem").to_string_lossy()));
        std::fs::write(&wl, register_on(&m)).expect("write");
        let w = dsl::load(&wl.display().to_string(), register_on(&m).as_bytes(), &[]).unwrap_or_else(|d| panic!("{d}"));

        let l = &w.layouts()[0];
        let got = Counts {
            vmas: l.vmas,
            anonymous: l.anonymous,
            file_vmas: l.file_vmas,
            files: l.files,
            anon_vmas: l.anon_vmas,
            pages: l.pages,
            skipped: l.skipped.iter().map(|(_, n)| u64::from(*n)).sum(),
        };
        assert_eq!(got, want, "{}: the loader's summary", m.display());

        // The program: one VMA per line, the files it names, the anon_vmas they imply.
        let program = w.instantiate(&w.points()[0]).expect("instantiates");
        let (mut vmas, mut anon_vmas, mut pages) = (0, 0, 0);
        let mut files = BTreeSet::new();
        for step in &program.blocks[0] {
            match &step.kind {
                StepKind::MmapAnon { size, count } => {
                    let (size, n) = (konst(size), konst(count));
                    vmas += n;
                    anon_vmas += n;
                    pages += n * size / 4096;
                }
                StepKind::MmapFile { file, size, count, shared } => {
                    let (size, n) = (konst(size.as_ref().expect("a size")), konst(count));
                    vmas += n;
                    anon_vmas += if *shared { 0 } else { n };
                    pages += n * size / 4096;
                    files.insert(*file);
                }
                _ => {}
            }
        }
        assert_eq!((vmas, files.len() as u64, anon_vmas, pages), (want.vmas, want.files, want.anon_vmas, want.pages));
        assert_eq!(program.files.len() as u64, want.files);

        // The run: one mm_lock takes every distinct rmap lock once.
        let out = sim(&["run", wl.to_str().expect("utf-8"), "--json", "-", "-q"]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let locks = &report["points"][0]["metrics"]["mm_lock.locks"];
        assert_eq!(locks["max"].as_u64(), Some(want.files + want.anon_vmas), "{}: {locks}", m.display());
        assert_eq!(locks["count"].as_u64(), Some(1));
    }
}

fn konst(v: &sim_core::program::Value) -> u64 {
    match v {
        sim_core::program::Value::Const(n) => *n,
        other => panic!("a maps step draws {other:?}"),
    }
}

#[test]
fn real_layout_runs_every_layout_under_every_strategy() {
    let out = sim(&["run", "workloads/real-layout.wl", "--json", "-", "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut seen = BTreeSet::new();
    for p in report["points"].as_array().expect("points") {
        seen.insert((p["params"]["layout"].to_string(), p["params"]["strategy"].to_string()));
    }
    assert_eq!(seen.len(), shipped().len() * 5, "{seen:?}");
    let summary = sim(&["run", "workloads/real-layout.wl"]);
    let text = String::from_utf8_lossy(&summary.stdout);
    assert!(text.contains("layout workloads/maps/qemu-kvm.maps: ") && !text.contains("FAIL"), "{text}");
}

#[test]
fn sim_maps_prints_a_layout_that_loads() {
    let out = sim(&["maps", "self"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let maps = tmp("self.maps");
    std::fs::write(&maps, &out.stdout).expect("write");
    let w = dsl::load("self.wl", register_on(&maps).as_bytes(), &[]).unwrap_or_else(|d| panic!("{d}"));
    assert!(w.layouts()[0].vmas > 10);

    let gone = sim(&["maps", "999999999"]);
    assert_eq!(gone.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&gone.stderr), "error: no process with PID 999999999\n");
    let bad = sim(&["maps", "qemu"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn every_malformed_maps_file_of_the_dsl_corpus_exits_2_with_its_diagnostic() {
    let dir = root().join("dsl/tests/data/err");
    let mut checked = 0;
    for e in std::fs::read_dir(&dir).expect("err corpus") {
        let wl = e.expect("entry").path();
        let name = wl.file_name().expect("name").to_string_lossy().into_owned();
        if !(name.starts_with("maps_") && name.ends_with(".wl")) {
            continue;
        }
        let twin = std::fs::read_to_string(wl.with_extension("err")).expect("twin");
        // The corpus loads the files as `err/NAME`; the binary is given their path from here.
        let want = twin.replace("err/", "dsl/tests/data/err/");
        let out = sim(&["run", &format!("dsl/tests/data/err/{name}")]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert_eq!(stderr, want, "{name}");
        if twin.starts_with("err/maps/") {
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} malformed maps files");
}
