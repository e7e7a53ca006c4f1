//! The kernel model's state and its primitive actions: tasks on CPUs, locks with their
//! accounting, memory objects, the vmalloc arena, signals. Operations (`ops`) and strategies
//! (`crate::strategy`) are built from these.

pub mod lock_stat;
pub mod lockdep;
pub mod locks;
pub mod mm;
pub mod notifier;
pub mod ops;
pub mod ptes;
pub mod task;
pub mod vmalloc;
pub mod weights;

use crate::cost::{Cost, Costs};
use crate::engine::{ChoiceKind, Entity, Event, Nanos, Scheduler, Stream};
use crate::metrics::{Collector, Metric};
use crate::program::{Program, Strategy, TargetId};
use crate::report::{DeadlockEdge, DeadlockReport};
use crate::trace::{Trace, TraceKind};
use locks::{Acquire, Granted, LockClass, LockId, LockTable, Mode, Sync};
use mm::{AnonVmaId, Memory, MmId};
use std::collections::VecDeque;
use task::{Kind, Pending, State, Task, TaskId};
use vmalloc::{Area, Arena};

/// Hints the CPU to bring `x` into cache: for state a walk will reach a few steps later. It
/// reads nothing and changes nothing.
#[inline]
pub fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch only hints the cache; it reads nothing, cannot fault, and the address is
    // that of a live reference.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>((x as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// Event kinds of the model.
pub const EV_WAKE: u8 = 1;
pub const EV_ACTION: u8 = 2;

/// Stream domains: each entity's draws come from its own stream.
pub mod domain {
    pub const PROCESS: u64 = 1;
    pub const CHILD: u64 = 2;
    pub const ACTOR: u64 = 3;
    pub const SLAB: u64 = 4;
    pub const FILE: u64 = 5;
}

/// Host-side limits of one run.
#[derive(Hash, Clone, Copy, Debug)]
pub struct Limits {
    pub max_events: u64,
    pub until_ns: Option<u64>,
    /// VMAs alive at once across all mms (host memory bound).
    pub max_live_vmas: u64,
    /// VMAs created over the run, unmapped ones included: a VMA's record is not reused, so
    /// a loop of mmap and munmap (or of forks) holds memory for every one it made.
    pub max_vmas_created: u64,
    /// Tasks created (host memory bound).
    pub max_tasks: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_events: 200_000_000,
            until_ns: None,
            max_live_vmas: 4_000_000,
            max_vmas_created: 6_000_000,
            max_tasks: 200_000,
        }
    }
}

/// A run stopped for exceeding a host limit: reported as an error, with the step's line.
#[derive(Hash, Clone, Debug, PartialEq, Eq)]
pub struct LimitError {
    pub line: u32,
    pub message: String,
}

pub struct Kernel<'p> {
    pub p: &'p Program,
    pub strategy: Strategy,
    pub sched: Scheduler,
    pub costs: Costs,
    pub seed: u64,
    pub limits: Limits,
    pub tasks: Vec<Task>,
    pub locks: LockTable,
    pub mem: Memory,
    /// CPUs given back, taken again last-freed first; `next_cpu` and up have never been used.
    pub free_cpus: Vec<u32>,
    pub next_cpu: u32,
    pub runqueue: VecDeque<TaskId>,
    pub arena: Arena,
    pub pinned_bytes: u64,
    pub hogs: Vec<Area>,
    pub vmalloc_series: Vec<[u64; 2]>,
    pub metrics: Collector,
    pub deadlocks: Vec<DeadlockReport>,
    pub all_locks_mutex: LockId,
    /// Tasks of each target name, in creation order.
    pub by_target: Vec<Vec<TaskId>>,
    /// Process tasks that can still make progress; the run ends when none is left.
    pub live_processes: u32,
    /// Scratch for a release's hand-off, refilled at each one: not part of the state.
    granted: Vec<Granted>,
    /// Anchored `at` actions already fired.
    pub anchor_fired: Vec<bool>,
    pub trace: Option<Trace>,
    pub limit_error: Option<LimitError>,
    pub lockdep: lockdep::Lockdep,
    pub lock_stats: lock_stat::LockStats,
    /// Epoch marks per lock, for de-duplicating locks while building a plan.
    pub lock_mark: Vec<u32>,
    pub mark_epoch: u32,
    /// VMAs' room the processes' mms may still reserve (see [`Kernel::new`]).
    reserve_budget: u64,
}

