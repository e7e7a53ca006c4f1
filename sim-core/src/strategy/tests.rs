//! Each strategy on tiny mms whose answers can be worked out by hand.

use crate::cost::{Cost, COSTS};
use crate::program::{Action, StepKind, Strategy, Target, Trigger, Value};
use crate::testing::*;
use crate::trace::TraceKind;

fn c(cost: Cost) -> u64 {
    COSTS[cost as usize].default_ns
}

#[test]
fn one_merged_register_costs_what_the_formula_says() {
    let mut b = Build::new(Strategy::MmTakeAllLocks);
    let kvm = b.driver("kvm", 150, false);
    b.process("vm", 1, vec![anon(4096, 4), register(kvm), StepKind::Exit]);
    let r = b.run(1).report;
    let n = 4;
    // mmap_sem was last held by this task (mmap): warm. The mutex, the list lock and the fresh
    // anon_vma locks were never held: cold.
    let want = c(Cost::Kmalloc)
        + (c(Cost::SpinLockWarm) + c(Cost::SleepLockExtra))
        + (c(Cost::SpinLockCold) + c(Cost::SleepLockExtra))
        + 2 * n * (c(Cost::VmaStep) + c(Cost::SignalCheck))
        + n * c(Cost::SpinLockCold)
        + c(Cost::SpinLockCold)
        + c(Cost::ListOp)
        + c(Cost::SpinUnlock)
        + n * (c(Cost::VmaStep) + c(Cost::SpinUnlock))
        + 2 * c(Cost::SleepUnlock);
    assert_eq!(hist(&r, "register.latency"), (1, want, want));
    assert_eq!(scalar(&r, "register.ok"), 1);
    assert_eq!(hist(&r, "mm_lock.locks"), (1, 4, 4));
    assert_eq!(scalar(&r, "mm_lock.scan_steps"), 3 * n);
    assert_eq!(scalar(&r, "release.calls"), 1);
    // The 4 anon_vma locks and the notifier list lock.
    assert_eq!(scalar(&r, "lock.max_held"), 5);
}

/// Two private mappings of one file (one i_mmap lock, two anon_vmas), a shared mapping of a
/// second file, one anonymous VMA: v13 takes the 3 anon_vma locks in address order, then the
/// 2 i_mmap locks in address order; the merged design takes the i_mmap locks first, in VMA order.
#[test]
fn lock_order_with_shared_files_and_anon_vmas() {
    for (strategy, anon_first, sorted) in [
        (Strategy::MmLock, true, true),
        (Strategy::MmTakeAllLocks, false, false),
        (Strategy::MmLockSlow, false, true),
        (Strategy::Unsorted, true, false),
    ] {
        let mut b = Build::new(strategy);
        let f1 = b.file("f1", 8192);
        let f2 = b.file("f2", 8192);
        let kvm = b.driver("kvm", 150, false);
        b.process("p", 1, vec![file_map(f1, 2, false), file_map(f2, 1, true), anon(4096, 1), register(kvm)]);
        let run = b.run_with(3, Default::default(), true);
        let tr = run.trace.expect("trace");
        let r = run.report;
        assert_eq!(hist(&r, "mm_lock.locks"), (1, 5, 5), "{strategy:?}");
        // The rmap locks the register took, in order.
        let mut taken = Vec::new();
        let mut in_register = false;
        for (_, _, kind) in &tr.records {
            match kind {
                TraceKind::OpBegin("mmu_notifier_register") => in_register = true,
                TraceKind::OpEnd("mmu_notifier_register") => in_register = false,
                TraceKind::Acquired(l) if in_register => {
                    let name = &tr.locks[*l as usize];
                    if name.starts_with("i_mmap") || name.starts_with("anon_vma") {
                        taken.push(*l);
                    }
                }
                _ => {}
            }
        }
        assert_eq!(taken.len(), 5, "{strategy:?}: {taken:?}");
        let is_anon: Vec<bool> = taken.iter().map(|&l| tr.locks[l as usize].starts_with("anon_vma")).collect();
        let want: Vec<bool> =
            if anon_first { vec![true, true, true, false, false] } else { vec![false, false, true, true, true] };
        assert_eq!(is_anon, want, "{strategy:?}: class order");
        // Within a class: address order for the sorting designs, VMA order for the others.
        let addrs: Vec<u64> = taken.iter().map(|&l| tr.lock_addrs[l as usize]).collect();
        let classes = [&addrs[..if anon_first { 3 } else { 2 }], &addrs[if anon_first { 3 } else { 2 }..]];
        for class in classes {
            let ascending = class.windows(2).all(|w| w[0] < w[1]);
            if sorted {
                assert!(ascending, "{strategy:?} takes a class out of address order: {class:x?}");
            }
        }
        if !sorted {
            // The first VMA is the first private mapping of f1: its anon_vma (v13-order
            // designs) or f1's i_mmap lock (the merged design) is taken first.
            let first = tr.locks[taken[0] as usize].clone();
            let want = if anon_first { "anon_vma#0 lock" } else { "i_mmap_lock of \"f1\"" };
            assert_eq!(first, want, "{strategy:?} does not start with the first VMA's lock");
        }
    }
}

