//! The syntax tree: what the text says, with spans, before any name or unit is checked.

use crate::diagnostic::Span;
pub use sim_core::program::{BinOp, CmpOp, Qualifier};

/// An identifier or other word with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// A literal as written: a number with its unit suffix still attached (`4K`, `1.5us`, `-3`),
/// a word (`true`, `mm_lock`), or a string, unescaped (`"maps/qemu.maps"`). Units are decided
/// by the position that uses it.
#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    Number(String),
    Word(String),
    Str(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Val {
    pub kind: ValKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValKind {
    Lit(Lit),
    /// `$name`.
    Var(String),
    /// `$index`.
    Index,
    Uniform(Box<Val>, Box<Val>),
    Exp(Box<Val>),
    /// Integer arithmetic, in a count or an instance index.
    Bin(Box<Val>, BinOp, Box<Val>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    Workload(Name),
    Seed(Val),
    Machine(Vec<Setting>),
    Strategy(Val),
    Option {
        name: Name,
        value: Val,
    },
    Param {
        name: Name,
        value: Val,
    },
    Sweep {
        name: Name,
        list: List,
    },
    File {
        name: Name,
        size: Val,
    },
    Driver {
        name: Name,
        settings: Vec<Setting>,
    },
    /// `when` makes the process exist only at the points where its conditions hold.
    Process {
        name: Name,
        count: Option<Val>,
        when: Vec<Cond>,
        body: Block,
    },
    At {
        time: AtTime,
        action: Action,
    },
    Every {
        period: Val,
        action: Action,
        until: Option<Val>,
    },
    Expect(Expect),
}

/// `NAME VALUE` in a `machine` or `driver` block; `cost NAME DURATION` has `arg`.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub name: Name,
    pub arg: Option<Name>,
    pub value: Val,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum List {
    Items(Vec<Val>, Span),
    /// `pow2(A..B)`.
    Pow2(Val, Val, Span),
}

pub type Block = Vec<Step>;

#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub kind: StepKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StepKind {
    MmapAnon {
        size: Val,
        count: Option<Val>,
    },
    MmapFile {
        file: Name,
        size: Option<Val>,
        count: Option<Val>,
        shared: Option<bool>,
    },
    /// `mmap maps PATH`: PATH is a string or a variable holding one.
    MmapMaps {
        path: Val,
    },
    Munmap(Option<Val>),
    Fork {
        name: Option<Name>,
        body: Block,
    },
    Register {
        driver: Name,
        target: Option<TargetRef>,
    },
    Unregister {
        driver: Name,
        target: Option<TargetRef>,
    },
    /// `register DRIVER from mmap` / `__register DRIVER from mmap`.
    RegisterFromMmap {
        driver: Name,
        locked_entry: bool,
    },
    Touch {
        count: Val,
        scope: TouchScope,
    },
    Mprotect(Val),
    Compute(Val),
    Sleep(Val),
    Repeat {
        count: Val,
        body: Block,
    },
    Exit,
}

/// Which VMAs a `touch` faults pages of: `in file "NAME"`, `in anon`, or (no `in`) any.
#[derive(Clone, Debug, PartialEq)]
pub enum TouchScope {
    Mm,
    File(Name),
    Anon,
}

/// `NAME` or `NAME[i]`.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetRef {
    pub name: Name,
    pub index: Option<Val>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AtTime {
    Abs(Val),
    Anchor { target: TargetRef, step: Name, delay: Option<Val> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    pub kind: ActionKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ActionKind {
    OomKill(TargetRef),
    Kill(TargetRef),
    Signal(TargetRef),
    Reclaim(Val),
    Truncate(Name),
    VmallocHog(Val),
    VmallocFree(Val),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expect {
    pub kind: ExpectKind,
    pub when: Vec<Cond>,
    /// `always`, `sometimes` or `never` after `expect`.
    pub qualifier: Qualifier,
    /// The line as written, comment stripped.
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExpectKind {
    Compare { lhs: Expr, op: CmpOp, rhs: Expr },
    Slope { metric: MetricPath, param: Name, lo: Lit, hi: Lit, lo_span: Span, hi_span: Span },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Num(String),
    Metric(MetricPath, Vec<(Name, Val)>),
    Bin(Box<Expr>, BinOp, Box<Expr>),
}

/// A dotted metric name as written, such as `register.latency.mean`.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricPath {
    pub text: String,
    pub span: Span,
}

/// `NAME == VALUE` or `NAME != VALUE`.
#[derive(Clone, Debug, PartialEq)]
pub struct Cond {
    pub name: Name,
    pub equal: bool,
    pub value: Val,
}
