//! Engine benchmarks: `cargo bench -p sim-core --bench engine [-- FILTER]`.
//!
//! Plain timing with `std::time`: each case builds its pending set, warms up, then times a fixed
//! number of events on the real `Scheduler` (queue, clock, fingerprint) with the engine's own
//! random streams. A reference loop over std's `BinaryHeap` keyed by (time, sequence), with the
//! same draws, runs alternately with the engine in every round, so the ratio is measured under
//! the same machine load; it folds its events into the same fingerprint, and where both ran the
//! same events the fingerprints must match. A counting global allocator reports the allocations
//! made while timing: in steady state the engine makes none.
//!
//! `SIM_BENCH_ROUNDS` (default 3) sets the rounds, `SIM_BENCH_SCALE` (default 1) scales the
//! event counts, `SIM_BENCH_REFERENCE=0` leaves the heap out (for profiling the engine).

// sim-core itself reads no clock, and its clippy configuration may ban `Instant` there; a
// benchmark times the engine from outside, as the binary does.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use sim_core::engine::{Entity, Event, Fingerprint, Nanos, Scheduler, Stream};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

const MEAN_NS: f64 = 1_000_000.0;

/// What one timed run reports.
struct Run {
    events: u64,
    seconds: f64,
    allocations: u64,
    check: u64,
}

impl Run {
    fn rate(&self) -> f64 {
        self.events as f64 / self.seconds.max(1e-9)
    }
}

fn stream(seed: u64) -> Stream {
    Stream::new(seed, Entity::new(u64::from_le_bytes(*b"holdmodl"), 0, 0))
}

fn delay(rng: &mut Stream) -> Nanos {
    (rng.exp1() * MEAN_NS) as Nanos
}

/// Runs `step` `warm` times untimed, then `events` times timed: (seconds, allocations).
fn timed(warm: u64, events: u64, mut step: impl FnMut()) -> (f64, u64) {
    for _ in 0..warm {
        step();
    }
    let allocs = allocations();
    let start = Instant::now();
    for _ in 0..events {
        step();
    }
    (start.elapsed().as_secs_f64(), allocations() - allocs)
}

/// The hold model of `engine::hold` (same draws, same fingerprint), with the set-up and a
/// warm-up of `warm` events left out of the timing.
fn hold_engine(pending: u32, warm: u64, events: u64) -> Run {
    let mut rng = stream(1);
    let mut sched = Scheduler::new();
    for id in 0..pending {
        sched.after(delay(&mut rng), Event::new(1, id, 0));
    }
    let step = |sched: &mut Scheduler, rng: &mut Stream| {
        let (_, ev) = sched.pop().expect("hold keeps events pending");
        sched.after(delay(rng), ev);
    };
    let (seconds, allocations) = timed(warm, events, || step(&mut sched, &mut rng));
    Run { events, seconds, allocations, check: sched.fingerprint().value() }
}

/// The same model on `BinaryHeap<Reverse<(time, sequence, id)>>`: the textbook pending set.
fn hold_heap(pending: u32, warm: u64, events: u64) -> Run {
    let mut rng = stream(1);
    let mut heap = BinaryHeap::with_capacity(pending as usize);
    let mut seq = 0u64;
    for id in 0..pending {
        heap.push(Reverse((delay(&mut rng), seq, id)));
        seq += 1;
    }
    let mut fingerprint = Fingerprint::default();
    let mut step = |heap: &mut BinaryHeap<Reverse<(u64, u64, u32)>>, rng: &mut Stream| {
        let Reverse((t, _, id)) = heap.pop().expect("hold keeps events pending");
        fingerprint.mix(t, 1, id);
        heap.push(Reverse((t + delay(rng), seq, id)));
        seq += 1;
    };
    let (seconds, allocations) = timed(warm, events, || step(&mut heap, &mut rng));
    Run { events, seconds, allocations, check: fingerprint.value() }
}

const STEP: u8 = 1;
const BURST: u8 = 2;

/// Delays shaped like the simulator's: a third at delay zero, short hops, timers that land on
/// shared millisecond ticks, long sleeps up to 300 ms, and now and then a burst of 500 events all
/// at one instant (a wake-all) that run once and do not reschedule.
fn bursty_engine(entities: u32, warm: u64, events: u64) -> Run {
    let mut rng = stream(7);
    let mut sched = Scheduler::new();
    for id in 0..entities {
        sched.after(rng.below(1_000_000), Event::new(STEP, id, 0));
    }
    let step = |sched: &mut Scheduler, rng: &mut Stream| {
        let (now, ev) = sched.pop().expect("the stepping entities keep events pending");
        if ev.kind != STEP {
            return;
        }
        let d = match rng.below(1000) {
            0..=329 => 0,
            330..=549 => rng.below(1000),
            550..=799 => rng.exp(20_000),
            800..=899 => (now / 1_000_000 + 1) * 1_000_000 - now,
            900..=979 => rng.exp(1_000_000),
            980..=998 => rng.below(300_000_000),
            _ => {
                let at = rng.exp(50_000);
                for i in 0..500 {
                    sched.after(at, Event::new(BURST, i, 0));
                }
                rng.below(1000)
            }
        };
        sched.after(d, ev);
    };
    // A burst's events are processed too: count what the scheduler popped while timed.
    timed(warm, 0, || step(&mut sched, &mut rng));
    let done = sched.processed();
    let (seconds, allocations) = timed(0, events, || step(&mut sched, &mut rng));
    Run { events: sched.processed() - done, seconds, allocations, check: sched.fingerprint().value() }
}

