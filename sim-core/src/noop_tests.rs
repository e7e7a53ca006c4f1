//! Steps and actions that find nothing to act on: each kind is counted in `steps.noop` and
//! listed under its line, and a step that acts is not.

use crate::program::{Action, StepKind, Strategy, Target, Trigger, Value};
use crate::report::{NoopKind, PointReport};
use crate::testing::*;

fn kinds(r: &PointReport) -> Vec<(NoopKind, u64)> {
    r.noops.iter().map(|n| (n.kind, n.count)).collect()
}

fn lines(b: &mut Build, block: usize) {
    // Number the steps of a block 10, 11, 12, ... so a no-op names its own.
    for (i, s) in b.p.blocks[block].iter_mut().enumerate() {
        s.line = 10 + i as u32;
    }
}

#[test]
fn steps_in_an_empty_mm_are_noops_and_steps_that_act_are_not() {
    for strategy in [Strategy::MmLock, Strategy::MmTakeAllLocks] {
        let mut b = Build::new(strategy);
        b.driver("kvm", 150, false);
        b.process(
            "p",
            1,
            vec![
                touch(3),
                StepKind::Munmap(Some(Value::Const(2))),
                StepKind::Mprotect(Value::Const(2)),
                unregister(0),
                anon(8192, 2),
                touch(3),
                register(0),
                register(0),
                unregister(0),
                unregister(0),
                StepKind::Munmap(None),
                StepKind::Munmap(None),
            ],
        );
        lines(&mut b, 0);
        let r = b.run(1).report;
        let want = vec![
            (NoopKind::TouchNoVma, 1),
            (NoopKind::MunmapNoVma, 1),
            (NoopKind::MprotectNoVma, 1),
            (NoopKind::UnregisterNotRegistered, 1),
            (NoopKind::RegisterAlready, 1),
            (NoopKind::UnregisterNotRegistered, 1),
            (NoopKind::MunmapNoVma, 1),
        ];
        assert_eq!(kinds(&r), want, "{strategy:?}");
        let at: Vec<u32> = r.noops.iter().map(|n| n.line).collect();
        assert_eq!(at, [10, 11, 12, 13, 17, 19, 21], "{strategy:?}");
        assert_eq!(scalar(&r, "steps.noop"), 7);
        assert_eq!(scalar(&r, "register.ok"), 1);
        assert_eq!(scalar(&r, "unregister.ok"), 1);
        // First times are in order: the run goes forward.
        assert!(r.noops.windows(2).all(|w| w[0].first_time_ns <= w[1].first_time_ns));
    }
}

#[test]
fn a_step_repeated_over_nothing_counts_each_time_under_one_entry() {
    let mut b = Build::new(Strategy::MmLock);
    let body = b.block(vec![touch(1)]);
    b.process("p", 1, vec![StepKind::Repeat { count: Value::Const(5), body }]);
    let r = b.run(1).report;
    assert_eq!(kinds(&r), [(NoopKind::TouchNoVma, 5)]);
    assert_eq!(scalar(&r, "steps.noop"), 5);
}

#[test]
fn register_of_a_target_that_does_not_exist_yet_is_a_noop() {
    let mut b = Build::new(Strategy::MmLock);
    b.driver("kvm", 150, false);
    b.process("qemu", 1, Vec::new());
    // Target 1 is the fork child `vcpu`, created by the fork after the register.
    b.p.targets.push("vcpu".into());
    let child = b.block(vec![anon(8192, 1), StepKind::Sleep(Value::Const(1_000_000))]);
    let body = b.block(vec![
        anon(8192, 4),
        StepKind::Register { driver: 0, target: Some(Target::All(1).into()) },
        StepKind::Fork { name: Some(1), body: child },
        StepKind::Sleep(Value::Const(100_000)),
        StepKind::Register { driver: 0, target: Some(Target::All(1).into()) },
        StepKind::Unregister { driver: 0, target: Some(Target::All(1).into()) },
    ]);
    b.p.processes[0].body = body;
    let r = b.run(1).report;
    assert_eq!(kinds(&r), [(NoopKind::RegisterNoTarget, 1)]);
    assert_eq!(scalar(&r, "register.ok"), 1);
    assert_eq!(scalar(&r, "unregister.ok"), 1);
}

#[test]
fn actions_with_no_target_page_file_or_hog_are_noops() {
    let mut b = Build::new(Strategy::MmLock);
    b.file("f", 65536);
    b.process("p", 1, vec![anon(8192, 1), StepKind::Sleep(Value::Const(50_000))]);
    b.process("q", 1, vec![StepKind::Sleep(Value::Const(500_000))]);
    let at = |t| Trigger::At(t);
    b.action(at(10_000), Action::Reclaim(Value::Const(4)));
    b.action(at(10_000), Action::Truncate(0));
    b.action(at(10_000), Action::VmallocFree(4096));
    b.action(at(100_000), Action::Signal(Target::All(0)));
    b.action(at(100_000), Action::OomKill(Target::All(0)));
    b.action(at(100_000), Action::Kill(Target::All(0)));
    // These act: q is alive, and the hog is there to free.
    b.action(at(200_000), Action::VmallocHog(8192));
    b.action(at(300_000), Action::VmallocFree(4096));
    b.action(at(300_000), Action::Signal(Target::All(1)));
    for (i, a) in b.p.actions.iter_mut().enumerate() {
        a.line = 100 + i as u32;
    }
    let r = b.run(1).report;
    let mut got: Vec<(u32, NoopKind)> = r.noops.iter().map(|n| (n.line, n.kind)).collect();
    got.sort();
    assert_eq!(
        got,
        [
            (100, NoopKind::ReclaimNoPage),
            (101, NoopKind::TruncateUnmapped),
            (102, NoopKind::VmallocFreeNothingHeld),
            (103, NoopKind::SignalNoTarget),
            (104, NoopKind::OomKillNoTarget),
            (105, NoopKind::KillNoTarget),
        ]
    );
    assert_eq!(scalar(&r, "steps.noop"), 6);
}

#[test]
fn unregister_from_another_task_after_the_owner_exited() {
    let mut b = Build::new(Strategy::MmLock);
    b.driver("kvm", 150, false);
    b.process("owner", 1, vec![anon(8192, 2), register(0), StepKind::Compute(Value::Const(1000))]);
    b.process(
        "other",
        1,
        vec![
            StepKind::Sleep(Value::Const(2_000_000)),
            StepKind::Unregister { driver: 0, target: Some(Target::All(0).into()) },
            StepKind::Unregister { driver: 0, target: Some(Target::All(7).into()) },
        ],
    );
    b.p.targets.extend((2..=7).map(|i| format!("t{i}")));
    let r = b.run(1).report;
    // With the pin (the default), the caller finds the mm gone; a target never created is none.
    assert_eq!(kinds(&r), [(NoopKind::UnregisterMmGone, 1), (NoopKind::UnregisterNoTarget, 1)]);
    assert_eq!(scalar(&r, "release.calls"), 1);
    // Without it, the unregister after the owner's exit is the race, counted as such, not a no-op.
    b.p.options.unregister_pins_mm = false;
    let r = b.run(1).report;
    assert_eq!(kinds(&r), [(NoopKind::UnregisterNoTarget, 1)]);
    assert_eq!(scalar(&r, "race.unregister_release"), 1);
}
