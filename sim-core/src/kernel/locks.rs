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
/// What kind of kernel object a lock protects, for reports and lock-class rules.
#[derive(Hash, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockClass {
    MmapSem,
    IMmap,
    AnonVma,
    NotifierList,
    AllLocksMutex,
}

impl LockClass {
    pub const ALL: [LockClass; 5] =
        [LockClass::MmapSem, LockClass::IMmap, LockClass::AnonVma, LockClass::NotifierList, LockClass::AllLocksMutex];
    pub const COUNT: usize = LockClass::ALL.len();

    /// The class as lockdep and /proc/lock_stat name it: one key for every instance.
    pub fn lockdep_name(self) -> &'static str {
        match self {
            LockClass::MmapSem => "&mm->mmap_sem",
            LockClass::IMmap => "&mapping->i_mmap_lock",
            LockClass::AnonVma => "&anon_vma->lock",
            LockClass::NotifierList => "&mmn_mm->lock",
            LockClass::AllLocksMutex => "mm_all_locks_mutex",
        }
    }
}

#[derive(Hash, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sync {
    Spin,
    Mutex,
    Rwsem,
}

impl Sync {
    const ALL: [Sync; 3] = [Sync::Spin, Sync::Mutex, Sync::Rwsem];

    pub fn sleeps(self) -> bool {
        !matches!(self, Sync::Spin)
    }
}

#[derive(Hash, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Read,
    Write,
}

/// What a lock-all's planning and reports need, apart from the state acquire and release use.
#[derive(Hash, Clone, Copy, Debug)]
struct LockInfo {
    object: u32,
    addr: u64,
}

// `Lock::bits`: the sync kind, the class, the lock-all flag, and whether `owner` heads a list of
// readers rather than naming the writer.
const SYNC_MASK: u32 = 0b11;
const CLASS_SHIFT: u32 = 2;
const CLASS_MASK: u32 = 0b111 << CLASS_SHIFT;
const FLAG: u32 = 1 << 5;
const READ: u32 = 1 << 6;
/// The CPU of the last acquirer, plus one (0: none yet), in the bits above.
const CPU_SHIFT: u32 = 8;
const CPU_MAX: u32 = (1 << (32 - CPU_SHIFT)) - 2;

/// The state of one lock that acquire and release touch: 24 bytes, so a lock-all over a large
/// mm walks as few cache lines as it can.
#[derive(Hash, Clone, Copy, Debug)]
struct Lock {
    /// The writer (the holder of a spinlock or mutex), or with `READ` the first reader hold.
    owner: u32,
    /// The last waiter; its `wait_next` is the first (a circular list), `NONE` if none.
    wait_tail: TaskId,
    last_holder: TaskId,
    bits: u32,
    /// When the writer took it.
    write_since: u64,
}

/// One reader's hold of an rwsem, in the lock's list of them.
#[derive(Hash, Clone, Copy, Debug)]
struct ReadHold {
    task: TaskId,
    next: u32,
    since: u64,
}

/// Per-task lock state, indexed by task.
#[derive(Hash, Clone)]
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

#[derive(Hash)]
pub enum Acquire {
    Acquired,
    /// Queued behind the holders; `cycle` is set when this wait closed a cycle in the
    /// waits-for graph: each entry is a task and the lock it waits for, in order, starting with
    /// the task that just blocked. Each task holds the lock the previous entry waits for.
    Blocked {
        cycle: Option<Vec<(TaskId, LockId)>>,
    },
}

/// A hold that ended: how long, and whether it was exclusive (a writer's).
#[derive(Hash, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hold {
    pub ns: u64,
    pub exclusive: bool,
}

/// A release: the hold it ended, and what its bookkeeping needs from the lock and the task.
#[derive(Clone, Copy, Debug)]
pub struct Released {
    pub hold: Hold,
    pub class: LockClass,
    pub spin: bool,
    /// Spinlocks the task still holds.
    pub spins: u32,
    /// The lock has waiters to hand it to.
    pub waiters: bool,
}

