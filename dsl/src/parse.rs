//! Text to syntax tree: the only file that touches pest. Splits a file into top-level
//! statements, parses each with the grammar in `wl.pest`, and turns pest's errors into
//! diagnostics that say what was expected.

use crate::ast::*;
use crate::diagnostic::{nearest, Diagnostic, Diagnostics, ErrorKind, Source, Span};
use pest::error::InputLocation;
use pest::iterators::Pair;
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "wl.pest"]
struct WlParser;

/// Deepest nesting of `{`, `(` and `[` accepted; deeper input is refused before pest sees it
/// (pest's parser is recursive).
pub const MAX_NESTING: usize = 64;

/// A top-level statement's byte range, without its terminator.
#[derive(Clone, Copy, Debug)]
struct Chunk {
    start: usize,
    end: usize,
    /// A lexical error was reported inside; do not parse it.
    bad: bool,
}

/// Parses a whole file. Syntax errors of every statement are collected.
pub fn parse_file(src: &Source) -> Result<Vec<Stmt>, Diagnostics> {
    let (chunks, mut diags, fatal) = split(src);
    if fatal {
        return Err(diags);
    }
    let mut stmts = Vec::new();
    for chunk in chunks {
        if chunk.bad {
            continue;
        }
        let text = src.text().get(chunk.start..chunk.end).unwrap_or("");
        match parse_chunk(src, text, chunk.start) {
            Ok(s) => stmts.push(s),
            Err(d) => diags.push(d),
        }
    }
    if diags.is_empty() {
        Ok(stmts)
    } else {
        Err(diags)
    }
}

/// Splits at newlines and `;` outside braces, strings and comments; checks nesting depth and
/// unterminated strings on the way (a linear scan, so deep input never reaches pest).
fn split(src: &Source) -> (Vec<Chunk>, Diagnostics, bool) {
    let bytes = src.text().as_bytes();
    let mut chunks = Vec::new();
    let mut diags = Diagnostics::default();
    let mut start = 0;
    let mut bad = false;
    let mut braces = 0usize;
    let mut parens = 0usize;
    let mut i = 0;
    let end_chunk = |chunks: &mut Vec<Chunk>, start: usize, end: usize, bad: bool| {
        let text = src.text().get(start..end).unwrap_or("");
        let t = text.trim_start();
        if !(t.is_empty() || t.starts_with('#')) {
            chunks.push(Chunk { start, end, bad });
        }
    };
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                let open = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') => {
                            diags.push(
                                src.error(Span::new(open, i), ErrorKind::UnterminatedString)
                                    .with_help("close it with '\"' on the same line"),
                            );
                            bad = true;
                            break;
                        }
                        Some(b'\\') if bytes.get(i + 1).is_some_and(|&b| b != b'\n') => i += 2,
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                continue;
            }
            b @ (b'{' | b'(' | b'[') => {
                if b == b'{' {
                    braces += 1;
                } else {
                    parens += 1;
                }
                if braces + parens > MAX_NESTING {
                    diags.push(
                        src.error(Span::new(i, i + 1), ErrorKind::NestingTooDeep { limit: MAX_NESTING })
                            .with_help("flatten the blocks or parentheses"),
                    );
                    return (chunks, diags, true);
                }
            }
            b'}' => braces = braces.saturating_sub(1),
            b')' | b']' => parens = parens.saturating_sub(1),
            b'\n' | b';' if braces == 0 => {
                end_chunk(&mut chunks, start, i, bad);
                start = i + 1;
                bad = false;
                parens = 0;
            }
            _ => {}
        }
        i += 1;
    }
    end_chunk(&mut chunks, start, bytes.len(), bad);
    (chunks, diags, false)
}

/// Parses the value of a `-p NAME=VALUE` override. `offset` is where VALUE starts in `src`.
pub fn parse_override(src: &Source, text: &str, offset: usize) -> Result<Val, Diagnostic> {
    let mut pairs = WlParser::parse(Rule::override_value, text).map_err(|e| syntax_error(src, text, offset, e))?;
    let lit = pairs.next().ok_or_else(|| internal(src, offset))?;
    Builder { src, offset }.val(lit)
}

fn parse_chunk(src: &Source, text: &str, offset: usize) -> Result<Stmt, Diagnostic> {
    let mut pairs = WlParser::parse(Rule::top, text).map_err(|e| syntax_error(src, text, offset, e))?;
    let pair = pairs.next().ok_or_else(|| internal(src, offset))?;
    Builder { src, offset }.stmt(pair)
}

