//! The three lock-alls on real locks in this process's memory, as the kernel code runs them.
//!
//! An [`HostMm`] is a slab of rmap objects (anon_vmas and address_spaces, one 64-byte cache
//! line each, with a test-and-set spinlock and a flag word) and a VMA list (one cache line per
//! VMA, holding its objects' addresses). Objects get their slab slots in shuffled order, as a
//! kernel slab hands out a long-lived process's objects, so address order is not VMA order.
//! An object's *address* is its byte offset in the slab plus one object: the slab is one
//! allocation, so these order exactly as the real addresses do, and they are never 0 (v11's
//! scan starts above 0).
//!
//! The algorithms are monomorphised over an [`Observer`] that the timed runs leave empty, so
//! the tests can watch every lock and unlock without slowing the measured code.

use sim_core::strategy::sort::v13_heap_sort;
use std::hint::spin_loop;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::layout::{Layout, Vma};

/// Bytes per slab object: one cache line.
pub const OBJECT_BYTES: u64 = 64;
/// No object of that kind on a VMA.
const NONE: u64 = 0;
/// AS_MM_ALL_LOCKS on an address_space, and bit 0 of anon_vma->head.next on an anon_vma.
const MARK: u32 = 1;

/// An anon_vma or an address_space: its rmap lock and the bit mm_take_all_locks marks.
#[repr(C, align(64))]
#[derive(Default)]
pub struct Object {
    lock: AtomicU32,
    pub(crate) flags: AtomicU32,
}

impl Object {
    /// spin_lock(): one locked instruction when free (2.6.25's ticket lock is one `lock xadd`).
    #[inline]
    pub(crate) fn lock(&self) {
        if self.lock.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed).is_err() {
            self.lock_contended();
        }
    }

    /// Spins on a plain load until the holder lets go. On a host shared with other work the
    /// holder may have been preempted, which a kernel spinlock holder cannot be: yield now and
    /// then so it can run.
    #[cold]
    fn lock_contended(&self) {
        let mut spins = 0u64;
        loop {
            while self.lock.load(Ordering::Relaxed) != 0 {
                spin_loop();
                spins += 1;
                if spins.is_multiple_of(256) {
                    std::thread::yield_now();
                }
                #[cfg(test)]
                assert!(spins < 1 << 22, "a lock-all waits for a lock it already holds");
            }
            if self.lock.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                return;
            }
        }
    }

    /// spin_unlock(): a plain store.
    #[inline]
    pub(crate) fn unlock(&self) {
        self.lock.store(0, Ordering::Release);
    }

    pub fn is_locked(&self) -> bool {
        self.lock.load(Ordering::Relaxed) != 0
    }

    pub fn is_marked(&self) -> bool {
        self.flags.load(Ordering::Relaxed) & MARK != 0
    }
}

/// A vm_area_struct as the lock-alls see it: the addresses of its anon_vma and of its file's
/// address_space (0: none), on a cache line of its own.
#[repr(C, align(64))]
#[derive(Clone, Copy, Debug)]
struct HostVma {
    anon: u64,
    file: u64,
}

/// Watches a lock-all. The timed runs use `()`, which compiles to nothing.
pub trait Observer {
    fn locked(&mut self, _addr: u64) {}
    fn unlocked(&mut self, _addr: u64) {}
    /// Between the last lock and the first unlock: where the notifier list changes.
    fn critical(&mut self, _mm: &HostMm) {}
}

impl Observer for () {}

/// What one lock-all did: the locks it took, and for v13 its sort's comparisons and the host
/// nanoseconds of its fill and sort phases.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Taken {
    pub locks: u32,
    pub comparisons: u64,
    pub fill_ns: u64,
    pub sort_ns: u64,
    /// mm_take_all_locks returned -EINTR.
    pub interrupted: bool,
}