/// A grant, as [`LockTable::taken`] reads it: the lock's class and kind, whether its previous
/// acquirer ran on another CPU, and how many locks (and spinlocks) the task now holds.
#[derive(Clone, Copy, Debug)]
pub struct Taken {
    pub class: LockClass,
    pub spin: bool,
    pub bounce: bool,
    pub held: u32,
    pub spins: u32,
}

#[inline]
fn class_of(bits: u32) -> LockClass {
    LockClass::ALL[((bits & CLASS_MASK) >> CLASS_SHIFT) as usize]
}

/// A waiter that received the lock on a release, and how long it waited.
#[derive(Hash, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Granted {
    pub task: TaskId,
    pub waited_ns: u64,
}

/// A lock's holders, from the lock table's parts (so the caller may change the tasks' state).
fn holders_in<'a>(locks: &'a [Lock], reads: &'a [ReadHold], l: LockId) -> impl Iterator<Item = TaskId> + 'a {
    let lock = &locks[l as usize];
    let (writer, mut read) = match (lock.owner, lock.bits & READ != 0) {
        (NONE, _) => (None, NONE),
        (first, true) => (None, first),
        (writer, false) => (Some(writer), NONE),
    };
    writer.into_iter().chain(std::iter::from_fn(move || {
        let h = reads.get(read as usize)?;
        read = h.next;
        Some(h.task)
    }))
}

#[derive(Hash, Default)]
pub struct LockTable {
    locks: Vec<Lock>,
    info: Vec<LockInfo>,
    reads: Vec<ReadHold>,
    free_reads: Vec<u32>,
    tasks: Vec<TaskLocks>,
    epoch: u32,
    stack: Vec<TaskId>,
}

impl LockTable {
    /// Room for `n` more locks.
    pub fn reserve(&mut self, n: usize) {
        self.locks.reserve(n);
        self.info.reserve(n);
    }

    pub fn add(&mut self, class: LockClass, sync: Sync, object: u32, addr: u64) -> LockId {
        let id = self.locks.len() as LockId;
        let bits = sync as u32 | (class as u32) << CLASS_SHIFT;
        self.locks.push(Lock { owner: NONE, wait_tail: NONE, last_holder: NONE, bits, write_since: 0 });
        self.info.push(LockInfo { object, addr });
        id
    }

    /// Asks the CPU to bring lock `l`'s state into cache: a lock-all's next locks are far apart
    /// in the table. Changes nothing.
    #[inline]
    pub fn prefetch(&self, l: LockId) {
        if let Some(lock) = self.locks.get(l as usize) {
            super::prefetch(lock);
        }
    }

    pub fn add_task(&mut self, t: TaskId) {
        if self.tasks.len() <= t as usize {
            self.tasks.resize(t as usize + 1, TaskLocks::default());
        }
    }

    pub fn len(&self) -> usize {
        self.locks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.locks.is_empty()
    }

    #[inline]
    pub fn sync(&self, l: LockId) -> Sync {
        Sync::ALL[(self.locks[l as usize].bits & SYNC_MASK) as usize]
    }

    #[inline]
    pub fn class(&self, l: LockId) -> LockClass {
        class_of(self.locks[l as usize].bits)
    }

    /// Index of the object owning the lock (mm, file, anon_vma), for names in reports.
    pub fn object(&self, l: LockId) -> u32 {
        self.info[l as usize].object
    }

    /// The kernel address the sorting strategies compare.
    #[inline]
    pub fn addr(&self, l: LockId) -> u64 {
        self.info[l as usize].addr
    }

    /// The AS_MM_ALL_LOCKS bit on an address_space, or the mark on an anon_vma.
    #[inline]
    pub fn flag(&self, l: LockId) -> bool {
        self.locks[l as usize].bits & FLAG != 0
    }

    #[inline]
    pub fn set_flag(&mut self, l: LockId, on: bool) {
        let bits = &mut self.locks[l as usize].bits;
        *bits = if on { *bits | FLAG } else { *bits & !FLAG };
    }

