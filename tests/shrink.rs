//! `sim shrink` end to end: the claims' deadlock and missed invalidation shrunk to files a third
//! the size or less that still show them, a failing line kept failing, a count shrunk to the
//! boundary of its failure, a golden shrunk file compared byte for byte, and the exits for input
//! that cannot be shrunk.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the sim binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sim-shrink-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).expect("read")
}

/// The line number of the first line of `text` that starts with `start`.
fn line_of(text: &str, start: &str) -> String {
    let i = text.lines().position(|l| l.starts_with(start)).unwrap_or_else(|| panic!("no line {start:?}"));
    (i + 1).to_string()
}

/// Counted from the text alone, as a reader would: the steps the processes run (each step
/// line once per repeat and instance around it) and the VMAs they map (`x N` counted), leaving
/// out the processes named in `skip` (those that do not exist at the point shrunk for).
fn run_counts(wl: &str, skip: &[&str]) -> (u64, u64) {
    let (mut steps, mut vmas) = (0u64, 0u64);
    // The multiplier of each open block; `None` for a skipped process.
    let mut open: Vec<Option<u64>> = Vec::new();
    let times = |l: &str| -> u64 {
        l.split_whitespace().skip_while(|w| *w != "x").nth(1).map_or(1, |n| n.parse().expect("a literal x N"))
    };
    for raw in wl.lines() {
        let l = raw.split('#').next().unwrap_or("").trim();
        if l.is_empty() {
            continue;
        }
        let outer = open.last().copied();
        if let Some(name) = l.strip_prefix("process ") {
            let name = name.split_whitespace().next().unwrap_or("");
            open.push((!skip.contains(&name)).then(|| times(l)));
            continue;
        }
        if l == "}" {
            open.pop();
            continue;
        }
        let Some(Some(m)) = outer else { continue };
        steps += m;
        if l.starts_with("mmap ") {
            vmas += m * times(l);
        }
        if let Some(rest) = l.strip_prefix("repeat ") {
            let n: u64 = rest.trim_end_matches('{').trim().parse().expect("a literal repeat count");
            open.push(Some(m * n));
        } else if l.ends_with('{') {
            // A fork's body: once per run of the parent.
            open.push(Some(m));
        }
    }
    (steps, vmas)
}

