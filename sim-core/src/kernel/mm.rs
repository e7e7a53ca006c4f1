//! Memory objects: mm, VMAs, anon_vmas, files (address_spaces), ptes with each driver's
//! secondary mappings, and the exact coherence oracle behind `invalidate.missed`.
//!
//! sim tracks ptes, not struct pages: a page is (VMA, page index). A driver's secondary mapping
//! of a page is one bit in the pte's `sptes` mask. When a pte is torn down and its page freed,
//! any bit still set is a secondary MMU left pointing at a freed page: a missed invalidation.

use super::locks::{LockId, TaskId};
use super::ptes::{HasPtes, PteId, PteList, PteTable};
use super::vmalloc::Area;
use super::weights::Weights;
use crate::program::{DriverId, FileId, TouchScope};
use std::collections::BTreeSet;

pub type MmId = u32;
pub type VmaId = u32;
pub type AnonVmaId = u32;

pub const NONE: u32 = u32::MAX;

/// Secondary mappings still pointing at pages as they are freed.
#[derive(Hash, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stale {
    /// Of registered drivers, or of drivers no longer on the list: missed invalidations.
    pub missed: u64,
    /// Of drivers that ->release has unlinked but that have not torn their mappings down yet.
    pub in_release: u64,
}

/// A VMA: what it maps, and the locks its rmap walks take, in one 40-byte record.
#[derive(Hash)]
pub struct Vma {
    pub mm: MmId,
    file: u32,
    anon_vma: u32,
    file_lock: LockId,
    anon_lock: LockId,
    pub shared: bool,
    pub pages: u64,
    ptes: PteList,
    /// Its position in its mm's VMA list.
    pos: u32,
}

fn some(x: u32) -> Option<u32> {
    (x != NONE).then_some(x)
}

impl Vma {
    pub fn file(&self) -> Option<FileId> {
        some(self.file)
    }

    pub fn anon_vma(&self) -> Option<AnonVmaId> {
        some(self.anon_vma)
    }

    /// Its file's i_mmap lock.
    pub fn file_lock(&self) -> Option<LockId> {
        some(self.file_lock)
    }

    /// Its anon_vma's lock.
    pub fn anon_lock(&self) -> Option<LockId> {
        some(self.anon_lock)
    }

    /// Its present ptes.
    pub fn present(&self) -> u64 {
        self.ptes.len()
    }
}

impl HasPtes for Vma {
    fn ptes(&self) -> &PteList {
        &self.ptes
    }

    fn ptes_mut(&mut self) -> &mut PteList {
        &mut self.ptes
    }
}

#[derive(Hash)]
pub struct AnonVma {
    pub lock: LockId,
    /// VMAs linked to it, in every mm that shares it.
    pub refs: u32,
}

#[derive(Hash)]
pub struct File {
    pub name: String,
    pub pages: u64,
    pub lock: LockId,
    /// Every VMA mapping the file, in every mm (the i_mmap prio tree).
    pub vmas: BTreeSet<VmaId>,
}

/// One driver's notifier on one mm.
#[derive(Hash, Clone, Copy, Debug, Default)]
pub struct NotifierSlot {
    pub registered: bool,
    /// invalidate_range_start calls seen without their end (KVM's mmu_notifier_count).
    pub active: u32,
    /// A v13-style unregister from another task is between its start and its unlink.
    pub unregistering: bool,
    /// ->release unlinked it while such an unregister was in progress.
    pub raced: bool,
    pub ever_registered: bool,
    /// 2.6.27: register took an mm_count reference that unregister drops.
    pub mm_count_pin: bool,
    /// keep_lock_data: mm_lock's two arrays, kept from register to unregister.
    pub kept: Option<(Area, Area)>,
}

