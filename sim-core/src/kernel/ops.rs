//! Kernel operations as state machines. Each call of `next` happens at an event time, reads and
//! changes the model's state at that instant, and returns one [`Micro`]: what the task does
//! next and how long it takes. Time passes only inside micros, so every decision an operation
//! takes sees the state as it is at that simulated instant.

use super::locks::{LockId, Mode};
use super::mm::{MmId, VmaId};
use super::task::TaskId;
use super::Kernel;
use crate::cost::Cost;
use crate::metrics::Metric;
use crate::program::{BlockId, DriverId, FileId, ReclaimNotify, Strategy, TargetId, TouchScope};
use crate::report::NoopKind;
use crate::trace::TraceKind;

pub const ENOMEM: i32 = -12;
pub const EINTR: i32 = -4;

/// One step of a task, as the engine executes it.
#[derive(Hash)]
pub enum Micro {
    /// Run on the CPU for this long.
    Cpu(u64),
    /// After `before` ns of CPU and the acquire cost, take the lock (or wait for it).
    Lock { lock: LockId, mode: Mode, before: u64 },
    /// After `before` ns of CPU and the release cost, release the lock.
    Unlock { lock: LockId, before: u64 },
    /// After `before` ns, look at signal_pending(); the answer is in `Task::signal_seen`.
    Check { before: u64 },
    /// Sleep off the CPU, uninterruptibly (synchronize_rcu).
    Sleep(u64),
    /// Run a sub-operation to completion first.
    Call(Op),
    /// This operation is over; its caller continues.
    Done,
    /// The task is gone (the end of do_exit).
    Finish,
}

#[derive(Hash)]
pub enum Op {
    Mmap(Mmap),
    Munmap(Munmap),
    Fork(Fork),
    Touch(Touch),
    Mprotect(Mprotect),
    Invalidate(Invalidate),
    RmapUpdate(RmapUpdate),
    Unlink(Unlink),
    Exit(Exit),
    Mmput(Mmput),
    ExitMmap(ExitMmap),
    Reclaim(Reclaim),
    Truncate(Truncate),
}

impl Op {
    pub fn next(&mut self, k: &mut Kernel, t: TaskId) -> Micro {
        match self {
            Op::Mmap(o) => o.next(k, t),
            Op::Munmap(o) => o.next(k, t),
            Op::Fork(o) => o.next(k, t),
            Op::Touch(o) => o.next(k, t),
            Op::Mprotect(o) => o.next(k, t),
            Op::Invalidate(o) => o.next(k, t),
            Op::RmapUpdate(o) => o.next(k, t),
            Op::Unlink(o) => o.next(k, t),
            Op::Exit(o) => o.next(k, t),
            Op::Mmput(o) => o.next(k, t),
            Op::ExitMmap(o) => o.next(k, t),
            Op::Reclaim(o) => o.next(k, t),
            Op::Truncate(o) => o.next(k, t),
        }
    }

    /// What the task is doing, for deadlock reports and traces.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Mmap(_) => "mmap",
            Op::Munmap(_) => "munmap",
            Op::Fork(_) => "fork",
            Op::Touch(_) => "page fault",
            Op::Mprotect(_) => "mprotect",
            Op::Invalidate(_) => "invalidate_range",
            Op::RmapUpdate(_) => "rmap update",
            Op::Unlink(_) => "unlink_vma",
            Op::Exit(_) => "do_exit",
            Op::Mmput(_) => "mmput",
            Op::ExitMmap(_) => "exit_mmap",
            Op::Reclaim(_) => "page reclaim",
            Op::Truncate(_) => "truncate",
        }
    }
}

// ---- helpers shared by operations ------------------------------------------------------------

/// Under an explorer, the live VMA a draw picked (`v`) can be any live VMA of the mm: option
/// `c` is the `c`-th after `v` in the mm's order.
fn chosen_vma(k: &mut Kernel, mm: MmId, v: VmaId) -> VmaId {
    if k.sched.choices.is_none() {
        return v;
    }
    let live: Vec<VmaId> = k.mem.mm(mm).vmas.iter().copied().filter(|&x| !k.mem.dead(x)).collect();
    let at = live.iter().position(|&x| x == v).expect("v is live") as u64;
    live[k.chosen_draw(at, live.len() as u64) as usize]
}

/// A random live VMA of the mm (tombstones are skipped by drawing again).
pub fn random_vma(k: &mut Kernel, t: TaskId, mm: MmId) -> Option<VmaId> {
    let m = k.mem.mm(mm);
    if m.map_count == 0 {
        return None;
    }
    let len = m.vmas.len() as u64;
    loop {
        let i = k.tasks[t as usize].rng.below(len) as usize;
        let v = k.mem.mms[mm as usize].vmas[i];
        if !k.mem.dead(v) {
            return Some(chosen_vma(k, mm, v));
        }
    }
}

