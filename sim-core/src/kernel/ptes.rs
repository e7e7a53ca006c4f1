//! Present ptes: one record per mapped page, found by (VMA, page) through an open-addressing
//! index, linked into its VMA's list, and listed densely for reclaim's uniform pick.
//!
//! The index is only ever probed, never iterated, so its layout cannot reach a result. Ordered
//! walks of a VMA's ptes (teardown, fork's copy) sort the VMA's list by page first: the order
//! the kernel's page-table walks use.

use super::mm::VmaId;

pub type PteId = u32;

const NIL: u32 = u32::MAX;

#[derive(Hash, Clone, Copy, Debug)]
pub struct Pte {
    /// The VMA mapping the page; `NIL` for a free record.
    pub vma: VmaId,
    /// Index in [`PteTable::present`].
    slot: u32,
    pub page: u64,
    /// Drivers mapping this page in their secondary MMU.
    pub sptes: u64,
    prev: PteId,
    next: PteId,
}

/// The head of a VMA's list of ptes and their number; it lives in the VMA, beside the fields
/// the same walks read.
#[derive(Hash, Clone, Copy, Debug)]
pub struct PteList {
    head: PteId,
    len: u32,
}

impl Default for PteList {
    fn default() -> Self {
        PteList { head: NIL, len: 0 }
    }
}

