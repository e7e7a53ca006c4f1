//! Runs one point: starts the processes and actors, drives events until the run ends, and
//! interprets each task's steps lazily (a `repeat` is a counter, not a copy).

use crate::cost::Cost;
use crate::engine::{ChoiceKind, Choices, Event, StateHasher};
use crate::kernel::ops::{Exit, Fork, Micro, Mmap, Mprotect, Munmap, Op, Touch};
use crate::kernel::task::{Frame, Kind, Pending, State, TaskId};
use crate::kernel::{self, Kernel, LimitError, Limits, EV_ACTION, EV_WAKE};
use crate::program::{Action, AnchorStep, Program, StepKind, StepTarget, Target, Trigger, Value};
use crate::report::{End, NoopKind, OrderedMap, PointReport};
use crate::strategy::{Register, Unregister};
use crate::trace::{TraceData, TraceKind};

const EV_HORIZON: u8 = 3;

/// What to record while a point runs, besides its report. Recording never changes the run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Observe {
    /// Lock, operation and callback events, for a Chrome trace.
    pub trace: bool,
    /// Every event the engine processes, for `--check-determinism`.
    pub events: bool,
    /// lock_stat per lock as well as per class.
    pub lock_stat_instances: bool,
    /// No lockdep (`--no-lockdep`): the validator records nothing, and the report's
    /// `lockdep.*` metrics are left out and listed in `not_measured`.
    pub no_lockdep: bool,
}

/// A finished point: its report (per-point checks not yet evaluated) and what was observed.
pub struct PointRun {
    pub report: PointReport,
    pub trace: Option<TraceData>,
    /// `(time, kind, entity)` of every event, if asked (capped at `MAX_EVENT_LOG`).
    pub events: Option<Vec<(u64, u8, u32)>>,
}

pub const MAX_EVENT_LOG: usize = 50_000_000;

/// Why a point produced no report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunError {
    /// A host limit was passed (event budget, live VMAs, tasks).
    Limit(LimitError),
    /// The progress callback asked to stop.
    Interrupted,
}

/// How often the progress callback hears from a run, in events.
pub const PROGRESS_EVERY: u64 = 1 << 20;

/// How often an explored run's progress callback hears from it, in events (at most: events
/// taken inline are not counted out).
const EXPLORED_PROGRESS_EVERY: u64 = 1 << 6;

/// What a task is running: a kernel operation, or a strategy's register or unregister (which
/// the kernel's operations do not know of: strategies sit above the kernel).
#[derive(Hash)]
enum Running {
    Kernel(Op),
    Register(Box<Register>),
    Unregister(Box<Unregister>),
}

impl Running {
    fn next(&mut self, k: &mut Kernel, t: TaskId) -> Micro {
        match self {
            Running::Kernel(op) => op.next(k, t),
            Running::Register(r) => r.next(k, t),
            Running::Unregister(u) => u.next(k, t),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Running::Kernel(op) => op.name(),
            Running::Register(_) => "mmu_notifier_register",
            Running::Unregister(_) => "mmu_notifier_unregister",
        }
    }
}

/// Runs one point of a program with a seed. `progress(events, sim_time_ns)` is called every
/// [`PROGRESS_EVERY`] events; returning false stops the run. It only observes: the run's
/// results do not depend on it.
pub fn run(
    p: &Program,
    params: OrderedMap<crate::program::ParamValue>,
    seed: u64,
    limits: Limits,
    observe: Observe,
    progress: &mut dyn FnMut(u64, u64) -> bool,
) -> Result<PointRun, RunError> {
    run_with_choices(p, params, seed, limits, observe, None, progress).0
}

