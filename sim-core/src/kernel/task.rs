//! Tasks: processes, fork children and the kernel threads that run timed actions; their
//! interpreter frames and scheduling state.

use super::locks::LockId;
use super::mm::MmId;
use crate::engine::Stream;
use crate::program::{BlockId, TargetId};

pub use super::locks::TaskId;

#[derive(Hash, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A `process` instance or a `fork` child: runs steps, has an mm, counts for the run's end.
    Process,
    /// A kernel thread running one `at`/`every` action (reclaim, truncate).
    Actor { action: u32 },
}

#[derive(Hash, Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Waiting in the run queue for a CPU.
    Runnable,
    /// On a CPU, with a wake-up scheduled or about to run.
    Running,
    /// On a CPU, spinning for a spinlock.
    Spinning,
    /// Off CPU, waiting for a sleeping lock.
    Blocked,
    /// Off CPU in the kernel (synchronize_rcu).
    Sleeping,
    /// Off CPU in user space (`sleep`): a fatal signal wakes it.
    UserSleep,
    /// An actor with nothing to do.
    Idle,
    Done,
    /// Part of, or waiting behind, a deadlock: it will never run again.
    Stuck,
}

/// An instantaneous part of a micro-step, done when the task's time for it has elapsed.
#[derive(Hash, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pending {
    None,
    Lock(LockId, super::locks::Mode),
    Unlock(LockId),
    Check,
}

/// One level of the step interpreter: a block, the next step in it, and repetitions left.
#[derive(Hash, Clone, Copy, Debug)]
pub struct Frame {
    pub block: BlockId,
    pub pc: u32,
    pub repeats_left: u64,
}

#[derive(Hash)]
pub struct Task {
    pub name: String,
    pub kind: Kind,
    pub target: Option<TargetId>,
    /// The task's number within its target (`NAME[i]`).
    pub target_index: u32,
    /// `$index`.
    pub index: u32,
    pub mm: Option<MmId>,
    pub state: State,
    pub on_cpu: bool,
    /// The CPU it runs on, or last ran on.
    pub cpu: u32,
    /// Generation of the task's scheduled wake-up; a wake-up with another tag is stale.
    pub tag: u32,
    pub frames: Vec<Frame>,
    pub rng: Stream,
    /// Addresses of the objects this task allocates (anon_vmas), from their own stream.
    pub slab: Stream,
    pub pending: Pending,
    /// A fatal signal: when it was sent and whether the OOM killer sent it.
    pub fatal: Option<(u64, bool)>,
    pub sigpending: bool,
    pub in_kernel: bool,
    pub exiting: bool,
    /// Result of the last signal check.
    pub signal_seen: bool,
    /// Return value of the last sub-operation (0, -ENOMEM, -EINTR).
    pub ret: i32,
    /// Source line of the step being run, and what it is doing, for messages.
    pub line: u32,
    pub doing: &'static str,
    pub preempt_since: u64,
    /// Delay owed when a CPU is next granted (the wake-up cost of a sleeper).
    pub dispatch_delay: u64,
    /// Inside a lock-all (register/unregister holding rmap locks): for reclaim.stall.
    pub in_lock_all: bool,
    /// An rmap walk (reclaim, truncate) blocked behind a lock-all; sampled when granted.
    pub stalled: bool,
    /// Number of children this task forked, for their streams.
    pub forks: u32,
    /// A stable key of the task's stream, from which its children's streams derive.
    pub key: u64,
    /// Just given a CPU: runs a step before it yields to the run queue.
    pub dispatched: bool,
}
