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
fn a_loop_that_takes_no_time_runs_into_the_budget() {
    for (name, body) in [("empty.wl", "repeat 1000000000000 { }"), ("zero.wl", "repeat 1000000000000 { compute 0ns }")]
    {
        let f = tmp(name);
        std::fs::write(&f, format!("process p {{\n  mmap anon 4K\n  {body}\n}}\n")).expect("write");
        let out = sim(&["run", f.to_str().expect("utf-8"), "--max-events", "1000", "-q"]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = text(&out.stderr);
        assert!(err.contains(&format!("{name}:3:1: error")) && err.contains("without simulated time passing"), "{err}");
    }
}

#[test]
fn a_cost_times_a_count_past_64_bits_is_an_error_not_a_wrap() {
    for cost in
        ["lock_compare 18446744073709551615ns", "lock_compare 17446744073709551615ns", "syscall 18446744073709551615ns"]
    {
        let f = tmp("overflow.wl");
        std::fs::write(
            &f,
            format!(
                "machine {{ cost {cost} }}\ndriver kvm {{}}\nprocess p {{\n  mmap anon 4K x 50\n  register kvm\n}}\n"
            ),
        )
        .expect("write");
        let out = sim(&["run", f.to_str().expect("utf-8"), "-q"]);
        assert_eq!(out.status.code(), Some(2), "{cost}");
        assert!(text(&out.stderr).contains("simulated time would pass 2^64 ns"), "{cost}: {}", text(&out.stderr));
    }
}

#[test]
fn a_count_drawn_from_exp_is_never_0() {
    let f = tmp("exp-count.wl");
    std::fs::write(&f, "process p x 200 {\n  mmap anon 4K x exp(1)\n  touch 1\n}\n").expect("write");
    let json = text(&sim(&["run", f.to_str().expect("utf-8"), "--json", "-", "-q"]).stdout);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    // exp(1) rounds to 0 about 39% of the time: every instance maps a VMA all the same.
    assert_eq!(v["points"][0]["metrics"]["steps.noop"], 0, "{json}");
}

#[test]
fn shards_run_with_other_settings_do_not_merge() {
    let (a, b) = (tmp("set-a.json"), tmp("set-b.json"));
    let run = |shard: &str, out: &std::path::Path, extra: &[&str]| {
        let mut args =
            vec!["run", "workloads/scaling.wl", "-q", "--shard", shard, "--json", out.to_str().expect("utf-8")];
        args.extend_from_slice(extra);
        assert_eq!(sim(&args).status.code(), Some(0));
    };
    run("1/2", &a, &[]);
    for extra in [&["--seed", "99"][..], &["--until", "1ms"], &["--no-lockdep"], &["-p", "vmas=16"]] {
        run("2/2", &b, extra);
        let out = sim(&["merge", a.to_str().expect("utf-8"), b.to_str().expect("utf-8")]);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert!(text(&out.stderr).contains("is not a shard of the same run"), "{extra:?}");
    }
}

/// Writing a report to a device writes into it: the atomic write's rename would put a regular
/// file in place of `/dev/null` (as root), and every later reader of it would read the report.
#[test]
fn a_report_written_to_dev_null_leaves_it_a_device() {
    use std::os::unix::fs::FileTypeExt;
    let out = sim(&["run", "workloads/scaling.wl", "-q", "--json", "/dev/null", "--csv", "/dev/null"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let kind = std::fs::metadata("/dev/null").expect("/dev/null").file_type();
    assert!(kind.is_char_device(), "/dev/null is no longer a device");
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

/// `sim ARGS` sent SIGINT after `after_ms`; fails if it has not exited a minute later.
fn interrupted(args: &[&str], after_ms: u64) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn sim");
    std::thread::sleep(std::time::Duration::from_millis(after_ms));
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let sent = std::time::Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        if sent.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{args:?} went on for a minute after Ctrl-C");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("wait")
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
    let out = interrupted(&["run", "tests/data/sweep-slow.wl", "-j", "1", "-q", "--json", &part_s], 700);
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

/// Ctrl-C in a loop of zero-time steps under a budget too large to reach: the run stops at
/// once, as it does between events, rather than when the budget runs out.
#[test]
fn ctrl_c_stops_a_loop_that_takes_no_simulated_time() {
    let wl = tmp("idle-loop.wl");
    std::fs::write(&wl, "workload \"idle\"\nprocess p {\n  repeat 1000000000000 { compute 0ns }\n  exit\n}\n")
        .expect("write");
    let json = tmp("idle-loop.json");
    let args = ["run", wl.to_str().expect("utf-8"), "-q", "--max-events", "1000000000000"];
    // 10^12 steps take far longer than the minute `interrupted` allows: the exit is the stop.
    let out = interrupted(&[&args[..], &["--json", json.to_str().expect("utf-8")]].concat(), 500);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("0 of 1 points done"), "{err}");
}

/// A cost of 2^64-1 ns, whichever it is, either stops the run with the 2^64 error or makes it
/// take at least as long as the defaults do: never a sum that wraps to a shorter run.
#[test]
fn every_cost_at_its_largest_errs_or_runs_longer() {
    let time = |out: &Output| -> u64 {
        let json = text(&out.stdout);
        let at = json.find("\"sim_time_ns\": ").expect("sim_time_ns") + 15;
        json[at..].split(|c: char| !c.is_ascii_digit()).next().and_then(|n| n.parse().ok()).expect("a number")
    };
    for s in ["s=mm_lock", "s=mm_lock_slow", "s=mm_take_all_locks", "s=unsorted"] {
        let base = sim(&["run", "tests/data/every-cost.wl", "--json", "-", "-q", "-p", s]);
        assert_eq!(base.status.code(), Some(0), "{}", text(&base.stderr));
        let base_ns = time(&base);
        for info in sim_core::cost::COSTS {
            let p = format!("cost.{}=18446744073709551615ns", info.name);
            let out = sim(&["run", "tests/data/every-cost.wl", "--json", "-", "-q", "-p", s, "-p", &p]);
            match out.status.code() {
                Some(0) => assert!(time(&out) >= base_ns, "{s} {p}: {} ns against {base_ns} ns", time(&out)),
                Some(2) => assert!(text(&out.stderr).contains("2^64 ns"), "{s} {p}: {}", text(&out.stderr)),
                c => panic!("{s} {p}: exit {c:?}: {}", text(&out.stderr)),
            }
        }
    }
}

/// Inputs past sim's host limits fail at once with exit 2: an endless workload file, a folder,
/// more instances than a run may have tasks, a fork loop past the task limit.
#[test]
fn inputs_past_the_host_limits_fail_at_once() {
    let forks = tmp("fork-loop.wl");
    std::fs::write(&forks, "process p {\n  repeat 100000000 {\n    fork { sleep 1s }\n  }\n}\n").expect("write");
    let many = tmp("many.wl");
    std::fs::write(&many, "process p x 300000 { exit }\n").expect("write");
    let (forks, many) = (forks.to_str().expect("utf-8"), many.to_str().expect("utf-8"));
    for (args, says) in [
        (vec!["run", "/dev/zero"], "/dev/zero is larger than 4 MiB"),
        (vec!["check", "/dev/zero"], "/dev/zero is larger than 4 MiB"),
        (vec!["run", "workloads"], "it is a folder, not a workload file"),
        (vec!["run", many], ":1:13: error: the number of instances must be at most 200000, found 300000"),
        (vec!["run", forks], ":3:1: error: more than 200000 tasks"),
    ] {
        let out = sim(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
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

/// A step that finds nothing to act on is counted and named: here a register of a fork child
/// that does not exist yet, a touch after `munmap all`, an OOM kill of a child that has exited.
const NOOPS: &str = "driver kvm {}
process qemu {
  mmap anon 4K x 8
  register kvm of vcpu
  fork vcpu { mmap anon 4K; sleep 1ms }
  sleep 2ms
  munmap all
  touch 4
  register kvm
  sleep 2ms
}
at 3ms oom_kill vcpu
";

#[test]
fn steps_that_find_nothing_to_act_on_are_counted_and_warned_with_their_line() {
    let f = tmp("noops.wl");
    std::fs::write(&f, NOOPS).expect("write");
    let path = f.to_str().expect("utf-8");
    let out = sim(&["run", path]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let warning = format!("warning: {path}:4: register found no live instance of its target");
    assert!(stdout.contains(&warning), "{stdout}");
    assert!(stdout.contains("    4 | register kvm of vcpu"), "{stdout}");
    assert!(stdout.contains(&format!("warning: {path}:8: touch found no VMA")), "{stdout}");
    assert!(stdout.contains(&format!("warning: {path}:12: oom_kill found no live instance")), "{stdout}");
    // The register of line 9 acts (on its own mm): no warning names it.
    assert!(!stdout.contains(&format!("{path}:9:")), "{stdout}");
    let json = text(&sim(&["run", path, "--json", "-", "-q"]).stdout);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let p = &v["points"][0];
    assert_eq!(p["metrics"]["steps.noop"], 3, "{p}");
    assert_eq!(p["metrics"]["register.ok"], 1);
    let noops = p["noops"].as_array().expect("noops");
    assert_eq!(noops[0]["line"], 4);
    assert_eq!(noops[0]["kind"], "register_no_target");
    assert_eq!(noops[0]["count"], 1);
    assert!(noops[0]["first_time_ns"].as_u64().is_some_and(|t| t < 1_000_000), "{noops:?}");
    // --strict makes them errors, still naming the lines.
    let strict = sim(&["run", path, "--strict"]);
    assert_eq!(strict.status.code(), Some(2));
    let err = text(&strict.stderr);
    assert!(err.contains(&format!("error: {path}:4: register found no live instance")), "{err}");
    assert!(err.contains("--strict: 3 steps or actions found nothing to act on, at 3 lines"), "{err}");
    // A workload whose every step acts passes --strict.
    assert_eq!(sim(&["run", "workloads/scaling.wl", "--strict", "-q"]).status.code(), Some(0));
}

#[test]
fn check_rows_print_figures_in_their_units_aligned() {
    let f = tmp("units.wl");
    std::fs::write(
        &f,
        "driver kvm {}\nprocess p { mmap anon 4K x 64; register kvm }\nexpect register.latency.max < 1s\nexpect vmalloc.peak < 1G\nexpect register.ok == 1\n",
    )
    .expect("write");
    let out = sim(&["check", f.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows: Vec<String> = text(&out.stdout).lines().take(3).map(str::to_string).collect();
    assert!(rows[0].contains(" us vs 1 s  "), "{rows:?}");
    assert!(rows[1].contains(" KiB vs 1 GiB  "), "{rows:?}");
    assert!(rows[2].contains("1 vs 1  "), "{rows:?}");
    // The file column starts at the same place in every row, however long the figures.
    let at: Vec<usize> = rows.iter().map(|r| r.find("units.wl:").expect("file")).collect();
    assert!(at.windows(2).all(|w| w[0] == w[1]), "{rows:?}");
    // Slopes carry their interval.
    let out = sim(&["run", "workloads/scaling.wl"]);
    assert!(text(&out.stdout).contains("->  1.9403 ± 0.0339"), "{}", text(&out.stdout));
}

#[test]
fn an_empty_histogram_is_a_dash_in_the_table() {
    let f = tmp("empty.wl");
    std::fs::write(
        &f,
        "sweep mode = [reg, none]\ndriver kvm {}\nprocess p when mode == reg { mmap anon 4K; register kvm }\nprocess q when mode == none { mmap anon 4K }\n",
    )
    .expect("write");
    let out = text(&sim(&["run", f.to_str().expect("utf-8")]).stdout);
    // register.latency.mean and mm_lock.hold.max have no sample at mode=none.
    let none = out.lines().find(|l| l.contains(" none ")).expect("a row for mode=none");
    assert_eq!(none.matches('–').count(), 2, "{out}");
    assert!(!none.contains(" ns"), "{out}");
}

#[test]
fn a_2000_point_sweep_summary_fits_a_screen_and_the_json_keeps_every_point() {
    let out = sim(&["run", "tests/data/sweep-2000.wl"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    // The table, then lockdep's one warning (v13's unannotated nesting, at 1950 points), once.
    let (summary, lockdep) = stdout.split_at(stdout.find("\n=====").expect("lockdep's warning"));
    assert!(summary.lines().count() <= 45, "{} lines:\n{summary}", summary.lines().count());
    assert!(
        lockdep.contains("seen at 1950 of 2000 points: ") && lockdep.contains("and 1946 more sets of parameters\n")
    );
    assert!(lockdep.lines().count() <= 30, "{lockdep}");
    assert!(summary.contains("1960 of 2000 points not shown"), "{summary}");
    // The first and the last point are among the rows.
    assert!(summary.contains("\n   mm_lock     1      1     1 "), "{summary}");
    assert!(summary.contains("\n   mm_lock    40     50     1 "), "{summary}");
    let all = text(&sim(&["run", "tests/data/sweep-2000.wl", "--all"]).stdout);
    assert!(all.lines().count() > 2000 && !all.contains("not shown"));
    let json = text(&sim(&["run", "tests/data/sweep-2000.wl", "--json", "-", "-q"]).stdout);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["points"].as_array().map(Vec::len), Some(2000));
}

/// The verdict's ratio, recomputed from the JSON of the same run.
#[test]
fn the_verdict_names_the_fastest_register_with_its_ratios() {
    let out = text(&sim(&["run", "workloads/scaling.wl"]).stdout);
    assert!(out.contains("verdict at vmas=16384 (the largest):"), "{out}");
    let line = out.lines().find(|l| l.starts_with("  register.latency.mean:")).expect("verdict line");
    assert!(line.starts_with("  register.latency.mean: mm_take_all_locks fastest ("), "{line}");
    let json = text(&sim(&["run", "workloads/scaling.wl", "--json", "-", "-q"]).stdout);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let mean = |strategy: &str| {
        v["points"]
            .as_array()
            .expect("points")
            .iter()
            .find(|p| p["params"]["strategy"] == strategy && p["params"]["vmas"] == 16384)
            .and_then(|p| p["metrics"]["register.latency"]["mean"].as_f64())
            .expect("a point at vmas=16384")
    };
    let best = mean("mm_take_all_locks");
    let r = mean("mm_lock") / best;
    assert!(line.contains(&format!("mm_lock {r:.2}x slower")), "{line} (ratio {r})");
    let slow = (mean("mm_lock_slow") / best).round() as u64;
    let grouped = format!("{},{:03}", slow / 1000, slow % 1000);
    assert!(line.contains(&format!("mm_lock_slow {grouped}x slower")), "{line} (ratio {slow})");
    // A gloss where a figure needs one, and none for a single strategy.
    assert!(out.contains("    note: v13's mm_lock vmallocs two arrays"), "{out}");
    let one = text(&sim(&["run", "workloads/scaling.wl", "-p", "strategy=mm_lock"]).stdout);
    assert!(!one.contains("verdict"), "{one}");
}

#[test]
fn seeds_give_intervals_in_the_summary_json_csv_and_charts_the_same_whatever_the_jobs() {
    let dir = tmp("seeds-plots");
    let _ = std::fs::remove_dir_all(&dir);
    let csv = tmp("seeds.csv");
    let out = sim(&[
        "run",
        "workloads/scaling.wl",
        "--seeds",
        "10",
        "--plots",
        dir.to_str().expect("utf-8"),
        "--csv",
        csv.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(summary.contains("mean over 10 seeds ± half-width of its 95% confidence interval (Student t"), "{summary}");
    assert!(summary.contains(" ± "), "{summary}");
    let svg = std::fs::read_to_string(dir.join("scaling-register.latency-vs-vmas.svg")).expect("chart");
    assert!(svg.contains("bars: 95% confidence intervals") && svg.contains(" ± "), "no intervals on the chart");
    let csv = std::fs::read_to_string(&csv).expect("csv");
    assert!(csv.starts_with("index,seed,strategy,vmas,metric,field,value,unit,n,mean,stddev,ci_low,ci_high\n"));
    assert!(csv.lines().any(|l| l.starts_with(",,mm_lock,16,register.latency,mean,,ns,10,")), "no statistics rows");
    let j1 = sim(&["run", "workloads/scaling.wl", "--seeds", "3", "-j", "1", "--json", "-", "-q"]);
    let j2 = sim(&["run", "workloads/scaling.wl", "--seeds", "3", "-j", "2", "--json", "-", "-q"]);
    assert_eq!(j1.stdout, j2.stdout, "the statistics differ between -j 1 and -j 2");
    let v: serde_json::Value = serde_json::from_str(&text(&j1.stdout)).expect("json");
    let g = &v["statistics"][0];
    assert_eq!(g["seeds"], serde_json::json!([7, 8, 9]));
    let m = &g["metrics"]["register.latency.mean"];
    assert_eq!(m["n"], 3);
    for field in ["mean", "stddev", "ci_low", "ci_high"] {
        assert!(m[field].is_f64(), "{field} in {m}");
    }
    let one = text(&sim(&["run", "workloads/scaling.wl", "--json", "-", "-q"]).stdout);
    assert!(!one.contains("\"statistics\""), "statistics without seeds");
}

#[test]
fn diff_puts_the_figures_a_cost_moves_first() {
    let a = tmp("diff-a.json");
    let b = tmp("diff-b.json");
    let (sa, sb) = (a.to_str().expect("utf-8"), b.to_str().expect("utf-8"));
    assert_eq!(sim(&["run", "workloads/scaling.wl", "--json", sa, "-q"]).status.code(), Some(0));
    let out = sim(&["run", "workloads/scaling.wl", "-p", "cost.lock_compare=12ns", "--json", sb, "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let d = sim(&["diff", sa, sb]);
    assert_eq!(d.status.code(), Some(0), "{}", text(&d.stderr));
    let body = text(&d.stdout);
    assert!(body.contains("costs cost.lock_compare=12 ns"), "{body}");
    // lock_compare is v13's sort: mm_lock's register moves, most at the largest mm.
    let rows: Vec<&str> = body.lines().skip_while(|l| !l.trim_start().starts_with("point")).skip(1).collect();
    assert!(rows[0].contains("strategy=mm_lock vmas=16384") && rows[0].contains("register.latency"), "{body}");
    assert!(rows.iter().all(|r| r.contains("strategy=mm_lock ")), "only mm_lock sorts:\n{body}");
    // With seeds, means are compared and their intervals said to overlap or not.
    let (c, d) = (tmp("diff-c.json"), tmp("diff-d.json"));
    let (sc, sd) = (c.to_str().expect("utf-8"), d.to_str().expect("utf-8"));
    let seeded = ["run", "workloads/gru.wl", "-p", "vmas=64", "--seeds", "3", "-q"];
    assert_eq!(sim(&[&seeded[..], &["--json", sc]].concat()).status.code(), Some(0));
    assert_eq!(sim(&[&seeded[..], &["-p", "cost.pte_zap=200ns", "--json", sd]].concat()).status.code(), Some(0));
    let seeds = text(&sim(&["diff", sc, sd]).stdout);
    assert!(seeds.contains("mean over seeds") && seeds.contains("95% intervals"), "{seeds}");
    assert!(
        seeds.lines().any(|l| l.contains("(3 seeds)") && (l.ends_with("apart") || l.ends_with("overlap"))),
        "{seeds}"
    );
    let same = sim(&["diff", sa, sa]);
    assert!(text(&same.stdout).contains("the runs are identical"), "{}", text(&same.stdout));
    // Unreadable or mismatched files are errors.
    let gru = tmp("diff-gru.json");
    let sg = gru.to_str().expect("utf-8");
    assert_eq!(sim(&["run", "workloads/gru.wl", "-p", "vmas=64", "--json", sg, "-q"]).status.code(), Some(0));
    let bad = sim(&["diff", sa, sg]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("are not runs of the same points"), "{}", text(&bad.stderr));
    let missing = sim(&["diff", sa, "no/such.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("cannot read no/such.json"), "{}", text(&missing.stderr));
}

#[test]
fn seeds_cost_flags_and_several_bad_files_are_told_apart() {
    let out = sim(&["run", "workloads/gru.wl", "--seed=-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("a seed is a non-negative integer"), "{}", text(&out.stderr));
    let out = sim(&["run", "workloads/gru.wl", "--seed", "-1"]);
    assert!(text(&out.stderr).contains("a seed is a non-negative integer"), "{}", text(&out.stderr));
    let out = sim(&["run", "workloads/gru.wl", "-p", "cost.pte_zp=80ns"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("did you mean 'cost.pte_zap'?"), "{}", text(&out.stderr));
    let (a, b) = (tmp("bad-a.wl"), tmp("bad-b.wl"));
    std::fs::write(&a, "strategy mm_lok\n").expect("write");
    std::fs::write(&b, "process p { mmap anon 4Q }\n").expect("write");
    let out = sim(&["check", a.to_str().expect("utf-8"), b.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("did you mean 'mm_lock'?\n\n") && err.contains("bad-b.wl:1:23: error"), "{err}");
}

#[test]
fn calibrate_writes_a_row_per_design_with_both_exponents_and_the_costs() {
    let json = tmp("calibrate.json");
    let out = sim(&["calibrate", "--tiny", "--json", json.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    for design in ["mm_lock", "mm_lock_slow", "mm_take_all_locks"] {
        assert!(table.contains(&format!("\n{design}\n")), "no table for {design}:\n{table}");
    }
    assert!(table.contains("exponent in N: host"), "{table}");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("written")).expect("JSON");
    let rows = v["designs"].as_array().expect("designs");
    let names: Vec<&str> = rows.iter().map(|r| r["design"].as_str().expect("design")).collect();
    assert_eq!(names, ["mm_take_all_locks", "mm_lock", "mm_lock_slow"]);
    for r in rows {
        for field in ["host_exponent", "sim_exponent", "sim_host_costs_exponent", "per_lock_ns", "per_sort_step_ns"] {
            assert!(r.get(field).is_some(), "{} has no {field}", r["design"]);
        }
        assert!(r["host_exponent"].is_number() && r["sim_exponent"].is_number(), "{r}");
        let points = r["points"].as_array().expect("points");
        assert!(!points.is_empty());
        for p in points {
            for field in ["vmas", "locks", "host_ns", "sim_ns"] {
                assert!(p[field].as_f64().is_some_and(|x| x > 0.0), "{}: {field} in {p}", r["design"]);
            }
        }
    }
    assert!(rows[1]["per_sort_step_ns"].is_number() && rows[2]["per_lock_ns"].is_null());
    for cost in ["spin_lock_warm", "spin_unlock", "vma_step", "lock_compare", "array_store"] {
        assert!(v["costs"][cost].is_number(), "no measured {cost}");
    }
    // Measured only if the two threads ran on two CPUs at once, which a busy machine may not allow.
    assert!(v["costs"].get("spin_lock_cold").is_none_or(|c| c.is_number()));
    // What it wrote reads back.
    let back = sim(&["costs", "--from", json.to_str().expect("utf-8")]);
    assert_eq!(back.status.code(), Some(0), "{}", text(&back.stderr));
}

#[test]
fn costs_from_a_calibration_file_show_beside_the_defaults_and_run_a_workload() {
    let out = sim(&["costs", "--from", "tests/data/calibrate.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    let row = |name: &str| table.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or("").to_string();
    assert!(row("lock_compare").contains(" 6 ") && row("lock_compare").contains("3.43"), "{table}");
    assert!(!row("fault").contains('.'), "an unmeasured cost shows no measured value: {}", row("fault"));
    assert!(table.contains("--costs tests/data/calibrate.json"), "{table}");
    assert!(table.contains("  cost vma_step 1ns\n") && table.contains("  cost lock_compare 3ns\n"), "{table}");

    let plain = sim(&["run", "tests/golden/tiny-mixed.wl", "--json", "-", "-q"]);
    let calibrated =
        sim(&["run", "tests/golden/tiny-mixed.wl", "--json", "-", "-q", "--costs", "tests/data/calibrate.json"]);
    assert_eq!(calibrated.status.code(), Some(0), "{}", text(&calibrated.stderr));
    assert_ne!(plain.stdout, calibrated.stdout, "--costs changed nothing");
    let again =
        sim(&["run", "tests/golden/tiny-mixed.wl", "--json", "-", "-q", "--costs", "tests/data/calibrate.json"]);
    assert_eq!(calibrated.stdout, again.stdout, "a calibrated run is as deterministic as any");
}

#[test]
fn a_missing_or_malformed_costs_file_exits_2_saying_what_is_wrong() {
    let bad = tmp("bad-calibrate.json");
    std::fs::write(&bad, "{\"costs\": {\"vma_stp\": 1}}").expect("write");
    let unknown = tmp("unknown-calibrate.json");
    std::fs::write(&unknown, "not json").expect("write");
    for (args, says) in [
        (vec!["costs", "--from", "no/such.json"], "cannot read no/such.json"),
        (vec!["costs", "--from", bad.to_str().expect("utf-8")], "unknown cost `vma_stp`"),
        (vec!["costs", "--from", unknown.to_str().expect("utf-8")], "not JSON"),
        (vec!["run", "tests/golden/tiny-mixed.wl", "--costs", "no/such.json"], "cannot read no/such.json"),
    ] {
        let out = sim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).contains(says), "{args:?}: {}", text(&out.stderr));
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn explore_finds_the_abba_deadlock_and_exhausts_the_safe_designs() {
    let out = sim(&["explore", "workloads/explore/abba.wl", "-q", "--json", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let points = doc["points"].as_array().expect("points");
    assert_eq!(points.len(), 3);
    for p in points {
        let strategy = p["params"]["strategy"].as_str().expect("strategy").to_string();
        let deadlock = &p["reachable"]["deadlock.count"];
        assert_eq!(p["exhausted"], true, "{strategy}");
        assert!(p["states"].as_u64().expect("states") > 1, "{strategy}");
        if strategy == "unsorted" {
            let schedule = deadlock["schedule"].as_str().expect("a schedule reaches the deadlock");
            // The schedule it printed replays to the same deadlock.
            let run = sim(&[
                "run",
                "workloads/explore/abba.wl",
                "-p",
                "strategy=unsorted",
                "--schedule",
                schedule,
                "--json",
                "-",
                "-q",
            ]);
            let r: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON");
            assert_eq!(r["points"][0]["metrics"]["deadlock.count"], 1);
        } else {
            assert!(deadlock.is_null(), "{strategy}: {deadlock}");
        }
    }
    // The text says what it explored, and that it is exhaustive.
    let out = sim(&["explore", "workloads/explore/abba.wl", "-p", "strategy=mm_lock", "-q"]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("deadlock") && stdout.contains("not reached"), "{stdout}");
    assert!(stdout.contains("exhausted: every schedule at this scope was explored"), "{stdout}");
    // A bound hit is said as such.
    let out = sim(&["explore", "workloads/explore/abba.wl", "-p", "strategy=mm_lock", "--max-runs", "2", "-q"]);
    assert!(text(&out.stdout).contains("NOT exhausted: --max-runs 2 reached"), "{}", text(&out.stdout));
}

#[test]
fn explore_is_deterministic_and_its_failing_lines_exit_1() {
    let a = sim(&["explore", "workloads/explore/abba.wl", "-q", "--json", "-"]);
    let b = sim(&["explore", "workloads/explore/abba.wl", "-q", "--json", "-"]);
    assert_eq!(a.stdout, b.stdout);
    let f = tmp("abba-never.wl");
    let src = std::fs::read_to_string("workloads/explore/abba.wl").expect("read");
    std::fs::write(
        &f,
        src.replace("expect never deadlock.count > 0 when strategy != unsorted", "expect never deadlock.count > 0"),
    )
    .expect("write");
    let out = sim(&["explore", f.to_str().expect("utf-8"), "-q"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("FAIL line"), "{}", text(&out.stdout));
}

#[test]
fn a_schedule_that_does_not_fit_is_refused() {
    let out = sim(&["run", "workloads/explore/abba.wl", "-p", "strategy=mm_lock", "--schedule", "9", "-q"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("does not fit this run"), "{}", text(&out.stderr));
    let out = sim(&["run", "workloads/explore/abba.wl", "--schedule", "1", "-q"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("replays one run"), "{}", text(&out.stderr));
    let out = sim(&["run", "workloads/explore/abba.wl", "-p", "strategy=mm_lock", "--schedule", "1..0"]);
    assert_eq!(out.status.code(), Some(2));
}

/// `sim run --lock-stat` of gru.wl: the table's rows, read back from the JSON report of the
/// same run, add up to the lock metrics — acquisitions over the classes to `lock.acquisitions`,
/// wait time to `lock.wait`'s total (its count times its mean).
#[test]
fn lock_stat_of_gru_adds_up_to_the_lock_metrics_and_prints_sorted_by_contentions() {
    let json = text(&sim(&["run", "workloads/gru.wl", "--json", "-", "-q"]).stdout);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let p = &v["points"][0];
    let rows = p["lock_stat"].as_array().expect("lock_stat rows");
    let sum = |col: &str| rows.iter().map(|r| r[col].as_u64().expect(col)).sum::<u64>();
    assert_eq!(Some(sum("acquisitions")), p["metrics"]["lock.acquisitions"].as_u64(), "{rows:?}");
    let wait = &p["metrics"]["lock.wait"];
    let (count, mean) = (wait["count"].as_f64().expect("count"), wait["mean"].as_f64().expect("mean"));
    assert!(count > 0.0, "gru.wl contends");
    let total = sum("waittime-total") as f64;
    assert!((total - count * mean).abs() <= 1e-9 * total + 1.0, "waittime-total {total} vs lock.wait {}", count * mean);
    assert!(sum("contentions") as f64 >= count);

    let out = sim(&["run", "workloads/gru.wl", "--lock-stat"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let table = &stdout[stdout.find("\nlock_stat, per lock class").expect("a lock_stat table")..];
    let head = table.lines().find(|l| l.trim_start().starts_with("class name")).expect("header");
    let cols: Vec<&str> = head.split_whitespace().skip(2).collect();
    assert_eq!(
        cols,
        [
            "con-bounces",
            "contentions",
            "waittime-min",
            "waittime-max",
            "waittime-total",
            "waittime-avg",
            "acq-bounces",
            "acquisitions",
            "holdtime-min",
            "holdtime-max",
            "holdtime-total",
            "holdtime-avg"
        ]
    );
    // Rows in the order of contentions, most first, as the JSON has them.
    let mut want: Vec<(u64, u64, String)> = rows
        .iter()
        .filter(|r| r["acquisitions"].as_u64() > Some(0))
        .map(|r| {
            (
                r["contentions"].as_u64().expect("c"),
                r["acquisitions"].as_u64().expect("a"),
                r["name"].as_str().expect("name").to_string(),
            )
        })
        .collect();
    want.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    let names: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("---"))
        .skip(1)
        .take(want.len())
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    let want_names: Vec<&str> = want.iter().map(|w| w.2.as_str()).collect();
    assert_eq!(names, want_names, "{table}");
    assert!(table.contains(" us ") || table.contains(" ms "), "times in readable units: {table}");
    // -q keeps the table asked for and drops the summary.
    let quiet = text(&sim(&["run", "workloads/gru.wl", "--lock-stat", "-q"]).stdout);
    assert!(quiet.contains("class name") && !quiet.contains("fingerprint"), "{quiet}");
}

#[test]
fn lock_stat_per_instance_and_as_csv_and_bad_values_exit_2() {
    let wl = "workloads/claims/08-unsorted-deadlock.wl";
    let out = sim(&["run", wl, "--lock-stat=instance", "-p", "strategy=unsorted", "-p", "sharing=two_mms"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("lock_stat, per lock ("), "{stdout}");
    assert!(stdout.contains("\n  i_mmap_lock of \"a\" ") && stdout.contains("\n  i_mmap_lock of \"b\" "), "{stdout}");
    // The whole sweep: nine points, eight tables, and a pointer to the CSV for the rest.
    let all = text(&sim(&["run", wl, "--lock-stat"]).stdout);
    assert_eq!(all.matches("\nlock_stat: strategy=").count(), 8, "{all}");
    assert!(all.contains("(1 more points' tables not shown; --lock-stat-csv PATH"), "{all}");

    let csv = tmp("lock-stat.csv");
    let path = csv.to_str().expect("utf-8");
    let run = |extra: &[&str]| {
        let out = sim(&[&["run", wl, "-q", "--lock-stat-csv", path][..], extra].concat());
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        std::fs::read_to_string(&csv).expect("csv written")
    };
    let classes = run(&[]);
    let mut lines = classes.lines();
    assert_eq!(
        lines.next(),
        Some("index,seed,strategy,sharing,level,name,con-bounces,contentions,waittime-min,waittime-max,waittime-total,waittime-avg,acq-bounces,acquisitions,holdtime-min,holdtime-max,holdtime-total,holdtime-avg")
    );
    // Five classes at each of nine points, every field filled.
    assert_eq!(classes.lines().count(), 1 + 9 * 5, "{classes}");
    assert!(classes.lines().skip(1).all(|l| l.split(',').count() == 18 && l.contains(",class,")), "{classes}");
    assert!(classes.contains("\n0,8,unsorted,two_mms,class,&mapping->i_mmap_lock,"), "{classes}");
    assert_eq!(run(&[]), classes, "the CSV is the same each run");
    let both = run(&["--lock-stat=instance", "-j", "1"]);
    assert!(both.contains("\n0,8,unsorted,two_mms,instance,\"i_mmap_lock of \"\"a\"\"\","), "{both}");
    assert_eq!(both.lines().filter(|l| l.contains(",class,")).count(), 9 * 5, "{both}");
    assert_eq!(run(&["--lock-stat=instance", "-j", "2"]), both, "-j changes the CSV");
    let to_stdout = sim(&["run", wl, "--lock-stat-csv", "-"]);
    assert!(text(&to_stdout.stdout).starts_with("index,seed,strategy,"), "the summary went to stdout");
    assert!(text(&to_stdout.stderr).contains("checks"), "{}", text(&to_stdout.stderr));

    for (bad, says) in [
        (vec!["--lock-stat=lock"], "invalid value 'lock' for '--lock-stat[=<class|instance>]'"),
        (vec!["--lock-stat="], "[possible values: class, instance]"),
        (vec!["--json", "-", "--lock-stat-csv", "-"], "--json - and --lock-stat-csv - both want standard output"),
        (vec!["--json", "-", "--csv", "-"], "--json - and --csv - both want standard output: give one of them"),
        (vec!["--csv", "-", "--lock-stat-csv", "-", "--trace", "-"], "--csv -, --lock-stat-csv - and --trace - all"),
        (vec!["--check-determinism", "--json", "x.json"], "cannot be used with"),
        (vec!["--check-determinism", "--plots", "plots"], "cannot be used with"),
    ] {
        let out = sim(&[&["run", wl][..], &bad].concat());
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let err = text(&out.stderr);
        assert!(out.stdout.is_empty() && !err.contains("panicked"), "{bad:?}: {err}");
        assert!(err.contains(says), "{bad:?}: {err}");
    }
}

/// lockdep's warning, once over all 180 runs of claim 8: the possible ABBA of the unsorted
/// design, at every seed of both unsorted layouts that share the files — even where the timing
/// never deadlocked (two_mms_apart) — with both chains and their workload lines.
#[test]
fn run_prints_each_possible_deadlock_once_with_the_seeds_it_was_seen_at() {
    let out = sim(&["run", "workloads/claims/08-unsorted-deadlock.wl", "--seeds", "20"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let title = "WARNING: possible circular locking dependency detected";
    assert_eq!(stdout.matches(title).count(), 1, "{stdout}");
    let block = &stdout[stdout.find(title).expect("warning")..];
    let block = &block[..block.find(" *** DEADLOCK ***").expect("end of the block")];
    assert!(
        block.contains(
            "seen at 40 of 180 points: strategy=unsorted sharing=two_mms at 20 of 20 seeds; strategy=unsorted sharing=two_mms_apart at 20 of 20 seeds\n"
        ),
        "{block}"
    );
    assert!(block.contains("is trying to acquire lock:\n  i_mmap_lock of \""), "{block}");
    assert!(block.contains("but task is already holding lock:\n  i_mmap_lock of \""), "{block}");
    assert!(block.contains("-> #1 (i_mmap_lock of ") && block.contains("-> #0 (i_mmap_lock of "), "{block}");
    // Both tasks, at the register lines of their processes (36 and 44).
    let wl = "workloads/claims/08-unsorted-deadlock.wl";
    assert!(
        block.contains(&format!(
            "second is trying to acquire lock:\n  i_mmap_lock of \"a\" (class &mapping->i_mmap_lock), at {wl}:44 ("
        )),
        "{block}"
    );
    assert!(block.contains(&format!("first asked for i_mmap_lock of \"b\" at {wl}:36 while holding i_mmap_lock of \"a\" (taken at line 36)\n     36 | register kvm\n")), "{block}");
    assert!(block.contains(&format!("second asked for i_mmap_lock of \"a\" at {wl}:44 while holding")), "{block}");
    assert!(block.contains("CPU0 (") && block.contains("CPU1 ("), "{block}");
    // The unannotated nesting of v13 and unsorted, once; none for the merged design.
    let recursive = "WARNING: possible recursive locking detected";
    assert_eq!(stdout.matches(recursive).count(), 1, "{stdout}");
    let block = &stdout[stdout.find(recursive).expect("warning")..];
    assert!(
        block.contains("seen at 120 of 180 points: strategy=unsorted sharing=two_mms at 20 of 20 seeds;"),
        "{block}"
    );
    assert!(block.contains("May be due to missing lock nesting notation"), "{block}");
    assert!(!block[..block.find("missing lock nesting").expect("end")].contains("mm_take_all_locks"), "{block}");
    // The same text whatever -j is.
    let j1 = sim(&["run", "workloads/claims/08-unsorted-deadlock.wl", "--seeds", "20", "-j", "1", "--lock-stat"]);
    let j2 = sim(&["run", "workloads/claims/08-unsorted-deadlock.wl", "--seeds", "20", "-j", "2", "--lock-stat"]);
    assert_eq!(text(&j1.stdout), text(&j2.stdout), "-j changes the warnings or the tables");
    assert!(text(&j1.stdout).starts_with(&stdout), "--lock-stat changes what comes before its tables");
    // -q prints none of it.
    let quiet = sim(&["run", "workloads/claims/08-unsorted-deadlock.wl", "-q"]);
    assert!(quiet.stdout.is_empty(), "{}", text(&quiet.stdout));
}

/// `--no-lockdep` keeps no lock-order graph: the runs are the same runs (same fingerprints), the
/// lockdep.* metrics are not measured, and the lines that read them are SKIP, not PASS or FAIL.
#[test]
fn no_lockdep_skips_the_lines_that_read_lockdep_and_changes_nothing_else() {
    let wl = "workloads/claims/08-unsorted-deadlock.wl";
    let with = text(&sim(&["run", wl, "--json", "-", "-q"]).stdout);
    let without = sim(&["run", wl, "--json", "-", "-q", "--no-lockdep"]);
    assert_eq!(without.status.code(), Some(0), "{}", text(&without.stderr));
    let (a, b): (serde_json::Value, serde_json::Value) =
        (serde_json::from_str(&with).expect("json"), serde_json::from_str(&text(&without.stdout)).expect("json"));
    for (p, q) in a["points"].as_array().expect("points").iter().zip(b["points"].as_array().expect("points")) {
        assert_eq!(p["fingerprint"], q["fingerprint"], "lockdep steered the run");
        assert_eq!(p["metrics"]["deadlock.count"], q["metrics"]["deadlock.count"]);
        assert!(q["metrics"].get("lockdep.cycles").is_none(), "{q}");
        assert_eq!(q["not_measured"], serde_json::json!(["lockdep.cycles", "lockdep.nesting", "lockdep.overflow"]));
        assert!(q["lockdep"]["cycles"].as_array().is_some_and(Vec::is_empty));
    }
    let check = sim(&["check", wl, "--no-lockdep"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
    let rows = text(&check.stdout);
    let row = |needle: &str| {
        rows.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle}:\n{rows}")).to_string()
    };
    assert!(row("expect always lockdep.cycles > 0").contains("  SKIP  "), "{rows}");
    assert!(row("expect always lockdep.cycles > 0").contains("not measured (--no-lockdep)"), "{rows}");
    assert!(row("expect never lockdep.nesting > 0").contains("  SKIP  "), "{rows}");
    assert!(row("expect sometimes deadlock.count > 0").contains("  PASS  "), "{rows}");
    assert!(rows.contains("4 passed, 0 failed, 3 skipped (not measured (--no-lockdep))"), "{rows}");
    let run = text(&sim(&["run", wl, "--no-lockdep"]).stdout);
    assert!(run.contains("  SKIP  line 59   expect always lockdep.cycles > 0 when strategy == unsorted and sharing != one_mm  ->  not measured (--no-lockdep)\n"), "{run}");
    assert!(run.contains("  PASS  line 57   expect sometimes deadlock.count > 0"), "{run}");
    assert!(!run.contains("WARNING: possible"), "{run}");
}