/// Runs one point as [`run`] does, its choice points decided by `choices` (`None`: the first
/// option everywhere, which is [`run`]); gives the choices back with what they logged. A run
/// an explorer stopped at a state already explored ends as [`End::Pruned`], with the report
/// of what it did up to there.
pub fn run_with_choices(
    p: &Program,
    params: OrderedMap<crate::program::ParamValue>,
    seed: u64,
    limits: Limits,
    observe: Observe,
    choices: Option<Choices>,
    progress: &mut dyn FnMut(u64, u64) -> bool,
) -> (Result<PointRun, RunError>, Option<Choices>) {
    let mut sim = Sim {
        k: Kernel::new(p, seed, limits, observe.trace, observe.lock_stat_instances, !observe.no_lockdep),
        ops: Vec::new(),
        actors: Vec::new(),
        events: observe.events.then(Vec::new),
        ties: Vec::new(),
        idle_mark: 0,
        idle_steps: 0,
        progress,
        stopped: false,
    };
    sim.k.sched.choices = choices.map(Box::new);
    sim.start();
    let end = sim.drive();
    let choices = sim.k.sched.choices.take().map(|c| *c);
    if let Some(e) = sim.k.limit_error.take() {
        return (Err(RunError::Limit(e)), choices);
    }
    let Some(end) = end else { return (Err(RunError::Interrupted), choices) };
    (Ok(sim.finish(params, end)), choices)
}

struct Sim<'p, 'r> {
    k: Kernel<'p>,
    /// Each task's stack of kernel operations.
    ops: Vec<Vec<Running>>,
    /// The kernel thread of each action, if it needs one.
    actors: Vec<Option<TaskId>>,
    events: Option<Vec<(u64, u8, u32)>>,
    /// Events due at one instant, taken out of the queue at a choice point.
    ties: Vec<(u64, Event)>,
    /// Steps interpreted since the event count was `idle_mark` (see [`Sim::user`]).
    idle_mark: u64,
    idle_steps: u64,
    /// The caller's progress callback ([`run`]).
    progress: &'r mut dyn FnMut(u64, u64) -> bool,
    /// The callback asked to stop from inside a loop of zero-time steps ([`Sim::user`]).
    stopped: bool,
}

impl Sim<'_, '_> {
    fn start(&mut self) {
        let p = self.k.p;
        for (i, def) in p.processes.iter().enumerate() {
            for index in 0..def.instances {
                let Some(t) = kernel::spawn_process(&mut self.k, i as u32, index) else { return };
                self.k.want_cpu(t, 0);
            }
        }
        for (i, a) in p.actions.iter().enumerate() {
            let actor = match a.action {
                Action::Reclaim(_) | Action::Truncate(_) => kernel::spawn_actor(&mut self.k, i as u32),
                _ => None,
            };
            self.actors.push(actor);
            match a.trigger {
                Trigger::At(t) => self.k.sched.at(t, Event::new(EV_ACTION, i as u32, 0)),
                Trigger::Every { period_ns, until_ns } => {
                    if until_ns.is_none_or(|u| period_ns <= u) {
                        self.k.sched.at(period_ns, Event::new(EV_ACTION, i as u32, 0));
                    }
                }
                Trigger::After { .. } => {}
            }
        }
        if let Some(until) = self.k.limits.until_ns {
            self.k.sched.at(until, Event::new(EV_HORIZON, 0, 0));
        }
    }

    fn drive(&mut self) -> Option<End> {
        loop {
            if self.stopped {
                return None;
            }
            if self.k.live_processes == 0 {
                return Some(if self.k.deadlocks.is_empty() { End::Completed } else { End::Deadlock });
            }
            if self.k.limit_error.is_some() {
                return Some(End::EventBudget);
            }
            if self.k.sched.processed().is_multiple_of(PROGRESS_EVERY)
                && self.k.sched.processed() > 0
                && !(self.progress)(self.k.sched.processed(), self.k.sched.now())
            {
                return None;
            }
            let next = if self.k.sched.choices.is_none() {
                self.k.sched.pop()
            } else {
                let next = self.pop_chosen();
                if self.k.sched.choices.as_ref().is_some_and(|c| c.stop) {
                    return Some(End::Pruned);
                }
                // An explored run hashes its state at every choice point: hear from it often.
                let done = self.k.sched.processed();
                if done.is_multiple_of(EXPLORED_PROGRESS_EVERY) && !(self.progress)(done, self.k.sched.now()) {
                    return None;
                }
                next
            };
            let Some((at, ev)) = next else {
                // Nothing pending and processes left: they are all waiting on each other.
                return Some(End::Deadlock);
            };
            if let Some(log) = &mut self.events {
                if log.len() < MAX_EVENT_LOG {
                    log.push((at, ev.kind, ev.entity));
                }
            }
            if self.k.sched.processed() > self.k.limits.max_events {
                let max = self.k.limits.max_events;
                // What the last event belonged to: a task (at its step, or at its process or
                // action before its first step), or an `at`/`every` action that was due.
                let (line, who) = match ev.kind {
                    EV_WAKE => match self.k.tasks.get(ev.entity as usize) {
                        Some(x) => (x.line, format!(" ({} was running this step)", x.name)),
                        None => (0, String::new()),
                    },
                    _ => match self.k.p.actions.get(ev.entity as usize) {
                        Some(a) => (a.line, " (this action was due)".to_string()),
                        None => (0, String::new()),
                    },
                };
                self.k.limit_error = Some(LimitError {
                    line,
                    message: format!(
                        "the run passed its budget of {max} events{who}; raise --max-events or bound the loop"
                    ),
                });
                return Some(End::EventBudget);
            }
            match ev.kind {
                EV_WAKE => self.wake(ev.entity, ev.tag),
                EV_ACTION => self.action(ev.entity),
                _ => return Some(End::Horizon),
            }
        }
    }