    /// The CPU its last acquirer ran on (what lock_stat calls a bounce when it differs).
    #[inline]
    pub fn last_cpu(&self, l: LockId) -> Option<u32> {
        let c = self.locks[l as usize].bits >> CPU_SHIFT;
        (c != 0).then(|| c - 1)
    }

    /// The task that held the lock last (warm or cold acquire).
    #[inline]
    pub fn last_holder(&self, l: LockId) -> Option<TaskId> {
        let h = self.locks[l as usize].last_holder;
        (h != NONE).then_some(h)
    }

    /// The lock's holders: its writer, or its readers (the latest first).
    pub fn holders(&self, l: LockId) -> impl Iterator<Item = TaskId> + '_ {
        holders_in(&self.locks, &self.reads, l)
    }

    pub fn held_by(&self, l: LockId, t: TaskId) -> bool {
        self.holders(l).any(|h| h == t)
    }

    pub fn is_free(&self, l: LockId) -> bool {
        self.locks[l as usize].owner == NONE
    }

    pub fn has_waiters(&self, l: LockId) -> bool {
        self.locks[l as usize].wait_tail != NONE
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
                lock.owner = t;
                lock.write_since = now;
            }
            Mode::Read => {
                let hold =
                    ReadHold { task: t, next: if lock.bits & READ != 0 { lock.owner } else { NONE }, since: now };
                let at = match self.free_reads.pop() {
                    Some(at) => {
                        self.reads[at as usize] = hold;
                        at
                    }
                    None => {
                        self.reads.push(hold);
                        (self.reads.len() - 1) as u32
                    }
                };
                lock.owner = at;
                lock.bits |= READ;
            }
        }
        lock.last_holder = t;
        let spin = lock.bits & SYNC_MASK == Sync::Spin as u32;
        let ts = &mut self.tasks[t as usize];
        ts.held += 1;
        ts.spins += u32::from(spin);
    }

    /// What the bookkeeping of a grant needs, read off the lock and its new holder in one go;
    /// records `cpu` as the lock's last acquirer.
    #[inline]
    pub fn taken(&mut self, t: TaskId, l: LockId, cpu: u32) -> Taken {
        let lock = &mut self.locks[l as usize];
        let bits = lock.bits;
        let last = bits >> CPU_SHIFT;
        lock.bits = (bits & ((1 << CPU_SHIFT) - 1)) | (cpu.min(CPU_MAX) + 1) << CPU_SHIFT;
        let ts = &self.tasks[t as usize];
        Taken {
            class: class_of(bits),
            spin: bits & SYNC_MASK == Sync::Spin as u32,
            bounce: last != 0 && last - 1 != cpu,
            held: ts.held,
            spins: ts.spins,
        }
    }

    #[inline]
    fn can_take(&self, l: LockId, mode: Mode) -> bool {
        let lock = &self.locks[l as usize];
        lock.wait_tail == NONE && (lock.owner == NONE || mode == Mode::Read && lock.bits & READ != 0)
    }

    /// Takes the lock now, or queues the task (FIFO) and looks for a cycle.
    pub fn acquire(&mut self, t: TaskId, l: LockId, mode: Mode, now: u64) -> Acquire {
        let mode = if self.locks[l as usize].bits & SYNC_MASK == Sync::Rwsem as u32 { mode } else { Mode::Write };
        assert_eq!(self.tasks[t as usize].blocked_on, NONE, "task {t} acquires while already blocked");
        if self.can_take(l, mode) {
            self.grant(t, l, mode, now);
            return Acquire::Acquired;
        }
        let tail = self.locks[l as usize].wait_tail;
        let next = if tail == NONE { t } else { std::mem::replace(&mut self.tasks[tail as usize].wait_next, t) };
        let ts = &mut self.tasks[t as usize];
        ts.blocked_on = l;
        ts.wait_mode = mode;
        ts.wait_since = now;
        ts.wait_next = next;
        self.locks[l as usize].wait_tail = t;
        Acquire::Blocked { cycle: self.find_cycle(t) }
    }

    /// Releases `t`'s hold on `l`. Returns how long the hold lasted and what the release's
    /// bookkeeping needs; if the lock has waiters, [`LockTable::hand_off`] is next.
    pub fn release(&mut self, t: TaskId, l: LockId, now: u64) -> Released {
        let lock = &mut self.locks[l as usize];
        let hold;
        if lock.bits & READ == 0 {
            assert!(lock.owner == t, "task {t} releases lock {l} it does not hold");
            lock.owner = NONE;
            hold = Hold { ns: now - lock.write_since, exclusive: true };
        } else {
            // Unlink t's hold from the lock's readers.
            let mut prev = NONE;
            let mut at = lock.owner;
            while at != NONE && self.reads[at as usize].task != t {
                prev = at;
                at = self.reads[at as usize].next;
            }
            assert!(at != NONE, "task {t} releases lock {l} it does not hold");
            let ReadHold { next, since, .. } = self.reads[at as usize];
            if prev == NONE {
                lock.owner = next;
                if next == NONE {
                    lock.bits &= !READ;
                }
            } else {
                self.reads[prev as usize].next = next;
            }
            self.free_reads.push(at);
            hold = Hold { ns: now - since, exclusive: false };
        }
        let lock = &self.locks[l as usize];
        let spin = lock.bits & SYNC_MASK == Sync::Spin as u32;
        let (class, waiters) = (class_of(lock.bits), lock.wait_tail != NONE);
        let ts = &mut self.tasks[t as usize];
        ts.held -= 1;
        ts.spins -= u32::from(spin);
        Released { hold, class, spin, spins: ts.spins, waiters }
    }

    /// Hands a released lock to the waiters now entitled to it, in FIFO order (one writer, or a
    /// run of readers), appending them to `granted`.
    pub fn hand_off(&mut self, l: LockId, now: u64, granted: &mut Vec<Granted>) {
        loop {
            let lock = &self.locks[l as usize];
            let tail = lock.wait_tail;
            if tail == NONE {
                return;
            }
            let head = self.tasks[tail as usize].wait_next;
            let mode = self.tasks[head as usize].wait_mode;
            let ok = lock.owner == NONE || mode == Mode::Read && lock.bits & READ != 0;
            if !ok {
                return;
            }
            if head == tail {
                self.locks[l as usize].wait_tail = NONE;
            } else {
                self.tasks[tail as usize].wait_next = self.tasks[head as usize].wait_next;
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
        let LockTable { locks, reads, tasks, stack, .. } = self;
        stack.clear();
        stack.push(t);
        tasks[t as usize].visit = epoch;
        tasks[t as usize].parent = NONE;
        while let Some(u) = stack.pop() {
            let l = tasks[u as usize].blocked_on;
            if l == NONE {
                continue;
            }
            for h in holders_in(locks, reads, l) {
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
        (0..self.locks.len() as LockId).filter(|&l| self.held_by(l, t)).collect()
    }

    /// The tasks queued on `l`, in FIFO order.
    pub fn waiters(&self, l: LockId) -> Vec<TaskId> {
        let mut out = Vec::new();
        let tail = self.locks[l as usize].wait_tail;
        if tail == NONE {
            return out;
        }
        let mut w = self.tasks[tail as usize].wait_next;
        loop {
            out.push(w);
            if w == tail {
                return out;
            }
            w = self.tasks[w as usize].wait_next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A release and its hand-off, as the kernel makes them.
    fn release(lt: &mut LockTable, t: TaskId, l: LockId, now: u64, granted: &mut Vec<Granted>) {
        if lt.release(t, l, now).waiters {
            lt.hand_off(l, now, granted);
        }
    }

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
            release(&mut lt, holder, l, 10, &mut g);
            assert_eq!(g, vec![Granted { task: next, waited_ns: 10 - next as u64 }]);
        }
        assert_eq!(lt.spins(3), 1);
        g.clear();
        release(&mut lt, 3, l, 11, &mut g);
        assert!(g.is_empty() && lt.is_free(l));
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
        release(&mut lt, 0, l, 5, &mut g);
        assert_eq!(g.iter().map(|x| x.task).collect::<Vec<_>>(), vec![1]);
        g.clear();
        release(&mut lt, 1, l, 6, &mut g);
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
