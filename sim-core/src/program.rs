//! The program a workload compiles to: one fully resolved run point, with no text left to parse.
//!
//! `dsl` produces it (names resolved, units applied, variables substituted); the model interprets
//! it lazily, so a `repeat 1000000000` is one step with a count, not a billion steps.

use crate::cost::Costs;
use serde::{Deserialize, Serialize};

/// Index of a file in [`Program::files`].
pub type FileId = u32;
/// Index of a driver in [`Program::drivers`].
pub type DriverId = u32;
/// Index of a step list in [`Program::blocks`].
pub type BlockId = u32;
/// Index of a name in [`Program::targets`]: process names first, then named fork children.
pub type TargetId = u32;

#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub workload: String,
    pub machine: Machine,
    pub strategy: Strategy,
    pub options: Options,
    pub files: Vec<FileDef>,
    pub drivers: Vec<DriverDef>,
    pub processes: Vec<ProcessDef>,
    /// Step lists; process bodies, `repeat` bodies and `fork` bodies point into it.
    pub blocks: Vec<Vec<Step>>,
    /// Every name a step or action can target; index `i < processes.len()` is process `i`.
    pub targets: Vec<String>,
    pub actions: Vec<TimedAction>,
    /// The `expect` lines that hold at this point (their `when` already decided).
    pub checks: Vec<Check>,
}

impl Program {
    /// The VMAs process `proc` maps by constant counts, through constant repeats (saturating):
    /// a capacity hint for the model's tables, never a decision.
    pub fn vmas_mapped(&self, proc: usize) -> u64 {
        self.processes.get(proc).map_or(0, |d| self.block_vmas(d.body, 0))
    }

