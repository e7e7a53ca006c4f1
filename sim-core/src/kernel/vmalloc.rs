//! The vmalloc arena: a finite address range handed out in pages, one guard page after each
//! area, first fit — so a request can fail from fragmentation while the total free is enough.

use std::collections::BTreeMap;

pub const PAGE: u64 = 4096;

/// A live vmalloc area: its first page and its length in pages, guard page included.
#[derive(Hash, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Area {
    pub start: u64,
    pub pages: u64,
}

impl Area {
    pub fn bytes(self) -> u64 {
        self.pages * PAGE
    }
}

#[derive(Hash)]
pub struct Arena {
    /// Free extents: first page -> length in pages, never adjacent (merged on free).
    free: BTreeMap<u64, u64>,
    in_use_pages: u64,
    total_pages: u64,
}

impl Arena {
    pub fn new(bytes: u64) -> Arena {
        let total_pages = bytes / PAGE;
        let mut free = BTreeMap::new();
        if total_pages > 0 {
            free.insert(0, total_pages);
        }
        Arena { free, in_use_pages: 0, total_pages }
    }

    /// Pages a request of `bytes` occupies: rounded up to pages, plus the guard page.
    pub fn footprint_pages(bytes: u64) -> u64 {
        bytes.div_ceil(PAGE) + 1
    }

    pub fn in_use_bytes(&self) -> u64 {
        self.in_use_pages * PAGE
    }

    pub fn total_bytes(&self) -> u64 {
        self.total_pages * PAGE
    }

    /// First fit: the lowest free extent large enough.
    pub fn alloc(&mut self, bytes: u64) -> Option<Area> {
        let need = Self::footprint_pages(bytes);
        let (&start, &len) = self.free.iter().find(|(_, &len)| len >= need)?;
        self.free.remove(&start);
        if len > need {
            self.free.insert(start + need, len - need);
        }
        self.in_use_pages += need;
        Some(Area { start, pages: need })
    }

    pub fn free(&mut self, area: Area) {
        let mut start = area.start;
        let mut len = area.pages;
        if let Some((&prev, &plen)) = self.free.range(..start).next_back() {
            assert!(prev + plen <= start, "vmalloc: freeing an area that overlaps free space");
            if prev + plen == start {
                self.free.remove(&prev);
                start = prev;
                len += plen;
            }
        }
        if let Some(&nlen) = self.free.get(&(start + len)) {
            self.free.remove(&(start + len));
            len += nlen;
        }
        self.free.insert(start, len);
        self.in_use_pages -= area.pages;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_pages_and_first_fit() {
        let mut a = Arena::new(10 * PAGE);
        let x = a.alloc(PAGE).expect("fits");
        assert_eq!(x, Area { start: 0, pages: 2 });
        let y = a.alloc(3 * PAGE + 1).expect("fits");
        assert_eq!(y, Area { start: 2, pages: 5 });
        assert_eq!(a.in_use_bytes(), 7 * PAGE);
        a.free(x);
        // 2 free pages at 0 and 3 at the end: a 2-page request (3 with guard) must go to the end.
        assert_eq!(a.alloc(2 * PAGE), Some(Area { start: 7, pages: 3 }));
        assert_eq!(a.alloc(PAGE), Some(Area { start: 0, pages: 2 }));
        assert_eq!(a.alloc(1), None);
    }

    #[test]
    fn fragmentation_fails_a_request_that_the_total_free_could_hold() {
        let mut a = Arena::new(12 * PAGE);
        let areas: Vec<Area> = (0..6).map(|_| a.alloc(PAGE).expect("fits")).collect();
        for area in areas.iter().step_by(2) {
            a.free(*area);
        }
        assert_eq!(a.in_use_bytes(), 6 * PAGE);
        assert_eq!(a.alloc(2 * PAGE), None, "6 pages free but no 3 in a row");
        for area in areas.iter().skip(1).step_by(2) {
            a.free(*area);
        }
        assert_eq!(a.in_use_bytes(), 0);
        assert_eq!(a.alloc(11 * PAGE), Some(Area { start: 0, pages: 12 }));
    }
}