#[test]
fn v13_register_fails_with_enomem_when_vmalloc_is_full_and_the_merged_one_does_not() {
    for (strategy, failed) in [(Strategy::MmLock, 1), (Strategy::Unsorted, 1), (Strategy::MmTakeAllLocks, 0)] {
        let mut b = Build::new(strategy);
        b.p.machine.vmalloc_bytes = 8192;
        let kvm = b.driver("kvm", 150, false);
        b.process("p", 1, vec![anon(4096, 10), register(kvm)]);
        // One page is taken first: the two 80-byte arrays (one page and a guard each) cannot fit.
        b.action(Trigger::At(0), Action::VmallocHog(4096));
        let r = b.run(1).report;
        assert_eq!(scalar(&r, "register.failed"), failed, "{strategy:?}");
        assert_eq!(scalar(&r, "register.enomem"), failed, "{strategy:?}");
        assert_eq!(scalar(&r, "register.ok"), 1 - failed, "{strategy:?}");
        assert_eq!(scalar(&r, "release.calls"), 1 - failed, "{strategy:?}");
    }
}

#[test]
fn frequent_signals_make_only_the_merged_register_return_eintr() {
    for (strategy, eintr) in
        [(Strategy::MmTakeAllLocks, true), (Strategy::MmLock, false), (Strategy::MmLockSlow, false)]
    {
        let mut b = Build::new(strategy);
        let kvm = b.driver("kvm", 150, false);
        let p = b.process("p", 1, vec![anon(4096, 20_000), register(kvm), register(kvm), register(kvm)]);
        b.action(Trigger::Every { period_ns: 50_000, until_ns: None }, Action::Signal(Target::All(p)));
        let r = b.run(1).report;
        assert_eq!(scalar(&r, "register.eintr") > 0, eintr, "{strategy:?}");
        assert_eq!(scalar(&r, "register.ok") + scalar(&r, "register.failed"), if eintr { 3 } else { 1 });
    }
}

fn two_mms_mapping_two_files_in_opposite_orders(strategy: Strategy, shared_order: bool) -> crate::report::PointReport {
    let mut b = Build::new(strategy);
    let f1 = b.file("f1", 4096);
    let f2 = b.file("f2", 4096);
    let kvm = b.driver("kvm", 150, false);
    let second = if shared_order { [f1, f2] } else { [f2, f1] };
    b.process("a", 1, vec![file_map(f1, 1, true), file_map(f2, 1, true), register(kvm)]);
    b.process("b", 1, vec![file_map(second[0], 1, true), file_map(second[1], 1, true), register(kvm)]);
    b.run(1).report
}

