//! A terse builder of programs for tests that must not depend on the workload language.

use crate::kernel::Limits;
use crate::program::*;
use crate::report::{MetricValue, OrderedMap, PointReport};
use crate::sim::{self, PointRun};

pub struct Build {
    pub p: Program,
}

impl Build {
    pub fn new(strategy: Strategy) -> Build {
        Build {
            p: Program {
                workload: "test".into(),
                machine: Machine::default(),
                strategy,
                options: Options::default(),
                files: Vec::new(),
                drivers: Vec::new(),
                processes: Vec::new(),
                blocks: Vec::new(),
                targets: Vec::new(),
                actions: Vec::new(),
                checks: Vec::new(),
            },
        }
    }

    pub fn file(&mut self, name: &str, size_bytes: u64) -> FileId {
        self.p.files.push(FileDef { name: name.into(), size_bytes });
        (self.p.files.len() - 1) as FileId
    }

    pub fn driver(&mut self, name: &str, callback_ns: u64, sleeps: bool) -> DriverId {
        self.p.drivers.push(DriverDef { name: name.into(), callback_ns, sleeps, fault_ns: 1000 });
        (self.p.drivers.len() - 1) as DriverId
    }

    pub fn block(&mut self, steps: Vec<StepKind>) -> BlockId {
        self.p.blocks.push(steps.into_iter().map(|kind| Step { kind, line: 1 }).collect());
        (self.p.blocks.len() - 1) as BlockId
    }

    /// Processes must be added before any fork name is used as a target.
    pub fn process(&mut self, name: &str, instances: u32, steps: Vec<StepKind>) -> TargetId {
        let body = self.block(steps);
        let id = self.p.processes.len() as TargetId;
        self.p.processes.push(ProcessDef { name: name.into(), instances, body, line: 1 });
        self.p.targets.insert(id as usize, name.into());
        id
    }

    pub fn action(&mut self, trigger: Trigger, action: Action) {
        self.p.actions.push(TimedAction { trigger, action, line: 1 });
    }

    pub fn run(&self, seed: u64) -> PointRun {
        self.run_with(seed, Limits::default(), false)
    }

    pub fn run_with(&self, seed: u64, limits: Limits, trace: bool) -> PointRun {
        sim::run(
            &self.p,
            OrderedMap::default(),
            seed,
            limits,
            sim::Observe { trace, ..sim::Observe::default() },
            &mut |_, _| true,
        )
        .expect("test run within limits")
    }
}

pub fn anon(size: u64, count: u64) -> StepKind {
    StepKind::MmapAnon { size: Value::Const(size), count: Value::Const(count) }
}

pub fn file_map(file: FileId, count: u64, shared: bool) -> StepKind {
    StepKind::MmapFile { file, size: None, count: Value::Const(count), shared }
}

/// `touch N`: N random pages of any VMA of the mm.
pub fn touch(count: u64) -> StepKind {
    StepKind::Touch { count: Value::Const(count), scope: TouchScope::Mm }
}

pub fn register(driver: DriverId) -> StepKind {
    StepKind::Register { driver, target: None }
}

pub fn unregister(driver: DriverId) -> StepKind {
    StepKind::Unregister { driver, target: None }
}

/// A scalar metric of a report.
pub fn scalar(r: &PointReport, name: &str) -> u64 {
    match r.metric(name) {
        Some(MetricValue::Scalar(v)) => *v,
        other => panic!("{name} is not a scalar: {other:?}"),
    }
}

/// A histogram metric's (count, min, max).
pub fn hist(r: &PointReport, name: &str) -> (u64, u64, u64) {
    match r.metric(name) {
        Some(MetricValue::Histogram(h)) => (h.count, h.min, h.max),
        other => panic!("{name} is not a histogram: {other:?}"),
    }
}
