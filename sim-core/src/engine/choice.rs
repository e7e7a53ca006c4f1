//! Choice points: where a run's nondeterminism is decided, so that an explorer can enumerate it.
//!
//! A plain run takes the first option at every choice point: the order events were scheduled in,
//! the run queue's order, the value the seed's stream drew. A run under [`Choices`] follows a
//! *schedule* instead — option `schedule[i]` at the i-th choice point it meets, the first option
//! after the schedule ends — and logs every choice point with its number of options, so that the
//! explorer can pick the next schedule to try.

use std::collections::BTreeSet;
use std::fmt;

/// What a choice point decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChoiceKind {
    /// Which of the events due at the same instant runs first.
    Order,
    /// Which runnable task a CPU that frees up runs next.
    Cpu,
    /// Which value a random draw over a small domain takes.
    Draw,
}

impl ChoiceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChoiceKind::Order => "order",
            ChoiceKind::Cpu => "cpu",
            ChoiceKind::Draw => "draw",
        }
    }
}

/// One choice point met by a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    pub kind: ChoiceKind,
    /// Options there were (at least 2: a single option is no choice).
    pub options: u32,
    /// The option taken.
    pub taken: u32,
    /// The hash of the whole state at the choice point, where the state is whole (between two
    /// events; a choice in the middle of one has part of its state on the host's stack).
    pub state: Option<u64>,
}

/// A schedule: the option taken at each choice point in turn, written `1.0.2` (`-` for none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schedule(pub Vec<u32>);

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("-");
        }
        for (i, c) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Schedule {
    type Err = String;

    fn from_str(s: &str) -> Result<Schedule, String> {
        let s = s.trim();
        if s == "-" || s.is_empty() {
            return Ok(Schedule::default());
        }
        s.split('.')
            .map(|c| {
                c.parse::<u32>().map_err(|_| {
                    format!("`{s}` is not a schedule: option numbers separated by dots, such as 0.1.0.2 (`{c}`)")
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Schedule)
    }
}

/// How a run decides its choice points.
#[derive(Clone, Debug, Default)]
pub struct Choices {
    schedule: Vec<u32>,
    /// Every choice point met, in order (only when logging).
    pub log: Vec<Choice>,
    /// Choice points met.
    pub met: usize,
    /// Log choice points (an explorer needs them; a replay does not).
    logging: bool,
    /// The draws over at most this many values are choice points; larger ones follow the seed.
    pub max_draw: u64,
    /// Asked by the explorer: stop the run at the next whole state.
    pub stop: bool,
    /// A schedule option that did not exist at its choice point (a schedule of another run).
    pub invalid: Option<(usize, u32, u32)>,
    /// Merge equal states: the hashes of the whole states met at choice points beyond a
    /// schedule, over every run of an exploration. A run meeting one again stops there.
    pub seen: Option<BTreeSet<u64>>,
}

impl Choices {
    /// Follow `schedule`, then the first option; log every choice point if `logging`.
    pub fn new(schedule: Vec<u32>, logging: bool, max_draw: u64) -> Choices {
        Choices { schedule, log: Vec::new(), met: 0, logging, max_draw, stop: false, invalid: None, seen: None }
    }

    /// Entries of the schedule past the last choice point the run met: a schedule of another
    /// run (or of a longer one) when not zero.
    pub fn unused(&self) -> usize {
        self.schedule.len().saturating_sub(self.met)
    }

    /// Decides a choice point of `options` options; `state` is the state's hash, where whole.
    pub fn choose(&mut self, kind: ChoiceKind, options: u32, state: Option<u64>) -> u32 {
        debug_assert!(options >= 2);
        let i = self.met;
        self.met += 1;
        let mut taken = self.schedule.get(i).copied().unwrap_or(0);
        if taken >= options {
            self.invalid.get_or_insert((i, taken, options));
            taken = 0;
        }
        if self.logging {
            self.log.push(Choice { kind, options, taken, state });
        }
        if let (Some(h), Some(seen)) = (state, &mut self.seen) {
            if i >= self.schedule.len() && !seen.insert(h) {
                self.stop = true;
            }
        }
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_longer_than_the_run_has_entries_left_over() {
        let mut c = Choices::new(vec![1, 0, 1], false, 0);
        assert_eq!(c.choose(ChoiceKind::Order, 2, None), 1);
        assert_eq!(c.unused(), 2);
        c.choose(ChoiceKind::Order, 2, None);
        c.choose(ChoiceKind::Order, 2, None);
        c.choose(ChoiceKind::Order, 2, None);
        assert_eq!(c.unused(), 0, "choice points past the schedule take the first option");
    }

    #[test]
    fn schedules_print_and_parse_back() {
        for s in ["-", "0", "1.0.2", "10.3"] {
            let parsed: Schedule = s.parse().unwrap();
            assert_eq!(parsed.to_string(), s);
        }
        assert!("1..2".parse::<Schedule>().is_err());
        assert!("a".parse::<Schedule>().unwrap_err().contains("not a schedule"));
    }

    #[test]
    fn follows_the_schedule_then_the_first_option() {
        let mut c = Choices::new(vec![2, 1], true, 4);
        assert_eq!(c.choose(ChoiceKind::Order, 3, None), 2);
        assert_eq!(c.choose(ChoiceKind::Cpu, 2, None), 1);
        assert_eq!(c.choose(ChoiceKind::Draw, 5, Some(7)), 0);
        assert_eq!(c.log.len(), 3);
        assert_eq!(c.log[2], Choice { kind: ChoiceKind::Draw, options: 5, taken: 0, state: Some(7) });
        assert!(c.invalid.is_none());
    }

    #[test]
    fn an_option_that_does_not_exist_is_noted() {
        let mut c = Choices::new(vec![5], false, 4);
        assert_eq!(c.choose(ChoiceKind::Order, 2, None), 0);
        assert_eq!(c.invalid, Some((0, 5, 2)));
        assert!(c.log.is_empty());
    }

    #[test]
    fn a_state_met_again_beyond_the_schedule_stops_the_run() {
        let mut c = Choices::new(vec![1], true, 4);
        c.seen = Some(BTreeSet::from([9]));
        // Within the schedule: a replay of explored choices, never stopped.
        c.choose(ChoiceKind::Order, 2, Some(9));
        assert!(!c.stop);
        c.choose(ChoiceKind::Order, 2, Some(10));
        assert!(!c.stop);
        c.choose(ChoiceKind::Order, 2, Some(10));
        assert!(c.stop);
    }
}