    /// The next event under an explorer: of the events due at the earliest instant, the one the
    /// choices pick (a choice point when there are several, at a whole state, hashed). Asks the
    /// run to stop, via `choices.stop`, at a state an earlier schedule reached.
    fn pop_chosen(&mut self) -> Option<(u64, Event)> {
        let mut ties = std::mem::take(&mut self.ties);
        self.k.sched.take_ties(&mut ties);
        if ties.is_empty() {
            self.ties = ties;
            return None;
        }
        let mut pick = 0;
        if ties.len() >= 2 {
            let state = self.state_hash(&ties);
            let choices = self.k.sched.choices.as_mut().expect("an explored run");
            pick = choices.choose(ChoiceKind::Order, ties.len() as u32, Some(state)) as usize;
        }
        for (i, &(at, ev)) in ties.iter().enumerate() {
            if i != pick {
                self.k.sched.put_back(at, ev);
            }
        }
        let (at, ev) = ties[pick];
        self.ties = ties;
        if self.k.sched.choices.as_ref().is_some_and(|c| c.stop) {
            // The chosen event goes back too: the run stops before it.
            self.k.sched.put_back(at, ev);
            return None;
        }
        self.k.sched.process(at, ev);
        Some((at, ev))
    }

    /// The hash of the whole state between two events, `ties` (taken out of the queue) included.
    fn state_hash(&self, ties: &[(u64, Event)]) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = StateHasher::default();
        self.k.hash_state(&mut h);
        let mut due: Vec<(u8, u32, u32)> = ties.iter().map(|&(_, e)| (e.kind, e.entity, e.tag)).collect();
        due.sort_unstable();
        ties[0].0.hash(&mut h);
        due.hash(&mut h);
        self.ops.hash(&mut h);
        self.actors.hash(&mut h);
        h.finish()
    }

    fn wake(&mut self, t: TaskId, tag: u32) {
        if self.k.tasks[t as usize].tag != tag {
            return;
        }
        match self.k.tasks[t as usize].state {
            State::Running => self.resume(t),
            State::Sleeping | State::UserSleep => {
                let delay = self.k.cost(Cost::Wakeup);
                self.k.want_cpu(t, delay);
            }
            _ => {}
        }
    }

    /// The task's operation stack (tasks are created as the run goes: fork).
    fn ops(&mut self, t: TaskId) -> &mut Vec<Running> {
        let i = t as usize;
        if self.ops.len() <= i {
            self.ops.resize_with(i + 1, Vec::new);
        }
        &mut self.ops[i]
    }

    /// Runs the task from where it stands until it must wait for time, a lock or a CPU.
    fn resume(&mut self, t: TaskId) {
        loop {
            let pending = std::mem::replace(&mut self.k.tasks[t as usize].pending, Pending::None);
            match pending {
                Pending::None => {}
                Pending::Lock(l, mode) => {
                    self.k.tasks[t as usize].pending = pending;
                    if !self.k.lock(t, l, mode) {
                        return;
                    }
                    self.k.tasks[t as usize].pending = Pending::None;
                }
                Pending::Unlock(l) => self.k.unlock(t, l),
                Pending::Check => {
                    let task = &mut self.k.tasks[t as usize];
                    task.signal_seen = task.fatal.is_some() || task.sigpending;
                }
            }
            self.ops(t);
            let micro = match self.ops[t as usize].last_mut() {
                Some(op) => op.next(&mut self.k, t),
                None => self.user(t),
            };
            match micro {
                Micro::Cpu(ns) => {
                    if ns > 0 && !self.run_on(t, ns) {
                        return;
                    }
                }
                Micro::Lock { lock, mode, before } => {
                    let cost = before.saturating_add(self.k.acquire_cost(t, lock));
                    if self.delay(t, Pending::Lock(lock, mode), cost) {
                        return;
                    }
                }
                Micro::Unlock { lock, before } => {
                    let cost = before.saturating_add(self.k.unlock_cost(lock));
                    if self.delay(t, Pending::Unlock(lock), cost) {
                        return;
                    }
                }
                Micro::Check { before } => {
                    if self.delay(t, Pending::Check, before) {
                        return;
                    }
                }
                Micro::Sleep(ns) => {
                    self.k.tasks[t as usize].state = State::Sleeping;
                    self.k.put_cpu(t);
                    self.k.wake_after(t, ns);
                    return;
                }
                Micro::Call(op) => {
                    self.k.tasks[t as usize].doing = op.name();
                    self.ops(t).push(Running::Kernel(op));
                }
                Micro::Done => {
                    self.ops(t).pop();
                    if let Some(op) = self.ops(t).last() {
                        self.k.tasks[t as usize].doing = op.name();
                    } else if self.k.tasks[t as usize].in_kernel {
                        self.return_to_user(t);
                    }
                }
                Micro::Finish => {
                    self.finish_task(t);
                    return;
                }
            }
            if self.k.tasks[t as usize].state != State::Running {
                return;
            }
        }
    }

    /// Charges `cost` before the instantaneous part `pending`; true if the task must wait.
    fn delay(&mut self, t: TaskId, pending: Pending, cost: u64) -> bool {
        self.k.tasks[t as usize].pending = pending;
        cost > 0 && !self.run_on(t, cost)
    }

    /// The running task goes on after `ns` of CPU. When its wake-up would be the next event
    /// anyway (nothing pending before it, and `drive` would neither stop nor report progress
    /// first), it is taken here without a trip through the queue: true, go on at once.
    /// Otherwise the wake-up is queued: false.
    fn run_on(&mut self, t: TaskId, ns: u64) -> bool {
        let Some(at) = self.k.now().checked_add(ns).filter(|&at| at < u64::MAX) else {
            // Costs times counts past 2^64 ns: an error, never a wrapped or saturated clock.
            self.k.time_overflow(t);
            return false;
        };
        let done = self.k.sched.processed();
        let inline = self.events.is_none()
            && self.k.live_processes > 0
            && self.k.limit_error.is_none()
            && (done == 0 || !done.is_multiple_of(PROGRESS_EVERY))
            && done < self.k.limits.max_events;
        if inline {
            let task = &mut self.k.tasks[t as usize];
            let tag = (task.tag + 1) & ((1 << Event::TAG_BITS) - 1);
            if self.k.sched.run_now(at, Event::new(EV_WAKE, t, tag)) {
                self.k.tasks[t as usize].tag = tag;
                return true;
            }
        }
        self.k.wake_at(t, at);
        false
    }

    fn return_to_user(&mut self, t: TaskId) {
        let task = &mut self.k.tasks[t as usize];
        task.in_kernel = false;
        task.sigpending = false;
        if task.fatal.is_some() && !task.exiting {
            self.begin_exit(t);
        }
    }

    fn begin_exit(&mut self, t: TaskId) {
        if let Some((sent, _)) = self.k.tasks[t as usize].fatal {
            let now = self.k.now();
            self.k.metrics.sample(crate::metrics::Metric::KillResponse, now - sent);
        }
        self.fire_anchors(t, AnchorStep::Exit);
        self.k.tasks[t as usize].doing = "do_exit";
        self.ops(t).push(Running::Kernel(Op::Exit(Exit::new())));
    }

    fn finish_task(&mut self, t: TaskId) {
        self.ops(t).clear();
        self.k.put_cpu(t);
        let task = &mut self.k.tasks[t as usize];
        task.state = State::Done;
        task.frames.clear();
        if task.kind == Kind::Process {
            self.k.live_processes -= 1;
        }
    }

    /// The next user-level step of the task, as a micro-step.
    fn user(&mut self, t: TaskId) -> Micro {
        let p = self.k.p;
        let k = &mut self.k;
        if matches!(k.tasks[t as usize].kind, Kind::Actor { .. }) {
            k.tasks[t as usize].state = State::Idle;
            k.put_cpu(t);
            // Returned micro is a no-op: the state change ends `resume`.
            return Micro::Cpu(0);
        }
        if k.tasks[t as usize].fatal.is_some() {
            self.begin_exit(t);
            return Micro::Cpu(0);
        }
        // Round robin at step boundaries: a task that has run a step yields to waiting ones.
        if !k.runqueue.is_empty() && !std::mem::take(&mut k.tasks[t as usize].dispatched) {
            k.put_cpu(t);
            k.want_cpu(t, 0);
            return Micro::Cpu(0);
        }
        k.tasks[t as usize].dispatched = false;
        loop {
            // Steps that take no simulated time (an empty repeat, `compute 0ns`) make no events:
            // count them against the event budget, or such a loop would never end.
            let done = k.sched.processed();
            if done != self.idle_mark {
                (self.idle_mark, self.idle_steps) = (done, 0);
            }
            self.idle_steps += 1;
            if self.idle_steps > k.limits.max_events {
                let max = k.limits.max_events;
                let task = &k.tasks[t as usize];
                k.limit_error = Some(LimitError {
                    line: task.line,
                    message: format!(
                        "the run passed its budget of {max} events: {} ran {max} steps without simulated \
                         time passing (an empty or zero-time loop); raise --max-events or give the loop work",
                        task.name
                    ),
                });
                return Micro::Sleep(0);
            }
            // Such a loop also hears from the caller as events would, so Ctrl-C stops it.
            if self.idle_steps.is_multiple_of(PROGRESS_EVERY) && !(self.progress)(done, k.sched.now()) {
                self.stopped = true;
                return Micro::Sleep(0);
            }
            let task = &mut k.tasks[t as usize];
            let Some(frame) = task.frames.last_mut() else {
                self.begin_exit(t);
                return Micro::Cpu(0);
            };
            let block = &p.blocks[frame.block as usize];
            if frame.pc as usize >= block.len() {
                if frame.repeats_left > 1 {
                    frame.repeats_left -= 1;
                    frame.pc = 0;
                } else {
                    task.frames.pop();
                }
                continue;
            }
            let step = &block[frame.pc as usize];
            frame.pc += 1;
            task.line = step.line;
            let op = match &step.kind {
                StepKind::Compute(v) => {
                    task.doing = "compute";
                    return Micro::Cpu(eval(k, t, v));
                }
                StepKind::Sleep(v) => {
                    let ns = eval(k, t, v);
                    let task = &mut k.tasks[t as usize];
                    task.doing = "sleep";
                    task.state = State::UserSleep;
                    k.put_cpu(t);
                    k.wake_after(t, ns);
                    return Micro::Cpu(0);
                }
                StepKind::Repeat { count, body } => {
                    let n = eval_count(k, t, count);
                    if n > 0 {
                        k.tasks[t as usize].frames.push(Frame { block: *body, pc: 0, repeats_left: n });
                    }
                    continue;
                }
                StepKind::Exit => {
                    self.begin_exit(t);
                    return Micro::Cpu(0);
                }
                StepKind::MmapAnon { size, count } => {
                    self.fire_anchors(t, AnchorStep::Mmap);
                    let pages = eval(&mut self.k, t, size).div_ceil(kernel::vmalloc::PAGE);
                    let n = eval_count(&mut self.k, t, count);
                    Running::Kernel(Op::Mmap(Mmap::new(None, pages, n, false)))
                }
                StepKind::MmapFile { file, size, count, shared } => {
                    self.fire_anchors(t, AnchorStep::Mmap);
                    let pages = match size {
                        Some(v) => eval(&mut self.k, t, v).div_ceil(kernel::vmalloc::PAGE),
                        None => self.k.mem.files[*file as usize].pages,
                    };
                    let n = eval_count(&mut self.k, t, count);
                    Running::Kernel(Op::Mmap(Mmap::new(Some(*file), pages, n, *shared)))
                }
                StepKind::Munmap(n) => {
                    self.fire_anchors(t, AnchorStep::Munmap);
                    let n = n.as_ref().map(|v| eval_count(&mut self.k, t, v));
                    Running::Kernel(Op::Munmap(Munmap::new(n)))
                }
                StepKind::Fork { name, body } => {
                    self.fire_anchors(t, AnchorStep::Fork);
                    Running::Kernel(Op::Fork(Fork::new(*name, *body)))
                }
                StepKind::Register { driver, target } => {
                    self.fire_anchors(t, AnchorStep::Register);
                    let Some(target) = resolve(&self.k, t, target) else { return Micro::Cpu(0) };
                    Running::Register(Box::new(Register::new(*driver, target)))
                }
                StepKind::RegisterFromMmap { driver, locked_entry } => {
                    self.fire_anchors(t, AnchorStep::Register);
                    Running::Register(Box::new(Register::from_mmap(*driver, *locked_entry)))
                }
                StepKind::Unregister { driver, target } => {
                    self.fire_anchors(t, AnchorStep::Unregister);
                    let Some(target) = resolve(&self.k, t, target) else { return Micro::Cpu(0) };
                    Running::Unregister(Box::new(Unregister::new(*driver, target)))
                }
                StepKind::Touch { count, scope } => {
                    Running::Kernel(Op::Touch(Touch::new(eval_count(k, t, count), *scope)))
                }
                StepKind::Mprotect(v) => Running::Kernel(Op::Mprotect(Mprotect::new(eval_count(k, t, v)))),
            };
            let k = &mut self.k;
            let task = &mut k.tasks[t as usize];
            task.in_kernel = true;
            task.doing = op.name();
            let entry = k.cost(Cost::Syscall);
            self.ops(t).push(op);
            return Micro::Cpu(entry);
        }
    }

    fn fire_anchors(&mut self, t: TaskId, step: AnchorStep) {
        let p = self.k.p;
        let task = &self.k.tasks[t as usize];
        let Some(target) = task.target else { return };
        let index = task.target_index;
        for (i, a) in p.actions.iter().enumerate() {
            let Trigger::After { target: at, step: s, delay_ns } = a.trigger else { continue };
            if s != step || self.k.anchor_fired[i] {
                continue;
            }
            let hit = match at {
                Target::All(x) => x == target,
                Target::One(x, j) => x == target && j == index,
            };
            if hit {
                self.k.anchor_fired[i] = true;
                let at = self.k.now().saturating_add(delay_ns);
                self.k.sched.at(at, Event::new(EV_ACTION, i as u32, 0));
            }
        }
    }

    fn action(&mut self, i: u32) {
        let p = self.k.p;
        let a = &p.actions[i as usize];
        match &a.action {
            Action::OomKill(target) | Action::Kill(target) => {
                let oom = matches!(a.action, Action::OomKill(_));
                let mut killed = false;
                for u in self.k.targets(*target) {
                    killed |= self.kill(u, oom);
                }
                if !killed {
                    let kind = if oom { NoopKind::OomKillNoTarget } else { NoopKind::KillNoTarget };
                    self.k.noop(kind, a.line);
                }
            }
            Action::Signal(target) => {
                let targets = self.k.targets(*target);
                if targets.is_empty() {
                    self.k.noop(NoopKind::SignalNoTarget, a.line);
                }
                for u in targets {
                    let task = &mut self.k.tasks[u as usize];
                    if task.in_kernel {
                        task.sigpending = true;
                    }
                    self.k.record(u, TraceKind::Signal);
                }
            }
            Action::Reclaim(_) | Action::Truncate(_) => {
                if let Some(actor) = self.actors[i as usize] {
                    if self.k.tasks[actor as usize].state == State::Idle {
                        let op = match &a.action {
                            Action::Reclaim(v) => {
                                Op::Reclaim(crate::kernel::ops::Reclaim::new(eval_count(&mut self.k, actor, v)))
                            }
                            Action::Truncate(f) => Op::Truncate(crate::kernel::ops::Truncate::new(*f)),
                            _ => unreachable!(),
                        };
                        self.k.tasks[actor as usize].line = a.line;
                        self.k.tasks[actor as usize].doing = op.name();
                        self.ops(actor).push(Running::Kernel(op));
                        self.k.want_cpu(actor, 0);
                    }
                }
            }
            Action::VmallocHog(bytes) => {
                if let Some(area) = self.k.vmalloc(*bytes, false) {
                    self.k.hogs.push(area);
                }
            }
            Action::VmallocFree(bytes) => {
                if self.k.hogs.is_empty() {
                    self.k.noop(NoopKind::VmallocFreeNothingHeld, a.line);
                }
                let mut freed = 0;
                while freed < *bytes {
                    let Some(area) = self.k.hogs.pop() else { break };
                    freed += area.bytes();
                    self.k.vfree(area, false);
                }
            }
        }
        if let Trigger::Every { period_ns, until_ns } = a.trigger {
            let next = self.k.now().saturating_add(period_ns);
            if until_ns.is_none_or(|u| next <= u) && next < u64::MAX {
                self.k.sched.at(next, Event::new(EV_ACTION, i, 0));
            }
        }
    }

    /// SIGKILL: the task dies at once if it is in user space, else where it next checks; false
    /// if it was dying already (or stuck), so the kill did nothing.
    fn kill(&mut self, u: TaskId, oom: bool) -> bool {
        let now = self.k.now();
        let task = &mut self.k.tasks[u as usize];
        if task.exiting || task.fatal.is_some() || matches!(task.state, State::Done | State::Stuck) {
            return false;
        }
        task.fatal = Some((now, oom));
        let mm = task.mm;
        let in_kernel = task.in_kernel;
        let state = task.state;
        if oom {
            self.k.metrics.inc(crate::metrics::Metric::OomKills);
            if let Some(m) = mm {
                self.k.mem.mm_mut(m).oom_kill_at.get_or_insert(now);
            }
        }
        self.k.record(u, TraceKind::Kill);
        if in_kernel {
            return true;
        }
        match state {
            State::Running => {
                self.begin_exit(u);
                self.k.wake_after(u, 0);
            }
            State::UserSleep => {
                self.begin_exit(u);
                let delay = self.k.cost(Cost::Wakeup);
                self.k.cancel_wake(u);
                self.k.tasks[u as usize].state = State::Idle;
                self.k.want_cpu(u, delay);
            }
            // Queued for a CPU at a step boundary: it exits when it runs.
            _ => {}
        }
        true
    }

    fn finish(mut self, params: OrderedMap<crate::program::ParamValue>, end: End) -> PointRun {
        let events = self.events.take();
        let k = self.k;
        let trace = k.trace.as_ref().map(|tr| TraceData {
            tasks: k.tasks.iter().map(|t| t.name.clone()).collect(),
            locks: (0..k.locks.len() as u32).map(|l| k.lock_name(l)).collect(),
            lock_addrs: (0..k.locks.len() as u32).map(|l| k.locks.addr(l)).collect(),
            drivers: k.p.drivers.iter().map(|d| d.name.clone()).collect(),
            records: tr.records.clone(),
            dropped: tr.dropped,
        });
        let mut k = k;
        k.metrics.add(crate::metrics::Metric::LockdepCycles, k.lockdep.cycles.len() as u64);
        k.metrics.add(crate::metrics::Metric::LockdepNesting, k.lockdep.nested_classes());
        k.metrics.add(crate::metrics::Metric::LockAcquisitions, k.lock_stats.acquisitions());
        let lockdep = lockdep_report(&k);
        let (lock_stat, lock_stat_instances) = k.lock_stats.rows(|l| k.lock_name(l));
        let lockdep_on = k.lockdep.is_on();
        let noops = k.metrics.noops();
        let mut metrics = k.metrics.finish();
        let mut not_measured = Vec::new();
        if !lockdep_on {
            let (kept, dropped): (Vec<_>, Vec<_>) =
                metrics.0.into_iter().partition(|(name, _)| !name.starts_with("lockdep."));
            metrics = OrderedMap(kept);
            not_measured = dropped.into_iter().map(|(name, _)| name).collect();
        }
        let report = PointReport {
            index: 0,
            params,
            seed: k.seed,
            sim_time_ns: k.sched.now(),
            events: k.sched.processed(),
            fingerprint: k.sched.fingerprint().hex(),
            end,
            vmalloc_in_use: thin(&k.vmalloc_series, 2000),
            noops,
            metrics,
            not_measured,
            deadlocks: k.deadlocks,
            lockdep,
            lock_stat,
            lock_stat_instances,
            checks: Vec::new(),
        };
        PointRun { report, trace, events }
    }
}

