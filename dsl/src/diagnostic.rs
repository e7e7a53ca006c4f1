//! Diagnostics: source positions, the one renderer for every error, and "did you mean".

use std::fmt;

/// A byte range in one source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end: end.max(start) }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A named text that spans point into: the workload file, or the `-p` overrides as one line.
#[derive(Clone, Debug)]
pub struct Source {
    name: String,
    text: String,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
    /// Where diagnostics from this source sort relative to other sources.
    rank: u8,
}

impl Source {
    pub fn new(name: &str, text: String, rank: u8) -> Source {
        let mut line_starts = vec![0];
        line_starts.extend(text.char_indices().filter(|&(_, c)| c == '\n').map(|(i, _)| i + 1));
        Source { name: name.to_string(), text, line_starts, rank }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 1-based line and column (in characters) of byte `offset`.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let li = self.line_index(offset);
        let line_start = self.line_starts.get(li).copied().unwrap_or(0);
        let col = self.text.get(line_start..offset).map_or(0, |p| p.chars().count()) + 1;
        (li + 1, col)
    }

    /// Where a diagnostic at byte `offset` sorts among the others.
    pub(crate) fn order(&self, offset: usize) -> (u8, usize) {
        (self.rank, offset)
    }

    /// The 0-based line holding byte `offset` (clamped to the text).
    fn line_index(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// The text of the 0-based line `i`, without its newline.
    fn line_text(&self, i: usize) -> &str {
        let start = self.line_starts.get(i).copied().unwrap_or(self.text.len());
        let end = self.line_starts.get(i + 1).map_or(self.text.len(), |&e| e.saturating_sub(1));
        let line = self.text.get(start..end.max(start)).unwrap_or("");
        line.strip_suffix('\r').unwrap_or(line)
    }

    /// The 1-based line of byte `offset`.
    pub fn line_of(&self, offset: usize) -> u32 {
        u32::try_from(self.line_index(offset) + 1).unwrap_or(u32::MAX)
    }

    /// A diagnostic at `span`.
    pub fn error(&self, span: Span, kind: ErrorKind) -> Diagnostic {
        let mut start = span.start.min(self.text.len());
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        let li = self.line_index(start);
        let line_start = self.line_starts.get(li).copied().unwrap_or(0);
        let line = self.line_text(li);
        let prefix = self.text.get(line_start..start).unwrap_or("");
        let col = prefix.chars().count() + 1;
        let line_end = line_start + line.len();
        let end = span.end.clamp(start, line_end.max(start));
        let width = self.text.get(start..end).map_or(1, |s| s.chars().count()).max(1);
        Diagnostic(Box::new(Inner {
            file: self.name.clone(),
            line: li + 1,
            col,
            width,
            source_line: line.to_string(),
            message: kind.to_string(),
            kind,
            note: None,
            help: None,
            order: (self.rank, start),
            warning: false,
        }))
    }

    /// A warning at `span`: the workload loads, but something in it is likely not meant.
    pub fn warning(&self, span: Span, kind: ErrorKind) -> Diagnostic {
        let mut d = self.error(span, kind);
        d.0.warning = true;
        d
    }
}

/// A thing that has a name in a workload, as errors quote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Thing {
    File,
    Driver,
    Process,
    Target,
    Variable,
}

impl Thing {
    fn quote(self, name: &str) -> String {
        match self {
            Thing::File => format!("file \"{name}\""),
            Thing::Driver => format!("driver '{name}'"),
            Thing::Process => format!("process '{name}'"),
            Thing::Target => format!("target '{name}'"),
            Thing::Variable => format!("variable '${name}'"),
        }
    }
}

