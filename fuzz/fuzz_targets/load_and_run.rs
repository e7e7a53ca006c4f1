//! libFuzzer target: any bytes through the checker and, when they load, through the simulator
//! under tight limits. `cargo fuzz run load_and_run -s none` (stable) or with ASan on nightly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sim_core::kernel::Limits;
use sim_core::sim::{self, Observe};

const MAPS: &str = "55a226c4c000-55a226e5f000 r--p 00000000 fe:00 35312 /usr/bin/qemu-system-x86_64
55a226e5f000-55a2275a9000 r-xp 00213000 fe:00 35312 /usr/bin/qemu-system-x86_64
55a227b1e000-55a227b21000 rw-p 00ed2000 fe:00 35312 /usr/bin/qemu-system-x86_64
55a228000000-55a228400000 rw-p 00000000 00:00 0 [heap]
7fa157bc1000-7fa157bc4000 rw-s 00000000 00:10 26 anon_inode:kvm-vcpu:1
7fa157bcf000-7fa157bd1000 r-xp 00000000 00:00 0 [vdso]
";

fuzz_target!(|data: &[u8]| {
    // Whatever path a `mmap maps` step names, it reads this layout: the fuzzer never touches
    // the file system.
    let serve = |_: &std::path::Path| Ok(MAPS.as_bytes().to_vec());
    let Ok(w) = dsl::load_with("fuzz.wl", data, &[], &serve) else { return };
    let limits = Limits { max_events: 20_000, until_ns: Some(50_000_000), max_live_vmas: 100_000, max_vmas_created: 200_000, max_tasks: 2_000 };
    for params in w.points().into_iter().take(3) {
        let Ok(program) = w.instantiate(&params) else { continue };
        let _ = sim::run(&program, params, w.seed(), limits, Observe::default(), &mut |_, _| true);
    }
});