/// Charges a notifier callback of driver `d`, counting it and any sleep under a spinlock.
pub fn callback(k: &mut Kernel, t: TaskId, d: DriverId, what: &'static str) -> u64 {
    k.metrics.inc(Metric::InvalidateCalls);
    let drv = &k.p.drivers[d as usize];
    if drv.sleeps && k.locks.spins(t) > 0 {
        k.metrics.inc(Metric::AtomicSleep);
    }
    let ns = drv.callback_ns;
    k.record(t, TraceKind::Callback { driver: d, what });
    ns
}

fn lowest(mask: &mut u64) -> Option<DriverId> {
    if *mask == 0 {
        return None;
    }
    let d = mask.trailing_zeros();
    *mask &= *mask - 1;
    Some(d)
}

fn rmap_mode(k: &Kernel) -> Mode {
    // With sleeping rmap locks, rmap walks share them; writers (truncate, lock-alls) do not.
    match k.p.options.lock_kind {
        crate::program::LockKind::Rwsem => Mode::Read,
        crate::program::LockKind::Spinlock => Mode::Write,
    }
}

// ---- mmap ------------------------------------------------------------------------------------

#[derive(Hash)]
pub struct Mmap {
    pub file: Option<FileId>,
    pub pages: u64,
    pub left: u64,
    pub shared: bool,
    pc: u8,
}

impl Mmap {
    pub fn new(file: Option<FileId>, pages: u64, count: u64, shared: bool) -> Mmap {
        Mmap { file, pages: pages.max(1), left: count, shared, pc: 0 }
    }

    fn next(&mut self, k: &mut Kernel, t: TaskId) -> Micro {
        let mm = k.tasks[t as usize].mm.expect("mmap needs an mm");
        let sem = k.mem.mm(mm).mmap_sem;
        loop {
            match self.pc {
                0 => {
                    self.pc = 1;
                    return Micro::Lock { lock: sem, mode: Mode::Write, before: 0 };
                }
                1 => {
                    if self.left == 0 {
                        self.pc = 3;
                        return Micro::Unlock { lock: sem, before: 0 };
                    }
                    if k.mem.mm(mm).map_count >= k.p.machine.max_map_count {
                        // Each VMA still to map is one mmap call refused.
                        k.metrics.add(Metric::MmapFailed, self.left);
                        self.left = 0;
                        continue;
                    }
                    if !k.vma_room(t) {
                        self.left = 0;
                        continue;
                    }
                    self.left -= 1;
                    let work = k.cost(Cost::MmapVma);
                    match self.file {
                        // A fresh anon_vma: nobody else can see its lock yet.
                        None => {
                            let av = k.new_anon_vma(t);
                            k.mem.add_vma(mm, None, Some(av), false, self.pages);
                            return Micro::Cpu(work);
                        }
                        Some(f) => {
                            self.pc = 2;
                            let lock = k.mem.files[f as usize].lock;
                            return Micro::Lock { lock, mode: Mode::Write, before: work };
                        }
                    }
                }
                2 => {
                    let f = self.file.expect("file mmap");
                    let anon = (!self.shared).then(|| k.new_anon_vma(t));
                    k.mem.add_vma(mm, Some(f), anon, self.shared, self.pages);
                    self.pc = 1;
                    return Micro::Unlock { lock: k.mem.files[f as usize].lock, before: 0 };
                }
                _ => return Micro::Done,
            }
        }
    }
}

// ---- munmap ----------------------------------------------------------------------------------

#[derive(Hash)]
pub struct Munmap {
    /// `None`: every VMA.
    left: Option<u64>,
    pc: u8,
    vma: VmaId,
    unmapped: bool,
}

impl Munmap {
    pub fn new(count: Option<u64>) -> Munmap {
        Munmap { left: count, pc: 0, vma: 0, unmapped: false }
    }

    fn next(&mut self, k: &mut Kernel, t: TaskId) -> Micro {
        let mm = k.tasks[t as usize].mm.expect("munmap needs an mm");
        let sem = k.mem.mm(mm).mmap_sem;
        match self.pc {
            0 => {
                self.pc = 1;
                Micro::Lock { lock: sem, mode: Mode::Write, before: 0 }
            }
            1 => {
                let pick = match self.left {
                    Some(0) => None,
                    Some(n) => {
                        self.left = Some(n - 1);
                        random_vma(k, t, mm)
                    }
                    None => k.mem.live_vmas(mm).next(),
                };
                match pick {
                    Some(v) => {
                        self.vma = v;
                        self.unmapped = true;
                        self.pc = 2;
                        let work = k.cost(Cost::MunmapVma);
                        Micro::Call(Op::Invalidate(Invalidate::new(v, true, work)))
                    }
                    None => {
                        if !self.unmapped {
                            k.step_noop(t, NoopKind::MunmapNoVma);
                        }
                        self.pc = 3;
                        Micro::Unlock { lock: sem, before: 0 }
                    }
                }
            }
            2 => {
                self.pc = 1;
                Micro::Call(Op::Unlink(Unlink::new(self.vma)))
            }
            _ => Micro::Done,
        }
    }
}