/// What is wrong, with the facts the message needs. Every message is written in
/// `Display` below, in one match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    // ---- input and syntax
    NotUtf8 {
        byte: u8,
    },
    UnterminatedString,
    NestingTooDeep {
        limit: usize,
    },
    /// `expected` and `found` are already phrased ("a size such as 4K or 2M", "'}'").
    Expected {
        expected: String,
        found: String,
    },
    UnknownEscape {
        escape: char,
    },
    InternalParser,
    NewlineInValue,
    // ---- names
    /// `what` is the kind of name: "strategy", "option", "metric", ...
    Unknown {
        what: &'static str,
        name: String,
    },
    /// A name from a variable: `unknown strategy 'x' ($s = x)`.
    UnknownFromVariable {
        what: &'static str,
        name: String,
        variable: String,
    },
    Undefined {
        thing: Thing,
        name: String,
    },
    UnknownAnchor {
        name: String,
    },
    DefinedTwice {
        thing: Thing,
        name: String,
    },
    AlreadyDefined {
        name: String,
        as_what: &'static str,
    },
    GivenTwice {
        name: String,
    },
    SetTwice {
        name: String,
        place: String,
    },
    OptionSetTwice {
        name: String,
    },
    StrategySetAndSwept,
    IndexReserved,
    StrategyParam,
    ForkNamedLikeProcess {
        name: String,
    },
    // ---- values and kinds
    TooLarge {
        text: String,
    },
    FloatTooLarge {
        text: String,
    },
    NotANumber {
        text: String,
    },
    /// `what` says what cannot be negative: "a count must be positive", "a size cannot be negative".
    Negative {
        what: &'static str,
        text: String,
    },
    TakesNoUnit {
        what: &'static str,
        text: String,
    },
    NotWhole {
        text: String,
    },
    /// `of` is "size ", "duration " or "".
    UnknownUnit {
        of: &'static str,
        unit: String,
        text: String,
    },
    SizeNotWhole {
        text: String,
    },
    DurationNeedsUnit {
        text: String,
    },
    FractionalNs {
        text: String,
    },
    NotLiteral {
        what: &'static str,
    },
    NotWrittenOut {
        expected: &'static str,
    },
    ExpectedStrategy,
    /// A variable (or `$index`) of the wrong kind for its position.
    VariableKind {
        expected: &'static str,
        name: String,
        kind: &'static str,
    },
    /// A param's value of the wrong kind (`text` is the value as written, if shown).
    WrongKind {
        name: String,
        kind: &'static str,
        found: &'static str,
        text: Option<String>,
    },
    MixedSweep {
        found: &'static str,
        others: &'static str,
    },
    EmptySweep {
        name: String,
    },
    StrategySweepNotList,
    Pow2TooHigh {
        hi: u64,
    },
    EmptyRange {
        lo: String,
        hi: String,
    },
    IndexOutside,
    RandomNotAllowed,
    RandomInArithmetic,
    // ---- checks
    SlopeNotSwept {
        name: String,
    },
    SlopeNotNumeric {
        name: String,
        kind: &'static str,
    },
    SlopeStrategy,
    SlopeBound {
        text: String,
    },
    HistogramNeedsField {
        name: String,
    },
    NoField {
        name: String,
        kind: &'static str,
        field: String,
    },
    // ---- limits, per point (`from` is " ($vmas = 4096)" when a variable gave the value)
    PointMissing {
        name: String,
    },
    PointStrategy,
    NotPositive {
        what: &'static str,
        value: i64,
        from: String,
    },
    /// A count that reads `$index` may be 0 for some instances, never negative.
    NegativeCount {
        what: &'static str,
        value: i64,
        from: String,
    },
    Overflow {
        from: String,
    },
    DivisionByZero {
        from: String,
    },
    TooMany {
        what: &'static str,
        n: u64,
        max: u64,
        from: String,
    },
    UniformEmpty {
        lo: String,
        hi: String,
        from: String,
    },
    RandomCanBeZero {
        what: &'static str,
        how: &'static str,
    },
    FileOverMemory {
        name: String,
        size: String,
        memory: String,
        from: String,
    },
    MappingOverFile {
        size: String,
        name: String,
        file_size: String,
        from: String,
    },
    OverMapCount {
        n: u64,
        limit: u64,
        from: String,
    },
    OverMemory {
        n: u64,
        size: String,
        total: String,
        memory: String,
        from: String,
    },
    MmapOverflow {
        n: u64,
        size: String,
        from: String,
    },
    IndexOutOfRange {
        name: String,
        index: i64,
        instances: Option<u32>,
        from: String,
    },
    TooManyPoints {
        points: String,
        limit: u64,
    },
    // ---- warnings
    /// A sweep of several values that nothing the run depends on reads; `by_expect` when
    /// expect lines name it.
    UnreadSweep {
        name: String,
        values: usize,
        by_expect: bool,
    },
    // ---- maps files (`mmap maps PATH`)
    MapsUnreadable {
        path: String,
        why: String,
    },
    MapsTooLarge {
        path: String,
        limit_mib: usize,
    },
    MapsEmpty {
        path: String,
    },
    /// `base` is "hexadecimal" or "decimal".
    MapsNumber {
        what: &'static str,
        text: String,
        base: &'static str,
    },
    MapsTooBig {
        what: &'static str,
        text: String,
    },
    MapsEmptyRange {
        start: String,
        end: String,
    },
    MapsUnaligned {
        what: &'static str,
        text: String,
    },
    MapsPermission {
        expected: &'static str,
        found: char,
    },
    MapsOverlap {
        line: usize,
        end: String,
    },
    MapsUnsorted {
        line: usize,
    },
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ErrorKind::*;
        match self {
            NotUtf8 { byte } => write!(f, "the file is not valid UTF-8 (byte 0x{byte:02X})"),
            UnterminatedString => write!(f, "unterminated string"),
            NestingTooDeep { limit } => write!(f, "nesting deeper than {limit} levels"),
            Expected { expected, found } => write!(f, "expected {expected}, found {found}"),
            UnknownEscape { escape } => write!(f, "unknown escape '\\{escape}' in a string"),
            InternalParser => write!(f, "internal error: the parser gave an unexpected tree"),
            NewlineInValue => write!(f, "a value cannot contain a newline"),
            Unknown { what, name } => write!(f, "unknown {what} '{name}'"),
            UnknownFromVariable { what, name, variable } => write!(f, "unknown {what} '{name}' (${variable} = {name})"),
            Undefined { thing, name } => write!(f, "undefined {}", thing.quote(name)),
            UnknownAnchor { name } => write!(f, "unknown step '{name}' to wait for"),
            DefinedTwice { thing, name } => write!(f, "{} is defined twice", thing.quote(name)),
            AlreadyDefined { name, as_what } => write!(f, "'{name}' is already defined as {as_what}"),
            GivenTwice { name } => write!(f, "'{name}' is given twice"),
            SetTwice { name, place } => write!(f, "'{name}' is set twice in {place}"),
            OptionSetTwice { name } => write!(f, "option '{name}' is set twice"),
            StrategySetAndSwept => write!(f, "the strategy is both set and swept"),
            IndexReserved => write!(f, "'index' is reserved for $index, the instance number"),
            StrategyParam => write!(f, "'strategy' cannot be a param"),
            ForkNamedLikeProcess { name } => write!(f, "fork child '{name}' has the name of a process"),
            TooLarge { text } => write!(f, "'{text}' is too large (the limit is {})", u64::MAX),
            FloatTooLarge { text } => write!(f, "'{text}' is too large"),
            NotANumber { text } => write!(f, "'{text}' is not a number"),
            Negative { what, text } => write!(f, "{what}, found {text}"),
            TakesNoUnit { what, text } => write!(f, "{what} takes no unit, found '{text}'"),
            NotWhole { text } => write!(f, "expected a whole number, found '{text}'"),
            UnknownUnit { of, unit, text } => write!(f, "unknown {of}unit '{unit}' in '{text}'"),
            SizeNotWhole { text } => write!(f, "a size must be a whole number, found '{text}'"),
            DurationNeedsUnit { text } => write!(f, "a duration needs a unit, found '{text}'"),
            FractionalNs { text } => write!(f, "{text} is not a whole number of nanoseconds"),
            NotLiteral { what } => write!(f, "a {what} value must be a literal such as 4096, 4K, 20us or true"),
            NotWrittenOut { expected } => write!(f, "expected {expected} written out, not a variable"),
            ExpectedStrategy => write!(f, "expected a strategy such as mm_lock"),
            VariableKind { expected, name, kind } => write!(f, "expected {expected}, but ${name} is {kind}"),
            WrongKind { name, kind, found, text } => {
                write!(f, "'{name}' is {kind}, found {found}")?;
                match text {
                    Some(t) => write!(f, " '{t}'"),
                    None => Ok(()),
                }
            }
            MixedSweep { found, others } => write!(f, "{found} among values that are {others}"),
            EmptySweep { name } => write!(f, "sweep '{name}' has no values"),
            StrategySweepNotList => write!(f, "a strategy sweep needs a list of names such as [mm_lock, unsorted]"),
            Pow2TooHigh { hi } => write!(f, "pow2 goes up to 2^63, found {hi}"),
            EmptyRange { lo, hi } => write!(f, "empty range {lo}..{hi}"),
            IndexOutside => write!(f, "$index is only defined inside a process body"),
            RandomNotAllowed => write!(f, "a random value is not allowed here"),
            RandomInArithmetic => write!(f, "a random value cannot be part of arithmetic"),
            SlopeNotSwept { name } => write!(f, "slope needs a swept parameter, but '{name}' is a param"),
            SlopeNotNumeric { name, kind } => write!(f, "slope needs a numeric sweep, but '{name}' is {kind}"),
            SlopeStrategy => write!(f, "slope needs a numeric sweep, but strategies are names"),
            SlopeBound { text } => write!(f, "a slope bound is a plain number, found '{text}'"),
            HistogramNeedsField { name } => {
                write!(f, "histogram '{name}' needs a field: .count .min .mean .p50 .p90 .p99 or .max")
            }
            NoField { name, kind, field } => write!(f, "'{name}' is {kind} and has no field '{field}'"),
            PointMissing { name } => write!(f, "no value of the right kind for parameter '{name}' at this point"),
            PointStrategy => write!(f, "no valid strategy at this point"),
            NotPositive { what, value, from } => write!(f, "{what} must be positive, found {value}{from}"),
            NegativeCount { what, value, from } => write!(f, "{what} cannot be negative, found {value}{from}"),
            Overflow { from } => write!(f, "this arithmetic overflows 64-bit signed integers{from}"),
            DivisionByZero { from } => write!(f, "division by zero{from}"),
            TooMany { what, n, max, from } => write!(f, "{what} must be at most {max}, found {n}{from}"),
            UniformEmpty { lo, hi, from } => {
                write!(f, "uniform({lo}, {hi}) is empty: the first bound is above the second{from}")
            }
            RandomCanBeZero { what, how } => write!(f, "{what} must be positive, but {how}"),
            FileOverMemory { name, size, memory, from } => {
                write!(f, "file \"{name}\" of {size} is larger than the machine's memory ({memory}){from}")
            }
            MappingOverFile { size, name, file_size, from } => {
                write!(f, "a mapping of {size} is larger than file \"{name}\" ({file_size}){from}")
            }
            OverMapCount { n, limit, from } => write!(f, "mmap of {n} VMAs is more than max_map_count ({limit}){from}"),
            OverMemory { n, size, total, memory, from } => {
                write!(f, "mmap of {n} x {size} = {total} is more than the machine's memory ({memory}){from}")
            }
            MmapOverflow { n, size, from } => write!(f, "mmap of {n} x {size} overflows 64 bits{from}"),
            IndexOutOfRange { name, index, instances, from } => match instances {
                Some(n) => write!(
                    f,
                    "{name}[{index}] is out of range: {name} has {n} instance(s), 0 to {}{from}",
                    n.saturating_sub(1)
                ),
                None => write!(f, "{name}[{index}] is out of range{from}"),
            },
            TooManyPoints { points, limit } => {
                write!(f, "the sweeps make {points} points, more than the limit of {limit}")
            }
            UnreadSweep { name, values, by_expect: false } => {
                write!(f, "no statement reads sweep '{name}': its {values} values all run the same simulation")
            }
            UnreadSweep { name, values, by_expect: true } => {
                write!(f, "only expect lines read sweep '{name}': its {values} values all run the same simulation")
            }
            MapsUnreadable { path, why } => write!(f, "cannot read maps file \"{path}\": {why}"),
            MapsTooLarge { path, limit_mib } => write!(f, "maps file \"{path}\" is larger than {limit_mib} MiB"),
            MapsEmpty { path } => write!(f, "maps file \"{path}\" has no mappings"),
            MapsNumber { what, text, base } => write!(f, "the {what} '{text}' is not a {base} number"),
            MapsTooBig { what, text } => write!(f, "the {what} '{text}' does not fit in 64 bits"),
            MapsEmptyRange { start, end } => write!(f, "the mapping ends at {end}, not above its start {start}"),
            MapsUnaligned { what, text } => write!(f, "the {what} {text} is not page-aligned (4K)"),
            MapsPermission { expected, found } => {
                write!(f, "expected {expected} in the permissions, found '{found}'")
            }
            MapsOverlap { line, end } => write!(f, "this mapping overlaps the one on line {line}, which ends at {end}"),
            MapsUnsorted { line } => {
                write!(f, "this mapping lies below the one on line {line}: maps are in address order")
            }
        }
    }
}

