//! lockdep, the kernel's lock-order validator, as the model runs: every time a task asks for a
//! lock while it holds others, the dependency held → asked is recorded (the first time it is
//! seen, with the task, the two workload lines and the time), and a dependency that closes a
//! cycle is a *possible* deadlock, whether or not the timing of this run deadlocked.
//!
//! Two graphs: one over lock classes (as lockdep keys locks: every i_mmap lock is one class),
//! for order between classes; and one over lock instances for order among locks of one class,
//! which lockdep itself cannot see (it reports any unannotated same-class nesting instead, as
//! `nesting` does here). Taking many locks of one class under a nest annotation (2.6.27's
//! `mm_take_all_locks`: `spin_lock_nest_lock(lock, &mm->mmap_sem)`) orders nothing among them. Memory is
//! bounded: the class graph is classes²; the instance graph keeps 12 bytes per lock and per
//! dependency, at most [`MAX_INSTANCE_EDGES`] of them, and its searches a total budget, past
//! which lockdep turns the instance checks off and says so, as the kernel's does when its
//! tables fill up.
//!
//! The instance graph keeps its locks in a topological order while it has no cycle (Pearce and
//! Kelly's idea, simplified): a new dependency that goes up the order cannot close a cycle and
//! costs nothing more, so a lock-all in address order — the sorted designs — is checked in
//! constant time per lock; only a dependency against the order searches, and renumbers what it
//! reached.

use super::locks::{LockClass, LockId, TaskId};
use std::collections::BTreeSet;

const C: usize = LockClass::COUNT;
const NONE: u32 = u32::MAX;
pub const MAX_INSTANCE_EDGES: usize = 1 << 20;
const SEARCH_BUDGET: u64 = 1 << 27;

/// The first time a dependency was seen: `task` held `held` (taken at `held_line`) and asked
/// for `lock` at `line`, at `time_ns`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    pub task: TaskId,
    pub held: LockId,
    pub held_line: u32,
    pub lock: LockId,
    pub line: u32,
    pub time_ns: u64,
}

/// A possible deadlock: the dependencies around the cycle, the one that closed it first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cycle {
    /// Between classes (true) or among the locks of one class.
    pub classes: bool,
    pub chain: Vec<Seen>,
}

/// What one task holds, per class.
#[derive(Clone, Copy)]
struct Held {
    /// Bit c set: the task holds a lock of class c.
    classes: u8,
    count: [u32; C],
    /// The lock and line of the class's oldest hold (what reports name).
    first: [LockId; C],
    line: [u32; C],
    /// The latest lock of the class the task took and still holds.
    last: [LockId; C],
}

const NOTHING_HELD: Held = Held { classes: 0, count: [0; C], first: [NONE; C], line: [0; C], last: [NONE; C] };

/// Per lock, for the instance graph.
#[derive(Clone, Copy)]
struct Inst {
    /// The predecessor of the last dependency into this lock that was checked.
    pred: LockId,
    /// Its place in the topological order (0: not in the graph yet).
    ord: u32,
    /// Its first outgoing dependency.
    out: u32,
}

const NO_INST: Inst = Inst { pred: NONE, ord: 0, out: NONE };

/// A dependency among one class's locks: where it goes, the next one out of the same lock, and
/// who first made it (an index into the contexts).
#[derive(Clone, Copy)]
struct Edge {
    to: LockId,
    next: u32,
    context: u32,
}

pub struct Lockdep {
    /// False: lockdep is off (`--no-lockdep`, as a kernel without CONFIG_PROVE_LOCKING) and
    /// every hook returns at once, so a run measures what the graph costs the host.
    on: bool,
    tasks: Vec<Held>,
    class_edges: [[Option<Seen>; C]; C],
    cycles_seen: BTreeSet<(bool, Vec<u32>)>,
    pub cycles: Vec<Cycle>,
    /// The first unannotated nesting of each class.
    pub nesting: [Option<Seen>; C],
    inst: Vec<Inst>,
    edges: Vec<Edge>,
    /// (task, line of the held lock, line of the request): shared by the dependencies one
    /// lock-all makes.
    contexts: Vec<(TaskId, u32, u32)>,
    order: u32,
    /// The instance graph has a cycle: the order no longer holds, every new dependency searches.
    cyclic: bool,
    visit: Vec<u32>,
    parent: Vec<LockId>,
    epoch: u32,
    budget: u64,
    /// Why the instance checks stopped, if they did.
    pub off: Option<&'static str>,
}

impl Default for Lockdep {
    fn default() -> Self {
        Lockdep {
            on: true,
            tasks: Vec::new(),
            class_edges: [[None; C]; C],
            cycles_seen: BTreeSet::new(),
            cycles: Vec::new(),
            nesting: [None; C],
            inst: Vec::new(),
            edges: Vec::new(),
            contexts: Vec::new(),
            order: 0,
            cyclic: false,
            visit: Vec::new(),
            parent: Vec::new(),
            epoch: 0,
            budget: SEARCH_BUDGET,
            off: None,
        }
    }
}