#[test]
fn unsorted_locking_deadlocks_two_mms_and_names_both_locks() {
    let r = two_mms_mapping_two_files_in_opposite_orders(Strategy::Unsorted, false);
    assert_eq!(scalar(&r, "deadlock.count"), 1);
    let cycle = &r.deadlocks[0].cycle;
    assert_eq!(cycle.len(), 2);
    let mut locks: Vec<&str> = cycle.iter().map(|e| e.waits_for.as_str()).collect();
    locks.sort();
    assert_eq!(locks, vec!["i_mmap_lock of \"f1\"", "i_mmap_lock of \"f2\""]);
    assert_eq!(cycle[0].holds, cycle[1].waits_for);
    assert_eq!(r.end, crate::report::End::Deadlock);
    for strategy in [Strategy::MmLock, Strategy::MmLockSlow, Strategy::MmTakeAllLocks] {
        let r = two_mms_mapping_two_files_in_opposite_orders(strategy, false);
        assert_eq!(scalar(&r, "deadlock.count"), 0, "{strategy:?}");
        assert_eq!(scalar(&r, "register.ok"), 2, "{strategy:?}");
    }
    // Same order in both mms: no cycle even unsorted.
    let r = two_mms_mapping_two_files_in_opposite_orders(Strategy::Unsorted, true);
    assert_eq!(scalar(&r, "deadlock.count"), 0);
}

/// A register racing a truncate of a file the mm maps: with no lock covering in-flight
/// invalidations, the driver maps a page inside a window whose start it never saw.
fn register_during_truncates(strategy: Strategy, seed: u64) -> crate::report::PointReport {
    let mut b = Build::new(strategy);
    // Slow teardown makes each truncate window long enough to land in.
    b.p.machine.costs.set(crate::cost::Cost::PteZap, 500);
    let f = b.file("shm", 64 << 20);
    let kvm = b.driver("kvm", 150, false);
    let body = vec![
        file_map(f, 1, true),
        StepKind::Repeat {
            count: Value::Const(40),
            body: 1, // set below
        },
    ];
    let cycle = b.block(vec![touch(400), register(kvm), touch(20), unregister(kvm)]);
    let mut body = body;
    body[1] = StepKind::Repeat { count: Value::Const(40), body: cycle };
    b.process("p", 1, body);
    b.action(Trigger::Every { period_ns: 30_000, until_ns: None }, Action::Truncate(f));
    b.run(seed).report
}

#[test]
fn unlocked_register_misses_invalidations_and_real_strategies_never_do() {
    let missed: u64 =
        (0..5).map(|s| scalar(&register_during_truncates(Strategy::Unlocked, s), "invalidate.missed")).sum();
    assert!(missed > 0, "unlocked never missed an invalidation");
    for strategy in [Strategy::MmLock, Strategy::MmLockSlow, Strategy::MmTakeAllLocks] {
        for seed in 0..100 {
            let r = register_during_truncates(strategy, seed);
            assert_eq!(scalar(&r, "invalidate.missed"), 0, "{strategy:?} seed {seed}");
            assert_eq!(scalar(&r, "register.ok"), 40);
        }
    }
}

/// 2.6.27's exit path unlinks a notifier, then calls its ->release: while a slow ->release runs,
/// reclaim can free a page the driver still maps. The model counts that window apart from
/// missed invalidations (`release.missed`); it needs no registration race at all.
#[test]
fn reclaim_during_a_slow_release_frees_pages_the_driver_still_maps() {
    for strategy in [Strategy::MmLock, Strategy::MmTakeAllLocks] {
        let mut b = Build::new(strategy);
        let xpmem = b.driver("xpmem", 200_000, true);
        b.process("p", 1, vec![anon(1 << 20, 1), register(xpmem), touch(200), StepKind::Exit]);
        b.action(Trigger::Every { period_ns: 2_000, until_ns: None }, Action::Reclaim(Value::Const(1)));
        let r = b.run(1).report;
        assert!(scalar(&r, "release.missed") > 0, "{strategy:?}");
        assert_eq!(scalar(&r, "invalidate.missed"), 0, "{strategy:?}");
    }
}