/// An mm laid out as a [`Layout`], with real locks.
pub struct HostMm {
    layout: Layout,
    slab: Vec<Object>,
    vmas: Vec<HostVma>,
    /// mm_all_locks_mutex: global in the kernel; one lock-all runs at a time here anyway.
    all_locks_mutex: Mutex<()>,
    /// signal_pending(current), as mm_take_all_locks tests it at every VMA.
    pub signal: AtomicBool,
}

/// xorshift64*: the host side's only randomness (slot shuffle, reclaim's picks).
pub fn next_random(x: &mut u64) -> u64 {
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    x.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

impl HostMm {
    pub fn new(layout: Layout, seed: u64) -> HostMm {
        let files = layout.files();
        let objects = (files + layout.anon_vmas()) as usize;
        // Creation order: the files' address_spaces (their inodes exist before the process
        // maps them), then each anonymous VMA's anon_vma as it is mapped; slot[k] is where
        // object k lands.
        let mut slot: Vec<u64> = (0..objects as u64).collect();
        let mut x = seed | 1;
        for i in (1..objects).rev() {
            let j = (next_random(&mut x) % (i as u64 + 1)) as usize;
            slot.swap(i, j);
        }
        let addr = |object: u32| (slot[object as usize] + 1) * OBJECT_BYTES;
        let vmas = (0..layout.vmas)
            .map(|i| match layout.vma(i) {
                Vma::Anon(a) => HostVma { anon: addr(files + a), file: NONE },
                Vma::File(f) => HostVma { anon: NONE, file: addr(f) },
            })
            .collect();
        HostMm {
            layout,
            slab: (0..objects).map(|_| Object::default()).collect(),
            vmas,
            all_locks_mutex: Mutex::new(()),
            signal: AtomicBool::new(false),
        }
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    pub fn objects(&self) -> &[Object] {
        &self.slab
    }

    #[inline]
    fn object(&self, addr: u64) -> &Object {
        &self.slab[(addr / OBJECT_BYTES - 1) as usize]
    }

    /// Reads every object and VMA once, bringing them into the caches without running any of
    /// the lock-alls' branches.
    pub fn touch(&self) -> u64 {
        let objects: u64 = self.slab.iter().map(|o| u64::from(o.lock.load(Ordering::Relaxed))).sum();
        objects + self.vmas.iter().map(|v| v.anon ^ v.file).fold(0, u64::wrapping_add)
    }

    /// The address of every VMA's anon_vma and i_mmap lock (0: none), in VMA order.
    pub fn addresses(&self) -> Vec<(u64, u64)> {
        self.vmas.iter().map(|v| (v.anon, v.file)).collect()
    }

    #[inline]
    fn take(&self, addr: u64, o: &mut impl Observer) {
        self.object(addr).lock();
        o.locked(addr);
    }

    #[inline]
    fn release(&self, addr: u64, o: &mut impl Observer) {
        self.object(addr).unlock();
        o.unlocked(addr);
    }

    /// v13 `mm_lock()` and `mm_unlock()`: two arrays of `map_count` pointers (allocated afresh,
    /// as vmalloc'ed), filled in one VMA walk each, sorted with lib/sort.c's heap sort and v13's
    /// comparator (sim-core's port, the one the model counts), then the anon_vma locks and the
    /// i_mmap locks taken in array order, skipping a lock equal to the previous one; released
    /// the same way; the arrays freed.
    pub fn mm_lock(&self, o: &mut impl Observer) -> Taken {
        let n = self.vmas.len();
        let start = Instant::now();
        let mut anon: Vec<u64> = Vec::with_capacity(n);
        let mut files: Vec<u64> = Vec::with_capacity(n);
        for v in &self.vmas {
            if v.anon != NONE {
                anon.push(v.anon);
            }
        }
        for v in &self.vmas {
            if v.file != NONE {
                files.push(v.file);
            }
        }
        let filled = Instant::now();
        let comparisons = v13_heap_sort(&mut anon) + v13_heap_sort(&mut files);
        let sorted = Instant::now();
        let mut locks = 0;
        for array in [&anon, &files] {
            let mut last = NONE;
            for &addr in array.iter() {
                // `if (locks[i] != last)`, with BUG_ON(last > locks[i]).
                debug_assert!(last <= addr, "mm_lock: array not sorted");
                if addr != last {
                    self.take(addr, o);
                    locks += 1;
                }
                last = addr;
            }
        }
        o.critical(self);
        for array in [&anon, &files] {
            let mut last = NONE;
            for &addr in array.iter() {
                if addr != last {
                    self.release(addr, o);
                }
                last = addr;
            }
        }
        drop((anon, files));
        Taken {
            locks,
            comparisons,
            fill_ns: (filled - start).as_nanos() as u64,
            sort_ns: (sorted - filled).as_nanos() as u64,
            interrupted: false,
        }
    }

    /// v11 `mm_lock()` (the allocation-free fallback): for i_mmap locks, then anon_vma locks,
    /// scan every VMA for the lowest address above the last one taken, take it, repeat until a
    /// scan finds none; unlocking repeats the scans. O(N × distinct locks) VMA visits.
    pub fn mm_lock_slow(&self, o: &mut impl Observer) -> Taken {
        let file = |v: &HostVma| v.file;
        let anon = |v: &HostVma| v.anon;
        let locks = self.scans(file, true, o) + self.scans(anon, true, o);
        o.critical(self);
        self.scans(file, false, o);
        self.scans(anon, false, o);
        Taken { locks, ..Taken::default() }
    }

    fn scans(&self, class: impl Fn(&HostVma) -> u64, lock: bool, o: &mut impl Observer) -> u32 {
        let mut last = NONE;
        let mut count = 0;
        loop {
            let mut next = u64::MAX;
            for v in &self.vmas {
                let addr = class(v);
                if addr > last && addr < next {
                    next = addr;
                }
            }
            if next == u64::MAX {
                return count;
            }
            if lock {
                self.take(next, o);
            } else {
                self.release(next, o);
            }
            count += 1;
            last = next;
        }
    }

    /// 2.6.27 `mm_take_all_locks()` and `mm_drop_all_locks()` (mm/mmap.c): under the global
    /// mutex, a pass taking each address_space's i_mmap_lock the first time it is seen
    /// (`test_and_set_bit(AS_MM_ALL_LOCKS)`, a locked op, then the lock), a pass taking each
    /// anon_vma's lock the first time (the lock, then a plain set of bit 0 of its list head),
    /// `signal_pending()` tested at every VMA of both; the drop is one pass clearing the marks
    /// and releasing, each VMA's anon_vma then its file.
    pub fn mm_take_all_locks(&self, o: &mut impl Observer) -> Taken {
        let guard = self.all_locks_mutex.lock().unwrap_or_else(|e| e.into_inner());
        let mut taken = Taken::default();
        'passes: {
            for v in &self.vmas {
                if self.signal.load(Ordering::Relaxed) {
                    taken.interrupted = true;
                    break 'passes;
                }
                if v.file != NONE {
                    let m = self.object(v.file);
                    if m.flags.load(Ordering::Relaxed) & MARK == 0 {
                        let was = m.flags.fetch_or(MARK, Ordering::Relaxed);
                        assert!(was & MARK == 0, "AS_MM_ALL_LOCKS already set (BUG)");
                        self.take(v.file, o);
                        taken.locks += 1;
                    }
                }
            }
            for v in &self.vmas {
                if self.signal.load(Ordering::Relaxed) {
                    taken.interrupted = true;
                    break 'passes;
                }
                if v.anon != NONE {
                    let a = self.object(v.anon);
                    let flags = a.flags.load(Ordering::Relaxed);
                    if flags & MARK == 0 {
                        self.take(v.anon, o);
                        a.flags.store(flags | MARK, Ordering::Relaxed);
                        taken.locks += 1;
                    }
                }
            }
            o.critical(self);
        }
        for v in &self.vmas {
            if v.anon != NONE {
                let a = self.object(v.anon);
                let flags = a.flags.load(Ordering::Relaxed);
                if flags & MARK != 0 {
                    a.flags.store(flags & !MARK, Ordering::Relaxed);
                    self.release(v.anon, o);
                }
            }
            if v.file != NONE {
                let m = self.object(v.file);
                if m.flags.fetch_and(!MARK, Ordering::Relaxed) & MARK != 0 {
                    self.release(v.file, o);
                }
            }
        }
        drop(guard);
        taken
    }
}

/// Reclaim-like rmap walks until `stop`: pick a random object of one of the mms `current`
/// names (the copies of the layout being timed), take its lock, hold it for a short walk of
/// its VMAs, release, pause. Returns the walks made.
pub fn reclaim(mms: &[Vec<HostMm>], current: &AtomicUsize, stop: &AtomicBool, seed: u64) -> u64 {
    /// spin_loop() hints while holding the lock and between walks: about 0.1 and 0.5 µs here.
    const HOLD_SPINS: u32 = 32;
    const GAP_SPINS: u32 = 160;
    let mut x = seed | 1;
    let mut walks = 0;
    while !stop.load(Ordering::Relaxed) {
        let Some(copies) = mms.get(current.load(Ordering::Relaxed)).filter(|c| !c.is_empty()) else { break };
        let objects = copies[(next_random(&mut x) % copies.len() as u64) as usize].objects();
        let o = &objects[(next_random(&mut x) % objects.len() as u64) as usize];
        o.lock();
        for _ in 0..HOLD_SPINS {
            spin_loop();
        }
        o.unlock();
        walks += 1;
        for _ in 0..GAP_SPINS {
            spin_loop();
        }
    }
    walks
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records every lock and unlock, and checks at the critical section that every object is
    /// held.
    #[derive(Default)]
    struct Log {
        locked: Vec<u64>,
        unlocked: Vec<u64>,
        all_held: Option<bool>,
    }

    impl Observer for Log {
        fn locked(&mut self, addr: u64) {
            self.locked.push(addr);
        }
        fn unlocked(&mut self, addr: u64) {
            self.unlocked.push(addr);
        }
        fn critical(&mut self, mm: &HostMm) {
            self.all_held = Some(mm.objects().iter().all(Object::is_locked));
        }
    }

    type Run = fn(&HostMm, &mut Log) -> Taken;
    const DESIGNS: [(&str, Run); 3] = [
        ("mm_lock", |mm, o| mm.mm_lock(o)),
        ("mm_lock_slow", |mm, o| mm.mm_lock_slow(o)),
        ("mm_take_all_locks", |mm, o| mm.mm_take_all_locks(o)),
    ];

    fn sorted(v: &[u64]) -> Vec<u64> {
        let mut s = v.to_vec();
        s.sort_unstable();
        s
    }

    #[test]
    fn addresses_are_shuffled_and_distinct() {
        let mm = HostMm::new(Layout::new(256), 7);
        let anon: Vec<u64> = mm.addresses().iter().map(|a| a.0).filter(|&a| a != NONE).collect();
        assert_ne!(anon, sorted(&anon), "address order is VMA order");
        let mut all: Vec<u64> = mm.addresses().iter().flat_map(|&(a, f)| [a, f]).filter(|&a| a != NONE).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len() as u32, mm.layout().distinct_locks());
    }

    #[test]
    fn every_design_takes_each_lock_once_holds_them_all_and_releases_each_once() {
        for vmas in [64, 128, 1024] {
            let mm = HostMm::new(Layout::new(vmas), 3);
            for (name, run) in DESIGNS {
                let mut log = Log::default();
                let taken = run(&mm, &mut log);
                let distinct = mm.layout().distinct_locks();
                assert_eq!(taken.locks, distinct, "{name} at {vmas}");
                assert_eq!(log.all_held, Some(true), "{name}: not every lock held in the critical section");
                let mut once = sorted(&log.locked);
                once.dedup();
                assert_eq!(once.len(), log.locked.len(), "{name} took a lock twice");
                assert_eq!(sorted(&log.locked), sorted(&log.unlocked), "{name} released another set");
                assert!(mm.objects().iter().all(|o| !o.is_locked() && !o.is_marked()), "{name} left a lock");
            }
        }
    }

    #[test]
    fn v13_takes_anon_vmas_then_files_each_by_address_and_releases_in_the_same_order() {
        let mm = HostMm::new(Layout::new(256), 5);
        let mut log = Log::default();
        let taken = mm.mm_lock(&mut log);
        let anon = mm.layout().anon_vmas() as usize;
        let (a, f) = log.locked.split_at(anon);
        assert_eq!(a, sorted(a));
        assert_eq!(f, sorted(f));
        let anon_addrs: Vec<u64> = mm.addresses().iter().map(|x| x.0).filter(|&x| x != NONE).collect();
        assert_eq!(a, sorted(&anon_addrs));
        assert_eq!(log.unlocked, log.locked);
        assert!(taken.comparisons > 0);
    }

    #[test]
    fn v11_takes_files_then_anon_vmas_by_address() {
        let mm = HostMm::new(Layout::new(128), 5);
        let mut log = Log::default();
        mm.mm_lock_slow(&mut log);
        let files = mm.layout().files() as usize;
        let (f, a) = log.locked.split_at(files);
        assert_eq!(f, sorted(f));
        assert_eq!(a, sorted(a));
        let file_addrs: Vec<u64> = mm.addresses().iter().map(|x| x.1).filter(|&x| x != NONE).collect();
        assert_eq!(sorted(f), {
            let mut s = sorted(&file_addrs);
            s.dedup();
            s
        });
    }

    #[test]
    fn the_merged_passes_take_each_object_at_its_first_vma_files_first() {
        let mm = HostMm::new(Layout::new(128), 9);
        let mut log = Log::default();
        mm.mm_take_all_locks(&mut log);
        // VMA order, first sight of each object, i_mmap pass then anon_vma pass.
        let mut want = Vec::new();
        for pass in [1, 0] {
            for &(a, f) in &mm.addresses() {
                let addr = if pass == 1 { f } else { a };
                if addr != NONE && !want.contains(&addr) {
                    want.push(addr);
                }
            }
        }
        assert_eq!(log.locked, want);
    }

    #[test]
    fn a_pending_signal_makes_the_merged_lock_all_return_eintr_holding_nothing() {
        let mm = HostMm::new(Layout::new(64), 1);
        mm.signal.store(true, Ordering::Relaxed);
        let mut log = Log::default();
        let taken = mm.mm_take_all_locks(&mut log);
        assert!(taken.interrupted);
        assert_eq!(taken.locks, 0);
        assert_eq!(log.all_held, None);
        assert!(mm.objects().iter().all(|o| !o.is_locked()));
    }

    #[test]
    fn the_lock_alls_are_correct_against_a_reclaimer_on_another_thread() {
        let mms = vec![vec![HostMm::new(Layout::new(256), 2)]];
        let current = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let walks = std::thread::scope(|s| {
            let r = s.spawn(|| reclaim(&mms, &current, &stop, 11));
            for _ in 0..50 {
                for (name, run) in DESIGNS {
                    let mut log = Log::default();
                    let mm = &mms[0][0];
                    assert_eq!(run(mm, &mut log).locks, mm.layout().distinct_locks(), "{name}");
                    assert_eq!(log.all_held, Some(true));
                }
            }
            stop.store(true, Ordering::Relaxed);
            r.join().expect("reclaimer")
        });
        assert!(walks > 0);
    }
}
