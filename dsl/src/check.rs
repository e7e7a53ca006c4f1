//! Static checks: name resolution, units and types, duplicates, `-p` overrides. Produces the
//! resolved form that `lower` instantiates per point, and every error it finds, not just the first.

use crate::ast::{self, ActionKind, AtTime, BinOp, ExpectKind, ExprKind, List, Lit, StepKind, StmtKind, Val, ValKind};
use crate::diagnostic::{nearest, suggest, Diagnostics, ErrorKind, Source, Span, Thing};
use sim_core::cost::{Cost, COSTS};
use sim_core::metrics::{MetricKind, METRICS};
use sim_core::program::{
    AnchorStep, Check, CheckKind, Cond, DriverId, Expr, FileId, HistField, MetricRef, ParamValue, Strategy, TargetId,
    TouchScope,
};

/// A value whose unit is known: what a literal or a parameter holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Typed {
    /// A bare integer.
    Int(u64),
    /// Bytes.
    Size(u64),
    /// Nanoseconds.
    Dur(u64),
    Bool(bool),
    Name(String),
    /// A string, such as a maps file's path.
    Str(String),
}

impl Typed {
    pub fn to_param(&self) -> ParamValue {
        match self {
            Typed::Int(v) | Typed::Size(v) | Typed::Dur(v) => ParamValue::Int(*v),
            Typed::Bool(b) => ParamValue::Bool(*b),
            Typed::Name(n) | Typed::Str(n) => ParamValue::Name(n.clone()),
        }
    }

    fn kind(&self) -> Kind {
        match self {
            Typed::Int(_) => Kind::Int,
            Typed::Size(_) => Kind::Size,
            Typed::Dur(_) => Kind::Dur,
            Typed::Bool(_) => Kind::Bool,
            Typed::Name(_) => Kind::Name,
            Typed::Str(_) => Kind::Str,
        }
    }
}

/// The kind of a parameter, from how its values are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Int,
    Size,
    Dur,
    Bool,
    Name,
    Str,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::Int => "a number",
            Kind::Size => "a size",
            Kind::Dur => "a duration",
            Kind::Bool => "a boolean",
            Kind::Name => "a name",
            Kind::Str => "a string",
        }
    }

    /// Converts a point's value back to a typed one.
    pub fn typed(self, v: &ParamValue) -> Option<Typed> {
        Some(match (self, v) {
            (Kind::Int, ParamValue::Int(i)) => Typed::Int(*i),
            (Kind::Size, ParamValue::Int(i)) => Typed::Size(*i),
            (Kind::Dur, ParamValue::Int(i)) => Typed::Dur(*i),
            (Kind::Bool, ParamValue::Bool(b)) => Typed::Bool(*b),
            (Kind::Name, ParamValue::Name(n)) => Typed::Name(n.clone()),
            (Kind::Str, ParamValue::Name(n)) => Typed::Str(n.clone()),
            _ => return None,
        })
    }
}

/// What a position expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A positive count (checked per point).
    Count,
    /// Any non-negative integer (seed, instance index).
    Int,
    Size,
    Dur,
    Bool,
    Strategy,
    /// One of a fixed set of words (an option's values).
    Choice(&'static Choice),
    /// A maps file's path.
    Path,
}

impl Unit {
    fn describe(self) -> &'static str {
        match self {
            Unit::Count => "a count such as 16",
            Unit::Int => "a number such as 7",
            Unit::Size => "a size such as 4K or 2M",
            Unit::Dur => "a duration such as 20us",
            Unit::Bool => "true or false",
            Unit::Strategy => "a strategy such as mm_lock",
            Unit::Choice(c) => c.describe,
            Unit::Path => "a path such as \"maps/qemu.maps\"",
        }
    }

    fn accepts(self, k: Kind) -> bool {
        match self {
            Unit::Count | Unit::Int => k == Kind::Int,
            Unit::Size => matches!(k, Kind::Int | Kind::Size),
            Unit::Dur => k == Kind::Dur,
            Unit::Bool => k == Kind::Bool,
            Unit::Strategy | Unit::Choice(_) => k == Kind::Name,
            Unit::Path => k == Kind::Str,
        }
    }
}

/// An option whose value is one word of a set.
#[derive(Debug, PartialEq, Eq)]
pub struct Choice {
    pub what: &'static str,
    pub names: &'static [&'static str],
    pub describe: &'static str,
}

pub const LOCK_KIND: Choice =
    Choice { what: "lock kind", names: &["spinlock", "rwsem"], describe: "spinlock or rwsem" };
pub const RECLAIM_NOTIFY: Choice =
    Choice { what: "reclaim notification", names: &["page", "range"], describe: "page or range" };

/// A resolved value.
#[derive(Clone, Debug, PartialEq)]
pub struct V {
    pub kind: VK,
    pub span: Span,
    pub unit: Unit,
}

#[derive(Clone, Debug, PartialEq)]
pub enum VK {
    Const(Typed),
    /// Index into [`Ir::params`].
    Var(usize),
    Index,
    Uniform(Box<V>, Box<V>),
    Exp(Box<V>),
    /// Integer arithmetic (counts and instance indices).
    Bin(Box<V>, BinOp, Box<V>),
    /// A negative literal inside arithmetic, such as the `-1` of `$n + -1`.
    Signed(i64),
    /// Already reported as an error; lowering skips it.
    Bad,
}

impl V {
    /// Whether the value depends on `$index`.
    pub fn reads_index(&self) -> bool {
        match &self.kind {
            VK::Index => true,
            VK::Bin(a, _, b) => a.reads_index() || b.reads_index(),
            _ => false,
        }
    }

    /// The parameters the value reads, each once, in the order they are written.
    pub fn vars(&self, out: &mut Vec<usize>) {
        match &self.kind {
            VK::Var(i) if !out.contains(i) => out.push(*i),
            VK::Bin(a, _, b) | VK::Uniform(a, b) => {
                a.vars(out);
                b.vars(out);
            }
            VK::Exp(m) => m.vars(out),
            _ => {}
        }
    }
}

#[derive(Clone, Debug)]
pub struct ParamDecl {
    pub name: String,
    pub span: Span,
    pub kind: Kind,
    pub values: Vec<Typed>,
    pub swept: bool,
}

#[derive(Clone, Debug)]
pub enum StrategyIr {
    Fixed(Strategy),
    /// `strategy $var`.
    Var(usize, Span),
    /// `sweep strategy = [...]`.
    Swept(Vec<Strategy>),
}

#[derive(Clone, Debug, Default)]
pub struct MachineIr {
    pub cpus: Option<V>,
    pub memory: Option<V>,
    pub vmalloc: Option<V>,
    pub max_map_count: Option<V>,
    pub costs: Vec<(Cost, V)>,
    /// `-p cost.NAME=DURATION` from the command line, in order: they win over `costs`.
    pub cost_overrides: Vec<(Cost, u64)>,
}

#[derive(Clone, Debug, Default)]
pub struct OptionsIr {
    pub unregister_pins_mm: Option<V>,
    pub keep_lock_data: Option<V>,
    pub lock_kind: Option<V>,
    pub reclaim_notify: Option<V>,
}

#[derive(Clone, Debug)]
pub struct FileIr {
    pub name: String,
    pub size: V,
}

#[derive(Clone, Debug)]
pub struct DriverIr {
    pub name: String,
    pub callback: Option<V>,
    pub sleeps: Option<V>,
    pub fault: Option<V>,
}

#[derive(Clone, Debug)]
pub struct ProcessIr {
    pub name: String,
    pub instances: Option<V>,
    /// The process exists only at the points where these hold.
    pub when: Vec<Cond>,
    pub body: Vec<StepIr>,
    pub line: u32,
}

#[derive(Clone, Debug)]
pub struct StepIr {
    pub kind: StepIrKind,
    pub span: Span,
    pub line: u32,
}

#[derive(Clone, Debug)]
pub enum StepIrKind {
    MmapAnon {
        size: V,
        count: Option<V>,
    },
    MmapFile {
        file: Option<FileId>,
        size: Option<V>,
        count: Option<V>,
        shared: bool,
    },
    /// `mmap maps PATH`: the layout is read at load and lowered per point.
    MmapMaps {
        path: V,
    },
    Munmap(Option<V>),
    Fork {
        name: Option<TargetId>,
        body: Vec<StepIr>,
    },
    Register {
        driver: Option<DriverId>,
        target: Option<TargetIr>,
    },
    Unregister {
        driver: Option<DriverId>,
        target: Option<TargetIr>,
    },
    RegisterFromMmap {
        driver: Option<DriverId>,
        locked_entry: bool,
    },
    /// `scope` is `None` when its file did not resolve (already reported).
    Touch {
        count: V,
        scope: Option<TouchScope>,
    },
    Mprotect(V),
    Compute(V),
    Sleep(V),
    Repeat {
        count: V,
        body: Vec<StepIr>,
    },
    Exit,
}

#[derive(Clone, Debug)]
pub struct TargetIr {
    /// `None` when the name did not resolve (already reported).
    pub id: Option<TargetId>,
    pub index: Option<V>,
}

