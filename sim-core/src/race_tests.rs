//! Registrations placed inside long invalidations of each path that invalidates a range: under
//! `unlocked` the paths that leave faults open during their window (truncate; reclaim when it
//! brackets the unmap) let a late driver keep a stale mapping at some seed, and the lock-all
//! strategies never do; paths under `mmap_sem` for write close the window to faults whatever
//! the strategy (the model chapter's table of paths says why).

use crate::cost::Cost;
use crate::program::{Action, ReclaimNotify, StepKind, Strategy, Target, Trigger, Value};
use crate::testing::*;
use proptest::prelude::*;

const LOCKING: [Strategy; 4] = [Strategy::MmLock, Strategy::MmLockSlow, Strategy::MmTakeAllLocks, Strategy::Unsorted];
const SEEDS: u64 = 10;

/// The missed invalidations of `build` under `strategy`, at each seed.
fn missed(build: &dyn Fn(Strategy) -> Build, strategy: Strategy) -> Vec<u64> {
    (0..SEEDS).map(|seed| scalar(&build(strategy).run(seed).report, "invalidate.missed")).collect()
}

/// `unlocked` misses at some seed, the lock-alls at none.
fn races_only_unlocked(build: &dyn Fn(Strategy) -> Build) -> Result<(), TestCaseError> {
    let unlocked = missed(build, Strategy::Unlocked);
    prop_assert!(unlocked.iter().any(|&m| m > 0), "unlocked never missed: {unlocked:?}");
    for s in LOCKING {
        let m = missed(build, s);
        prop_assert!(m.iter().all(|&m| m == 0), "{s:?} missed: {m:?}");
    }
    Ok(())
}

/// No strategy misses: the window is closed to the drivers' faults.
fn never_races(build: &dyn Fn(Strategy) -> Build) -> Result<(), TestCaseError> {
    for s in LOCKING.into_iter().chain([Strategy::Unlocked]) {
        let m = missed(build, s);
        prop_assert!(m.iter().all(|&m| m == 0), "{s:?} missed: {m:?}");
    }
    Ok(())
}

/// A process of `setup` steps, then `rounds` of touch / register / touch / unregister.
fn guest(b: &mut Build, setup: Vec<StepKind>, rounds: u64, touches: u64) {
    let round = b.block(vec![touch(touches), register(0), touch(touches), unregister(0)]);
    let mut steps = setup;
    steps.push(StepKind::Repeat { count: Value::Const(rounds), body: round });
    b.process("guest", 1, steps);
}

proptest! {
    // A fixed seed: each case is decided over many seeds of the model already; the cases
    // themselves should not change between runs.
    #![proptest_config(ProptestConfig { cases: 8, rng_seed: proptest::test_runner::RngSeed::Fixed(11), ..ProptestConfig::default() })]

    /// truncate holds only the file's i_mmap_lock: faults go on inside its window, which lasts
    /// as long as the teardown of the pages present (a few microseconds here: a 4 MB file or
    /// more, with enough pages touched between truncates that a fault fits inside).
    #[test]
    fn truncate_races_an_unlocked_register(pages in 1024u64..4096, period_us in 100u64..200, touches in 32u64..96) {
        races_only_unlocked(&|s| {
            let mut b = Build::new(s);
            let f = b.file("ram", pages * 4096);
            b.driver("kvm", 200, false);
            guest(&mut b, vec![file_map(f, 1, true)], 60, touches);
            b.action(Trigger::Every { period_ns: period_us * 1000, until_ns: None }, Action::Truncate(f));
            b
        })?;
    }

    /// Reclaim that brackets the unmap with range notifications leaves a window the length of
    /// one page's rmap walk: a small working set reclaimed often, with slow walks, hits it.
    #[test]
    fn bracketed_reclaim_races_an_unlocked_register(walk_us in 20u64..60, pages in 2u64..8) {
        races_only_unlocked(&|s| {
            let mut b = Build::new(s);
            b.p.options.reclaim_notify = ReclaimNotify::Range;
            b.p.machine.costs.set(Cost::RmapWalk, walk_us * 1000);
            b.driver("kvm", 200, false);
            guest(&mut b, vec![anon(pages * 4096, 1)], 1000, pages);
            b.action(Trigger::Every { period_ns: 3 * walk_us * 1000, until_ns: None }, Action::Reclaim(Value::Const(1)));
            b
        })?;
    }

    /// 2.6.27's reclaim clears the pte before it calls the notifiers: a late one cannot map it.
    #[test]
    fn reclaim_that_clears_first_never_races(walk_us in 20u64..60, pages in 2u64..8) {
        never_races(&|s| {
            let mut b = Build::new(s);
            b.p.machine.costs.set(Cost::RmapWalk, walk_us * 1000);
            b.driver("kvm", 200, false);
            guest(&mut b, vec![anon(pages * 4096, 1)], 1000, pages);
            b.action(Trigger::Every { period_ns: 3 * walk_us * 1000, until_ns: None }, Action::Reclaim(Value::Const(1)));
            b
        })?;
    }

    /// munmap, mprotect and fork's COW run under mmap_sem for write, with slow teardowns, while
    /// another task registers on the mm: faults wait for mmap_sem, so the window is closed.
    #[test]
    fn paths_under_mmap_sem_never_race(vmas in 4u64..16, pte_us in 1u64..10) {
        never_races(&|s| {
            let mut b = Build::new(s);
            b.p.machine.costs.set(Cost::PteZap, pte_us * 1000);
            b.p.machine.costs.set(Cost::PteCopy, pte_us * 1000);
            b.driver("kvm", 200, false);
            let child = b.block(vec![StepKind::Exit]);
            let round = b.block(vec![
                anon(64 * 1024, vmas),
                touch(8 * vmas),
                StepKind::Mprotect(Value::Const(vmas)),
                StepKind::Fork { name: None, body: child },
                touch(4 * vmas),
                StepKind::Munmap(Some(Value::Const(vmas))),
            ]);
            let owner = b.process("owner", 1, vec![StepKind::Repeat { count: Value::Const(8), body: round }]);
            let reg = b.block(vec![
                StepKind::Register { driver: 0, target: Some(Target::All(owner).into()) },
                StepKind::Sleep(Value::Const(30_000)),
                StepKind::Unregister { driver: 0, target: Some(Target::All(owner).into()) },
                StepKind::Sleep(Value::Uniform(1_000, 20_000)),
            ]);
            b.process("attacher", 1, vec![StepKind::Repeat { count: Value::Const(40), body: reg }]);
            b
        })?;
    }
}