/// exit_mmap removes VMAs while it walks them: every one is torn down, however many, so no page
/// of the dead mm is left for reclaim to find.
#[test]
fn exit_tears_down_every_vma_of_a_large_mm() {
    let mut b = Build::new(Strategy::MmTakeAllLocks);
    b.process("big", 1, vec![anon(16384, 300), touch(2000), StepKind::Exit]);
    b.process("idle", 1, vec![StepKind::Sleep(Value::Const(50_000_000))]);
    b.action(Trigger::Every { period_ns: 10_000_000, until_ns: None }, Action::Reclaim(Value::Const(1000)));
    let r = b.run(1).report;
    assert_eq!(hist(&r, "rmap.walk").0, 0, "reclaim found pages of an mm that exited");
}

/// lockdep's point: two tasks take two i_mmap locks in opposite orders 10 ms apart, so nothing
/// deadlocks, and the run still reports one possible circular dependency, naming both chains
/// with the workload lines that asked for the locks.
#[test]
fn opposite_orders_far_apart_are_a_possible_deadlock_and_not_a_deadlock() {
    let mut b = Build::new(Strategy::Unsorted);
    let fa = b.file("a", 4096);
    let fb = b.file("b", 4096);
    let kvm = b.driver("kvm", 150, false);
    b.process("first", 1, vec![file_map(fa, 1, true), file_map(fb, 1, true), register(kvm)]);
    b.process(
        "second",
        1,
        vec![file_map(fb, 1, true), file_map(fa, 1, true), StepKind::Sleep(Value::Const(10_000_000)), register(kvm)],
    );
    // Give the register steps their own lines: 3 in the first process, 14 in the second.
    b.p.blocks[0][2].line = 3;
    b.p.blocks[1][3].line = 14;
    let r = b.run(1).report;
    assert_eq!(scalar(&r, "deadlock.count"), 0);
    assert_eq!(scalar(&r, "lockdep.cycles"), 1);
    let cycle = &r.lockdep.cycles[0];
    assert_eq!(cycle.between, "locks");
    let chains: Vec<(&str, &str, u32, &str, u32)> = cycle
        .chain
        .iter()
        .map(|d| (d.task.as_str(), d.held.as_str(), d.held_line, d.acquired.as_str(), d.line))
        .collect();
    assert_eq!(
        chains,
        vec![
            ("second", "i_mmap_lock of \"b\"", 14, "i_mmap_lock of \"a\"", 14),
            ("first", "i_mmap_lock of \"a\"", 3, "i_mmap_lock of \"b\"", 3),
        ]
    );
    // Under the merged design the same orders are nested under mm_all_locks_mutex: nothing.
    b.p.strategy = Strategy::MmTakeAllLocks;
    let r = b.run(1).report;
    assert_eq!((scalar(&r, "lockdep.cycles"), scalar(&r, "lockdep.nesting")), (0, 0));
}

/// lock_stat's acquisitions add up to every lock taken, and its wait times to `lock.wait`.
#[test]
fn lock_stat_adds_up_to_the_lock_metrics() {
    let mut b = Build::new(Strategy::MmLock);
    let f = b.file("shm", 1 << 20);
    let kvm = b.driver("kvm", 150, false);
    b.process("vm", 4, vec![file_map(f, 1, true), anon(4096, 64), register(kvm), touch(200), unregister(kvm)]);
    b.action(Trigger::Every { period_ns: 20_000, until_ns: None }, Action::Reclaim(Value::Const(8)));
    let r = b.run(2).report;
    let acquisitions: u64 = r.lock_stat.iter().map(|s| s.acquisitions).sum();
    assert_eq!(acquisitions, scalar(&r, "lock.acquisitions"));
    let waited: u64 = r.lock_stat.iter().map(|s| s.waittime_total).sum();
    let (count, mean) = match r.metric("lock.wait") {
        Some(crate::report::MetricValue::Histogram(h)) => (h.count, h.mean),
        _ => panic!("lock.wait"),
    };
    assert!(count > 0, "the workload contends");
    assert!((waited as f64 - mean * count as f64).abs() < 1e-6 * waited as f64 + 1.0);
    let contentions: u64 = r.lock_stat.iter().map(|s| s.contentions).sum();
    assert!(contentions >= count);
}