#[derive(Clone, Debug)]
pub enum TriggerIr {
    At(V),
    After { target: TargetIr, step: Option<AnchorStep>, delay: Option<V> },
    Every { period: V, until: Option<V> },
}

#[derive(Clone, Debug)]
pub enum ActionIr {
    OomKill(TargetIr),
    Kill(TargetIr),
    Signal(TargetIr),
    Reclaim(V),
    Truncate(Option<FileId>),
    VmallocHog(V),
    VmallocFree(V),
}

#[derive(Clone, Debug)]
pub struct TimedIr {
    pub trigger: TriggerIr,
    pub action: ActionIr,
    pub line: u32,
}

/// The whole workload, resolved; values that depend on the point are still [`V`]s.
#[derive(Clone, Debug)]
pub struct Ir {
    pub name: Option<String>,
    pub seed: Option<u64>,
    pub strategy: StrategyIr,
    /// Every `param` and `sweep` except a sweep of `strategy`, in declaration order.
    pub params: Vec<ParamDecl>,
    /// The order sweeps were declared in: indices into `params`, or `None` for `sweep strategy`;
    /// with the span of the sweep's name.
    pub sweep_order: Vec<(Option<usize>, Span)>,
    pub machine: MachineIr,
    pub options: OptionsIr,
    pub files: Vec<FileIr>,
    pub drivers: Vec<DriverIr>,
    pub processes: Vec<ProcessIr>,
    pub targets: Vec<String>,
    pub actions: Vec<TimedIr>,
    pub checks: Vec<Check>,
    /// What loads but is likely not meant: sweeps that nothing reads.
    pub warnings: Diagnostics,
}

const MACHINE_SETTINGS: &[&str] = &["cpus", "memory", "vmalloc", "max_map_count", "cost"];
const DRIVER_SETTINGS: &[&str] = &["callback", "sleeps", "fault"];
const OPTIONS: &[&str] = &["unregister_pins_mm", "keep_lock_data", "lock_kind", "reclaim_notify"];
const ANCHORS: &[(&str, AnchorStep)] = &[
    ("register", AnchorStep::Register),
    ("unregister", AnchorStep::Unregister),
    ("mmap", AnchorStep::Mmap),
    ("munmap", AnchorStep::Munmap),
    ("fork", AnchorStep::Fork),
    ("exit", AnchorStep::Exit),
];
const SIZE_UNITS: &[(&str, u64)] = &[("", 1), ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("T", 1 << 40)];
const DUR_UNITS: &[(&str, u64)] = &[("ns", 1), ("us", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000)];

fn strategy_names() -> impl Iterator<Item = &'static str> + Clone {
    Strategy::ALL.into_iter().map(Strategy::name)
}

// ---------------------------------------------------------------- number literals

/// A number literal taken apart: sign, integer digits, fraction digits, unit suffix.
struct NumParts<'a> {
    neg: bool,
    int: String,
    frac: String,
    suffix: &'a str,
}

fn num_parts(text: &str) -> NumParts<'_> {
    let (neg, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let split = rest.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(rest.len());
    let (digits, suffix) = rest.split_at(split);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, f),
        None => (digits, ""),
    };
    NumParts { neg, int: int.replace('_', ""), frac: frac.replace('_', ""), suffix }
}

fn parse_u64(digits: &str) -> Option<u64> {
    let mut v: u64 = 0;
    for c in digits.chars() {
        v = v.checked_mul(10)?.checked_add(u64::from(c.to_digit(10)?))?;
    }
    Some(v)
}

/// A value that could not be read: what is wrong, and a help line if there is one.
type Fail = Box<(ErrorKind, Option<String>)>;

fn fail(kind: ErrorKind, help: Option<String>) -> Fail {
    Box::new((kind, help))
}

/// A literal written as `text`, read as `unit` demands; `Err(fail(message, help))`.
fn read_number(text: &str, unit: Unit) -> Result<u64, Fail> {
    let p = num_parts(text);
    let too_big = || fail(ErrorKind::TooLarge { text: text.to_string() }, None);
    if p.neg {
        let what = match unit {
            Unit::Count => "a count must be positive",
            Unit::Size => "a size cannot be negative",
            Unit::Dur => "a duration cannot be negative",
            _ => "this value cannot be negative",
        };
        return Err(fail(ErrorKind::Negative { what, text: text.to_string() }, None));
    }
    match unit {
        Unit::Count | Unit::Int => {
            if !p.suffix.is_empty() {
                let help = if SIZE_UNITS.iter().chain(DUR_UNITS).any(|(u, _)| *u == p.suffix) {
                    Some(format!("write the number alone, such as {}", p.int))
                } else {
                    None
                };
                return Err(fail(ErrorKind::TakesNoUnit { what: unit.describe(), text: text.to_string() }, help));
            }
            if !p.frac.is_empty() {
                return Err(fail(ErrorKind::NotWhole { text: text.to_string() }, None));
            }
            parse_u64(&p.int).ok_or_else(too_big)
        }
        Unit::Size => {
            let Some(&(_, mult)) = SIZE_UNITS.iter().find(|(u, _)| *u == p.suffix) else {
                let upper = p.suffix.to_ascii_uppercase();
                let help = if SIZE_UNITS.iter().any(|(u, _)| !u.is_empty() && *u == upper) {
                    format!("did you mean '{}{upper}'? sizes take K, M, G or T (powers of 1024)", p.int)
                } else if DUR_UNITS.iter().any(|(u, _)| *u == p.suffix) {
                    "that is a duration; sizes take K, M, G or T (powers of 1024)".to_string()
                } else {
                    "sizes take K, M, G or T (powers of 1024); a bare number means bytes".to_string()
                };
                return Err(fail(
                    ErrorKind::UnknownUnit { of: "size ", unit: p.suffix.to_string(), text: text.to_string() },
                    Some(help),
                ));
            };
            if !p.frac.is_empty() {
                return Err(fail(
                    ErrorKind::SizeNotWhole { text: text.to_string() },
                    Some("use a smaller unit, such as 1536K for 1.5M".to_string()),
                ));
            }
            parse_u64(&p.int).and_then(|v| v.checked_mul(mult)).ok_or_else(too_big)
        }
        Unit::Dur => {
            if p.suffix.is_empty() {
                return Err(fail(
                    ErrorKind::DurationNeedsUnit { text: text.to_string() },
                    Some(format!("write {0}ns, {0}us, {0}ms or {0}s", p.int)),
                ));
            }
            let Some(&(_, mult)) = DUR_UNITS.iter().find(|(u, _)| *u == p.suffix) else {
                let help = match nearest(p.suffix, DUR_UNITS.iter().map(|(u, _)| *u)) {
                    Some(u) => format!("did you mean '{}{u}'?", text.trim_end_matches(p.suffix)),
                    None => "durations take ns, us, ms or s".to_string(),
                };
                return Err(fail(
                    ErrorKind::UnknownUnit { of: "duration ", unit: p.suffix.to_string(), text: text.to_string() },
                    Some(help),
                ));
            };
            let int = parse_u64(&p.int).and_then(|v| v.checked_mul(mult)).ok_or_else(too_big)?;
            let frac = p.frac.trim_end_matches('0');
            if frac.is_empty() {
                return Ok(int);
            }
            let not_whole = || fail(ErrorKind::FractionalNs { text: text.to_string() }, None);
            // mult is at most 10^9, so a fraction of more than 9 significant digits cannot be whole.
            if frac.len() > 9 {
                return Err(not_whole());
            }
            let f = u128::from(parse_u64(frac).ok_or_else(not_whole)?) * u128::from(mult);
            let den = 10u128.pow(u32::try_from(frac.len()).unwrap_or(9));
            if f % den != 0 {
                return Err(not_whole());
            }
            u64::try_from(f / den).ok().and_then(|f| int.checked_add(f)).ok_or_else(too_big)
        }
        Unit::Bool | Unit::Strategy | Unit::Choice(_) | Unit::Path => {
            Err(fail(ErrorKind::Expected { expected: unit.describe().to_string(), found: format!("'{text}'") }, None))
        }
    }
}

/// A literal in a `param`, `sweep`, `when` or `-p`: its kind comes from how it is written.
fn read_literal(lit: &Lit) -> Result<Typed, Fail> {
    match lit {
        Lit::Word(w) if w == "true" => Ok(Typed::Bool(true)),
        Lit::Word(w) if w == "false" => Ok(Typed::Bool(false)),
        Lit::Word(w) => Ok(Typed::Name(w.clone())),
        Lit::Str(s) => Ok(Typed::Str(s.clone())),
        Lit::Number(text) => {
            let p = num_parts(text);
            if p.neg {
                return Err(fail(
                    ErrorKind::Negative { what: "a parameter value cannot be negative", text: text.to_string() },
                    None,
                ));
            }
            if p.suffix.is_empty() {
                if !p.frac.is_empty() {
                    return Err(fail(
                        ErrorKind::NotWhole { text: text.to_string() },
                        Some("only durations may have a fraction, such as 1.5us".to_string()),
                    ));
                }
                read_number(text, Unit::Int).map(Typed::Int)
            } else if SIZE_UNITS.iter().any(|(u, _)| *u == p.suffix) {
                read_number(text, Unit::Size).map(Typed::Size)
            } else if DUR_UNITS.iter().any(|(u, _)| *u == p.suffix) {
                read_number(text, Unit::Dur).map(Typed::Dur)
            } else {
                Err(fail(
                    ErrorKind::UnknownUnit { of: "", unit: p.suffix.to_string(), text: text.to_string() },
                    Some("sizes take K, M, G or T; durations take ns, us, ms or s".to_string()),
                ))
            }
        }
    }
}

