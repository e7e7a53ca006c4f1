//! Lowering: the resolved workload and one point's parameters to a `sim_core::program::Program`,
//! with the checks that depend on the point's values (counts, machine limits, index ranges).

use crate::check::{
    show_duration, show_size, show_typed, ActionIr, Ir, StepIr, StepIrKind, StrategyIr, TargetIr, TriggerIr, Typed,
    Unit, V, VK,
};
use crate::diagnostic::{Diagnostics, ErrorKind, Source, Span};
use crate::maps::{Backing, FileKey, Layouts, MapsFile};
use sim_core::program::{
    Action, BinOp, BlockId, Check, DriverDef, FileDef, FileId, IntExpr, LockKind, Machine, Options, ParamValue,
    ProcessDef, Program, ReclaimNotify, Step, StepKind, StepTarget, Strategy, Target, TimedAction, Trigger, Value,
};
use sim_core::report::OrderedMap;
use std::collections::BTreeMap;

/// Most points a workload's sweeps may make.
pub const MAX_POINTS: u64 = 100_000;

/// Instances an expression that reads `$index` is computed for at load, from instance 0: past
/// sim-core's limit of a million tasks a point cannot run, so later ones are never reached.
const INDEX_CHECKS: u32 = 1 << 20;

/// The cross product of the sweeps, first sweep outermost; each map has `strategy` first, then
/// every param and sweep in declaration order.
pub fn points(ir: &Ir, src: &Source) -> Result<Vec<OrderedMap<ParamValue>>, Diagnostics> {
    let strategies: Vec<Strategy> = match &ir.strategy {
        StrategyIr::Swept(v) => v.clone(),
        StrategyIr::Fixed(s) => vec![*s],
        StrategyIr::Var(..) => vec![Strategy::MmLock],
    };
    let axes: Vec<usize> = ir
        .sweep_order
        .iter()
        .map(|(axis, _)| match axis {
            None => strategies.len(),
            Some(i) => ir.params.get(*i).map_or(1, |p| p.values.len()),
        })
        .collect();
    let total = axes.iter().try_fold(1u64, |acc, &n| acc.checked_mul(n as u64));
    if total.is_none_or(|t| t > MAX_POINTS) {
        let span = ir.sweep_order.last().map_or(Span::default(), |(_, s)| *s);
        let what = total.map_or("more than 2^64".to_string(), |t| t.to_string());
        return Err(src
            .error(span, ErrorKind::TooManyPoints { points: what, limit: MAX_POINTS })
            .with_help("sweep fewer values, or fix some with -p NAME=VALUE")
            .into());
    }
    let total = usize::try_from(total.unwrap_or(0)).unwrap_or(0);
    let mut out = Vec::with_capacity(total);
    let mut pick = vec![0usize; axes.len()];
    for _ in 0..total {
        let mut chosen_strategy = strategies.first().copied().unwrap_or(Strategy::MmLock);
        let mut values: Vec<Option<&Typed>> = ir.params.iter().map(|p| p.values.first()).collect();
        for ((axis, _), &k) in ir.sweep_order.iter().zip(&pick) {
            match axis {
                None => chosen_strategy = strategies.get(k).copied().unwrap_or(chosen_strategy),
                Some(i) => {
                    if let Some(slot) = values.get_mut(*i) {
                        *slot = ir.params.get(*i).and_then(|p| p.values.get(k));
                    }
                }
            }
        }
        let strategy = match &ir.strategy {
            StrategyIr::Var(i, _) => match values.get(*i).copied().flatten() {
                Some(Typed::Name(n)) => ParamValue::Name(n.clone()),
                _ => ParamValue::Name(chosen_strategy.name().to_string()),
            },
            _ => ParamValue::Name(chosen_strategy.name().to_string()),
        };
        let mut map = OrderedMap::default();
        map.push("strategy".to_string(), strategy);
        for (p, v) in ir.params.iter().zip(&values) {
            if let Some(v) = v {
                map.push(p.name.clone(), v.to_param());
            }
        }
        out.push(map);
        // Advance the odometer: the last sweep turns fastest.
        for (slot, &n) in pick.iter_mut().zip(&axes).rev() {
            *slot += 1;
            if *slot < n {
                break;
            }
            *slot = 0;
        }
    }
    Ok(out)
}

