//! Syntax tree to text: the canonical form of a workload, which parses back to the same tree
//! (spans and an `expect` line's recorded text aside). Comments are not in the tree, so they are
//! not printed; blocks are indented by two spaces, one statement or step a line.

use crate::ast::*;
use std::fmt::Write as _;

/// A printed workload: the text, and the line (1-based) each top-level statement starts on.
#[derive(Clone, Debug, PartialEq)]
pub struct Printed {
    pub text: String,
    pub lines: Vec<u32>,
}

/// Prints `stmts` after `header` (lines without their end, written as they are: comments).
pub fn print(header: &[String], stmts: &[Stmt]) -> Printed {
    let mut p = Printer { out: String::new(), line: 1 };
    for h in header {
        p.line_of(h);
    }
    let mut lines = Vec::with_capacity(stmts.len());
    for s in stmts {
        lines.push(p.line);
        p.stmt(s);
    }
    Printed { text: p.out, lines }
}

/// The text of one `expect` statement, as it is printed.
pub fn expect_text(e: &Expect) -> String {
    let mut s = String::new();
    expect(&mut s, e);
    s
}

/// The text of one value, as it is printed.
#[cfg(test)]
pub fn val_text(v: &Val) -> String {
    let mut s = String::new();
    val(&mut s, v);
    s
}

struct Printer {
    out: String,
    line: u32,
}

impl Printer {
    fn line_of(&mut self, text: &str) {
        self.out.push_str(text);
        self.out.push('\n');
        self.line += 1;
    }

    fn stmt(&mut self, s: &Stmt) {
        let mut l = String::new();
        match &s.kind {
            StmtKind::Workload(n) => {
                l.push_str("workload ");
                string(&mut l, &n.text);
            }
            StmtKind::Seed(v) => {
                l.push_str("seed ");
                val(&mut l, v);
            }
            StmtKind::Machine(settings) => {
                l.push_str("machine");
                return self.settings(l, settings);
            }
            StmtKind::Strategy(v) => {
                l.push_str("strategy ");
                val(&mut l, v);
            }
            StmtKind::Option { name, value } => {
                let _ = write!(l, "option {} ", name.text);
                val(&mut l, value);
            }
            StmtKind::Param { name, value } => {
                let _ = write!(l, "param {} = ", name.text);
                val(&mut l, value);
            }
            StmtKind::Sweep { name, list } => {
                let _ = write!(l, "sweep {} = ", name.text);
                match list {
                    List::Items(items, _) => {
                        l.push('[');
                        for (i, v) in items.iter().enumerate() {
                            if i > 0 {
                                l.push_str(", ");
                            }
                            val(&mut l, v);
                        }
                        l.push(']');
                    }
                    List::Pow2(a, b, _) => {
                        l.push_str("pow2(");
                        val(&mut l, a);
                        l.push_str("..");
                        val(&mut l, b);
                        l.push(')');
                    }
                }
            }
            StmtKind::File { name, size } => {
                l.push_str("file ");
                string(&mut l, &name.text);
                l.push_str(" size ");
                val(&mut l, size);
            }
            StmtKind::Driver { name, settings } => {
                let _ = write!(l, "driver {}", name.text);
                return self.settings(l, settings);
            }
            StmtKind::Process { name, count, when, body } => {
                let _ = write!(l, "process {}", name.text);
                if let Some(c) = count {
                    l.push_str(" x ");
                    val(&mut l, c);
                }
                conds(&mut l, when);
                return self.block(l, body, 0);
            }
            StmtKind::At { time, action: a } => {
                l.push_str("at ");
                match time {
                    AtTime::Abs(v) => val(&mut l, v),
                    AtTime::Anchor { target: t, step, delay } => {
                        target(&mut l, t);
                        let _ = write!(l, ".{}", step.text);
                        if let Some(d) = delay {
                            l.push_str(" + ");
                            val(&mut l, d);
                        }
                    }
                }
                l.push(' ');
                action(&mut l, a);
            }
            StmtKind::Every { period, action: a, until } => {
                l.push_str("every ");
                val(&mut l, period);
                l.push(' ');
                action(&mut l, a);
                if let Some(u) = until {
                    l.push_str(" until ");
                    val(&mut l, u);
                }
            }
            StmtKind::Expect(e) => expect(&mut l, e),
        }
        self.line_of(&l);
    }