impl<'p> Kernel<'p> {
    /// `lock_stat_instances`: keep lock_stat per lock, not only per class; `lockdep`: run the
    /// lock-order validator (false: it records nothing, and its metrics are not measured).
    pub fn new(
        p: &'p Program,
        seed: u64,
        limits: Limits,
        trace: bool,
        lock_stat_instances: bool,
        lockdep: bool,
    ) -> Kernel<'p> {
        let mut locks = LockTable::default();
        let all_locks_mutex = locks.add(LockClass::AllLocksMutex, Sync::Mutex, 0, 0);
        let mut k = Kernel {
            p,
            strategy: p.strategy,
            sched: Scheduler::new(),
            costs: p.machine.costs.clone(),
            seed,
            limits,
            tasks: Vec::new(),
            locks,
            mem: Memory::default(),
            free_cpus: Vec::new(),
            next_cpu: 0,
            runqueue: VecDeque::new(),
            arena: Arena::new(p.machine.vmalloc_bytes),
            pinned_bytes: 0,
            hogs: Vec::new(),
            vmalloc_series: vec![[0, 0]],
            metrics: Collector::default(),
            deadlocks: Vec::new(),
            all_locks_mutex,
            by_target: vec![Vec::new(); p.targets.len()],
            live_processes: 0,
            granted: Vec::new(),
            anchor_fired: vec![false; p.actions.len()],
            trace: trace.then(Trace::default),
            limit_error: None,
            lockdep: if lockdep { lockdep::Lockdep::default() } else { lockdep::Lockdep::disabled() },
            lock_stats: lock_stat::LockStats::new(lock_stat_instances),
            lock_mark: Vec::new(),
            mark_epoch: 0,
            reserve_budget: 0,
        };
        // Room for the VMAs the processes map by constant counts (and an anon_vma and its lock
        // each), so the tables do not grow, copying themselves, as the run maps them. The lock
        // table also holds each file's i_mmap lock and each mm's mmap_sem and notifier-list
        // lock: without room for them, the last few anon_vma locks would double it.
        let vmas = (0..p.processes.len())
            .map(|i| u64::from(p.processes[i].instances).saturating_mul(p.vmas_mapped(i)))
            .fold(0, u64::saturating_add)
            .min(limits.max_live_vmas) as usize;
        let mms = p.processes.iter().map(|d| d.instances as usize).sum::<usize>().min(limits.max_tasks as usize);
        let locks = vmas + p.files.len() + 2 * mms;
        k.mem.reserve(vmas);
        k.locks.reserve(locks);
        k.lockdep.reserve(k.locks.len() + locks);
        k.reserve_budget = vmas as u64;
        for (i, f) in p.files.iter().enumerate() {
            let mut rng = Stream::new(seed, Entity::new(domain::FILE, i as u64, 0));
            let lock = Self::add_rmap_lock(&mut k.locks, p, LockClass::IMmap, i as u32, &mut rng);
            k.mem.files.push(mm::File {
                name: f.name.clone(),
                pages: f.size_bytes.div_ceil(vmalloc::PAGE),
                lock,
                vmas: Default::default(),
            });
        }
        k
    }

    #[inline]
    pub fn now(&self) -> Nanos {
        self.sched.now()
    }

    #[inline]
    pub fn cost(&self, c: Cost) -> u64 {
        self.costs.get(c)
    }

    pub fn task(&self, t: TaskId) -> &Task {
        &self.tasks[t as usize]
    }

    pub fn task_mut(&mut self, t: TaskId) -> &mut Task {
        &mut self.tasks[t as usize]
    }

    pub fn record(&mut self, t: TaskId, kind: TraceKind) {
        if let Some(tr) = &mut self.trace {
            tr.push(self.sched.now(), t, kind);
        }
    }

    /// A step or action at `line` had nothing to act on (`steps.noop`, the report's `noops`).
    pub fn noop(&mut self, kind: crate::report::NoopKind, line: u32) {
        let now = self.sched.now();
        self.metrics.noop(kind, line, now);
    }

    /// Task `t`'s current step had nothing to act on.
    pub fn step_noop(&mut self, t: TaskId, kind: crate::report::NoopKind) {
        let line = self.tasks[t as usize].line;
        self.noop(kind, line);
    }

    fn fail_limit(&mut self, t: TaskId, message: String) {
        if self.limit_error.is_none() {
            let line = self.tasks.get(t as usize).map_or(0, |x| x.line);
            self.limit_error = Some(LimitError { line, message });
        }
    }

    /// Task `t`'s next step would end past the last nanosecond simulated time can hold (about
    /// 584 years): the point stops with an error at its line.
    pub fn time_overflow(&mut self, t: TaskId) {
        let who = self.tasks.get(t as usize).map_or(String::new(), |x| format!(" for {}", x.name));
        self.fail_limit(
            t,
            format!(
                "simulated time would pass 2^64 ns{who} (a cost or duration times a count too large \
                 for 64 bits); lower the cost or the count"
            ),
        );
    }

    // ---- objects -------------------------------------------------------------------------

    /// An i_mmap or anon_vma lock at a random slab address. The low 32 bits hold the lock id, so
    /// addresses are unique and a sorted address gives its lock back.
    fn add_rmap_lock(locks: &mut LockTable, p: &Program, class: LockClass, object: u32, rng: &mut Stream) -> LockId {
        let sync = match p.options.lock_kind {
            crate::program::LockKind::Spinlock => Sync::Spin,
            crate::program::LockKind::Rwsem => Sync::Rwsem,
        };
        let id = locks.len() as u32;
        let addr = (rng.next_u64() & 0xffff_ffff_0000_0000) | id as u64;
        locks.add(class, sync, object, addr)
    }

    pub fn new_anon_vma(&mut self, t: TaskId) -> AnonVmaId {
        let id = self.mem.anon_vmas.len() as AnonVmaId;
        let slab = &mut self.tasks[t as usize].slab;
        let lock = Self::add_rmap_lock(&mut self.locks, self.p, LockClass::AnonVma, id, slab);
        self.mem.anon_vmas.push(mm::AnonVma { lock, refs: 0 });
        id
    }

    pub fn new_mm(&mut self, owner: TaskId) -> MmId {
        let id = self.mem.mms.len() as MmId;
        let sem = self.locks.add(LockClass::MmapSem, Sync::Rwsem, id, 0);
        let list = self.locks.add(LockClass::NotifierList, Sync::Spin, id, 0);
        self.mem.mms.push(mm::Mm::new(owner, sem, list, self.p.drivers.len()));
        id
    }

    /// Whether another VMA may be created (host bound); records the error if not.
    pub fn vma_room(&mut self, t: TaskId) -> bool {
        if self.mem.live_vmas >= self.limits.max_live_vmas {
            let max = self.limits.max_live_vmas;
            self.fail_limit(t, format!("more than {max} VMAs alive at once: sim's host-memory limit"));
            return false;
        }
        if self.mem.vmas.len() as u64 >= self.limits.max_vmas_created {
            let max = self.limits.max_vmas_created;
            self.fail_limit(
                t,
                format!("more than {max} VMAs created in one run, unmapped ones included: sim's host-memory limit"),
            );
            return false;
        }
        true
    }

    pub fn lock_name(&self, l: LockId) -> String {
        let owner = |mm: u32| self.tasks[self.mem.mms[mm as usize].owner as usize].name.clone();
        let object = self.locks.object(l);
        match self.locks.class(l) {
            LockClass::MmapSem => format!("mmap_sem of {}", owner(object)),
            LockClass::NotifierList => format!("mmu_notifier_mm->lock of {}", owner(object)),
            LockClass::AllLocksMutex => "mm_all_locks_mutex".to_string(),
            LockClass::IMmap => format!("i_mmap_lock of \"{}\"", self.mem.files[object as usize].name),
            LockClass::AnonVma => format!("anon_vma#{object} lock"),
        }
    }

    // ---- CPUs ----------------------------------------------------------------------------

    /// Schedules the task's next wake-up; any earlier one becomes stale.
    pub fn wake_at(&mut self, t: TaskId, at: Nanos) {
        let task = &mut self.tasks[t as usize];
        task.tag = (task.tag + 1) & ((1 << Event::TAG_BITS) - 1);
        self.sched.at(at, Event::new(EV_WAKE, t, task.tag));
    }

    pub fn wake_after(&mut self, t: TaskId, ns: u64) {
        match self.now().checked_add(ns).filter(|&at| at < u64::MAX) {
            Some(at) => self.wake_at(t, at),
            None => self.time_overflow(t),
        }
    }

    /// Cancels the task's scheduled wake-up.
    pub fn cancel_wake(&mut self, t: TaskId) {
        let task = &mut self.tasks[t as usize];
        task.tag = (task.tag + 1) & ((1 << Event::TAG_BITS) - 1);
    }

    /// The task wants a CPU: it runs `delay` after getting one; FIFO run queue otherwise.
    pub fn want_cpu(&mut self, t: TaskId, delay: u64) {
        debug_assert!(!self.tasks[t as usize].on_cpu);
        let cpu = match self.free_cpus.pop() {
            Some(c) => Some(c),
            None if self.next_cpu < self.p.machine.cpus => {
                self.next_cpu += 1;
                Some(self.next_cpu - 1)
            }
            None => None,
        };
        let task = &mut self.tasks[t as usize];
        if let Some(cpu) = cpu {
            task.on_cpu = true;
            task.cpu = cpu;
            task.dispatched = true;
            task.state = State::Running;
            self.wake_after(t, delay);
        } else {
            task.state = State::Runnable;
            task.dispatch_delay = delay;
            self.runqueue.push_back(t);
        }
    }

    /// The task leaves its CPU; the first runnable task gets it.
    pub fn put_cpu(&mut self, t: TaskId) {
        let task = &mut self.tasks[t as usize];
        if !task.on_cpu {
            return;
        }
        task.on_cpu = false;
        let cpu = task.cpu;
        self.choose_next_runnable();
        while let Some(u) = self.runqueue.pop_front() {
            if self.tasks[u as usize].state != State::Runnable {
                continue;
            }
            let next = &mut self.tasks[u as usize];
            next.on_cpu = true;
            next.cpu = cpu;
            next.dispatched = true;
            next.state = State::Running;
            let delay = std::mem::take(&mut next.dispatch_delay);
            self.wake_after(u, delay);
            return;
        }
        self.free_cpus.push(cpu);
    }

    /// Under an explorer, which runnable task gets the CPU is a choice point: the chosen one is
    /// moved to the front of the run queue (the first, by default, as a plain run takes).
    fn choose_next_runnable(&mut self) {
        if self.sched.choices.is_none() {
            return;
        }
        let tasks = &self.tasks;
        let runnable: Vec<usize> =
            (0..self.runqueue.len()).filter(|&i| tasks[self.runqueue[i] as usize].state == State::Runnable).collect();
        if runnable.len() < 2 {
            return;
        }
        let choices = self.sched.choices.as_mut().expect("checked above");
        let c = choices.choose(ChoiceKind::Cpu, runnable.len() as u32, None) as usize;
        if c > 0 {
            let u = self.runqueue.remove(runnable[c]).expect("an index of the queue");
            self.runqueue.push_front(u);
        }
    }

    /// A value of task `t`'s stream in `0..n`. Under an explorer, a draw over at most
    /// `max_draw` values is a choice point: option `c` is the seed's value plus `c`, modulo `n`,
    /// so the first option is the seed's.
    pub fn draw_below(&mut self, t: TaskId, n: u64) -> u64 {
        let v = self.tasks[t as usize].rng.below(n);
        self.chosen_draw(v, n)
    }

    /// A drawn value `v` in `0..n`, moved by an explorer's choice if it makes the draw one.
    pub fn chosen_draw(&mut self, v: u64, n: u64) -> u64 {
        match &mut self.sched.choices {
            Some(c) if (2..=c.max_draw).contains(&n) => (v + c.choose(ChoiceKind::Draw, n as u32, None) as u64) % n,
            _ => v,
        }
    }

    /// Folds everything that decides the run's future into `h`: equal hashes mean equal
    /// futures (up to a 64-bit collision). Left out: the program, costs, seed and limits (fixed
    /// for the run) and what only observes it (metrics, lockdep, lock_stat, trace, the vmalloc
    /// series, plan marks and cached plans). A field added to `Kernel` belongs here unless it
    /// only observes.
    pub fn hash_state(&self, h: &mut impl std::hash::Hasher) {
        use std::hash::Hash;
        self.strategy.hash(h);
        self.sched.now().hash(h);
        self.sched.pending_events().hash(h);
        self.tasks.hash(h);
        self.locks.hash(h);
        self.mem.hash(h);
        self.free_cpus.hash(h);
        self.next_cpu.hash(h);
        self.runqueue.hash(h);
        self.arena.hash(h);
        self.pinned_bytes.hash(h);
        self.hogs.hash(h);
        self.deadlocks.len().hash(h);
        self.by_target.hash(h);
        self.live_processes.hash(h);
        self.anchor_fired.hash(h);
        self.limit_error.is_some().hash(h);
    }

    // ---- locks ---------------------------------------------------------------------------

    pub fn acquire_cost(&self, t: TaskId, l: LockId) -> u64 {
        let base = if self.locks.last_holder(l) == Some(t) { Cost::SpinLockWarm } else { Cost::SpinLockCold };
        let extra = if self.locks.sync(l).sleeps() { self.cost(Cost::SleepLockExtra) } else { 0 };
        self.cost(base).saturating_add(extra)
    }

    pub fn unlock_cost(&self, l: LockId) -> u64 {
        if self.locks.sync(l).sleeps() {
            self.cost(Cost::SleepUnlock)
        } else {
            self.cost(Cost::SpinUnlock)
        }
    }

    /// Whether the task's request for `l` is under a nest annotation: 2.6.27's lock-all takes
    /// i_mmap and anon_vma locks with spin_lock_nest_lock(lock, &mm->mmap_sem), callers serialised by
    /// mm_all_locks_mutex.
    fn nest_annotated(&self, t: TaskId, class: LockClass) -> bool {
        self.strategy == Strategy::MmTakeAllLocks
            && self.tasks[t as usize].in_lock_all
            && matches!(class, LockClass::IMmap | LockClass::AnonVma)
    }

    fn note_acquired(&mut self, t: TaskId, l: LockId) {
        let task = &self.tasks[t as usize];
        let (cpu, line) = (task.cpu, task.line);
        let got = self.locks.taken(t, l, cpu);
        self.lock_stats.acquired(got.class, l, got.bounce);
        self.lockdep.acquired(t, l, got.class, line);
        if got.spin {
            if got.spins == 1 {
                self.tasks[t as usize].preempt_since = self.sched.now();
            }
            self.metrics.peak(Metric::LockMaxHeld, got.spins as u64);
            if got.spins == 256 {
                self.metrics.inc(Metric::PreemptOverflow);
            }
        }
        // lockdep: 48 held locks; mm_take_all_locks' nest annotation lets one class go to 2048.
        const LIMIT: u32 = 48;
        const NESTED_LIMIT: u32 = 2048 + 3;
        if (got.held == LIMIT + 1 || got.held == NESTED_LIMIT + 1) && self.lockdep.is_on() {
            let limit = if self.nest_annotated(t, got.class) { NESTED_LIMIT } else { LIMIT };
            if got.held == limit + 1 {
                self.metrics.inc(Metric::LockdepOverflow);
            }
        }
        self.record(t, TraceKind::Acquired(l));
    }

    /// Tries to take `l`; false if the task now waits (spinning on its CPU or asleep).
    pub fn lock(&mut self, t: TaskId, l: LockId, mode: Mode) -> bool {
        let now = self.now();
        let class = self.locks.class(l);
        let nested = self.nest_annotated(t, class);
        self.lockdep.ask(t, l, class, self.tasks[t as usize].line, now, nested);
        match self.locks.acquire(t, l, mode, now) {
            Acquire::Acquired => {
                self.note_acquired(t, l);
                true
            }
            Acquire::Blocked { cycle } => {
                let cpu = self.tasks[t as usize].cpu;
                self.lock_stats.contended(class, l, self.locks.last_cpu(l).is_some_and(|c| c != cpu));
                self.record(t, TraceKind::WaitBegin(l));
                let sleeps = self.locks.sync(l).sleeps();
                let behind_lock_all = self.locks.holders(l).any(|h| self.tasks[h as usize].in_lock_all);
                let behind_stuck = self.locks.holders(l).any(|h| self.tasks[h as usize].state == State::Stuck);
                let task = &mut self.tasks[t as usize];
                task.stalled = matches!(task.kind, Kind::Actor { .. }) && behind_lock_all;
                if sleeps {
                    task.state = State::Blocked;
                    self.put_cpu(t);
                } else {
                    task.state = State::Spinning;
                }
                if let Some(cycle) = cycle {
                    self.deadlock(cycle);
                } else if behind_stuck {
                    self.make_stuck(t);
                }
                false
            }
        }
    }

    /// Releases `l` and hands it to the waiters entitled to it.
    pub fn unlock(&mut self, t: TaskId, l: LockId) {
        let now = self.now();
        let r = self.locks.release(t, l, now);
        if r.hold.exclusive {
            self.metrics.sample(Metric::LockHold, r.hold.ns);
        }
        self.lock_stats.released(r.class, l, r.hold.ns);
        self.lockdep.released(t, l, r.class);
        self.record(t, TraceKind::Released(l));
        if r.spin && r.spins == 0 {
            let since = self.tasks[t as usize].preempt_since;
            self.metrics.sample(Metric::PreemptOff, now - since);
        }
        if r.waiters {
            let mut granted = std::mem::take(&mut self.granted);
            granted.clear();
            self.locks.hand_off(l, now, &mut granted);
            for g in &granted {
                self.granted_to(g.task, l, g.waited_ns);
            }
            self.granted = granted;
        }
    }

    fn granted_to(&mut self, u: TaskId, l: LockId, waited_ns: u64) {
        self.metrics.sample(Metric::LockWait, waited_ns);
        self.lock_stats.waited(self.locks.class(l), l, waited_ns);
        self.record(u, TraceKind::WaitEnd(l));
        self.note_acquired(u, l);
        let task = &mut self.tasks[u as usize];
        if std::mem::take(&mut task.stalled) {
            self.metrics.sample(Metric::ReclaimStall, waited_ns);
        }
        let task = &mut self.tasks[u as usize];
        // The lock is the task's now: the pending acquire is done.
        debug_assert!(matches!(task.pending, Pending::Lock(x, _) if x == l));
        task.pending = Pending::None;
        match task.state {
            State::Spinning => {
                task.state = State::Running;
                self.wake_after(u, 0);
            }
            State::Blocked => {
                let delay = self.cost(Cost::Wakeup);
                self.want_cpu(u, delay);
            }
            State::Stuck => {}
            s => panic!("lock granted to a task in state {s:?}"),
        }
    }

    fn deadlock(&mut self, cycle: Vec<(TaskId, LockId)>) {
        self.metrics.inc(Metric::DeadlockCount);
        let n = cycle.len();
        let mut edges = Vec::with_capacity(n);
        for i in 0..n {
            let (task, waits) = cycle[i];
            // Each task holds the lock the previous one in the cycle waits for.
            let holds = cycle[(i + n - 1) % n].1;
            let tk = &self.tasks[task as usize];
            edges.push(DeadlockEdge {
                task: tk.name.clone(),
                doing: format!("{} (line {})", tk.doing, tk.line),
                holds: self.lock_name(holds),
                waits_for: self.lock_name(waits),
            });
        }
        let time_ns = self.now();
        self.deadlocks.push(DeadlockReport { time_ns, cycle: edges });
        for (task, _) in cycle {
            self.make_stuck(task);
        }
    }

    /// The task will never run again; neither will anyone waiting for a lock it holds.
    pub fn make_stuck(&mut self, t: TaskId) {
        let mut work = vec![t];
        while let Some(u) = work.pop() {
            let task = &mut self.tasks[u as usize];
            if matches!(task.state, State::Stuck | State::Done) {
                continue;
            }
            let was_spinning = task.state == State::Spinning;
            task.state = State::Stuck;
            if task.kind == Kind::Process {
                self.live_processes -= 1;
            }
            self.cancel_wake(u);
            if was_spinning {
                self.put_cpu(u);
            }
            self.record(u, TraceKind::Stuck);
            for l in self.locks.locks_held_by(u) {
                work.extend(self.locks.waiters(l));
            }
        }
    }

    /// `n` notifier hooks on mm `m` (mmu_notifier_invalidate_range_start and the like): their
    /// cost if `mm_has_notifiers()`, counted, and counted again if the list they walk is empty.
    /// 2.6.27 allocates the mm's mmu_notifier_mm at the first register and frees it with the mm,
    /// so the test stays true after the last unregister; the v11-v13 patches kept an hlist_head
    /// in the mm, empty again once the last notifier was gone.
    pub fn notifier_hooks(&mut self, m: mm::MmId, n: u64) -> u64 {
        let mm = self.mem.mm(m);
        let has = if self.strategy == Strategy::MmTakeAllLocks { mm.had_notifiers } else { mm.registered != 0 };
        if !has {
            return 0;
        }
        self.metrics.add(Metric::NotifierHooks, n);
        if mm.registered == 0 {
            self.metrics.add(Metric::NotifierEmptyHooks, n);
        }
        n.saturating_mul(self.cost(Cost::NotifierHook))
    }

    /// Counts secondary mappings found pointing at freed pages.
    pub fn count_stale(&mut self, stale: mm::Stale) {
        self.metrics.add(Metric::InvalidateMissed, stale.missed);
        self.metrics.add(Metric::ReleaseMissed, stale.in_release);
    }

    // ---- vmalloc -------------------------------------------------------------------------

    pub fn vmalloc(&mut self, bytes: u64, pinned: bool) -> Option<Area> {
        match self.arena.alloc(bytes) {
            Some(area) => {
                if pinned {
                    self.pinned_bytes += area.bytes();
                    self.metrics.peak(Metric::VmallocPinnedPeak, self.pinned_bytes);
                }
                self.vmalloc_changed();
                Some(area)
            }
            None => {
                self.metrics.inc(Metric::VmallocFailed);
                None
            }
        }
    }

    pub fn vfree(&mut self, area: Area, pinned: bool) {
        self.arena.free(area);
        if pinned {
            self.pinned_bytes -= area.bytes();
        }
        self.vmalloc_changed();
    }

    fn vmalloc_changed(&mut self) {
        let used = self.arena.in_use_bytes();
        self.metrics.peak(Metric::VmallocPeak, used);
        let now = self.now();
        match self.vmalloc_series.last_mut() {
            Some(last) if last[0] == now => last[1] = used,
            _ => self.vmalloc_series.push([now, used]),
        }
    }

    /// Cost of one vmalloc of `bytes`: the call plus its pages.
    pub fn vmalloc_cost(&self, bytes: u64) -> u64 {
        self.cost(Cost::VmallocCall)
            .saturating_add(bytes.div_ceil(vmalloc::PAGE).saturating_mul(self.cost(Cost::VmallocPage)))
    }

    pub fn vfree_cost(&self, area: Area) -> u64 {
        self.cost(Cost::VfreeCall).saturating_add((area.pages - 1).saturating_mul(self.cost(Cost::VfreePage)))
    }

    // ---- targets and plan marks ----------------------------------------------------------

    /// Live process tasks a target names, in creation order.
    pub fn targets(&self, target: crate::program::Target) -> Vec<TaskId> {
        self.named(target).into_iter().filter(|&t| !matches!(self.tasks[t as usize].state, State::Done)).collect()
    }

    /// Every process task a target names, exited ones included, in creation order.
    pub fn named(&self, target: crate::program::Target) -> Vec<TaskId> {
        let (id, one): (TargetId, Option<u32>) = match target {
            crate::program::Target::All(t) => (t, None),
            crate::program::Target::One(t, i) => (t, Some(i)),
        };
        let Some(list) = self.by_target.get(id as usize) else { return Vec::new() };
        list.iter().copied().filter(|&t| one.is_none_or(|i| self.tasks[t as usize].target_index == i)).collect()
    }

    /// Starts a new de-duplication round over locks.
    pub fn new_marks(&mut self) -> u32 {
        if self.lock_mark.len() < self.locks.len() {
            self.lock_mark.resize(self.locks.len(), 0);
        }
        self.mark_epoch = self.mark_epoch.wrapping_add(1);
        if self.mark_epoch == 0 {
            self.lock_mark.iter_mut().for_each(|m| *m = 0);
            self.mark_epoch = 1;
        }
        self.mark_epoch
    }

    /// Marks `l` in the current round; false if it was already marked.
    pub fn mark(&mut self, l: LockId) -> bool {
        let slot = &mut self.lock_mark[l as usize];
        if *slot == self.mark_epoch {
            false
        } else {
            *slot = self.mark_epoch;
            true
        }
    }
}