/// Whether every `when` condition of a check holds at a point.
pub fn applies(check: &Check, params: &OrderedMap<ParamValue>) -> bool {
    holds(&check.when, params)
}

/// Whether every condition of a `when` holds at a point.
fn holds(when: &[sim_core::program::Cond], params: &OrderedMap<ParamValue>) -> bool {
    when.iter().all(|c| params.get(&c.param).is_some_and(|v| (*v == c.value) == c.equal))
}

/// One point's program. Errors name the use site and, for variables, their value.
pub fn instantiate(
    ir: &Ir,
    src: &Source,
    layouts: &Layouts,
    params: &OrderedMap<ParamValue>,
) -> Result<Program, Diagnostics> {
    let mut l = Lower {
        ir,
        src,
        layouts,
        maps_files: BTreeMap::new(),
        maps_defs: Vec::new(),
        env: Vec::new(),
        diags: Diagnostics::default(),
        blocks: Vec::new(),
        machine: Machine::default(),
        instances: Vec::new(),
        current_instances: 1,
        current_count: None,
    };
    for p in &ir.params {
        let v = params.get(&p.name).and_then(|v| p.kind.typed(v));
        if v.is_none() {
            l.err(p.span, ErrorKind::PointMissing { name: p.name.clone() });
        }
        l.env.push(v);
    }
    let strategy = match params.get("strategy") {
        Some(ParamValue::Name(n)) => Strategy::by_name(n),
        _ => None,
    };
    let strategy = strategy.unwrap_or_else(|| {
        let span = match &ir.strategy {
            StrategyIr::Var(_, s) => *s,
            _ => Span::default(),
        };
        l.err(span, ErrorKind::PointStrategy);
        Strategy::MmLock
    });

    let machine = l.machine();
    l.machine = machine.clone();
    let options = l.options();
    let mut files = l.files();
    let drivers = l.drivers();
    // Each instance is a task: more than the run's task limit could never start.
    let max_instances = u32::try_from(sim_core::kernel::Limits::default().max_tasks).unwrap_or(u32::MAX);
    l.instances = ir
        .processes
        .iter()
        .map(|p| {
            // A process whose `when` does not hold has no instance at this point.
            if !holds(&p.when, params) {
                return 0;
            }
            p.instances.as_ref().and_then(|v| l.count_at_most(v, "the number of instances", max_instances)).unwrap_or(1)
        })
        .collect();
    let mut processes = Vec::new();
    for (i, p) in ir.processes.iter().enumerate() {
        l.current_instances = l.instances.get(i).copied().unwrap_or(1);
        l.current_count = p.instances.as_ref();
        let body = l.block(&p.body);
        processes.push(ProcessDef { name: p.name.clone(), instances: l.current_instances, body, line: p.line });
    }
    files.append(&mut l.maps_defs);
    let actions = ir.actions.iter().filter_map(|a| l.action(a)).collect();
    let checks =
        ir.checks.iter().filter(|c| !c.kind.is_cross_point() && applies(c, params)).cloned().collect::<Vec<_>>();
    if !l.diags.is_empty() {
        return Err(l.diags);
    }
    Ok(Program {
        workload: ir.name.clone().unwrap_or_default(),
        machine,
        strategy,
        options,
        files,
        drivers,
        processes,
        blocks: l.blocks,
        targets: ir.targets.clone(),
        actions,
        checks,
    })
}

struct Lower<'a> {
    ir: &'a Ir,
    src: &'a Source,
    layouts: &'a Layouts,
    /// The files of this point's maps layouts, by the kernel's identity: two processes with
    /// the same libc share its address_space.
    maps_files: BTreeMap<FileKey, FileId>,
    /// Their definitions, numbered after the workload's own files.
    maps_defs: Vec<FileDef>,
    env: Vec<Option<Typed>>,
    diags: Diagnostics,
    blocks: Vec<Vec<Step>>,
    machine: Machine,
    instances: Vec<u32>,
    /// The instances of the process whose body is being lowered: the values `$index` takes.
    current_instances: u32,
    /// That process's `x N`, for messages that name an instance.
    current_count: Option<&'a V>,
}

