//! mmu_notifier_register and mmu_notifier_unregister under each of the five strategies.
//!
//! One state machine runs both: take mmap_sem (and the global mutex for the merged design),
//! allocate v13's arrays, execute the strategy's lock plan (`plan`), change the notifier list,
//! execute the unlock plan, free, release. Which steps apply is the strategy's choice, step by
//! step as its kernel source does them.

pub mod plan;
pub mod sort;

use crate::cost::Cost;
use crate::kernel::locks::Mode;
use crate::kernel::mm::MmId;
use crate::kernel::notifier::{free_kept_arrays, unlink_notifier};
use crate::kernel::ops::{Micro, Mmput, Op, EINTR, ENOMEM};
use crate::kernel::task::TaskId;
use crate::kernel::vmalloc::Area;
use crate::kernel::Kernel;
use crate::metrics::Metric;
use crate::program::{DriverId, Strategy, Target};
use crate::report::NoopKind;
use crate::trace::TraceKind;
use plan::{Cursor, Plan, PlanStep};
use std::rc::Rc;

/// How many plan steps ahead a lock-all prefetches the state of the lock it will take.
const PREFETCH_AHEAD: u32 = 4;

/// The mm's lock-all plan under strategy `s`: the one it keeps, if its VMA list has not changed
/// since, else a new one, kept.
fn plan_of(k: &mut Kernel, s: Strategy, mm: MmId) -> Rc<Plan> {
    let m = k.mem.mm(mm);
    if let Some((layout, plan)) = &m.plan.0 {
        if *layout == m.layout {
            if let Ok(plan) = plan.clone().downcast::<Plan>() {
                return plan;
            }
        }
    }
    let plan = Rc::new(plan::build(k, s, mm));
    let m = k.mem.mm_mut(mm);
    m.plan.0 = Some((m.layout, plan.clone()));
    plan
}

#[derive(Hash, Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Register,
    Unregister,
}

/// `register DRIVER [of TARGET]`: one registration per target mm, in order.
#[derive(Hash)]
pub struct Register(Each);
/// `unregister DRIVER [of TARGET]`.
#[derive(Hash)]
pub struct Unregister(Each);

impl Register {
    pub fn new(driver: DriverId, target: Option<Target>) -> Register {
        Register(Each::new(Kind::Register, driver, target))
    }

    /// A register of the caller's own mm from inside its mmap: mmap_sem is taken for write
    /// first (the mmap's), held across, released after. Through `mmu_notifier_register`, a
    /// design that takes mmap_sem itself then waits for the lock its own task holds; through
    /// `__mmu_notifier_register` (`locked_entry`) it takes none.
    pub fn from_mmap(driver: DriverId, locked_entry: bool) -> Register {
        Register(Each {
            from_mmap: Some(Outer { locked_entry, taken: false }),
            ..Each::new(Kind::Register, driver, None)
        })
    }

    pub fn next(&mut self, k: &mut Kernel, t: TaskId) -> Micro {
        self.0.next(k, t)
    }
}

impl Unregister {
    pub fn new(driver: DriverId, target: Option<Target>) -> Unregister {
        Unregister(Each::new(Kind::Unregister, driver, target))
    }

    pub fn next(&mut self, k: &mut Kernel, t: TaskId) -> Micro {
        self.0.next(k, t)
    }
}

#[derive(Hash)]
struct Each {
    kind: Kind,
    driver: DriverId,
    target: Option<Target>,
    mms: Option<Vec<(MmId, bool)>>,
    i: usize,
    one: Option<Update>,
    /// Called from inside the caller's mmap, which holds its mmap_sem.
    from_mmap: Option<Outer>,
}

/// The mmap around a register from inside it.
#[derive(Hash, Clone, Copy)]
struct Outer {
    locked_entry: bool,
    /// The mmap's mmap_sem is held.
    taken: bool,
}

impl Each {
    fn new(kind: Kind, driver: DriverId, target: Option<Target>) -> Each {
        Each { kind, driver, target, mms: None, i: 0, one: None, from_mmap: None }
    }