impl Lockdep {
    /// A validator that records nothing: no held locks, no graph, no findings.
    pub fn disabled() -> Lockdep {
        Lockdep { on: false, ..Lockdep::default() }
    }

    /// Room for `n` more lock instances, if it records anything.
    pub fn reserve(&mut self, n: usize) {
        if self.on {
            self.inst.reserve(n);
        }
    }

    /// Whether it records anything.
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Makes room for task `t` (task ids are dense and grow by one).
    pub fn add_task(&mut self, t: TaskId) {
        if self.on && self.tasks.len() <= t as usize {
            self.tasks.resize(t as usize + 1, NOTHING_HELD);
        }
    }

    /// Task `t` asks for lock `l` of `class` at workload line `line`. `nested`: the request is
    /// under a nest annotation, so it orders nothing among the class's locks.
    #[inline]
    pub fn ask(&mut self, t: TaskId, l: LockId, class: LockClass, line: u32, time_ns: u64, nested: bool) {
        if !self.on {
            return;
        }
        let k = class as usize;
        let mut classes = self.tasks[t as usize].classes;
        while classes != 0 {
            let c = classes.trailing_zeros() as usize;
            classes &= classes - 1;
            let h = &self.tasks[t as usize];
            let seen = Seen { task: t, held: h.first[c], held_line: h.line[c], lock: l, line, time_ns };
            if c != k {
                if self.class_edges[c][k].is_none() {
                    self.class_edges[c][k] = Some(seen);
                    self.class_cycle(c, k);
                }
            } else if !nested {
                let last = h.last[k];
                self.nesting[k].get_or_insert(seen);
                if last != NONE && last != l {
                    self.instance_edge(Seen { held: last, ..seen });
                }
            }
        }
    }

    #[inline]
    pub fn acquired(&mut self, t: TaskId, l: LockId, class: LockClass, line: u32) {
        if !self.on {
            return;
        }
        let h = &mut self.tasks[t as usize];
        let k = class as usize;
        if h.count[k] == 0 {
            h.first[k] = l;
            h.line[k] = line;
            h.classes |= 1 << k;
        }
        h.count[k] += 1;
        h.last[k] = l;
    }

    #[inline]
    pub fn released(&mut self, t: TaskId, l: LockId, class: LockClass) {
        if !self.on {
            return;
        }
        let h = &mut self.tasks[t as usize];
        let k = class as usize;
        h.count[k] = h.count[k].saturating_sub(1);
        if h.count[k] == 0 {
            h.classes &= !(1 << k);
        }
        if h.last[k] == l {
            h.last[k] = NONE;
        }
    }

    /// The class dependency `from → to` is new: a path `to ⇝ from` makes a cycle.
    fn class_cycle(&mut self, from: usize, to: usize) {
        // Breadth-first over five nodes.
        let mut parent = [usize::MAX; C];
        let mut queue = vec![to];
        parent[to] = to;
        let mut i = 0;
        while i < queue.len() {
            let u = queue[i];
            i += 1;
            if u == from {
                break;
            }
            for (v, edge) in self.class_edges[u].iter().enumerate() {
                if edge.is_some() && parent[v] == usize::MAX {
                    parent[v] = u;
                    queue.push(v);
                }
            }
        }
        if parent[from] == usize::MAX {
            return;
        }
        // from → to → ... → from
        let mut path = vec![from];
        let mut x = from;
        while x != to {
            x = parent[x];
            path.push(x);
        }
        path.reverse(); // to ... from, then the new edge back to `to`
        let mut nodes: Vec<usize> = path.clone();
        nodes.insert(0, from);
        nodes.pop();
        let chain: Vec<Seen> = std::iter::once((from, to))
            .chain(path.windows(2).map(|w| (w[0], w[1])))
            .map(|(a, b)| self.class_edges[a][b].expect("edge on the path"))
            .collect();
        self.found(true, nodes.into_iter().map(|n| n as u32).collect(), chain);
    }

    /// Asks the CPU to bring lock `l`'s instance state into cache (a lock-all's next lock).
    #[inline]
    pub fn prefetch(&self, l: LockId) {
        if let Some(i) = self.inst.get(l as usize) {
            super::prefetch(i);
        }
    }

