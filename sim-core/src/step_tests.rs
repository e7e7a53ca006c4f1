//! Steps whose targets and counts are computed per instance, and touches aimed at one kind of
//! VMA, run as the program says.

use crate::program::{Action, BinOp, IntExpr, StepKind, StepTarget, Strategy, TouchScope, Trigger, Value};
use crate::testing::*;
use crate::trace::TraceKind;

const N: u32 = 4;

/// Owner `i` maps `i + 1` VMAs; closer `i` registers on `owner[pick(i)]` and unregisters again.
fn closers(pick: IntExpr) -> crate::report::PointReport {
    let mut b = Build::new(Strategy::MmLock);
    let gru = b.driver("gru", 100, false);
    let plus_one = IntExpr::Bin(Box::new(IntExpr::Index), BinOp::Add, Box::new(IntExpr::Const(1)));
    let owner = b.process(
        "owner",
        N,
        vec![
            StepKind::MmapAnon { size: Value::Const(4096), count: Value::Expr(Box::new(plus_one)) },
            StepKind::Sleep(Value::Const(5_000_000)),
        ],
    );
    let target = Some(StepTarget::Indexed(owner, pick));
    b.process(
        "closer",
        N,
        vec![
            StepKind::Sleep(Value::Const(100_000)),
            StepKind::Register { driver: gru, target: target.clone() },
            StepKind::Unregister { driver: gru, target },
        ],
    );
    b.run(1).report
}

#[test]
fn unregister_of_owner_index_pairs_each_closer_with_its_owner() {
    let reversed = IntExpr::Bin(Box::new(IntExpr::Const(i64::from(N) - 1)), BinOp::Sub, Box::new(IntExpr::Index));
    for pick in [IntExpr::Index, reversed] {
        let r = closers(pick.clone());
        assert_eq!(scalar(&r, "register.ok"), u64::from(N), "{pick:?}");
        assert_eq!(scalar(&r, "unregister.ok"), u64::from(N), "{pick:?}");
        // One lock-all per owner, each over that owner's own VMAs: 1, 2, ..., N anon_vma locks.
        assert_eq!(hist(&r, "mm_lock.locks"), (2 * u64::from(N), 1, u64::from(N)), "{pick:?}");
    }
    // Every closer on owner[0]: one mm, so the same lock count each time.
    let r = closers(IntExpr::Const(0));
    assert_eq!(hist(&r, "mm_lock.locks").1, 1);
    assert_eq!(hist(&r, "mm_lock.locks").2, 1);
}

/// The locks reclaim took after `p` touched pages of `scope` only: reclaim walks the rmap of
/// mapped pages, so a lock names the kind of VMA each page is in.
fn reclaim_locks(scope: TouchScope) -> Vec<String> {
    let mut b = Build::new(Strategy::MmLock);
    let shm = b.file("shm", 1 << 20);
    let lib = b.file("lib", 1 << 20);
    let kvm = b.driver("kvm", 100, false);
    // 300 anonymous VMAs beside one VMA of each file: most draws over the whole mm miss a file.
    b.process(
        "p",
        1,
        vec![
            anon(64 << 10, 300),
            file_map(shm, 1, true),
            file_map(lib, 1, true),
            register(kvm),
            StepKind::Touch { count: Value::Const(200), scope },
            StepKind::Sleep(Value::Const(10_000_000)),
        ],
    );
    b.action(Trigger::At(5_000_000), Action::Reclaim(Value::Const(50)));
    let run = b.run_with(2, Default::default(), true);
    let tr = run.trace.expect("trace");
    let kthread = tr.tasks.iter().position(|n| n.starts_with("kthread:")).expect("reclaim thread") as u32;
    let mut locks: Vec<String> = tr
        .records
        .iter()
        .filter_map(|&(_, t, k)| match k {
            TraceKind::Acquired(l) if t == kthread => Some(tr.locks[l as usize].clone()),
            _ => None,
        })
        .collect();
    locks.sort();
    locks.dedup();
    locks
}

#[test]
fn touch_in_file_maps_only_that_files_pages() {
    assert_eq!(reclaim_locks(TouchScope::File(0)), vec!["i_mmap_lock of \"shm\"".to_string()]);
    assert_eq!(reclaim_locks(TouchScope::File(1)), vec!["i_mmap_lock of \"lib\"".to_string()]);
}

#[test]
fn touch_in_anon_maps_only_anonymous_pages() {
    let locks = reclaim_locks(TouchScope::Anon);
    assert!(!locks.is_empty());
    assert!(locks.iter().all(|l| l.starts_with("anon_vma#")), "{locks:?}");
    // A touch of the whole mm reaches both kinds.
    let all = reclaim_locks(TouchScope::Mm);
    assert!(all.iter().any(|l| l.starts_with("anon_vma#")), "{all:?}");
}

/// A loop of mmap and munmap keeps few VMAs alive but makes a record for each: the run stops
/// at the limit on VMAs created, with its error, rather than growing without bound.
#[test]
fn a_loop_of_mmap_and_munmap_stops_at_the_vmas_created_limit() {
    let mut b = Build::new(Strategy::MmLock);
    let body = b.block(vec![anon(4096, 1), StepKind::Munmap(Some(Value::Const(1)))]);
    b.process("p", 1, vec![StepKind::Repeat { count: Value::Const(1_000), body }]);
    let limits = crate::kernel::Limits { max_vmas_created: 500, ..Default::default() };
    let run = |limits| crate::sim::run(&b.p, Default::default(), 1, limits, Default::default(), &mut |_, _| true);
    match run(limits) {
        Err(crate::sim::RunError::Limit(e)) => assert!(e.message.contains("more than 500 VMAs created"), "{e:?}"),
        Err(e) => panic!("{e:?}"),
        Ok(_) => panic!("1000 VMAs made under a limit of 500"),
    }
    assert!(run(crate::kernel::Limits { max_vmas_created: 1_000, ..limits }).is_ok());
}