    /// `machine` or `driver NAME` with its settings: on one line if there is at most one.
    fn settings(&mut self, head: String, settings: &[Setting]) {
        match settings {
            [] => self.line_of(&format!("{head} {{}}")),
            [one] => self.line_of(&format!("{head} {{ {} }}", setting(one))),
            many => {
                self.line_of(&format!("{head} {{"));
                for s in many {
                    self.line_of(&format!("  {}", setting(s)));
                }
                self.line_of("}");
            }
        }
    }

    fn block(&mut self, head: String, body: &[Step], depth: usize) {
        let pad = "  ".repeat(depth);
        if body.is_empty() {
            self.line_of(&format!("{pad}{head} {{}}"));
            return;
        }
        self.line_of(&format!("{pad}{head} {{"));
        for s in body {
            self.step(s, depth + 1);
        }
        self.line_of(&format!("{pad}}}"));
    }

    fn step(&mut self, s: &Step, depth: usize) {
        let mut l = String::new();
        match &s.kind {
            StepKind::MmapAnon { size, count } => {
                l.push_str("mmap anon ");
                val(&mut l, size);
                times(&mut l, count);
            }
            StepKind::MmapFile { file, size, count, shared } => {
                l.push_str("mmap file ");
                string(&mut l, &file.text);
                if let Some(s) = size {
                    l.push(' ');
                    val(&mut l, s);
                }
                times(&mut l, count);
                match shared {
                    Some(true) => l.push_str(" shared"),
                    Some(false) => l.push_str(" private"),
                    None => {}
                }
            }
            StepKind::MmapMaps { path } => {
                l.push_str("mmap maps ");
                val(&mut l, path);
            }
            StepKind::Munmap(None) => l.push_str("munmap all"),
            StepKind::Munmap(Some(n)) => {
                l.push_str("munmap ");
                val(&mut l, n);
            }
            StepKind::Fork { name, body } => {
                l.push_str("fork");
                if let Some(n) = name {
                    let _ = write!(l, " {}", n.text);
                }
                return self.block(l, body, depth);
            }
            StepKind::Register { driver, target: t } | StepKind::Unregister { driver, target: t } => {
                let word = if matches!(s.kind, StepKind::Register { .. }) { "register" } else { "unregister" };
                let _ = write!(l, "{word} {}", driver.text);
                if let Some(t) = t {
                    l.push_str(" of ");
                    target(&mut l, t);
                }
            }
            StepKind::RegisterFromMmap { driver, locked_entry } => {
                let word = if *locked_entry { "__register" } else { "register" };
                let _ = write!(l, "{word} {} from mmap", driver.text);
            }
            StepKind::Touch { count, scope } => {
                l.push_str("touch ");
                val(&mut l, count);
                match scope {
                    TouchScope::Mm => {}
                    TouchScope::Anon => l.push_str(" in anon"),
                    TouchScope::File(f) => {
                        l.push_str(" in file ");
                        string(&mut l, &f.text);
                    }
                }
            }
            StepKind::Mprotect(n) => {
                l.push_str("mprotect ");
                val(&mut l, n);
            }
            StepKind::Compute(d) => {
                l.push_str("compute ");
                val(&mut l, d);
            }
            StepKind::Sleep(d) => {
                l.push_str("sleep ");
                val(&mut l, d);
            }
            StepKind::Repeat { count, body } => {
                l.push_str("repeat ");
                val(&mut l, count);
                return self.block(l, body, depth);
            }
            StepKind::Exit => l.push_str("exit"),
        }
        self.line_of(&format!("{}{l}", "  ".repeat(depth)));
    }
}

fn times(l: &mut String, count: &Option<Val>) {
    if let Some(c) = count {
        l.push_str(" x ");
        val(l, c);
    }
}

fn setting(s: &Setting) -> String {
    let mut l = s.name.text.clone();
    if let Some(a) = &s.arg {
        let _ = write!(l, " {}", a.text);
    }
    l.push(' ');
    val(&mut l, &s.value);
    l
}

fn string(l: &mut String, s: &str) {
    l.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            l.push('\\');
        }
        l.push(c);
    }
    l.push('"');
}

