//! The classic hold model on the engine's own scheduler: `pending` events in flight, each one
//! processed schedules another at now + exp(mean 1 ms). Used by `sim bench hold` and `cargo bench`.

use super::{Entity, Event, Nanos, Scheduler, Stream};

const MEAN_NS: f64 = 1_000_000.0;
const HOLD_EVENT: u8 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HoldOutcome {
    pub events: u64,
    pub now: Nanos,
    pub fingerprint: u64,
}

/// Runs the hold model for `events` events with `pending` events in flight.
pub fn hold(pending: u32, events: u64, seed: u64) -> HoldOutcome {
    let mut rng = Stream::new(seed, Entity::new(u64::from_le_bytes(*b"holdmodl"), 0, 0));
    let mut sched = Scheduler::new();
    for id in 0..pending {
        sched.after((rng.exp1() * MEAN_NS) as Nanos, Event::new(HOLD_EVENT, id, 0));
    }
    let mut done = 0;
    while done < events {
        let Some((_, ev)) = sched.pop() else { break };
        done += 1;
        sched.after((rng.exp1() * MEAN_NS) as Nanos, ev);
    }
    HoldOutcome { events: done, now: sched.now(), fingerprint: sched.fingerprint().value() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hold_is_deterministic_and_advances_at_the_expected_rate() {
        let a = hold(1000, 200_000, 1);
        assert_eq!(a, hold(1000, 200_000, 1));
        assert_ne!(a.fingerprint, hold(1000, 200_000, 2).fingerprint);
        // 1000 in flight with mean 1 ms: about one event per microsecond of simulated time.
        let per_event = a.now as f64 / a.events as f64;
        assert!((per_event - 1000.0).abs() < 50.0, "{per_event} ns per event");
    }
}