// ---- tasks -----------------------------------------------------------------------------------

fn new_task(k: &mut Kernel, name: String, kind: Kind, key: Entity, slab: Entity) -> Option<TaskId> {
    if k.tasks.len() as u64 >= k.limits.max_tasks {
        let max = k.limits.max_tasks;
        let t = k.tasks.len().saturating_sub(1) as TaskId;
        k.fail_limit(t, format!("more than {max} tasks: sim's host-memory limit"));
        return None;
    }
    let t = k.tasks.len() as TaskId;
    k.locks.add_task(t);
    k.lockdep.add_task(t);
    k.tasks.push(Task {
        name,
        kind,
        target: None,
        target_index: 0,
        index: 0,
        mm: None,
        state: State::Idle,
        on_cpu: false,
        cpu: 0,
        tag: 0,
        frames: Vec::new(),
        rng: Stream::new(k.seed, key),
        slab: Stream::new(k.seed, slab),
        pending: Pending::None,
        fatal: None,
        sigpending: false,
        in_kernel: false,
        exiting: false,
        signal_seen: false,
        ret: 0,
        line: 0,
        doing: "starting",
        preempt_since: 0,
        dispatch_delay: 0,
        in_lock_all: false,
        stalled: false,
        forks: 0,
        key: key.a ^ key.b.rotate_left(32) ^ key.domain.rotate_left(48),
        dispatched: false,
    });
    Some(t)
}