impl PteList {
    pub fn len(&self) -> u64 {
        self.len as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Whatever holds a VMA's pte list (the VMA; a bare list in tests).
pub trait HasPtes {
    fn ptes(&self) -> &PteList;
    fn ptes_mut(&mut self) -> &mut PteList;
}

impl HasPtes for PteList {
    fn ptes(&self) -> &PteList {
        self
    }

    fn ptes_mut(&mut self) -> &mut PteList {
        self
    }
}

/// One index entry: a pte id and its key.
#[derive(Hash, Clone, Copy, Debug)]
struct Entry {
    page: u64,
    vma: VmaId,
    id: PteId,
}

const FREE: Entry = Entry { page: 0, vma: NIL, id: NIL };

#[derive(Hash)]
pub struct PteTable {
    ptes: Vec<Pte>,
    /// Free records, reused last-freed first.
    free: Vec<PteId>,
    /// Linear probing, capacity a power of two, at most half full (at three quarters, a miss
    /// probes about eight entries; at half, two or three).
    index: Vec<Entry>,
    used: usize,
    /// Every present pte once, in the order reclaim draws from.
    present: Vec<PteId>,
    scratch: Vec<PteId>,
}

impl Default for PteTable {
    fn default() -> Self {
        PteTable {
            ptes: Vec::new(),
            free: Vec::new(),
            index: vec![FREE; 64],
            used: 0,
            present: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

#[inline]
fn hash(vma: VmaId, page: u64) -> u64 {
    (page ^ (vma as u64).rotate_right(23)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl PteTable {
    #[inline]
    pub fn get(&self, id: PteId) -> &Pte {
        &self.ptes[id as usize]
    }

    #[inline]
    pub fn get_mut(&mut self, id: PteId) -> &mut Pte {
        &mut self.ptes[id as usize]
    }

    /// Present ptes in all.
    #[inline]
    pub fn present_len(&self) -> usize {
        self.present.len()
    }

    /// The pte at position `i` of the present list.
    #[inline]
    pub fn present_at(&self, i: usize) -> PteId {
        self.present[i]
    }

    /// Whether `id` is still the live record of `(v, page)`.
    #[inline]
    pub fn is(&self, id: PteId, v: VmaId, page: u64) -> bool {
        let p = &self.ptes[id as usize];
        p.vma == v && p.page == page
    }

    #[inline]
    fn home(&self, vma: VmaId, page: u64) -> usize {
        let bits = self.index.len().trailing_zeros();
        (hash(vma, page) >> (64 - bits)) as usize
    }

    /// The pte of page `page` of VMA `v`, if present.
    #[inline]
    pub fn find(&self, v: VmaId, page: u64) -> Option<PteId> {
        let mask = self.index.len() - 1;
        let mut i = self.home(v, page);
        loop {
            let e = self.index[i];
            if e.id == NIL {
                return None;
            }
            if e.vma == v && e.page == page {
                return Some(e.id);
            }
            i = (i + 1) & mask;
        }
    }

    fn index_insert(&mut self, e: Entry) {
        let mask = self.index.len() - 1;
        let mut i = self.home(e.vma, e.page);
        while self.index[i].id != NIL {
            i = (i + 1) & mask;
        }
        self.index[i] = e;
    }

    fn index_remove(&mut self, v: VmaId, page: u64) {
        let mask = self.index.len() - 1;
        let mut i = self.home(v, page);
        while !(self.index[i].vma == v && self.index[i].page == page) {
            debug_assert!(self.index[i].id != NIL, "pte index: removing a key it does not hold");
            i = (i + 1) & mask;
        }
        // Backward-shift deletion: pull later entries of the run into the hole when their home
        // is not between the hole and them.
        let mut hole = i;
        let mut j = (i + 1) & mask;
        loop {
            let e = self.index[j];
            if e.id == NIL {
                break;
            }
            let home = self.home(e.vma, e.page);
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.index[hole] = e;
                hole = j;
            }
            j = (j + 1) & mask;
        }
        self.index[hole] = FREE;
        self.used -= 1;
    }

    fn grow(&mut self) {
        let bigger = vec![FREE; self.index.len() * 2];
        let old = std::mem::replace(&mut self.index, bigger);
        for e in old.into_iter().filter(|e| e.id != NIL) {
            self.index_insert(e);
        }
    }

    /// Maps page `page` of VMA `v`: its pte, and whether it is new.
    pub fn map<V: HasPtes>(&mut self, vmas: &mut [V], v: VmaId, page: u64) -> (PteId, bool) {
        if let Some(id) = self.find(v, page) {
            return (id, false);
        }
        if (self.used + 1) * 2 > self.index.len() {
            self.grow();
        }
        let slot = self.present.len() as u32;
        let head = vmas[v as usize].ptes().head;
        let pte = Pte { vma: v, slot, page, sptes: 0, prev: NIL, next: head };
        let id = match self.free.pop() {
            Some(id) => {
                self.ptes[id as usize] = pte;
                id
            }
            None => {
                self.ptes.push(pte);
                (self.ptes.len() - 1) as PteId
            }
        };
        if head != NIL {
            self.ptes[head as usize].prev = id;
        }
        let list = vmas[v as usize].ptes_mut();
        list.head = id;
        list.len += 1;
        self.index_insert(Entry { page, vma: v, id });
        self.used += 1;
        self.present.push(id);
        (id, true)
    }

    fn unlink<V: HasPtes>(&mut self, vmas: &mut [V], id: PteId) {
        let Pte { vma, prev, next, .. } = self.ptes[id as usize];
        let list = vmas[vma as usize].ptes_mut();
        if prev == NIL {
            list.head = next;
        } else {
            self.ptes[prev as usize].next = next;
        }
        list.len -= 1;
        if next != NIL {
            self.ptes[next as usize].prev = prev;
        }
    }

    /// Tears pte `id` down and returns its record as it was.
    pub fn unmap<V: HasPtes>(&mut self, vmas: &mut [V], id: PteId) -> Pte {
        let pte = self.ptes[id as usize];
        debug_assert!(pte.vma != NIL, "pte torn down twice");
        self.index_remove(pte.vma, pte.page);
        self.unlink(vmas, id);
        let slot = pte.slot as usize;
        self.present.swap_remove(slot);
        if let Some(&moved) = self.present.get(slot) {
            self.ptes[moved as usize].slot = slot as u32;
        }
        self.ptes[id as usize].vma = NIL;
        self.free.push(id);
        pte
    }

    /// VMA `v`'s ptes, in page order, into `out`.
    pub fn in_order<V: HasPtes>(&self, vmas: &[V], v: VmaId, out: &mut Vec<PteId>) {
        out.clear();
        let mut id = vmas[v as usize].ptes().head;
        while id != NIL {
            out.push(id);
            id = self.ptes[id as usize].next;
        }
        out.sort_unstable_by_key(|&id| self.ptes[id as usize].page);
    }

    /// A list to reuse for ordered walks; give it back with [`PteTable::put_scratch`].
    pub fn take_scratch(&mut self) -> Vec<PteId> {
        std::mem::take(&mut self.scratch)
    }

    pub fn put_scratch(&mut self, v: Vec<PteId>) {
        self.scratch = v;
    }

    /// Clears `mask` from every pte of a VMA; the ptes that had any of it.
    pub fn count_and_clear(&mut self, list: &PteList, mask: u64) -> u64 {
        let mut n = 0;
        let mut id = list.head;
        while id != NIL {
            let p = &mut self.ptes[id as usize];
            n += u64::from(p.sptes & mask != 0);
            p.sptes &= !mask;
            id = p.next;
        }
        n
    }

    /// Clears `mask` from every pte of a VMA.
    pub fn clear_sptes(&mut self, list: &PteList, mask: u64) {
        let mut id = list.head;
        while id != NIL {
            let p = &mut self.ptes[id as usize];
            p.sptes &= !mask;
            id = p.next;
        }
    }

    /// Moves the ptes of `v` at pages `from..` to VMA `to`, `from` pages lower (a split).
    pub fn move_tail<V: HasPtes>(&mut self, vmas: &mut [V], v: VmaId, from: u64, to: VmaId) {
        let mut id = vmas[v as usize].ptes().head;
        while id != NIL {
            let next = self.ptes[id as usize].next;
            let page = self.ptes[id as usize].page;
            if page >= from {
                self.index_remove(v, page);
                self.unlink(vmas, id);
                let head = vmas[to as usize].ptes().head;
                let p = &mut self.ptes[id as usize];
                p.vma = to;
                p.page = page - from;
                p.prev = NIL;
                p.next = head;
                if head != NIL {
                    self.ptes[head as usize].prev = id;
                }
                let list = vmas[to as usize].ptes_mut();
                list.head = id;
                list.len += 1;
                self.index_insert(Entry { page: page - from, vma: to, id });
                self.used += 1;
            }
            id = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// The table agrees with a map of (VMA, page) after any mix of maps, unmaps and splits,
        /// and the present list holds each pte exactly once with its slot right.
        #[test]
        fn agrees_with_a_map(ops in proptest::collection::vec((0u8..4, 0u32..4, 0u64..300), 1..600)) {
            let mut t = PteTable::default();
            let mut lists = vec![PteList::default(); 8];
            let mut want: BTreeMap<(u32, u64), ()> = BTreeMap::new();
            for (op, v, page) in ops {
                match op {
                    0 | 1 => {
                        let (_, new) = t.map(&mut lists, v, page);
                        prop_assert_eq!(new, want.insert((v, page), ()).is_none());
                    }
                    2 => {
                        if let Some(id) = t.find(v, page) {
                            t.unmap(&mut lists, id);
                            want.remove(&(v, page));
                        }
                    }
                    _ => {
                        // Split v at `page % 50`, its tail into VMA v + 4.
                        let from = page % 50;
                        let to = v + 4;
                        let moved: Vec<(u32, u64)> = want.keys().filter(|k| k.0 == v && k.1 >= from).copied().collect();
                        if moved.iter().all(|k| !want.contains_key(&(to, k.1 - from))) {
                            t.move_tail(&mut lists, v, from, to);
                            for k in moved {
                                want.remove(&k);
                                want.insert((to, k.1 - from), ());
                            }
                        }
                    }
                }
            }
            for v in 0..8u32 {
                let mut ids = Vec::new();
                t.in_order(&lists, v, &mut ids);
                let pages: Vec<u64> = ids.iter().map(|&id| t.get(id).page).collect();
                let expect: Vec<u64> = want.keys().filter(|k| k.0 == v).map(|k| k.1).collect();
                prop_assert_eq!(&pages, &expect);
                prop_assert_eq!(lists[v as usize].len(), expect.len() as u64);
                for (&id, &page) in ids.iter().zip(&pages) {
                    prop_assert_eq!(t.find(v, page), Some(id));
                }
            }
            prop_assert_eq!(t.present_len(), want.len());
            for i in 0..t.present_len() {
                let p = t.get(t.present_at(i));
                prop_assert_eq!(p.slot as usize, i);
                prop_assert!(want.contains_key(&(p.vma, p.page)));
            }
        }
    }
}