// ---- invalidate_range_start / teardown / invalidate_range_end on one VMA ----------------------

/// The range invalidation protocol on one VMA: start callbacks (each driver drops its mappings
/// of the range and counts an invalidation in progress), the work, then — if the pages are
/// being freed — pte teardown with the coherence check, then the end callbacks.
#[derive(Hash)]
pub struct Invalidate {
    vma: VmaId,
    free: bool,
    work: u64,
    pc: u8,
    iter: u64,
    started: u64,
    current: Option<DriverId>,
}

impl Invalidate {
    pub fn new(vma: VmaId, free: bool, work: u64) -> Invalidate {
        Invalidate { vma, free, work, pc: 0, iter: 0, started: 0, current: None }
    }

    fn next(&mut self, k: &mut Kernel, t: TaskId) -> Micro {
        let mm = k.mem.vma(self.vma).mm;
        loop {
            match self.pc {
                0 => {
                    self.iter = k.mem.mm(mm).registered;
                    self.pc = 1;
                }
                1 => {
                    if let Some(d) = self.current.take() {
                        // The start callback has run: the driver dropped its mappings of the
                        // range and will not map it again until the matching end.
                        if k.mem.mm(mm).registered & (1 << d) != 0 {
                            k.mem.drop_sptes(self.vma, d);
                            k.mem.mm_mut(mm).notifiers[d as usize].active += 1;
                            self.started |= 1 << d;
                        }
                    }
                    match lowest(&mut self.iter) {
                        Some(d) => {
                            self.current = Some(d);
                            return Micro::Cpu(callback(k, t, d, "invalidate_range_start"));
                        }
                        None => self.pc = 2,
                    }
                }
                2 => {
                    self.pc = 3;
                    let zap =
                        if self.free { k.mem.present_ptes(self.vma).saturating_mul(k.cost(Cost::PteZap)) } else { 0 };
                    // The start and end hooks, charged with the work.
                    let hooks = k.notifier_hooks(mm, 2);
                    return Micro::Cpu(self.work.saturating_add(zap).saturating_add(hooks));
                }
                3 => {
                    if self.free {
                        let stale = k.mem.unmap_vma_pages(self.vma);
                        k.count_stale(stale);
                    } else {
                        // Nothing is freed, but the ptes changed under the window (protection,
                        // COW): a driver that registered inside it and mapped the range keeps a
                        // mapping of the old pte it will never be told about.
                        let mut late = k.mem.mm(mm).registered & !self.started;
                        while let Some(d) = lowest(&mut late) {
                            let n = k.mem.take_sptes(self.vma, d);
                            k.metrics.add(Metric::InvalidateMissed, n);
                        }
                    }
                    self.iter = k.mem.mm(mm).registered | self.started;
                    self.pc = 4;
                }
                _ => {
                    if let Some(d) = self.current.take() {
                        if self.started & (1 << d) != 0 {
                            let slot = &mut k.mem.mm_mut(mm).notifiers[d as usize];
                            slot.active = slot.active.saturating_sub(1);
                        }
                    }
                    match lowest(&mut self.iter) {
                        Some(d) => {
                            self.current = Some(d);
                            if k.mem.mm(mm).registered & (1 << d) != 0 {
                                return Micro::Cpu(callback(k, t, d, "invalidate_range_end"));
                            }
                        }
                        None => return Micro::Done,
                    }
                }
            }
        }
    }
}

// ---- linking and unlinking a VMA in the rmap -----------------------------------------------

/// A VMA's anon_vma lock, then its file's i_mmap lock, each taken and released in turn: what
/// anon_vma_link/unlink and the i_mmap prio-tree updates of fork and unmap do.
#[derive(Hash)]
pub struct RmapUpdate {
    locks: [Option<LockId>; 2],
    pc: u8,
}

impl RmapUpdate {
    pub fn new(k: &Kernel, vma: VmaId) -> RmapUpdate {
        let v = k.mem.vma(vma);
        RmapUpdate { locks: [v.anon_lock(), v.file_lock()], pc: 0 }
    }