/// Why integer arithmetic has no value at a point.
enum Fault {
    /// An operand already reported, or not a number.
    Reported,
    Overflow(Span),
    DivisionByZero(Span),
}

impl Lower<'_> {
    fn err(&mut self, span: Span, kind: ErrorKind) {
        self.diags.push(self.src.error(span, kind));
    }

    /// " ($vmas = 4096)" when the value came from variables.
    fn from(&self, v: &V) -> String {
        self.source_at(v, None)
    }

    /// The variables a value reads and their values at this point, with `$index` (and the
    /// variables of the process's instance count) when the value is computed for an instance:
    /// " ($n = 4, $index = 3)".
    fn source_at(&self, v: &V, index: Option<u32>) -> String {
        self.source_at_with(v, index, None)
    }

    /// [`Lower::source_at`], naming as well the parameters `also` reads (what a bound depends on).
    fn source_at_with(&self, v: &V, index: Option<u32>, also: Option<&V>) -> String {
        let mut vars = Vec::new();
        v.vars(&mut vars);
        if let (Some(_), Some(count)) = (index, self.current_count) {
            count.vars(&mut vars);
        }
        if let Some(a) = also {
            a.vars(&mut vars);
        }
        let mut seen = std::collections::BTreeSet::new();
        vars.retain(|&i| seen.insert(i));
        let mut parts: Vec<String> = vars
            .iter()
            .filter_map(|&i| {
                let t = self.env.get(i)?.as_ref()?;
                Some(format!("${} = {}", self.ir.params.get(i)?.name, show_typed(t)))
            })
            .collect();
        if let Some(i) = index {
            parts.push(format!("$index = {i}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    }

    /// The value of integer arithmetic (or of a plain number) at this point, for the instance
    /// whose `$index` is `index`: 64-bit signed, `/` rounding toward zero, as sim-core's
    /// `IntExpr::eval` computes it when a step runs.
    fn arith(&self, v: &V, index: u32) -> Result<i64, Fault> {
        match &v.kind {
            VK::Signed(n) => Ok(*n),
            VK::Index => Ok(i64::from(index)),
            VK::Bin(a, op, b) => {
                let x = self.arith(a, index)?;
                let y = self.arith(b, index)?;
                match op.apply(x, y) {
                    Some(n) => Ok(n),
                    None if *op == BinOp::Div && y == 0 => Err(Fault::DivisionByZero(b.span)),
                    None => Err(Fault::Overflow(v.span)),
                }
            }
            _ => {
                let n = self.int(v).ok_or(Fault::Reported)?;
                i64::try_from(n).map_err(|_| Fault::Overflow(v.span))
            }
        }
    }

    /// [`Self::arith`], reporting overflow and division by zero.
    fn arith_at(&mut self, v: &V, index: Option<u32>) -> Option<i64> {
        match self.arith(v, index.unwrap_or(0)) {
            Ok(n) => Some(n),
            Err(Fault::Reported) => None,
            Err(Fault::Overflow(span)) => {
                let from = self.source_at(v, index);
                self.err(span, ErrorKind::Overflow { from });
                None
            }
            Err(Fault::DivisionByZero(span)) => {
                let from = self.source_at(v, index);
                self.err(span, ErrorKind::DivisionByZero { from });
                None
            }
        }
    }

    /// Computes `v` once, or, if it reads `$index`, for every instance of the process being
    /// lowered (up to [`INDEX_CHECKS`]), and gives each value to `f`; stops at the first that
    /// fails (`f` reports its own failures). True if every one passed.
    fn each_value(&mut self, v: &V, mut f: impl FnMut(&mut Self, i64, Option<u32>) -> bool) -> bool {
        if !v.reads_index() {
            return self.arith_at(v, None).is_some_and(|n| f(self, n, None));
        }
        for i in 0..self.current_instances.min(INDEX_CHECKS) {
            let Some(n) = self.arith_at(v, Some(i)) else { return false };
            if !f(self, n, Some(i)) {
                return false;
            }
        }
        true
    }

    /// The program's form of integer arithmetic: parameters substituted, and every part that
    /// does not read `$index` folded to a constant. Only for values [`Self::each_value`] passed.
    fn int_tree(&self, v: &V) -> IntExpr {
        match &v.kind {
            VK::Index => IntExpr::Index,
            VK::Bin(a, op, b) => {
                let (a, b) = (self.int_tree(a), self.int_tree(b));
                if let (IntExpr::Const(x), IntExpr::Const(y)) = (&a, &b) {
                    if let Some(n) = op.apply(*x, *y) {
                        return IntExpr::Const(n);
                    }
                }
                IntExpr::Bin(Box::new(a), *op, Box::new(b))
            }
            _ => IntExpr::Const(self.arith(v, 0).unwrap_or(0)),
        }
    }

    /// A count written as arithmetic: a positive constant at this point, or, if it reads
    /// `$index`, an expression that no instance makes negative (0 does nothing, as `$index`).
    fn arith_count(&mut self, v: &V, what: &'static str) -> Option<Value> {
        if !v.reads_index() {
            let n = self.arith_at(v, None)?;
            if n <= 0 {
                let from = self.from(v);
                self.err(v.span, ErrorKind::NotPositive { what, value: n, from });
                return None;
            }
            return Some(Value::Const(n.unsigned_abs()));
        }
        let ok = self.each_value(v, |l, n, at| {
            if n < 0 {
                let from = l.source_at(v, at);
                l.err(v.span, ErrorKind::NegativeCount { what, value: n, from });
            }
            n >= 0
        });
        ok.then(|| Value::Expr(Box::new(self.int_tree(v))))
    }

    fn typed(&self, v: &V) -> Option<Typed> {
        match &v.kind {
            VK::Const(t) => Some(t.clone()),
            VK::Var(i) => self.env.get(*i).cloned().flatten(),
            _ => None,
        }
    }

    /// A plain number (bytes, ns or a count), not random.
    fn int(&self, v: &V) -> Option<u64> {
        match self.typed(v)? {
            Typed::Int(n) | Typed::Size(n) | Typed::Dur(n) => Some(n),
            _ => None,
        }
    }

    fn boolean(&self, v: &V) -> Option<bool> {
        match self.typed(v)? {
            Typed::Bool(b) => Some(b),
            _ => None,
        }
    }

    fn show(&self, n: u64, unit: Unit) -> String {
        match unit {
            Unit::Size => show_size(n),
            Unit::Dur => show_duration(n),
            _ => n.to_string(),
        }
    }

    fn positive(&mut self, v: &V, what: &'static str) -> Option<u64> {
        if matches!(v.kind, VK::Bin(..)) {
            return match self.arith_count(v, what)? {
                Value::Const(n) => Some(n),
                _ => None,
            };
        }
        let n = self.int(v)?;
        if n == 0 {
            let from = self.from(v);
            self.err(v.span, ErrorKind::NotPositive { what, value: 0, from });
            return None;
        }
        Some(n)
    }

    fn count_u32(&mut self, v: &V, what: &'static str) -> Option<u32> {
        self.count_at_most(v, what, u32::MAX)
    }

    fn count_at_most(&mut self, v: &V, what: &'static str, max: u32) -> Option<u32> {
        let n = self.positive(v, what)?;
        match u32::try_from(n).ok().filter(|&n| n <= max) {
            Some(n) => Some(n),
            None => {
                let from = self.from(v);
                self.err(v.span, ErrorKind::TooMany { what, n, max: u64::from(max), from });
                None
            }
        }
    }

    /// A value drawn when the step runs; a count must not be able to draw 0.
    fn value(&mut self, v: &V, positive: Option<&'static str>) -> Option<Value> {
        let value = match &v.kind {
            VK::Const(_) | VK::Var(_) => Value::Const(self.int(v)?),
            VK::Index => Value::Index,
            VK::Uniform(a, b) => {
                let (lo, hi) = (self.int(a)?, self.int(b)?);
                if lo > hi {
                    let kind = ErrorKind::UniformEmpty {
                        lo: self.show(lo, v.unit),
                        hi: self.show(hi, v.unit),
                        from: format!("{}{}", self.from(a), self.from(b)),
                    };
                    self.err(v.span, kind);
                    return None;
                }
                Value::Uniform(lo, hi)
            }
            VK::Exp(m) => Value::Exp(self.int(m)?),
            VK::Bin(..) => return self.arith_count(v, positive.unwrap_or("a count")),
            VK::Signed(_) | VK::Bad => return None,
        };
        if let Some(what) = positive {
            match value {
                Value::Const(0) => {
                    let from = self.from(v);
                    self.err(v.span, ErrorKind::NotPositive { what, value: 0, from });
                    return None;
                }
                Value::Uniform(0, _) => {
                    self.err(v.span, ErrorKind::RandomCanBeZero { what, how: "uniform(0, ...) can draw 0" });
                    return None;
                }
                Value::Exp(0) => {
                    self.err(v.span, ErrorKind::RandomCanBeZero { what, how: "exp(0) is always 0" });
                    return None;
                }
                _ => {}
            }
        }
        Some(value)
    }

    /// The largest value a step can draw, where there is one.
    fn max(&self, v: &Value) -> Option<u64> {
        match v {
            Value::Const(n) | Value::Uniform(_, n) => Some(*n),
            Value::Index => Some(u64::from(self.current_instances.saturating_sub(1))),
            Value::Exp(_) => None,
            Value::Expr(e) => {
                let max = (0..self.current_instances.min(INDEX_CHECKS)).filter_map(|i| e.eval(i)).max();
                max.and_then(|m| u64::try_from(m).ok())
            }
        }
    }

    fn machine(&mut self) -> Machine {
        let m = &self.ir.machine;
        let mut out = Machine::default();
        if let Some(v) = &m.cpus {
            out.cpus = self.count_u32(v, "cpus").unwrap_or(out.cpus);
        }
        if let Some(v) = &m.memory {
            out.memory_bytes = self.positive(v, "memory").unwrap_or(out.memory_bytes);
        }
        if let Some(v) = &m.vmalloc {
            out.vmalloc_bytes = self.positive(v, "the vmalloc arena").unwrap_or(out.vmalloc_bytes);
        }
        if let Some(v) = &m.max_map_count {
            out.max_map_count = self.count_u32(v, "max_map_count").unwrap_or(out.max_map_count);
        }
        for (cost, v) in &m.costs {
            if let Some(ns) = self.int(v) {
                out.costs.set(*cost, ns);
            }
        }
        for &(cost, ns) in &m.cost_overrides {
            out.costs.set(cost, ns);
        }
        out
    }

    fn options(&mut self) -> Options {
        let o = &self.ir.options;
        let mut out = Options::default();
        if let Some(b) = o.unregister_pins_mm.as_ref().and_then(|v| self.boolean(v)) {
            out.unregister_pins_mm = b;
        }
        if let Some(b) = o.keep_lock_data.as_ref().and_then(|v| self.boolean(v)) {
            out.keep_lock_data = b;
        }
        if let Some(Typed::Name(n)) = o.lock_kind.as_ref().and_then(|v| self.typed(v)) {
            out.lock_kind = if n == "rwsem" { LockKind::Rwsem } else { LockKind::Spinlock };
        }
        if let Some(Typed::Name(n)) = o.reclaim_notify.as_ref().and_then(|v| self.typed(v)) {
            out.reclaim_notify = if n == "range" { ReclaimNotify::Range } else { ReclaimNotify::Page };
        }
        out
    }

    fn files(&mut self) -> Vec<FileDef> {
        let mut out = Vec::new();
        for f in &self.ir.files {
            let size = self.positive(&f.size, "a file size").unwrap_or(0);
            if size > self.machine.memory_bytes {
                let from = self.from(&f.size);
                let kind = ErrorKind::FileOverMemory {
                    name: f.name.clone(),
                    size: show_size(size),
                    memory: show_size(self.machine.memory_bytes),
                    from,
                };
                self.err(f.size.span, kind);
            }
            out.push(FileDef { name: f.name.clone(), size_bytes: size });
        }
        out
    }

    fn drivers(&mut self) -> Vec<DriverDef> {
        let mut out = Vec::new();
        for d in &self.ir.drivers {
            out.push(DriverDef {
                name: d.name.clone(),
                callback_ns: d.callback.as_ref().and_then(|v| self.int(v)).unwrap_or(200),
                sleeps: d.sleeps.as_ref().and_then(|v| self.boolean(v)).unwrap_or(false),
                fault_ns: d.fault.as_ref().and_then(|v| self.int(v)).unwrap_or(1_000),
            });
        }
        out
    }

    fn block(&mut self, steps: &[StepIr]) -> BlockId {
        let id = self.blocks.len();
        self.blocks.push(Vec::new());
        let mut lowered: Vec<Step> = Vec::new();
        for s in steps {
            match &s.kind {
                StepIrKind::MmapMaps { path } => self.maps(s, path, &mut lowered),
                _ => lowered.extend(self.step(s)),
            }
        }
        if let Some(b) = self.blocks.get_mut(id) {
            *b = lowered;
        }
        u32::try_from(id).unwrap_or(u32::MAX)
    }

    /// Checks one mmap step against max_map_count and memory.
    fn mmap_limits(&mut self, step: &StepIr, size: &Value, size_v: Option<&V>, count: &Value, count_v: Option<&V>) {
        let max_count = self.max(count);
        let max_size = self.max(size);
        let count_span = count_v.map_or(step.span, |c| c.span);
        let from_count = count_v.map(|c| self.from(c)).unwrap_or_default();
        let from_size = size_v.map(|s| self.from(s)).unwrap_or_default();
        if let Some(n) = max_count {
            let limit = u64::from(self.machine.max_map_count);
            if n > limit {
                self.err(count_span, ErrorKind::OverMapCount { n, limit, from: from_count });
                return;
            }
        }
        if let (Some(n), Some(s)) = (max_count, max_size) {
            let memory = self.machine.memory_bytes;
            let span = size_v.map_or(count_span, |sv| sv.span.to(count_span));
            match s.checked_mul(n) {
                Some(total) if total <= memory => {}
                Some(total) => self.err(
                    span,
                    ErrorKind::OverMemory {
                        n,
                        size: show_size(s),
                        total: show_size(total),
                        memory: show_size(memory),
                        from: format!("{from_size}{from_count}"),
                    },
                ),
                None => self.err(
                    span,
                    ErrorKind::MmapOverflow { n, size: show_size(s), from: format!("{from_size}{from_count}") },
                ),
            }
        }
    }

    fn step(&mut self, s: &StepIr) -> Option<Step> {
        let kind = match &s.kind {
            StepIrKind::MmapAnon { size, count } => {
                let size_val = self.value(size, Some("a mapping's size"))?;
                let count_val = match count {
                    Some(c) => self.value(c, Some("a count"))?,
                    None => Value::Const(1),
                };
                self.mmap_limits(s, &size_val, Some(size), &count_val, count.as_ref());
                StepKind::MmapAnon { size: size_val, count: count_val }
            }
            StepIrKind::MmapFile { file, size, count, shared } => {
                let file_size = file.and_then(|f| self.ir.files.get(f as usize)).and_then(|f| self.int(&f.size));
                let size_val = match size {
                    Some(v) => Some(self.value(v, Some("a mapping's size"))?),
                    None => None,
                };
                let count_val = match count {
                    Some(c) => self.value(c, Some("a count"))?,
                    None => Value::Const(1),
                };
                if let (Some(fs), Some(v), Some(sv)) = (file_size, size, &size_val) {
                    if self.max(sv).is_some_and(|m| m > fs) {
                        let from = self.from(v);
                        let name = file.and_then(|f| self.ir.files.get(f as usize)).map_or("", |f| f.name.as_str());
                        let kind = ErrorKind::MappingOverFile {
                            size: self.max(sv).map_or(String::new(), show_size),
                            name: name.to_string(),
                            file_size: show_size(fs),
                            from,
                        };
                        self.err(v.span, kind);
                    }
                }
                let whole = file_size.map(Value::Const);
                if let Some(sz) = size_val.clone().or(whole) {
                    self.mmap_limits(s, &sz, size.as_ref(), &count_val, count.as_ref());
                }
                StepKind::MmapFile { file: (*file)?, size: size_val, count: count_val, shared: *shared }
            }
            // Lowered by `maps`, into one step or more.
            StepIrKind::MmapMaps { .. } => return None,
            StepIrKind::Munmap(n) => StepKind::Munmap(match n {
                Some(v) => Some(self.value(v, Some("a count"))?),
                None => None,
            }),
            StepIrKind::Fork { name, body } => StepKind::Fork { name: *name, body: self.block(body) },
            StepIrKind::Register { driver, target } => {
                let target = match target {
                    Some(t) => Some(self.target(t)?),
                    None => None,
                };
                StepKind::Register { driver: (*driver)?, target }
            }
            StepIrKind::Unregister { driver, target } => {
                let target = match target {
                    Some(t) => Some(self.target(t)?),
                    None => None,
                };
                StepKind::Unregister { driver: (*driver)?, target }
            }
            StepIrKind::RegisterFromMmap { driver, locked_entry } => {
                StepKind::RegisterFromMmap { driver: (*driver)?, locked_entry: *locked_entry }
            }
            StepIrKind::Touch { count, scope } => {
                StepKind::Touch { count: self.value(count, Some("a count"))?, scope: (*scope)? }
            }
            StepIrKind::Mprotect(v) => StepKind::Mprotect(self.value(v, Some("a count"))?),
            StepIrKind::Compute(v) => StepKind::Compute(self.value(v, None)?),
            StepIrKind::Sleep(v) => StepKind::Sleep(self.value(v, None)?),
            StepIrKind::Repeat { count, body } => {
                let count = self.value(count, Some("a repeat count"));
                let body = self.block(body);
                StepKind::Repeat { count: count?, body }
            }
            StepIrKind::Exit => StepKind::Exit,
        };
        Some(Step { kind, line: s.line })
    }

    /// `mmap maps PATH`: one mmap per line of the layout, in address order; consecutive lines
    /// that lower alike are one step with a count.
    fn maps(&mut self, s: &StepIr, path: &V, out: &mut Vec<Step>) {
        let Some(Typed::Str(written)) = self.typed(path) else { return };
        // A layout that failed to read or check was reported at load.
        let layouts = self.layouts;
        let Some(Some(layout)) = layouts.get(&written) else { return };
        let limit = u64::from(self.machine.max_map_count);
        if let Some(past) = layout.vmas.get(self.machine.max_map_count as usize) {
            // The same error as an mmap step's, at the first line past the limit.
            let var = match &path.kind {
                VK::Var(i) => self.ir.params.get(*i).map(|p| p.name.as_str()),
                _ => None,
            };
            let (note, order) = crate::maps::note(self.src, s.span, var, &written);
            let kind = ErrorKind::OverMapCount { n: layout.vmas.len() as u64, limit, from: String::new() };
            self.diags.push(layout.src.error(past.span, kind).pulled_in(note, order));
            return;
        }
        let first = out.len();
        for v in &layout.vmas {
            let size = Value::Const(v.bytes);
            let kind = match v.backing {
                Backing::Anon => StepKind::MmapAnon { size, count: Value::Const(1) },
                Backing::File { file, anon_vma } => {
                    let Some(f) = layout.files.get(file) else { continue };
                    let file = self.maps_file(f);
                    // `shared` is what the model means by "no anon_vma: the pages are the file's".
                    StepKind::MmapFile { file, size: Some(size), count: Value::Const(1), shared: !anon_vma }
                }
            };
            if out.len() > first {
                if let Some(last) = out.last_mut() {
                    if bump(&mut last.kind, &kind) {
                        continue;
                    }
                }
            }
            out.push(Step { kind, line: s.line });
        }
    }

    /// The point's file for a maps file, defined at its first use and grown to cover every use.
    fn maps_file(&mut self, f: &MapsFile) -> FileId {
        let next = u32::try_from(self.ir.files.len() + self.maps_defs.len()).unwrap_or(u32::MAX);
        let id = *self.maps_files.entry(f.key.clone()).or_insert(next);
        if id == next {
            // Two inodes with one path (`/dev/zero (deleted)`): say which is which.
            let taken = self.maps_defs.iter().any(|d| d.name == f.name);
            let name = match (&f.key, taken) {
                (FileKey::Inode { dev, inode }, true) => format!("{} ({:02x}:{:02x} {inode})", f.name, dev.0, dev.1),
                _ => f.name.clone(),
            };
            self.maps_defs.push(FileDef { name, size_bytes: 0 });
        }
        let index = (id as usize).saturating_sub(self.ir.files.len());
        if let Some(d) = self.maps_defs.get_mut(index) {
            d.size_bytes = d.size_bytes.max(f.size_bytes);
        }
        id
    }

    /// `NAME` or `NAME[EXPR]`: EXPR is checked at this point, and if it reads `$index`, for
    /// every instance of the process whose step it is.
    fn target(&mut self, t: &TargetIr) -> Option<StepTarget> {
        let id = t.id?;
        let Some(index_v) = &t.index else { return Some(StepTarget::Fixed(Target::All(id))) };
        let name = self.ir.targets.get(id as usize).cloned().unwrap_or_default();
        // A process whose `when` leaves it out of this point (0 instances) has no range to check:
        // the target names nobody here. Fork children are counted only as the run goes.
        let instances = self.instances.get(id as usize).copied().filter(|&n| n > 0);
        let mut fixed = 0;
        let ok = self.each_value(index_v, |l, n, at| {
            match u32::try_from(n).ok().filter(|&i| instances.is_none_or(|c| i < c)) {
                Some(i) => fixed = i,
                None => {
                    // The range may come from a sweep too: `process owner x $n - 1`.
                    let bound = l.ir.processes.get(id as usize).and_then(|p| p.instances.as_ref());
                    let from = l.source_at_with(index_v, at, bound);
                    let kind = ErrorKind::IndexOutOfRange { name: name.clone(), index: n, instances, from };
                    l.err(index_v.span, kind);
                    return false;
                }
            }
            true
        });
        if !ok {
            return None;
        }
        Some(if index_v.reads_index() {
            StepTarget::Indexed(id, self.int_tree(index_v))
        } else {
            StepTarget::Fixed(Target::One(id, fixed))
        })
    }

    /// A target of an action or an anchor, where `$index` is refused.
    fn fixed_target(&mut self, t: &TargetIr) -> Option<Target> {
        match self.target(t)? {
            StepTarget::Fixed(t) => Some(t),
            StepTarget::Indexed(..) => None,
        }
    }

    fn action(&mut self, a: &crate::check::TimedIr) -> Option<TimedAction> {
        let trigger = match &a.trigger {
            TriggerIr::At(v) => Trigger::At(self.int(v)?),
            TriggerIr::After { target, step, delay } => {
                let target = self.fixed_target(target);
                let delay_ns = match delay {
                    Some(d) => self.int(d)?,
                    None => 0,
                };
                Trigger::After { target: target?, step: (*step)?, delay_ns }
            }
            TriggerIr::Every { period, until } => {
                let period_ns = self.positive(period, "a period");
                let until_ns = match until {
                    Some(u) => Some(self.int(u)?),
                    None => None,
                };
                Trigger::Every { period_ns: period_ns?, until_ns }
            }
        };
        let action = match &a.action {
            ActionIr::OomKill(t) => Action::OomKill(self.fixed_target(t)?),
            ActionIr::Kill(t) => Action::Kill(self.fixed_target(t)?),
            ActionIr::Signal(t) => Action::Signal(self.fixed_target(t)?),
            ActionIr::Reclaim(v) => Action::Reclaim(self.value(v, Some("a count"))?),
            ActionIr::Truncate(f) => Action::Truncate((*f)?),
            ActionIr::VmallocHog(v) => Action::VmallocHog(self.positive(v, "a size")?),
            ActionIr::VmallocFree(v) => Action::VmallocFree(self.positive(v, "a size")?),
        };
        Some(TimedAction { trigger, action, line: a.line })
    }
}

/// Adds one to `last`'s count if `next` is the same mmap of one VMA.
fn bump(last: &mut StepKind, next: &StepKind) -> bool {
    match (last, next) {
        (
            StepKind::MmapAnon { size, count: Value::Const(n) },
            StepKind::MmapAnon { size: s2, count: Value::Const(1) },
        ) if *size == *s2 => {
            *n += 1;
            true
        }
        (
            StepKind::MmapFile { file, size, count: Value::Const(n), shared },
            StepKind::MmapFile { file: f2, size: s2, count: Value::Const(1), shared: sh2 },
        ) if *file == *f2 && *size == *s2 && *shared == *sh2 => {
            *n += 1;
            true
        }
        _ => false,
    }
}
