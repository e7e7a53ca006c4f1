//! Property tests of the model's invariants over random small workloads.

use crate::program::{Action, Options, StepKind, Strategy as Design, Target, Trigger, Value};
use crate::report::End;
use crate::testing::*;
use proptest::prelude::*;

fn step() -> impl Strategy<Value = StepKind> {
    prop_oneof![
        (1u64..6).prop_map(|n| anon(8192, n)),
        (1u64..4, any::<bool>()).prop_map(|(n, shared)| file_map(0, n, shared)),
        Just(register(0)),
        Just(register(1)),
        Just(unregister(0)),
        Just(unregister(1)),
        (1u64..20).prop_map(touch),
        (1u64..3).prop_map(|n| StepKind::Munmap(Some(Value::Const(n)))),
        (1u64..3).prop_map(|n| StepKind::Mprotect(Value::Const(n))),
        (1u64..50_000).prop_map(|ns| StepKind::Compute(Value::Const(ns))),
        Just(StepKind::Unregister { driver: 0, target: Some(Target::All(0).into()) }),
        Just(StepKind::Register { driver: 0, target: Some(Target::All(0).into()) }),
    ]
}

fn real_strategy() -> impl Strategy<Value = Design> {
    prop_oneof![Just(Design::MmLock), Just(Design::MmLockSlow), Just(Design::MmTakeAllLocks)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Every successful registration ends exactly once — by a successful unregister or by
    /// ->release at exit — and no notifier is left registered when every process has exited.
    #[test]
    fn every_registration_ends_exactly_once(
        strategy in real_strategy(),
        a in proptest::collection::vec(step(), 1..12),
        b in proptest::collection::vec(step(), 1..12),
        kill_at in proptest::option::of(1u64..200_000),
        truncate in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let mut bld = Build::new(strategy);
        bld.p.options = Options { unregister_pins_mm: true, ..Options::default() };
        bld.file("f", 65536);
        bld.driver("kvm", 150, false);
        bld.driver("xpmem", 1000, true);
        bld.process("a", 2, a);
        bld.process("b", 1, b);
        if let Some(t) = kill_at {
            bld.action(Trigger::At(t), Action::Kill(Target::One(0, 1)));
        }
        if truncate {
            bld.action(Trigger::Every { period_ns: 20_000, until_ns: Some(2_000_000) }, Action::Truncate(0));
        }
        bld.action(Trigger::Every { period_ns: 7_000, until_ns: Some(2_000_000) }, Action::Reclaim(Value::Const(2)));
        let r = bld.run(seed).report;
        prop_assert_eq!(r.end, End::Completed);
        // Every no-op is counted once, under its line and kind.
        prop_assert_eq!(scalar(&r, "steps.noop"), r.noops.iter().map(|n| n.count).sum::<u64>());
        prop_assert_eq!(scalar(&r, "race.unregister_release"), 0);
        prop_assert_eq!(scalar(&r, "deadlock.count"), 0);
        prop_assert_eq!(scalar(&r, "invalidate.missed"), 0);
        prop_assert_eq!(
            scalar(&r, "register.ok"),
            scalar(&r, "unregister.ok") + scalar(&r, "release.calls"),
            "registrations {} != unregisters {} + releases {}",
            scalar(&r, "register.ok"), scalar(&r, "unregister.ok"), scalar(&r, "release.calls")
        );
    }
}