    fn next(&mut self, _k: &mut Kernel, _t: TaskId) -> Micro {
        while self.pc < 4 {
            let lock = self.locks[self.pc as usize / 2];
            let take = self.pc.is_multiple_of(2);
            self.pc += 1;
            match lock {
                Some(lock) if take => return Micro::Lock { lock, mode: Mode::Write, before: 0 },
                Some(lock) => return Micro::Unlock { lock, before: 0 },
                None => {}
            }
        }
        Micro::Done
    }
}

/// anon_vma_unlink and unlink_file_vma under their locks, then remove_vma.
#[derive(Hash)]
pub struct Unlink {
    vma: VmaId,
    pc: u8,
}

impl Unlink {
    pub fn new(vma: VmaId) -> Unlink {
        Unlink { vma, pc: 0 }
    }

    fn next(&mut self, k: &mut Kernel, _t: TaskId) -> Micro {
        match self.pc {
            0 => {
                self.pc = 1;
                Micro::Call(Op::RmapUpdate(RmapUpdate::new(k, self.vma)))
            }
            1 => {
                self.pc = 2;
                k.mem.remove_vma(self.vma);
                Micro::Cpu(k.cost(Cost::MunmapVma))
            }
            _ => Micro::Done,
        }
    }
}

// ---- touch: CPU fault, then each driver's secondary-MMU fault ---------------------------------

#[derive(Hash)]
pub struct Touch {
    left: u64,
    scope: TouchScope,
    pc: u8,
    vma: VmaId,
    page: u64,
    pte: super::ptes::PteId,
    iter: u64,
    current: Option<DriverId>,
    touched: bool,
}

impl Touch {
    pub fn new(count: u64, scope: TouchScope) -> Touch {
        Touch { left: count, scope, pc: 0, vma: 0, page: 0, pte: 0, iter: 0, current: None, touched: false }
    }

    fn next(&mut self, k: &mut Kernel, t: TaskId) -> Micro {
        let mm = k.tasks[t as usize].mm.expect("touch needs an mm");
        let sem = k.mem.mm(mm).mmap_sem;
        loop {
            match self.pc {
                0 => {
                    if self.left == 0 {
                        return Micro::Done;
                    }
                    self.left -= 1;
                    // A page of the scope, every mapped page equally likely: as a program's
                    // accesses land, whatever the sizes of the VMAs holding them.
                    let pages = k.mem.scope_pages(mm, self.scope);
                    if pages == 0 {
                        if !self.touched {
                            k.step_noop(t, NoopKind::TouchNoVma);
                        }
                        return Micro::Done;
                    }
                    self.touched = true;
                    let r = k.draw_below(t, pages);
                    (self.vma, self.page) = k.mem.page_at(mm, self.scope, r);
                    self.pc = 1;
                    return Micro::Lock { lock: sem, mode: Mode::Read, before: 0 };
                }
                1 => {
                    self.pc = 2;
                    let present = k.mem.ptes.find(self.vma, self.page).is_some();
                    return Micro::Cpu(k.cost(if present { Cost::PageAccess } else { Cost::Fault }));
                }
                2 => {
                    self.pte = k.mem.map_page(self.vma, self.page);
                    let sptes = k.mem.ptes.get(self.pte).sptes;
                    self.iter = k.mem.mm(mm).registered & !sptes;
                    self.pc = 3;
                }
                _ => {
                    if let Some(d) = self.current.take() {
                        // The secondary fault is done: it may map the page only if no
                        // invalidation of it is in progress and the pte is still there.
                        let slot = k.mem.mm(mm).notifiers[d as usize];
                        if slot.registered {
                            if slot.active == 0 && k.mem.ptes.is(self.pte, self.vma, self.page) {
                                k.mem.ptes.get_mut(self.pte).sptes |= 1 << d;
                            } else {
                                k.metrics.inc(Metric::FaultRetry);
                            }
                        }
                    }
                    match lowest(&mut self.iter) {
                        Some(d) => {
                            self.current = Some(d);
                            return Micro::Cpu(k.p.drivers[d as usize].fault_ns);
                        }
                        None => {
                            self.pc = 0;
                            return Micro::Unlock { lock: sem, before: 0 };
                        }
                    }
                }
            }
        }
    }
}

// ---- mprotect: split (i_mmap then anon_vma, the VM's static order), then invalidate ----------

#[derive(Hash)]
pub struct Mprotect {
    left: u64,
    pc: u8,
    vma: VmaId,
    target: VmaId,
    changed: bool,
}

impl Mprotect {
    pub fn new(count: u64) -> Mprotect {
        Mprotect { left: count, pc: 0, vma: 0, target: 0, changed: false }
    }

