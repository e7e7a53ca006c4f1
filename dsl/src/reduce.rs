//! Shrinking a workload: smaller syntax trees made from one, coarse to fine, in a fixed order,
//! and the greedy loop that keeps each one a judge accepts. What the judge decides (the same
//! `expect` line still fails) is the caller's: it runs the simulations.

use crate::ast::*;
use crate::diagnostic::{Source, Span};
use crate::print::{self, Printed};
use std::collections::BTreeSet;

/// A workload's syntax tree with one `expect` statement singled out: the line being shrunk for.
/// The statement is followed through every reduction by its place in the tree, not its line.
#[derive(Clone, Debug, PartialEq)]
pub struct Shrink {
    stmts: Vec<Stmt>,
    target: usize,
}

/// What a judge found of a candidate.
#[derive(Clone, Debug, PartialEq)]
pub enum Judged {
    /// The line still fails (or still holds, as asked), first at this point (`NAME`, value).
    Kept(Vec<(String, String)>),
    /// It loads but the line no longer fails.
    Lost,
    /// It does not load.
    Invalid,
    /// Ctrl-C: stop, keep the best so far.
    Interrupted,
}

/// The sizes a shrink is measured by, counted in the text: top-level processes (times a literal
/// `x N`), steps (every step, nested ones included) and VMAs (each mmap step's literal `x N`,
/// else 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub processes: u64,
    pub steps: u64,
    pub vmas: u64,
}

impl Shrink {
    /// Parses a workload and singles out the `expect` statement on `line`.
    pub fn new(path: &str, bytes: &[u8], line: u32) -> Result<Shrink, String> {
        let text = std::str::from_utf8(bytes).map_err(|e| crate::not_utf8(path, bytes, e.valid_up_to()).to_string())?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let src = Source::new(path, text.to_string(), 0);
        let stmts = crate::parse::parse_file(&src).map_err(|d| d.finish().to_string())?;
        let lines = text.lines().count().max(1);
        if line == 0 || line as usize > lines {
            return Err(format!("{path}:{line}:1: error: no line {line}: the file has {lines} lines"));
        }
        let at = stmts.iter().position(|s| src.line_of(s.span.start) == line);
        match at.map(|i| (i, &stmts[i].kind)) {
            Some((target, StmtKind::Expect(_))) => Ok(Shrink { stmts, target }),
            _ => {
                let expects: Vec<String> = stmts
                    .iter()
                    .filter(|s| matches!(s.kind, StmtKind::Expect(_)))
                    .map(|s| src.line_of(s.span.start).to_string())
                    .collect();
                let help = if expects.is_empty() {
                    "the file has no expect line".to_string()
                } else {
                    format!("expect lines are on lines {}", expects.join(", "))
                };
                Err(format!("{path}:{line}:1: error: line {line} is not an expect line\n  = help: {help}"))
            }
        }
    }

    /// The target line as printed.
    pub fn expect_text(&self) -> String {
        match &self.stmts[self.target].kind {
            StmtKind::Expect(e) => print::expect_text(e),
            _ => unreachable!("the target is an expect statement"),
        }
    }

    /// The canonical text after `header`, and the line the target is printed on.
    pub fn print(&self, header: &[String]) -> (String, u32) {
        let Printed { text, lines } = print::print(header, &self.stmts);
        (text, lines[self.target])
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for s in &self.stmts {
            if let StmtKind::Process { count, body, .. } = &s.kind {
                c.processes += count.as_ref().and_then(literal_count).unwrap_or(1);
                count_steps(body, &mut c);
            }
        }
        c
    }

    /// Writes `-p NAME=VALUE` into the tree: a `sweep` or `param` of that name becomes
    /// `param NAME = VALUE`; `strategy` becomes a `strategy` statement.
    pub fn pin(&mut self, name: &str, value: &str) -> Result<(), String> {
        if let Some(cost) = name.strip_prefix("cost.") {
            return Err(format!(
                "error: -p {name}: shrink writes a file that runs alone; set the cost in its machine block \
                 (machine {{ cost {cost} ... }}) instead"
            ));
        }
        let src = Source::new("<command line>", value.to_string(), 1);
        let val = match crate::parse::parse_override(&src, value, 0) {
            Ok(v) => v,
            Err(_) => Val { kind: ValKind::Lit(Lit::Str(value.to_string())), span: Span::default() },
        };
        if name == "strategy" {
            let at = self.stmts.iter().position(|s| match &s.kind {
                StmtKind::Strategy(_) => true,
                StmtKind::Sweep { name, .. } => name.text == "strategy",
                _ => false,
            });
            let stmt = Stmt { kind: StmtKind::Strategy(val), span: Span::default() };
            match at {
                Some(i) => self.stmts[i] = stmt,
                None => self.insert(self.header_end(), stmt),
            }
            return Ok(());
        }
        let at = self.stmts.iter().position(|s| match &s.kind {
            StmtKind::Param { name: n, .. } | StmtKind::Sweep { name: n, .. } => n.text == name,
            _ => false,
        });
        let Some(i) = at else {
            return Err(format!("error: -p {name}: the workload has no param or sweep {name}"));
        };
        let n = Name { text: name.to_string(), span: Span::default() };
        self.stmts[i] = Stmt { kind: StmtKind::Param { name: n, value: val }, span: Span::default() };
        Ok(())
    }