/// Instance `index` of process `proc`, with an empty mm, not yet on a CPU.
pub fn spawn_process(k: &mut Kernel, proc: u32, index: u32) -> Option<TaskId> {
    let def = &k.p.processes[proc as usize];
    let name = if def.instances > 1 { format!("{}[{index}]", def.name) } else { def.name.clone() };
    let body = def.body;
    let t = new_task(
        k,
        name,
        Kind::Process,
        Entity::new(domain::PROCESS, proc as u64, index as u64),
        Entity::new(domain::SLAB, proc as u64, index as u64),
    )?;
    // Until its first step, the task stands at its process's line (a budget error names it).
    k.tasks[t as usize].line = k.p.processes[proc as usize].line;
    let mm = k.new_mm(t);
    let room = k.p.vmas_mapped(proc as usize).min(k.reserve_budget);
    k.reserve_budget -= room;
    k.mem.mm_mut(mm).reserve(room as usize);
    let task = &mut k.tasks[t as usize];
    task.mm = Some(mm);
    task.index = index;
    task.target = Some(proc);
    task.target_index = index;
    task.frames.push(task::Frame { block: body, pc: 0, repeats_left: 1 });
    k.by_target[proc as usize].push(t);
    k.live_processes += 1;
    Some(t)
}

/// A fork child of `parent` with an empty mm (dup_mmap fills it), not yet on a CPU.
pub fn spawn_child(
    k: &mut Kernel,
    parent: TaskId,
    name: Option<TargetId>,
    body: crate::program::BlockId,
) -> Option<TaskId> {
    let (key, ordinal, index, parent_name) = {
        let p = &mut k.tasks[parent as usize];
        p.forks += 1;
        (p.key, p.forks, p.index, p.name.clone())
    };
    let target_index = name.map_or(0, |n| k.by_target[n as usize].len() as u32);
    let display = match name {
        Some(n) => format!("{}[{target_index}]", k.p.targets[n as usize]),
        None => format!("{parent_name}/child{ordinal}"),
    };
    let t = new_task(
        k,
        display,
        Kind::Process,
        Entity::new(domain::CHILD, key, ordinal as u64),
        Entity::new(domain::SLAB, key ^ 0x5ca1_ab1e, ordinal as u64),
    )?;
    let mm = k.new_mm(t);
    let task = &mut k.tasks[t as usize];
    task.mm = Some(mm);
    task.index = index;
    task.target = name;
    task.target_index = target_index;
    task.frames.push(task::Frame { block: body, pc: 0, repeats_left: 1 });
    if let Some(n) = name {
        k.by_target[n as usize].push(t);
    }
    k.live_processes += 1;
    Some(t)
}

/// The kernel thread that runs action `action` (reclaim, truncate) when it fires.
pub fn spawn_actor(k: &mut Kernel, action: u32) -> Option<TaskId> {
    let name = format!("kthread:{}", action_name(&k.p.actions[action as usize].action, k.p));
    new_task(
        k,
        name,
        Kind::Actor { action },
        Entity::new(domain::ACTOR, action as u64, 0),
        Entity::new(domain::SLAB, u64::MAX, action as u64),
    )
}

fn action_name(a: &crate::program::Action, p: &Program) -> String {
    use crate::program::Action;
    match a {
        Action::Reclaim(_) => "reclaim".to_string(),
        Action::Truncate(f) => format!("truncate {}", p.files[*f as usize].name),
        Action::OomKill(_) => "oom_kill".to_string(),
        Action::Kill(_) => "kill".to_string(),
        Action::Signal(_) => "signal".to_string(),
        Action::VmallocHog(_) => "vmalloc_hog".to_string(),
        Action::VmallocFree(_) => "vmalloc_free".to_string(),
    }
}