    fn next(&mut self, k: &mut Kernel, t: TaskId) -> Micro {
        let mm = k.tasks[t as usize].mm.expect("mprotect needs an mm");
        let sem = k.mem.mm(mm).mmap_sem;
        loop {
            // The VMA being split, once one is picked (pc 2 and on).
            let (file_lock, anon_lock) = match k.mem.vmas.get(self.vma as usize).filter(|_| self.pc >= 2) {
                Some(vma) => (vma.file_lock(), vma.anon_lock()),
                None => (None, None),
            };
            match self.pc {
                0 => {
                    self.pc = 1;
                    return Micro::Lock { lock: sem, mode: Mode::Write, before: 0 };
                }
                1 => {
                    if self.left == 0 {
                        self.pc = 9;
                        return Micro::Unlock { lock: sem, before: 0 };
                    }
                    self.left -= 1;
                    let Some(v) = random_vma(k, t, mm) else {
                        if !self.changed {
                            k.step_noop(t, NoopKind::MprotectNoVma);
                        }
                        self.left = 0;
                        continue;
                    };
                    self.changed = true;
                    self.vma = v;
                    self.target = v;
                    let splits =
                        k.mem.vma(v).pages >= 2 && k.mem.mm(mm).map_count < k.p.machine.max_map_count && k.vma_room(t);
                    if !splits {
                        self.pc = 7;
                        return Micro::Cpu(k.cost(Cost::MprotectVma));
                    }
                    self.pc = 2;
                }
                2 => {
                    self.pc = 3;
                    if let Some(l) = file_lock {
                        return Micro::Lock { lock: l, mode: Mode::Write, before: 0 };
                    }
                }
                3 => {
                    self.pc = 4;
                    if let Some(l) = anon_lock {
                        return Micro::Lock { lock: l, mode: Mode::Write, before: 0 };
                    }
                }
                4 => {
                    self.pc = 5;
                    self.target = split(k, self.vma);
                    let cost = k.cost(Cost::MprotectVma);
                    if let Some(l) = anon_lock {
                        return Micro::Unlock { lock: l, before: cost };
                    }
                    return Micro::Cpu(cost);
                }
                5 => {
                    self.pc = 7;
                    if let Some(l) = file_lock {
                        return Micro::Unlock { lock: l, before: 0 };
                    }
                }
                7 => {
                    self.pc = 1;
                    let work = k.mem.present_ptes(self.target).saturating_mul(k.cost(Cost::PteCopy));
                    return Micro::Call(Op::Invalidate(Invalidate::new(self.target, false, work)));
                }
                _ => return Micro::Done,
            }
        }
    }
}

/// split_vma at the middle page: the upper half becomes a new VMA sharing file and anon_vma.
fn split(k: &mut Kernel, v: VmaId) -> VmaId {
    let low = k.mem.vma(v).pages / 2;
    k.mem.split_vma(v, low)
}

/// Whether fork copies VMA `v` copy-on-write: private with an anon_vma and pages present.
fn cow(k: &Kernel, v: VmaId) -> bool {
    let x = k.mem.vma(v);
    x.anon_vma().is_some() && !x.shared && x.present() > 0
}

// ---- fork --------------------------------------------------------------------------------------

#[derive(Hash)]
pub struct Fork {
    pub name: Option<TargetId>,
    pub body: BlockId,
    pc: u8,
    i: usize,
    parent_vma: VmaId,
    child_vma: VmaId,
    child: Option<TaskId>,
}

impl Fork {
    pub fn new(name: Option<TargetId>, body: BlockId) -> Fork {
        Fork { name, body, pc: 0, i: 0, parent_vma: 0, child_vma: 0, child: None }
    }

