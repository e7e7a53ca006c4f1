//! What a traced run records: task and lock events in time order, as plain data. The binary
//! turns it into a Chrome trace; the model only appends, and never reads it back.

use crate::kernel::locks::LockId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceKind {
    Acquired(LockId),
    Released(LockId),
    WaitBegin(LockId),
    WaitEnd(LockId),
    /// A kernel operation starts or ends (register, munmap, exit_mmap, ...).
    OpBegin(&'static str),
    OpEnd(&'static str),
    /// A notifier callback of a driver (invalidate_range_start, ->release, ...).
    Callback {
        driver: u32,
        what: &'static str,
    },
    Signal,
    Kill,
    Stuck,
}

/// Records are capped so a trace cannot take unbounded memory.
pub const MAX_RECORDS: usize = 4_000_000;

#[derive(Default)]
pub struct Trace {
    pub records: Vec<(u64, u32, TraceKind)>,
    pub dropped: u64,
}

impl Trace {
    pub fn push(&mut self, at: u64, task: u32, kind: TraceKind) {
        if self.records.len() < MAX_RECORDS {
            self.records.push((at, task, kind));
        } else {
            self.dropped += 1;
        }
    }
}

/// A finished trace with the names the records refer to.
#[derive(Clone, Debug, Default)]
pub struct TraceData {
    pub tasks: Vec<String>,
    /// Lock names by lock id.
    pub locks: Vec<String>,
    /// Lock addresses by lock id (what v13's sort and v11's scan order by).
    pub lock_addrs: Vec<u64>,
    pub drivers: Vec<String>,
    pub records: Vec<(u64, u32, TraceKind)>,
    pub dropped: u64,
}