/// Widest source line shown whole.
const WINDOW: usize = 100;

/// One error, with where it is and what would fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic(Box<Inner>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    file: String,
    line: usize,
    col: usize,
    /// Number of characters the carets cover.
    width: usize,
    source_line: String,
    kind: ErrorKind,
    /// `kind` rendered.
    message: String,
    /// Where the text came from, when it is not the workload itself (a maps file).
    note: Option<String>,
    help: Option<String>,
    order: (u8, usize),
    /// A warning, not an error.
    warning: bool,
}

impl Diagnostic {
    /// A diagnostic for a line that is not valid text (non-UTF-8 input): the caller gives the
    /// position and the line as it can be shown.
    pub(crate) fn at(file: &str, line: usize, col: usize, source_line: String, kind: ErrorKind) -> Diagnostic {
        Diagnostic(Box::new(Inner {
            file: file.to_string(),
            line,
            col,
            width: 1,
            source_line,
            message: kind.to_string(),
            kind,
            note: None,
            help: None,
            order: (0, 0),
            warning: false,
        }))
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.0.help = Some(help.into());
        self
    }

    pub(crate) fn with_help_opt(mut self, help: Option<String>) -> Diagnostic {
        self.0.help = help;
        self
    }

    /// An error in a file that a workload's step read: `note` says which step, and the error
    /// sorts at that step among the workload's own errors.
    pub(crate) fn pulled_in(mut self, note: String, order: (u8, usize)) -> Diagnostic {
        self.0.note = Some(note);
        self.0.order = order;
        self
    }