    fn next(&mut self, k: &mut Kernel, t: TaskId) -> Micro {
        let mm = k.tasks[t as usize].mm.expect("fork needs an mm");
        let sem = k.mem.mm(mm).mmap_sem;
        loop {
            match self.pc {
                0 => {
                    self.pc = 1;
                    return Micro::Lock { lock: sem, mode: Mode::Write, before: 0 };
                }
                1 => {
                    let Some(c) = super::spawn_child(k, t, self.name, self.body) else {
                        self.pc = 5;
                        continue;
                    };
                    self.child = Some(c);
                    self.pc = 2;
                }
                2 => {
                    // dup_mmap: the parent's VMAs in order (stable: we hold its mmap_sem).
                    let list = &k.mem.mm(mm).vmas;
                    while self.i < list.len() && k.mem.dead(list[self.i]) {
                        self.i += 1;
                    }
                    let Some(&v) = list.get(self.i) else {
                        self.pc = 5;
                        continue;
                    };
                    if !k.vma_room(t) {
                        self.pc = 5;
                        continue;
                    }
                    self.parent_vma = v;
                    self.i += 1;
                    self.pc = 3;
                    // A COW VMA's ptes are copied inside its invalidation window (pc 4).
                    let copy = if cow(k, v) { 0 } else { k.mem.present_ptes(v).saturating_mul(k.cost(Cost::PteCopy)) };
                    return Micro::Cpu(k.cost(Cost::ForkVma).saturating_add(copy));
                }
                3 => {
                    let child_mm = k.tasks[self.child.expect("child") as usize].mm.expect("child mm");
                    let (file, anon, shared, pages) = {
                        let x = k.mem.vma(self.parent_vma);
                        (x.file(), x.anon_vma(), x.shared, x.pages)
                    };
                    self.child_vma = k.mem.add_vma(child_mm, file, anon, shared, pages);
                    let mut ids = k.mem.ptes.take_scratch();
                    k.mem.ptes_in_order(self.parent_vma, &mut ids);
                    for &id in &ids {
                        let page = k.mem.ptes.get(id).page;
                        k.mem.map_page(self.child_vma, page);
                    }
                    k.mem.ptes.put_scratch(ids);
                    self.pc = 4;
                    return Micro::Call(Op::RmapUpdate(RmapUpdate::new(k, self.child_vma)));
                }
                4 => {
                    self.pc = 2;
                    // copy_page_range write-protects the parent's private ptes for COW, under
                    // invalidate_range_start/end: the copy takes place inside the window.
                    if cow(k, self.parent_vma) {
                        let work = k.mem.present_ptes(self.parent_vma).saturating_mul(k.cost(Cost::PteCopy));
                        return Micro::Call(Op::Invalidate(Invalidate::new(self.parent_vma, false, work)));
                    }
                }
                5 => {
                    self.pc = 6;
                    return Micro::Unlock { lock: sem, before: 0 };
                }
                _ => {
                    if let Some(c) = self.child.take() {
                        k.want_cpu(c, 0);
                    }
                    return Micro::Done;
                }
            }
        }
    }
}

// ---- exit ------------------------------------------------------------------------------------

#[derive(Hash)]
pub struct Exit {
    pc: u8,
}

impl Exit {
    pub fn new() -> Exit {
        Exit { pc: 0 }
    }

    fn next(&mut self, k: &mut Kernel, t: TaskId) -> Micro {
        match self.pc {
            0 => {
                self.pc = 1;
                let task = &mut k.tasks[t as usize];
                task.exiting = true;
                task.in_kernel = true;
                task.frames.clear();
                Micro::Cpu(k.cost(Cost::ExitTask))
            }
            1 => {
                self.pc = 2;
                match k.tasks[t as usize].mm {
                    Some(mm) => Micro::Call(Op::Mmput(Mmput::new(mm))),
                    None => Micro::Finish,
                }
            }
            _ => Micro::Finish,
        }
    }
}

impl Default for Exit {
    fn default() -> Self {
        Exit::new()
    }
}

/// Drops an mm_users reference; the last one runs exit_mmap in this task.
#[derive(Hash)]
pub struct Mmput {
    mm: MmId,
    pc: u8,
}

impl Mmput {
    pub fn new(mm: MmId) -> Mmput {
        Mmput { mm, pc: 0 }
    }

    fn next(&mut self, k: &mut Kernel, _t: TaskId) -> Micro {
        if self.pc > 0 {
            return Micro::Done;
        }
        self.pc = 1;
        let m = k.mem.mm_mut(self.mm);
        m.users -= 1;
        if m.users == 0 {
            Micro::Call(Op::ExitMmap(ExitMmap::new(self.mm)))
        } else {
            Micro::Done
        }
    }
}

/// exit_mmap: every notifier's ->release first, then the teardown of every VMA; the memory is
/// free when it ends (that is when an OOM kill's latency stops).
#[derive(Hash)]
pub struct ExitMmap {
    mm: MmId,
    pc: u8,
    current: Option<DriverId>,
    i: usize,
    vma: VmaId,
}

impl ExitMmap {
    pub fn new(mm: MmId) -> ExitMmap {
        ExitMmap { mm, pc: 0, current: None, i: 0, vma: 0 }
    }

