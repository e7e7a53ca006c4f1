//! Lock costs alone: an uncontended acquire of a line this CPU holds (`spin_lock_warm`), of a
//! line another CPU wrote last (`spin_lock_cold`), and a release (`spin_unlock`).
//!
//! The acquires are timed as a chain: each object holds the index of the next, read after its
//! lock is taken, so no acquire can start before the previous one has its line, and each costs
//! its full latency (a lock-all's acquires are independent, and a CPU may overlap their cache
//! misses; `sim calibrate` reports what a lock costs inside each lock-all beside these).

use crate::fit::median;
use crate::host::{next_random, Object};
use crate::sched::{current_cpu, run_delay_ns};
use std::hint::spin_loop;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, Ordering};
use std::time::Instant;

/// Objects per round: 16 KiB, well inside L1, so only the lock line's owner varies.
const OBJECTS: usize = 256;

/// Medians over rounds, in ns per operation.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LockCosts {
    pub warm_ns: f64,
    pub unlock_ns: f64,
    /// `None` if in no round both threads kept a CPU of their own.
    pub cold_ns: Option<f64>,
}

/// Waits, spinning and now and then yielding (the other thread may share this CPU), until
/// `turn` reads `want` or `quit`; returns what it read.
fn wait_for(turn: &AtomicU32, want: u32, quit: u32) -> u32 {
    let mut spins = 0u32;
    loop {
        let t = turn.load(Ordering::Acquire);
        if t == want || t == quit {
            return t;
        }
        spin_loop();
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(64) {
            std::thread::yield_now();
        }
    }
}

/// Takes every lock along the chain; ns per acquire.
fn chase(objects: &[Object]) -> f64 {
    let start = Instant::now();
    let mut i = 0usize;
    for _ in 0..objects.len() {
        let o = &objects[i];
        o.lock();
        i = o.flags.load(Ordering::Relaxed) as usize;
    }
    let ns = start.elapsed().as_nanos() as f64 / objects.len() as f64;
    assert_eq!(i, 0, "the chain visits every object once");
    ns
}

/// Releases every lock, in slab order; ns per release.
fn release(objects: &[Object]) -> f64 {
    let start = Instant::now();
    for o in objects {
        o.unlock();
    }
    start.elapsed().as_nanos() as f64 / objects.len() as f64
}

/// Takes and releases every lock, leaving each line modified in this CPU's cache.
fn touch(objects: &[Object]) {
    for o in objects {
        o.lock();
        o.unlock();
    }
}

/// `rounds` rounds of each measurement; stops early (returning what it has) if `go` says so.
pub fn lock_costs(rounds: u32, go: &mut dyn FnMut() -> bool) -> LockCosts {
    let objects: Vec<Object> = (0..OBJECTS).map(|_| Object::default()).collect();
    // One cycle through every object in shuffled order, starting and ending at 0.
    let mut order: Vec<u32> = (1..OBJECTS as u32).collect();
    let mut x = 0x0bad_5eed;
    for i in (1..order.len()).rev() {
        order.swap(i, (next_random(&mut x) % (i as u64 + 1)) as usize);
    }
    let mut at = 0;
    for &next in order.iter().chain([&0]) {
        objects[at].flags.store(next, Ordering::Relaxed);
        at = next as usize;
    }
    let (mut warm, mut unlock, mut cold) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        touch(&objects);
        warm.push(chase(&objects));
        unlock.push(release(&objects));
    }
    // Cold: another thread takes and releases every lock (each line ends modified in its
    // cache), then this one takes them: each acquire pulls its line from the other CPU.
    const MAIN: u32 = 0;
    const HELPER: u32 = 1;
    const QUIT: u32 = 2;
    let turn = AtomicU32::new(MAIN);
    let helper_cpu = AtomicI64::new(-1);
    // The helper waited for a CPU since it handed its lines over: another program may have
    // pushed them out of its cache during the last round, which then does not count.
    let helper_waited = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut handed = run_delay_ns();
            while wait_for(&turn, HELPER, QUIT) == HELPER {
                helper_waited.store(run_delay_ns() != handed, Ordering::Relaxed);
                touch(&objects);
                helper_cpu.store(current_cpu().unwrap_or(-1), Ordering::Relaxed);
                handed = run_delay_ns();
                turn.store(MAIN, Ordering::Release);
            }
        });
        // A round counts once the next one shows the helper kept its CPU through it.
        let mut pending = None;
        for _ in 0..rounds {
            if !go() {
                break;
            }
            turn.store(HELPER, Ordering::Release);
            wait_for(&turn, MAIN, QUIT);
            if let Some(ns) = pending.take() {
                if !helper_waited.load(Ordering::Relaxed) {
                    cold.push(ns);
                }
            }
            let before = run_delay_ns();
            let ns = chase(&objects);
            let kept_cpu = run_delay_ns() == before;
            release(&objects);
            // Both threads on one CPU (another program had the other) moved no line.
            let helper = helper_cpu.load(Ordering::Relaxed);
            let two_cpus = helper < 0 || current_cpu() != Some(helper);
            if kept_cpu && two_cpus {
                pending = Some(ns);
            }
        }
        turn.store(QUIT, Ordering::Release);
    });
    LockCosts {
        warm_ns: median(&warm).unwrap_or(0.0),
        unlock_ns: median(&unlock).unwrap_or(0.0),
        cold_ns: median(&cold),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_costs_are_measured_and_leave_every_lock_free() {
        let c = lock_costs(3, &mut || true);
        // On a busy machine the two threads may never run on two CPUs at once: no cold figure.
        assert!(c.warm_ns > 0.0 && c.cold_ns.is_none_or(|ns| ns > 0.0) && c.unlock_ns >= 0.0, "{c:?}");
        let mut stopped = 0;
        let early = lock_costs(3, &mut || {
            stopped += 1;
            false
        });
        assert_eq!(early.cold_ns, None);
        assert_eq!(stopped, 1);
    }
}
