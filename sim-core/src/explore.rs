//! Exhaustive exploration of one point at small scope: every schedule its choice points allow
//! (see [`crate::engine::choice`]), run one after another from the start, depth first, in
//! lexicographic order of their choices, with equal whole states merged.
//!
//! Merging is sound for what a state decides: a run that reaches a state an earlier schedule
//! reached at a choice point stops there, because everything that can follow was explored from
//! that state (depth first, the earlier visit's subtree is finished before any schedule that
//! branched above it starts). What happened before the state is not in it, so a stopped run's
//! deadlocks, missed invalidations and races so far are still checked. `expect` lines, which
//! read a whole run's figures, are judged on the runs that completed.
//!
//! No partial-order reduction: two orders of independent events that reach the same state are
//! merged there, but both prefixes are run.

use crate::checks;
use crate::engine::{ChoiceKind, Choices, Schedule};
use crate::kernel::{LimitError, Limits};
use crate::program::{ParamValue, Program, Qualifier};
use crate::report::{End, MetricValue, OrderedMap, PointReport};
use crate::sim::{self, Observe, RunError};
use std::collections::BTreeSet;

/// The bounds of an exploration.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    /// Distinct states to merge on (memory: about 40 bytes each, in a B-tree).
    pub max_states: u64,
    /// Runs (schedules tried).
    pub max_runs: u64,
    /// Choice points per run at which to branch; later ones take their first option.
    pub depth: usize,
    /// Random draws over at most this many values are choice points.
    pub max_draw: u64,
    /// Merge equal states (off: every schedule is run to its end).
    pub merge: bool,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds { max_states: 1_000_000, max_runs: 100_000, depth: 64, max_draw: 4, merge: true }
    }
}

/// What an exploration looks for, besides failing `expect` lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violation {
    Deadlock,
    MissedInvalidation,
    ReleaseMissed,
    UnregisterReleaseRace,
}

impl Violation {
    pub const ALL: [Violation; 4] = [
        Violation::Deadlock,
        Violation::MissedInvalidation,
        Violation::ReleaseMissed,
        Violation::UnregisterReleaseRace,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Violation::Deadlock => "deadlock",
            Violation::MissedInvalidation => "missed invalidation",
            Violation::ReleaseMissed => "page freed under a released notifier's mapping",
            Violation::UnregisterReleaseRace => "unregister/release race",
        }
    }

    /// The metric that counts it.
    pub fn metric(self) -> &'static str {
        match self {
            Violation::Deadlock => "deadlock.count",
            Violation::MissedInvalidation => "invalidate.missed",
            Violation::ReleaseMissed => "release.missed",
            Violation::UnregisterReleaseRace => "race.unregister_release",
        }
    }
}

/// The first schedule found to reach something.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub schedule: Schedule,
    /// The run it was found in (1 is the first).
    pub run: u64,
    /// The report of that run (cut where it stopped, if it was merged).
    pub report: PointReport,
}

/// An `expect` line over the runs that completed.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpectTally {
    pub line: u32,
    pub text: String,
    pub qualifier: Qualifier,
    /// Completed runs where its condition held, of those where it could be decided.
    pub held: u64,
    pub decided: u64,
    /// The first run against the line (for `sometimes`: none held, so the first run of all).
    pub against: Option<Found>,
    /// The first run where its condition held.
    pub witness: Option<Found>,
}

impl ExpectTally {
    /// Whether the line passes over every schedule explored.
    pub fn passed(&self) -> bool {
        match self.qualifier {
            Qualifier::Sometimes => self.held > 0,
            Qualifier::Never => self.held == 0,
            Qualifier::Plain | Qualifier::Always => self.held == self.decided && self.decided > 0,
        }
    }
}

/// Why an exploration stopped before it ran out of schedules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    States(u64),
    Runs(u64),
    /// Some run had choice points beyond the depth; they took their first option.
    Depth(usize),
    /// Interrupted from outside.
    Stopped,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exploration {
    pub runs: u64,
    /// Runs that went to their end; the others stopped at a merged state.
    pub completed: u64,
    pub merged: u64,
    /// Distinct whole states met at choice points.
    pub states: u64,
    /// Choice points met, by kind, over all runs.
    pub order_points: u64,
    pub cpu_points: u64,
    pub draw_points: u64,
    /// The most choice points one run met.
    pub deepest: usize,
    /// Every schedule within the bounds was explored; `bound` says which bound was hit if not.
    pub exhausted: bool,
    pub bound: Option<Bound>,
    /// Per violation, the first schedule that reached it.
    pub violations: Vec<(Violation, Found)>,
    pub expects: Vec<ExpectTally>,
}