    fn next(&mut self, k: &mut Kernel, t: TaskId) -> Micro {
        let merged = k.strategy == Strategy::MmTakeAllLocks;
        let list_lock = k.mem.mm(self.mm).list_lock;
        loop {
            match self.pc {
                0 => {
                    k.record(t, TraceKind::OpBegin("exit_mmap"));
                    k.mem.begin_exit(self.mm);
                    self.pc = 1;
                }
                // mmu_notifier_release: unlink each notifier and call its ->release.
                1 => {
                    let mut registered = k.mem.mm(self.mm).registered;
                    let Some(d) = lowest(&mut registered) else {
                        self.pc = 5;
                        continue;
                    };
                    self.current = Some(d);
                    if merged {
                        self.pc = 2;
                        return Micro::Lock { lock: list_lock, mode: Mode::Write, before: 0 };
                    }
                    super::notifier::unlink_notifier(k, self.mm, d, true);
                    self.pc = 4;
                    return Micro::Cpu(callback(k, t, d, "release"));
                }
                2 => {
                    let d = self.current.expect("notifier being released");
                    super::notifier::unlink_notifier(k, self.mm, d, true);
                    self.pc = 3;
                    return Micro::Unlock { lock: list_lock, before: k.cost(Cost::ListOp) };
                }
                3 => {
                    self.pc = 4;
                    let d = self.current.expect("notifier being released");
                    return Micro::Cpu(callback(k, t, d, "release"));
                }
                4 => {
                    let d = self.current.take().expect("notifier being released");
                    // ->release has torn the driver's mappings down.
                    k.mem.drop_sptes_mm(self.mm, d);
                    k.mem.mm_mut(self.mm).releasing &= !(1u64 << d);
                    super::notifier::free_kept_arrays(k, self.mm, d);
                    self.pc = 1;
                }
                5 => {
                    self.pc = 6;
                    if merged && k.mem.mm(self.mm).had_notifiers {
                        return Micro::Sleep(k.cost(Cost::RcuGrace));
                    }
                    self.pc = 7;
                }
                6 => {
                    // mmu_notifier_release's synchronize_rcu() returns only once every reader
                    // that began before it is done: a concurrent unregister's ->release runs in
                    // one, so exit_mmap frees no page before that ->release has returned.
                    if k.mem.mm(self.mm).releasing != 0 {
                        return Micro::Sleep(k.cost(Cost::RcuGrace));
                    }
                    self.pc = 7;
                }
                7 => {
                    self.pc = 8;
                    return Micro::Cpu(k.cost(Cost::ExitMm));
                }
                8 => {
                    let list = &k.mem.mm(self.mm).vmas;
                    while self.i < list.len() && k.mem.dead(list[self.i]) {
                        self.i += 1;
                    }
                    if self.i >= list.len() {
                        self.pc = 10;
                        continue;
                    }
                    self.vma = list[self.i];
                    self.i += 1;
                    self.pc = 9;
                    k.mem.prefetch_teardown(list.get(self.i).copied(), list.get(self.i + 1).copied(), &k.locks);
                    return Micro::Cpu(k.mem.present_ptes(self.vma).saturating_mul(k.cost(Cost::PteZap)));
                }
                9 => {
                    let stale = k.mem.unmap_vma_pages(self.vma);
                    k.count_stale(stale);
                    self.pc = 8;
                    return Micro::Call(Op::Unlink(Unlink::new(self.vma)));
                }
                _ => {
                    let now = k.now();
                    let m = k.mem.mm_mut(self.mm);
                    assert_eq!(m.map_count, 0, "exit_mmap tears down every VMA of the mm");
                    m.gone = true;
                    m.plan.0 = None;
                    m.count -= 1;
                    if let Some(at) = m.oom_kill_at.take() {
                        k.metrics.sample(Metric::OomKillLatency, now - at);
                    }
                    k.record(t, TraceKind::OpEnd("exit_mmap"));
                    return Micro::Done;
                }
            }
        }
    }
}

// ---- page reclaim and truncate (run by actor tasks) -------------------------------------------

/// Page reclaim of N random mapped pages: each under its rmap lock, invalidate_page on every
/// notifier of its mm, then the page is freed.
#[derive(Hash)]
pub struct Reclaim {
    left: u64,
    pc: u8,
    vma: VmaId,
    page: u64,
    lock: LockId,
    walk_start: Option<u64>,
    walked: bool,
    /// The drivers whose invalidate_page ran for this page.
    called: u64,
    /// With 2.6.27's order, the secondary mappings of the page whose pte is already cleared.
    cleared: Option<u64>,
}

impl Reclaim {
    pub fn new(count: u64) -> Reclaim {
        Reclaim {
            left: count,
            pc: 0,
            vma: 0,
            page: 0,
            lock: 0,
            walk_start: None,
            walked: false,
            called: 0,
            cleared: None,
        }
    }