    fn instance_edge(&mut self, seen: Seen) {
        if self.off.is_some() {
            return;
        }
        let (x, l) = (seen.held, seen.lock);
        let n = x.max(l) as usize + 1;
        if self.inst.len() < n {
            self.inst.resize(n, NO_INST);
        }
        if self.inst[l as usize].pred == x {
            return;
        }
        self.inst[l as usize].pred = x;
        let mut e = self.inst[x as usize].out;
        while e != NONE {
            if self.edges[e as usize].to == l {
                return;
            }
            e = self.edges[e as usize].next;
        }
        if self.edges.len() >= MAX_INSTANCE_EDGES {
            self.off = Some("the instance graph is full (MAX_INSTANCE_EDGES): instance checks turned off");
            return;
        }
        for v in [x, l] {
            if self.inst[v as usize].ord == 0 {
                self.order += 1;
                self.inst[v as usize].ord = self.order;
            }
        }
        let context = match self.contexts.last() {
            Some(&c) if c == (seen.task, seen.held_line, seen.line) => self.contexts.len() - 1,
            _ => {
                self.contexts.push((seen.task, seen.held_line, seen.line));
                self.contexts.len() - 1
            }
        } as u32;
        self.edges.push(Edge { to: l, next: self.inst[x as usize].out, context });
        self.inst[x as usize].out = (self.edges.len() - 1) as u32;
        if !self.cyclic && self.inst[x as usize].ord < self.inst[l as usize].ord {
            return;
        }
        match self.search(l, x) {
            Some(path) => {
                self.cyclic = true;
                // The new x → l, then l → ... → x.
                let mut chain = vec![seen];
                chain.extend(path.windows(2).map(|w| self.seen(w[0], w[1])));
                let mut nodes = vec![x];
                nodes.extend_from_slice(&path[..path.len() - 1]);
                self.found(false, nodes, chain);
            }
            None if !self.cyclic && self.off.is_none() => self.renumber(l),
            None => {}
        }
    }

    /// The dependency `from → to` as first seen (its time is not kept).
    fn seen(&self, from: LockId, to: LockId) -> Seen {
        let mut e = self.inst[from as usize].out;
        while e != NONE {
            let edge = self.edges[e as usize];
            if edge.to == to {
                let (task, held_line, line) = self.contexts[edge.context as usize];
                return Seen { task, held: from, held_line, lock: to, line, time_ns: 0 };
            }
            e = edge.next;
        }
        unreachable!("a dependency on a path the search found")
    }

