//! Real layouts: a `/proc/PID/maps` text read at load time for `mmap maps PATH`, checked line by
//! line, and turned into the VMAs and files of the model.
//!
//! A line is `START-END PERMS OFFSET DEV INODE [PATHNAME]`, as `show_map_vma()` prints it. Every
//! field is checked; the model uses the range (the VMA's size), `w` and `p`/`s` of the
//! permissions (whether the VMA has an anon_vma), the offset (how far the file must reach),
//! the device and inode (which address_space, so which i_mmap lock) and the pathname (anonymous,
//! special, or a file's name). The kernel prints mappings in address order without overlaps, so
//! anything else is an error.

use crate::check::{quote, Ir, StepIr, StepIrKind, Typed, VK};
use crate::diagnostic::{Diagnostic, Diagnostics, ErrorKind, Source, Span, PER_PLACE};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// Largest maps file read: 16 MiB is about 100 000 lines with long paths, past any
/// `max_map_count` a machine is likely to run with.
pub const MAX_MAPS_BYTES: usize = 16 << 20;

/// The page size the addresses must be aligned to (x86-64's; what sim's pages are).
const PAGE: u64 = 4096;

/// The kernel's identity of a mapped file: its inode (so its address_space and i_mmap lock).
/// Every `anon_inode:` file shares one inode, and each `/dev/zero (deleted)` mapping has its
/// own, so the path alone would say both wrong.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKey {
    Inode {
        dev: (u32, u32),
        inode: u64,
    },
    /// Inode 0 with a path: the path is all there is.
    Path(String),
}

#[derive(Clone, Debug)]
pub struct MapsFile {
    pub key: FileKey,
    /// The path of its first line.
    pub name: String,
    /// The furthest any of its mappings reaches: offset plus length.
    pub size_bytes: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backing {
    /// Anonymous memory, `[heap]`, `[stack]`, `[anon:NAME]`: its own anon_vma.
    Anon,
    /// A mapping of `files[file]`; a private writable one also has its own anon_vma.
    File { file: usize, anon_vma: bool },
}

#[derive(Clone, Debug)]
pub struct MapsVma {
    pub bytes: u64,
    pub backing: Backing,
    /// The line's address range, for errors that point at it.
    pub span: Span,
}

/// One maps file, read and checked.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The text, for errors found later (a point's `max_map_count`).
    pub src: Source,
    pub vmas: Vec<MapsVma>,
    pub files: Vec<MapsFile>,
    /// Special mappings (`[vdso]`, `[vvar]`, `[vsyscall]`, ...) by name, in the order first seen.
    pub skipped: Vec<(String, u32)>,
}

/// What a maps file gave, for `sim run` to print and tests to compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutSummary {
    /// As written in the workload.
    pub written: String,
    /// As read: relative to the workload's folder.
    pub path: String,
    pub vmas: u64,
    pub anonymous: u64,
    pub file_vmas: u64,
    pub files: u64,
    /// Anonymous VMAs plus private writable file VMAs: each has its own.
    pub anon_vmas: u64,
    pub pages: u64,
    pub skipped: Vec<(String, u32)>,
}

impl LayoutSummary {
    /// The distinct rmap locks an mm with only this layout has: what one mm_lock takes.
    pub fn locks(&self) -> u64 {
        self.files + self.anon_vmas
    }
}

impl Layout {
    pub fn summary(&self, written: &str) -> LayoutSummary {
        let anonymous = self.vmas.iter().filter(|v| v.backing == Backing::Anon).count() as u64;
        let private = self.vmas.iter().filter(|v| matches!(v.backing, Backing::File { anon_vma: true, .. })).count();
        LayoutSummary {
            written: written.to_string(),
            path: self.src.name().to_string(),
            vmas: self.vmas.len() as u64,
            anonymous,
            file_vmas: self.vmas.len() as u64 - anonymous,
            files: self.files.len() as u64,
            anon_vmas: anonymous + private as u64,
            pages: self.vmas.iter().map(|v| v.bytes / PAGE).sum(),
            skipped: self.skipped.clone(),
        }
    }
}