    fn block_vmas(&self, b: BlockId, depth: u32) -> u64 {
        let Some(steps) = self.blocks.get(b as usize).filter(|_| depth < 16) else { return 0 };
        steps.iter().fold(0u64, |n, s| {
            n.saturating_add(match &s.kind {
                StepKind::MmapAnon { count: Value::Const(c), .. }
                | StepKind::MmapFile { count: Value::Const(c), .. } => *c,
                StepKind::Repeat { count: Value::Const(c), body } => {
                    c.saturating_mul(self.block_vmas(*body, depth + 1))
                }
                _ => 0,
            })
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Machine {
    pub cpus: u32,
    pub memory_bytes: u64,
    pub vmalloc_bytes: u64,
    pub max_map_count: u32,
    pub costs: Costs,
}

impl Default for Machine {
    fn default() -> Self {
        Machine {
            cpus: 4,
            memory_bytes: 4 << 30,
            vmalloc_bytes: 128 << 20,
            max_map_count: 65_530,
            costs: Costs::default(),
        }
    }
}

/// How register and unregister lock the mm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// v13: two vmalloc'ed arrays, heap sort by address, anon_vma locks then i_mmap locks.
    MmLock,
    /// v11: no allocation, repeated full scans for the next lock address, no signal checks.
    MmLockSlow,
    /// 2.6.27: global mutex, flag dedupe, i_mmap pass then anon_vma pass, -EINTR on a signal.
    MmTakeAllLocks,
    /// mm_lock without the sort: locks taken in VMA order.
    Unsorted,
    /// List insertion with no mm-wide lock.
    Unlocked,
}

impl Strategy {
    pub const ALL: [Strategy; 5] =
        [Strategy::MmLock, Strategy::MmLockSlow, Strategy::MmTakeAllLocks, Strategy::Unsorted, Strategy::Unlocked];

    pub fn name(self) -> &'static str {
        match self {
            Strategy::MmLock => "mm_lock",
            Strategy::MmLockSlow => "mm_lock_slow",
            Strategy::MmTakeAllLocks => "mm_take_all_locks",
            Strategy::Unsorted => "unsorted",
            Strategy::Unlocked => "unlocked",
        }
    }

    pub fn by_name(name: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// What i_mmap and anon_vma locks are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    Spinlock,
    Rwsem,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The caller of unregister holds an mm_users reference on the target mm.
    pub unregister_pins_mm: bool,
    /// mm_lock's arrays stay allocated from register to unregister.
    pub keep_lock_data: bool,
    pub lock_kind: LockKind,
    pub reclaim_notify: ReclaimNotify,
}

/// How page reclaim tells the drivers about a page it unmaps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReclaimNotify {
    /// 2.6.27's ptep_clear_flush_notify: the pte is cleared, then invalidate_page is called on
    /// the notifiers listed then; the page is freed after.
    Page,
    /// invalidate_range_start, the pte cleared and the page freed, invalidate_range_end, as
    /// try_to_unmap_one brackets it in later kernels: a notifier added inside the bracket misses it.
    Range,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            unregister_pins_mm: true,
            keep_lock_data: false,
            lock_kind: LockKind::Spinlock,
            reclaim_notify: ReclaimNotify::Page,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FileDef {
    pub name: String,
    pub size_bytes: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DriverDef {
    pub name: String,
    pub callback_ns: u64,
    pub sleeps: bool,
    pub fault_ns: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProcessDef {
    pub name: String,
    pub instances: u32,
    pub body: BlockId,
    pub line: u32,
}

/// A number drawn when the step runs, in the step's unit (bytes, nanoseconds or a count).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Const(u64),
    /// `$index`: the process instance's number.
    Index,
    /// `uniform(A, B)`, inclusive.
    Uniform(u64, u64),
    /// `exp(MEAN)`, rounded to an integer.
    Exp(u64),
    /// A count computed from `$index` when the step runs, such as `$index * 2 + 1`. dsl has
    /// checked at load that it is not negative for any instance; a value it cannot compute
    /// counts as 0 (the step does nothing).
    Expr(Box<IntExpr>),
}

/// An integer expression of the workload language once a point's parameters are substituted:
/// what is left to compute when a step runs is `$index`. Arithmetic is on 64-bit signed
/// integers; `/` rounds toward zero.
#[derive(Hash, Clone, Debug, PartialEq, Eq)]
pub enum IntExpr {
    Const(i64),
    /// `$index`: the acting task's instance number.
    Index,
    Bin(Box<IntExpr>, BinOp, Box<IntExpr>),
}

impl IntExpr {
    /// The value for a task whose `$index` is `index`; `None` on overflow or division by zero.
    pub fn eval(&self, index: u32) -> Option<i64> {
        match self {
            IntExpr::Const(c) => Some(*c),
            IntExpr::Index => Some(i64::from(index)),
            IntExpr::Bin(a, op, b) => op.apply(a.eval(index)?, b.eval(index)?),
        }
    }

    /// Whether the value depends on `$index`.
    pub fn reads_index(&self) -> bool {
        match self {
            IntExpr::Const(_) => false,
            IntExpr::Index => true,
            IntExpr::Bin(a, _, b) => a.reads_index() || b.reads_index(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub kind: StepKind,
    /// Source line, for messages that name the step.
    pub line: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StepKind {
    MmapAnon {
        size: Value,
        count: Value,
    },
    /// `size: None` maps the whole file.
    MmapFile {
        file: FileId,
        size: Option<Value>,
        count: Value,
        shared: bool,
    },
    /// `None` unmaps every VMA.
    Munmap(Option<Value>),
    Fork {
        name: Option<TargetId>,
        body: BlockId,
    },
    Register {
        driver: DriverId,
        target: Option<StepTarget>,
    },
    Unregister {
        driver: DriverId,
        target: Option<StepTarget>,
    },
    /// A register of the task's own mm from inside its mmap (GRU registers in its device's
    /// mmap handler), mmap_sem held for write by the mmap. `locked_entry`: through
    /// `__mmu_notifier_register`, which expects mmap_sem held and takes no mmap_sem itself.
    RegisterFromMmap {
        driver: DriverId,
        locked_entry: bool,
    },
    /// Fault in `count` random pages of the VMAs in `scope`.
    Touch {
        count: Value,
        scope: TouchScope,
    },
    Mprotect(Value),
    Compute(Value),
    Sleep(Value),
    Repeat {
        count: Value,
        body: BlockId,
    },
    Exit,
}

/// Which VMAs a `touch` faults pages of.
#[derive(Hash, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TouchScope {
    /// `touch N`: any VMA of the mm.
    Mm,
    /// `touch N in file "NAME"`: the mm's VMAs of that file.
    File(FileId),
    /// `touch N in anon`: the mm's anonymous VMAs.
    Anon,
}

/// The target of a step (`register DRIVER of TARGET`): fixed at load, or `NAME[EXPR]` with
/// `$index` in EXPR, whose instance is picked by the acting task's `$index` when the step runs.
#[derive(Hash, Clone, Debug, PartialEq, Eq)]
pub enum StepTarget {
    Fixed(Target),
    Indexed(TargetId, IntExpr),
}

impl StepTarget {
    /// The target for a task whose `$index` is `index`; `None` if the expression cannot be
    /// computed or is not an instance number (dsl refuses both at load).
    pub fn resolve(&self, index: u32) -> Option<Target> {
        match self {
            StepTarget::Fixed(t) => Some(*t),
            StepTarget::Indexed(id, e) => u32::try_from(e.eval(index)?).ok().map(|i| Target::One(*id, i)),
        }
    }
}

impl From<Target> for StepTarget {
    fn from(t: Target) -> StepTarget {
        StepTarget::Fixed(t)
    }
}

/// `NAME` (every instance) or `NAME[i]`.
#[derive(Hash, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    All(TargetId),
    One(TargetId, u32),
}

impl Target {
    pub fn id(self) -> TargetId {
        match self {
            Target::All(t) | Target::One(t, _) => t,
        }
    }
}

/// The step an `at TARGET.STEP` anchor waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnchorStep {
    Register,
    Unregister,
    Mmap,
    Munmap,
    Fork,
    Exit,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    /// At an absolute simulated time.
    At(u64),
    /// When the target first starts the step, plus a delay.
    After { target: Target, step: AnchorStep, delay_ns: u64 },
    /// Every period, first at `period_ns`, while the time is at most `until_ns`.
    Every { period_ns: u64, until_ns: Option<u64> },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    OomKill(Target),
    Kill(Target),
    Signal(Target),
    Reclaim(Value),
    Truncate(FileId),
    VmallocHog(u64),
    VmallocFree(u64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct TimedAction {
    pub trigger: Trigger,
    pub action: Action,
    pub line: u32,
}

/// A swept or fixed parameter's value, as reports print it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    Bool(bool),
    Int(u64),
    Name(String),
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Name(s) => f.write_str(s),
        }
    }
}

/// An `expect` line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub line: u32,
    /// The line as written, for reports.
    pub text: String,
    pub kind: CheckKind,
    /// `when` conditions, all of which must hold at a point for the check to apply there.
    pub when: Vec<Cond>,
    /// `expect always|sometimes|never ...`: how the line is decided over a point's seeds.
    #[serde(default, skip_serializing_if = "Qualifier::is_plain")]
    pub qualifier: Qualifier,
}

/// How an `expect` line is decided over the seeds of each point it applies to (each group, for
/// a slope). The line's condition is decided at every seed; the qualifier says how many of them
/// must see it hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Qualifier {
    /// `expect P`: at the seed of the run; with several seeds, at every one of them.
    #[default]
    Plain,
    /// `expect always P`: at every seed.
    Always,
    /// `expect sometimes P`: at one seed at least, at each point.
    Sometimes,
    /// `expect never P`: at no seed.
    Never,
}

impl Qualifier {
    pub fn is_plain(&self) -> bool {
        *self == Qualifier::Plain
    }

    /// The word as written after `expect`; none for a plain line.
    pub fn word(self) -> Option<&'static str> {
        match self {
            Qualifier::Plain => None,
            Qualifier::Always => Some("always"),
            Qualifier::Sometimes => Some("sometimes"),
            Qualifier::Never => Some("never"),
        }
    }

    /// Whether the line passes at a point whose condition held at `held` of its `total` seeds.
    pub fn accepts(self, held: u32, total: u32) -> bool {
        match self {
            Qualifier::Plain | Qualifier::Always => held == total,
            Qualifier::Sometimes => held > 0,
            Qualifier::Never => held == 0,
        }
    }

    /// Whether one seed at which the condition held (`true`) or did not (`false`) is against
    /// the line: a counterexample. A `sometimes` line has none: only all its seeds together
    /// can fail it.
    pub fn refuted_by(self, held: bool) -> bool {
        match self {
            Qualifier::Plain | Qualifier::Always => !held,
            Qualifier::Sometimes => false,
            Qualifier::Never => held,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CheckKind {
    /// `expect LHS OP RHS`; a metric with `[param=value]` makes it a comparison across points.
    Compare { lhs: Expr, op: CmpOp, rhs: Expr },
    /// `expect slope(METRIC, PARAM) in LO..HI`: log-log least-squares slope across a sweep.
    Slope { metric: MetricRef, param: String, lo: f64, hi: f64 },
}

impl CheckKind {
    /// Whether the check needs other points than the one it is evaluated at.
    pub fn is_cross_point(&self) -> bool {
        match self {
            CheckKind::Slope { .. } => true,
            CheckKind::Compare { lhs, rhs, .. } => lhs.refers_elsewhere() || rhs.refers_elsewhere(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Hash, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    /// The operation on 64-bit signed integers (`/` rounds toward zero); `None` on overflow or
    /// division by zero.
    pub fn apply(self, a: i64, b: i64) -> Option<i64> {
        match self {
            BinOp::Add => a.checked_add(b),
            BinOp::Sub => a.checked_sub(b),
            BinOp::Mul => a.checked_mul(b),
            BinOp::Div => a.checked_div(b),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Expr {
    Num(f64),
    Metric(MetricRef),
    Bin(Box<Expr>, BinOp, Box<Expr>),
}

impl Expr {
    pub fn refers_elsewhere(&self) -> bool {
        match self {
            Expr::Num(_) => false,
            Expr::Metric(m) => !m.at.is_empty(),
            Expr::Bin(a, _, b) => a.refers_elsewhere() || b.refers_elsewhere(),
        }
    }
}

/// A metric of the catalogue, a histogram field if it is a histogram, and for cross-point
/// comparisons the parameters that pick the other point (`[strategy=mm_lock]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricRef {
    pub name: String,
    pub field: Option<HistField>,
    pub at: Vec<(String, ParamValue)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HistField {
    Count,
    Min,
    Mean,
    P50,
    P90,
    P99,
    Max,
}

impl HistField {
    pub const ALL: [HistField; 7] = [
        HistField::Count,
        HistField::Min,
        HistField::Mean,
        HistField::P50,
        HistField::P90,
        HistField::P99,
        HistField::Max,
    ];

    pub fn name(self) -> &'static str {
        match self {
            HistField::Count => "count",
            HistField::Min => "min",
            HistField::Mean => "mean",
            HistField::P50 => "p50",
            HistField::P90 => "p90",
            HistField::P99 => "p99",
            HistField::Max => "max",
        }
    }

    pub fn by_name(name: &str) -> Option<HistField> {
        HistField::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// `NAME == VALUE` or `NAME != VALUE` in a `when`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cond {
    pub param: String,
    pub equal: bool,
    pub value: ParamValue,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Build;

    #[test]
    fn vmas_mapped_counts_constant_mmaps_through_constant_repeats() {
        let mut b = Build::new(Strategy::MmTakeAllLocks);
        let anon = |n| StepKind::MmapAnon { size: Value::Const(4096), count: Value::Const(n) };
        let inner = b.block(vec![anon(2), StepKind::Munmap(None)]);
        let drawn = b.block(vec![anon(7)]);
        b.process(
            "p",
            3,
            vec![
                anon(5),
                StepKind::Repeat { count: Value::Const(10), body: inner },
                StepKind::Repeat { count: Value::Uniform(1, 9), body: drawn },
                StepKind::MmapAnon { size: Value::Const(4096), count: Value::Index },
            ],
        );
        // 5 + 10 × 2; a drawn repeat and a count read from $index are not counted.
        assert_eq!(b.p.vmas_mapped(0), 25);
        assert_eq!(b.p.vmas_mapped(1), 0, "no such process");
    }
}
