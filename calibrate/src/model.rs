//! The model's side: the same layout as a sim-core program, run under each design's strategy.

use crate::layout::Layout;
use crate::Design;
use sim_core::cost::Costs;
use sim_core::kernel::Limits;
use sim_core::report::{MetricValue, OrderedMap};
use sim_core::sim::{self, Observe};

/// The simulated `register.latency` of one registration on `layout` under `design`: the
/// lock-all, the list insert and the unlock, with the call's fixed costs (mmap_sem, v13's
/// vmallocs, the merged design's kmalloc and mutex).
pub fn register_ns(layout: Layout, design: Design, costs: &Costs) -> Result<u64, String> {
    let program = layout.program(design.strategy(), costs);
    let run = sim::run(&program, OrderedMap::default(), 1, Limits::default(), Observe::default(), &mut |_, _| true)
        .map_err(|e| format!("the model's run of {} at {} VMAs failed: {e:?}", design.name(), layout.vmas))?;
    match run.report.metric("register.latency") {
        Some(MetricValue::Histogram(h)) if h.count == 1 => Ok(h.max),
        other => Err(format!("{} at {} VMAs: no single register.latency ({other:?})", design.name(), layout.vmas)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_registers_once_and_the_fallback_grows_fastest() {
        let costs = Costs::default();
        let t = |d, n| register_ns(Layout::new(n), d, &costs).expect("runs");
        for d in Design::ALL {
            assert!(t(d, 1024) > t(d, 256), "{}", d.name());
        }
        let growth = |d| t(d, 1024) as f64 / t(d, 256) as f64;
        assert!(growth(Design::MmLockSlow) > 2.0 * growth(Design::MmTakeAllLocks));
    }
}