#[derive(Hash)]
pub struct Mm {
    pub owner: TaskId,
    pub users: u32,
    pub count: u32,
    /// VMAs in address order; unmapped ones stay as tombstones until compaction.
    pub vmas: Vec<VmaId>,
    pub map_count: u32,
    pub mmap_sem: LockId,
    pub list_lock: LockId,
    pub notifiers: Vec<NotifierSlot>,
    /// Bit d set: driver d is registered.
    pub registered: u64,
    /// Bit d set: driver d was unlinked for ->release and has not yet torn its mappings down.
    pub releasing: u64,
    /// mmu_notifier_mm was ever allocated (2.6.27's exit path then waits an RCU grace period).
    pub had_notifiers: bool,
    pub exiting: bool,
    pub gone: bool,
    pub oom_kill_at: Option<u64>,
    /// Changes whenever a VMA is added to or removed from the list.
    pub layout: u32,
    /// Pages of each VMA by its position in `vmas` (0 for tombstones), and of its anonymous ones.
    pub pages: Weights,
    pub anon_pages: Weights,
    /// The lock-all plan built at `layout`, kept for the next lock-all of an unchanged mm.
    /// (Opaque here: the strategy that built it reads it back.)
    pub plan: PlanCache,
}

/// A lock-all plan kept with the layout it was built at. Derived from the mm's state, so not
/// part of it: a state hash leaves it out.
#[derive(Default)]
pub struct PlanCache(pub Option<(u32, std::rc::Rc<dyn std::any::Any>)>);

impl std::hash::Hash for PlanCache {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

impl Mm {
    pub fn new(owner: TaskId, mmap_sem: LockId, list_lock: LockId, drivers: usize) -> Mm {
        Mm {
            owner,
            users: 1,
            count: 1,
            vmas: Vec::new(),
            map_count: 0,
            mmap_sem,
            list_lock,
            notifiers: vec![NotifierSlot::default(); drivers],
            registered: 0,
            releasing: 0,
            had_notifiers: false,
            exiting: false,
            gone: false,
            oom_kill_at: None,
            layout: 0,
            pages: Weights::default(),
            anon_pages: Weights::default(),
            plan: PlanCache::default(),
        }
    }

    /// Room for `n` VMAs in the list and its page weights.
    pub fn reserve(&mut self, n: usize) {
        self.vmas.reserve(n);
        self.pages.reserve(n);
        self.anon_pages.reserve(n);
    }
}

/// Every memory object of the run, and the present ptes.
#[derive(Hash, Default)]
pub struct Memory {
    pub mms: Vec<Mm>,
    pub vmas: Vec<Vma>,
    /// Bit `v` set: VMA `v` is unmapped (a tombstone in its mm's list).
    dead: Vec<u64>,
    pub anon_vmas: Vec<AnonVma>,
    pub files: Vec<File>,
    pub ptes: PteTable,
    pub live_vmas: u64,
}

impl Memory {
    /// Room for `n` VMAs, and an anon_vma each.
    pub fn reserve(&mut self, n: usize) {
        self.vmas.reserve(n);
        self.dead.reserve(n.div_ceil(64));
        self.anon_vmas.reserve(n);
    }

    #[inline]
    pub fn vma(&self, v: VmaId) -> &Vma {
        &self.vmas[v as usize]
    }

    /// Whether VMA `v` has been unmapped.
    #[inline]
    pub fn dead(&self, v: VmaId) -> bool {
        self.dead[v as usize / 64] & (1 << (v % 64)) != 0
    }

    pub fn mm(&self, m: MmId) -> &Mm {
        &self.mms[m as usize]
    }

    pub fn mm_mut(&mut self, m: MmId) -> &mut Mm {
        &mut self.mms[m as usize]
    }

    /// The live VMAs of an mm in address order.
    pub fn live_vmas(&self, m: MmId) -> impl Iterator<Item = VmaId> + '_ {
        self.mms[m as usize].vmas.iter().copied().filter(|&v| !self.dead(v))
    }