fn internal(src: &Source, offset: usize) -> Diagnostic {
    src.error(Span::new(offset, offset), ErrorKind::InternalParser)
}

// ---------------------------------------------------------------- syntax errors

const STMT_KWS: &[Rule] = &[
    Rule::kw_workload,
    Rule::kw_seed,
    Rule::kw_machine,
    Rule::kw_strategy,
    Rule::kw_option,
    Rule::kw_param,
    Rule::kw_sweep,
    Rule::kw_file,
    Rule::kw_driver,
    Rule::kw_process,
    Rule::kw_at,
    Rule::kw_every,
    Rule::kw_expect,
];

const STEP_KWS: &[Rule] = &[
    Rule::kw_mmap,
    Rule::kw_munmap,
    Rule::kw_fork,
    Rule::kw_register,
    Rule::kw_register_locked,
    Rule::kw_unregister,
    Rule::kw_touch,
    Rule::kw_mprotect,
    Rule::kw_compute,
    Rule::kw_sleep,
    Rule::kw_repeat,
    Rule::kw_exit,
];

const ACTION_KWS: &[Rule] = &[
    Rule::kw_oom_kill,
    Rule::kw_kill,
    Rule::kw_signal,
    Rule::kw_reclaim,
    Rule::kw_truncate,
    Rule::kw_vmalloc_hog,
    Rule::kw_vmalloc_free,
];

/// The keyword a `kw_*` rule matches.
fn keyword(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::kw_workload => "workload",
        Rule::kw_seed => "seed",
        Rule::kw_machine => "machine",
        Rule::kw_strategy => "strategy",
        Rule::kw_option => "option",
        Rule::kw_param => "param",
        Rule::kw_sweep => "sweep",
        Rule::kw_file => "file",
        Rule::kw_size => "size",
        Rule::kw_driver => "driver",
        Rule::kw_process => "process",
        Rule::kw_x => "x",
        Rule::kw_at => "at",
        Rule::kw_every => "every",
        Rule::kw_until => "until",
        Rule::kw_expect => "expect",
        Rule::kw_cost => "cost",
        Rule::kw_mmap => "mmap",
        Rule::kw_anon => "anon",
        Rule::kw_maps => "maps",
        Rule::kw_shared => "shared",
        Rule::kw_private => "private",
        Rule::kw_munmap => "munmap",
        Rule::kw_all => "all",
        Rule::kw_fork => "fork",
        Rule::kw_register => "register",
        Rule::kw_register_locked => "__register",
        Rule::kw_from => "from",
        Rule::kw_unregister => "unregister",
        Rule::kw_of => "of",
        Rule::kw_touch => "touch",
        Rule::kw_mprotect => "mprotect",
        Rule::kw_compute => "compute",
        Rule::kw_sleep => "sleep",
        Rule::kw_repeat => "repeat",
        Rule::kw_exit => "exit",
        Rule::kw_oom_kill => "oom_kill",
        Rule::kw_kill => "kill",
        Rule::kw_signal => "signal",
        Rule::kw_reclaim => "reclaim",
        Rule::kw_truncate => "truncate",
        Rule::kw_vmalloc_hog => "vmalloc_hog",
        Rule::kw_vmalloc_free => "vmalloc_free",
        Rule::kw_uniform => "uniform",
        Rule::kw_exp => "exp",
        Rule::kw_pow2 => "pow2",
        Rule::kw_slope => "slope",
        Rule::kw_in => "in",
        Rule::kw_when => "when",
        Rule::kw_and => "and",
        Rule::kw_always => "always",
        Rule::kw_sometimes => "sometimes",
        Rule::kw_never => "never",
        _ => return None,
    })
}

