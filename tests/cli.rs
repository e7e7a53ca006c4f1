//! The `sim` binary end to end: exit codes, determinism, sharding, resume, golden reports.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the sim binary runs")
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sim-cli-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn every_spec_example_runs_and_its_expect_lines_pass() {
    for f in ["gru", "oom", "scaling", "vmalloc"] {
        let out = sim(&["run", &format!("workloads/{f}.wl"), "-q"]);
        assert_eq!(out.status.code(), Some(0), "{f}: {}", text(&out.stderr));
        let out = sim(&["run", &format!("workloads/{f}.wl")]);
        let stdout = text(&out.stdout);
        assert!(stdout.contains("PASS") && !stdout.contains("FAIL"), "{f}:\n{stdout}");
    }
}

#[test]
fn same_seed_gives_byte_identical_json_whatever_the_jobs() {
    let a = sim(&["run", "workloads/gru.wl", "--json", "-", "-q"]);
    let b = sim(&["run", "workloads/gru.wl", "--json", "-", "-q"]);
    assert_eq!(a.status.code(), Some(0));
    assert!(!a.stdout.is_empty());
    assert_eq!(a.stdout, b.stdout, "two runs of gru.wl differ");
    let j1 = sim(&["run", "workloads/scaling.wl", "-j", "1", "--json", "-", "-q"]);
    let j2 = sim(&["run", "workloads/scaling.wl", "-j", "2", "--json", "-", "-q"]);
    let j4 = sim(&["run", "workloads/scaling.wl", "-j", "4", "--json", "-", "-q"]);
    assert_eq!(j1.stdout, j2.stdout, "-j 1 and -j 2 differ");
    assert_eq!(j1.stdout, j4.stdout, "-j 1 and -j 4 differ");
    let other = sim(&["run", "workloads/gru.wl", "--seed", "2", "--json", "-", "-q"]);
    assert_ne!(a.stdout, other.stdout, "the seed changes nothing");
}

#[test]
fn tracing_does_not_change_the_run() {
    let trace = tmp("gru.trace.json");
    let plain = sim(&["run", "workloads/gru.wl", "--json", "-", "-q"]);
    let traced = sim(&["run", "workloads/gru.wl", "--json", "-", "-q", "--trace", trace.to_str().expect("utf-8")]);
    assert_eq!(plain.stdout, traced.stdout);
    let t = std::fs::read_to_string(&trace).expect("trace written");
    assert!(t.starts_with("{\"displayTimeUnit\"") && t.contains("\"ph\":\"X\"") && t.contains("thread_name"));
}

