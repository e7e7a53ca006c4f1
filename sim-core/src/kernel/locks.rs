//! Locks: spinlocks (waiters spin on their CPU), mutexes and rwsems (waiters sleep), all with FIFO
//! hand-off, hold/wait bookkeeping, and a waits-for graph that finds a deadlock the moment a
//! cycle closes.
//!
//! Ownership passes directly to the first waiter on release (ticket spinlocks, 2.6.25), so a woken
//! waiter already holds the lock when it runs again.

pub type LockId = u32;
pub type TaskId = u32;

const NONE: u32 = u32::MAX;

/// What kind of kernel object a lock protects, for reports and lock-class rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockClass {
    MmapSem,
    IMmap,
    AnonVma,
    NotifierList,
    AllLocksMutex,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sync {
    Spin,
    Mutex,
    Rwsem,
}

impl Sync {
    pub fn sleeps(self) -> bool {
        !matches!(self, Sync::Spin)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Read,
    Write,
}

pub struct Lock {
    pub class: LockClass,
    pub sync: Sync,
    /// Index of the object owning the lock (mm, file, anon_vma), for names in reports.
    pub object: u32,
    /// The kernel address the sorting strategies compare.
    pub addr: u64,
    /// The AS_MM_ALL_LOCKS bit on an address_space, or the mark on an anon_vma.
    pub flag: bool,
    writer: TaskId,
    readers: Vec<TaskId>,
    wait_head: TaskId,
    wait_tail: TaskId,
    last_holder: TaskId,
    /// When the writer (the holder of a spinlock or mutex) took it.
    write_since: u64,
}

impl Lock {
    pub fn is_free(&self) -> bool {
        self.writer == NONE && self.readers.is_empty()
    }

    pub fn holders(&self) -> impl Iterator<Item = TaskId> + '_ {
        (self.writer != NONE).then_some(self.writer).into_iter().chain(self.readers.iter().copied())
    }

    pub fn held_by(&self, t: TaskId) -> bool {
        self.writer == t || self.readers.contains(&t)
    }

    pub fn last_holder(&self) -> Option<TaskId> {
        (self.last_holder != NONE).then_some(self.last_holder)
    }

    pub fn has_waiters(&self) -> bool {
        self.wait_head != NONE
    }
}

/// Per-task lock state, indexed by task.
#[derive(Clone)]
struct TaskLocks {
    blocked_on: LockId,
    wait_mode: Mode,
    wait_next: TaskId,
    wait_since: u64,
    held: u32,
    spins: u32,
    visit: u32,
    parent: TaskId,
}

impl Default for TaskLocks {
    fn default() -> Self {
        TaskLocks {
            blocked_on: NONE,
            wait_mode: Mode::Write,
            wait_next: NONE,
            wait_since: 0,
            held: 0,
            spins: 0,
            visit: 0,
            parent: NONE,
        }
    }
}

pub enum Acquire {
    Acquired,
    /// Queued behind the holders; `cycle` is set when this wait closed a cycle in the
    /// waits-for graph: each entry is a task and the lock it waits for, in order, starting with
    /// the task that just blocked. Each task holds the lock the previous entry waits for.
    Blocked {
        cycle: Option<Vec<(TaskId, LockId)>>,
    },
}

/// A waiter that received the lock on a release, and how long it waited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Granted {
    pub task: TaskId,
    pub waited_ns: u64,
}

#[derive(Default)]
pub struct LockTable {
    locks: Vec<Lock>,
    tasks: Vec<TaskLocks>,
    epoch: u32,
    stack: Vec<TaskId>,
}

impl LockTable {
    pub fn add(&mut self, class: LockClass, sync: Sync, object: u32, addr: u64) -> LockId {
        let id = self.locks.len() as LockId;
        self.locks.push(Lock {
            class,
            sync,
            object,
            addr,
            flag: false,
            writer: NONE,
            readers: Vec::new(),
            wait_head: NONE,
            wait_tail: NONE,
            last_holder: NONE,
            write_since: 0,
        });
        id
    }

    pub fn add_task(&mut self, t: TaskId) {
        if self.tasks.len() <= t as usize {
            self.tasks.resize(t as usize + 1, TaskLocks::default());
        }
    }

    #[inline]
    pub fn get(&self, l: LockId) -> &Lock {
        &self.locks[l as usize]
    }

    #[inline]
    pub fn get_mut(&mut self, l: LockId) -> &mut Lock {
        &mut self.locks[l as usize]
    }

    pub fn len(&self) -> usize {
        self.locks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.locks.is_empty()
    }

    /// Locks of any kind the task holds.
    pub fn held(&self, t: TaskId) -> u32 {
        self.tasks[t as usize].held
    }

    /// Spinlocks the task holds (what preempt_count counts).
    pub fn spins(&self, t: TaskId) -> u32 {
        self.tasks[t as usize].spins
    }

    pub fn blocked_on(&self, t: TaskId) -> Option<LockId> {
        let b = self.tasks[t as usize].blocked_on;
        (b != NONE).then_some(b)
    }