/// The bursty mix on the reference heap, same draws.
fn bursty_heap(entities: u32, warm: u64, events: u64) -> Run {
    let mut rng = stream(7);
    let mut heap: BinaryHeap<Reverse<(u64, u64, u8, u32)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<_>, at: u64, kind: u8, id: u32| {
        heap.push(Reverse((at, seq, kind, id)));
        seq += 1;
    };
    for id in 0..entities {
        push(&mut heap, rng.below(1_000_000), STEP, id);
    }
    let mut fingerprint = Fingerprint::default();
    let mut step = |heap: &mut BinaryHeap<_>, rng: &mut Stream| {
        let Reverse((now, _, kind, id)) = heap.pop().expect("the stepping entities keep events pending");
        fingerprint.mix(now, kind, id);
        if kind != STEP {
            return;
        }
        let d = match rng.below(1000) {
            0..=329 => 0,
            330..=549 => rng.below(1000),
            550..=799 => rng.exp(20_000),
            800..=899 => (now / 1_000_000 + 1) * 1_000_000 - now,
            900..=979 => rng.exp(1_000_000),
            980..=998 => rng.below(300_000_000),
            _ => {
                let at = now + rng.exp(50_000);
                for i in 0..500 {
                    push(heap, at, BURST, i);
                }
                rng.below(1000)
            }
        };
        push(heap, now + d, STEP, id);
    };
    let (seconds, allocations) = timed(warm, events, || step(&mut heap, &mut rng));
    Run { events, seconds, allocations, check: fingerprint.value() }
}

struct Case {
    name: &'static str,
    engine: fn(u32, u64, u64) -> Run,
    heap: fn(u32, u64, u64) -> Run,
    size: u32,
    warm: u64,
    engine_events: u64,
    heap_events: u64,
    /// The fingerprint the engine's run must end with, where another implementation gives it.
    expect: Option<fn(u32, u64) -> u64>,
}

/// `engine::hold` itself, untimed: the benchmark's hold loop must end where it ends.
fn hold_model(pending: u32, events: u64) -> u64 {
    sim_core::engine::hold::hold(pending, events, 1).fingerprint
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let env = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let rounds = env("SIM_BENCH_ROUNDS", 3).max(1);
    let scale = env("SIM_BENCH_SCALE", 1).max(1);
    let reference = env("SIM_BENCH_REFERENCE", 1) != 0;
    let m = 1_000_000 * scale;
    const HOLD: Option<fn(u32, u64) -> u64> = Some(hold_model);
    let cases = [
        Case {
            name: "hold/1e3",
            engine: hold_engine,
            heap: hold_heap,
            size: 1_000,
            warm: 1_000_000,
            engine_events: 10 * m,
            heap_events: 10 * m,
            expect: HOLD,
        },
        Case {
            name: "hold/1e6",
            engine: hold_engine,
            heap: hold_heap,
            size: 1_000_000,
            warm: 5_000_000,
            engine_events: 10 * m,
            heap_events: 2 * m,
            expect: HOLD,
        },
        Case {
            name: "bursty/2e3",
            engine: bursty_engine,
            heap: bursty_heap,
            size: 2_000,
            warm: 1_000_000,
            engine_events: 10 * m,
            heap_events: 10 * m,
            expect: None,
        },
    ];
    for case in cases.iter().filter(|c| filter.is_empty() || filter.iter().any(|f| c.name.contains(f.as_str()))) {
        let mut ratios = Vec::new();
        let mut rates = Vec::new();
        for round in 1..=rounds {
            let engine = (case.engine)(case.size, case.warm, case.engine_events);
            if let (1, Some(expect)) = (round, case.expect) {
                let want = expect(case.size, case.warm + case.engine_events);
                assert_eq!(engine.check, want, "{}: the benchmark loop left the model", case.name);
            }
            let line = format!(
                "{:<11} round {round}: engine {:>6.2} M events/s ({:.1e} allocations/event)",
                case.name,
                engine.rate() / 1e6,
                engine.allocations as f64 / engine.events as f64,
            );
            rates.push(engine.rate());
            if !reference {
                println!("{line}");
                black_box(engine.check);
                continue;
            }
            let heap = (case.heap)(case.size, case.warm, case.heap_events);
            if heap.events == engine.events {
                assert_eq!(engine.check, heap.check, "{}: the engine and the heap ran different events", case.name);
            }
            let ratio = engine.rate() / heap.rate();
            println!("{line}, std heap {:>6.2} M events/s: x{ratio:.2}", heap.rate() / 1e6);
            ratios.push(ratio);
        }
        let rate = median(&mut rates) / 1e6;
        if ratios.is_empty() {
            println!("{:<11} median: engine {rate:.2} M events/s", case.name);
        } else {
            println!("{:<11} median: engine {rate:.2} M events/s, x{:.2} the std heap", case.name, median(&mut ratios));
        }
    }
}
