//! The event queue with its real thresholds (unit tests shrink them): order against a reference
//! heap at sizes that reach every path, runs pinned from before the queue was rewritten, and no
//! allocation once a queue has reached its working size.

use sim_core::engine::hold::hold;
use sim_core::engine::{Entity, Event, EventQueue, Scheduler, Stream};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Counts the allocations of the current thread only, so tests running alongside do not count.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the allocator may run while a thread's locals are being torn down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Delays of every scale: zero, a few ns, slot edges, microseconds to seconds, the far end.
    fn delay(&mut self) -> u64 {
        match self.below(100) {
            0..=24 => 0,
            25..=39 => self.below(8),
            40..=49 => (1 << self.below(40)) + self.below(3) - 1,
            50..=79 => self.below(1 << 20),
            80..=94 => self.below(1 << 30),
            95..=98 => self.below(1 << 45),
            _ => u64::MAX - self.below(1 << 10),
        }
    }
}

/// Random pushes, bursts at one key and pops against a heap keyed by (key, insertion number).
fn against_reference(seed: u64, ops: usize, burst: u64, pop_share: u64) {
    let mut rng = SplitMix(seed);
    let mut q = EventQueue::new();
    let mut reference = BinaryHeap::new();
    let mut seq = 0u64;
    let mut now = 0u64;
    for _ in 0..ops {
        let r = rng.below(1000);
        if r < pop_share {
            let got = q.pop();
            assert_eq!(got, reference.pop().map(|Reverse(e)| e), "seed {seed}");
            if let Some((k, _)) = got {
                now = k;
            }
        } else {
            let n = if r < pop_share + 3 { 1 + rng.below(burst) } else { 1 };
            let key = now.saturating_add(rng.delay());
            for _ in 0..n {
                q.push(key, seq);
                reference.push(Reverse((key, seq)));
                seq += 1;
            }
        }
        assert_eq!(q.len(), reference.len());
    }
    while let Some(Reverse(e)) = reference.pop() {
        assert_eq!(q.pop(), Some(e), "seed {seed}");
    }
    assert!(q.is_empty() && q.pop().is_none());
}

#[test]
fn matches_a_reference_heap_at_full_size() {
    for seed in 0..4 {
        // Growing, steady and draining mixes; bursts up to a few thousand at one key.
        against_reference(seed, 60_000, 3000, 400);
        against_reference(seed + 100, 60_000, 300, 500);
        against_reference(seed + 200, 60_000, 50, 550);
    }
}

#[test]
fn hold_runs_are_the_ones_from_before_the_rewrite() {
    // Fingerprints printed by `sim bench hold` on the original radix queue.
    for (pending, events, seed, fingerprint) in [
        (10, 100_000, 3, 0x2652_23d5_7975_4191),
        (100, 100_000, 1, 0xda2e_59c0_7c19_0270),
        (1000, 200_000, 1, 0xb128_9e9d_0068_9b34),
        (20_000, 300_000, 5, 0x115c_6690_2fe7_a585),
    ] {
        let run = hold(pending, events, seed);
        assert_eq!(run.fingerprint, fingerprint, "hold {pending} {events} {seed}");
    }
}

/// Allocations made by `steps` more steps of a run after `warm` steps to reach working size.
fn steady_allocations(warm: u64, steps: u64, mut step: impl FnMut()) -> u64 {
    for _ in 0..warm {
        step();
    }
    let before = allocations();
    for _ in 0..steps {
        step();
    }
    allocations() - before
}

#[test]
fn steady_state_allocates_nothing() {
    let before = allocations();
    drop(std::hint::black_box(Vec::<u64>::with_capacity(8)));
    assert_eq!(allocations(), before + 1, "the counter counts");

    for pending in [1000, 100_000] {
        let mut rng = Stream::new(1, Entity::new(0, 0, 0));
        let mut s = Scheduler::new();
        for id in 0..pending {
            s.after(rng.exp(1_000_000), Event::new(1, id, 0));
        }
        let allocated = steady_allocations(300_000, 300_000, || {
            let (_, ev) = s.pop().unwrap();
            s.after(rng.exp(1_000_000), ev);
        });
        assert_eq!(allocated, 0, "hold with {pending} pending");
    }

    // Zero delays, short hops, shared ticks, long sleeps and bursts of 300 at one instant.
    let mut rng = Stream::new(2, Entity::new(0, 0, 0));
    let mut s = Scheduler::new();
    for id in 0..500 {
        s.after(rng.below(1_000_000), Event::new(1, id, 0));
    }
    let allocated = steady_allocations(300_000, 300_000, || {
        let (now, ev) = s.pop().unwrap();
        if ev.kind != 1 {
            return;
        }
        let delay = match rng.below(100) {
            0..=34 => 0,
            35..=59 => rng.below(1000),
            60..=79 => rng.exp(20_000),
            80..=89 => (now / 1_000_000 + 1) * 1_000_000 - now,
            90..=98 => rng.below(300_000_000),
            _ => {
                let at = rng.exp(50_000);
                for i in 0..300 {
                    s.after(at, Event::new(2, i, 0));
                }
                0
            }
        };
        s.after(delay, ev);
    });
    assert_eq!(allocated, 0, "bursty mix");
}
