//! The discrete-event engine: simulated time, the pending-event set, random streams and the run's
//! fingerprint. Nothing here knows about kernels; the model drives it through [`Scheduler`].

pub mod choice;
pub mod fingerprint;
pub mod hold;
pub mod queue;
pub mod rng;

pub use choice::{Choice, ChoiceKind, Choices, Schedule};
pub use fingerprint::{Fingerprint, StateHasher};
pub use queue::EventQueue;
pub use rng::{Entity, Stream};

/// Simulated time in integer nanoseconds.
pub type Nanos = u64;

/// An event as the engine sees it: a kind, the entity it concerns and a small tag the model uses
/// to recognise stale wake-ups. Packed into one `u64` so the queue moves plain integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: u8,
    pub tag: u32,
    pub entity: u32,
}

impl Event {
    pub const TAG_BITS: u32 = 24;

    pub fn new(kind: u8, entity: u32, tag: u32) -> Event {
        Event { kind, tag: tag & ((1 << Self::TAG_BITS) - 1), entity }
    }

    #[inline]
    fn pack(self) -> u64 {
        ((self.kind as u64) << 56) | ((self.tag as u64) << 32) | self.entity as u64
    }

    #[inline]
    fn unpack(word: u64) -> Event {
        Event {
            kind: (word >> 56) as u8,
            tag: ((word >> 32) as u32) & ((1 << Self::TAG_BITS) - 1),
            entity: word as u32,
        }
    }
}

/// Owns simulated time: events come out in (time, insertion) order and time never goes back.
#[derive(Default)]
pub struct Scheduler {
    queue: EventQueue,
    now: Nanos,
    processed: u64,
    fingerprint: Fingerprint,
    /// How the run's choice points are decided: `None`, the first option everywhere.
    pub choices: Option<Box<Choices>>,
}

impl Scheduler {
    pub fn new() -> Scheduler {
        Scheduler::default()
    }

    #[inline]
    pub fn now(&self) -> Nanos {
        self.now
    }

    /// Events taken out of the queue so far.
    pub fn processed(&self) -> u64 {
        self.processed
    }

    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// Schedules `event` at absolute time `at` (not before now).
    #[inline]
    pub fn at(&mut self, at: Nanos, event: Event) {
        debug_assert!(at >= self.now);
        self.queue.push(at, event.pack());
    }

    /// Schedules `event` `delay` nanoseconds from now, saturating at the end of time.
    #[inline]
    pub fn after(&mut self, delay: Nanos, event: Event) {
        self.queue.push(self.now.saturating_add(delay), event.pack());
    }

    /// Processes `event` at `at` without queueing it when it would be the next event out of the
    /// queue anyway: earlier than every pending one. The clock, the count and the fingerprint
    /// move exactly as a push and a pop would move them. False (nothing done) otherwise.
    #[inline]
    pub fn run_now(&mut self, at: Nanos, event: Event) -> bool {
        if !self.queue.all_after(at) {
            return false;
        }
        assert!(at >= self.now, "time went backwards: {at} < {}", self.now);
        self.now = at;
        self.processed += 1;
        self.fingerprint.mix(at, event.kind, event.entity);
        true
    }

    /// Takes every event due at the earliest pending instant out of the queue, in their order,
    /// and processes none: one of them is then [`Scheduler::process`]ed, the others put back.
    pub fn take_ties(&mut self, out: &mut Vec<(Nanos, Event)>) {
        out.clear();
        let Some((t, word)) = self.queue.pop() else { return };
        out.push((t, Event::unpack(word)));
        while let Some((u, word)) = self.queue.pop_if_key(t) {
            out.push((u, Event::unpack(word)));
        }
    }

    /// Puts back an event [`Scheduler::take_ties`] took; in the order they were taken, they
    /// keep their order.
    pub fn put_back(&mut self, at: Nanos, event: Event) {
        self.queue.push(at, event.pack());
    }