    fn outs(&self, u: LockId) -> impl Iterator<Item = LockId> + '_ {
        let mut e = self.inst.get(u as usize).map_or(NONE, |i| i.out);
        std::iter::from_fn(move || {
            let edge = self.edges.get(e as usize)?;
            e = edge.next;
            Some(edge.to)
        })
    }

    fn new_epoch(&mut self) -> u32 {
        if self.visit.len() < self.inst.len() {
            self.visit.resize(self.inst.len(), 0);
            self.parent.resize(self.inst.len(), NONE);
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.visit.iter_mut().for_each(|v| *v = 0);
            self.epoch = 1;
        }
        self.epoch
    }

    /// A path from `from` to `to` in the instance graph, both ends included.
    fn search(&mut self, from: LockId, to: LockId) -> Option<Vec<LockId>> {
        let epoch = self.new_epoch();
        let mut stack = vec![from];
        self.visit[from as usize] = epoch;
        while let Some(u) = stack.pop() {
            if u == to {
                let mut path = vec![to];
                let mut x = to;
                while x != from {
                    x = self.parent[x as usize];
                    path.push(x);
                }
                path.reverse();
                return Some(path);
            }
            let mut e = self.inst[u as usize].out;
            while e != NONE {
                if self.budget == 0 {
                    self.off = Some("the instance searches ran out of budget: instance checks turned off");
                    return None;
                }
                self.budget -= 1;
                let Edge { to: v, next, .. } = self.edges[e as usize];
                e = next;
                if self.visit[v as usize] != epoch {
                    self.visit[v as usize] = epoch;
                    self.parent[v as usize] = u;
                    stack.push(v);
                }
            }
        }
        None
    }

    /// Gives every lock reachable from `from` a new place above all others, in a topological
    /// order of their own, so the order holds again after a dependency against it.
    fn renumber(&mut self, from: LockId) {
        let epoch = self.new_epoch();
        // Iterative depth-first search; a lock is placed once all it leads to is placed.
        let mut post = Vec::new();
        let mut stack = vec![(from, false)];
        self.visit[from as usize] = epoch;
        while let Some((u, done)) = stack.pop() {
            if done {
                post.push(u);
                continue;
            }
            stack.push((u, true));
            let next: Vec<LockId> = self.outs(u).collect();
            if self.budget < next.len() as u64 || self.order > u32::MAX / 2 {
                self.off = Some("the instance searches ran out of budget: instance checks turned off");
                return;
            }
            self.budget -= next.len() as u64;
            for v in next {
                if self.visit[v as usize] != epoch {
                    self.visit[v as usize] = epoch;
                    stack.push((v, false));
                }
            }
        }
        for &u in post.iter().rev() {
            self.order += 1;
            self.inst[u as usize].ord = self.order;
        }
    }

    /// Records a cycle once: its nodes rotated to start at the smallest.
    fn found(&mut self, classes: bool, nodes: Vec<u32>, chain: Vec<Seen>) {
        let start = (0..nodes.len()).min_by_key(|&i| nodes[i]).unwrap_or(0);
        let mut key = nodes[start..].to_vec();
        key.extend_from_slice(&nodes[..start]);
        if self.cycles_seen.insert((classes, key)) {
            self.cycles.push(Cycle { classes, chain });
        }
    }

    /// Classes nested without an annotation.
    pub fn nested_classes(&self) -> u64 {
        self.nesting.iter().filter(|n| n.is_some()).count() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: LockId = 10;
    const B: LockId = 20;

    #[test]
    fn opposite_orders_far_apart_are_one_possible_deadlock() {
        let mut d = Lockdep::default();
        d.add_task(1);
        // Task 0 takes A then B, at t=0; task 1 takes B then A much later: no real deadlock.
        d.ask(0, A, LockClass::IMmap, 3, 0, false);
        d.acquired(0, A, LockClass::IMmap, 3);
        d.ask(0, B, LockClass::IMmap, 3, 10, false);
        d.acquired(0, B, LockClass::IMmap, 3);
        d.released(0, B, LockClass::IMmap);
        d.released(0, A, LockClass::IMmap);
        d.ask(1, B, LockClass::IMmap, 9, 1_000_000, false);
        d.acquired(1, B, LockClass::IMmap, 9);
        d.ask(1, A, LockClass::IMmap, 9, 1_000_010, false);
        assert_eq!(d.cycles.len(), 1);
        let c = &d.cycles[0];
        assert!(!c.classes);
        assert_eq!(c.chain.len(), 2);
        assert_eq!((c.chain[0].task, c.chain[0].held, c.chain[0].lock, c.chain[0].line), (1, B, A, 9));
        assert_eq!((c.chain[1].task, c.chain[1].held, c.chain[1].lock, c.chain[1].line), (0, A, B, 3));
        // The same orders again add nothing.
        d.ask(1, A, LockClass::IMmap, 9, 2_000_000, false);
        assert_eq!(d.cycles.len(), 1);
        assert_eq!(d.nested_classes(), 1);
    }

    #[test]
    fn classes_in_opposite_orders_are_a_cycle_and_nest_annotations_order_nothing() {
        let mut d = Lockdep::default();
        d.add_task(1);
        d.ask(0, 1, LockClass::AnonVma, 5, 0, false);
        d.acquired(0, 1, LockClass::AnonVma, 5);
        d.ask(0, 2, LockClass::IMmap, 5, 1, false);
        assert!(d.cycles.is_empty());
        d.released(0, 1, LockClass::AnonVma);
        d.ask(1, 2, LockClass::IMmap, 7, 5, false);
        d.acquired(1, 2, LockClass::IMmap, 7);
        d.ask(1, 1, LockClass::AnonVma, 7, 6, false);
        assert_eq!(d.cycles.len(), 1);
        assert!(d.cycles[0].classes);
        // Under a nest annotation, B then A among one class records nothing.
        let mut d = Lockdep::default();
        d.add_task(1);
        for (t, order) in [(0, [A, B]), (1, [B, A])] {
            for l in order {
                d.ask(t, l, LockClass::IMmap, 1, 0, true);
                d.acquired(t, l, LockClass::IMmap, 1);
            }
        }
        assert!(d.cycles.is_empty());
        assert_eq!(d.nested_classes(), 0);
    }

    #[test]
    fn a_disabled_validator_records_nothing() {
        let mut d = Lockdep::disabled();
        d.add_task(1);
        for (t, order) in [(0, [A, B]), (1, [B, A])] {
            for l in order {
                d.ask(t, l, LockClass::IMmap, 1, 0, false);
                d.acquired(t, l, LockClass::IMmap, 1);
            }
        }
        assert!(d.cycles.is_empty() && d.nested_classes() == 0 && !d.is_on());
    }

    #[test]
    fn one_order_however_long_is_no_cycle() {
        let mut d = Lockdep::default();
        d.add_task(2);
        for t in 0..3 {
            for l in 0..1000 {
                d.ask(t, l, LockClass::AnonVma, 1, 0, false);
                d.acquired(t, l, LockClass::AnonVma, 1);
            }
            for l in 0..1000 {
                d.released(t, l, LockClass::AnonVma);
            }
        }
        assert!(d.cycles.is_empty());
        assert!(d.off.is_none());
    }
}