    fn next(&mut self, k: &mut Kernel, t: TaskId) -> Micro {
        if let Some(outer) = &mut self.from_mmap {
            if !outer.taken {
                outer.taken = true;
                let Some(mm) = k.tasks[t as usize].mm else { return Micro::Done };
                return Micro::Lock { lock: k.mem.mm(mm).mmap_sem, mode: Mode::Write, before: 0 };
            }
        }
        match self.walk(k, t) {
            Micro::Done => match self.from_mmap.take() {
                // The mmap returns: its mmap_sem goes.
                Some(_) => match k.tasks[t as usize].mm {
                    Some(mm) => Micro::Unlock { lock: k.mem.mm(mm).mmap_sem, before: 0 },
                    None => Micro::Done,
                },
                None => Micro::Done,
            },
            m => m,
        }
    }

    fn walk(&mut self, k: &mut Kernel, t: TaskId) -> Micro {
        if self.mms.is_none() && self.target.is_some() {
            let found = self.target.is_some_and(|target| match self.kind {
                Kind::Unregister => !k.named(target).is_empty(),
                Kind::Register => !k.targets(target).is_empty(),
            });
            if !found {
                let kind = match self.kind {
                    Kind::Register => NoopKind::RegisterNoTarget,
                    Kind::Unregister => NoopKind::UnregisterNoTarget,
                };
                k.step_noop(t, kind);
            }
        }
        let mms = self.mms.get_or_insert_with(|| {
            let own = k.tasks[t as usize].mm;
            match self.target {
                None => own.map(|m| vec![(m, false)]).unwrap_or_default(),
                // Unregister acts on the mms it registered on, even if their owners have exited
                // since (it kept the mm pointer); register needs a live owner.
                Some(target) if self.kind == Kind::Unregister => k
                    .named(target)
                    .into_iter()
                    .filter_map(|u| k.tasks[u as usize].mm)
                    .map(|m| (m, Some(m) != own))
                    .collect(),
                Some(target) => k
                    .targets(target)
                    .into_iter()
                    .filter_map(|u| k.tasks[u as usize].mm)
                    .map(|m| (m, Some(m) != own))
                    .collect(),
            }
        });
        loop {
            if let Some(one) = &mut self.one {
                match one.next(k, t) {
                    Micro::Done => self.one = None,
                    m => return m,
                }
            }
            let Some(&(mm, foreign)) = mms.get(self.i) else { return Micro::Done };
            self.i += 1;
            let mut one = Update::new(self.kind, self.driver, mm, foreign);
            one.sem_held = self.from_mmap.is_some_and(|o| o.locked_entry);
            self.one = Some(one);
        }
    }
}

#[derive(Hash, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Pc {
    Start,
    Kmalloc,
    MmapSem,
    Mutex,
    Alloc,
    Prep,
    LockPlan,
    Critical,
    ListLocked,
    ReleaseCb,
    Released,
    UnlockPlan,
    FreeArrays,
    DropMutex,
    DropSem,
    Rcu,
    Finish,
    Unpin,
    Done,
}

/// One register or unregister of one driver on one mm.
#[derive(Hash)]
struct Update {
    kind: Kind,
    driver: DriverId,
    mm: MmId,
    foreign: bool,
    pinned: bool,
    pc: Pc,
    start: u64,
    ret: i32,
    plan: Rc<Plan>,
    cursor: Cursor,
    /// The last lock-plan step was a signal check.
    checked: bool,
    awaiting: Option<crate::kernel::locks::LockId>,
    taken: u32,
    first_lock_at: u64,
    arrays: Option<(Area, Area)>,
    /// The list change happened (for register: no other register of the driver linked it
    /// first; for merged unregister: the notifier was still linked).
    changed: bool,
    /// Skip the whole call (nothing to act on): counted in neither outcome.
    skip: bool,
    /// The caller holds mmap_sem for write (`__mmu_notifier_register`): do not take it.
    sem_held: bool,
}

impl Update {
    fn new(kind: Kind, driver: DriverId, mm: MmId, foreign: bool) -> Update {
        Update {
            kind,
            driver,
            mm,
            foreign,
            pinned: false,
            pc: Pc::Start,
            start: 0,
            ret: 0,
            plan: Rc::default(),
            cursor: Cursor::default(),
            checked: false,
            awaiting: None,
            taken: 0,
            first_lock_at: 0,
            arrays: None,
            changed: false,
            skip: false,
            sem_held: false,
        }
    }

    fn strategy(k: &Kernel) -> Strategy {
        k.strategy
    }