/// The numbers after `steps ` or `VMAs ` in the header: in the file before and after, and run
/// before and after.
fn header_counts(shrunk: &str, what: &str) -> [u64; 4] {
    let line = shrunk.lines().find(|l| l.starts_with("# Reduced:")).expect("a Reduced line");
    let at = line.find(&format!("{what} ")).expect(what) + what.len() + 1;
    let nums: Vec<u64> = line[at..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(4)
        .map(|s| s.parse().expect("number"))
        .collect();
    [nums[0], nums[1], nums[2], nums[3]]
}

/// Shrinks, checks the file written loads and runs, and returns it.
fn shrink(args: &[&str], out: &Path) -> String {
    let mut all = vec!["shrink"];
    all.extend_from_slice(args);
    all.extend(["-o", out.to_str().expect("utf-8"), "-q"]);
    let start = std::time::Instant::now();
    let o = sim(&all);
    eprintln!("sim {}: {:.2} s", all.join(" "), start.elapsed().as_secs_f64());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let shrunk = std::fs::read_to_string(out).expect("the shrunk file is written");
    let run = sim(&["run", out.to_str().expect("utf-8"), "-q"]);
    assert!(matches!(run.status.code(), Some(0 | 1)), "the shrunk file does not load:\n{}", text(&run.stderr));
    shrunk
}

fn metric(json: &str, name: &str) -> f64 {
    // The last mention: the first ones are the catalogue of units.
    let at = json.rfind(&format!("\"{name}\": ")).unwrap_or_else(|| panic!("no {name}"));
    let rest = &json[at + name.len() + 4..];
    rest[..rest.find([',', '\n', '}']).expect("end")].trim().parse().expect("a number")
}

#[test]
fn claim_08_under_unsorted_shrinks_to_a_third_of_its_steps_and_still_deadlocks() {
    let claim = "workloads/claims/08-unsorted-deadlock.wl";
    let original = read(claim);
    let line = line_of(&original, "expect sometimes deadlock.count > 0");
    let out = tmp("08.wl");
    let shrunk = shrink(&[claim, "--expect", &line, "--witness", "-p", "strategy=unsorted"], &out);
    let o = sim(&["run", out.to_str().expect("utf-8"), "--json", "-", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(metric(&text(&o.stdout), "deadlock.count") > 0.0, "no deadlock in\n{shrunk}");
    let check = sim(&["check", out.to_str().expect("utf-8")]);
    let rows = text(&check.stdout);
    assert!(rows.contains("PASS") && rows.contains("sometimes deadlock.count > 0"), "{rows}");
    // At the point shrunk for (sharing == two_mms) the process `later` does not exist.
    let (steps_before, vmas_before) = run_counts(&original, &["later"]);
    let (steps_after, vmas_after) = run_counts(&shrunk, &[]);
    eprintln!("claim 8: steps run {steps_before} -> {steps_after}, VMAs mapped {vmas_before} -> {vmas_after}");
    assert!(steps_after * 3 <= steps_before, "{steps_after} steps of {steps_before}:\n{shrunk}");
    // An ABBA needs two mms of two VMAs each, one of each shared file: 4 of the original's 4.
    assert_eq!((vmas_before, vmas_after), (4, 4), "{shrunk}");
    assert_eq!(header_counts(&shrunk, "steps")[2..], [steps_before, steps_after], "{shrunk}");
    assert_eq!(header_counts(&shrunk, "VMAs")[2..], [vmas_before, vmas_after], "{shrunk}");
}

#[test]
fn claim_07_under_unlocked_shrinks_to_a_third_of_its_steps_and_still_misses() {
    let claim = "workloads/claims/07-missed-invalidation.wl";
    let original = read(claim);
    let line = line_of(&original, "expect sometimes invalidate.missed > 0");
    let out = tmp("07.wl");
    let shrunk = shrink(&[claim, "--expect", &line, "--witness", "-p", "strategy=unlocked"], &out);
    let o = sim(&["run", out.to_str().expect("utf-8"), "--json", "-", "-q"]);
    assert!(metric(&text(&o.stdout), "invalidate.missed") > 0.0, "no missed invalidation in\n{shrunk}");
    let (steps_before, vmas_before) = run_counts(&original, &[]);
    let (steps_after, vmas_after) = run_counts(&shrunk, &[]);
    eprintln!("claim 7: steps run {steps_before} -> {steps_after}, VMAs mapped {vmas_before} -> {vmas_after}");
    assert!(steps_after * 3 <= steps_before, "{steps_after} steps of {steps_before}:\n{shrunk}");
    // One VMA of the shared file is all the claim has, and all a miss needs.
    assert_eq!((vmas_before, vmas_after), (1, 1));
    assert_eq!(header_counts(&shrunk, "steps")[2..], [steps_before, steps_after], "{shrunk}");
}

/// Claim 7 with its lock-all lines turned on `unlocked`: the `never` line fails, and the
/// shrunk file fails it too, as `sim check` says.
#[test]
fn a_failing_line_stays_failing() {
    let edited = read("workloads/claims/07-missed-invalidation.wl")
        .replace("when strategy != unlocked", "when strategy == unlocked");
    let input = tmp("07-never.wl");
    std::fs::write(&input, edited).expect("write");
    let out = tmp("07-never-shrunk.wl");
    let shrunk = shrink(&[input.to_str().expect("utf-8"), "--check-failure", "-p", "strategy=unlocked"], &out);
    assert!(shrunk.contains("# which still fails here at strategy=unlocked, seed 7."), "{shrunk}");
    let check = sim(&["check", out.to_str().expect("utf-8")]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check.stdout));
    let rows = text(&check.stdout);
    assert!(rows.lines().any(|l| l.contains("FAIL") && l.contains("never invalidate.missed > 0")), "{rows}");
    assert_eq!(rows.matches("FAIL").count(), 1, "only the line shrunk for is left:\n{rows}");
    // A run budget stops early and still writes a file that fails the line.
    let short = tmp("07-never-short.wl");
    let few = shrink(&[input.to_str().expect("utf-8"), "--check-failure", "--max-runs", "3"], &short);
    assert!(few.contains("(stopped by --max-runs 3)"), "{few}");
    assert_eq!(sim(&["check", short.to_str().expect("utf-8")]).status.code(), Some(1));
}

/// Claim 8 with its `never` line for the sorted designs turned on `unsorted`: it fails, and the
/// shrunk file, a third of the steps, fails it too.
#[test]
fn claim_08_failing_never_line_stays_failing_in_a_third_of_the_steps() {
    let from = "expect never deadlock.count > 0 when strategy != unsorted";
    let original = read("workloads/claims/08-unsorted-deadlock.wl");
    assert!(original.contains(from));
    let edited = original.replace(from, "expect never deadlock.count > 0 when strategy == unsorted");
    let input = tmp("08-never.wl");
    std::fs::write(&input, &edited).expect("write");
    let line = line_of(&edited, "expect never deadlock.count > 0 when strategy == unsorted");
    let out = tmp("08-never-shrunk.wl");
    let shrunk = shrink(&[input.to_str().expect("utf-8"), "--expect", &line, "-p", "strategy=unsorted"], &out);
    let check = sim(&["check", out.to_str().expect("utf-8")]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check.stdout));
    let rows = text(&check.stdout);
    assert!(rows.lines().any(|l| l.contains("FAIL") && l.contains("never deadlock.count > 0")), "{rows}");
    let (steps_before, _) = run_counts(&original, &["later"]);
    let (steps_after, vmas_after) = run_counts(&shrunk, &[]);
    assert!(steps_after * 3 <= steps_before, "{steps_after} steps of {steps_before}:\n{shrunk}");
    assert_eq!(vmas_after, 4, "{shrunk}");
}

fn edited_claim_07(name: &str) -> PathBuf {
    let edited = read("workloads/claims/07-missed-invalidation.wl")
        .replace("when strategy != unlocked", "when strategy == unlocked");
    let input = tmp(name);
    std::fs::write(&input, edited).expect("write");
    input
}

/// Over seeds, a `never` line fails when its condition held at one seed: the shrunk file fails
/// it over the same seeds, and the header names the seed that shows it.
#[test]
fn over_seeds_a_never_line_fails_at_the_seed_the_header_names() {
    let input = edited_claim_07("07-never-seeds.wl");
    let line = line_of(&read("workloads/claims/07-missed-invalidation.wl"), "expect never invalidate.missed");
    let out = tmp("07-seeds-shrunk.wl");
    let out_s = out.to_str().expect("utf-8");
    let shrunk = shrink(&[input.to_str().expect("utf-8"), "--expect", &line, "--seeds", "10"], &out);
    let check = sim(&["check", out_s, "--seeds", "10"]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check.stdout));
    assert!(text(&check.stdout).contains("FAIL  Sometimes "), "{}", text(&check.stdout));
    let seed = shrunk
        .split("(first at seed ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .unwrap_or_else(|| panic!("no seed named:\n{shrunk}"));
    assert!(shrunk.contains(&format!("sim run {out_s} --seed {seed}")) || seed == "7", "{shrunk}");
    let run = sim(&["run", out_s, "--seed", seed, "-q"]);
    assert_eq!(run.status.code(), Some(1), "seed {seed} does not fail:\n{shrunk}");
}

/// Ctrl-C in the middle: the smallest file so far is written, and still fails the line.
#[test]
fn an_interrupted_shrink_writes_the_smallest_file_so_far() {
    let input = edited_claim_07("07-never-interrupted.wl");
    let line = line_of(&read("workloads/claims/07-missed-invalidation.wl"), "expect never invalidate.missed");
    let out = tmp("07-interrupted.wl");
    let args = |out: &Path| -> Vec<String> {
        let mut a: Vec<String> =
            ["shrink", input.to_str().expect("utf-8"), "--expect", &line, "-p", "strategy=unlocked"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        a.extend(["--seeds", "25", "-q", "-o", out.to_str().expect("utf-8")].iter().map(|s| s.to_string()));
        a
    };
    // How long the whole walk takes here, so the interrupt lands inside it on any machine.
    let started = std::time::Instant::now();
    let whole = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args(&tmp("07-uninterrupted.wl")))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("sim runs");
    assert_eq!(whole.status.code(), Some(0), "{}", text(&whole.stderr));
    let mut delay = started.elapsed() / 3;
    let done = loop {
        let _ = std::fs::remove_file(&out);
        let child = Command::new(env!("CARGO_BIN_EXE_sim"))
            .args(args(&out))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn sim");
        std::thread::sleep(delay);
        let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
        assert!(killed.success());
        let done = child.wait_with_output().expect("wait");
        // Finished before the signal arrived (a slow start, then a fast walk): interrupt sooner.
        if done.status.code() == Some(0) && delay > std::time::Duration::from_millis(5) {
            delay /= 2;
            continue;
        }
        break done;
    };
    assert_eq!(done.status.code(), Some(130), "{}", text(&done.stderr));
    let shrunk = std::fs::read_to_string(&out).expect("the smallest file so far is written");
    assert!(shrunk.contains(" (interrupted).\n"), "{shrunk}");
    let check = sim(&["check", out.to_str().expect("utf-8"), "--seeds", "25"]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check.stdout));
}