/// A number in an `expect` expression: a unit converts it to bytes or nanoseconds.
fn read_expr_number(text: &str) -> Result<f64, Fail> {
    let p = num_parts(text);
    let mult = if let Some(&(_, m)) = SIZE_UNITS.iter().chain(DUR_UNITS).find(|(u, _)| *u == p.suffix) {
        m
    } else {
        return Err(fail(
            ErrorKind::UnknownUnit { of: "", unit: p.suffix.to_string(), text: text.to_string() },
            Some("sizes take K, M, G or T; durations take ns, us, ms or s".to_string()),
        ));
    };
    let digits = if p.frac.is_empty() { p.int.clone() } else { format!("{}.{}", p.int, p.frac) };
    let v: f64 = digits.parse().map_err(|_| fail(ErrorKind::NotANumber { text: text.to_string() }, None))?;
    let v = v * mult as f64;
    if !v.is_finite() {
        return Err(fail(ErrorKind::FloatTooLarge { text: text.to_string() }, None));
    }
    Ok(if p.neg { -v } else { v })
}

// ---------------------------------------------------------------- the checker

struct Checker<'s> {
    src: &'s Source,
    diags: Diagnostics,
    params: Vec<ParamDecl>,
    files: Vec<String>,
    drivers: Vec<String>,
    processes: Vec<String>,
    targets: Vec<String>,
    /// Params and sweeps whose declaration was in error: their uses are not errors again.
    broken: Vec<String>,
    /// By index into `params`: a statement that shapes the run reads it.
    read: Vec<bool>,
    /// By index into `params`: an expect line names it (a `when`, `METRIC[NAME=...]`, a slope).
    named_by_expect: Vec<bool>,
}

/// Checks the syntax tree against itself and the overrides. Always returns the resolved form
/// (with [`VK::Bad`] where something failed) so that lowering can look for more errors.
pub fn check(src: &Source, stmts: &[ast::Stmt], overrides: &[(String, String)]) -> (Ir, Diagnostics) {
    let mut c = Checker {
        src,
        diags: Diagnostics::default(),
        params: Vec::new(),
        files: Vec::new(),
        drivers: Vec::new(),
        processes: Vec::new(),
        targets: Vec::new(),
        broken: Vec::new(),
        read: Vec::new(),
        named_by_expect: Vec::new(),
    };
    let mut ir = Ir {
        name: None,
        seed: None,
        strategy: StrategyIr::Fixed(Strategy::MmLock),
        params: Vec::new(),
        sweep_order: Vec::new(),
        machine: MachineIr::default(),
        options: OptionsIr::default(),
        files: Vec::new(),
        drivers: Vec::new(),
        processes: Vec::new(),
        targets: Vec::new(),
        actions: Vec::new(),
        checks: Vec::new(),
        warnings: Diagnostics::default(),
    };

    // Pass 1: declarations, so that every use can see every name wherever it is written.
    let mut strategy_stmt: Option<&Val> = None;
    let mut seen_once: Vec<(&str, Span)> = Vec::new();
    for s in stmts {
        let once = match &s.kind {
            StmtKind::Workload(_) => Some("workload"),
            StmtKind::Seed(_) => Some("seed"),
            StmtKind::Machine(_) => Some("machine"),
            StmtKind::Strategy(_) => Some("strategy"),
            _ => None,
        };
        if let Some(what) = once {
            if seen_once.iter().any(|(w, _)| *w == what) {
                c.diags.push(
                    src.error(s.span, ErrorKind::GivenTwice { name: what.to_string() }).with_help("keep one of them"),
                );
            } else {
                seen_once.push((what, s.span));
            }
        }
        match &s.kind {
            StmtKind::Strategy(v) => {
                if matches!(ir.strategy, StrategyIr::Swept(_)) {
                    c.diags.push(
                        src.error(v.span, ErrorKind::StrategySetAndSwept)
                            .with_help("remove the 'strategy' statement or the sweep"),
                    );
                }
                strategy_stmt = Some(v);
            }
            StmtKind::Param { name, value } => c.declare_param(name, std::slice::from_ref(value), false),
            StmtKind::Sweep { name, list } => {
                if name.text == "strategy" {
                    if matches!(ir.strategy, StrategyIr::Swept(_)) {
                        c.diags.push(src.error(
                            name.span,
                            ErrorKind::AlreadyDefined { name: "strategy".to_string(), as_what: "a sweep" },
                        ));
                    } else if strategy_stmt.is_some() {
                        c.diags.push(
                            src.error(name.span, ErrorKind::StrategySetAndSwept)
                                .with_help("remove the 'strategy' statement or the sweep"),
                        );
                    }
                    ir.strategy = StrategyIr::Swept(c.strategy_list(list));
                    ir.sweep_order.push((None, name.span));
                } else {
                    match c.list_values(list) {
                        Some(values) => c.declare_param(name, &values, true),
                        None => c.broken.push(name.text.clone()),
                    }
                    if c.params.last().is_some_and(|p| p.name == name.text) {
                        ir.sweep_order.push((Some(c.params.len() - 1), name.span));
                    }
                }
            }
            StmtKind::File { name, .. } => {
                if c.files.contains(&name.text) {
                    c.diags.push(
                        src.error(name.span, ErrorKind::DefinedTwice { thing: Thing::File, name: name.text.clone() }),
                    );
                }
                c.files.push(name.text.clone());
            }
            StmtKind::Driver { name, .. } => {
                if c.drivers.contains(&name.text) {
                    c.diags.push(
                        src.error(name.span, ErrorKind::DefinedTwice { thing: Thing::Driver, name: name.text.clone() }),
                    );
                }
                c.drivers.push(name.text.clone());
            }
            StmtKind::Process { name, .. } => {
                if c.processes.contains(&name.text) {
                    c.diags.push(
                        src.error(
                            name.span,
                            ErrorKind::DefinedTwice { thing: Thing::Process, name: name.text.clone() },
                        ),
                    );
                }
                c.processes.push(name.text.clone());
            }
            _ => {}
        }
    }
    c.read = vec![false; c.params.len()];
    c.named_by_expect = vec![false; c.params.len()];
    // Fork names follow the process names among the targets.
    c.targets = c.processes.clone();
    for s in stmts {
        if let StmtKind::Process { body, .. } = &s.kind {
            c.collect_forks(body);
        }
    }

    c.apply_overrides(overrides, &mut ir);

    let strategy_overridden = overrides.iter().any(|(k, _)| k == "strategy");
    if let Some(v) = strategy_stmt {
        if let Some(s) = c.strategy_value(v) {
            if !strategy_overridden {
                ir.strategy = s;
            }
        }
    }

    // Pass 2: everything else.
    for s in stmts {
        match &s.kind {
            StmtKind::Workload(n) => ir.name = Some(n.text.clone()),
            StmtKind::Seed(v) => {
                if let Some(Typed::Int(n)) = c.constant(v, Unit::Int) {
                    ir.seed = Some(n);
                }
            }
            StmtKind::Machine(settings) => c.machine(settings, &mut ir.machine),
            StmtKind::Option { name, value } => c.option(name, value, &mut ir.options),
            StmtKind::File { name, size } => {
                let size = c.value(size, Unit::Size, Ctx::CONST);
                ir.files.push(FileIr { name: name.text.clone(), size });
            }
            StmtKind::Driver { name, settings } => {
                let d = c.driver(name, settings);
                ir.drivers.push(d);
            }
            StmtKind::Process { name, count, when, body } => {
                let instances = count.as_ref().map(|v| c.value(v, Unit::Count, Ctx::CONST));
                let when = c.conds(when);
                // A process that exists at some points only shapes the run by its condition.
                for cond in &when {
                    c.mark(&cond.param, false);
                }
                let body = c.block(body);
                ir.processes.push(ProcessIr {
                    name: name.text.clone(),
                    instances,
                    when,
                    body,
                    line: src.line_of(s.span.start),
                });
            }
            StmtKind::At { time, action } => {
                let trigger = match time {
                    AtTime::Abs(v) => TriggerIr::At(c.value(v, Unit::Dur, Ctx::CONST)),
                    AtTime::Anchor { target, step, delay } => {
                        let target = c.target(target, Ctx::CONST);
                        let anchor = ANCHORS.iter().find(|(n, _)| *n == step.text).map(|(_, a)| *a);
                        if anchor.is_none() {
                            c.diags.push(
                                src.error(step.span, ErrorKind::UnknownAnchor { name: step.text.clone() })
                                    .with_help_opt(suggest(&step.text, ANCHORS.iter().map(|(n, _)| *n))),
                            );
                        }
                        let delay = delay.as_ref().map(|d| c.value(d, Unit::Dur, Ctx::CONST));
                        TriggerIr::After { target, step: anchor, delay }
                    }
                };
                let action = c.action(action);
                ir.actions.push(TimedIr { trigger, action, line: src.line_of(s.span.start) });
            }
            StmtKind::Every { period, action, until } => {
                let period = c.value(period, Unit::Dur, Ctx::CONST);
                let until = until.as_ref().map(|u| c.value(u, Unit::Dur, Ctx::CONST));
                let action = c.action(action);
                ir.actions.push(TimedIr {
                    trigger: TriggerIr::Every { period, until },
                    action,
                    line: src.line_of(s.span.start),
                });
            }
            StmtKind::Expect(e) => {
                if let Some(check) = c.expect(e, src.line_of(s.span.start)) {
                    ir.checks.push(check);
                }
            }
            StmtKind::Strategy(_) | StmtKind::Param { .. } | StmtKind::Sweep { .. } => {}
        }
    }
    ir.warnings = c.unread_sweeps();
    ir.params = c.params;
    ir.targets = c.targets;
    (ir, c.diags)
}

