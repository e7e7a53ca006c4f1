//! The layouts both sides lock: N VMAs sharing rmap locks as a process's do, as a host mm and
//! as a sim-core `Program`.
//!
//! Three of every four VMAs are anonymous, each with its own anon_vma (heap, thread stacks,
//! malloc arenas: the anon_vma-per-VMA case that makes v11's scan O(N²)); every fourth is a
//! shared mapping of one of 16 files in turn (shared libraries' and shmem segments' i_mmap
//! locks, each shared by N/64 VMAs, with no anon_vma). So N VMAs hold 3N/4 + 16 distinct locks,
//! N/4 of the i_mmap array's entries are duplicates, and v13's sort sees both kinds of array.

use sim_core::cost::Costs;
use sim_core::program::{DriverDef, Machine, Options, ProcessDef, Program, Step, StepKind, Strategy, Value};

/// VMAs per group: `ANON_PER_GROUP` anonymous ones, then one file mapping.
pub const GROUP: u32 = 4;
pub const ANON_PER_GROUP: u32 = 3;
/// Files mapped in turn by the groups' file VMAs.
pub const FILES: u32 = 16;

/// What VMA `i` maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vma {
    /// Anonymous, with anon_vma number `.0` (its own).
    Anon(u32),
    /// A shared mapping of file `.0`.
    File(u32),
}

/// N VMAs in the mix above; N a multiple of `GROUP * FILES` (64), so every file is mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub vmas: u32,
}

impl Layout {
    pub fn new(vmas: u32) -> Layout {
        assert!(vmas > 0 && vmas.is_multiple_of(GROUP * FILES), "layout sizes are multiples of 64");
        Layout { vmas }
    }

    /// VMA `i`, in VMA (address) order.
    pub fn vma(&self, i: u32) -> Vma {
        let group = i / GROUP;
        match i % GROUP {
            r if r < ANON_PER_GROUP => Vma::Anon(group * ANON_PER_GROUP + r),
            _ => Vma::File(group % FILES),
        }
    }

    pub fn anon_vmas(&self) -> u32 {
        self.vmas / GROUP * ANON_PER_GROUP
    }

    pub fn files(&self) -> u32 {
        FILES.min(self.vmas / GROUP)
    }

    /// Distinct rmap locks: what every lock-all takes once.
    pub fn distinct_locks(&self) -> u32 {
        self.anon_vmas() + self.files()
    }

    /// One process maps the layout, registers a driver under `strategy` and exits: its
    /// `register.latency` is the model's lock-all (and unlock) of this layout.
    pub fn program(&self, strategy: Strategy, costs: &Costs) -> Program {
        use sim_core::program::FileDef;
        let mut group = Vec::new();
        for f in 0..FILES {
            group.push(StepKind::MmapAnon { size: Value::Const(4096), count: Value::Const(ANON_PER_GROUP as u64) });
            group.push(StepKind::MmapFile { file: f, size: None, count: Value::Const(1), shared: true });
        }
        let body = vec![
            StepKind::Repeat { count: Value::Const((self.vmas / (GROUP * FILES)) as u64), body: 1 },
            StepKind::Register { driver: 0, target: None },
            StepKind::Exit,
        ];
        let steps = |kinds: Vec<StepKind>| kinds.into_iter().map(|kind| Step { kind, line: 1 }).collect();
        Program {
            workload: format!("calibrate-{}", self.vmas),
            machine: Machine { max_map_count: self.vmas.max(65_530), costs: costs.clone(), ..Machine::default() },
            strategy,
            options: Options::default(),
            files: (0..FILES).map(|f| FileDef { name: format!("lib{f}"), size_bytes: 4096 }).collect(),
            drivers: vec![DriverDef { name: "kvm".into(), callback_ns: 150, sleeps: false, fault_ns: 1000 }],
            processes: vec![ProcessDef { name: "vm".into(), instances: 1, body: 0, line: 1 }],
            blocks: vec![steps(body), steps(group)],
            targets: vec!["vm".into()],
            actions: Vec::new(),
            checks: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_of_four_vmas_are_anonymous_and_the_files_go_round() {
        let l = Layout::new(128);
        let kinds: Vec<Vma> = (0..8).map(|i| l.vma(i)).collect();
        assert_eq!(
            kinds,
            [
                Vma::Anon(0),
                Vma::Anon(1),
                Vma::Anon(2),
                Vma::File(0),
                Vma::Anon(3),
                Vma::Anon(4),
                Vma::Anon(5),
                Vma::File(1)
            ]
        );
        assert_eq!(l.vma(4 * 16 + 3), Vma::File(0));
        assert_eq!(l.anon_vmas(), 96);
        assert_eq!(l.distinct_locks(), 96 + 16);
    }
}