/// A count shrinks to the boundary of the failure, not to where a halving stops: a lock-all
/// holding more than 255 spinlocks overflows preempt_count, so 300 VMAs shrink to exactly 256;
/// likewise the instances of `process NAME x N`.
#[test]
fn counts_and_instances_shrink_to_where_one_less_loses_the_failure() {
    let wl = tmp("overflow.wl");
    std::fs::write(
        &wl,
        "strategy mm_lock\ndriver d { callback 100ns }\n\
         process p x 3 { mmap anon 4K x 300; mmap anon 8K x 20; touch 50; register d; unregister d }\n\
         expect preempt.overflow == 0\n",
    )
    .expect("write");
    let out = tmp("overflow.min.wl");
    let shrunk = shrink(&[wl.to_str().expect("utf-8"), "--expect", "4"], &out);
    assert!(shrunk.contains("  mmap anon 4K x 256\n"), "{shrunk}");
    assert_eq!(run_counts(&shrunk, &[]).1, 256, "{shrunk}");
    // Instances too: a line that fails from three registrations on keeps three processes.
    let wl = tmp("three.wl");
    std::fs::write(&wl, "driver d {}\nprocess p x 16 { mmap anon 4K; register d }\nexpect register.ok < 3\n")
        .expect("write");
    let out = tmp("three.min.wl");
    let shrunk = shrink(&[wl.to_str().expect("utf-8"), "--expect", "3"], &out);
    assert!(shrunk.contains("process p x 3 {"), "{shrunk}");
}

