//! The pending-event set: a monotone radix queue over `u64` nanosecond keys, FIFO among equal keys.
//!
//! Keys are split into 8 bytes. Level `k` holds the events whose key first differs from the
//! queue's base in byte `k`, in one of 256 slots chosen by that byte. Popping takes the lowest
//! non-empty slot; a slot above level 0 is re-spread against its own base, so an event moves at
//! most once per level (two or three times for typical delays). A level-0 slot holds one exact
//! key and is drained front to back, which makes equal keys leave in insertion order: that order
//! is the sequence-number tie break of the engine without storing a sequence number.

const LEVELS: usize = 8;
const SLOTS: usize = 256;

#[derive(Default)]
struct Slot {
    items: Vec<(u64, u64)>,
    head: usize,
}

struct Level {
    occupied: [u64; SLOTS / 64],
    slots: Vec<Slot>,
}

impl Level {
    fn new() -> Level {
        Level { occupied: [0; SLOTS / 64], slots: (0..SLOTS).map(|_| Slot::default()).collect() }
    }

    fn lowest(&self) -> Option<usize> {
        for (word, bits) in self.occupied.iter().enumerate() {
            if *bits != 0 {
                return Some(word * 64 + bits.trailing_zeros() as usize);
            }
        }
        None
    }

    fn mark(&mut self, slot: usize) {
        self.occupied[slot / 64] |= 1 << (slot % 64);
    }

    fn unmark(&mut self, slot: usize) {
        self.occupied[slot / 64] &= !(1 << (slot % 64));
    }
}

/// Events as `(key, payload)`; keys pushed must never be below the last key popped.
pub struct EventQueue {
    base: u64,
    last_popped: u64,
    levels: Vec<Level>,
    level_mask: u8,
    len: usize,
    scratch: Vec<(u64, u64)>,
}

impl Default for EventQueue {
    fn default() -> Self {
        EventQueue::new()
    }
}

impl EventQueue {
    pub fn new() -> EventQueue {
        EventQueue {
            base: 0,
            last_popped: 0,
            levels: (0..LEVELS).map(|_| Level::new()).collect(),
            level_mask: 0,
            len: 0,
            scratch: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn place(&mut self, key: u64, payload: u64) {
        let diff = key ^ self.base;
        let level = if diff == 0 { 0 } else { (63 - diff.leading_zeros() as usize) / 8 };
        let slot = ((key >> (8 * level)) & 0xff) as usize;
        let lv = &mut self.levels[level];
        lv.slots[slot].items.push((key, payload));
        lv.mark(slot);
        self.level_mask |= 1 << level;
    }

    /// Adds an event. Panics if `key` is earlier than the last event popped: time never goes back.
    #[inline]
    pub fn push(&mut self, key: u64, payload: u64) {
        assert!(key >= self.last_popped, "event queue: key {key} is before the current time {}", self.last_popped);
        self.place(key, payload);
        self.len += 1;
    }

    /// Removes the earliest event; among equal keys, the one pushed first.
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, u64)> {
        if self.len == 0 {
            return None;
        }
        loop {
            if self.level_mask & 1 != 0 {
                let lv = &mut self.levels[0];
                let s = lv.lowest().expect("level mask says level 0 has events");
                let slot = &mut lv.slots[s];
                let item = slot.items[slot.head];
                slot.head += 1;
                if slot.head == slot.items.len() {
                    slot.items.clear();
                    slot.head = 0;
                    lv.unmark(s);
                    if lv.occupied == [0; SLOTS / 64] {
                        self.level_mask &= !1;
                    }
                }
                self.len -= 1;
                self.last_popped = item.0;
                return Some(item);
            }
            self.spread_lowest();
        }
    }

    /// Moves the lowest non-empty slot above level 0 down against its own base.
    fn spread_lowest(&mut self) {
        let level = self.level_mask.trailing_zeros() as usize;
        debug_assert!(level > 0 && level < LEVELS);
        let lv = &mut self.levels[level];
        let s = lv.lowest().expect("level mask says this level has events");
        std::mem::swap(&mut self.scratch, &mut lv.slots[s].items);
        lv.unmark(s);
        if lv.occupied == [0; SLOTS / 64] {
            self.level_mask &= !(1 << level);
        }
        let shift = 8 * level as u32;
        let high = if shift + 8 >= 64 { 0 } else { self.base & !((1u64 << (shift + 8)) - 1) };
        self.base = high | ((s as u64) << shift);
        let mut items = std::mem::take(&mut self.scratch);
        for &(key, payload) in &items {
            self.place(key, payload);
        }
        items.clear();
        self.scratch = items;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_key_order_with_fifo_ties() {
        let mut q = EventQueue::new();
        let keys = [5u64, 1 << 40, 3, 5, 70_000, 5, 3, u64::MAX, 256, 255];
        for (i, k) in keys.iter().enumerate() {
            q.push(*k, i as u64);
        }
        let mut out = Vec::new();
        while let Some(e) = q.pop() {
            out.push(e);
        }
        let mut want: Vec<(u64, u64)> = keys.iter().enumerate().map(|(i, k)| (*k, i as u64)).collect();
        want.sort_by_key(|&(k, i)| (k, i));
        assert_eq!(out, want);
    }

    #[test]
    #[should_panic(expected = "before the current time")]
    fn rejects_a_key_in_the_past() {
        let mut q = EventQueue::new();
        q.push(10, 0);
        q.pop();
        q.push(9, 1);
    }
}
