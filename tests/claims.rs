//! The claims: every one holds as shipped, over 20 seeds, and its verdict changes when its cause
//! is removed (over seeds, for one line of each qualifier).

use std::path::PathBuf;
use std::process::Command;

fn sim(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the sim binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn claim(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("workloads/claims").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every claim holds over 20 seeds (`sim check --seeds 20`, as CI runs it), and every file
/// states its claim and says with a qualifier how each line is decided over the seeds.
#[test]
fn every_claim_holds_over_20_seeds_and_states_itself() {
    let start = std::time::Instant::now();
    let (code, out, err) = sim(&["check", "--seeds", "20"]);
    eprintln!("sim check --seeds 20: {:.1} s", start.elapsed().as_secs_f64());
    assert_eq!(code, Some(0), "sim check --seeds 20 failed:\n{out}\n{err}");
    assert!(out.contains("passed, 0 failed") && out.contains("Always 20/20"), "{out}");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("workloads/claims");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("claims folder") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        n += 1;
        for part in ["# The claim:", "# Who and when:", "# The workload", "# What the model shows:", "\nexpect "] {
            assert!(text.contains(part), "{} lacks {part:?}", path.display());
        }
        for line in text.lines().filter(|l| l.starts_with("expect ")) {
            assert!(
                ["always ", "sometimes ", "never "].iter().any(|q| line["expect ".len()..].starts_with(q)),
                "{}: a claim says how a line holds over seeds (always, sometimes, never): {line}",
                path.display()
            );
        }
    }
    assert!(n >= 17, "{n} claims");
}

/// Writes a claim with its cause removed (text substitutions) to a temporary file.
fn edited(name: &str, edits: &[(&str, &str)]) -> PathBuf {
    let mut text = claim(name);
    for (from, to) in edits {
        assert!(text.contains(from), "{name}: {from:?} not found");
        text = text.replace(from, to);
    }
    // A folder per call: tests run at once, and two may edit the same claim.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("sim-claim-flips-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, &text).expect("write");
    path
}

/// Runs a claim with its cause removed and expects the check on the line holding `line_has` to
/// fail.
fn flips(name: &str, edits: &[(&str, &str)], line_has: &str) {
    let path = edited(name, edits);
    let (code, out, err) = sim(&["check", path.to_str().expect("utf-8")]);
    assert_eq!(code, Some(1), "{name} still holds with its cause removed:\n{out}\n{err}");
    assert!(
        out.lines().any(|l| l.contains("FAIL") && l.contains(line_has)),
        "{name}: no FAIL on the check with {line_has:?}:\n{out}"
    );
}

/// Like [`flips`], over 20 seeds: the failing row's verdict over them starts with `verdict`
/// (`Sometimes`: the condition held at some seeds, not all; `Never 0/20`: at none).
fn flips_over_seeds(name: &str, edits: &[(&str, &str)], line_has: &str, verdict: &str) {
    let path = edited(name, edits);
    let (code, out, err) = sim(&["check", path.to_str().expect("utf-8"), "--seeds", "20"]);
    assert_eq!(code, Some(1), "{name} still holds over 20 seeds with its cause changed:\n{out}\n{err}");
    let row = out.lines().find(|l| l.contains(line_has)).unwrap_or_else(|| panic!("no row with {line_has:?}:\n{out}"));
    assert!(row.contains(&format!("  FAIL  {verdict}")), "{name}: not a FAIL with {verdict:?}:\n{row}");
}

/// A `never` line whose cause comes back at some seeds: the child starts its splits at a random
/// time within 10 ms, while the parent's registers may still run, so the split and mm_lock meet
/// at some seeds only: `Sometimes k/20`, and the line fails, naming the first seed that held.
#[test]
fn claim_09_never_fails_as_sometimes_when_the_splits_may_overlap() {
    flips_over_seeds(
        "09-order-inversion.wl",
        &[("    sleep $gap\n", "    sleep uniform(1us, 10ms)\n")],
        "never deadlock.count > 0 when gap == 100ms",
        "Sometimes ",
    );
}

/// A `sometimes` line whose cause is gone: with the files mapped in one order, unsorted
/// deadlocks at no seed.
#[test]
fn claim_08_sometimes_fails_as_never_without_the_two_orders() {
    flips_over_seeds(
        "08-unsorted-deadlock.wl",
        &[("  mmap file \"b\" shared\n  mmap file \"a\" shared", "  mmap file \"a\" shared\n  mmap file \"b\" shared")],
        "sometimes deadlock.count > 0",
        "Never 0/20",
    );
}

/// An `always` line whose cause is gone: with sleeping rmap locks no lock-all raises
/// preempt_count, at any seed.
#[test]
fn claim_12_always_fails_as_never_with_sleeping_rmap_locks() {
    flips_over_seeds(
        "12-preempt-lockdep.wl",
        &[("driver kvm", "option lock_kind rwsem\ndriver kvm")],
        "always preempt.overflow > 0",
        "Never 0/",
    );
}

#[test]
fn claim_01_needs_a_lock_per_vma_for_the_quadratic_fallback() {
    flips("01-lock-scaling.wl", &[("mmap anon 4K x $vmas", "mmap file \"lib\" x $vmas shared")], "in 1.8..2.1");
}

#[test]
fn claim_02_needs_many_vmas() {
    flips("02-max-map-count.wl", &[("param vmas = 65530", "param vmas = 64")], "> 1s");
}

#[test]
fn claim_03_needs_distinct_locks_for_the_unkillable_scan() {
    flips(
        "03-oom-kill.wl",
        &[
            ("mmap anon 4K x $vmas", "mmap file \"lib\" x $vmas shared"),
            ("driver xpmem", "file \"lib\" size 4K\ndriver xpmem"),
        ],
        "in 1.8..2.1",
    );
}

#[test]
fn claim_04_needs_the_vmalloc_hog() {
    flips("04-unregister-enomem.wl", &[("param hog = 130900K", "param hog = 4K")], "unregister.failed > 0");
}

#[test]
fn claim_05_needs_the_arrays_kept() {
    flips(
        "05-keep-lock-data.wl",
        &[("option keep_lock_data $keep", "option keep_lock_data false")],
        "register.enomem == 2",
    );
}

#[test]
fn claim_06_fails_for_an_unregister_that_locks_all() {
    flips(
        "06-merged-unregister.wl",
        &[(
            "in -0.02..0.02 when strategy == mm_take_all_locks",
            "in -0.02..0.02 when strategy == mm_lock and hog == 4K",
        )],
        "in -0.02..0.02",
    );
}

#[test]
fn claim_07_needs_the_lock_all_to_cover_invalidations() {
    flips(
        "07-missed-invalidation.wl",
        &[("when strategy != unlocked", "when strategy == unlocked")],
        "never invalidate.missed > 0",
    );
}

#[test]
fn claim_08_possible_deadlock_needs_the_two_orders() {
    flips(
        "08-unsorted-deadlock.wl",
        &[("  mmap file \"b\" shared\n  mmap file \"a\" shared", "  mmap file \"a\" shared\n  mmap file \"b\" shared")],
        "lockdep.cycles > 0",
    );
}

#[test]
fn claim_09_possible_deadlock_needs_the_split() {
    flips("09-order-inversion.wl", &[("mprotect 4", "touch 4")], "lockdep.cycles > 0");
}

#[test]
fn claim_09_needs_the_split_in_the_sharing_mm() {
    flips("09-order-inversion.wl", &[("mprotect 4", "touch 4")], "deadlock.count > 0");
}

#[test]
fn claim_10_needs_the_unpinned_unregister() {
    flips(
        "10-unregister-release-race.wl",
        &[("option unregister_pins_mm $pin", "option unregister_pins_mm true")],
        "race.unregister_release > 0",
    );
}

#[test]
fn claim_11_needs_a_lock_all_running() {
    flips(
        "11-rmap-stall.wl",
        &[("    register kvm\n", "    compute 20us\n"), ("    unregister kvm\n", "    compute 20us\n")],
        "in 1.7..2.2",
    );
}

#[test]
fn claim_13_needs_the_signals() {
    flips("13-signals-eintr.wl", &[("every 50us signal vm\n", "")], "register.eintr >= 18");
}

#[test]
fn claim_14_needs_sleeping_callbacks() {
    flips("14-sleeping-callbacks.wl", &[("  sleeps true\n", "  sleeps false\n")], "atomic_sleep > 0");
}

#[test]
fn claim_15_race_needs_the_unpinned_unregister() {
    flips(
        "15-release-before-free.wl",
        &[("option unregister_pins_mm false", "option unregister_pins_mm true")],
        "race.unregister_release > 0",
    );
}

#[test]
fn claim_16_needs_the_register_inside_mmap() {
    flips("16-register-inside-mmap.wl", &[("  register gru from mmap\n", "  register gru\n")], "deadlock.count > 0");
}

#[test]
fn claim_17_needs_a_registration() {
    flips(
        "17-notifiers-after-unregister.wl",
        &[("  register kvm\n  touch 128\n  unregister kvm\n", "  touch 128\n")],
        "notifier.empty_hooks > 1000",
    );
}

/// The two shapes a user wrote from the language reference: a register racing a periodic
/// truncate of the guests' memory misses invalidations under `unlocked` at every seed tried and
/// never under a lock-all; racing page reclaim of a large working set it misses none.
#[test]
fn races_of_user_shaped_workloads() {
    for seed in ["1", "2", "3", "4"] {
        for f in ["tests/data/races/truncate-guests.wl", "tests/data/races/reclaim-guests.wl"] {
            let (code, out, err) = sim(&["run", f, "--seed", seed, "-q"]);
            assert_eq!(code, Some(0), "{f} at seed {seed}:\n{out}\n{err}");
        }
    }
}