/// lockdep's findings with every lock and task named.
fn lockdep_report(k: &Kernel) -> crate::report::LockdepReport {
    use crate::report::{LockdepCycle, LockdepDep, LockdepReport};
    let dep = |s: &crate::kernel::lockdep::Seen| LockdepDep {
        task: k.tasks[s.task as usize].name.clone(),
        held: k.lock_name(s.held),
        held_class: k.locks.class(s.held).lockdep_name().to_string(),
        held_line: s.held_line,
        acquired: k.lock_name(s.lock),
        acquired_class: k.locks.class(s.lock).lockdep_name().to_string(),
        line: s.line,
        time_ns: s.time_ns,
    };
    LockdepReport {
        cycles: k
            .lockdep
            .cycles
            .iter()
            .map(|c| LockdepCycle {
                between: if c.classes { "classes" } else { "locks" }.to_string(),
                locks: c
                    .chain
                    .iter()
                    .map(
                        |s| {
                            if c.classes {
                                k.locks.class(s.held).lockdep_name().to_string()
                            } else {
                                k.lock_name(s.held)
                            }
                        },
                    )
                    .collect(),
                chain: c.chain.iter().map(dep).collect(),
            })
            .collect(),
        nesting: k.lockdep.nesting.iter().flatten().map(dep).collect(),
        off: k.lockdep.off.map(str::to_string),
    }
}