    /// Processes an event [`Scheduler::take_ties`] took: the clock, the count and the
    /// fingerprint move as a pop moves them.
    pub fn process(&mut self, at: Nanos, event: Event) {
        assert!(at >= self.now, "time went backwards: {at} < {}", self.now);
        self.now = at;
        self.processed += 1;
        self.fingerprint.mix(at, event.kind, event.entity);
    }

    /// The pending events, sorted, for a state hash.
    pub fn pending_events(&self) -> Vec<(u64, u64)> {
        self.queue.contents()
    }

    /// Takes the next event, advances the clock to it and folds it into the fingerprint.
    #[inline]
    pub fn pop(&mut self) -> Option<(Nanos, Event)> {
        let (t, word) = self.queue.pop()?;
        assert!(t >= self.now, "time went backwards: {t} < {}", self.now);
        self.now = t;
        self.processed += 1;
        let ev = Event::unpack(word);
        self.fingerprint.mix(t, ev.kind, ev.entity);
        Some((t, ev))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Every event scheduled comes out exactly once, time never goes backwards, and events
        /// at equal times come out in the order they were scheduled.
        #[test]
        fn events_leave_once_in_time_then_insertion_order(
            delays in proptest::collection::vec((0u64..2_000_000, 0u64..3), 1..400)
        ) {
            let mut s = Scheduler::new();
            for (i, (d, _)) in delays.iter().enumerate() {
                s.after(*d, Event::new(1, i as u32, 0));
            }
            let n = delays.len();
            let mut seen = vec![0u32; 2 * n];
            let mut last_time = 0;
            let mut last_first_gen: Option<(u64, u32)> = None;
            while let Some((t, ev)) = s.pop() {
                prop_assert!(t >= last_time, "time went backwards");
                last_time = t;
                seen[ev.entity as usize] += 1;
                if ev.kind == 1 {
                    // First-generation events were all scheduled at time 0 in index order, so
                    // at equal times they must leave in index order.
                    if let Some((pt, pi)) = last_first_gen {
                        prop_assert!(pt < t || pi < ev.entity, "tie broken out of insertion order");
                    }
                    last_first_gen = Some((t, ev.entity));
                    // Some spawn a child, sometimes at delay zero, mixing insertions into the drain.
                    let (_, k) = delays[ev.entity as usize];
                    if k > 0 {
                        s.after(k - 1, Event::new(2, (n as u32) + ev.entity, 0));
                    }
                }
            }
            for (i, (_, k)) in delays.iter().enumerate() {
                prop_assert_eq!(seen[i], 1, "event {} ran {} times", i, seen[i]);
                prop_assert_eq!(seen[n + i], u32::from(*k > 0));
            }
        }

        /// The same schedule gives the same fingerprint; a different one does not.
        #[test]
        fn fingerprint_follows_the_sequence(delays in proptest::collection::vec(0u64..1000, 2..50)) {
            let run = |ds: &[u64]| {
                let mut s = Scheduler::new();
                for (i, d) in ds.iter().enumerate() { s.after(*d, Event::new(3, i as u32, 0)); }
                while s.pop().is_some() {}
                s.fingerprint()
            };
            prop_assert_eq!(run(&delays), run(&delays));
            let mut other = delays.clone();
            other[0] += 1;
            prop_assert_ne!(run(&delays), run(&other));
        }
    }

    #[test]
    fn ties_run_in_insertion_order() {
        let mut s = Scheduler::new();
        for i in 0..100u32 {
            s.at(500, Event::new(0, 99 - i, 0));
        }
        let order: Vec<u32> = std::iter::from_fn(|| s.pop()).map(|(_, e)| e.entity).collect();
        assert_eq!(order, (0..100).rev().collect::<Vec<_>>());
    }

    #[test]
    fn events_pack_and_unpack() {
        let e = Event::new(200, 0xdead_beef, 0xab_cdef);
        assert_eq!(Event::unpack(e.pack()), e);
    }
}