    /// Whether this strategy's unregister goes through the lock-all (v13 and its variants).
    fn locks_all(&self, s: Strategy) -> bool {
        match s {
            Strategy::MmLock | Strategy::Unsorted | Strategy::MmLockSlow => true,
            Strategy::MmTakeAllLocks => self.kind == Kind::Register,
            Strategy::Unlocked => false,
        }
    }

    fn next(&mut self, k: &mut Kernel, t: TaskId) -> Micro {
        let s = Self::strategy(k);
        let d = self.driver;
        loop {
            match self.pc {
                Pc::Start => {
                    self.start = k.now();
                    if !self.begin(k, t, s) {
                        self.skip = true;
                        self.pc = Pc::Unpin;
                        continue;
                    }
                    k.record(t, TraceKind::OpBegin(self.op_name()));
                    self.pc = Pc::Kmalloc;
                }
                Pc::Kmalloc => {
                    self.pc = Pc::MmapSem;
                    if s == Strategy::MmTakeAllLocks && self.kind == Kind::Register {
                        return Micro::Cpu(k.cost(Cost::Kmalloc));
                    }
                }
                Pc::MmapSem => {
                    if !self.locks_all(s) {
                        self.pc = Pc::Critical;
                        continue;
                    }
                    self.pc = Pc::Mutex;
                    if !self.sem_held {
                        return Micro::Lock { lock: k.mem.mm(self.mm).mmap_sem, mode: Mode::Write, before: 0 };
                    }
                }
                Pc::Mutex => {
                    self.pc = Pc::Alloc;
                    if s == Strategy::MmTakeAllLocks {
                        return Micro::Lock { lock: k.all_locks_mutex, mode: Mode::Write, before: 0 };
                    }
                }
                Pc::Alloc => {
                    self.pc = Pc::Prep;
                    if matches!(s, Strategy::MmLock | Strategy::Unsorted) {
                        let (ok, cost) = self.alloc_arrays(k);
                        if !ok {
                            self.ret = ENOMEM;
                            self.pc = Pc::DropSem;
                        }
                        return Micro::Cpu(cost);
                    }
                }
                Pc::Prep => {
                    self.plan = plan_of(k, s, self.mm);
                    k.metrics.add(Metric::MmLockScanSteps, self.plan.scan_steps);
                    self.pc = Pc::LockPlan;
                    if self.plan.prep_ns > 0 {
                        return Micro::Cpu(self.plan.prep_ns);
                    }
                }
                Pc::LockPlan => {
                    if let Some(l) = self.awaiting.take() {
                        // The lock is ours now.
                        k.locks.set_flag(l, true);
                        if self.taken == 0 {
                            self.first_lock_at = k.now();
                            k.tasks[t as usize].in_lock_all = true;
                        }
                        self.taken += 1;
                    }
                    if std::mem::take(&mut self.checked) && k.tasks[t as usize].signal_seen {
                        // mm_take_all_locks: `if (signal_pending(current)) goto out_unlock;`
                        self.ret = EINTR;
                        self.cursor = Cursor::default();
                        self.pc = Pc::UnlockPlan;
                        continue;
                    }
                    if let Some(l) = self.plan.lock_ahead(&self.cursor, PREFETCH_AHEAD) {
                        k.locks.prefetch(l);
                        k.lockdep.prefetch(l);
                    }
                    let Some(st) = self.plan.next_lock(&mut self.cursor) else {
                        self.cursor = Cursor::default();
                        if self.taken > 0 {
                            k.metrics.sample(Metric::MmLockLocks, self.taken as u64);
                        }
                        self.pc = Pc::Critical;
                        continue;
                    };
                    match st {
                        PlanStep::Lock { lock, before } => {
                            self.awaiting = Some(lock);
                            return Micro::Lock { lock, mode: Mode::Write, before };
                        }
                        PlanStep::Check { before } => {
                            self.checked = true;
                            return Micro::Check { before };
                        }
                        PlanStep::Cpu(ns) => return Micro::Cpu(ns),
                        PlanStep::Unlock { .. } => unreachable!("unlock step in a lock plan"),
                    }
                }
                Pc::Critical => {
                    if s == Strategy::MmTakeAllLocks {
                        // Both merged register and unregister change the list under its lock.
                        self.pc = Pc::ListLocked;
                        return Micro::Lock { lock: k.mem.mm(self.mm).list_lock, mode: Mode::Write, before: 0 };
                    }
                    self.change_list(k);
                    self.pc = Pc::UnlockPlan;
                    return Micro::Cpu(k.cost(Cost::ListOp));
                }
                Pc::ListLocked => {
                    self.change_list(k);
                    self.pc = Pc::ReleaseCb;
                    return Micro::Unlock { lock: k.mem.mm(self.mm).list_lock, before: k.cost(Cost::ListOp) };
                }
                Pc::ReleaseCb => {
                    self.pc = Pc::UnlockPlan;
                    if self.kind == Kind::Unregister && self.changed {
                        // 2.6.27 unregister calls ->release itself when it unlinks first.
                        self.pc = Pc::Released;
                        return Micro::Cpu(crate::kernel::ops::callback(k, t, d, "release"));
                    }
                }
                Pc::Released => {
                    // ->release has torn the driver's mappings down.
                    k.mem.drop_sptes_mm(self.mm, d);
                    k.mem.mm_mut(self.mm).releasing &= !(1u64 << d);
                    self.pc = Pc::UnlockPlan;
                }
                Pc::UnlockPlan => {
                    if let Some(l) = self.plan.lock_ahead(&self.cursor, PREFETCH_AHEAD) {
                        k.locks.prefetch(l);
                    }
                    let Some(st) = self.plan.next_unlock(&mut self.cursor) else {
                        if self.taken > 0 {
                            k.metrics.sample(Metric::MmLockHold, k.now() - self.first_lock_at);
                            k.tasks[t as usize].in_lock_all = false;
                        }
                        self.pc = Pc::FreeArrays;
                        continue;
                    };
                    match st {
                        PlanStep::Unlock { lock, before } => {
                            if k.locks.flag(lock) && k.locks.held_by(lock, t) {
                                k.locks.set_flag(lock, false);
                                return Micro::Unlock { lock, before };
                            }
                            if before > 0 {
                                return Micro::Cpu(before);
                            }
                        }
                        PlanStep::Cpu(ns) => return Micro::Cpu(ns),
                        _ => unreachable!("lock step in an unlock plan"),
                    }
                }
                Pc::FreeArrays => {
                    self.pc = Pc::DropMutex;
                    if let Some((a, b)) = self.arrays.take() {
                        let keep = k.p.options.keep_lock_data && self.kind == Kind::Register && self.ret == 0;
                        if keep {
                            k.mem.mm_mut(self.mm).notifiers[d as usize].kept = Some((a, b));
                        } else {
                            let cost = k.vfree_cost(a).saturating_add(k.vfree_cost(b));
                            k.vfree(a, true);
                            k.vfree(b, true);
                            return Micro::Cpu(cost);
                        }
                    }
                }
                Pc::DropMutex => {
                    self.pc = Pc::DropSem;
                    if s == Strategy::MmTakeAllLocks && self.locks_all(s) {
                        return Micro::Unlock { lock: k.all_locks_mutex, before: 0 };
                    }
                }
                Pc::DropSem => {
                    self.pc = Pc::Rcu;
                    if self.locks_all(s) && !self.sem_held {
                        return Micro::Unlock { lock: k.mem.mm(self.mm).mmap_sem, before: 0 };
                    }
                }
                Pc::Rcu => {
                    self.pc = Pc::Finish;
                    if s == Strategy::MmTakeAllLocks && self.kind == Kind::Unregister {
                        // synchronize_rcu(), then mmdrop() of register's mm_count pin.
                        k.mem.mm_mut(self.mm).count -= 1;
                        return Micro::Sleep(k.cost(Cost::RcuGrace));
                    }
                }
                Pc::Finish => {
                    self.finish(k, t);
                    self.pc = Pc::Unpin;
                }
                Pc::Unpin => {
                    self.pc = Pc::Done;
                    if self.pinned {
                        return Micro::Call(Op::Mmput(Mmput::new(self.mm)));
                    }
                }
                Pc::Done => return Micro::Done,
            }
        }
    }