    fn next(&mut self, k: &mut Kernel, t: TaskId) -> Micro {
        match self.pc {
            0 => {
                if let Some(start) = self.walk_start.take() {
                    k.metrics.sample(Metric::RmapWalk, k.now() - start);
                }
                if self.left == 0 || k.mem.ptes.present_len() == 0 {
                    if !self.walked {
                        k.step_noop(t, NoopKind::ReclaimNoPage);
                    }
                    return Micro::Done;
                }
                self.left -= 1;
                let i = k.draw_below(t, k.mem.ptes.present_len() as u64) as usize;
                let pte = k.mem.ptes.get(k.mem.ptes.present_at(i));
                let (v, p) = (pte.vma, pte.page);
                self.vma = v;
                self.page = p;
                let vma = k.mem.vma(v);
                self.lock = match (vma.anon_lock(), vma.file_lock()) {
                    (Some(a), _) if !vma.shared => a,
                    (_, Some(f)) => f,
                    (Some(a), None) => a,
                    (None, None) => unreachable!("an anonymous VMA always has an anon_vma in sim"),
                };
                self.pc = 1;
                self.walk_start = Some(k.now());
                Micro::Lock { lock: self.lock, mode: rmap_mode(k), before: 0 }
            }
            1 => {
                // The page may have been unmapped while we waited for the lock.
                if k.mem.dead(self.vma) || k.mem.ptes.find(self.vma, self.page).is_none() {
                    // Nothing to walk: not an rmap walk for `rmap.walk`.
                    self.walk_start = None;
                    self.pc = 0;
                    return Micro::Unlock { lock: self.lock, before: 0 };
                }
                let mm = k.mem.vma(self.vma).mm;
                self.walked = true;
                if k.p.options.reclaim_notify == ReclaimNotify::Page {
                    // ptep_clear_flush_notify: the pte goes first, then the notifiers are told;
                    // a fault from now on finds no pte and maps another page.
                    let id = k.mem.ptes.find(self.vma, self.page).expect("present: checked above");
                    self.cleared = Some(k.mem.clear_pte(id));
                }
                // page_referenced's clear_flush_young and try_to_unmap's invalidate_page.
                let mut cost = k.cost(Cost::RmapWalk).saturating_add(k.notifier_hooks(mm, 2));
                self.called = k.mem.mm(mm).registered;
                let mut iter = self.called;
                while let Some(d) = lowest(&mut iter) {
                    cost = cost.saturating_add(callback(k, t, d, "invalidate_page"));
                }
                self.pc = 2;
                Micro::Cpu(cost)
            }
            _ => {
                // The page is freed: a secondary mapping of a driver that was not told is stale.
                let mm = k.mem.vma(self.vma).mm;
                if let Some(sptes) = self.cleared.take() {
                    // Mappings of drivers not told were of drivers ->release had unlinked: live
                    // still if that ->release has not torn them down yet.
                    let stale = k.mem.stale(mm, sptes & !self.called & k.mem.mm(mm).releasing);
                    k.count_stale(stale);
                } else if let Some(id) = k.mem.ptes.find(self.vma, self.page) {
                    k.mem.ptes.get_mut(id).sptes &= !self.called;
                    let stale = k.mem.unmap_pte(id);
                    k.count_stale(stale);
                }
                self.pc = 0;
                Micro::Unlock { lock: self.lock, before: 0 }
            }
        }
    }
}

/// Truncate of a mapped file: under its i_mmap_lock, every VMA mapping it, in every mm, has its
/// range invalidated and its ptes torn down.
#[derive(Hash)]
pub struct Truncate {
    file: FileId,
    pc: u8,
    last: Option<VmaId>,
    start: u64,
}

impl Truncate {
    pub fn new(file: FileId) -> Truncate {
        Truncate { file, pc: 0, last: None, start: 0 }
    }

    fn next(&mut self, k: &mut Kernel, t: TaskId) -> Micro {
        let lock = k.mem.files[self.file as usize].lock;
        match self.pc {
            0 => {
                self.pc = 1;
                self.start = k.now();
                Micro::Lock { lock, mode: Mode::Write, before: 0 }
            }
            1 => {
                let vmas = &k.mem.files[self.file as usize].vmas;
                let next = match self.last {
                    None => vmas.iter().next().copied(),
                    Some(l) => vmas.range(l + 1..).next().copied(),
                };
                match next {
                    Some(v) => {
                        self.last = Some(v);
                        let work = k.cost(Cost::TruncateVma);
                        Micro::Call(Op::Invalidate(Invalidate::new(v, true, work)))
                    }
                    None => {
                        if self.last.is_none() {
                            k.step_noop(t, NoopKind::TruncateUnmapped);
                        }
                        self.pc = 2;
                        Micro::Unlock { lock, before: 0 }
                    }
                }
            }
            _ => {
                k.metrics.sample(Metric::RmapWalk, k.now() - self.start);
                Micro::Done
            }
        }
    }
}