    pub fn add_vma(
        &mut self,
        mm: MmId,
        file: Option<FileId>,
        anon_vma: Option<AnonVmaId>,
        shared: bool,
        pages: u64,
    ) -> VmaId {
        let id = self.vmas.len() as VmaId;
        let file_lock = file.map_or(NONE, |f| self.files[f as usize].lock);
        let anon_lock = anon_vma.map_or(NONE, |a| self.anon_vmas[a as usize].lock);
        self.vmas.push(Vma {
            mm,
            file: file.unwrap_or(NONE),
            anon_vma: anon_vma.unwrap_or(NONE),
            file_lock,
            anon_lock,
            shared,
            pages,
            ptes: PteList::default(),
            pos: self.mms[mm as usize].vmas.len() as u32,
        });
        if self.dead.len() * 64 <= id as usize {
            self.dead.push(0);
        }
        if let Some(f) = file {
            self.files[f as usize].vmas.insert(id);
        }
        if let Some(a) = anon_vma {
            self.anon_vmas[a as usize].refs += 1;
        }
        let m = &mut self.mms[mm as usize];
        m.vmas.push(id);
        m.pages.push(pages);
        m.anon_pages.push(if file.is_none() { pages } else { 0 });
        m.map_count += 1;
        m.layout = m.layout.wrapping_add(1);
        self.live_vmas += 1;
        id
    }

    /// Splits VMA `v` at page `low`: the pages from `low` on become a new VMA right after it,
    /// sharing its file and anon_vma, with their ptes.
    pub fn split_vma(&mut self, v: VmaId, low: u64) -> VmaId {
        let x = &self.vmas[v as usize];
        let (mm, file, anon, shared, pages) = (x.mm, x.file(), x.anon_vma(), x.shared, x.pages);
        let new = self.add_vma(mm, file, anon, shared, pages - low);
        self.vmas[v as usize].pages = low;
        let list = &mut self.mms[mm as usize].vmas;
        // `add_vma` appended it; move it next to its twin.
        let popped = list.pop();
        debug_assert_eq!(popped, Some(new));
        let at = self.vmas[v as usize].pos as usize + 1;
        list.insert(at, new);
        self.reposition(mm);
        self.move_ptes(v, low, new);
        new
    }

    /// Renumbers an mm's VMAs by their place in its list and rebuilds its page weights.
    fn reposition(&mut self, mm: MmId) {
        let m = &mut self.mms[mm as usize];
        let (vmas, dead) = (&mut self.vmas, &self.dead);
        let live = |v: VmaId| dead[v as usize / 64] & (1 << (v % 64)) == 0;
        for (i, &v) in m.vmas.iter().enumerate() {
            vmas[v as usize].pos = i as u32;
        }
        let weight = |v: &VmaId, anon_only: bool| {
            let x = &vmas[*v as usize];
            if live(*v) && (!anon_only || x.file == NONE) {
                x.pages
            } else {
                0
            }
        };
        m.pages.rebuild(m.vmas.iter().map(|v| weight(v, false)));
        m.anon_pages.rebuild(m.vmas.iter().map(|v| weight(v, true)));
    }

    /// exit_mmap has begun on mm `m`: no task has it as its mm any more, so nothing touches its
    /// pages again, and the page weights that pick them go (the VMAs' removals need not update
    /// them one by one).
    pub fn begin_exit(&mut self, m: MmId) {
        let mm = &mut self.mms[m as usize];
        mm.exiting = true;
        mm.pages = Weights::default();
        mm.anon_pages = Weights::default();
    }

    /// A page of mm `m` within `scope`, every page equally likely, for `r` drawn below the
    /// scope's page count ([`Memory::scope_pages`]).
    pub fn page_at(&mut self, m: MmId, scope: TouchScope, r: u64) -> (VmaId, u64) {
        let mm = &mut self.mms[m as usize];
        debug_assert!(!mm.exiting, "a touch of an mm under exit_mmap");
        match scope {
            TouchScope::Mm | TouchScope::Anon => {
                let w = if scope == TouchScope::Mm { &mut mm.pages } else { &mut mm.anon_pages };
                let (pos, page) = w.find(r);
                (mm.vmas[pos], page)
            }
            TouchScope::File(f) => {
                let mut r = r;
                for &v in self.files[f as usize].vmas.iter() {
                    let x = &self.vmas[v as usize];
                    if x.mm == m {
                        if r < x.pages {
                            return (v, r);
                        }
                        r -= x.pages;
                    }
                }
                unreachable!("a page drawn below the scope's pages is in the scope")
            }
        }
    }