fn count(r: &PointReport, metric: &str) -> u64 {
    match r.metric(metric) {
        Some(MetricValue::Scalar(n)) => *n,
        Some(MetricValue::Histogram(h)) => h.count,
        None => 0,
    }
}

fn reached(r: &PointReport, v: Violation) -> bool {
    match v {
        Violation::Deadlock => !r.deadlocks.is_empty() || r.end == End::Deadlock,
        _ => count(r, v.metric()) > 0,
    }
}

/// The schedule of a run: the options it took, without the first options that end it.
fn schedule_of(log: &[crate::engine::Choice]) -> Schedule {
    let mut s: Vec<u32> = log.iter().map(|c| c.taken).collect();
    while s.last() == Some(&0) {
        s.pop();
    }
    Schedule(s)
}

/// Explores point `params` of `p` at `seed`. `progress(&so_far)` is called after every run;
/// `go_on()` often within one. Either returning false stops the exploration (reported as
/// [`Bound::Stopped`]; a run cut short is not counted).
pub fn explore(
    p: &Program,
    params: &OrderedMap<ParamValue>,
    seed: u64,
    limits: Limits,
    bounds: Bounds,
    progress: &mut dyn FnMut(&Exploration) -> bool,
    go_on: &dyn Fn() -> bool,
) -> Result<Exploration, LimitError> {
    let mut x = Exploration::default();
    let mut seen: BTreeSet<u64> = BTreeSet::new();
    let mut schedule: Vec<u32> = Vec::new();
    let mut depth_hit = false;
    let mut tallies: Vec<Option<ExpectTally>> = vec![None; p.checks.len()];
    loop {
        if x.runs >= bounds.max_runs {
            x.bound = Some(Bound::Runs(bounds.max_runs));
            break;
        }
        if seen.len() as u64 >= bounds.max_states {
            x.bound = Some(Bound::States(bounds.max_states));
            break;
        }
        let mut choices = Choices::new(schedule.clone(), true, bounds.max_draw);
        if bounds.merge {
            choices.seen = Some(std::mem::take(&mut seen));
        }
        let (result, choices) =
            sim::run_with_choices(p, params.clone(), seed, limits, Observe::default(), Some(choices), &mut |_, _| {
                go_on()
            });
        let mut choices = choices.expect("the choices come back");
        seen = choices.seen.take().unwrap_or_default();
        let mut report = match result {
            Ok(run) => run.report,
            Err(RunError::Limit(e)) => return Err(e),
            Err(RunError::Interrupted) => {
                x.bound = Some(Bound::Stopped);
                break;
            }
        };
        x.runs += 1;
        let merged = report.end == End::Pruned;
        let mut log = choices.log;
        if merged {
            // The last choice point is where it met a state explored before.
            log.pop();
            x.merged += 1;
        } else {
            x.completed += 1;
        }
        for c in &log {
            match c.kind {
                ChoiceKind::Order => x.order_points += 1,
                ChoiceKind::Cpu => x.cpu_points += 1,
                ChoiceKind::Draw => x.draw_points += 1,
            }
        }
        x.deepest = x.deepest.max(log.len());
        let found = |report: &PointReport| Found { schedule: schedule_of(&log), run: x.runs, report: report.clone() };
        for v in Violation::ALL {
            if reached(&report, v) && !x.violations.iter().any(|(w, _)| *w == v) {
                x.violations.push((v, found(&report)));
            }
        }
        if !merged {
            report.checks = checks::point_checks(&p.checks, &report);
            for (i, c) in p.checks.iter().enumerate() {
                let Some(r) = report.checks.iter().find(|r| r.line == c.line && r.text == c.text) else { continue };
                let t = tallies[i].get_or_insert_with(|| ExpectTally {
                    line: c.line,
                    text: c.text.clone(),
                    qualifier: c.qualifier,
                    held: 0,
                    decided: 0,
                    against: None,
                    witness: None,
                });
                let Some(held) = checks::held(r) else { continue };
                t.decided += 1;
                if held {
                    t.held += 1;
                    if t.witness.is_none() {
                        t.witness = Some(found(&report));
                    }
                }
                let against = match c.qualifier {
                    Qualifier::Never => held,
                    Qualifier::Sometimes => false,
                    Qualifier::Plain | Qualifier::Always => !held,
                };
                if against && t.against.is_none() {
                    t.against = Some(found(&report));
                }
            }
        }
        x.states = seen.len() as u64;
        if log.len() > bounds.depth {
            depth_hit = true;
            log.truncate(bounds.depth);
        }
        // The next schedule in lexicographic order: the deepest choice point with an option left.
        match log.iter().rposition(|c| c.taken + 1 < c.options) {
            Some(i) => {
                schedule = log[..i].iter().map(|c| c.taken).collect();
                schedule.push(log[i].taken + 1);
            }
            None => {
                x.exhausted = true;
                break;
            }
        }
        if !progress(&x) {
            x.bound = Some(Bound::Stopped);
            break;
        }
    }
    if depth_hit && x.bound.is_none() {
        x.bound = Some(Bound::Depth(bounds.depth));
        x.exhausted = false;
    }
    x.states = seen.len() as u64;
    x.expects = tallies.into_iter().flatten().collect();
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::Strategy;
    use crate::testing::*;

    /// Two mms that map two shared files in opposite orders, each registering once (and
    /// unregistering, if `unregister`).
    fn abba_with(strategy: Strategy, unregister_too: bool) -> Build {
        let mut b = Build::new(strategy);
        let f1 = b.file("f1", 4096);
        let f2 = b.file("f2", 4096);
        let kvm = b.driver("kvm", 150, false);
        for (name, order) in [("a", [f1, f2]), ("b", [f2, f1])] {
            let mut steps = vec![file_map(order[0], 1, true), file_map(order[1], 1, true), register(kvm)];
            if unregister_too {
                steps.push(unregister(kvm));
            }
            b.process(name, 1, steps);
        }
        b
    }

    fn abba(strategy: Strategy) -> Build {
        abba_with(strategy, true)
    }

    fn explore_all(b: &Build, bounds: Bounds) -> Exploration {
        explore(&b.p, &OrderedMap::default(), 1, Limits::default(), bounds, &mut |_| true, &|| true)
            .expect("within limits")
    }

    fn replay(b: &Build, s: &Schedule) -> PointReport {
        let choices = Choices::new(s.0.clone(), false, Bounds::default().max_draw);
        let (r, c) = sim::run_with_choices(
            &b.p,
            OrderedMap::default(),
            1,
            Limits::default(),
            Observe::default(),
            Some(choices),
            &mut |_, _| true,
        );
        assert!(c.expect("choices back").invalid.is_none(), "the schedule fits the run");
        r.expect("within limits").report
    }

    #[test]
    fn the_first_option_everywhere_is_the_plain_run() {
        for strategy in [Strategy::Unsorted, Strategy::MmLock, Strategy::MmTakeAllLocks] {
            let b = abba(strategy);
            let plain = b.run(1).report;
            assert_eq!(replay(&b, &Schedule::default()), plain, "{strategy:?}");
        }
    }

    #[test]
    fn unsorted_reaches_the_abba_deadlock_and_its_schedule_replays_it() {
        let b = abba(Strategy::Unsorted);
        let x = explore_all(&b, Bounds::default());
        let (_, found) = x.violations.iter().find(|(v, _)| *v == Violation::Deadlock).expect("a deadlock is reachable");
        let again = replay(&b, &found.schedule);
        assert_eq!(scalar(&again, "deadlock.count"), 1);
        assert_eq!(again.deadlocks, found.report.deadlocks);
        // Some schedule avoids it: the deadlock is a matter of interleaving.
        assert!(x.runs > 1, "{x:?}");
    }

    #[test]
    fn sorted_and_serialised_lock_alls_exhaust_the_scope_without_a_deadlock() {
        for strategy in [Strategy::MmLock, Strategy::MmTakeAllLocks] {
            let x = explore_all(&abba(strategy), Bounds::default());
            assert!(x.exhausted, "{strategy:?}: {:?}", x.bound);
            assert!(x.violations.is_empty(), "{strategy:?}");
            assert!(x.states > 0 && x.order_points > 0, "{strategy:?}: there were choices to make");
        }
    }

    #[test]
    fn merging_states_finds_the_same_and_runs_no_more() {
        // The two tasks move in lockstep, so every event ties: 2^16 schedules unmerged. Branch
        // at the first 8 choice points only, merged or not.
        let bounds = Bounds { depth: 8, ..Bounds::default() };
        for strategy in [Strategy::Unsorted, Strategy::MmLock] {
            let b = abba_with(strategy, false);
            let merged = explore_all(&b, bounds);
            let full = explore_all(&b, Bounds { merge: false, ..bounds });
            assert_eq!(full.runs, 256, "{strategy:?}");
            assert_eq!(full.bound, Some(Bound::Depth(8)));
            let kinds = |x: &Exploration| x.violations.iter().map(|(v, _)| *v).collect::<Vec<_>>();
            assert_eq!(kinds(&merged), kinds(&full), "{strategy:?}");
            assert!(merged.runs < full.runs, "{strategy:?}: {} >= {}", merged.runs, full.runs);
            assert_eq!(full.merged, 0);
            assert!(merged.merged > 0, "{strategy:?}: some orders commute");
        }
    }

    #[test]
    fn a_schedule_steers_the_run_and_replays_identically() {
        let b = abba(Strategy::MmLock);
        let plain = replay(&b, &Schedule::default());
        let other = replay(&b, &Schedule(vec![1, 1, 0, 1]));
        assert_eq!(other, replay(&b, &Schedule(vec![1, 1, 0, 1])));
        assert_ne!(other.fingerprint, plain.fingerprint, "the choices changed the order of events");
    }

    #[test]
    fn a_busy_cpu_and_a_small_draw_are_choice_points_too() {
        // One CPU, three tasks: who runs next is a choice; a touch of a 4-page file draws its
        // page from 4 values, each a choice.
        let mut b = Build::new(Strategy::MmTakeAllLocks);
        b.p.machine.cpus = 1;
        let f = b.file("f", 4 * 4096);
        let kvm = b.driver("kvm", 150, false);
        b.process("p", 3, vec![file_map(f, 1, true), register(kvm), touch(1)]);
        let x = explore_all(&b, Bounds::default());
        assert!(x.exhausted, "{:?}", x.bound);
        assert!(x.cpu_points > 0 && x.draw_points > 0, "{x:?}");
        let none = explore_all(&b, Bounds { max_draw: 1, ..Bounds::default() });
        assert_eq!(none.draw_points, 0);
        assert!(none.runs < x.runs);
        assert!(x.violations.is_empty());
    }

    #[test]
    fn a_stop_from_outside_ends_even_a_run() {
        // Long enough to be heard from within its first run.
        let mut b = Build::new(Strategy::MmLock);
        let f = b.file("f", 4096);
        let mut steps = vec![file_map(f, 1, true)];
        steps.extend((0..3000).map(|_| touch(1)));
        b.process("p", 2, steps);
        let x =
            explore(&b.p, &OrderedMap::default(), 1, Limits::default(), Bounds::default(), &mut |_| true, &|| false)
                .expect("within limits");
        assert_eq!(x.bound, Some(Bound::Stopped));
        assert!(!x.exhausted);
        assert_eq!(x.runs, 0, "the run cut short is not counted");
    }

    #[test]
    fn a_bound_hit_is_not_exhaustion() {
        let x = explore_all(&abba(Strategy::MmLock), Bounds { max_runs: 1, ..Bounds::default() });
        assert!(!x.exhausted);
        assert_eq!(x.bound, Some(Bound::Runs(1)));
        let x = explore_all(&abba(Strategy::MmLock), Bounds { depth: 0, ..Bounds::default() });
        assert!(!x.exhausted);
        assert_eq!(x.bound, Some(Bound::Depth(0)));
        assert_eq!(x.runs, 1);
    }
}