fn lit(l: &mut String, x: &Lit) {
    match x {
        Lit::Number(n) | Lit::Word(n) => l.push_str(n),
        Lit::Str(s) => string(l, s),
    }
}

/// How tightly an operator binds: `*` and `/` over `+` and `-`.
fn rank(op: BinOp) -> u8 {
    match op {
        BinOp::Add | BinOp::Sub => 1,
        BinOp::Mul | BinOp::Div => 2,
    }
}

fn op_text(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
    }
}

fn val(l: &mut String, v: &Val) {
    match &v.kind {
        ValKind::Lit(x) => lit(l, x),
        ValKind::Var(n) => {
            let _ = write!(l, "${n}");
        }
        ValKind::Index => l.push_str("$index"),
        ValKind::Uniform(a, b) => {
            l.push_str("uniform(");
            val(l, a);
            l.push_str(", ");
            val(l, b);
            l.push(')');
        }
        ValKind::Exp(a) => {
            l.push_str("exp(");
            val(l, a);
            l.push(')');
        }
        ValKind::Bin(a, op, b) => {
            // Operators of one rank associate to the left, so a right operand of the same rank
            // keeps its parentheses.
            let wrap = |x: &Val, strict: bool| match &x.kind {
                ValKind::Bin(_, o, _) => rank(*o) < rank(*op) || (strict && rank(*o) == rank(*op)),
                _ => false,
            };
            operand(l, a, wrap(a, false));
            let _ = write!(l, " {} ", op_text(*op));
            operand(l, b, wrap(b, true));
        }
    }
}

fn operand(l: &mut String, v: &Val, parens: bool) {
    if parens {
        l.push('(');
    }
    val(l, v);
    if parens {
        l.push(')');
    }
}

fn target(l: &mut String, t: &TargetRef) {
    l.push_str(&t.name.text);
    if let Some(i) = &t.index {
        l.push('[');
        val(l, i);
        l.push(']');
    }
}

fn action(l: &mut String, a: &Action) {
    match &a.kind {
        ActionKind::OomKill(t) => {
            l.push_str("oom_kill ");
            target(l, t);
        }
        ActionKind::Kill(t) => {
            l.push_str("kill ");
            target(l, t);
        }
        ActionKind::Signal(t) => {
            l.push_str("signal ");
            target(l, t);
        }
        ActionKind::Reclaim(n) => {
            l.push_str("reclaim ");
            val(l, n);
        }
        ActionKind::Truncate(f) => {
            l.push_str("truncate ");
            string(l, &f.text);
        }
        ActionKind::VmallocHog(s) => {
            l.push_str("vmalloc_hog ");
            val(l, s);
        }
        ActionKind::VmallocFree(s) => {
            l.push_str("vmalloc_free ");
            val(l, s);
        }
    }
}

fn conds(l: &mut String, when: &[Cond]) {
    for (i, c) in when.iter().enumerate() {
        l.push_str(if i == 0 { " when " } else { " and " });
        let _ = write!(l, "{} {} ", c.name.text, if c.equal { "==" } else { "!=" });
        val(l, &c.value);
    }
}

fn expect(l: &mut String, e: &Expect) {
    l.push_str("expect ");
    if let Some(q) = e.qualifier.word() {
        let _ = write!(l, "{q} ");
    }
    match &e.kind {
        ExpectKind::Compare { lhs, op, rhs } => {
            expr(l, lhs);
            let _ = write!(l, " {} ", CmpOp::symbol(*op));
            expr(l, rhs);
        }
        ExpectKind::Slope { metric, param, lo, hi, .. } => {
            let _ = write!(l, "slope({}, {}) in ", metric.text, param.text);
            lit(l, lo);
            l.push_str("..");
            lit(l, hi);
        }
    }
    conds(l, &e.when);
}

