//! `sim calibrate`: the lock-all designs timed on this host beside the model (the work is the
//! calibrate crate's; this file runs it with a progress bar and Ctrl-C, prints and writes it).

use crate::cli::CalibrateArgs;
use crate::units::ns;
use crate::{exec, output, Outcome, UserError};
use calibrate::file::{Calibration, DesignRow};
use calibrate::Plan;
use sim_core::cost::Cost;
use std::path::Path;

/// How far apart the host's and the model's exponents may be before the table says so.
const AGREE: f64 = 0.15;

pub fn run(args: CalibrateArgs) -> Result<Outcome, UserError> {
    let plan = if args.tiny {
        Plan::tiny()
    } else if args.quick {
        Plan::quick()
    } else {
        Plan::full()
    };
    let bar = exec::progress_bar(plan.steps(), args.quiet);
    let mut step = |what: &str| {
        bar.set_message(what.to_string());
        bar.inc(1);
        !exec::interrupted()
    };
    let result = calibrate::calibrate(&plan, &mut step).map_err(|e| UserError(format!("error: {e}")));
    bar.finish_and_clear();
    let Some(c) = result? else {
        eprintln!("interrupted: nothing measured is kept");
        return Ok(Outcome::Interrupted);
    };
    let json_to_stdout = args.json.as_deref() == Some(Path::new("-"));
    if let Some(path) = &args.json {
        output::write_atomic(path, c.to_json().as_bytes())?;
    }
    if !args.quiet {
        let text = render(&c);
        if json_to_stdout {
            eprint!("{text}");
        } else {
            use std::io::Write;
            std::io::stdout().lock().write_all(text.as_bytes())?;
        }
    }
    Ok(Outcome::Ok)
}

fn exp(e: Option<f64>) -> String {
    e.map_or("-".to_string(), |e| format!("{e:.2}"))
}

/// Why a design's exponents are what they are: what grows with N on each side.
fn why(design: &str) -> &'static str {
    match design {
        "mm_take_all_locks" => {
            "O(N) on both sides: three VMA passes and one lock per object. The host's cost per lock \
             rises where one call's VMAs and objects (64 bytes each) outgrow L2, the passes then \
             missing it in shuffled slab order; the model's flat costs have no cache."
        }
        "mm_lock" => {
            "the heap sort makes both N log N (a local slope of 1 + 1/ln N, about 1.1). The host spends \
             most of its time in the sort; the model spends less there and adds two vmallocs and vfrees \
             (about 8 us whatever N), which lower its slope where N is small."
        }
        _ => {
            "O(N x locks) VMA visits, about 2 on both sides when every anonymous VMA has its own \
             anon_vma: the model charges each visit vma_step, the host's scan is a tight loop over a \
             list that stays in cache."
        }
    }
}

fn render_row(out: &mut String, row: &DesignRow) {
    out.push_str(&format!("\n{}\n", row.design));
    out.push_str(&format!(
        "  {:>6} {:>6} {:>11} {:>23} {:>11} {:>9} {:>9} {:>12}\n",
        "VMAs", "locks", "host", "host rounds (min-max)", "sim", "host/lock", "sim/lock", "sim, host $"
    ));
    for p in &row.points {
        let per = |t: f64| if p.locks > 0 { format!("{:.1}", t / f64::from(p.locks)) } else { "-".into() };
        out.push_str(&format!(
            "  {:>6} {:>6} {:>11} {:>23} {:>11} {:>9} {:>9} {:>12}\n",
            p.vmas,
            p.locks,
            ns(p.host_ns),
            format!("{} - {}", ns(p.host_ns_min), ns(p.host_ns_max)),
            ns(p.sim_ns as f64),
            per(p.host_ns),
            per(p.sim_ns as f64),
            ns(p.sim_host_costs_ns as f64),
        ));
    }
    let diff = match (row.host_exponent, row.sim_exponent) {
        (Some(h), Some(s)) => {
            let d = h - s;
            let verdict = if d.abs() <= AGREE { "within" } else { "outside" };
            format!(" (host - sim = {d:+.2}, {verdict} ±{AGREE})")
        }
        _ => String::new(),
    };
    out.push_str(&format!(
        "  exponent in N: host {}, sim {}{diff}; the model with the host's costs: {}\n",
        exp(row.host_exponent),
        exp(row.sim_exponent),
        exp(row.sim_host_costs_exponent)
    ));
    let at = row.points.last().map_or(0, |p| p.vmas);
    if let Some(l) = row.per_lock_ns {
        out.push_str(&format!("  host per lock taken and released, at {at} VMAs: {l:.1} ns\n"));
    }
    if let Some(s) = row.per_sort_step_ns {
        let cmp = row.points.last().map_or(0, |p| p.comparisons);
        out.push_str(&format!(
            "  host per sort comparison, at {at} VMAs: {s:.2} ns ({} comparisons)\n",
            exec::group(cmp)
        ));
    }
    out.push_str(&format!("  why: {}\n", why(&row.design)));
}

pub fn render(c: &Calibration) -> String {
    let mut out = format!(
        "sim calibrate ({}): {} rounds per point on {} CPUs, {} reclaim walks on a second thread\nlayout: {}\n",
        c.mode,
        c.rounds,
        c.host_cpus,
        exec::group(c.reclaim_walks),
        c.layout
    );
    if c.preempted_batches > 0 {
        out.push_str(&format!(
            "{} of {} timed batches were preempted by other programs: their wait for a CPU is taken off\n",
            exec::group(c.preempted_batches),
            exec::group(c.batches)
        ));
    }
    out.push_str("host: median lock-all + unlock; sim: the model's register.latency (defaults); sim, host $: the model with the costs below\n");
    for row in &c.designs {
        render_row(&mut out, row);
    }
    out.push_str("\ncosts measured here (sim costs --from FILE shows them beside the defaults):\n");
    for (name, v) in &c.costs {
        let default = Cost::by_name(name).map_or(String::new(), |k| format!("{} ns", k.info().default_ns));
        out.push_str(&format!("  {name:<16} {v:>8.2} ns   (default {default})\n"));
    }
    if !c.costs.contains_key(Cost::SpinLockCold.name()) {
        out.push_str(
            "  spin_lock_cold not measured: in no round did both threads keep a CPU of their own (a busy machine)\n",
        );
    }
    out.push_str("\nkeep them with --json FILE; then: sim costs --from FILE, sim run WORKLOAD --costs FILE\n");
    out
}
