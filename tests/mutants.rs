//! Mutants of every shipped workload — bytes deleted, duplicated, replaced, tokens spliced in —
//! through the checker and, when they load, through the simulator under tight limits: never a
//! panic, never a signal, never more than 1 GiB. A mutant that ever crashed is kept in
//! `tests/fuzz-regressions/` and replayed first.

use sim_core::engine::{Entity, Stream};
use sim_core::kernel::Limits;
use sim_core::sim::{self, Observe};
use std::path::{Path, PathBuf};

const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "x 65530",
    "x 0",
    "repeat 1000000000 {",
    "fork f {",
    "$vmas",
    "$index",
    "0",
    "-1",
    "18446744073709551615",
    "99999999999999999999T",
    "4K",
    "1.5us",
    "0.5ns",
    "exit",
    "register kvm",
    "unregister kvm of vm",
    "munmap all",
    "touch 100000",
    "mprotect 64",
    "uniform(0, 18446744073709551615)",
    "exp(1s)",
    "every 1ns reclaim 1000",
    "mmap maps \"maps/rustc.maps\"",
    "mmap maps $layout",
    "at 0ns oom_kill vm",
    "vmalloc_hog 1T",
    "\"",
    "\\",
    "#",
    ";",
    "\n",
    "sweep x = pow2(0..63)",
    "when strategy == unlocked",
    "slope(register.latency.mean, vmas) in 0..1",
    "\u{0}",
    "\u{ff}",
    "é",
];

fn sources() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["workloads", "workloads/claims", "tests/golden", "tests/data"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .expect("folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "wl"))
            .collect();
        files.sort();
        for f in files {
            out.push((f.display().to_string(), std::fs::read(&f).expect("read")));
        }
    }
    out
}

fn mutate(src: &[u8], rng: &mut Stream) -> Vec<u8> {
    let mut v = src.to_vec();
    for _ in 0..1 + rng.below(3) {
        let len = v.len() as u64;
        let at = if len == 0 { 0 } else { rng.below(len) as usize };
        let span = (1 + rng.below(16)) as usize;
        let end = (at + span).min(v.len());
        match rng.below(4) {
            0 => {
                v.drain(at..end);
            }
            1 => {
                let piece = v[at..end].to_vec();
                v.splice(at..at, piece);
            }
            2 => {
                for b in &mut v[at..end] {
                    *b = rng.below(256) as u8;
                }
            }
            _ => {
                let t = TOKENS[rng.below(TOKENS.len() as u64) as usize];
                v.splice(at..at, t.bytes());
            }
        }
    }
    v
}

/// Loads and runs a workload under tight limits; a panic is the only failure. True if it loaded.
fn exercise(name: &str, bytes: &[u8]) -> bool {
    let Ok(w) = dsl::load(name, bytes, &[]) else { return false };
    let limits = Limits {
        max_events: 20_000,
        until_ns: Some(50_000_000),
        max_live_vmas: 100_000,
        max_vmas_created: 200_000,
        max_tasks: 2_000,
    };
    for params in w.points().into_iter().take(3) {
        let Ok(program) = w.instantiate(&params) else { continue };
        let _ = sim::run(&program, params, w.seed(), limits, Observe::default(), &mut |_, _| true);
    }
    true
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn kept_regressions_still_load_or_fail_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    for entry in std::fs::read_dir(dir).expect("folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|x| x == "wl") {
            let _ = exercise(&path.display().to_string(), &std::fs::read(&path).expect("read"));
        }
    }
}

#[test]
fn ten_thousand_mutants_never_panic_and_stay_small() {
    let sources = sources();
    let total: u64 = std::env::var("SIM_MUTANTS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let mut rng = Stream::new(0x6d75_7461_6e74, Entity::new(1, 2, 3));
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut crashed = Vec::new();
    let mut loaded = 0u64;
    for i in 0..total {
        let (name, src) = &sources[(i % sources.len() as u64) as usize];
        let m = mutate(src, &mut rng);
        match std::panic::catch_unwind(|| exercise(name, &m)) {
            Ok(ran) => loaded += u64::from(ran),
            Err(_) => {
                let keep = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fuzz-regressions/mutant-{i}.wl"));
                let _ = std::fs::write(&keep, &m);
                crashed.push(keep.display().to_string());
            }
        }
    }
    std::panic::set_hook(hook);
    // The mutants must reach the simulator, not only the parser.
    assert!(loaded * 10 >= total, "only {loaded} of {total} mutants loaded");
    assert!(crashed.is_empty(), "{} mutants panicked, kept as: {crashed:?}", crashed.len());
    let peak = peak_rss_kib();
    assert!(peak < 1024 * 1024, "peak memory {peak} KiB");
}