    /// Pages mapped in mm `m` within `scope`.
    pub fn scope_pages(&self, m: MmId, scope: TouchScope) -> u64 {
        let mm = &self.mms[m as usize];
        match scope {
            TouchScope::Mm => mm.pages.total(),
            TouchScope::Anon => mm.anon_pages.total(),
            TouchScope::File(f) => self.files[f as usize]
                .vmas
                .iter()
                .map(|&v| &self.vmas[v as usize])
                .filter(|x| x.mm == m)
                .map(|x| x.pages)
                .sum(),
        }
    }

    /// Marks a VMA unmapped (its ptes must already be gone) and drops its references; returns
    /// the anon_vma if this was its last VMA.
    pub fn remove_vma(&mut self, v: VmaId) -> Option<AnonVmaId> {
        assert!(self.vmas[v as usize].ptes.is_empty(), "VMA removed with present ptes");
        assert!(!self.dead(v), "VMA removed twice");
        self.dead[v as usize / 64] |= 1 << (v % 64);
        let vma = &self.vmas[v as usize];
        let (mm, file, anon) = (vma.mm, vma.file(), vma.anon_vma());
        if let Some(f) = file {
            self.files[f as usize].vmas.remove(&v);
        }
        self.live_vmas -= 1;
        let (pos, pages) = (self.vmas[v as usize].pos as usize, self.vmas[v as usize].pages);
        let m = &mut self.mms[mm as usize];
        m.map_count -= 1;
        m.layout = m.layout.wrapping_add(1);
        // An exiting mm's weights are gone (see `Memory::begin_exit`).
        if !m.exiting {
            m.pages.sub(pos, pages);
            if file.is_none() {
                m.anon_pages.sub(pos, pages);
            }
        }
        // exit_mmap walks the list by position while it removes: no compaction under it.
        if !m.exiting && m.vmas.len() > 64 && (m.map_count as usize) < m.vmas.len() / 2 {
            let dead = &self.dead;
            m.vmas.retain(|&x| dead[x as usize / 64] & (1 << (x % 64)) == 0);
            self.reposition(mm);
        }
        let a = anon?;
        let av = &mut self.anon_vmas[a as usize];
        av.refs -= 1;
        (av.refs == 0).then_some(a)
    }

    /// Maps a page (a CPU fault): its pte, new or already there.
    pub fn map_page(&mut self, v: VmaId, page: u64) -> PteId {
        self.ptes.map(&mut self.vmas, v, page).0
    }

    /// Tears down one pte and frees its page; returns the secondary mappings still pointing at
    /// it, split into missed invalidations and mappings of drivers inside ->release (see
    /// [`Stale`]).
    pub fn unmap_pte(&mut self, id: PteId) -> Stale {
        let pte = self.ptes.unmap(&mut self.vmas, id);
        self.stale(self.vmas[pte.vma as usize].mm, pte.sptes)
    }

    /// Clears a pte and returns its secondary mappings, the page not yet freed (see [`Memory::stale`]).
    pub fn clear_pte(&mut self, id: PteId) -> u64 {
        self.ptes.unmap(&mut self.vmas, id).sptes
    }

    /// Secondary mappings `sptes` of a page of mm `m` being freed: missed invalidations, or
    /// mappings of drivers inside ->release.
    pub fn stale(&self, m: MmId, sptes: u64) -> Stale {
        let releasing = self.mms[m as usize].releasing;
        Stale { missed: (sptes & !releasing).count_ones() as u64, in_release: (sptes & releasing).count_ones() as u64 }
    }

    /// Drops driver `d`'s secondary mappings in one VMA and says how many there were.
    pub fn take_sptes(&mut self, v: VmaId, d: DriverId) -> u64 {
        self.ptes.count_and_clear(&self.vmas[v as usize].ptes, 1u64 << d)
    }