/// Draws or reads a step's value.
fn eval(k: &mut Kernel, t: TaskId, v: &Value) -> u64 {
    let task = &mut k.tasks[t as usize];
    match *v {
        Value::Const(x) => x,
        Value::Index => task.index as u64,
        Value::Uniform(a, b) => {
            let (lo, hi) = (a.min(b), a.max(b));
            let v = task.rng.between(lo, hi);
            match (hi - lo).checked_add(1) {
                Some(span) => lo + k.chosen_draw(v - lo, span),
                None => v,
            }
        }
        Value::Exp(mean) => task.rng.exp(mean),
        Value::Expr(ref e) => e.eval(task.index).and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
    }
}

/// A count: as [`eval`], but an exponential draw that rounds to 0 counts 1, so a count drawn
/// from `exp(MEAN)` is never 0 (the draw itself, and so every later draw, is unchanged).
fn eval_count(k: &mut Kernel, t: TaskId, v: &Value) -> u64 {
    let n = eval(k, t, v);
    if matches!(v, Value::Exp(_)) {
        n.max(1)
    } else {
        n
    }
}

/// A step's `of TARGET` for the acting task: `Some(None)` for its own mm, `None` when the
/// target's index names no instance (the step then does nothing).
fn resolve(k: &Kernel, t: TaskId, target: &Option<StepTarget>) -> Option<Option<Target>> {
    match target {
        None => Some(None),
        Some(st) => st.resolve(k.tasks[t as usize].index).map(Some),
    }
}

/// At most `max` points of a step series, keeping each bucket's highest value and the last.
fn thin(series: &[[u64; 2]], max: usize) -> Vec<[u64; 2]> {
    if series.len() <= max {
        return series.to_vec();
    }
    let per = series.len().div_ceil(max - 1);
    let mut out: Vec<[u64; 2]> = series
        .chunks(per)
        .map(|c| *c.iter().max_by_key(|x| (x[1], std::cmp::Reverse(x[0]))).unwrap_or(&c[0]))
        .collect();
    if let Some(last) = series.last() {
        if out.last() != Some(last) {
            out.push(*last);
        }
    }
    out
}