    pub fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    pub fn file(&self) -> &str {
        &self.0.file
    }

    /// 1-based line.
    pub fn line(&self) -> usize {
        self.0.line
    }

    /// 1-based column, in characters.
    pub fn col(&self) -> usize {
        self.0.col
    }

    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub fn help(&self) -> Option<&str> {
        self.0.help.as_deref()
    }

    /// Whether this is a warning rather than an error.
    pub fn is_warning(&self) -> bool {
        self.0.warning
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = if self.0.warning { "warning" } else { "error" };
        writeln!(f, "{}:{}:{}: {severity}: {}", self.0.file, self.0.line, self.0.col, self.0.message)?;
        let num = self.0.line.to_string();
        let pad = " ".repeat(num.len());
        writeln!(f, "{pad} |")?;
        let chars: Vec<char> =
            self.0.source_line.chars().map(|c| if c.is_control() && c != '\t' { ' ' } else { c }).collect();
        // A long line is shown as a window around the column.
        let col = self.0.col.saturating_sub(1);
        let (from, to) = if chars.len() > WINDOW {
            let from = col.saturating_sub(WINDOW / 2);
            (from, (from + WINDOW).min(chars.len()))
        } else {
            (0, chars.len())
        };
        let head = if from > 0 { "..." } else { "" };
        let tail = if to < chars.len() { "..." } else { "" };
        let shown: String = chars.get(from..to).unwrap_or(&[]).iter().collect();
        writeln!(f, "{num} | {head}{}{tail}", shown.trim_end())?;
        // Keep tabs under tabs so the carets line up in a terminal.
        let under = chars.get(from..col.max(from)).unwrap_or(&[]).iter().map(|&c| if c == '\t' { '\t' } else { ' ' });
        let lead: String = head.chars().map(|_| ' ').chain(under).collect();
        write!(f, "{pad} | {lead}{}", "^".repeat(self.0.width))?;
        if let Some(note) = &self.0.note {
            write!(f, "\n{pad} = note: {note}")?;
        }
        if let Some(help) = &self.0.help {
            write!(f, "\n{pad} = help: {help}")?;
        }
        Ok(())
    }
}