/// Two tasks register one driver on one mm at once: both find it unregistered and queue for the
/// locks, the first links the driver's one notifier, the second finds it linked and adds nothing.
/// One registration, ended by one ->release, and one no-op: never two successes for one notifier.
#[test]
fn concurrent_registers_of_one_driver_link_one_notifier() {
    for strategy in [Strategy::MmLock, Strategy::MmLockSlow, Strategy::MmTakeAllLocks, Strategy::Unsorted] {
        let mut b = Build::new(strategy);
        let kvm = b.driver("kvm", 150, false);
        let owner = b.process("owner", 1, vec![anon(4096, 64), StepKind::Compute(Value::Const(2_000_000))]);
        let of_owner = StepKind::Register { driver: kvm, target: Some(Target::All(owner).into()) };
        b.process("attach", 2, vec![of_owner]);
        let r = b.run(1).report;
        assert_eq!(scalar(&r, "register.ok"), 1, "{strategy:?}");
        assert_eq!(scalar(&r, "release.calls"), 1, "{strategy:?}");
        let already: u64 =
            r.noops.iter().filter(|n| n.kind == crate::report::NoopKind::RegisterAlready).map(|n| n.count).sum();
        assert_eq!(already, 1, "{strategy:?}");
    }
}

/// Two tasks unregister one driver from one mm at once: the first unlinks the notifier, the
/// second finds nothing left and is a no-op. One unregistration, and under the merged design
/// one mmdrop() of register's mm_count pin, not two (the mm's count would go below zero).
#[test]
fn concurrent_unregisters_of_one_driver_unlink_once() {
    for strategy in [Strategy::MmLock, Strategy::MmLockSlow, Strategy::MmTakeAllLocks, Strategy::Unsorted] {
        let mut b = Build::new(strategy);
        let kvm = b.driver("kvm", 150, false);
        let owner =
            b.process("owner", 1, vec![anon(4096, 64), register(kvm), StepKind::Compute(Value::Const(3_000_000))]);
        let of_owner = StepKind::Unregister { driver: kvm, target: Some(Target::All(owner).into()) };
        b.process("detach", 2, vec![StepKind::Sleep(Value::Const(1_000_000)), of_owner]);
        let r = b.run(1).report;
        assert_eq!(scalar(&r, "register.ok"), 1, "{strategy:?}");
        assert_eq!(scalar(&r, "unregister.ok"), 1, "{strategy:?}");
        assert_eq!(scalar(&r, "release.calls"), 0, "{strategy:?}");
        let not_registered: u64 = r
            .noops
            .iter()
            .filter(|n| n.kind == crate::report::NoopKind::UnregisterNotRegistered)
            .map(|n| n.count)
            .sum();
        assert_eq!(not_registered, 1, "{strategy:?}");
        match r.metric("unregister.latency") {
            Some(crate::report::MetricValue::Histogram(h)) => assert_eq!(h.count, 1, "{strategy:?}"),
            _ => panic!("unregister.latency"),
        }
    }
}

#[test]
fn every_vma_an_mmap_step_cannot_map_at_max_map_count_counts_as_failed() {
    let mut b = Build::new(Strategy::MmLock);
    b.p.machine.max_map_count = 10;
    b.process("p", 1, vec![anon(4096, 7), anon(4096, 10), StepKind::Exit]);
    let r = b.run(1).report;
    assert_eq!(scalar(&r, "mmap.failed"), 7, "3 of the second step's 10 fit");
}