    /// Sets `seed N` (a `--seed` given on the command line), so that the file replays alone.
    pub fn set_seed(&mut self, seed: u64) {
        let stmt = Stmt {
            kind: StmtKind::Seed(Val { kind: ValKind::Lit(Lit::Number(seed.to_string())), span: Span::default() }),
            span: Span::default(),
        };
        match self.stmts.iter().position(|s| matches!(s.kind, StmtKind::Seed(_))) {
            Some(i) => self.stmts[i] = stmt,
            None => self.insert(self.header_end(), stmt),
        }
    }

    /// Where statements added in front go: after `workload` and `seed`.
    fn header_end(&self) -> usize {
        self.stmts.iter().take_while(|s| matches!(s.kind, StmtKind::Workload(_) | StmtKind::Seed(_))).count()
    }

    fn insert(&mut self, at: usize, s: Stmt) {
        self.stmts.insert(at, s);
        if at <= self.target {
            self.target += 1;
        }
    }

    fn without(&self, i: usize) -> Shrink {
        let mut c = self.clone();
        c.stmts.remove(i);
        if i < c.target {
            c.target -= 1;
        }
        c
    }

    fn with_stmt(&self, i: usize, kind: StmtKind) -> Shrink {
        let mut c = self.clone();
        c.stmts[i].kind = kind;
        c
    }

    /// Every candidate, coarse to fine, each with what it does. `point` is where the line
    /// failed last: the values sweeps are cut to.
    pub fn candidates(&self, point: &[(String, String)]) -> Vec<(String, Shrink)> {
        let mut out = Vec::new();
        self.sweep_cuts(point, &mut out);
        // Other expect lines first: they never decide the target, so they go at no cost.
        for (i, s) in self.stmts.iter().enumerate() {
            if i != self.target && matches!(s.kind, StmtKind::Expect(_)) {
                out.push((format!("drop statement {}", i + 1), self.without(i)));
            }
        }
        for (i, s) in self.stmts.iter().enumerate() {
            let droppable = !matches!(
                s.kind,
                StmtKind::Expect(_) | StmtKind::Workload(_) | StmtKind::Seed(_) | StmtKind::Strategy(_)
            );
            if droppable {
                out.push((format!("drop statement {}", i + 1), self.without(i)));
            }
        }
        for (i, s) in self.stmts.iter().enumerate() {
            if let StmtKind::Process { name, count: Some(n), when, body } = &s.kind {
                let mut smaller = vec![None];
                smaller.extend(fewer(n).into_iter().map(Some));
                for count in smaller {
                    let kind = StmtKind::Process { name: name.clone(), count, when: when.clone(), body: body.clone() };
                    out.push((format!("fewer instances of {}", name.text), self.with_stmt(i, kind)));
                }
            }
        }
        let paths = self.step_paths();
        for (i, path) in &paths {
            let mut c = self.clone();
            if let Some((block, k)) = c.block_mut(*i, path) {
                block.remove(k);
                out.push((format!("drop a step of statement {}", i + 1), c));
            }
        }
        for (i, path) in &paths {
            let mut c = self.clone();
            if let Some((block, k)) = c.block_mut(*i, path) {
                if let StepKind::Repeat { body, .. } | StepKind::Fork { body, .. } = &block[k].kind {
                    let body = body.clone();
                    block.splice(k..k + 1, body);
                    out.push((format!("inline a block of statement {}", i + 1), c));
                }
            }
        }
        for (i, s) in self.stmts.iter().enumerate() {
            match &s.kind {
                StmtKind::Process { name, count, when, body } if !when.is_empty() => {
                    let kind = StmtKind::Process {
                        name: name.clone(),
                        count: count.clone(),
                        when: Vec::new(),
                        body: body.clone(),
                    };
                    out.push((format!("drop the when of {}", name.text), self.with_stmt(i, kind)));
                }
                StmtKind::Machine(settings) | StmtKind::Driver { settings, .. } => {
                    for k in 0..settings.len() {
                        let mut c = self.clone();
                        if let StmtKind::Machine(v) | StmtKind::Driver { settings: v, .. } = &mut c.stmts[i].kind {
                            v.remove(k);
                        }
                        out.push((format!("drop a setting of statement {}", i + 1), c));
                    }
                }
                _ => {}
            }
        }
        // Numbers: counts, then sizes, then durations.
        for pass in [Unit::Count, Unit::Size, Unit::Duration] {
            for i in 0..self.stmts.len() {
                if i == self.target {
                    continue;
                }
                let n = self.numbers_of(i, pass);
                for k in 0..n {
                    let Some(v) = self.number_at(i, pass, k) else { continue };
                    for smaller in smaller_for(&v, pass) {
                        let mut c = self.clone();
                        if c.set_number(i, pass, k, smaller) {
                            out.push((format!("a smaller number in statement {}", i + 1), c));
                        }
                    }
                }
            }
        }
        out
    }