/// What a rule means to someone reading an error (one or more alternatives).
fn phrase(rule: Rule) -> Vec<String> {
    if let Some(k) = keyword(rule) {
        return vec![format!("'{k}'")];
    }
    let many: &[&str] = match rule {
        Rule::add_op => &["'+'", "'-'"],
        Rule::mul_op => &["'*'", "'/'"],
        Rule::eq_op => &["'=='", "'!='"],
        Rule::sharing => &["'shared'", "'private'"],
        Rule::qualifier => &["'always'", "'sometimes'", "'never'"],
        _ => &[],
    };
    if !many.is_empty() {
        return many.iter().map(|s| s.to_string()).collect();
    }
    let one = match rule {
        Rule::EOI => "end of statement",
        Rule::nl => "end of line",
        Rule::semi => "';'",
        Rule::lbrace => "'{'",
        Rule::rbrace => "'}'",
        Rule::lparen => "'('",
        Rule::rparen => "')'",
        Rule::lbracket => "'['",
        Rule::rbracket => "']'",
        Rule::comma => "','",
        Rule::dot => "'.'",
        Rule::dotdot => "'..'",
        Rule::assign => "'='",
        Rule::plus => "'+'",
        Rule::cmp_op => "a comparison (==, !=, <, <=, >, >=)",
        Rule::ident => "a name",
        Rule::number => "a number",
        Rule::variable => "a variable such as $vmas",
        Rule::string => "a string such as \"libc.so\"",
        Rule::metric => "a metric such as register.latency.max",
        Rule::from_mmap => "from mmap",
        Rule::size => "a size such as 4K or 2M",
        Rule::count => "a count such as 16",
        Rule::duration => "a duration such as 20us",
        Rule::num_arg => "a number or a variable",
        Rule::literal => "a value such as 4096, 4K, 20us, true, mm_lock or \"maps/qemu.maps\"",
        Rule::value => "a value such as 16, 4K, 20us or true",
        Rule::name_val => "a name or a variable",
        Rule::path => "a path such as \"maps/qemu.maps\" or a variable",
        Rule::list => "a list such as [1, 2, 4] or pow2(4..14)",
        Rule::items => "a list such as [1, 2, 4]",
        Rule::target => "a target such as rank or rank[0]",
        Rule::index => "an index such as 0, $i or $index + 1",
        Rule::group => "'('",
        Rule::uniform => "uniform(A, B)",
        Rule::exp => "exp(MEAN)",
        Rule::touch_scope => "'file' or 'anon'",
        Rule::anchor => "a time such as 20ms or rank.register + 10us",
        Rule::expr | Rule::term => "a metric or a number",
        Rule::setting => "a setting",
        Rule::block => "'{'",
        _ => return vec![format!("{rule:?}").replace('_', " ")],
    };
    vec![one.to_string()]
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => "something else".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The token at `rel` in `text` as an error shows it ("'proces'", "end of line"), and its
/// length; `after` is what follows `text` in the file.
fn found_at(text: &str, rel: usize, after: Option<char>) -> (String, usize) {
    let rest = text.get(rel..).unwrap_or("");
    let Some(c) = rest.chars().next() else {
        let what = match after {
            None => "end of file".to_string(),
            Some('\n') => "end of line".to_string(),
            Some(c) => format!("'{c}'"),
        };
        return (what, 0);
    };
    if c == '\n' {
        return ("end of line".to_string(), 0);
    }
    let word: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.').collect();
    if c.is_ascii_alphanumeric() || c == '_' {
        let word = word.trim_end_matches('.');
        return (format!("'{word}'"), word.len());
    }
    if c == '"' {
        let s: String = rest.chars().skip(1).take_while(|&c| c != '"' && c != '\n').collect();
        return (format!("\"{s}\""), s.len() + 2);
    }
    const OPS: &str = "=!<>";
    if OPS.contains(c) {
        let op: String = rest.chars().take_while(|c| OPS.contains(*c)).collect();
        return (format!("'{op}'"), op.len());
    }
    (format!("'{c}'"), c.len_utf8())
}

fn syntax_error(src: &Source, text: &str, offset: usize, e: pest::error::Error<Rule>) -> Diagnostic {
    let rel = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let after = src.text().get(offset + text.len()..).and_then(|t| t.chars().next());
    let (found, len) = found_at(text, rel, after);
    let span = Span::new(offset + rel, offset + rel + len);
    let positives = match e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives,
        pest::error::ErrorVariant::CustomError { message } => {
            return src.error(span, ErrorKind::Expected { expected: message, found })
        }
    };
    let mut rules: Vec<Rule> = Vec::new();
    for r in positives {
        if !rules.contains(&r) {
            rules.push(r);
        }
    }
    let mut expected: Vec<String> = Vec::new();
    let mut keywords: Vec<&'static str> = Vec::new();
    let mut grouped = |set: &[Rule], what: &str, rules: &mut Vec<Rule>, expected: &mut Vec<String>| {
        if set.iter().all(|r| rules.contains(r)) {
            rules.retain(|r| !set.contains(r));
            expected.push(what.to_string());
            keywords.extend(set.iter().filter_map(|&r| keyword(r)));
            true
        } else {
            false
        }
    };
    let stmt = grouped(STMT_KWS, "a statement", &mut rules, &mut expected);
    let step = grouped(STEP_KWS, "a step", &mut rules, &mut expected);
    grouped(ACTION_KWS, "an action", &mut rules, &mut expected);
    if stmt || step {
        // Blank lines are always allowed there; listing them is noise.
        rules.retain(|r| !matches!(r, Rule::nl | Rule::semi));
    }
    for &r in &rules {
        if let Some(k) = keyword(r) {
            keywords.push(k);
        }
        if r == Rule::touch_scope {
            keywords.extend(["file", "anon"]);
        }
        for p in phrase(r) {
            if !expected.contains(&p) {
                expected.push(p);
            }
        }
    }
    let word = found.trim_matches('\'');
    let help = if found.starts_with('\'') {
        nearest(word, keywords.iter().copied()).map(|k| format!("did you mean '{k}'?"))
    } else {
        None
    };
    let help = help.or_else(|| qualifier_typo(text)).or_else(|| {
        if found == "end of file" && rules.contains(&Rule::rbrace) {
            Some("a '{' above is not closed".to_string())
        } else if rules.contains(&Rule::ident) && word.chars().any(|c| c.is_ascii_uppercase()) {
            Some("names are lower case: letters a-z, digits and '_'".to_string())
        } else if [Rule::count, Rule::index, Rule::variable].iter().any(|r| rules.contains(r))
            && found.starts_with('\'')
            && word.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        {
            Some(format!("a parameter is written with '$': ${word}"))
        } else if stmt {
            Some(format!(
                "a statement starts with one of: {}",
                STMT_KWS.iter().filter_map(|&r| keyword(r)).collect::<Vec<_>>().join(", ")
            ))
        } else if step {
            Some(format!(
                "a step is one of: {}",
                STEP_KWS.iter().filter_map(|&r| keyword(r)).collect::<Vec<_>>().join(", ")
            ))
        } else {
            None
        }
    });
    src.error(span, ErrorKind::Expected { expected: join_or(&expected), found }).with_help_opt(help)
}