    fn grant(&mut self, t: TaskId, l: LockId, mode: Mode, now: u64) {
        let lock = &mut self.locks[l as usize];
        match mode {
            Mode::Write => {
                lock.writer = t;
                lock.write_since = now;
            }
            Mode::Read => lock.readers.push(t),
        }
        lock.last_holder = t;
        let spin = lock.sync == Sync::Spin;
        let ts = &mut self.tasks[t as usize];
        ts.held += 1;
        if spin {
            ts.spins += 1;
        }
    }

    fn can_take(&self, l: LockId, mode: Mode) -> bool {
        let lock = &self.locks[l as usize];
        if lock.wait_head != NONE {
            return false;
        }
        match mode {
            Mode::Write => lock.is_free(),
            Mode::Read => lock.writer == NONE,
        }
    }

    /// Takes the lock now, or queues the task (FIFO) and looks for a cycle.
    pub fn acquire(&mut self, t: TaskId, l: LockId, mode: Mode, now: u64) -> Acquire {
        let mode = if self.locks[l as usize].sync == Sync::Rwsem { mode } else { Mode::Write };
        assert_eq!(self.tasks[t as usize].blocked_on, NONE, "task {t} acquires while already blocked");
        if self.can_take(l, mode) {
            self.grant(t, l, mode, now);
            return Acquire::Acquired;
        }
        let ts = &mut self.tasks[t as usize];
        ts.blocked_on = l;
        ts.wait_mode = mode;
        ts.wait_next = NONE;
        ts.wait_since = now;
        let lock = &mut self.locks[l as usize];
        if lock.wait_tail == NONE {
            lock.wait_head = t;
        } else {
            self.tasks[lock.wait_tail as usize].wait_next = t;
        }
        lock.wait_tail = t;
        Acquire::Blocked { cycle: self.find_cycle(t) }
    }

    /// Releases `t`'s hold on `l` and hands the lock to the waiters now entitled to it, in FIFO
    /// order (one writer, or a run of readers), appending them to `granted`. Returns how long an
    /// exclusive hold lasted (None for a reader).
    pub fn release(&mut self, t: TaskId, l: LockId, now: u64, granted: &mut Vec<Granted>) -> Option<u64> {
        let lock = &mut self.locks[l as usize];
        let mut held = None;
        if lock.writer == t {
            lock.writer = NONE;
            held = Some(now - lock.write_since);
        } else if let Some(i) = lock.readers.iter().position(|&r| r == t) {
            lock.readers.swap_remove(i);
        } else {
            panic!("task {t} releases lock {l} it does not hold");
        }
        let spin = lock.sync == Sync::Spin;
        let ts = &mut self.tasks[t as usize];
        ts.held -= 1;
        if spin {
            ts.spins -= 1;
        }
        self.hand_off(l, now, granted);
        held
    }

    fn hand_off(&mut self, l: LockId, now: u64, granted: &mut Vec<Granted>) {
        loop {
            let lock = &self.locks[l as usize];
            let head = lock.wait_head;
            if head == NONE {
                return;
            }
            let mode = self.tasks[head as usize].wait_mode;
            let ok = match mode {
                Mode::Write => lock.is_free(),
                Mode::Read => lock.writer == NONE,
            };
            if !ok {
                return;
            }
            let next = self.tasks[head as usize].wait_next;
            let lock = &mut self.locks[l as usize];
            lock.wait_head = next;
            if next == NONE {
                lock.wait_tail = NONE;
            }
            let ts = &mut self.tasks[head as usize];
            ts.blocked_on = NONE;
            ts.wait_next = NONE;
            let waited_ns = now - ts.wait_since;
            self.grant(head, l, mode, now);
            granted.push(Granted { task: head, waited_ns });
            if mode == Mode::Write {
                return;
            }
        }
    }

