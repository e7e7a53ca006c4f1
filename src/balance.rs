//! Spreading a run's points over the worker threads: the heaviest first, each thread taking the
//! next point as it finishes one, so a sweep whose largest points come last in plan order does
//! not end with one thread still on them while the others wait. Results come back in the order
//! of the items, whatever order they ran in.

use rayon::ThreadPool;
use sim_core::program::{Program, StepKind, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Runs `f` on every item on the pool, heaviest `weight` first (ties in item order), and
/// returns the results in item order (`None` only where a worker panicked, which the scope
/// passes on).
pub fn run<T: Sync, R: Send>(
    pool: &ThreadPool,
    items: &[T],
    weight: impl Fn(&T) -> f64,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<Option<R>> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    let weights: Vec<f64> = items.iter().map(weight).collect();
    order.sort_by(|&a, &b| weights[b].total_cmp(&weights[a]).then(a.cmp(&b)));
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    pool.scope(|s| {
        for _ in 0..pool.current_num_threads().min(items.len()) {
            s.spawn(|_| loop {
                let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) else { return };
                let r = f(&items[i]);
                if let Ok(mut slot) = slots[i].lock() {
                    *slot = Some(r);
                }
            });
        }
    });
    slots.into_iter().map(|m| m.into_inner().ok().flatten()).collect()
}

/// A rough figure for the host work of running a program, for ordering points: VMAs mapped,
/// pages touched, lock-alls over the VMAs mapped so far, repetitions multiplied out.
pub fn weight(p: &Program) -> f64 {
    let mut total = 0.0;
    for def in &p.processes {
        let mut vmas = 0.0;
        total += f64::from(def.instances) * block(p, def.body, &mut vmas, 0);
    }
    total
}

fn value(v: &Value) -> f64 {
    match *v {
        Value::Const(x) | Value::Exp(x) => x as f64,
        Value::Index => 1.0,
        Value::Uniform(a, b) => (a as f64 + b as f64) / 2.0,
        Value::Expr(ref e) => e.eval(1).map_or(1.0, |n| n.max(0) as f64),
    }
}

fn block(p: &Program, b: u32, vmas: &mut f64, depth: u32) -> f64 {
    if depth > 64 {
        return 0.0;
    }
    let mut w = 0.0;
    for step in &p.blocks[b as usize] {
        w += match &step.kind {
            StepKind::MmapAnon { count, .. } | StepKind::MmapFile { count, .. } => {
                *vmas += value(count);
                2.0 * value(count)
            }
            StepKind::Munmap(n) => {
                let n = n.as_ref().map_or(*vmas, value).min(*vmas);
                *vmas -= n;
                2.0 * n
            }
            StepKind::Touch { count, .. } => 5.0 * value(count),
            StepKind::Mprotect(n) => 10.0 * value(n),
            StepKind::Register { .. } | StepKind::Unregister { .. } | StepKind::RegisterFromMmap { .. } => {
                4.0 * *vmas + 10.0
            }
            StepKind::Fork { body, .. } => {
                let mut child = *vmas;
                *vmas + block(p, *body, &mut child, depth + 1)
            }
            StepKind::Repeat { count, body } => {
                let before = *vmas;
                let once = block(p, *body, vmas, depth + 1);
                let n = value(count);
                // VMAs a repetition maps stay mapped for the next one.
                *vmas = before + (*vmas - before) * n;
                once * n
            }
            StepKind::Compute(_) | StepKind::Sleep(_) | StepKind::Exit => 1.0,
        };
    }
    w
}
