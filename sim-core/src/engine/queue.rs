//! The pending-event set: a monotone radix queue over `u64` nanosecond keys, FIFO among equal keys.
//!
//! Keys are split into 8 bytes. Relative to the queue's `base` (never above a key it holds), level
//! `k` holds the events whose key first differs from the base in byte `k`, in one of 256 slots
//! chosen by that byte, so lower levels and, within a level, lower slots hold earlier keys. Below
//! all of them sits the *front*: the earliest events, sorted by key, which pops are served from.
//! The front covers a key range (`key ^ base < front_span`): a push into that range is inserted
//! in order, usually at one end or into the room the last pop left, any other push is appended to
//! its slot.
//!
//! When the front runs dry, the lowest non-empty slot becomes the new front:
//! - a level-0 slot, or any slot whose events share one key (a burst at one instant), is taken
//!   as it is, already in insertion order;
//! - a level-1 slot, or a higher one small enough that later pushes rarely land in it (see
//!   `fits_front`), is sorted (stable radix sort) and the front covers its range;
//! - a larger slot is spread against its own start: the events of its first 256 keys form the new
//!   front and the others drop to lower levels, so an event moves down at most once per level
//!   (once or twice for typical delays) before it is sorted.
//!
//! Slots live in chunks of one shared pool, so memory follows the events pending and a queue that
//! has reached its working size allocates nothing. Slots are appended to and drained whole, the
//! sorts are stable and a key pushed into the front goes after every equal key already there, so
//! equal keys leave in insertion order: that order is the engine's sequence-number tie break,
//! without storing a sequence number.

/// Bytes of a key, one level each.
const LEVELS: usize = 8;
/// Slots per level, one per byte value.
const SLOTS: usize = 256;
/// Slots in all, and 64-slot occupancy words in all (one bit of `words` each).
const ALL_SLOTS: usize = LEVELS * SLOTS;
const WORDS: usize = ALL_SLOTS / 64;
/// A slot above level 1 with more events than this is spread rather than sorted into the front.
const BIG: usize = 256;
/// Bound on `n * n / len` for a front of `n` out of `len` events (see `fits_front`).
const FRONT_COST: usize = 16;
/// An insert into the front that would move more events than this spills the front back into
/// the levels instead. (Unit tests shrink this and the next two to reach every path on small
/// inputs; the integration tests and benchmarks run the real values.)
const FRONT_LIMIT: usize = if cfg!(test) { 8 } else { 128 };
/// Runs up to this long are sorted by insertion.
const INSERTION: usize = if cfg!(test) { 4 } else { 24 };
/// Events per chunk of slot storage.
const CHUNK: usize = if cfg!(test) { 4 } else { 32 };
/// No chunk.
const NIL: u32 = u32::MAX;

type Item = (u64, u64);

/// A slot's events: a chain of chunks, all full but the last, in insertion order.
#[derive(Clone, Copy)]
struct Slot {
    first: u32,
    last: u32,
    len: usize,
}

const EMPTY: Slot = Slot { first: NIL, last: NIL, len: 0 };

/// Storage shared by all slots in fixed-size chunks, so memory follows the number of events
/// pending rather than the largest size each slot ever reached, and, once the queue has been as
/// full as it gets, pushes allocate nothing.
struct Chunks {
    items: Vec<Item>,
    next: Vec<u32>,
    free: u32,
}

impl Chunks {
    #[inline]
    fn take(&mut self) -> u32 {
        if self.free == NIL {
            return self.grow();
        }
        let c = self.free;
        self.free = self.next[c as usize];
        c
    }

    #[cold]
    fn grow(&mut self) -> u32 {
        let c = u32::try_from(self.next.len()).ok().filter(|&c| c != NIL).expect("event queue: too many events");
        self.items.resize(self.items.len() + CHUNK, (0, 0));
        self.next.push(NIL);
        c
    }