#[test]
fn a_bad_workload_exits_2_with_a_located_error_and_nothing_on_stdout() {
    let bad = tmp("bad.wl");
    std::fs::write(&bad, "strategy mm_lok\nprocess p {\n  mmap anon 4Q\n}\n").expect("write");
    let out = sim(&["run", bad.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "stdout: {}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.contains("bad.wl:1:10: error"), "{err}");
    assert!(err.contains("did you mean 'mm_lock'"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let missing = sim(&["run", "no/such/file.wl"]);
    assert_eq!(missing.status.code(), Some(2));
    let flags = sim(&["run", "workloads/gru.wl", "-p", "nosuch=3"]);
    assert_eq!(flags.status.code(), Some(2));
    assert!(text(&flags.stderr).contains("nosuch"), "{}", text(&flags.stderr));
}

#[test]
fn a_warning_goes_to_stderr_and_the_run_goes_on() {
    let f = tmp("unread.wl");
    std::fs::write(&f, "sweep trial = [1, 2]\nprocess p { mmap anon 4K; touch 1 }\nexpect fault.retry == 0\n")
        .expect("write");
    for cmd in ["run", "check"] {
        let out = sim(&[cmd, f.to_str().expect("utf-8"), "-q"]);
        assert_eq!(out.status.code(), Some(0), "{cmd}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(err.contains("unread.wl:1:7: warning: no statement reads sweep 'trial'"), "{cmd}: {err}");
        assert!(err.contains("--seeds 2"), "{cmd}: {err}");
        assert!(!text(&out.stdout).contains("warning"), "{cmd}: warnings belong on stderr");
    }
}

#[test]
fn a_failed_expect_exits_1() {
    let f = tmp("fails.wl");
    std::fs::write(&f, "driver kvm {}\nprocess p { mmap anon 4K x 4; register kvm }\nexpect register.ok == 2\n")
        .expect("write");
    let out = sim(&["run", f.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("FAIL"));
}

#[test]
fn the_event_budget_names_the_line_that_ran_away() {
    let f = tmp("runaway.wl");
    std::fs::write(&f, "process p {\n  mmap anon 4K\n  repeat 1000000000 {\n    touch 1\n  }\n}\n").expect("write");
    let out = sim(&["run", f.to_str().expect("utf-8"), "--max-events", "100000"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("runaway.wl:4:1: error") && err.contains("budget"), "{err}");
}

#[test]
fn shards_merged_equal_the_whole_run() {
    let whole = sim(&["run", "workloads/scaling.wl", "--json", "-", "-q"]);
    let mut parts = Vec::new();
    for k in 1..=3 {
        let p = tmp(&format!("part-{k}.json"));
        let out = sim(&[
            "run",
            "workloads/scaling.wl",
            "--shard",
            &format!("{k}/3"),
            "--json",
            p.to_str().expect("utf-8"),
            "-q",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        parts.push(p);
    }
    let mut args = vec!["merge"];
    let names: Vec<String> = parts.iter().rev().map(|p| p.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let merged = sim(&args);
    assert_eq!(merged.status.code(), Some(0), "{}", text(&merged.stderr));
    assert_eq!(text(&merged.stdout), text(&whole.stdout));
    let short = sim(&["merge", names[0].as_str()]);
    assert_eq!(short.status.code(), Some(2));
}

fn update() -> bool {
    std::env::var_os("UPDATE_EXPECT").is_some()
}

/// Small workloads with fixed seeds: their JSON, fingerprints included, byte for byte.
#[test]
fn golden_reports() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/golden") {
        let wl = entry.expect("entry").path();
        if wl.extension().is_none_or(|x| x != "wl") {
            continue;
        }
        n += 1;
        let rel = format!("tests/golden/{}", wl.file_name().expect("name").to_string_lossy());
        let out = sim(&["run", &rel, "--json", "-", "-q"]);
        assert!(out.status.code() == Some(0), "{rel}: {}", text(&out.stderr));
        let want_path = wl.with_extension("json");
        if update() {
            std::fs::write(&want_path, &out.stdout).expect("write golden");
            continue;
        }
        let want = std::fs::read_to_string(&want_path).unwrap_or_default();
        let got = text(&out.stdout);
        if got != want {
            let line = got.lines().zip(want.lines()).position(|(a, b)| a != b).unwrap_or(0);
            panic!(
                "{rel} differs from {} at line {}:\n  got:  {}\n  want: {}\n(UPDATE_EXPECT=1 to accept)",
                want_path.display(),
                line + 1,
                got.lines().nth(line).unwrap_or(""),
                want.lines().nth(line).unwrap_or("")
            );
        }
    }
    assert!(n > 0);
}

/// Ctrl-C in the middle of a sweep: the points done are saved, `--resume` finishes the rest,
/// and the result is the bytes of an uninterrupted run.
#[test]
fn an_interrupted_sweep_resumes_to_the_same_bytes() {
    let whole = sim(&["run", "tests/data/sweep-slow.wl", "-j", "1", "--json", "-", "-q"]);
    assert_eq!(whole.status.code(), Some(0), "{}", text(&whole.stderr));
    let part = tmp("sweep-slow.json");
    let _ = std::fs::remove_file(&part);
    let part_s = part.to_str().expect("utf-8").to_string();
    let child = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["run", "tests/data/sweep-slow.wl", "-j", "1", "-q", "--json", &part_s])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn sim");
    std::thread::sleep(std::time::Duration::from_millis(700));
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("wait");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("--resume"), "{err}");
    let saved = std::fs::read_to_string(&part).expect("the finished points were saved");
    assert!(saved.contains("\"incomplete\""), "an interrupted report says so");
    let resumed = sim(&["run", "tests/data/sweep-slow.wl", "-j", "2", "-q", "--json", &part_s, "--resume"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed.stderr));
    let done = std::fs::read(&part).expect("resumed report");
    assert_eq!(text(&done), text(&whole.stdout), "resumed run differs from an uninterrupted one");
}

#[test]
fn until_stops_every_point_at_the_horizon_and_keeps_its_report() {
    let out = sim(&["run", "workloads/gru.wl", "--until", "2ms", "--json", "-", "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json = text(&out.stdout);
    assert!(json.contains("\"end\": \"horizon\"") && json.contains("\"sim_time_ns\": 2000000"), "{json}");
    let bad = sim(&["run", "workloads/gru.wl", "--until", "2 fortnights"]);
    assert_eq!(bad.status.code(), Some(2));
}