/// Every layout a workload's steps name, by the path as written; `None` where reading or
/// checking it failed (the error is already reported).
pub type Layouts = BTreeMap<String, Option<Layout>>;

/// Reads a maps file from the file system: a regular file (a procfs one is), at most
/// [`MAX_MAPS_BYTES`] + 1 bytes so that a larger one is refused without reading it all.
pub fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(MAX_MAPS_BYTES as u64 + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The maps paths the steps of a workload can name: each with the first step that names it
/// (and the variable that gave it, if one did).
fn uses(ir: &Ir) -> Vec<(String, &StepIr, Option<&str>)> {
    fn walk<'a>(ir: &'a Ir, steps: &'a [StepIr], out: &mut Vec<(String, &'a StepIr, Option<&'a str>)>) {
        for s in steps {
            match &s.kind {
                StepIrKind::MmapMaps { path } => match &path.kind {
                    VK::Const(Typed::Str(p)) => out.push((p.clone(), s, None)),
                    VK::Var(i) => {
                        if let Some(param) = ir.params.get(*i) {
                            for v in &param.values {
                                if let Typed::Str(p) = v {
                                    out.push((p.clone(), s, Some(param.name.as_str())));
                                }
                            }
                        }
                    }
                    _ => {}
                },
                StepIrKind::Fork { body, .. } | StepIrKind::Repeat { body, .. } => walk(ir, body, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for p in &ir.processes {
        walk(ir, &p.body, &mut out);
    }
    out
}

/// Where an error in a maps file came from: the workload step that read it.
pub fn note(src: &Source, step: Span, var: Option<&str>, written: &str) -> (String, (u8, usize)) {
    let (line, col) = src.position(step.start);
    let text = src.text().get(step.start..step.end).unwrap_or("").trim();
    let from = var.map(|v| format!(" (${v} = {})", quote(written))).unwrap_or_default();
    (format!("read for {}:{line}:{col}: {text}{from}", src.name()), src.order(step.start))
}

/// Reads and checks every maps file the workload names, once each.
pub fn read_all(
    ir: &Ir,
    src: &Source,
    workload: &str,
    read: &dyn Fn(&Path) -> std::io::Result<Vec<u8>>,
    diags: &mut Diagnostics,
) -> Layouts {
    let mut out = Layouts::new();
    let folder = Path::new(workload).parent().unwrap_or(Path::new(""));
    for (written, step, var) in uses(ir) {
        if out.contains_key(&written) {
            continue;
        }
        let path = folder.join(&written);
        let shown = path.display().to_string();
        let (note_text, order) = note(src, step.span, var, &written);
        let at_step = |kind: ErrorKind, help: &str| src.error(step.span, kind).with_help(help);
        let layout = match read(&path) {
            Err(e) => {
                let why = match e.kind() {
                    std::io::ErrorKind::NotFound => "no such file".to_string(),
                    std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                    _ => e.to_string(),
                };
                let help = "the path is relative to the workload's folder; capture a layout with `sim maps PID > FILE`";
                diags.push(at_step(ErrorKind::MapsUnreadable { path: shown, why }, help));
                None
            }
            Ok(bytes) if bytes.len() > MAX_MAPS_BYTES => {
                let kind = ErrorKind::MapsTooLarge { path: shown, limit_mib: MAX_MAPS_BYTES >> 20 };
                diags.push(at_step(kind, "a maps file has one short line per mapping"));
                None
            }
            Ok(bytes) => match parse(&shown, &bytes) {
                Ok(l) if l.vmas.is_empty() && l.skipped.is_empty() => {
                    diags.push(at_step(ErrorKind::MapsEmpty { path: shown }, "a kernel thread has an empty maps file"));
                    None
                }
                Ok(l) => Some(l),
                Err(d) => {
                    for e in d.iter() {
                        diags.push(e.clone().pulled_in(note_text.clone(), order));
                    }
                    None
                }
            },
        };
        out.insert(written, layout);
    }
    out
}

/// One line being read: its text, where it starts in the file, and how far it has been read.
struct Cursor<'a> {
    text: &'a str,
    base: usize,
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// The next field separated by spaces or tabs, with its span; `None` at the end of the line.
    fn field(&mut self) -> Option<(&'a str, Span)> {
        self.skip_blanks();
        let rest = self.text.get(self.pos..).unwrap_or("");
        if rest.is_empty() {
            return None;
        }
        let len = rest.find([' ', '\t']).unwrap_or(rest.len());
        let start = self.pos;
        self.pos += len;
        Some((rest.get(..len).unwrap_or(""), Span::new(self.base + start, self.base + start + len)))
    }

    fn skip_blanks(&mut self) {
        let rest = self.text.get(self.pos..).unwrap_or("");
        self.pos += rest.len() - rest.trim_start_matches([' ', '\t']).len();
    }

    /// What is left of the line after the blanks: the pathname.
    fn rest(&mut self) -> &'a str {
        self.skip_blanks();
        self.text.get(self.pos..).unwrap_or("")
    }

    fn end(&self) -> Span {
        Span::new(self.base + self.text.len(), self.base + self.text.len())
    }
}

type R<T> = Result<T, Diagnostic>;

/// One line's fields.
struct Line<'a> {
    start: u64,
    end: u64,
    range: Span,
    write: bool,
    shared: bool,
    offset: u64,
    dev: (u32, u32),
    inode: u64,
    path: &'a str,
}

/// `text` as a number in `radix`, or the error that says why not.
fn number(src: &Source, text: &str, span: Span, what: &'static str, radix: u32) -> R<u64> {
    let base = if radix == 16 { "hexadecimal" } else { "decimal" };
    if text.is_empty() || !text.chars().all(|c| c.is_digit(radix)) {
        return Err(src.error(span, ErrorKind::MapsNumber { what, text: text.to_string(), base }));
    }
    u64::from_str_radix(text, radix)
        .map_err(|_| src.error(span, ErrorKind::MapsTooBig { what, text: text.to_string() }))
}

fn expected(src: &Source, span: Span, expected: &str, found: &str) -> Diagnostic {
    let found = if found.is_empty() { "end of line".to_string() } else { format!("'{found}'") };
    src.error(span, ErrorKind::Expected { expected: expected.to_string(), found })
}

fn read_line<'a>(src: &Source, c: &mut Cursor<'a>) -> R<Line<'a>> {
    const RANGE: &str = "an address range such as 7f1c2a000000-7f1c2a021000";
    let (range, range_span) = c.field().ok_or_else(|| expected(src, c.end(), RANGE, ""))?;
    let Some((a, b)) = range.split_once('-') else {
        return Err(expected(src, range_span, RANGE, range));
    };
    let a_span = Span::new(range_span.start, range_span.start + a.len());
    let b_span = Span::new(a_span.end + 1, range_span.end);
    let start = number(src, a, a_span, "start address", 16)?;
    let end = number(src, b, b_span, "end address", 16)?;
    if end <= start {
        return Err(src.error(range_span, ErrorKind::MapsEmptyRange { start: a.to_string(), end: b.to_string() }));
    }
    for (v, text, span, what) in [(start, a, a_span, "start address"), (end, b, b_span, "end address")] {
        if v % PAGE != 0 {
            return Err(src.error(span, ErrorKind::MapsUnaligned { what, text: text.to_string() }));
        }
    }

    const PERMS: &str = "permissions such as r-xp";
    let (perms, perms_span) = c.field().ok_or_else(|| expected(src, c.end(), PERMS, ""))?;
    if perms.chars().count() != 4 {
        return Err(expected(src, perms_span, PERMS, perms));
    }
    const ALLOWED: [(&str, &str); 4] =
        [("r-", "'r' or '-'"), ("w-", "'w' or '-'"), ("x-", "'x' or '-'"), ("ps", "'p' or 's'")];
    for ((i, ch), (ok, say)) in perms.char_indices().zip(ALLOWED) {
        if !ok.contains(ch) {
            let at = perms_span.start + i;
            return Err(
                src.error(Span::new(at, at + ch.len_utf8()), ErrorKind::MapsPermission { expected: say, found: ch })
            );
        }
    }

    const OFFSET: &str = "a file offset such as 00026000";
    let (off, off_span) = c.field().ok_or_else(|| expected(src, c.end(), OFFSET, ""))?;
    let offset = number(src, off, off_span, "file offset", 16)?;

    const DEV: &str = "a device such as fd:01";
    let (dev, dev_span) = c.field().ok_or_else(|| expected(src, c.end(), DEV, ""))?;
    let dev_part = |t: &str| (!t.is_empty() && t.len() <= 8).then(|| u32::from_str_radix(t, 16).ok()).flatten();
    let dev = match dev.split_once(':').map(|(a, b)| (dev_part(a), dev_part(b))) {
        Some((Some(major), Some(minor))) => (major, minor),
        _ => return Err(expected(src, dev_span, DEV, dev)),
    };

    const INODE: &str = "an inode number such as 1234";
    let (inode, inode_span) = c.field().ok_or_else(|| expected(src, c.end(), INODE, ""))?;
    let inode = number(src, inode, inode_span, "inode", 10)?;

    let write = perms.as_bytes().get(1) == Some(&b'w');
    let shared = perms.as_bytes().get(3) == Some(&b's');
    if offset.checked_add(end - start).is_none() {
        return Err(
            src.error(off_span, ErrorKind::MapsTooBig { what: "file offset plus length", text: off.to_string() })
        );
    }
    Ok(Line { start, end, range: range_span, write, shared, offset, dev, inode, path: c.rest() })
}