    /// Depth-first search of the waits-for graph from the lock `t` just blocked on.
    fn find_cycle(&mut self, t: TaskId) -> Option<Vec<(TaskId, LockId)>> {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            for ts in &mut self.tasks {
                ts.visit = 0;
            }
            self.epoch = 1;
        }
        let epoch = self.epoch;
        let LockTable { locks, tasks, stack, .. } = self;
        stack.clear();
        stack.push(t);
        tasks[t as usize].visit = epoch;
        tasks[t as usize].parent = NONE;
        while let Some(u) = stack.pop() {
            let l = tasks[u as usize].blocked_on;
            if l == NONE {
                continue;
            }
            for h in locks[l as usize].holders() {
                if h == t {
                    // Walk parents back from u to t: t -> ... -> u waits, u waits for a lock t holds.
                    let mut path = vec![u];
                    let mut x = u;
                    while x != t {
                        x = tasks[x as usize].parent;
                        path.push(x);
                    }
                    path.reverse();
                    return Some(path.into_iter().map(|x| (x, tasks[x as usize].blocked_on)).collect());
                }
                if tasks[h as usize].visit != epoch {
                    tasks[h as usize].visit = epoch;
                    tasks[h as usize].parent = u;
                    stack.push(h);
                }
            }
        }
        None
    }

    /// Every lock `t` holds (a scan; used only when a deadlock is reported).
    pub fn locks_held_by(&self, t: TaskId) -> Vec<LockId> {
        (0..self.locks.len() as LockId).filter(|&l| self.locks[l as usize].held_by(t)).collect()
    }

    /// The tasks queued on `l`, in FIFO order.
    pub fn waiters(&self, l: LockId) -> Vec<TaskId> {
        let mut out = Vec::new();
        let mut w = self.locks[l as usize].wait_head;
        while w != NONE {
            out.push(w);
            w = self.tasks[w as usize].wait_next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(tasks: u32) -> LockTable {
        let mut lt = LockTable::default();
        for t in 0..tasks {
            lt.add_task(t);
        }
        lt
    }

    #[test]
    fn waiters_get_the_lock_in_fifo_order() {
        let mut lt = table(4);
        let l = lt.add(LockClass::IMmap, Sync::Spin, 0, 0x1000);
        assert!(matches!(lt.acquire(0, l, Mode::Write, 0), Acquire::Acquired));
        for t in 1..4 {
            assert!(matches!(lt.acquire(t, l, Mode::Write, t as u64), Acquire::Blocked { cycle: None }));
        }
        let mut g = Vec::new();
        for (holder, next) in [(0, 1), (1, 2), (2, 3)] {
            g.clear();
            lt.release(holder, l, 10, &mut g);
            assert_eq!(g, vec![Granted { task: next, waited_ns: 10 - next as u64 }]);
        }
        assert_eq!(lt.spins(3), 1);
        g.clear();
        lt.release(3, l, 11, &mut g);
        assert!(g.is_empty() && lt.get(l).is_free());
    }

    #[test]
    fn rwsem_grants_a_run_of_readers_and_a_queued_writer_blocks_later_readers() {
        let mut lt = table(5);
        let l = lt.add(LockClass::MmapSem, Sync::Rwsem, 0, 0);
        assert!(matches!(lt.acquire(0, l, Mode::Read, 0), Acquire::Acquired));
        assert!(matches!(lt.acquire(1, l, Mode::Write, 0), Acquire::Blocked { .. }));
        // A reader behind a queued writer waits (FIFO fairness).
        assert!(matches!(lt.acquire(2, l, Mode::Read, 0), Acquire::Blocked { .. }));
        assert!(matches!(lt.acquire(3, l, Mode::Read, 0), Acquire::Blocked { .. }));
        let mut g = Vec::new();
        lt.release(0, l, 5, &mut g);
        assert_eq!(g.iter().map(|x| x.task).collect::<Vec<_>>(), vec![1]);
        g.clear();
        lt.release(1, l, 6, &mut g);
        assert_eq!(g.iter().map(|x| x.task).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(lt.spins(2), 0);
    }

    #[test]
    fn two_tasks_taking_two_locks_in_opposite_order_deadlock_and_both_locks_are_named() {
        let mut lt = table(2);
        let a = lt.add(LockClass::IMmap, Sync::Spin, 0, 0xa000);
        let b = lt.add(LockClass::IMmap, Sync::Spin, 1, 0xb000);
        assert!(matches!(lt.acquire(0, a, Mode::Write, 0), Acquire::Acquired));
        assert!(matches!(lt.acquire(1, b, Mode::Write, 0), Acquire::Acquired));
        assert!(matches!(lt.acquire(0, b, Mode::Write, 1), Acquire::Blocked { cycle: None }));
        match lt.acquire(1, a, Mode::Write, 2) {
            Acquire::Blocked { cycle: Some(c) } => assert_eq!(c, vec![(1, a), (0, b)]),
            _ => panic!("the cycle was not found"),
        }
    }

    #[test]
    fn a_task_waiting_for_a_lock_it_holds_is_a_cycle_of_one() {
        let mut lt = table(1);
        let a = lt.add(LockClass::AnonVma, Sync::Spin, 0, 0xa000);
        assert!(matches!(lt.acquire(0, a, Mode::Write, 0), Acquire::Acquired));
        assert!(matches!(lt.acquire(0, a, Mode::Write, 0), Acquire::Blocked { cycle: Some(c) } if c == vec![(0, a)]));
    }

    #[test]
    fn a_chain_without_a_cycle_is_not_a_deadlock() {
        let mut lt = table(3);
        let a = lt.add(LockClass::IMmap, Sync::Spin, 0, 1);
        let b = lt.add(LockClass::IMmap, Sync::Spin, 1, 2);
        assert!(matches!(lt.acquire(0, a, Mode::Write, 0), Acquire::Acquired));
        assert!(matches!(lt.acquire(1, b, Mode::Write, 0), Acquire::Acquired));
        assert!(matches!(lt.acquire(1, a, Mode::Write, 0), Acquire::Blocked { cycle: None }));
        assert!(matches!(lt.acquire(2, b, Mode::Write, 0), Acquire::Blocked { cycle: None }));
    }
}