    /// Returns a slot's whole chain to the free list.
    #[inline]
    fn release(&mut self, slot: Slot) {
        self.next[slot.last as usize] = self.free;
        self.free = slot.first;
    }
}

/// Events as `(key, payload)`; keys pushed must never be below the last key popped.
pub struct EventQueue {
    /// The front: `front[head..]` are the earliest pending events, sorted by key, FIFO on ties.
    front: Vec<Item>,
    head: usize,
    /// Keys `k` with `k ^ base < front_span` belong to the front; all others to the levels.
    front_span: u64,
    base: u64,
    last_popped: u64,
    len: usize,
    /// Bit `w` set iff `occupied[w] != 0`.
    words: u32,
    /// Bit `g % 64` of word `g / 64` set iff slot `g` (= level * 256 + byte) is non-empty.
    occupied: [u64; WORDS],
    slots: Box<[Slot; ALL_SLOTS]>,
    chunks: Chunks,
    /// Room for sorting the front.
    scratch: Vec<Item>,
    /// Compactions of the front so far (the tests check they stay rare).
    #[cfg(test)]
    compactions: usize,
}

impl Default for EventQueue {
    fn default() -> Self {
        EventQueue::new()
    }
}

impl EventQueue {
    pub fn new() -> EventQueue {
        EventQueue {
            front: Vec::new(),
            head: 0,
            front_span: 0,
            base: 0,
            last_popped: 0,
            len: 0,
            words: 0,
            occupied: [0; WORDS],
            slots: Box::new([EMPTY; ALL_SLOTS]),
            chunks: Chunks { items: Vec::new(), next: Vec::new(), free: NIL },
            scratch: Vec::new(),
            #[cfg(test)]
            compactions: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether every pending event is later than `key` (so an event at `key` would leave next).
    #[inline]
    pub fn all_after(&self, key: u64) -> bool {
        if self.len == 0 {
            return true;
        }
        // The front holds the earliest events; with no front, the levels would have to be
        // searched, and the answer is a conservative no.
        self.head < self.front.len() && key < self.front[self.head].0
    }

    /// Files an event outside the front into its slot, relative to the current base.
    #[inline]
    fn place(&mut self, key: u64, payload: u64) {
        let diff = key ^ self.base;
        let level = (63 - (diff | 1).leading_zeros()) / 8;
        let g = (level as usize * SLOTS + ((key >> (8 * level)) & 0xff) as usize) & (ALL_SLOTS - 1);
        let slot = &mut self.slots[g];
        let fill = slot.len % CHUNK;
        if fill == 0 {
            let c = self.chunks.take();
            if slot.len == 0 {
                slot.first = c;
                self.occupied[g / 64] |= 1 << (g % 64);
                self.words |= 1 << (g / 64);
            } else {
                self.chunks.next[slot.last as usize] = c;
            }
            slot.last = c;
        }
        slot.len += 1;
        self.chunks.items[slot.last as usize * CHUNK + fill] = (key, payload);
    }

    /// Adds an event. Panics if `key` is earlier than the last event popped: time never goes back.
    #[inline]
    pub fn push(&mut self, key: u64, payload: u64) {
        assert!(key >= self.last_popped, "event queue: key {key} is before the current time {}", self.last_popped);
        self.len += 1;
        if (key ^ self.base) < self.front_span {
            self.push_front(key, payload);
        } else {
            self.place(key, payload);
        }
    }

    /// Inserts into the front after every key not above `key`.
    #[inline]
    fn push_front(&mut self, key: u64, payload: u64) {
        let live = self.head < self.front.len();
        if !live || self.front[self.front.len() - 1].0 <= key {
            if self.front.len() == self.front.capacity() {
                self.compact_front();
            }
            self.front.push((key, payload));
        } else if self.head > 0 && key < self.front[self.head].0 {
            // Before every live event: into the room the last pop left (delay zero, mostly).
            self.head -= 1;
            self.front[self.head] = (key, payload);
        } else {
            self.insert_front(key, payload);
        }
    }

    /// Drops the popped prefix of the front, so a front that is pushed to as fast as it is popped
    /// stays as long as its live part instead of growing; and keeps room for as many events again
    /// (16 at least), so the next compaction, which moves the live part, is that many pushes away.
    #[cold]
    fn compact_front(&mut self) {
        #[cfg(test)]
        {
            self.compactions += 1;
        }
        self.front.drain(..self.head);
        self.head = 0;
        self.front.reserve(self.front.len().max(16));
    }

    /// Inserts out of order (before the front's last event): moves the shorter side of
    /// the live front by one, the popped room below `head` being free. One comparison with the
    /// middle event picks the side, and the move and the search are one pass from that side's
    /// end, so an insert costs what it moves. (With a few tasks each keeping one wake-up
    /// pending, most pushes come here and land a few events from one end.)
    fn insert_front(&mut self, key: u64, payload: u64) {
        let live = self.front.len() - self.head;
        if live > 2 * FRONT_LIMIT {
            return self.insert_far(key, payload);
        }
        let mid = self.head + live / 2;
        if self.head > 0 && key < self.front[mid].0 {
            // Into the lower half: the events before it step down into the popped room.
            self.head -= 1;
            let mut i = self.head;
            while self.front[i + 1].0 <= key {
                self.front[i] = self.front[i + 1];
                i += 1;
            }
            self.front[i] = (key, payload);
        } else {
            if self.front.len() == self.front.capacity() && self.head > 0 {
                // Reuse the popped room rather than grow: a front that only ever grew would walk
                // its live events through fresh memory, a cache miss each.
                self.compact_front();
            }
            let mut i = self.front.len();
            self.front.push((key, payload));
            while i > self.head && self.front[i - 1].0 > key {
                self.front[i] = self.front[i - 1];
                i -= 1;
            }
            self.front[i] = (key, payload);
        }
    }

    /// Inserts into a long front: spills it if the shorter side is too long to move.
    #[cold]
    fn insert_far(&mut self, key: u64, payload: u64) {
        let at = self.head + self.front[self.head..].partition_point(|&(k, _)| k <= key);
        let below = at - self.head;
        let above = self.front.len() - at;
        if below.min(above) > FRONT_LIMIT {
            return self.spill_then_place(key, payload);
        }
        if self.head > 0 && below <= above {
            self.front[self.head - 1..at].rotate_left(1);
            self.head -= 1;
            self.front[at - 1] = (key, payload);
        } else {
            self.front.insert(at, (key, payload));
        }
    }

    fn spill_then_place(&mut self, key: u64, payload: u64) {
        self.spill_front();
        self.place(key, payload);
    }

    /// Moves the front back into the levels (in order, so ties keep their order) and closes it.
    fn spill_front(&mut self) {
        let mut items = std::mem::take(&mut self.front);
        for &(key, payload) in &items[self.head..] {
            self.place(key, payload);
        }
        items.clear();
        self.front = items;
        self.head = 0;
        self.front_span = 0;
    }

    /// Removes the earliest event if its key is `key`, the key just popped: every pending event
    /// of the key last popped is in the front (a refill moves a key's events all together, and
    /// a push of a key the front covers goes to the front), so an empty front has none left.
    /// Never refills, so pushes at `key` stay allowed.
    pub fn pop_if_key(&mut self, key: u64) -> Option<(u64, u64)> {
        if self.head < self.front.len() && self.front[self.head].0 == key {
            let item = self.front[self.head];
            self.head += 1;
            self.len -= 1;
            Some(item)
        } else {
            None
        }
    }

    /// Removes the earliest event; among equal keys, the one pushed first.
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, u64)> {
        if self.head == self.front.len() {
            if self.len == 0 {
                return None;
            }
            self.refill();
        }
        let item = self.front[self.head];
        self.head += 1;
        self.len -= 1;
        self.last_popped = item.0;
        Some(item)
    }

    /// Makes the lowest non-empty slot the front (taken, sorted or spread: see the module docs).
    fn refill(&mut self) {
        loop {
            debug_assert!(self.words != 0, "queue holds events, so some slot is non-empty");
            let w = self.words.trailing_zeros() as usize;
            let bits = self.occupied[w];
            let g = w * 64 + bits.trailing_zeros() as usize;
            self.occupied[w] = bits & (bits - 1);
            if self.occupied[w] == 0 {
                self.words &= !(1 << w);
            }
            let level = g / SLOTS;
            let slot = std::mem::replace(&mut self.slots[g], EMPTY);
            self.front.clear();
            self.head = 0;
            if level >= 2 && !self.fits_front(slot.len) && !self.one_key(slot) {
                // Spread against the slot's own start; its first 256 keys form the front.
                let first = self.chunks.items[slot.first as usize * CHUNK].0;
                self.base = first & !((1 << (8 * level)) - 1);
                self.front_span = SLOTS as u64;
                self.for_each_in(slot, |q, (key, payload)| {
                    if (key ^ q.base) < SLOTS as u64 {
                        q.front.push((key, payload));
                    } else {
                        q.place(key, payload);
                    }
                });
                self.chunks.release(slot);
                if self.front.is_empty() {
                    continue;
                }
                self.sort_front(8);
                return;
            }
            let one_key = level == 0 || slot.len > INSERTION && self.one_key(slot);
            self.gather(slot);
            if one_key {
                // One exact key (a level-0 slot, a burst at one instant), in insertion order.
                self.front_span = 1;
            } else {
                self.sort_front(8 * level as u32);
                self.front_span = 1 << (8 * level);
            }
            self.base = self.front[0].0;
            return;
        }
    }

    /// Whether all of a detached slot's events have one key; stops at the first that differs.
    fn one_key(&self, slot: Slot) -> bool {
        let key = self.chunks.items[slot.first as usize * CHUNK].0;
        let mut c = slot.first;
        let mut left = slot.len;
        while left > 0 {
            let n = left.min(CHUNK);
            let at = c as usize * CHUNK;
            if self.chunks.items[at..at + n].iter().any(|&(k, _)| k != key) {
                return false;
            }
            left -= n;
            c = self.chunks.next[c as usize];
        }
        true
    }

    /// Appends a detached slot's events to the front and frees its chunks.
    fn gather(&mut self, slot: Slot) {
        let mut c = slot.first;
        let mut left = slot.len;
        while left > 0 {
            let n = left.min(CHUNK);
            let at = c as usize * CHUNK;
            self.front.extend_from_slice(&self.chunks.items[at..at + n]);
            left -= n;
            c = self.chunks.next[c as usize];
        }
        self.chunks.release(slot);
    }

    /// Whether `n` events may form the front: a front of `n` out of `len` pending events takes
    /// about `n / len` of later pushes (pending keys spread like delays), and each costs up to
    /// `n / 2` moves: keep that small.
    #[inline]
    fn fits_front(&self, n: usize) -> bool {
        n <= INSERTION || (n <= BIG && n * n <= FRONT_COST * self.len)
    }

    /// Sorts the front, whose keys agree from bit `bits` up.
    fn sort_front(&mut self, bits: u32) {
        if self.front.len() <= INSERTION {
            insertion_sort(&mut self.front);
        } else {
            self.scratch.clear();
            self.scratch.resize(self.front.len(), (0, 0));
            radix_sort(&mut self.front, &mut self.scratch, bits);
        }
    }

    /// Every pending event, sorted by key and then payload: the queue's content whatever its
    /// layout, for a state hash. (Order among equal keys is left out: where it matters, an
    /// explored run takes every order.)
    pub fn contents(&self) -> Vec<Item> {
        let mut all: Vec<Item> = self.front[self.head..].to_vec();
        for slot in self.slots.iter().filter(|s| s.len > 0) {
            let mut c = slot.first;
            let mut left = slot.len;
            while left > 0 {
                let n = left.min(CHUNK);
                let at = c as usize * CHUNK;
                all.extend_from_slice(&self.chunks.items[at..at + n]);
                left -= n;
                c = self.chunks.next[c as usize];
            }
        }
        debug_assert_eq!(all.len(), self.len);
        all.sort_unstable();
        all
    }

    /// Calls `f` on a slot's events in order; the slot must already be detached from `slots`.
    #[inline]
    fn for_each_in(&mut self, slot: Slot, mut f: impl FnMut(&mut EventQueue, Item)) {
        let mut c = slot.first;
        let mut left = slot.len;
        while left > 0 {
            let n = left.min(CHUNK);
            let at = c as usize * CHUNK;
            for j in at..at + n {
                let item = self.chunks.items[j];
                f(self, item);
            }
            left -= n;
            c = self.chunks.next[c as usize];
        }
    }
}

/// Stable insertion sort by key.
fn insertion_sort(v: &mut [Item]) {
    for i in 1..v.len() {
        let item = v[i];
        let mut j = i;
        while j > 0 && v[j - 1].0 > item.0 {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = item;
    }
}

/// Stable sort by key of keys that agree from bit `bits` up: most significant digits first, one
/// counting pass per digit, insertion sort for short runs. Digits are up to 8 bits wide, narrower
/// for short runs so that a pass costs about as much as the run. `tmp` is as long as `v`.
fn radix_sort(v: &mut [Item], tmp: &mut [Item], bits: u32) {
    if v.len() <= INSERTION || bits == 0 {
        insertion_sort(v);
        return;
    }
    let width = (usize::BITS - v.len().leading_zeros()).min(8).min(bits);
    let shift = bits - width;
    let mask = (1 << width) - 1;
    let digit = |k: u64| (k >> shift) as usize & mask;
    let mut ends = [0usize; 256];
    let ends = &mut ends[..=mask];
    for &(k, _) in v.iter() {
        ends[digit(k)] += 1;
    }
    if ends[digit(v[0].0)] == v.len() {
        // One digit for all: nothing to move at this one.
        radix_sort(v, tmp, shift);
        return;
    }
    let mut sum = 0;
    let mut longest = 0;
    for e in ends.iter_mut() {
        longest = longest.max(*e);
        sum += *e;
        *e = sum - *e;
    }
    for &item in v.iter() {
        let d = digit(item.0);
        tmp[ends[d]] = item;
        ends[d] += 1;
    }
    v.copy_from_slice(tmp);
    if shift == 0 {
        return;
    }
    if longest <= INSERTION {
        // Only runs of equal digits can be out of order: one insertion pass fixes them.
        insertion_sort(v);
        return;
    }
    let mut start = 0;
    for &end in ends.iter() {
        if end - start > 1 {
            radix_sort(&mut v[start..end], &mut tmp[start..end], shift);
        }
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    fn drain(q: &mut EventQueue) -> Vec<(u64, u64)> {
        std::iter::from_fn(|| q.pop()).collect()
    }

    #[test]
    fn pops_in_key_order_with_fifo_ties() {
        let mut q = EventQueue::new();
        let keys = [5u64, 1 << 40, 3, 5, 70_000, 5, 3, u64::MAX, 256, 255];
        for (i, k) in keys.iter().enumerate() {
            q.push(*k, i as u64);
        }
        let out = drain(&mut q);
        let mut want: Vec<(u64, u64)> = keys.iter().enumerate().map(|(i, k)| (*k, i as u64)).collect();
        want.sort_by_key(|&(k, i)| (k, i));
        assert_eq!(out, want);
        assert!(q.is_empty());
        assert_eq!(q.pop(), None);
    }

    /// A few tasks each keeping one wake-up pending, the next one pushed somewhere among the
    /// others as each is popped: the front compacts (moving its live events) about once per
    /// as many pushes as it holds events, not at every other push.
    #[test]
    fn a_steady_front_compacts_rarely() {
        let mut q = EventQueue::new();
        for i in 0..16u64 {
            q.push(i * 100, i);
        }
        let mut x = 1u64;
        let rounds = 20_000;
        for _ in 0..rounds {
            let (t, id) = q.pop().expect("pending");
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            q.push(t + 1 + (x >> 33) % 1600, id);
        }
        assert_eq!(q.len(), 16);
        assert!(q.compactions <= rounds / 16 + 2, "{} compactions in {rounds} pushes", q.compactions);
    }

    #[test]
    #[should_panic(expected = "before the current time")]
    fn rejects_a_key_in_the_past() {
        let mut q = EventQueue::new();
        q.push(10, 0);
        q.pop();
        q.push(9, 1);
    }

    #[test]
    fn big_slots_spread_and_small_slots_sort() {
        // 1000 keys in one level-2 slot (spread), then a handful in another (sorted), with pushes
        // into the current front's range while it drains.
        let mut q = EventQueue::new();
        let mut want = Vec::new();
        for i in 0..1000u64 {
            let k = (1 << 16) | ((i * 7919) % 4096);
            q.push(k, i);
            want.push((k, i));
        }
        for i in 0..10u64 {
            let k = (5 << 16) | ((i * 31) % 7);
            q.push(k, 1000 + i);
            want.push((k, 1000 + i));
        }
        let mut out = Vec::new();
        while out.len() < 1002 {
            out.push(q.pop().unwrap());
        }
        assert_eq!(out.last(), Some(&(5 << 16, 1007)));
        for (k, i) in [(3, 2000), (1, 2001), (6, 2002), (0, 2003)] {
            q.push((5 << 16) | k, i);
            want.push(((5 << 16) | k, i));
        }
        // Payloads grow with insertion order, so (key, payload) order is the order wanted.
        want.sort();
        out.extend(drain(&mut q));
        assert_eq!(out, want);
    }

    #[test]
    fn slot_edges_sort_in_order() {
        // A big level-2 slot spread against its start: keys on both sides of every 256-key edge.
        let mut q = EventQueue::new();
        let mut want = Vec::new();
        let mut i = 0;
        for round in 0..3 {
            for off in [0u64, 1, 2, 7, 254, 255, 256, 257, 300, 511, 512, 513, 4096, 65_279, 65_280, 65_535] {
                let k = (1 << 16) + off + round % 2;
                q.push(k, i);
                want.push((k, i));
                i += 1;
            }
        }
        want.sort();
        assert_eq!(drain(&mut q), want);
    }

    #[test]
    fn a_long_front_spills_and_keeps_order() {
        let mut q = EventQueue::new();
        q.push(1 << 20, 0);
        q.push(2 << 20, 1);
        assert_eq!(q.pop(), Some((1 << 20, 0)));
        // The front now covers the level-2 slot [1 << 20, (1 << 20) + (1 << 16)): fill it
        // backwards, with ties, so that pushes land before the live front until it spills.
        let mut want = vec![(2 << 20, 1)];
        for i in 0..3 * FRONT_LIMIT as u64 {
            let k = (1 << 20) + (1 << 16) - 1 - (i / 3);
            q.push(k, 10 + i);
            want.push((k, 10 + i));
        }
        want.sort();
        assert_eq!(drain(&mut q), want);
    }

    #[test]
    fn keys_at_the_end_of_time() {
        let mut q = EventQueue::new();
        for i in 0..300u64 {
            q.push(u64::MAX - (i % 5), i);
        }
        let mut want: Vec<(u64, u64)> = (0..300u64).map(|i| (u64::MAX - (i % 5), i)).collect();
        want.sort();
        assert_eq!(q.pop(), Some(want[0]));
        q.push(u64::MAX, 300);
        want.push((u64::MAX, 300));
        assert_eq!(drain(&mut q), want[1..]);
    }

    /// One step of a random run against the reference queue.
    #[derive(Clone, Debug)]
    enum Op {
        /// Push at the last popped key plus this delay (saturating).
        Push(u64),
        /// Push `n` events at one key, this delay after the last popped key.
        Burst(u64, u8),
        Pop,
        /// The whole content.
        Contents,
        /// Every event at the next key taken, one of them kept (the one this picks, modulo
        /// their number), the others put back in order.
        Ties(u8),
    }

    fn delay() -> impl Strategy<Value = u64> {
        prop_oneof![
            3 => Just(0u64),
            3 => 0u64..4,
            3 => 0u64..300,
            3 => 0u64..100_000,
            2 => 0u64..2_000_000_000,
            // Slot and level edges.
            2 => (0u32..64, 0u64..3).prop_map(|(b, d)| (1u64 << b) + d - 1),
            1 => any::<u64>(),
            1 => (0u64..1000).prop_map(|d| u64::MAX - d),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            5 => delay().prop_map(Op::Push),
            1 => (delay(), 1u8..200).prop_map(|(d, n)| Op::Burst(d, n)),
            5 => Just(Op::Pop),
            1 => Just(Op::Contents),
            2 => any::<u8>().prop_map(Op::Ties),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Pops match a binary heap keyed by (key, insertion number) over random interleavings.
        #[test]
        fn matches_a_reference_heap(start in prop_oneof![Just(0u64), any::<u64>()], ops in proptest::collection::vec(op(), 0..600)) {
            let mut q = EventQueue::new();
            let mut reference = BinaryHeap::new();
            let mut seq = 0u64;
            let mut push = |q: &mut EventQueue, reference: &mut BinaryHeap<_>, key: u64| {
                q.push(key, seq);
                reference.push(Reverse((key, seq)));
                seq += 1;
            };
            // Start somewhere arbitrary, then pop back to empty so that `now` is the start.
            push(&mut q, &mut reference, start);
            prop_assert_eq!(q.pop(), reference.pop().map(|Reverse(e)| e));
            let mut now = start;
            for op in ops {
                match op {
                    Op::Push(d) => push(&mut q, &mut reference, now.saturating_add(d)),
                    Op::Burst(d, n) => {
                        for _ in 0..n {
                            push(&mut q, &mut reference, now.saturating_add(d));
                        }
                    }
                    Op::Pop => {
                        let got = q.pop();
                        prop_assert_eq!(got, reference.pop().map(|Reverse(e)| e));
                        if let Some((k, _)) = got {
                            now = k;
                        }
                    }
                    Op::Ties(pick) => {
                        let Some((t, first)) = q.pop() else {
                            prop_assert!(reference.is_empty());
                            continue;
                        };
                        now = t;
                        let mut ties = vec![(t, first)];
                        while let Some(e) = q.pop_if_key(t) {
                            ties.push(e);
                        }
                        let mut want = Vec::new();
                        while reference.peek().is_some_and(|Reverse(e)| e.0 == t) {
                            want.push(reference.pop().expect("peeked").0);
                        }
                        prop_assert_eq!(&ties, &want, "every event at the key, in order");
                        let keep = pick as usize % ties.len();
                        for (i, &(k, _)) in ties.iter().enumerate() {
                            if i != keep {
                                push(&mut q, &mut reference, k);
                            }
                        }
                    }
                    Op::Contents => {
                        let mut want: Vec<(u64, u64)> = reference.iter().map(|Reverse(e)| *e).collect();
                        want.sort_unstable();
                        prop_assert_eq!(q.contents(), want);
                    }
                }
                prop_assert_eq!(q.len(), reference.len());
            }
            while let Some(Reverse(e)) = reference.pop() {
                prop_assert_eq!(q.pop(), Some(e));
            }
            prop_assert_eq!(q.pop(), None);
            prop_assert!(q.is_empty());
        }
    }
}