/// Every diagnostic of one load, in source order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub(crate) fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// Sorts by position (stable, so two errors at one place keep the order they were found
    /// in), drops exact repeats, and keeps at most [`PER_PLACE`] errors at one place (a limit
    /// broken by many swept values would otherwise repeat once per point).
    pub(crate) fn finish(mut self) -> Diagnostics {
        self.0.sort_by_key(|d| d.0.order);
        let mut out: Vec<Diagnostic> = Vec::with_capacity(self.0.len());
        type Key = (u8, usize, String, usize, usize, String);
        let mut seen: std::collections::BTreeSet<Key> = std::collections::BTreeSet::new();
        let mut at_place = 0;
        for d in self.0 {
            if out.last().is_some_and(|last: &Diagnostic| last.0.order != d.0.order) {
                at_place = 0;
            }
            let key = (d.0.order.0, d.0.order.1, d.0.file.clone(), d.0.line, d.0.col, d.0.message.clone());
            if at_place < PER_PLACE && seen.insert(key) {
                at_place += 1;
                out.push(d);
            }
        }
        Diagnostics(out)
    }
}

/// Most errors reported at one place.
pub const PER_PLACE: usize = 5;

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// Edit distance over characters, a swap of two neighbours counting as one edit (optimal
/// string alignment).
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j - 1] + cost).min(d[(i - 1) * w + j] + 1).min(d[i * w + j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// The known name nearest to `word`, if it is near enough to be a likely typo.
pub fn nearest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for k in known {
        if k == word {
            continue;
        }
        let d = distance(word, k);
        let limit = (word.chars().count().max(k.chars().count()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, k));
        }
    }
    best.map(|(_, k)| k)
}