/// Where a value is: which forms it may take.
#[derive(Clone, Copy)]
struct Ctx {
    random: bool,
    index: bool,
}

impl Ctx {
    const CONST: Ctx = Ctx { random: false, index: false };
    const STEP: Ctx = Ctx { random: true, index: true };
    const ACTION: Ctx = Ctx { random: true, index: false };
    /// An instance index in a step: `$index` picks one per instance, nothing is random.
    const STEP_INDEX: Ctx = Ctx { random: false, index: true };
}

impl Checker<'_> {
    fn err(&mut self, span: Span, kind: ErrorKind, help: Option<String>) {
        self.diags.push(self.src.error(span, kind).with_help_opt(help));
    }

    /// Notes a use of parameter `name`: by a statement that shapes the run, or by an expect line.
    fn mark(&mut self, name: &str, by_expect: bool) {
        let Some(i) = self.params.iter().position(|p| p.name == name) else { return };
        let slot = if by_expect { self.named_by_expect.get_mut(i) } else { self.read.get_mut(i) };
        if let Some(s) = slot {
            *s = true;
        }
    }

    /// A warning for each sweep of several values that no statement shaping the run reads:
    /// its points are the same run, seed included.
    fn unread_sweeps(&self) -> Diagnostics {
        let mut out = Diagnostics::default();
        for (i, p) in self.params.iter().enumerate() {
            if !p.swept || p.values.len() < 2 || self.read.get(i).copied().unwrap_or(true) {
                continue;
            }
            let by_expect = self.named_by_expect.get(i).copied().unwrap_or(false);
            let kind = ErrorKind::UnreadSweep { name: p.name.clone(), values: p.values.len(), by_expect };
            let help = if by_expect {
                format!(
                    "a 'when' or '[{}=...]' only picks checks, it does not change the run; for replications, \
                     drop the sweep and run with --seeds {} (a new seed per replica)",
                    p.name,
                    p.values.len()
                )
            } else {
                format!(
                    "use ${} in a statement, or for replications drop the sweep and run with --seeds {} (a new \
                     seed per replica)",
                    p.name,
                    p.values.len()
                )
            };
            out.push(self.src.warning(p.span, kind).with_help(help));
        }
        out.finish()
    }

    fn param_names(&self) -> Vec<&str> {
        self.params.iter().map(|p| p.name.as_str()).collect()
    }

    fn declare_param(&mut self, name: &ast::Name, values: &[Val], swept: bool) {
        let what = if swept { "sweep" } else { "param" };
        if name.text == "index" {
            self.err(name.span, ErrorKind::IndexReserved, None);
            return;
        }
        if name.text == "strategy" {
            self.err(
                name.span,
                ErrorKind::StrategyParam,
                Some("use 'strategy NAME', or 'sweep strategy = [...]'".to_string()),
            );
            return;
        }
        if let Some(prev) = self.params.iter().find(|p| p.name == name.text) {
            let prev_what = if prev.swept { "a sweep" } else { "a param" };
            self.err(name.span, ErrorKind::AlreadyDefined { name: name.text.clone(), as_what: prev_what }, None);
            return;
        }
        let mut typed = Vec::new();
        for v in values {
            match &v.kind {
                ValKind::Lit(l) => match read_literal(l) {
                    Ok(t) => typed.push(t),
                    Err(e) => self.err(v.span, e.0, e.1),
                },
                ValKind::Uniform(..) | ValKind::Exp(_) => self.err(
                    v.span,
                    ErrorKind::NotLiteral { what },
                    Some(
                        "a random value is drawn where it is used: bind its parameter, as in 'compute exp($mean)'"
                            .into(),
                    ),
                ),
                _ => self.err(v.span, ErrorKind::NotLiteral { what }, None),
            }
        }
        if typed.len() != values.len() {
            self.broken.push(name.text.clone());
            return;
        }
        let Some(kind) = self.common_kind(&typed, values) else {
            self.broken.push(name.text.clone());
            return;
        };
        if values.is_empty() {
            self.err(name.span, ErrorKind::EmptySweep { name: name.text.clone() }, None);
            self.broken.push(name.text.clone());
            return;
        }
        self.params.push(ParamDecl { name: name.text.clone(), span: name.span, kind, values: typed, swept });
    }

    /// The one kind of a sweep's values (plain integers count as sizes beside sizes).
    fn common_kind(&mut self, typed: &[Typed], values: &[Val]) -> Option<Kind> {
        let mut kind = typed.first().map_or(Kind::Int, Typed::kind);
        for (t, v) in typed.iter().zip(values) {
            let k = t.kind();
            kind = match (kind, k) {
                (a, b) if a == b => a,
                (Kind::Int, Kind::Size) | (Kind::Size, Kind::Int) => Kind::Size,
                _ => {
                    self.err(
                        v.span,
                        ErrorKind::MixedSweep { found: k.describe(), others: kind.describe() },
                        Some("every value of a sweep must be of one kind".to_string()),
                    );
                    return None;
                }
            };
        }
        Some(kind)
    }

    /// A sweep's values; `None` when an error was reported.
    fn list_values(&mut self, list: &List) -> Option<Vec<Val>> {
        match list {
            List::Items(items, _) => Some(items.clone()),
            List::Pow2(a, b, span) => {
                let lo = self.constant(a, Unit::Int);
                let hi = self.constant(b, Unit::Int);
                let (Some(Typed::Int(lo)), Some(Typed::Int(hi))) = (lo, hi) else {
                    return None;
                };
                if hi > 63 {
                    self.err(b.span, ErrorKind::Pow2TooHigh { hi }, None);
                    return None;
                }
                if lo > hi {
                    self.err(
                        *span,
                        ErrorKind::EmptyRange { lo: lo.to_string(), hi: hi.to_string() },
                        Some(format!("write pow2({hi}..{lo})")),
                    );
                    return None;
                }
                Some(
                    (lo..=hi)
                        .map(|k| Val { kind: ValKind::Lit(Lit::Number((1u64 << k).to_string())), span: *span })
                        .collect(),
                )
            }
        }
    }

    fn strategy_list(&mut self, list: &List) -> Vec<Strategy> {
        let List::Items(items, span) = list else {
            self.err(self.list_span(list), ErrorKind::StrategySweepNotList, None);
            return Vec::new();
        };
        if items.is_empty() {
            self.err(*span, ErrorKind::EmptySweep { name: "strategy".to_string() }, None);
        }
        let mut out = Vec::new();
        for v in items {
            if let Some(s) = self.strategy_word(v) {
                out.push(s);
            }
        }
        out
    }

    fn list_span(&self, list: &List) -> Span {
        match list {
            List::Items(_, s) | List::Pow2(_, _, s) => *s,
        }
    }

    fn strategy_word(&mut self, v: &Val) -> Option<Strategy> {
        match &v.kind {
            ValKind::Lit(Lit::Word(w)) => match Strategy::by_name(w) {
                Some(s) => Some(s),
                None => {
                    self.err(
                        v.span,
                        ErrorKind::Unknown { what: "strategy", name: w.clone() },
                        suggest(w, strategy_names()),
                    );
                    None
                }
            },
            _ => {
                self.err(v.span, ErrorKind::ExpectedStrategy, suggest("", strategy_names()));
                None
            }
        }
    }

    fn strategy_value(&mut self, v: &Val) -> Option<StrategyIr> {
        match &v.kind {
            ValKind::Var(_) => match self.value(v, Unit::Strategy, Ctx::CONST).kind {
                VK::Var(i) => Some(StrategyIr::Var(i, v.span)),
                _ => None,
            },
            _ => self.strategy_word(v).map(StrategyIr::Fixed),
        }
    }

    fn collect_forks(&mut self, body: &[ast::Step]) {
        for step in body {
            match &step.kind {
                StepKind::Fork { name, body } => {
                    if let Some(n) = name {
                        if self.processes.contains(&n.text) {
                            self.err(n.span, ErrorKind::ForkNamedLikeProcess { name: n.text.clone() }, None);
                        } else if !self.targets.contains(&n.text) {
                            self.targets.push(n.text.clone());
                        }
                    }
                    self.collect_forks(body);
                }
                StepKind::Repeat { body, .. } => self.collect_forks(body),
                _ => {}
            }
        }
    }

    fn apply_overrides(&mut self, overrides: &[(String, String)], ir: &mut Ir) {
        if overrides.is_empty() {
            return;
        }
        // The overrides are shown as one command line: `-p NAME=VALUE -p ...`.
        let mut line = String::new();
        let mut at = Vec::new();
        for (k, v) in overrides {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str("-p ");
            let name_at = line.len();
            line.push_str(k);
            line.push('=');
            let value_at = line.len();
            line.push_str(v);
            at.push((name_at, value_at));
        }
        let cmd = Source::new("<command line>", line, 1);
        for ((k, v), (name_at, value_at)) in overrides.iter().zip(at) {
            let name_span = Span::new(name_at, name_at + k.len());
            let value_span = Span::new(value_at, value_at + v.len());
            let bad_value = |kind: ErrorKind, help: Option<String>| cmd.error(value_span, kind).with_help_opt(help);
            if v.contains('\n') {
                self.diags.push(bad_value(ErrorKind::NewlineInValue, None));
                continue;
            }
            // A string param takes its value as written: shells make quotes a chore.
            let string_param = self.params.iter().any(|p| p.name == *k && p.kind == Kind::Str);
            let parsed = if string_param && !v.starts_with('"') {
                Ok(Val { kind: ValKind::Lit(Lit::Str(v.clone())), span: value_span })
            } else {
                crate::parse::parse_override(&cmd, v, value_at)
            };
            let val = match parsed {
                Ok(val) => val,
                Err(d) => {
                    self.diags.push(d);
                    continue;
                }
            };
            if k == "strategy" {
                match &val.kind {
                    ValKind::Lit(Lit::Word(w)) => match Strategy::by_name(w) {
                        Some(s) => ir.strategy = StrategyIr::Fixed(s),
                        None => self.diags.push(bad_value(
                            ErrorKind::Unknown { what: "strategy", name: w.clone() },
                            suggest(w, strategy_names()),
                        )),
                    },
                    _ => self.diags.push(bad_value(
                        ErrorKind::Expected {
                            expected: "a strategy such as mm_lock".to_string(),
                            found: format!("'{v}'"),
                        },
                        suggest("", strategy_names()),
                    )),
                }
                continue;
            }
            if let Some(name) = k.strip_prefix("cost.") {
                let name_span = Span::new(name_at + "cost.".len(), name_at + k.len());
                self.cost_override(&cmd, name, name_span, &val, v, value_span, ir);
                continue;
            }
            if self.broken.contains(k) {
                continue;
            }
            let Some(i) = self.params.iter().position(|p| &p.name == k) else {
                let mut known = self.param_names();
                known.insert(0, "strategy");
                let help = match nearest(k, known.iter().copied()) {
                    Some(n) => Some(format!("did you mean '{n}'?")),
                    None if known.len() > 1 => Some(format!("parameters of this workload: {}", known.join(", "))),
                    None => Some("this workload has no param or sweep besides strategy".to_string()),
                };
                self.diags.push(
                    cmd.error(name_span, ErrorKind::Unknown { what: "parameter", name: k.clone() }).with_help_opt(help),
                );
                continue;
            };
            let ValKind::Lit(lit) = &val.kind else {
                self.diags.push(bad_value(
                    ErrorKind::Expected {
                        expected: "a value such as 4096, 4K, 20us or true".to_string(),
                        found: format!("'{v}'"),
                    },
                    None,
                ));
                continue;
            };
            let typed = match read_literal(lit) {
                Ok(t) => t,
                Err(e) => {
                    let (m, h) = *e;
                    self.diags.push(bad_value(m, h));
                    continue;
                }
            };
            let Some(p) = self.params.get_mut(i) else { continue };
            // A number and a size are both integers; where the value is used decides.
            if p.kind == Kind::Int && typed.kind() == Kind::Size {
                p.kind = Kind::Size;
            }
            let ok = typed.kind() == p.kind || (p.kind == Kind::Size && typed.kind() == Kind::Int);
            if !ok {
                let msg = ErrorKind::WrongKind {
                    name: k.clone(),
                    kind: p.kind.describe(),
                    found: typed.kind().describe(),
                    text: Some(v.clone()),
                };
                let example = p.values.first().map(|t| format!("such as {k}={}", show_typed(t)));
                self.diags.push(bad_value(msg, example));
                continue;
            }
            let typed = match (p.kind, typed) {
                (Kind::Size, Typed::Int(n)) => Typed::Size(n),
                (_, t) => t,
            };
            p.values = vec![typed];
        }
    }

    /// `-p cost.NAME=DURATION`: a cost-model parameter set from the command line.
    #[allow(clippy::too_many_arguments)]
    fn cost_override(
        &mut self,
        cmd: &Source,
        name: &str,
        name_span: Span,
        val: &Val,
        text: &str,
        value_span: Span,
        ir: &mut Ir,
    ) {
        let Some(cost) = Cost::by_name(name) else {
            let help = nearest(name, COSTS.iter().map(|c| c.name))
                .map(|n| format!("did you mean 'cost.{n}'?"))
                .or_else(|| Some("'sim costs' lists them".to_string()));
            self.diags.push(
                cmd.error(name_span, ErrorKind::Unknown { what: "cost parameter", name: name.to_string() })
                    .with_help_opt(help),
            );
            return;
        };
        let typed = match &val.kind {
            ValKind::Lit(lit) => read_literal(lit).map_err(|e| *e),
            _ => Err((
                ErrorKind::Expected { expected: Unit::Dur.describe().to_string(), found: format!("'{text}'") },
                None,
            )),
        };
        match typed {
            Ok(Typed::Dur(ns)) => ir.machine.cost_overrides.push((cost, ns)),
            Ok(other) => {
                let ns = cost.info().default_ns;
                let default = [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "us")]
                    .iter()
                    .find(|(d, _)| ns >= *d && ns % d == 0)
                    .map_or(format!("{ns}ns"), |(d, u)| format!("{}{u}", ns / d));
                self.diags.push(
                    cmd.error(
                        value_span,
                        ErrorKind::WrongKind {
                            name: format!("cost.{name}"),
                            kind: Kind::Dur.describe(),
                            found: other.kind().describe(),
                            text: Some(text.to_string()),
                        },
                    )
                    .with_help(format!("such as cost.{name}={default} (its default)")),
                )
            }
            Err((m, h)) => self.diags.push(cmd.error(value_span, m).with_help_opt(h)),
        }
    }

    /// A value that must be known before any point runs (seed, pow2 bounds).
    fn constant(&mut self, v: &Val, unit: Unit) -> Option<Typed> {
        match &v.kind {
            ValKind::Lit(_) => match self.value(v, unit, Ctx::CONST).kind {
                VK::Const(t) => Some(t),
                _ => None,
            },
            ValKind::Bin(..) => {
                let found = "arithmetic".to_string();
                self.err(
                    v.span,
                    ErrorKind::Expected { expected: format!("{} written out", unit.describe()), found },
                    None,
                );
                None
            }
            _ => {
                self.err(v.span, ErrorKind::NotWrittenOut { expected: unit.describe() }, None);
                None
            }
        }
    }

    /// Resolves a value at a position that expects `unit`.
    fn value(&mut self, v: &Val, unit: Unit, ctx: Ctx) -> V {
        let bad = V { kind: VK::Bad, span: v.span, unit };
        let kind = match &v.kind {
            ValKind::Lit(Lit::Number(text)) => match read_number(text, unit) {
                Ok(n) => VK::Const(match unit {
                    Unit::Size => Typed::Size(n),
                    Unit::Dur => Typed::Dur(n),
                    _ => Typed::Int(n),
                }),
                Err(e) => {
                    let (m, h) = *e;
                    self.err(v.span, m, h);
                    return bad;
                }
            },
            ValKind::Lit(Lit::Word(w)) => match (unit, w.as_str()) {
                (Unit::Bool, "true") => VK::Const(Typed::Bool(true)),
                (Unit::Bool, "false") => VK::Const(Typed::Bool(false)),
                (Unit::Strategy, _) => match Strategy::by_name(w) {
                    Some(_) => VK::Const(Typed::Name(w.clone())),
                    None => {
                        self.err(
                            v.span,
                            ErrorKind::Unknown { what: "strategy", name: w.clone() },
                            suggest(w, strategy_names()),
                        );
                        return bad;
                    }
                },
                (Unit::Choice(c), _) if c.names.contains(&w.as_str()) => VK::Const(Typed::Name(w.clone())),
                (Unit::Choice(c), _) => {
                    self.err(
                        v.span,
                        ErrorKind::Unknown { what: c.what, name: w.clone() },
                        suggest(w, c.names.iter().copied()),
                    );
                    return bad;
                }
                _ => {
                    let help = if unit == Unit::Bool {
                        nearest(w, ["true", "false"]).map(|s| format!("did you mean '{s}'?"))
                    } else {
                        None
                    };
                    let kind = ErrorKind::Expected { expected: unit.describe().to_string(), found: format!("'{w}'") };
                    self.err(v.span, kind, help);
                    return bad;
                }
            },
            ValKind::Lit(Lit::Str(text)) => {
                if unit != Unit::Path {
                    let kind =
                        ErrorKind::Expected { expected: unit.describe().to_string(), found: "a string".to_string() };
                    self.err(v.span, kind, None);
                    return bad;
                }
                VK::Const(Typed::Str(text.clone()))
            }
            ValKind::Var(name) if self.broken.contains(name) => return bad,
            ValKind::Var(name) => {
                let Some(i) = self.params.iter().position(|p| &p.name == name) else {
                    let mut known = self.param_names();
                    if ctx.index {
                        known.push("index");
                    }
                    let help = nearest(name, known.iter().copied()).map(|n| format!("did you mean '${n}'?"));
                    let help = help.or_else(|| {
                        Some("variables are bound by 'param NAME = VALUE' or 'sweep NAME = [...]'".to_string())
                    });
                    self.err(v.span, ErrorKind::Undefined { thing: Thing::Variable, name: name.clone() }, help);
                    return bad;
                };
                let Some(p) = self.params.get(i) else { return bad };
                if !unit.accepts(p.kind) {
                    let msg = ErrorKind::VariableKind {
                        expected: unit.describe(),
                        name: name.clone(),
                        kind: p.kind.describe(),
                    };
                    let help = p.values.first().map(|t| format!("${name} is {}", show_typed(t)));
                    self.err(v.span, msg, help);
                    return bad;
                }
                let names: Vec<String> = p
                    .values
                    .iter()
                    .filter_map(|t| if let Typed::Name(n) = t { Some(n.clone()) } else { None })
                    .collect();
                let mut ok = true;
                for n in names {
                    match unit {
                        Unit::Strategy if Strategy::by_name(&n).is_none() => {
                            self.err(
                                v.span,
                                ErrorKind::UnknownFromVariable {
                                    what: "strategy",
                                    name: n.clone(),
                                    variable: name.clone(),
                                },
                                suggest(&n, strategy_names()),
                            );
                            ok = false;
                        }
                        Unit::Choice(c) if !c.names.contains(&n.as_str()) => {
                            self.err(
                                v.span,
                                ErrorKind::UnknownFromVariable {
                                    what: c.what,
                                    name: n.clone(),
                                    variable: name.clone(),
                                },
                                suggest(&n, c.names.iter().copied()),
                            );
                            ok = false;
                        }
                        _ => {}
                    }
                }
                if !ok {
                    return bad;
                }
                if let Some(r) = self.read.get_mut(i) {
                    *r = true;
                }
                VK::Var(i)
            }
            ValKind::Index => {
                if !ctx.index {
                    self.err(v.span, ErrorKind::IndexOutside, None);
                    return bad;
                }
                if !matches!(unit, Unit::Count | Unit::Int) {
                    let kind = ErrorKind::VariableKind {
                        expected: unit.describe(),
                        name: "index".to_string(),
                        kind: "a number",
                    };
                    self.err(v.span, kind, None);
                    return bad;
                }
                VK::Index
            }
            ValKind::Uniform(..) | ValKind::Exp(_) if !ctx.random => {
                self.err(v.span, ErrorKind::RandomNotAllowed, Some("random values fit steps and actions".to_string()));
                return bad;
            }
            ValKind::Uniform(a, b) => {
                let inner = Ctx { random: false, index: false };
                let a = self.value(a, unit, inner);
                let b = self.value(b, unit, inner);
                VK::Uniform(Box::new(a), Box::new(b))
            }
            ValKind::Exp(m) => {
                let m = self.value(m, unit, Ctx { random: false, index: false });
                VK::Exp(Box::new(m))
            }
            ValKind::Bin(a, op, b) => {
                if !matches!(unit, Unit::Count | Unit::Int) {
                    let kind =
                        ErrorKind::Expected { expected: unit.describe().to_string(), found: "arithmetic".to_string() };
                    self.err(v.span, kind, None);
                    return bad;
                }
                let a = self.operand(a, ctx);
                let b = self.operand(b, ctx);
                if a.kind == VK::Bad || b.kind == VK::Bad {
                    return bad;
                }
                VK::Bin(Box::new(a), *op, Box::new(b))
            }
        };
        if !matches!(unit, Unit::Count | Unit::Int | Unit::Size | Unit::Dur)
            && matches!(kind, VK::Uniform(..) | VK::Exp(_))
        {
            let kind =
                ErrorKind::Expected { expected: unit.describe().to_string(), found: "a random value".to_string() };
            self.err(v.span, kind, None);
            return bad;
        }
        V { kind, span: v.span, unit }
    }

    /// One side of integer arithmetic: a number (negative ones too), a number parameter,
    /// `$index` where the position allows it, or more arithmetic; never a random value.
    fn operand(&mut self, v: &Val, ctx: Ctx) -> V {
        let bad = V { kind: VK::Bad, span: v.span, unit: Unit::Int };
        match &v.kind {
            ValKind::Uniform(..) | ValKind::Exp(_) => {
                self.err(
                    v.span,
                    ErrorKind::RandomInArithmetic,
                    Some("a random count stands alone, such as 'touch uniform(1, 8)'".to_string()),
                );
                bad
            }
            ValKind::Lit(Lit::Number(text)) if text.starts_with('-') => {
                let magnitude = match read_number(text.strip_prefix('-').unwrap_or(text), Unit::Int) {
                    Ok(n) => n,
                    Err(e) => {
                        let (m, h) = *e;
                        self.err(v.span, m, h);
                        return bad;
                    }
                };
                match i64::try_from(magnitude) {
                    Ok(n) => V { kind: VK::Signed(-n), span: v.span, unit: Unit::Int },
                    Err(_) => {
                        self.err(v.span, ErrorKind::TooLarge { text: text.clone() }, None);
                        bad
                    }
                }
            }
            _ => self.value(v, Unit::Int, Ctx { random: false, index: ctx.index }),
        }
    }

    fn machine(&mut self, settings: &[ast::Setting], m: &mut MachineIr) {
        let mut seen: Vec<String> = Vec::new();
        for s in settings {
            let key = match &s.arg {
                Some(a) => format!("cost {}", a.text),
                None => s.name.text.clone(),
            };
            if seen.contains(&key) {
                self.err(
                    s.span,
                    ErrorKind::SetTwice { name: key.clone(), place: "this machine block".to_string() },
                    None,
                );
            }
            seen.push(key);
            let slot = match s.name.text.as_str() {
                "cpus" => &mut m.cpus,
                "memory" => &mut m.memory,
                "vmalloc" => &mut m.vmalloc,
                "max_map_count" => &mut m.max_map_count,
                "cost" => {
                    let Some(arg) = &s.arg else { continue };
                    let v = self.value(&s.value, Unit::Dur, Ctx::CONST);
                    match Cost::by_name(&arg.text) {
                        Some(c) => m.costs.push((c, v)),
                        None => self.err(
                            arg.span,
                            ErrorKind::Unknown { what: "cost parameter", name: arg.text.clone() },
                            nearest(&arg.text, COSTS.iter().map(|c| c.name))
                                .map(|n| format!("did you mean '{n}'?"))
                                .or_else(|| Some("'sim costs' lists them".to_string())),
                        ),
                    }
                    continue;
                }
                other => {
                    self.err(
                        s.name.span,
                        ErrorKind::Unknown { what: "machine setting", name: other.to_string() },
                        suggest(other, MACHINE_SETTINGS.iter().copied()),
                    );
                    continue;
                }
            };
            let unit = match s.name.text.as_str() {
                "memory" | "vmalloc" => Unit::Size,
                _ => Unit::Count,
            };
            let v = self.value(&s.value, unit, Ctx::CONST);
            *slot = Some(v);
        }
    }

    fn option(&mut self, name: &ast::Name, value: &Val, o: &mut OptionsIr) {
        let (slot, unit) = match name.text.as_str() {
            "unregister_pins_mm" => (&mut o.unregister_pins_mm, Unit::Bool),
            "keep_lock_data" => (&mut o.keep_lock_data, Unit::Bool),
            "lock_kind" => (&mut o.lock_kind, Unit::Choice(&LOCK_KIND)),
            "reclaim_notify" => (&mut o.reclaim_notify, Unit::Choice(&RECLAIM_NOTIFY)),
            other => {
                self.err(
                    name.span,
                    ErrorKind::Unknown { what: "option", name: other.to_string() },
                    suggest(other, OPTIONS.iter().copied()),
                );
                return;
            }
        };
        if slot.is_some() {
            self.err(name.span, ErrorKind::OptionSetTwice { name: name.text.clone() }, None);
        }
        *slot = Some(self.value(value, unit, Ctx::CONST));
    }

    fn driver(&mut self, name: &ast::Name, settings: &[ast::Setting]) -> DriverIr {
        let mut d = DriverIr { name: name.text.clone(), callback: None, sleeps: None, fault: None };
        for s in settings {
            let (unit, slot) = match s.name.text.as_str() {
                "callback" => (Unit::Dur, &mut d.callback),
                "sleeps" => (Unit::Bool, &mut d.sleeps),
                "fault" => (Unit::Dur, &mut d.fault),
                other => {
                    let help = if other == "cost" {
                        Some("'cost' is a machine setting".to_string())
                    } else {
                        suggest(other, DRIVER_SETTINGS.iter().copied())
                    };
                    self.err(s.name.span, ErrorKind::Unknown { what: "driver setting", name: other.to_string() }, help);
                    continue;
                }
            };
            if slot.is_some() {
                self.err(
                    s.span,
                    ErrorKind::SetTwice { name: s.name.text.clone(), place: format!("driver '{}'", name.text) },
                    None,
                );
            }
            *slot = Some(self.value(&s.value, unit, Ctx::CONST));
        }
        d
    }

    fn file(&mut self, name: &ast::Name) -> Option<FileId> {
        match self.files.iter().position(|f| *f == name.text) {
            Some(i) => u32::try_from(i).ok(),
            None => {
                let help = nearest(&name.text, self.files.iter().map(String::as_str))
                    .map(|n| format!("did you mean \"{n}\"?"))
                    .or_else(|| Some("define it with 'file \"NAME\" size SIZE'".to_string()));
                self.err(name.span, ErrorKind::Undefined { thing: Thing::File, name: name.text.clone() }, help);
                None
            }
        }
    }

    fn driver_ref(&mut self, name: &ast::Name) -> Option<DriverId> {
        match self.drivers.iter().position(|d| *d == name.text) {
            Some(i) => u32::try_from(i).ok(),
            None => {
                let help = nearest(&name.text, self.drivers.iter().map(String::as_str))
                    .map(|n| format!("did you mean '{n}'?"))
                    .or_else(|| Some("define it with 'driver NAME { ... }'".to_string()));
                self.err(name.span, ErrorKind::Undefined { thing: Thing::Driver, name: name.text.clone() }, help);
                None
            }
        }
    }

    /// `NAME` or `NAME[EXPR]`; `ctx` says whether EXPR may read `$index` (in a step).
    fn target(&mut self, t: &ast::TargetRef, ctx: Ctx) -> TargetIr {
        let id = match self.targets.iter().position(|n| *n == t.name.text) {
            Some(i) => u32::try_from(i).ok(),
            None => {
                let help = nearest(&t.name.text, self.targets.iter().map(String::as_str))
                    .map(|n| format!("did you mean '{n}'?"))
                    .or_else(|| Some("a target is a process or a named fork child".to_string()));
                self.err(t.name.span, ErrorKind::Undefined { thing: Thing::Target, name: t.name.text.clone() }, help);
                None
            }
        };
        let index = t.index.as_ref().map(|i| self.value(i, Unit::Int, ctx));
        TargetIr { id, index }
    }

    fn block(&mut self, body: &[ast::Step]) -> Vec<StepIr> {
        body.iter().map(|s| self.step(s)).collect()
    }

    fn step(&mut self, s: &ast::Step) -> StepIr {
        let count = |c: &mut Self, v: &Val| c.value(v, Unit::Count, Ctx::STEP);
        let kind = match &s.kind {
            StepKind::MmapAnon { size, count: n } => StepIrKind::MmapAnon {
                size: self.value(size, Unit::Size, Ctx::STEP),
                count: n.as_ref().map(|n| count(self, n)),
            },
            StepKind::MmapFile { file, size, count: n, shared } => StepIrKind::MmapFile {
                file: self.file(file),
                size: size.as_ref().map(|v| self.value(v, Unit::Size, Ctx::STEP)),
                count: n.as_ref().map(|n| count(self, n)),
                shared: shared.unwrap_or(false),
            },
            StepKind::MmapMaps { path } => StepIrKind::MmapMaps { path: self.value(path, Unit::Path, Ctx::CONST) },
            StepKind::Munmap(n) => StepIrKind::Munmap(n.as_ref().map(|n| count(self, n))),
            StepKind::Fork { name, body } => StepIrKind::Fork {
                name: name
                    .as_ref()
                    .and_then(|n| self.targets.iter().position(|t| *t == n.text))
                    .and_then(|i| u32::try_from(i).ok()),
                body: self.block(body),
            },
            StepKind::Register { driver, target } => StepIrKind::Register {
                driver: self.driver_ref(driver),
                target: target.as_ref().map(|t| self.target(t, Ctx::STEP_INDEX)),
            },
            StepKind::Unregister { driver, target } => StepIrKind::Unregister {
                driver: self.driver_ref(driver),
                target: target.as_ref().map(|t| self.target(t, Ctx::STEP_INDEX)),
            },
            StepKind::RegisterFromMmap { driver, locked_entry } => {
                StepIrKind::RegisterFromMmap { driver: self.driver_ref(driver), locked_entry: *locked_entry }
            }
            StepKind::Touch { count: n, scope } => StepIrKind::Touch {
                count: count(self, n),
                scope: match scope {
                    ast::TouchScope::Mm => Some(TouchScope::Mm),
                    ast::TouchScope::Anon => Some(TouchScope::Anon),
                    ast::TouchScope::File(f) => self.file(f).map(TouchScope::File),
                },
            },
            StepKind::Mprotect(n) => StepIrKind::Mprotect(count(self, n)),
            StepKind::Compute(d) => StepIrKind::Compute(self.value(d, Unit::Dur, Ctx::STEP)),
            StepKind::Sleep(d) => StepIrKind::Sleep(self.value(d, Unit::Dur, Ctx::STEP)),
            StepKind::Repeat { count: n, body } => StepIrKind::Repeat { count: count(self, n), body: self.block(body) },
            StepKind::Exit => StepIrKind::Exit,
        };
        StepIr { kind, span: s.span, line: self.src.line_of(s.span.start) }
    }

    fn action(&mut self, a: &ast::Action) -> ActionIr {
        match &a.kind {
            ActionKind::OomKill(t) => ActionIr::OomKill(self.target(t, Ctx::CONST)),
            ActionKind::Kill(t) => ActionIr::Kill(self.target(t, Ctx::CONST)),
            ActionKind::Signal(t) => ActionIr::Signal(self.target(t, Ctx::CONST)),
            ActionKind::Reclaim(n) => ActionIr::Reclaim(self.value(n, Unit::Count, Ctx::ACTION)),
            ActionKind::Truncate(f) => ActionIr::Truncate(self.file(f)),
            ActionKind::VmallocHog(s) => ActionIr::VmallocHog(self.value(s, Unit::Size, Ctx::CONST)),
            ActionKind::VmallocFree(s) => ActionIr::VmallocFree(self.value(s, Unit::Size, Ctx::CONST)),
        }
    }

    // ---- expect

    fn expect(&mut self, e: &ast::Expect, line: u32) -> Option<Check> {
        let before = self.diags.len();
        let when = self.conds(&e.when);
        for c in &when {
            self.mark(&c.param, true);
        }
        let kind = match &e.kind {
            ExpectKind::Compare { lhs, op, rhs } => {
                let lhs = self.expr(lhs);
                let rhs = self.expr(rhs);
                CheckKind::Compare { lhs: lhs?, op: *op, rhs: rhs? }
            }
            ExpectKind::Slope { metric, param, lo, hi, lo_span, hi_span } => {
                let metric = self.metric(metric);
                self.mark(&param.text, true);
                match self.params.iter().find(|p| p.name == param.text) {
                    Some(p) if !p.swept => self.err(
                        param.span,
                        ErrorKind::SlopeNotSwept { name: param.text.clone() },
                        Some(format!("write 'sweep {} = [...]'", param.text)),
                    ),
                    Some(p) if !matches!(p.kind, Kind::Int | Kind::Size | Kind::Dur) => self.err(
                        param.span,
                        ErrorKind::SlopeNotNumeric { name: param.text.clone(), kind: p.kind.describe() },
                        None,
                    ),
                    Some(_) => {}
                    None if param.text == "strategy" => self.err(param.span, ErrorKind::SlopeStrategy, None),
                    None => {
                        let swept: Vec<&str> =
                            self.params.iter().filter(|p| p.swept).map(|p| p.name.as_str()).collect();
                        let help = nearest(&param.text, swept.iter().copied())
                            .map(|n| format!("did you mean '{n}'?"))
                            .or_else(|| Some("slope needs a 'sweep' of numbers".to_string()));
                        self.err(param.span, ErrorKind::Unknown { what: "sweep", name: param.text.clone() }, help);
                    }
                }
                let lo = self.bound(lo, *lo_span);
                let hi = self.bound(hi, *hi_span);
                if let (Some(a), Some(b)) = (lo, hi) {
                    if a > b {
                        self.err(
                            lo_span.to(*hi_span),
                            ErrorKind::EmptyRange { lo: a.to_string(), hi: b.to_string() },
                            None,
                        );
                    }
                }
                CheckKind::Slope { metric: metric?, param: param.text.clone(), lo: lo?, hi: hi? }
            }
        };
        if self.diags.len() > before {
            return None;
        }
        Some(Check { line, text: e.text.clone(), kind, when, qualifier: e.qualifier })
    }

    fn bound(&mut self, lit: &Lit, span: Span) -> Option<f64> {
        let Lit::Number(text) = lit else { return None };
        let p = num_parts(text);
        if !p.suffix.is_empty() {
            self.err(span, ErrorKind::SlopeBound { text: text.clone() }, None);
            return None;
        }
        match read_expr_number(text) {
            Ok(v) => Some(v),
            Err(e) => {
                let (m, h) = *e;
                self.err(span, m, h);
                None
            }
        }
    }

    fn expr(&mut self, e: &ast::Expr) -> Option<Expr> {
        match &e.kind {
            ExprKind::Num(text) => match read_expr_number(text) {
                Ok(v) => Some(Expr::Num(v)),
                Err(bad) => {
                    let (m, h) = *bad;
                    self.err(e.span, m, h);
                    None
                }
            },
            ExprKind::Metric(path, at) => {
                let m = self.metric(path);
                let mut pairs = Vec::new();
                for (name, value) in at {
                    if pairs.iter().any(|(n, _): &(String, ParamValue)| *n == name.text) {
                        self.err(name.span, ErrorKind::GivenTwice { name: name.text.clone() }, None);
                    }
                    if let Some(v) = self.param_literal(name, value) {
                        pairs.push((name.text.clone(), v));
                    }
                    self.mark(&name.text, true);
                }
                let mut m = m?;
                m.at = pairs;
                Some(Expr::Metric(m))
            }
            ExprKind::Bin(a, op, b) => {
                let a = self.expr(a);
                let b = self.expr(b);
                Some(Expr::Bin(Box::new(a?), *op, Box::new(b?)))
            }
        }
    }

    fn metric(&mut self, path: &ast::MetricPath) -> Option<MetricRef> {
        let text = path.text.as_str();
        if let Some(info) = METRICS.iter().find(|m| m.name == text) {
            if info.kind == MetricKind::Histogram {
                self.err(
                    path.span,
                    ErrorKind::HistogramNeedsField { name: text.to_string() },
                    Some(format!("did you mean '{text}.max'?")),
                );
                return None;
            }
            return Some(MetricRef { name: text.to_string(), field: None, at: Vec::new() });
        }
        if let Some((base, field)) = text.rsplit_once('.') {
            if let Some(info) = METRICS.iter().find(|m| m.name == base) {
                let field_span = Span::new(path.span.start + base.len() + 1, path.span.end);
                if info.kind != MetricKind::Histogram {
                    let kind = if info.kind == MetricKind::Count { "a count" } else { "a gauge" };
                    self.err(
                        field_span,
                        ErrorKind::NoField { name: base.to_string(), kind, field: field.to_string() },
                        Some(format!("write '{base}'")),
                    );
                    return None;
                }
                return match HistField::by_name(field) {
                    Some(f) => Some(MetricRef { name: base.to_string(), field: Some(f), at: Vec::new() }),
                    None => {
                        self.err(
                            field_span,
                            ErrorKind::Unknown { what: "histogram field", name: field.to_string() },
                            suggest(field, HistField::ALL.iter().map(|f| f.name())),
                        );
                        None
                    }
                };
            }
        }
        // Suggest against names with their fields, so `register.latncy.max` finds its metric.
        let mut known: Vec<String> = Vec::new();
        for m in METRICS {
            if m.kind == MetricKind::Histogram {
                known.extend(HistField::ALL.iter().map(|f| format!("{}.{}", m.name, f.name())));
            } else {
                known.push(m.name.to_string());
            }
        }
        let help = nearest(text, known.iter().map(String::as_str))
            .map(|n| format!("did you mean '{n}'?"))
            .or_else(|| Some("the metrics catalogue lists every name".to_string()));
        self.err(path.span, ErrorKind::Unknown { what: "metric", name: text.to_string() }, help);
        None
    }

    /// The conditions of a `when`, resolved against the parameters.
    fn conds(&mut self, when: &[ast::Cond]) -> Vec<Cond> {
        when.iter()
            .filter_map(|c| {
                let value = self.param_literal(&c.name, &c.value)?;
                Some(Cond { param: c.name.text.clone(), equal: c.equal, value })
            })
            .collect()
    }

    /// `NAME == VALUE` in a `when`, or `NAME=VALUE` in `METRIC[...]`: NAME is `strategy` or a
    /// parameter, VALUE a literal of its kind.
    fn param_literal(&mut self, name: &ast::Name, value: &Val) -> Option<ParamValue> {
        let ValKind::Lit(lit) = &value.kind else {
            let kind = match value.kind {
                ValKind::Uniform(..) | ValKind::Exp(_) => ErrorKind::NotLiteral { what: "compared" },
                _ => ErrorKind::NotWrittenOut { expected: "a value" },
            };
            self.err(value.span, kind, None);
            return None;
        };
        if name.text == "strategy" {
            return match lit {
                Lit::Word(w) if Strategy::by_name(w).is_some() => Some(ParamValue::Name(w.clone())),
                Lit::Word(w) => {
                    self.err(
                        value.span,
                        ErrorKind::Unknown { what: "strategy", name: w.clone() },
                        suggest(w, strategy_names()),
                    );
                    None
                }
                Lit::Number(_) | Lit::Str(_) => {
                    let found = match lit {
                        Lit::Number(n) => format!("'{n}'"),
                        _ => "a string".to_string(),
                    };
                    self.err(
                        value.span,
                        ErrorKind::Expected { expected: "a strategy such as mm_lock".to_string(), found },
                        None,
                    );
                    None
                }
            };
        }
        if self.broken.contains(&name.text) {
            return None;
        }
        let Some(p) = self.params.iter().find(|p| p.name == name.text) else {
            let mut known = self.param_names();
            known.insert(0, "strategy");
            let help = nearest(&name.text, known.iter().copied()).map(|n| format!("did you mean '{n}'?"));
            let help = help.or_else(|| Some(format!("conditions name a param or sweep: {}", known.join(", "))));
            self.err(name.span, ErrorKind::Unknown { what: "parameter", name: name.text.clone() }, help);
            return None;
        };
        let kind = p.kind;
        match read_literal(lit) {
            Ok(t)
                if t.kind() == kind
                    || (kind == Kind::Size && t.kind() == Kind::Int)
                    || (kind == Kind::Int && t.kind() == Kind::Size) =>
            {
                Some(t.to_param())
            }
            Ok(t) => {
                self.err(
                    value.span,
                    ErrorKind::WrongKind {
                        name: name.text.clone(),
                        kind: kind.describe(),
                        found: t.kind().describe(),
                        text: None,
                    },
                    None,
                );
                None
            }
            Err(e) => {
                let (m, h) = *e;
                self.err(value.span, m, h);
                None
            }
        }
    }
}

