//! lock_stat: per lock class (and, when asked, per lock) the columns of /proc/lock_stat —
//! contentions and acquisitions, the waits and holds they took, and how often the lock's cache
//! line came from another CPU (a bounce: the last acquirer ran elsewhere).

use super::locks::{LockClass, LockId};
use crate::report::LockStatRow;

#[derive(Clone, Copy, Debug, Default)]
struct Stat {
    con_bounces: u64,
    contentions: u64,
    wait_min: u64,
    wait_max: u64,
    wait_total: u64,
    waits: u64,
    acq_bounces: u64,
    acquisitions: u64,
    hold_min: u64,
    hold_max: u64,
    hold_total: u64,
    holds: u64,
}

#[inline]
fn span(min: &mut u64, max: &mut u64, total: &mut u64, n: &mut u64, v: u64) {
    *min = if *n == 0 { v } else { (*min).min(v) };
    *max = (*max).max(v);
    *total += v;
    *n += 1;
}

impl Stat {
    fn row(&self, name: String) -> LockStatRow {
        let avg = |total: u64, n: u64| if n == 0 { 0.0 } else { total as f64 / n as f64 };
        LockStatRow {
            name,
            con_bounces: self.con_bounces,
            contentions: self.contentions,
            waittime_min: self.wait_min,
            waittime_max: self.wait_max,
            waittime_total: self.wait_total,
            waittime_avg: avg(self.wait_total, self.waits),
            acq_bounces: self.acq_bounces,
            acquisitions: self.acquisitions,
            holdtime_min: self.hold_min,
            holdtime_max: self.hold_max,
            holdtime_total: self.hold_total,
            holdtime_avg: avg(self.hold_total, self.holds),
        }
    }
}

/// The statistics of a run, by class and optionally by instance.
pub struct LockStats {
    classes: [Stat; LockClass::COUNT],
    instances: Option<Vec<Stat>>,
}

impl LockStats {
    pub fn new(per_instance: bool) -> LockStats {
        LockStats { classes: [Stat::default(); LockClass::COUNT], instances: per_instance.then(Vec::new) }
    }

    #[inline]
    fn each(&mut self, class: LockClass, l: LockId, f: impl Fn(&mut Stat)) {
        f(&mut self.classes[class as usize]);
        if let Some(v) = &mut self.instances {
            if v.len() <= l as usize {
                v.resize(l as usize + 1, Stat::default());
            }
            f(&mut v[l as usize]);
        }
    }

    /// A task found the lock taken and waits; `bounce`: the lock was last taken on another CPU.
    #[inline]
    pub fn contended(&mut self, class: LockClass, l: LockId, bounce: bool) {
        self.each(class, l, |s| {
            s.contentions += 1;
            s.con_bounces += u64::from(bounce);
        });
    }

    /// A wait ended with the lock.
    #[inline]
    pub fn waited(&mut self, class: LockClass, l: LockId, ns: u64) {
        self.each(class, l, |s| span(&mut s.wait_min, &mut s.wait_max, &mut s.wait_total, &mut s.waits, ns));
    }

    #[inline]
    pub fn acquired(&mut self, class: LockClass, l: LockId, bounce: bool) {
        self.each(class, l, |s| {
            s.acquisitions += 1;
            s.acq_bounces += u64::from(bounce);
        });
    }

    #[inline]
    pub fn released(&mut self, class: LockClass, l: LockId, held_ns: u64) {
        self.each(class, l, |s| span(&mut s.hold_min, &mut s.hold_max, &mut s.hold_total, &mut s.holds, held_ns));
    }

    /// Acquisitions of every class (the report's `lock.acquisitions`).
    pub fn acquisitions(&self) -> u64 {
        self.classes.iter().map(|s| s.acquisitions).sum()
    }

    /// Rows for the report: every class, in class order (lockdep's names); then, if kept, every
    /// lock that was acquired, named by `name`, in lock order.
    pub fn rows(&self, name: impl Fn(LockId) -> String) -> (Vec<LockStatRow>, Vec<LockStatRow>) {
        let classes =
            LockClass::ALL.iter().map(|&c| self.classes[c as usize].row(c.lockdep_name().to_string())).collect();
        let instances = self
            .instances
            .iter()
            .flatten()
            .enumerate()
            .filter(|(_, s)| s.acquisitions > 0 || s.contentions > 0)
            .map(|(l, s)| s.row(name(l as LockId)))
            .collect();
        (classes, instances)
    }
}