/// `expect alwys ...`: the word after `expect` is a near miss of a qualifier, which the
/// grammar took for a metric.
fn qualifier_typo(stmt: &str) -> Option<String> {
    let mut words = stmt.split_whitespace();
    if words.next() != Some("expect") {
        return None;
    }
    let word = words.next()?;
    const QUALIFIERS: [&str; 3] = ["always", "sometimes", "never"];
    if QUALIFIERS.contains(&word) {
        return words
            .next()
            .filter(|w| QUALIFIERS.contains(w))
            .map(|_| "one qualifier at most: always, sometimes or never".to_string());
    }
    if word.contains(['.', '(']) {
        return None;
    }
    nearest(word, QUALIFIERS.iter().copied()).map(|k| format!("did you mean '{k}'?"))
}

// ---------------------------------------------------------------- tree building

type R<T> = Result<T, Diagnostic>;

struct Builder<'s> {
    src: &'s Source,
    offset: usize,
}

/// Punctuation and keywords that carry no information once the rule that holds them is known.
fn is_noise(rule: Rule) -> bool {
    match rule {
        Rule::kw_shared | Rule::kw_private | Rule::kw_all => false,
        Rule::nl
        | Rule::semi
        | Rule::lbrace
        | Rule::rbrace
        | Rule::lparen
        | Rule::rparen
        | Rule::lbracket
        | Rule::rbracket
        | Rule::comma
        | Rule::dot
        | Rule::dotdot
        | Rule::assign
        | Rule::plus
        | Rule::EOI => true,
        r => keyword(r).is_some(),
    }
}

impl<'s> Builder<'s> {
    fn span(&self, p: &Pair<Rule>) -> Span {
        let s = p.as_span();
        Span::new(self.offset + s.start(), self.offset + s.end())
    }

    fn internal(&self, p: &Pair<Rule>) -> Diagnostic {
        self.src.error(self.span(p), ErrorKind::InternalParser)
    }