/// "did you mean 'X'?" for a near miss; otherwise the list of known names when it is short.
pub fn suggest<'a>(word: &str, known: impl IntoIterator<Item = &'a str> + Clone) -> Option<String> {
    if let Some(k) = nearest(word, known.clone()) {
        return Some(format!("did you mean '{k}'?"));
    }
    let all: Vec<&str> = known.into_iter().collect();
    match all.len() {
        0 => None,
        1..=12 => Some(format!("expected one of: {}", all.join(", "))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_with_carets_and_help() {
        let src = Source::new("w.wl", "seed 1\nstrategy mm_lok\n".to_string(), 0);
        let kind = ErrorKind::Unknown { what: "strategy", name: "mm_lok".to_string() };
        let d = src.error(Span::new(16, 22), kind).with_help("did you mean 'mm_lock'?");
        assert_eq!(
            d.to_string(),
            "w.wl:2:10: error: unknown strategy 'mm_lok'\n  |\n2 | strategy mm_lok\n  |          ^^^^^^\n  = help: did you mean 'mm_lock'?"
        );
    }

    #[test]
    fn end_of_input_is_one_past_the_last_column() {
        let src = Source::new("w.wl", "ab".to_string(), 0);
        let d = src.error(Span::new(2, 2), ErrorKind::UnterminatedString);
        assert_eq!((d.line(), d.col()), (1, 3));
        let src = Source::new("w.wl", "ab\n".to_string(), 0);
        let d = src.error(Span::new(3, 3), ErrorKind::UnterminatedString);
        assert_eq!((d.line(), d.col()), (2, 1));
    }

    #[test]
    fn near_misses() {
        assert_eq!(distance("mm_lok", "mm_lock"), 1);
        assert_eq!(nearest("proces", ["process", "param"]), Some("process"));
        assert_eq!(nearest("zzzzzz", ["process", "param"]), None);
    }
}
