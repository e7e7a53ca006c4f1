//! libFuzzer target: any bytes through the checker and, when they load, through the simulator
//! under tight limits. `cargo fuzz run load_and_run -s none` (stable) or with ASan on nightly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sim_core::kernel::Limits;
use sim_core::sim::{self, Observe};

fuzz_target!(|data: &[u8]| {
    let Ok(w) = dsl::load("fuzz.wl", data, &[]) else { return };
    let limits = Limits { max_events: 20_000, until_ns: Some(50_000_000), max_live_vmas: 100_000, max_tasks: 2_000 };
    for params in w.points().into_iter().take(3) {
        let Ok(program) = w.instantiate(&params) else { continue };
        let _ = sim::run(&program, params, w.seed(), limits, Observe::default(), &mut |_, _| true);
    }
});