    /// Sweeps cut to the failing point's value: all at once, then one by one (the failing
    /// value first, then the others), then lists with one value fewer.
    fn sweep_cuts(&self, point: &[(String, String)], out: &mut Vec<(String, Shrink)>) {
        let sweeps: Vec<(usize, &Name, &List)> = self
            .stmts
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match &s.kind {
                StmtKind::Sweep { name, list } => Some((i, name, list)),
                _ => None,
            })
            .collect();
        if sweeps.is_empty() {
            return;
        }
        let fixed = |name: &Name, v: Val| -> StmtKind {
            if name.text == "strategy" {
                StmtKind::Strategy(v)
            } else {
                StmtKind::Param { name: name.clone(), value: v }
            }
        };
        let values = |name: &Name, list: &List| -> Vec<Val> {
            let want = point.iter().find(|(k, _)| *k == name.text).map(|(_, v)| v.as_str());
            let mut items = list_values(list);
            // The failing value first; the order of the others is the list's.
            if let Some(w) = want {
                if let Some(j) = items.iter().position(|v| matches_value(v, w)) {
                    let v = items.remove(j);
                    items.insert(0, v);
                }
            }
            items
        };
        let mut all = self.clone();
        let mut complete = true;
        for &(i, name, list) in &sweeps {
            let want = point.iter().find(|(k, _)| *k == name.text).map(|(_, v)| v.as_str());
            match (values(name, list).into_iter().next(), want) {
                (Some(v), Some(w)) if matches_value(&v, w) => all.stmts[i].kind = fixed(name, v),
                _ => complete = false,
            }
        }
        if complete {
            out.push(("cut every sweep to the failing point".to_string(), all));
        }
        for &(i, name, list) in &sweeps {
            for v in values(name, list) {
                out.push((format!("cut the sweep of {}", name.text), self.with_stmt(i, fixed(name, v))));
            }
        }
        for &(i, name, list) in &sweeps {
            if let List::Items(items, span) = list {
                if items.len() < 2 {
                    continue;
                }
                for k in 0..items.len() {
                    let mut fewer = items.clone();
                    fewer.remove(k);
                    let kind = StmtKind::Sweep { name: name.clone(), list: List::Items(fewer, *span) };
                    out.push((format!("a shorter sweep of {}", name.text), self.with_stmt(i, kind)));
                }
            }
        }
    }

    /// (statement, path of step indices) of every step, in reading order.
    fn step_paths(&self) -> Vec<(usize, Vec<usize>)> {
        fn walk(i: usize, block: &[Step], prefix: &mut Vec<usize>, out: &mut Vec<(usize, Vec<usize>)>) {
            for (k, s) in block.iter().enumerate() {
                prefix.push(k);
                out.push((i, prefix.clone()));
                if let StepKind::Repeat { body, .. } | StepKind::Fork { body, .. } = &s.kind {
                    walk(i, body, prefix, out);
                }
                prefix.pop();
            }
        }
        let mut out = Vec::new();
        for (i, s) in self.stmts.iter().enumerate() {
            if let StmtKind::Process { body, .. } = &s.kind {
                walk(i, body, &mut Vec::new(), &mut out);
            }
        }
        out
    }

    /// The block holding the step at `path` of statement `i`, and its index there.
    fn block_mut(&mut self, i: usize, path: &[usize]) -> Option<(&mut Vec<Step>, usize)> {
        let StmtKind::Process { body, .. } = &mut self.stmts.get_mut(i)?.kind else { return None };
        let (&last, init) = path.split_last()?;
        let mut block = body;
        for &k in init {
            match &mut block.get_mut(k)?.kind {
                StepKind::Repeat { body, .. } | StepKind::Fork { body, .. } => block = body,
                _ => return None,
            }
        }
        (last < block.len()).then_some((block, last))
    }

    fn numbers_of(&self, i: usize, unit: Unit) -> usize {
        let mut c = self.clone();
        let mut n = 0;
        c.each_number(i, unit, &mut |_| {
            n += 1;
            false
        });
        n
    }

    /// The `k`th literal number of `unit` in statement `i`.
    fn number_at(&self, i: usize, unit: Unit, k: usize) -> Option<Val> {
        let mut c = self.clone();
        let (mut seen, mut out) = (0, None);
        c.each_number(i, unit, &mut |v| {
            if seen == k {
                out = Some(v.clone());
                return true;
            }
            seen += 1;
            false
        });
        out
    }

    /// Replaces the `k`th literal number of `unit` in statement `i`.
    fn set_number(&mut self, i: usize, unit: Unit, k: usize, new: Val) -> bool {
        let (mut seen, mut new) = (0, Some(new));
        let mut done = false;
        self.each_number(i, unit, &mut |v| {
            if seen == k {
                if let Some(n) = new.take() {
                    *v = n;
                    done = true;
                }
                return true;
            }
            seen += 1;
            false
        });
        done
    }

    /// Calls `f` on every literal number of `unit` in statement `i`, in reading order, until it
    /// returns true.
    fn each_number(&mut self, i: usize, unit: Unit, f: &mut dyn FnMut(&mut Val) -> bool) {
        let Some(s) = self.stmts.get_mut(i) else { return };
        let visit = |v: &mut Val, u: Unit, f: &mut dyn FnMut(&mut Val) -> bool| -> bool {
            u == unit && matches!(v.kind, ValKind::Lit(Lit::Number(_))) && f(v)
        };
        match &mut s.kind {
            // A param's unit is where it is read; its number halves whatever it is.
            StmtKind::Param { value, .. } if unit == Unit::Count => {
                visit(value, Unit::Count, f);
            }
            StmtKind::File { size, .. } => {
                visit(size, Unit::Size, f);
            }
            StmtKind::Process { body, .. } => {
                steps_numbers(body, &mut |v, u| visit(v, u, f));
            }
            StmtKind::At { time, action } => {
                let stop = match time {
                    AtTime::Abs(v) => visit(v, Unit::Duration, f),
                    AtTime::Anchor { delay: Some(d), .. } => visit(d, Unit::Duration, f),
                    AtTime::Anchor { .. } => false,
                };
                if !stop {
                    action_numbers(action, &mut |v, u| visit(v, u, f));
                }
            }
            StmtKind::Every { period, action, until } => {
                let stop = visit(period, Unit::Duration, f) || action_numbers(action, &mut |v, u| visit(v, u, f));
                if let (false, Some(u)) = (stop, until) {
                    visit(u, Unit::Duration, f);
                }
            }
            _ => {}
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Count,
    Size,
    Duration,
}

fn action_numbers(a: &mut Action, f: &mut dyn FnMut(&mut Val, Unit) -> bool) -> bool {
    match &mut a.kind {
        ActionKind::Reclaim(n) => f(n, Unit::Count),
        ActionKind::VmallocHog(s) | ActionKind::VmallocFree(s) => f(s, Unit::Size),
        _ => false,
    }
}

fn steps_numbers(block: &mut [Step], f: &mut dyn FnMut(&mut Val, Unit) -> bool) -> bool {
    for s in block {
        let stop = match &mut s.kind {
            StepKind::MmapAnon { size, count } => {
                f(size, Unit::Size) || count.as_mut().is_some_and(|c| f(c, Unit::Count))
            }
            StepKind::MmapFile { size, count, .. } => {
                size.as_mut().is_some_and(|s| f(s, Unit::Size)) || count.as_mut().is_some_and(|c| f(c, Unit::Count))
            }
            StepKind::Munmap(Some(n)) | StepKind::Mprotect(n) => f(n, Unit::Count),
            StepKind::Touch { count, .. } => f(count, Unit::Count),
            StepKind::Compute(d) | StepKind::Sleep(d) => f(d, Unit::Duration),
            StepKind::Repeat { count, body } => f(count, Unit::Count) || steps_numbers(body, f),
            StepKind::Fork { body, .. } => steps_numbers(body, f),
            _ => false,
        };
        if stop {
            return true;
        }
    }
    false
}

fn count_steps(block: &[Step], c: &mut Counts) {
    for s in block {
        c.steps += 1;
        match &s.kind {
            StepKind::MmapAnon { count, .. } | StepKind::MmapFile { count, .. } => {
                c.vmas += count.as_ref().and_then(literal_count).unwrap_or(1);
            }
            StepKind::MmapMaps { .. } => c.vmas += 1,
            StepKind::Repeat { body, .. } | StepKind::Fork { body, .. } => count_steps(body, c),
            _ => {}
        }
    }
}

fn literal_count(v: &Val) -> Option<u64> {
    match &v.kind {
        ValKind::Lit(Lit::Number(t)) => t.replace('_', "").parse().ok(),
        _ => None,
    }
}

/// A number literal split into its integer part and unit suffix; `None` for decimals and
/// negative numbers, which are left as they are.
fn split_number(t: &str) -> Option<(u64, &str)> {
    let digits = t.find(|c: char| !(c.is_ascii_digit() || c == '_')).unwrap_or(t.len());
    let (n, suffix) = t.split_at(digits);
    if suffix.starts_with('.') {
        return None;
    }
    Some((n.replace('_', "").parse().ok()?, suffix))
}

fn number(n: u64, suffix: &str) -> Val {
    Val { kind: ValKind::Lit(Lit::Number(format!("{n}{suffix}"))), span: Span::default() }
}

/// Fewer instances than `x N`, besides none (that is 1): toward one less ([`toward`]), 2 at least.
fn fewer(v: &Val) -> Vec<Val> {
    let ValKind::Lit(Lit::Number(t)) = &v.kind else { return Vec::new() };
    let Some((n, "")) = split_number(t) else { return Vec::new() };
    literals(toward(n).filter(|&m| m >= 2), "")
}

/// Below `n`, nearest last: half, then a quarter off, an eighth off, and so on to one off. Tried
/// in turn, they walk a number down to where the failure stops: a value that fails, one less
/// that does not (a lock-all's 256 spinlocks, not the 300 a halving stops at).
fn toward(n: u64) -> impl Iterator<Item = u64> {
    let offs = (2..u64::BITS).map_while(move |k| (n >> k > 0).then(|| n - (n >> k)));
    std::iter::once(n / 2).chain(offs).chain(n.checked_sub(1))
}

/// The literals `m` with `suffix`, in the order given, each once.
fn literals(ms: impl Iterator<Item = u64>, suffix: &str) -> Vec<Val> {
    let mut out: Vec<Val> = Vec::new();
    for m in ms {
        let v = number(m, suffix);
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// Smaller literals for a number of `unit`: counts go to 1, then toward one less ([`toward`]);
/// sizes and durations likewise in their own unit, stepping down a unit when the number is 1
/// (`1M` to `512K`, `1us` to `500ns`).
fn smaller_for(v: &Val, unit: Unit) -> Vec<Val> {
    let ValKind::Lit(Lit::Number(t)) = &v.kind else { return Vec::new() };
    let Some((n, suffix)) = split_number(t) else { return Vec::new() };
    if unit == Unit::Count && suffix.is_empty() {
        return literals(std::iter::once(1).chain(toward(n)).filter(|&m| m >= 1 && m < n), "");
    }
    // Sizes stay whole pages: others load, but no one reading the file would write them.
    let page =
        |m: u64, suffix: &str| unit != Unit::Size || bytes(m, suffix).is_some_and(|b| b >= 4096 && b % 4096 == 0);
    if n >= 2 {
        return literals(toward(n).filter(|&m| page(m, suffix)), suffix);
    }
    let lower = match suffix {
        "K" => Some(("", 1024)),
        "M" => Some(("K", 1024)),
        "G" => Some(("M", 1024)),
        "T" => Some(("G", 1024)),
        "s" => Some(("ms", 1000)),
        "ms" => Some(("us", 1000)),
        "us" => Some(("ns", 1000)),
        _ => None,
    };
    match lower {
        Some((s, k)) if n == 1 && page(k / 2, s) => vec![number(k / 2, s)],
        _ => Vec::new(),
    }
}

/// A size literal's bytes, or a duration's nanoseconds.
fn bytes(n: u64, suffix: &str) -> Option<u64> {
    let scale: u64 = match suffix {
        "" | "ns" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        _ => return None,
    };
    n.checked_mul(scale)
}

/// The values of a sweep's list, as literals.
fn list_values(list: &List) -> Vec<Val> {
    match list {
        List::Items(items, _) => items.clone(),
        List::Pow2(a, b, _) => {
            let (Some(a), Some(b)) = (literal_count(a), literal_count(b)) else { return Vec::new() };
            (a..=b.min(63)).map(|e| number(1u64 << e, "")).collect()
        }
    }
}

/// Whether a sweep's literal is the value a report printed for it (`4K` is `4096`, `20us` is
/// `20000`).
fn matches_value(v: &Val, printed: &str) -> bool {
    match &v.kind {
        ValKind::Lit(Lit::Word(w) | Lit::Str(w)) => w == printed,
        ValKind::Lit(Lit::Number(t)) => {
            let Some((n, suffix)) = split_number(t) else { return t == printed };
            bytes(n, suffix).is_some_and(|x| x.to_string() == printed)
        }
        _ => false,
    }
}

/// The end of a shrink: the smallest workload found and what it took.
#[derive(Clone, Debug)]
pub struct Reduced {
    pub best: Shrink,
    /// Where the line failed in `best`.
    pub point: Vec<(String, String)>,
    /// Reductions kept.
    pub kept: u32,
    /// Candidates judged.
    pub tried: u32,
    /// Simulation runs, as the judge counted them.
    pub runs: u64,
    /// Stopped by `--max-runs` before the fixpoint.
    pub out_of_runs: bool,
    pub interrupted: bool,
}

/// Greedy fixpoint: candidates of the current best in their fixed order; the first the judge
/// keeps becomes the best and the walk goes on from the same place in the new list; a pass
/// that keeps nothing ends it. `judge` is given the candidate's text and its target line and
/// says how many runs it used; it is not asked again about a text it rejected, and not asked
/// at all once `max_runs` are spent. `progress` sees the best after each judgement.
pub fn reduce(
    start: Shrink,
    point: Vec<(String, String)>,
    max_runs: u64,
    judge: &mut dyn FnMut(&str, u32) -> (Judged, u64),
    progress: &mut dyn FnMut(&Shrink, u64, u32),
) -> Reduced {
    let mut r = Reduced { best: start, point, kept: 0, tried: 0, runs: 0, out_of_runs: false, interrupted: false };
    let mut rejected: BTreeSet<String> = BTreeSet::new();
    let mut i = 0;
    let mut kept_this_pass = false;
    loop {
        let cands = r.best.candidates(&r.point);
        if i >= cands.len() {
            if !kept_this_pass {
                break;
            }
            i = 0;
            kept_this_pass = false;
            continue;
        }
        let (_, c) = &cands[i];
        let (text, line) = c.print(&[]);
        if rejected.contains(&text) || c == &r.best {
            i += 1;
            continue;
        }
        if r.runs >= max_runs {
            r.out_of_runs = true;
            break;
        }
        let (judged, runs) = judge(&text, line);
        r.runs += runs;
        r.tried += 1;
        match judged {
            Judged::Kept(p) => {
                r.best = c.clone();
                r.point = p;
                r.kept += 1;
                kept_this_pass = true;
            }
            Judged::Lost | Judged::Invalid => {
                rejected.insert(text);
                i += 1;
            }
            Judged::Interrupted => {
                r.interrupted = true;
                break;
            }
        }
        progress(&r.best, r.runs, r.kept);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLAIM: &str = "workload \"w\"\nseed 3\nsweep strategy = [mm_lock, unsorted]\nsweep n = [1, 4K]\n\
        file \"a\" size 64M\ndriver kvm { callback 150ns }\n\
        process p x 4 {\n  mmap file \"a\" shared\n  repeat 400 {\n    touch 40\n    register kvm\n  }\n}\n\
        process q when n == 1 {\n  sleep 1ms\n}\n\
        expect never deadlock.count > 0\nexpect always register.ok > 0\n";

    fn shrink(line: u32) -> Shrink {
        Shrink::new("w.wl", CLAIM.as_bytes(), line).unwrap()
    }

    fn texts(s: &Shrink, point: &[(String, String)]) -> Vec<String> {
        s.candidates(point).into_iter().map(|(_, c)| c.print(&[]).0).collect()
    }

    #[test]
    fn the_target_must_be_an_expect_line() {
        assert_eq!(shrink(17).expect_text(), "expect never deadlock.count > 0");
        let e = Shrink::new("w.wl", CLAIM.as_bytes(), 5).unwrap_err();
        assert!(e.starts_with("w.wl:5:1: error: line 5 is not an expect line"), "{e}");
        assert!(e.contains("lines 17, 18"), "{e}");
        let e = Shrink::new("w.wl", CLAIM.as_bytes(), 99).unwrap_err();
        assert!(e.contains("no line 99"), "{e}");
        assert!(Shrink::new("w.wl", b"process {", 1).unwrap_err().contains("w.wl:1:"));
    }

    #[test]
    fn sweeps_are_cut_first_to_the_failing_point_and_the_target_is_followed() {
        let s = shrink(17);
        let point = vec![("strategy".to_string(), "unsorted".to_string()), ("n".to_string(), "4096".to_string())];
        let cands = s.candidates(&point);
        let (what, first) = &cands[0];
        assert_eq!(what, "cut every sweep to the failing point");
        let (text, line) = first.print(&[]);
        assert!(text.contains("\nstrategy unsorted\nparam n = 4K\n"), "{text}");
        assert_eq!(text.lines().nth(line as usize - 1), Some("expect never deadlock.count > 0"));
        // Dropping the other expect line, before the target or after it, keeps the target.
        for (what, c) in &cands {
            let (text, line) = c.print(&[]);
            assert_eq!(text.lines().nth(line as usize - 1), Some("expect never deadlock.count > 0"), "{what}");
        }
        let all = texts(&s, &point);
        assert!(all.iter().any(|t| !t.contains("register.ok")));
        assert!(all.iter().any(|t| !t.contains("process q")));
        assert!(all.iter().any(|t| t.contains("process p x 2 {")));
        assert!(all.iter().any(|t| t.contains("process p {")));
        assert!(all.iter().any(|t| t.contains("  repeat 1 {")));
        assert!(all.iter().any(|t| t.contains("  repeat 200 {")));
        assert!(all.iter().any(|t| t.contains("    touch 20\n")));
        assert!(all.iter().any(|t| t.contains("file \"a\" size 32M")));
        assert!(all.iter().any(|t| t.contains("  sleep 500us")));
        assert!(all.iter().any(|t| t.contains("process q {")));
        assert!(all.iter().any(|t| t.contains("driver kvm {}")));
        // A repeat inlined: its body in its place.
        assert!(all.iter().any(|t| t.contains("  mmap file \"a\" shared\n  touch 40\n  register kvm\n}")));
        // Never the target's own numbers or its text.
        assert!(all.iter().all(|t| t.contains("expect never deadlock.count > 0\n")));
        // The order is fixed.
        assert_eq!(all, texts(&s, &point));
    }

    #[test]
    fn pins_and_seed_are_written_into_the_tree() {
        let mut s = shrink(18);
        s.pin("strategy", "unsorted").unwrap();
        s.pin("n", "4K").unwrap();
        s.set_seed(9);
        let (text, line) = s.print(&["# h".to_string()]);
        assert!(text.starts_with("# h\nworkload \"w\"\nseed 9\nstrategy unsorted\nparam n = 4K\n"), "{text}");
        assert_eq!(text.lines().nth(line as usize - 1), Some("expect always register.ok > 0"));
        assert!(s.pin("nosuch", "1").unwrap_err().contains("no param or sweep nosuch"));
        assert!(s.pin("cost.lock_compare", "1ns").unwrap_err().contains("machine block"));
        let c = s.counts();
        assert_eq!(c, Counts { processes: 5, steps: 5, vmas: 1 });
    }

    #[test]
    fn numbers_get_smaller_in_their_units() {
        let n = |t: &str| number_val(t);
        let show = |v: Vec<Val>| -> Vec<String> { v.into_iter().map(|v| print::val_text(&v)).collect() };
        assert_eq!(
            show(smaller_for(&n("400"), Unit::Count)),
            ["1", "200", "300", "350", "375", "388", "394", "397", "399"]
        );
        assert_eq!(show(smaller_for(&n("3"), Unit::Count)), ["1", "2"]);
        assert!(smaller_for(&n("4K"), Unit::Size).is_empty());
        assert_eq!(show(smaller_for(&n("8K"), Unit::Size)), ["4K"]);
        assert_eq!(show(smaller_for(&n("16K"), Unit::Size)), ["8K", "12K"]);
        assert_eq!(show(smaller_for(&n("2"), Unit::Count)), ["1"]);
        assert!(smaller_for(&n("1"), Unit::Count).is_empty());
        assert_eq!(show(smaller_for(&n("1M"), Unit::Size)), ["512K"]);
        assert_eq!(show(smaller_for(&n("64M"), Unit::Size)), ["32M", "48M", "56M", "60M", "62M", "63M"]);
        assert_eq!(show(smaller_for(&n("1us"), Unit::Duration)), ["500ns"]);
        assert_eq!(
            show(smaller_for(&n("300us"), Unit::Duration)),
            ["150us", "225us", "263us", "282us", "291us", "296us", "298us", "299us"]
        );
        assert!(smaller_for(&n("1.5us"), Unit::Duration).is_empty());
        assert_eq!(show(fewer(&n("16"))), ["8", "12", "14", "15"]);
        assert_eq!(show(fewer(&n("3"))), ["2"]);
        assert!(fewer(&n("2")).is_empty());
        assert_eq!(toward(0).collect::<Vec<_>>(), [0]);
        assert_eq!(toward(1).collect::<Vec<_>>(), [0, 0]);
        assert!(matches_value(&n("4K"), "4096") && matches_value(&n("20us"), "20000"));
        assert!(!matches_value(&n("4K"), "4"));
    }

    fn number_val(t: &str) -> Val {
        Val { kind: ValKind::Lit(Lit::Number(t.to_string())), span: Span::default() }
    }

    #[test]
    fn the_greedy_loop_keeps_what_the_judge_keeps_and_stops_at_a_fixpoint_or_the_budget() {
        let point = vec![("strategy".to_string(), "unsorted".to_string()), ("n".to_string(), "4096".to_string())];
        // A judge that keeps any text with a register in a process of at least one instance.
        let mut judge = |text: &str, line: u32| {
            assert!(text.lines().nth(line as usize - 1).unwrap().starts_with("expect never deadlock"));
            let ok = text.contains("register kvm") && text.contains("driver kvm") && text.contains("strategy unsorted");
            (if ok { Judged::Kept(vec![]) } else { Judged::Lost }, 1)
        };
        let r = reduce(shrink(17), point.clone(), 10_000, &mut judge, &mut |_, _, _| {});
        let (text, _) = r.best.print(&[]);
        assert_eq!(
            text,
            "workload \"w\"\nseed 3\nstrategy unsorted\ndriver kvm {}\nprocess p {\n  register kvm\n}\n\
             expect never deadlock.count > 0\n"
        );
        assert!(!r.out_of_runs && !r.interrupted);
        let again = reduce(shrink(17), point.clone(), 10_000, &mut judge, &mut |_, _, _| {});
        assert_eq!(again.best, r.best);
        assert_eq!((again.runs, again.kept), (r.runs, r.kept));
        let short = reduce(shrink(17), point, 3, &mut judge, &mut |_, _, _| {});
        assert!(short.out_of_runs && short.runs == 3);
    }

    /// Every candidate of every expect line of the ok corpus and the shipped workloads is text
    /// that parses, keeps the target on its printed line, and loads or fails with diagnostics.
    #[test]
    fn candidates_of_every_corpus_file_parse_and_keep_their_target() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for d in ["tests/data/ok", "../workloads", "../workloads/claims"] {
            for e in std::fs::read_dir(root.join(d)).unwrap() {
                let p = e.unwrap().path();
                if p.extension().is_some_and(|x| x == "wl") {
                    files.push(p);
                }
            }
        }
        files.sort();
        let mut seen = 0;
        for f in files {
            let name = f.display().to_string();
            let bytes = std::fs::read(&f).unwrap();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let lines: Vec<u32> = text
                .lines()
                .enumerate()
                .filter(|(_, l)| l.trim_start().starts_with("expect "))
                .map(|(i, _)| i as u32 + 1)
                .take(2)
                .collect();
            for line in lines {
                let s = Shrink::new(&name, &bytes, line).unwrap();
                let want = s.expect_text();
                for (what, c) in s.candidates(&[]) {
                    let (text, at) = c.print(&[]);
                    assert_eq!(text.lines().nth(at as usize - 1), Some(want.as_str()), "{name}: {what}");
                    let again =
                        Shrink::new(&name, text.as_bytes(), at).unwrap_or_else(|e| panic!("{name}: {what}: {e}"));
                    assert_eq!(again.print(&[]).0, text, "{name}: {what}");
                    // Loads or says why, without a panic.
                    let _ = crate::load(&name, text.as_bytes(), &[]);
                    seen += 1;
                }
            }
        }
        assert!(seen > 1000, "{seen} candidates");
    }
}