    /// Tears down every pte of a VMA, in page order.
    pub fn unmap_vma_pages(&mut self, v: VmaId) -> Stale {
        let mut stale = Stale::default();
        let mut ids = self.ptes.take_scratch();
        self.ptes.in_order(&self.vmas, v, &mut ids);
        for &id in &ids {
            let s = self.unmap_pte(id);
            stale.missed += s.missed;
            stale.in_release += s.in_release;
        }
        self.ptes.put_scratch(ids);
        stale
    }

    /// Drops driver `d`'s secondary mappings in one VMA (an invalidate callback).
    pub fn drop_sptes(&mut self, v: VmaId, d: DriverId) {
        self.ptes.clear_sptes(&self.vmas[v as usize].ptes, 1u64 << d);
    }

    /// Drops driver `d`'s secondary mappings in a whole mm (->release, or unregister).
    pub fn drop_sptes_mm(&mut self, m: MmId, d: DriverId) {
        for &v in &self.mms[m as usize].vmas {
            if !self.dead(v) {
                self.ptes.clear_sptes(&self.vmas[v as usize].ptes, 1u64 << d);
            }
        }
    }

    /// Asks the CPU for what tearing down the next VMAs of a walk in list order will read: the
    /// record of the one after next, and the next one's anon_vma and its lock (its record was
    /// asked for a step earlier). A walk over an mm whose VMAs were created among other mms'
    /// touches records far apart. Changes nothing.
    #[inline]
    pub fn prefetch_teardown(&self, next: Option<VmaId>, after: Option<VmaId>, locks: &super::locks::LockTable) {
        if let Some(x) = after.and_then(|v| self.vmas.get(v as usize)) {
            super::prefetch(x);
        }
        if let Some(x) = next.and_then(|v| self.vmas.get(v as usize)) {
            if let Some(a) = x.anon_vma().and_then(|a| self.anon_vmas.get(a as usize)) {
                super::prefetch(a);
                locks.prefetch(a.lock);
            }
        }
    }

    pub fn present_ptes(&self, v: VmaId) -> u64 {
        self.vmas[v as usize].ptes.len()
    }

    /// VMA `v`'s ptes in page order, into `out`.
    pub fn ptes_in_order(&self, v: VmaId, out: &mut Vec<PteId>) {
        self.ptes.in_order(&self.vmas, v, out);
    }

    /// Moves the ptes of VMA `v` at pages `from..` to VMA `to`, `from` pages lower (a split).
    pub fn move_ptes(&mut self, v: VmaId, from: u64, to: VmaId) {
        self.ptes.move_tail(&mut self.vmas, v, from, to);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory() -> Memory {
        let mut m = Memory::default();
        m.mms.push(Mm::new(0, 0, 1, 2));
        m
    }

    #[test]
    fn a_secondary_mapping_left_at_unmap_is_counted_once() {
        let mut m = memory();
        let v = m.add_vma(0, None, None, false, 8);
        let id = m.map_page(v, 3);
        assert_eq!(m.map_page(v, 3), id);
        m.ptes.get_mut(id).sptes = 0b11;
        m.drop_sptes(v, 0);
        assert_eq!(m.unmap_pte(id).missed, 1, "driver 1 still maps the freed page");
        assert_eq!(m.ptes.find(v, 3), None);
    }

    #[test]
    fn teardown_empties_the_present_list() {
        let mut m = memory();
        let v = m.add_vma(0, None, None, false, 8);
        for p in 0..5 {
            m.map_page(v, p);
        }
        let one = m.ptes.find(v, 1).expect("mapped");
        m.unmap_pte(one);
        assert_eq!(m.present_ptes(v), 4);
        assert_eq!(m.unmap_vma_pages(v), Stale::default());
        assert_eq!(m.ptes.present_len(), 0);
        assert_eq!(m.remove_vma(v), None);
        assert_eq!(m.mms[0].map_count, 0);
        assert!(m.dead(v));
    }
}
