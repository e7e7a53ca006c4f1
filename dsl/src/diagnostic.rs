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
    pub fn error(&self, span: Span, message: impl Into<String>) -> Diagnostic {
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
            message: message.into(),
            help: None,
            order: (self.rank, start),
        }))
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
    message: String,
    help: Option<String>,
    order: (u8, usize),
}

impl Diagnostic {
    /// A diagnostic for a line that is not valid text (non-UTF-8 input): the caller gives the
    /// position and the line as it can be shown.
    pub(crate) fn at(file: &str, line: usize, col: usize, source_line: String, message: String) -> Diagnostic {
        Diagnostic(Box::new(Inner {
            file: file.to_string(),
            line,
            col,
            width: 1,
            source_line,
            message,
            help: None,
            order: (0, 0),
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

    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub fn help(&self) -> Option<&str> {
        self.0.help.as_deref()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}:{}:{}: error: {}", self.0.file, self.0.line, self.0.col, self.0.message)?;
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
        let mut seen: std::collections::BTreeSet<(u8, usize, String)> = std::collections::BTreeSet::new();
        let mut at_place = 0;
        for d in self.0 {
            if out.last().is_some_and(|last: &Diagnostic| last.0.order != d.0.order) {
                at_place = 0;
            }
            if at_place < PER_PLACE && seen.insert((d.0.order.0, d.0.order.1, d.0.message.clone())) {
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
        let d = src.error(Span::new(16, 22), "unknown strategy 'mm_lok'").with_help("did you mean 'mm_lock'?");
        assert_eq!(
            d.to_string(),
            "w.wl:2:10: error: unknown strategy 'mm_lok'\n  |\n2 | strategy mm_lok\n  |          ^^^^^^\n  = help: did you mean 'mm_lock'?"
        );
    }

    #[test]
    fn end_of_input_is_one_past_the_last_column() {
        let src = Source::new("w.wl", "ab".to_string(), 0);
        let d = src.error(Span::new(2, 2), "x");
        assert_eq!((d.line(), d.col()), (1, 3));
        let src = Source::new("w.wl", "ab\n".to_string(), 0);
        let d = src.error(Span::new(3, 3), "x");
        assert_eq!((d.line(), d.col()), (2, 1));
    }

    #[test]
    fn near_misses() {
        assert_eq!(distance("mm_lok", "mm_lock"), 1);
        assert_eq!(nearest("proces", ["process", "param"]), Some("process"));
        assert_eq!(nearest("zzzzzz", ["process", "param"]), None);
    }
}