/// What a pathname makes of a line.
enum Kind {
    Anon,
    File,
    Special,
}

fn kind(path: &str) -> Kind {
    if path.is_empty() {
        return Kind::Anon;
    }
    if !path.starts_with('[') {
        return Kind::File;
    }
    // `[stack:TID]` is how kernels before 4.5 named thread stacks; `[anon:NAME]` is a name given
    // with prctl(PR_SET_VMA_ANON_NAME).
    if path == "[heap]" || path == "[stack]" || path.starts_with("[stack:") || path.starts_with("[anon:") {
        Kind::Anon
    } else {
        Kind::Special
    }
}

/// Checks a maps file's text and makes its layout. `name` is how errors name the file.
pub fn parse(name: &str, bytes: &[u8]) -> Result<Layout, Diagnostics> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let d = crate::not_utf8(name, bytes, e.valid_up_to())
                .with_help("sim reads maps files as UTF-8: edit the path on this line (only its identity matters)");
            return Err(d.into());
        }
    };
    let src = Source::new(name, text.to_string(), 0);
    let mut layout = Layout { src: src.clone(), vmas: Vec::new(), files: Vec::new(), skipped: Vec::new() };
    let mut files: BTreeMap<FileKey, usize> = BTreeMap::new();
    let mut diags = Diagnostics::default();
    // The last good line: start, end, line number.
    let mut last: Option<(u64, u64, usize)> = None;
    let mut base = 0;
    for (i, raw) in text.split('\n').enumerate() {
        let line_start = base;
        base += raw.len() + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        if diags.len() >= PER_PLACE {
            break;
        }
        let mut c = Cursor { text: line, base: line_start, pos: 0 };
        let l = match read_line(&src, &mut c) {
            Ok(l) => l,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        if let Some((prev_start, prev_end, prev_line)) = last {
            if l.start < prev_end {
                let kind = if l.end <= prev_start {
                    ErrorKind::MapsUnsorted { line: prev_line }
                } else {
                    ErrorKind::MapsOverlap { line: prev_line, end: format!("{prev_end:x}") }
                };
                diags.push(src.error(l.range, kind));
                continue;
            }
        }
        last = Some((l.start, l.end, i + 1));
        let bytes = l.end - l.start;
        let backing = match kind(l.path) {
            Kind::Special => {
                match layout.skipped.iter_mut().find(|(n, _)| n == l.path) {
                    Some((_, n)) => *n += 1,
                    None => layout.skipped.push((l.path.to_string(), 1)),
                }
                continue;
            }
            Kind::Anon => Backing::Anon,
            Kind::File => {
                let key = if l.inode == 0 {
                    FileKey::Path(l.path.to_string())
                } else {
                    FileKey::Inode { dev: l.dev, inode: l.inode }
                };
                let reach = l.offset + bytes;
                let file = *files.entry(key.clone()).or_insert_with(|| {
                    layout.files.push(MapsFile { key, name: l.path.to_string(), size_bytes: 0 });
                    layout.files.len() - 1
                });
                if let Some(f) = layout.files.get_mut(file) {
                    f.size_bytes = f.size_bytes.max(reach);
                }
                // A private mapping gets an anon_vma at its first write fault; one that cannot be
                // written never does, and its pages stay page-cache pages under i_mmap.
                Backing::File { file, anon_vma: l.write && !l.shared }
            }
        };
        layout.vmas.push(MapsVma { bytes, backing, span: l.range });
    }
    if diags.is_empty() {
        Ok(layout)
    } else {
        Err(diags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIBC: &str =
        "7fbd0f43c000-7fbd0f462000 r--p 00000000 fe:00 326279                     /usr/lib/x86_64-linux-gnu/libc.so.6";

    #[test]
    fn a_library_an_anonymous_mapping_and_a_special_one() {
        let text = format!(
            "{LIBC}\n7fbd0f60f000-7fbd0f611000 rw-p 001d3000 fe:00 326279                     /usr/lib/x86_64-linux-gnu/libc.so.6\n\
             7fbd0f611000-7fbd0f61e000 rw-p 00000000 00:00 0 \n\
             7fbd0f629000-7fbd0f62d000 r--p 00000000 00:00 0                          [vvar]\n"
        );
        let l = parse("t.maps", text.as_bytes()).unwrap();
        assert_eq!(l.vmas.len(), 3);
        assert_eq!(l.files.len(), 1);
        assert_eq!(l.files[0].size_bytes, 0x1d3000 + 0x2000);
        assert_eq!(l.vmas[0].backing, Backing::File { file: 0, anon_vma: false });
        assert_eq!(l.vmas[1].backing, Backing::File { file: 0, anon_vma: true });
        assert_eq!(l.vmas[2].backing, Backing::Anon);
        assert_eq!(l.skipped, vec![("[vvar]".to_string(), 1)]);
        let s = l.summary("t.maps");
        assert_eq!((s.vmas, s.anonymous, s.file_vmas, s.files, s.anon_vmas, s.locks()), (3, 1, 2, 1, 2, 3));
    }

    #[test]
    fn paths_keep_their_spaces_and_inodes_decide_the_file() {
        let text = "1000-2000 rw-s 00000000 00:01 7 /dev/zero (deleted)\n\
                    2000-3000 rw-s 00000000 00:01 8 /dev/zero (deleted)\n\
                    3000-4000 rw-s 00000000 00:10 26 anon_inode:kvm-vcpu:0\n\
                    4000-5000 rw-s 00000000 00:10 26 anon_inode:kvm-vcpu:1\n\
                    5000-6000 r--p 00000000 fe:00 9 /tmp/a b\n";
        let l = parse("t.maps", text.as_bytes()).unwrap();
        let names: Vec<&str> = l.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["/dev/zero (deleted)", "/dev/zero (deleted)", "anon_inode:kvm-vcpu:0", "/tmp/a b"]);
    }

    #[test]
    fn errors_point_at_the_field() {
        let cases = [
            ("1000-2000 r-xp 0 fe:00", (1, 23), "expected an inode number such as 1234, found end of line"),
            ("1000-2g00 r-xp 0 fe:00 1", (1, 6), "the end address '2g00' is not a hexadecimal number"),
            ("2000-1000 r-xp 0 fe:00 1", (1, 1), "the mapping ends at 1000, not above its start 2000"),
            ("1000-2000 r-qp 0 fe:00 1", (1, 13), "expected 'x' or '-' in the permissions, found 'q'"),
            ("1000-2000 r-xp 0 fe00 1", (1, 18), "expected a device such as fd:01, found 'fe00'"),
        ];
        for (line, at, message) in cases {
            let d = parse("t.maps", line.as_bytes()).unwrap_err();
            let d = d.iter().next().unwrap();
            assert_eq!(((d.line(), d.col()), d.message()), (at, message), "{line}");
        }
    }
}