    fn kids<'i>(&self, p: Pair<'i, Rule>) -> std::collections::VecDeque<Pair<'i, Rule>> {
        p.into_inner().filter(|k| !is_noise(k.as_rule())).collect()
    }

    fn next<'i>(
        &self,
        kids: &mut std::collections::VecDeque<Pair<'i, Rule>>,
        parent: &Pair<Rule>,
    ) -> R<Pair<'i, Rule>> {
        kids.pop_front().ok_or_else(|| self.internal(parent))
    }

    fn next_if<'i>(&self, kids: &mut std::collections::VecDeque<Pair<'i, Rule>>, rule: Rule) -> Option<Pair<'i, Rule>> {
        if kids.front().is_some_and(|k| k.as_rule() == rule) {
            kids.pop_front()
        } else {
            None
        }
    }

    fn name(&self, p: &Pair<Rule>) -> Name {
        Name { text: p.as_str().to_string(), span: self.span(p) }
    }

    /// A string literal, unescaped.
    fn string(&self, p: &Pair<Rule>) -> R<Name> {
        let raw = p.as_str();
        let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
        let mut out = String::new();
        let mut chars = inner.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some((_, e @ ('"' | '\\'))) => out.push(e),
                Some((_, e)) => {
                    let at = self.span(p).start + 1 + i;
                    return Err(self
                        .src
                        .error(Span::new(at, at + 1 + e.len_utf8()), ErrorKind::UnknownEscape { escape: e })
                        .with_help("a string knows only the escapes \\\" and \\\\"));
                }
                None => out.push('\\'),
            }
        }
        Ok(Name { text: out, span: self.span(p) })
    }

    fn stmt(&self, p: Pair<Rule>) -> R<Stmt> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let text = p.as_str().to_string();
        let mut k = self.kids(p.clone());
        let kind = match rule {
            Rule::workload_stmt => StmtKind::Workload(self.string(&self.next(&mut k, &p)?)?),
            Rule::seed_stmt => StmtKind::Seed(self.val(self.next(&mut k, &p)?)?),
            Rule::machine_stmt => StmtKind::Machine(k.into_iter().map(|s| self.setting(s)).collect::<R<_>>()?),
            Rule::strategy_stmt => StmtKind::Strategy(self.val(self.next(&mut k, &p)?)?),
            Rule::option_stmt => {
                let name = self.name(&self.next(&mut k, &p)?);
                StmtKind::Option { name, value: self.val(self.next(&mut k, &p)?)? }
            }
            Rule::param_stmt => {
                let name = self.name(&self.next(&mut k, &p)?);
                StmtKind::Param { name, value: self.val(self.next(&mut k, &p)?)? }
            }
            Rule::sweep_stmt => {
                let name = self.name(&self.next(&mut k, &p)?);
                StmtKind::Sweep { name, list: self.list(self.next(&mut k, &p)?)? }
            }
            Rule::file_stmt => {
                let name = self.string(&self.next(&mut k, &p)?)?;
                StmtKind::File { name, size: self.val(self.next(&mut k, &p)?)? }
            }
            Rule::driver_stmt => {
                let name = self.name(&self.next(&mut k, &p)?);
                StmtKind::Driver { name, settings: k.into_iter().map(|s| self.setting(s)).collect::<R<_>>()? }
            }
            Rule::process_stmt => {
                let name = self.name(&self.next(&mut k, &p)?);
                let count = self.next_if(&mut k, Rule::count).map(|c| self.val(c)).transpose()?;
                let when = match self.next_if(&mut k, Rule::when_clause) {
                    Some(w) => self.when(w)?,
                    None => Vec::new(),
                };
                StmtKind::Process { name, count, when, body: self.block(self.next(&mut k, &p)?)? }
            }
            Rule::at_stmt => {
                let t = self.next(&mut k, &p)?;
                let time = if t.as_rule() == Rule::anchor {
                    let mut a = self.kids(t.clone());
                    let target = self.target(self.next(&mut a, &t)?)?;
                    let step = self.name(&self.next(&mut a, &t)?);
                    let delay = a.pop_front().map(|d| self.val(d)).transpose()?;
                    AtTime::Anchor { target, step, delay }
                } else {
                    AtTime::Abs(self.val(t)?)
                };
                StmtKind::At { time, action: self.action(self.next(&mut k, &p)?)? }
            }
            Rule::every_stmt => {
                let period = self.val(self.next(&mut k, &p)?)?;
                let action = self.action(self.next(&mut k, &p)?)?;
                let until = k.pop_front().map(|d| self.val(d)).transpose()?;
                StmtKind::Every { period, action, until }
            }
            Rule::expect_stmt => StmtKind::Expect(self.expect(&p, &mut k, &text)?),
            _ => return Err(self.internal(&p)),
        };
        Ok(Stmt { kind, span })
    }

    fn setting(&self, p: Pair<Rule>) -> R<Setting> {
        let span = self.span(&p);
        let mut outer = self.kids(p.clone());
        let inner = self.next(&mut outer, &p)?;
        let is_cost = inner.as_rule() == Rule::cost_setting;
        let mut k = self.kids(inner.clone());
        if is_cost {
            let arg = self.name(&self.next(&mut k, &inner)?);
            let value = self.val(self.next(&mut k, &inner)?)?;
            let kw = Name { text: "cost".to_string(), span: Span::new(span.start, span.start + 4) };
            Ok(Setting { name: kw, arg: Some(arg), value, span })
        } else {
            let name = self.name(&self.next(&mut k, &inner)?);
            Ok(Setting { name, arg: None, value: self.val(self.next(&mut k, &inner)?)?, span })
        }
    }

    fn list(&self, p: Pair<Rule>) -> R<List> {
        let mut outer = self.kids(p.clone());
        let inner = self.next(&mut outer, &p)?;
        let span = self.span(&inner);
        let is_pow2 = inner.as_rule() == Rule::pow2;
        let mut k = self.kids(inner.clone());
        if is_pow2 {
            let a = self.val(self.next(&mut k, &inner)?)?;
            let b = self.val(self.next(&mut k, &inner)?)?;
            Ok(List::Pow2(a, b, span))
        } else {
            Ok(List::Items(k.into_iter().map(|v| self.val(v)).collect::<R<_>>()?, span))
        }
    }

    /// Any value position: `size`, `count`, `duration`, `value`, `literal`, `name_val`,
    /// `num_arg`, or a bare `number`, `ident` or `variable`.
    fn val(&self, p: Pair<Rule>) -> R<Val> {
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::count | Rule::index | Rule::group => return self.int_expr(p),
            Rule::size | Rule::duration | Rule::value | Rule::literal | Rule::name_val | Rule::path | Rule::num_arg => {
                let mut k = self.kids(p.clone());
                return self.val(self.next(&mut k, &p)?);
            }
            Rule::number => ValKind::Lit(Lit::Number(p.as_str().to_string())),
            Rule::ident => ValKind::Lit(Lit::Word(p.as_str().to_string())),
            Rule::string => ValKind::Lit(Lit::Str(self.string(&p)?.text)),
            Rule::variable => {
                let name = p.as_str().trim_start_matches('$');
                if name == "index" {
                    ValKind::Index
                } else {
                    ValKind::Var(name.to_string())
                }
            }
            Rule::uniform => {
                let mut k = self.kids(p.clone());
                let a = self.val(self.next(&mut k, &p)?)?;
                let b = self.val(self.next(&mut k, &p)?)?;
                ValKind::Uniform(Box::new(a), Box::new(b))
            }
            Rule::exp => {
                let mut k = self.kids(p.clone());
                ValKind::Exp(Box::new(self.val(self.next(&mut k, &p)?)?))
            }
            _ => return Err(self.internal(&p)),
        };
        Ok(Val { kind, span })
    }

    /// `count`, `index` or `group`: operands and operators, flat; `*` and `/` bind tighter
    /// than `+` and `-`, each level left to right. A group's span covers its parentheses.
    fn int_expr(&self, p: Pair<Rule>) -> R<Val> {
        let span = self.span(&p);
        let is_group = p.as_rule() == Rule::group;
        let mut k = self.kids(p.clone());
        let first = self.val(self.next(&mut k, &p)?)?;
        // Sums of products: `sum` holds the finished terms, `term` the product being built.
        let mut sum: Option<(Val, BinOp)> = None;
        let mut term = first;
        let bin = |a: Val, op: BinOp, b: Val| {
            let span = a.span.to(b.span);
            Val { kind: ValKind::Bin(Box::new(a), op, Box::new(b)), span }
        };
        while let Some(op) = k.pop_front() {
            let rhs = self.val(self.next(&mut k, &p)?)?;
            let bop = match op.as_str() {
                "+" => BinOp::Add,
                "-" => BinOp::Sub,
                "*" => BinOp::Mul,
                _ => BinOp::Div,
            };
            if op.as_rule() == Rule::mul_op {
                term = bin(term, bop, rhs);
            } else {
                let done = match sum.take() {
                    Some((acc, aop)) => bin(acc, aop, term),
                    None => term,
                };
                sum = Some((done, bop));
                term = rhs;
            }
        }
        let mut v = match sum {
            Some((acc, op)) => bin(acc, op, term),
            None => term,
        };
        if is_group {
            v.span = span;
        }
        Ok(v)
    }

    fn block(&self, p: Pair<Rule>) -> R<Block> {
        self.kids(p).into_iter().map(|s| self.step(s)).collect()
    }

    fn step(&self, p: Pair<Rule>) -> R<Step> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut k = self.kids(p.clone());
        let kind = match rule {
            Rule::mmap_anon => {
                let size = self.val(self.next(&mut k, &p)?)?;
                StepKind::MmapAnon { size, count: k.pop_front().map(|c| self.val(c)).transpose()? }
            }
            Rule::mmap_file => {
                let file = self.string(&self.next(&mut k, &p)?)?;
                let size = self.next_if(&mut k, Rule::size).map(|v| self.val(v)).transpose()?;
                let count = self.next_if(&mut k, Rule::count).map(|v| self.val(v)).transpose()?;
                let shared = self.next_if(&mut k, Rule::sharing).map(|s| s.as_str().trim() == "shared");
                StepKind::MmapFile { file, size, count, shared }
            }
            Rule::mmap_maps => StepKind::MmapMaps { path: self.val(self.next(&mut k, &p)?)? },
            Rule::munmap => {
                let what = self.next(&mut k, &p)?;
                if what.as_rule() == Rule::kw_all {
                    StepKind::Munmap(None)
                } else {
                    StepKind::Munmap(Some(self.val(what)?))
                }
            }
            Rule::fork => {
                let name = self.next_if(&mut k, Rule::ident).map(|n| self.name(&n));
                StepKind::Fork { name, body: self.block(self.next(&mut k, &p)?)? }
            }
            Rule::register_locked => {
                let driver = self.name(&self.next(&mut k, &p)?);
                StepKind::RegisterFromMmap { driver, locked_entry: true }
            }
            Rule::register if k.back().is_some_and(|x| x.as_rule() == Rule::from_mmap) => {
                let driver = self.name(&self.next(&mut k, &p)?);
                StepKind::RegisterFromMmap { driver, locked_entry: false }
            }
            Rule::register | Rule::unregister => {
                let driver = self.name(&self.next(&mut k, &p)?);
                let target = k.pop_front().map(|t| self.target(t)).transpose()?;
                if rule == Rule::register {
                    StepKind::Register { driver, target }
                } else {
                    StepKind::Unregister { driver, target }
                }
            }
            Rule::touch => {
                let count = self.val(self.next(&mut k, &p)?)?;
                let scope = match k.pop_front() {
                    None => TouchScope::Mm,
                    Some(s) => match self.kids(s).pop_front() {
                        Some(file) => TouchScope::File(self.string(&file)?),
                        None => TouchScope::Anon,
                    },
                };
                StepKind::Touch { count, scope }
            }
            Rule::mprotect => StepKind::Mprotect(self.val(self.next(&mut k, &p)?)?),
            Rule::compute => StepKind::Compute(self.val(self.next(&mut k, &p)?)?),
            Rule::sleep => StepKind::Sleep(self.val(self.next(&mut k, &p)?)?),
            Rule::repeat => {
                let count = self.val(self.next(&mut k, &p)?)?;
                StepKind::Repeat { count, body: self.block(self.next(&mut k, &p)?)? }
            }
            Rule::exit => StepKind::Exit,
            _ => return Err(self.internal(&p)),
        };
        Ok(Step { kind, span })
    }

    fn target(&self, p: Pair<Rule>) -> R<TargetRef> {
        let span = self.span(&p);
        let mut k = self.kids(p.clone());
        let name = self.name(&self.next(&mut k, &p)?);
        let index = k.pop_front().map(|i| self.val(i)).transpose()?;
        Ok(TargetRef { name, index, span })
    }

    fn action(&self, p: Pair<Rule>) -> R<Action> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut k = self.kids(p.clone());
        let arg = self.next(&mut k, &p)?;
        let kind = match rule {
            Rule::oom_kill => ActionKind::OomKill(self.target(arg)?),
            Rule::kill => ActionKind::Kill(self.target(arg)?),
            Rule::signal => ActionKind::Signal(self.target(arg)?),
            Rule::reclaim => ActionKind::Reclaim(self.val(arg)?),
            Rule::truncate => ActionKind::Truncate(self.string(&arg)?),
            Rule::vmalloc_hog => ActionKind::VmallocHog(self.val(arg)?),
            Rule::vmalloc_free => ActionKind::VmallocFree(self.val(arg)?),
            _ => return Err(self.internal(&p)),
        };
        Ok(Action { kind, span })
    }

    fn expect(&self, p: &Pair<Rule>, k: &mut std::collections::VecDeque<Pair<Rule>>, text: &str) -> R<Expect> {
        let mut check = self.next(k, p)?;
        let mut qualifier = Qualifier::Plain;
        if check.as_rule() == Rule::qualifier {
            qualifier = match check.as_str() {
                "always" => Qualifier::Always,
                "sometimes" => Qualifier::Sometimes,
                _ => Qualifier::Never,
            };
            check = self.next(k, p)?;
        }
        let kind = if check.as_rule() == Rule::slope_check {
            let mut c = self.kids(check.clone());
            let m = self.next(&mut c, &check)?;
            let metric = MetricPath { text: m.as_str().to_string(), span: self.span(&m) };
            let param = self.name(&self.next(&mut c, &check)?);
            let lo = self.next(&mut c, &check)?;
            let hi = self.next(&mut c, &check)?;
            ExpectKind::Slope {
                metric,
                param,
                lo: Lit::Number(lo.as_str().to_string()),
                hi: Lit::Number(hi.as_str().to_string()),
                lo_span: self.span(&lo),
                hi_span: self.span(&hi),
            }
        } else {
            let mut c = self.kids(check.clone());
            let lhs = self.expr(self.next(&mut c, &check)?)?;
            let op = match self.next(&mut c, &check)?.as_str() {
                "==" => CmpOp::Eq,
                "!=" => CmpOp::Ne,
                "<" => CmpOp::Lt,
                "<=" => CmpOp::Le,
                ">" => CmpOp::Gt,
                _ => CmpOp::Ge,
            };
            let rhs = self.expr(self.next(&mut c, &check)?)?;
            ExpectKind::Compare { lhs, op, rhs }
        };
        let when = match k.pop_front() {
            Some(w) => self.when(w)?,
            None => Vec::new(),
        };
        Ok(Expect { kind, when, qualifier, text: strip_comment(text).trim().to_string() })
    }

    /// `when NAME ==|!= VALUE (and ...)*`.
    fn when(&self, w: Pair<Rule>) -> R<Vec<Cond>> {
        let mut when = Vec::new();
        for cond in self.kids(w) {
            let mut c = self.kids(cond.clone());
            let name = self.name(&self.next(&mut c, &cond)?);
            let equal = self.next(&mut c, &cond)?.as_str() == "==";
            let value = self.val(self.next(&mut c, &cond)?)?;
            when.push(Cond { name, equal, value });
        }
        Ok(when)
    }

    fn expr(&self, p: Pair<Rule>) -> R<Expr> {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::expr | Rule::term => {
                let mut k = self.kids(p.clone());
                let mut acc = self.expr(self.next(&mut k, &p)?)?;
                while let Some(op) = k.pop_front() {
                    let op = match op.as_str() {
                        "+" => BinOp::Add,
                        "-" => BinOp::Sub,
                        "*" => BinOp::Mul,
                        _ => BinOp::Div,
                    };
                    let rhs = self.expr(self.next(&mut k, &p)?)?;
                    let span = acc.span.to(rhs.span);
                    acc = Expr { kind: ExprKind::Bin(Box::new(acc), op, Box::new(rhs)), span };
                }
                Ok(acc)
            }
            Rule::number => Ok(Expr { kind: ExprKind::Num(p.as_str().to_string()), span }),
            Rule::metric_ref => {
                let mut k = self.kids(p.clone());
                let m = self.next(&mut k, &p)?;
                let path = MetricPath { text: m.as_str().to_string(), span: self.span(&m) };
                let mut at = Vec::new();
                for a in k {
                    let mut c = self.kids(a.clone());
                    let name = self.name(&self.next(&mut c, &a)?);
                    at.push((name, self.val(self.next(&mut c, &a)?)?));
                }
                Ok(Expr { kind: ExprKind::Metric(path, at), span })
            }
            _ => Err(self.internal(&p)),
        }
    }
}

/// The text before a `#` that is outside any string.
fn strip_comment(text: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => return text.get(..i).unwrap_or(text),
            _ => {}
        }
    }
    text
}