fn expr(l: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Num(n) => l.push_str(n),
        ExprKind::Metric(m, at) => {
            l.push_str(&m.text);
            if !at.is_empty() {
                l.push('[');
                for (i, (n, v)) in at.iter().enumerate() {
                    if i > 0 {
                        l.push_str(", ");
                    }
                    let _ = write!(l, "{}=", n.text);
                    val(l, v);
                }
                l.push(']');
            }
        }
        ExprKind::Bin(a, op, b) => {
            let wrap = |x: &Expr, strict: bool| match &x.kind {
                ExprKind::Bin(_, o, _) => rank(*o) < rank(*op) || (strict && rank(*o) == rank(*op)),
                _ => false,
            };
            let (wa, wb) = (wrap(a, false), wrap(b, true));
            if wa {
                l.push('(');
            }
            expr(l, a);
            if wa {
                l.push(')');
            }
            let _ = write!(l, " {} ", op_text(*op));
            if wb {
                l.push('(');
            }
            expr(l, b);
            if wb {
                l.push(')');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Source;

    fn parse(name: &str, text: &str) -> Vec<Stmt> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let src = Source::new(name, text.to_string(), 0);
        crate::parse::parse_file(&src).unwrap_or_else(|d| panic!("{name}: {}", d.finish()))
    }

    /// The tree's Debug form without what printing cannot keep: spans and an `expect` line's
    /// recorded text.
    fn shape(stmts: &[Stmt]) -> String {
        let d = format!("{stmts:?}");
        let mut out = String::with_capacity(d.len());
        let mut rest = d.as_str();
        loop {
            let span = rest.find("Span { ");
            let text = rest.find("qualifier: ").and_then(|q| rest[q..].find(", text: \"").map(|t| q + t));
            let (at, is_span) = match (span, text) {
                (Some(s), Some(t)) if t < s => (t, false),
                (Some(s), _) => (s, true),
                (None, Some(t)) => (t, false),
                (None, None) => break,
            };
            out.push_str(&rest[..at]);
            if is_span {
                let end = rest[at..].find('}').map_or(rest.len(), |e| at + e + 1);
                out.push_str("Span");
                rest = &rest[end..];
            } else {
                // Skip `, text: "..."` with its escapes.
                let body = at + ", text: \"".len();
                let mut i = body;
                let bytes = rest.as_bytes();
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                rest = &rest[(i + 1).min(rest.len())..];
            }
        }
        out.push_str(rest);
        out
    }

    fn files() -> Vec<std::path::PathBuf> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        let mut dirs = vec![root.join("tests/data/ok"), root.join("../workloads")];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "wl") {
                    out.push(p);
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn every_ok_file_and_workload_prints_to_text_that_parses_back_to_its_tree() {
        let files = files();
        assert!(files.len() > 40, "{} files", files.len());
        for f in files {
            let name = f.display().to_string();
            let text = std::fs::read_to_string(&f).unwrap();
            let tree = parse(&name, &text);
            let printed = print(&[], &tree);
            let again = parse(&name, &printed.text);
            assert_eq!(shape(&tree), shape(&again), "{name}: printed as\n{}", printed.text);
            // Canonical: printing the reparsed tree gives the same text.
            assert_eq!(print(&[], &again).text, printed.text, "{name}");
            assert_eq!(printed.lines.len(), tree.len());
            for (s, &line) in again.iter().zip(&printed.lines) {
                if let StmtKind::Expect(e) = &s.kind {
                    let shown = printed.text.lines().nth(line as usize - 1).unwrap();
                    assert_eq!(shown, e.text, "{name}: line {line}");
                    assert_eq!(expect_text(e), e.text);
                }
            }
        }
    }

    #[test]
    fn operators_keep_their_grouping() {
        let src = "process p x ($n - (1 - 2)) * 3 { touch $a - $b - $c; touch $a / ($b * $c) }\n\
                   expect a.b - (c.d - 1) >= (x.y + 2) * 3 when strategy == mm_lock\n\
                   expect never slope(register.latency.mean, vmas) in -0.5..2 when k != \"s\\\"q\"\n";
        let tree = parse("ops.wl", src);
        let printed = print(&["# head".to_string()], &tree);
        assert_eq!(
            printed.text,
            "# head\nprocess p x ($n - (1 - 2)) * 3 {\n  touch $a - $b - $c\n  touch $a / ($b * $c)\n}\n\
             expect a.b - (c.d - 1) >= (x.y + 2) * 3 when strategy == mm_lock\n\
             expect never slope(register.latency.mean, vmas) in -0.5..2 when k != \"s\\\"q\"\n"
        );
        assert_eq!(printed.lines, vec![2, 6, 7]);
        assert_eq!(shape(&tree), shape(&parse("ops.wl", &printed.text)));
    }
}
