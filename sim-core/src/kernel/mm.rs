//! Memory objects: mm, VMAs, anon_vmas, files (address_spaces), ptes with each driver's
//! secondary mappings, and the exact coherence oracle behind `invalidate.missed`.
//!
//! sim tracks ptes, not struct pages: a page is (VMA, page index). A driver's secondary mapping
//! of a page is one bit in the pte's `sptes` mask. When a pte is torn down and its page freed,
//! any bit still set is a secondary MMU left pointing at a freed page: a missed invalidation.

use super::locks::{LockId, TaskId};
use super::vmalloc::Area;
use crate::program::{DriverId, FileId};
use std::collections::{BTreeMap, BTreeSet};

pub type MmId = u32;
pub type VmaId = u32;
pub type AnonVmaId = u32;

pub const NONE: u32 = u32::MAX;

/// Secondary mappings still pointing at pages as they are freed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stale {
    /// Of registered drivers, or of drivers no longer on the list: missed invalidations.
    pub missed: u64,
    /// Of drivers that ->release has unlinked but that have not torn their mappings down yet.
    pub in_release: u64,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Pte {
    /// Index in the global list of present ptes (what reclaim draws from).
    pub slot: u32,
    /// Drivers mapping this page in their secondary MMU.
    pub sptes: u64,
}

pub struct Vma {
    pub mm: MmId,
    pub file: Option<FileId>,
    pub anon_vma: Option<AnonVmaId>,
    pub shared: bool,
    pub pages: u64,
    pub dead: bool,
    /// Present ptes by page index.
    pub ptes: BTreeMap<u64, Pte>,
}

pub struct AnonVma {
    pub lock: LockId,
    /// VMAs linked to it, in every mm that shares it.
    pub refs: u32,
}

pub struct File {
    pub name: String,
    pub pages: u64,
    pub lock: LockId,
    /// Every VMA mapping the file, in every mm (the i_mmap prio tree).
    pub vmas: BTreeSet<VmaId>,
}

/// One driver's notifier on one mm.
#[derive(Clone, Copy, Debug, Default)]
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
    /// The lock-all plan built at `layout`, kept for the next lock-all of an unchanged mm.
    pub plan: Option<(u32, std::rc::Rc<crate::strategy::plan::Plan>)>,
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
            plan: None,
        }
    }
}

/// Every memory object of the run and the global index of present ptes.
#[derive(Default)]
pub struct Memory {
    pub mms: Vec<Mm>,
    pub vmas: Vec<Vma>,
    pub anon_vmas: Vec<AnonVma>,
    pub files: Vec<File>,
    /// Present ptes, for reclaim's random pick: (vma, page).
    pub present: Vec<(VmaId, u64)>,
    pub live_vmas: u64,
}

impl Memory {
    pub fn vma(&self, v: VmaId) -> &Vma {
        &self.vmas[v as usize]
    }

    pub fn mm(&self, m: MmId) -> &Mm {
        &self.mms[m as usize]
    }

    pub fn mm_mut(&mut self, m: MmId) -> &mut Mm {
        &mut self.mms[m as usize]
    }