/// A typed value as it would be written.
pub fn show_typed(t: &Typed) -> String {
    match t {
        Typed::Int(v) => v.to_string(),
        Typed::Size(v) => show_size(*v),
        Typed::Dur(v) => show_duration(*v),
        Typed::Bool(b) => b.to_string(),
        Typed::Name(n) => n.clone(),
        Typed::Str(s) => quote(s),
    }
}

/// A string as the workload language writes it: in quotes, with `\"` and `\\` escaped.
pub fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Bytes in the largest unit that divides them (`4K`, `2G`, `1000`).
pub fn show_size(v: u64) -> String {
    for (u, m) in SIZE_UNITS.iter().rev() {
        if *m > 1 && v >= *m && v.is_multiple_of(*m) {
            return format!("{}{u}", v / m);
        }
    }
    v.to_string()
}

/// Nanoseconds in the largest unit that divides them (`20us`, `1500ns`).
pub fn show_duration(v: u64) -> String {
    for (u, m) in DUR_UNITS.iter().rev() {
        if v >= *m && v.is_multiple_of(*m) {
            return format!("{}{u}", v / m);
        }
    }
    format!("{v}ns")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(read_number("4K", Unit::Size), Ok(4096));
        assert_eq!(read_number("4096", Unit::Size), Ok(4096));
        assert_eq!(read_number("32T", Unit::Size), Ok(32 << 40));
        assert_eq!(read_number("1.5us", Unit::Dur), Ok(1500));
        assert_eq!(
            read_number("0.5ns", Unit::Dur).map_err(|e| e.0.to_string()),
            Err("0.5ns is not a whole number of nanoseconds".to_string())
        );
        assert_eq!(read_number("1.000000001s", Unit::Dur), Ok(1_000_000_001));
        assert_eq!(read_number("65_530", Unit::Count), Ok(65_530));
        assert!(read_number("18446744073709551616", Unit::Count).is_err());
        assert!(read_number("16777216T", Unit::Size).is_err());
        assert!(read_number("4Q", Unit::Size).is_err());
        assert!(read_number("20mss", Unit::Dur).is_err());
        assert_eq!(show_size(4096), "4K");
        assert_eq!(show_duration(1500), "1500ns");
        assert_eq!(show_duration(20_000), "20us");
    }
}