/// The same input gives the same file, byte for byte: `tests/data/shrink/08-witness.wl` is
/// claim 8 shrunk for its deadlock (UPDATE_EXPECT=1 rewrites it).
#[test]
fn the_shrunk_file_is_golden() {
    let claim = "workloads/claims/08-unsorted-deadlock.wl";
    let line = line_of(&read(claim), "expect sometimes deadlock.count > 0");
    let args = ["shrink", claim, "--expect", &line, "--witness", "-p", "strategy=unsorted", "-q"];
    let a = sim(&args);
    let b = sim(&args);
    assert_eq!(a.status.code(), Some(0), "{}", text(&a.stderr));
    assert_eq!(a.stdout, b.stdout, "two shrinks differ");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/shrink/08-witness.wl");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&golden, &a.stdout).expect("write golden");
        return;
    }
    let want = std::fs::read_to_string(&golden).unwrap_or_default();
    assert_eq!(text(&a.stdout), want, "differs from {} (UPDATE_EXPECT=1 to accept)", golden.display());
}

#[test]
fn input_that_cannot_be_shrunk_says_why() {
    let claim = "workloads/claims/08-unsorted-deadlock.wl";
    let original = read(claim);
    // Not an expect line: bad input, located.
    let o = sim(&["shrink", claim, "--expect", "1"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains(&format!("{claim}:1:1: error: line 1 is not an expect line")), "{err}");
    assert!(o.stdout.is_empty());
    let o = sim(&["shrink", claim, "--expect", "9999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("no line 9999"), "{}", text(&o.stderr));
    // A line that holds: nothing to shrink, exit 1, with the way to shrink its witness.
    let line = line_of(&original, "expect sometimes deadlock.count > 0");
    let o = sim(&["shrink", claim, "--expect", &line, "-p", "strategy=unsorted"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("does not fail at its seed: nothing to shrink") && err.contains("--witness"), "{err}");
    let o = sim(&["shrink", claim, "--check-failure"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("no check fails"), "{}", text(&o.stderr));
    // A bad pin and a missing file.
    let o = sim(&["shrink", claim, "--expect", &line, "-p", "strategy=mm_lok"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("did you mean 'mm_lock'"), "{}", text(&o.stderr));
    assert_eq!(sim(&["shrink", "no/such.wl", "--expect", "3"]).status.code(), Some(2));
    assert!(!text(&o.stderr).contains("panicked"));
}

/// A workload that reads a maps file names it relative to its folder: shrunk into another
/// folder it would not load, so shrink says so and writes nothing; beside it, it replays.
#[test]
fn a_workload_with_maps_files_shrinks_only_beside_them() {
    let dir = tmp("maps-src");
    std::fs::create_dir_all(dir.join("maps")).expect("dir");
    std::fs::write(dir.join("maps/q.maps"), read("workloads/maps/qemu-kvm.maps")).expect("write");
    let wl = dir.join("w.wl");
    std::fs::write(
        &wl,
        "driver kvm { callback 150ns }\nprocess vm {\n  mmap maps \"maps/q.maps\"\n  register kvm\n}\nexpect register.latency.max < 1us\n",
    )
    .expect("write");
    let other = tmp("maps-other");
    std::fs::create_dir_all(&other).expect("dir");
    let away = other.join("out.wl");
    let out = sim(&["shrink", wl.to_str().expect("utf-8"), "--expect", "6", "-o", away.to_str().expect("utf-8"), "-q"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("would not load"), "{}", text(&out.stderr));
    assert!(!away.exists(), "nothing is written");
    let beside = dir.join("out.wl");
    let out =
        sim(&["shrink", wl.to_str().expect("utf-8"), "--expect", "6", "-o", beside.to_str().expect("utf-8"), "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(sim(&["check", beside.to_str().expect("utf-8"), "-q"]).status.code(), Some(1));
}