    /// The live VMAs of an mm in address order.
    pub fn live_vmas(&self, m: MmId) -> impl Iterator<Item = VmaId> + '_ {
        self.mms[m as usize].vmas.iter().copied().filter(|&v| !self.vmas[v as usize].dead)
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
        self.vmas.push(Vma { mm, file, anon_vma, shared, pages, dead: false, ptes: BTreeMap::new() });
        if let Some(f) = file {
            self.files[f as usize].vmas.insert(id);
        }
        if let Some(a) = anon_vma {
            self.anon_vmas[a as usize].refs += 1;
        }
        let m = &mut self.mms[mm as usize];
        m.vmas.push(id);
        m.map_count += 1;
        m.layout = m.layout.wrapping_add(1);
        self.live_vmas += 1;
        id
    }

    /// Inserts `new` right after `after` in its mm's address order (a split).
    pub fn insert_after(&mut self, after: VmaId, new: VmaId) {
        let mm = self.vmas[after as usize].mm as usize;
        self.mms[mm].layout = self.mms[mm].layout.wrapping_add(1);
        let list = &mut self.mms[mm].vmas;
        // `add_vma` appended it; move it next to its twin.
        let popped = list.pop();
        debug_assert_eq!(popped, Some(new));
        let at = list.iter().position(|&v| v == after).map_or(list.len(), |i| i + 1);
        list.insert(at, new);
    }

    /// Marks a VMA unmapped (its ptes must already be gone) and drops its references; returns
    /// the anon_vma if this was its last VMA.
    pub fn remove_vma(&mut self, v: VmaId) -> Option<AnonVmaId> {
        let vma = &mut self.vmas[v as usize];
        assert!(vma.ptes.is_empty(), "VMA removed with present ptes");
        assert!(!vma.dead, "VMA removed twice");
        vma.dead = true;
        let (mm, file, anon) = (vma.mm, vma.file, vma.anon_vma);
        if let Some(f) = file {
            self.files[f as usize].vmas.remove(&v);
        }
        self.live_vmas -= 1;
        let m = &mut self.mms[mm as usize];
        m.map_count -= 1;
        m.layout = m.layout.wrapping_add(1);
        // exit_mmap walks the list by position while it removes: no compaction under it.
        if !m.exiting && m.vmas.len() > 64 && (m.map_count as usize) < m.vmas.len() / 2 {
            let vmas = &self.vmas;
            m.vmas.retain(|&x| !vmas[x as usize].dead);
        }
        let a = anon?;
        let av = &mut self.anon_vmas[a as usize];
        av.refs -= 1;
        (av.refs == 0).then_some(a)
    }

    /// Maps a page (a CPU fault). Returns false if it was already present.
    pub fn map_page(&mut self, v: VmaId, page: u64) -> bool {
        let slot = self.present.len() as u32;
        let vma = &mut self.vmas[v as usize];
        if vma.ptes.contains_key(&page) {
            return false;
        }
        vma.ptes.insert(page, Pte { slot, sptes: 0 });
        self.present.push((v, page));
        true
    }

    /// Tears down one pte and frees its page; returns the secondary mappings still pointing at
    /// it, split into missed invalidations and mappings of drivers inside ->release (see
    /// [`Stale`]).
    pub fn unmap_page(&mut self, v: VmaId, page: u64) -> Stale {
        let releasing = self.mms[self.vmas[v as usize].mm as usize].releasing;
        let Some(pte) = self.vmas[v as usize].ptes.remove(&page) else { return Stale::default() };
        let slot = pte.slot as usize;
        self.present.swap_remove(slot);
        if let Some(&(mv, mp)) = self.present.get(slot) {
            if let Some(moved) = self.vmas[mv as usize].ptes.get_mut(&mp) {
                moved.slot = slot as u32;
            }
        }
        Stale {
            missed: (pte.sptes & !releasing).count_ones() as u64,
            in_release: (pte.sptes & releasing).count_ones() as u64,
        }
    }

    /// Tears down every pte of a VMA.
    pub fn unmap_vma_pages(&mut self, v: VmaId) -> Stale {
        let mut stale = Stale::default();
        while let Some(&p) = self.vmas[v as usize].ptes.keys().next() {
            let s = self.unmap_page(v, p);
            stale.missed += s.missed;
            stale.in_release += s.in_release;
        }
        stale
    }

    /// Drops driver `d`'s secondary mappings in one VMA (an invalidate callback).
    pub fn drop_sptes(&mut self, v: VmaId, d: DriverId) {
        let bit = !(1u64 << d);
        for pte in self.vmas[v as usize].ptes.values_mut() {
            pte.sptes &= bit;
        }
    }

    /// Drops driver `d`'s secondary mappings in a whole mm (->release, or unregister).
    pub fn drop_sptes_mm(&mut self, m: MmId, d: DriverId) {
        let vmas: Vec<VmaId> = self.live_vmas(m).collect();
        for v in vmas {
            self.drop_sptes(v, d);
        }
    }

    pub fn present_ptes(&self, v: VmaId) -> u64 {
        self.vmas[v as usize].ptes.len() as u64
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
        assert!(m.map_page(v, 3));
        assert!(!m.map_page(v, 3));
        m.vmas[v as usize].ptes.get_mut(&3).expect("mapped").sptes = 0b11;
        m.drop_sptes(v, 0);
        assert_eq!(m.unmap_page(v, 3).missed, 1, "driver 1 still maps the freed page");
        assert_eq!(m.unmap_page(v, 3), Stale::default());
    }

    #[test]
    fn the_present_index_follows_swap_removal() {
        let mut m = memory();
        let v = m.add_vma(0, None, None, false, 8);
        for p in 0..5 {
            m.map_page(v, p);
        }
        m.unmap_page(v, 1);
        for (slot, &(vv, p)) in m.present.iter().enumerate() {
            assert_eq!(m.vmas[vv as usize].ptes[&p].slot as usize, slot);
        }
        assert_eq!(m.unmap_vma_pages(v), Stale::default());
        assert!(m.present.is_empty());
        assert_eq!(m.remove_vma(v), None);
        assert_eq!(m.mms[0].map_count, 0);
    }
}
