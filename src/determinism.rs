//! `sim run --check-determinism`: the first point twice, compared event by event.

use crate::exec::RunSpec;
use crate::{Outcome, UserError};
use sim_core::kernel::Limits;
use sim_core::sim::{self, Observe};

pub fn check(
    w: &dsl::Workload,
    spec: &RunSpec,
    limits: Limits,
    costs: &[(sim_core::cost::Cost, f64)],
) -> Result<Outcome, UserError> {
    let mut program = w.instantiate(&spec.params).map_err(|d| UserError(d.to_string()))?;
    calibrate::file::apply(&mut program.machine.costs, costs);
    let observe = Observe { events: true, ..Observe::default() };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let r = sim::run(&program, spec.params.clone(), spec.seed, limits, observe, &mut |_, _| {
            !crate::exec::interrupted()
        })
        .map_err(|e| match e {
            sim::RunError::Limit(e) => crate::exec::limit_error(w, &e, &spec.params, spec.seed),
            sim::RunError::Interrupted => UserError("interrupted: the check did not finish".to_string()),
        })?;
        runs.push(r);
    }
    let (a, b) = (&runs[0], &runs[1]);
    let (ea, eb) = (a.events.as_deref().unwrap_or(&[]), b.events.as_deref().unwrap_or(&[]));
    if a.report.fingerprint == b.report.fingerprint && ea == eb {
        println!(
            "deterministic: two runs of point 1 ({}, seed {}) agree on all {} events, fingerprint {}",
            crate::exec::describe(&spec.params),
            spec.seed,
            crate::exec::group(a.report.events),
            a.report.fingerprint
        );
        return Ok(Outcome::Ok);
    }
    let first = ea.iter().zip(eb).position(|(x, y)| x != y).unwrap_or(ea.len().min(eb.len()));
    let show = |e: Option<&(u64, u8, u32)>| match e {
        Some((t, k, ent)) => format!("t={t} ns kind={k} entity={ent}"),
        None => "no event (the run ended)".to_string(),
    };
    println!(
        "NOT deterministic: the runs part at event {}: {} vs {} (fingerprints {} and {})",
        first + 1,
        show(ea.get(first)),
        show(eb.get(first)),
        a.report.fingerprint,
        b.report.fingerprint
    );
    Ok(Outcome::ChecksFailed)
}