    fn op_name(&self) -> &'static str {
        match self.kind {
            Kind::Register => "mmu_notifier_register",
            Kind::Unregister => "mmu_notifier_unregister",
        }
    }

    /// Pins the mm where the caller must and decides whether there is anything to do; a call
    /// with nothing to do is a no-op of the step (not one that races with ->release: that is
    /// counted as the race).
    fn begin(&mut self, k: &mut Kernel, t: TaskId, s: Strategy) -> bool {
        let noop = self.nothing_to_do(k, s);
        if let Some(kind) = noop {
            k.step_noop(t, kind);
        }
        let go = self.decide(k, s);
        assert_eq!(go, noop.is_none() && !self.race_skip(k, s), "a call skipped is a no-op or a race, never both");
        go
    }

    /// Why this call will find nothing to act on, if it will; read before `decide` changes the
    /// mm's state.
    fn nothing_to_do(&self, k: &Kernel, s: Strategy) -> Option<NoopKind> {
        let m = k.mem.mm(self.mm);
        let slot = m.notifiers[self.driver as usize];
        match self.kind {
            Kind::Register if self.foreign && (m.users == 0 || m.exiting) => Some(NoopKind::RegisterNoTarget),
            Kind::Register if slot.registered => Some(NoopKind::RegisterAlready),
            Kind::Register => None,
            Kind::Unregister if s == Strategy::MmTakeAllLocks => {
                (!slot.mm_count_pin).then_some(NoopKind::UnregisterNotRegistered)
            }
            Kind::Unregister if self.foreign && k.p.options.unregister_pins_mm && (m.users == 0 || m.exiting) => {
                Some(NoopKind::UnregisterMmGone)
            }
            Kind::Unregister if self.race_skip(k, s) => None,
            Kind::Unregister => (!slot.registered).then_some(NoopKind::UnregisterNotRegistered),
        }
    }

    /// An unpinned v13 unregister from another task that finds the owner exiting or gone after
    /// registering there: the race, not a no-op.
    fn race_skip(&self, k: &Kernel, s: Strategy) -> bool {
        let m = k.mem.mm(self.mm);
        let slot = m.notifiers[self.driver as usize];
        self.kind == Kind::Unregister
            && s != Strategy::MmTakeAllLocks
            && self.foreign
            && !k.p.options.unregister_pins_mm
            && (m.exiting || m.gone)
            && (slot.registered || slot.ever_registered)
    }

    /// Pins the mm where the caller must and decides whether there is anything to do.
    fn decide(&mut self, k: &mut Kernel, s: Strategy) -> bool {
        let d = self.driver as usize;
        let m = k.mem.mm(self.mm);
        match self.kind {
            Kind::Register => {
                if self.foreign {
                    // get_task_mm(): register needs mm_users > 0.
                    if m.users == 0 || m.exiting {
                        return false;
                    }
                    k.mem.mm_mut(self.mm).users += 1;
                    self.pinned = true;
                }
                !k.mem.mm(self.mm).notifiers[d].registered
            }
            Kind::Unregister => {
                let slot = m.notifiers[d];
                if s == Strategy::MmTakeAllLocks {
                    // The mm_count pin taken by register keeps the mm; the list lock and the
                    // hlist_unhashed test make unregister and ->release run ->release once.
                    // This call owns the pin from here (its mmdrop() ends it): a second
                    // unregister of the notifier meanwhile finds none and does nothing, where
                    // the kernel would mmdrop() once too often.
                    k.mem.mm_mut(self.mm).notifiers[d].mm_count_pin = false;
                    return slot.mm_count_pin;
                }
                if self.foreign && k.p.options.unregister_pins_mm {
                    if m.users == 0 || m.exiting {
                        return false;
                    }
                    k.mem.mm_mut(self.mm).users += 1;
                    self.pinned = true;
                    return k.mem.mm(self.mm).notifiers[d].registered;
                }
                if self.foreign {
                    // No mm_users reference: the owner may be exiting or gone.
                    if m.exiting || m.gone {
                        if slot.registered || slot.ever_registered {
                            k.metrics.inc(Metric::RaceUnregisterRelease);
                        }
                        return false;
                    }
                    if slot.registered {
                        k.mem.mm_mut(self.mm).notifiers[d].unregistering = true;
                    }
                }
                slot.registered
            }
        }
    }

    /// vmalloc of mm_lock's two arrays of 8-byte lock pointers (none for an empty mm): whether
    /// both fit (false is -ENOMEM) and the CPU time spent, a failed search included.
    fn alloc_arrays(&mut self, k: &mut Kernel) -> (bool, u64) {
        let n = k.mem.mm(self.mm).map_count as u64;
        if n == 0 {
            return (true, 0);
        }
        let bytes = 8 * n;
        let d = self.driver as usize;
        if self.kind == Kind::Unregister {
            if let Some((a, b)) = k.mem.mm_mut(self.mm).notifiers[d].kept.take() {
                if a.bytes() >= bytes + crate::kernel::vmalloc::PAGE {
                    self.arrays = Some((a, b));
                    return (true, 0);
                }
                k.vfree(a, true);
                k.vfree(b, true);
            }
        }
        let failed_search = k.cost(Cost::VmallocCall);
        let Some(a) = k.vmalloc(bytes, true) else { return (false, failed_search) };
        let Some(b) = k.vmalloc(bytes, true) else {
            let cost = k.vmalloc_cost(bytes).saturating_add(failed_search).saturating_add(k.vfree_cost(a));
            k.vfree(a, true);
            return (false, cost);
        };
        self.arrays = Some((a, b));
        (true, k.vmalloc_cost(bytes).saturating_mul(2))
    }

    fn change_list(&mut self, k: &mut Kernel) {
        if self.ret != 0 {
            return;
        }
        let d = self.driver;
        let merged = k.strategy == Strategy::MmTakeAllLocks;
        match self.kind {
            Kind::Register => {
                let m = k.mem.mm_mut(self.mm);
                let slot = &mut m.notifiers[d as usize];
                if slot.registered {
                    // Another register of the driver won while this one took its locks: the
                    // driver has one notifier per mm, so this one has nothing to add.
                    return;
                }
                slot.registered = true;
                slot.ever_registered = true;
                slot.active = 0;
                if merged {
                    slot.mm_count_pin = true;
                    m.count += 1;
                }
                m.registered |= 1 << d;
                m.had_notifiers = true;
                self.changed = true;
            }
            Kind::Unregister => {
                let slot = k.mem.mm(self.mm).notifiers[d as usize];
                if slot.registered {
                    unlink_notifier(k, self.mm, d, false);
                    if merged {
                        // ->release follows the unlink, outside every rmap lock.
                        k.mem.mm_mut(self.mm).releasing |= 1u64 << d;
                    } else {
                        // Under the lock-all no rmap walk runs: the teardown is at once.
                        k.mem.drop_sptes_mm(self.mm, d);
                    }
                    self.changed = true;
                }
                free_kept_arrays(k, self.mm, d);
            }
        }
    }

    fn finish(&mut self, k: &mut Kernel, t: TaskId) {
        let latency = k.now() - self.start;
        k.record(t, TraceKind::OpEnd(self.op_name()));
        match self.kind {
            Kind::Register => {
                if self.ret == 0 && !self.changed {
                    k.step_noop(t, NoopKind::RegisterAlready);
                    return;
                }
                k.metrics.sample(Metric::RegisterLatency, latency);
                if self.ret == 0 {
                    k.metrics.inc(Metric::RegisterOk);
                } else {
                    k.metrics.inc(Metric::RegisterFailed);
                    k.metrics.inc(if self.ret == EINTR { Metric::RegisterEintr } else { Metric::RegisterEnomem });
                }
            }
            Kind::Unregister => {
                // The flags are an unregister's own: a register in flight holds an mm_users
                // reference, so no ->release can run under it.
                let slot = &mut k.mem.mm_mut(self.mm).notifiers[self.driver as usize];
                let raced = std::mem::take(&mut slot.raced);
                slot.unregistering = false;
                if raced {
                    // ->release unlinked it under us: the race is already counted.
                    return;
                }
                if self.ret == 0 && !self.changed && k.strategy != Strategy::MmTakeAllLocks {
                    // Another unregister of the driver unlinked it while this one took its
                    // locks: nothing was left to remove. (The merged design's unregister that
                    // finds ->release has unlinked it still drops register's mm_count pin: that
                    // is its work, not a no-op.)
                    k.step_noop(t, NoopKind::UnregisterNotRegistered);
                    return;
                }
                k.metrics.sample(Metric::UnregisterLatency, latency);
                if self.ret != 0 {
                    k.metrics.inc(Metric::UnregisterFailed);
                } else if self.changed {
                    k.metrics.inc(Metric::UnregisterOk);
                }
            }
        }
    }
}
#[cfg(test)]
mod tests;
