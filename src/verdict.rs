//! The verdict of a sweep of strategies, in lines to paste into a mail: for each headline figure,
//! which strategy does best at the largest value of every numeric swept parameter and by how
//! much against each other one, a gloss where a figure needs one, and where strategies failed.

use crate::summary::{column, column_name, COLUMNS};
use crate::units::human;
use sim_core::metrics::Metric;
use sim_core::program::{HistField, ParamValue};
use sim_core::report::{OrderedMap, PointReport, Report};
use sim_core::stats::{self, Interval};

/// The distinct values of `key` over the points, in the order they first appear.
fn values_of<'a>(points: &'a [PointReport], key: &str) -> Vec<&'a ParamValue> {
    let mut out: Vec<&ParamValue> = Vec::new();
    for p in points {
        if let Some(v) = p.params.get(key) {
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

/// How the best and the others are called, from what the figure measures.
fn words(m: Metric) -> (&'static str, &'static str) {
    let info = m.info();
    match info.unit {
        "ns" if info.name.contains("latency") => ("fastest", "slower"),
        "ns" => ("shortest", "longer"),
        "bytes" => ("least", "more"),
        _ => ("fewest", "more"),
    }
}

/// `2.78x`, `41.3x`, `1525x`.
fn ratio(r: f64) -> String {
    if r < 10.0 {
        format!("{r:.2}x")
    } else if r < 100.0 {
        format!("{r:.1}x")
    } else {
        format!("{}x", crate::exec::group(r.round() as u64))
    }
}

/// The verdict's lines; none unless the run swept two strategies or more.
pub fn lines(report: &Report) -> Vec<String> {
    let points = &report.points;
    let strategies = values_of(points, "strategy");
    if strategies.len() < 2 {
        return Vec::new();
    }
    // Swept parameters besides the strategy: numeric ones are held at their largest value, the
    // others give a verdict each.
    let mut numeric: Vec<(String, u64)> = Vec::new();
    let mut others: Vec<String> = Vec::new();
    for (k, _) in points[0].params.iter().filter(|(k, _)| k != "strategy") {
        let vals = values_of(points, k);
        if vals.len() < 2 {
            continue;
        }
        let ints: Vec<u64> =
            vals.iter().filter_map(|v| if let ParamValue::Int(i) = v { Some(*i) } else { None }).collect();
        if ints.len() == vals.len() {
            numeric.push((k.clone(), ints.into_iter().max().unwrap_or(0)));
        } else {
            others.push(k.clone());
        }
    }
    let at_largest: Vec<&PointReport> = points
        .iter()
        .filter(|p| numeric.iter().all(|(k, max)| p.params.get(k) == Some(&ParamValue::Int(*max))))
        .collect();
    let mut contexts: Vec<OrderedMap<ParamValue>> = Vec::new();
    for p in &at_largest {
        let c = OrderedMap(others.iter().filter_map(|k| Some((k.clone(), p.params.get(k)?.clone()))).collect());
        if !contexts.contains(&c) {
            contexts.push(c);
        }
    }
    let mut out = Vec::new();
    let mut glossed: Vec<Metric> = Vec::new();
    for ctx in &contexts {
        let mut at: Vec<String> = numeric.iter().map(|(k, v)| format!("{k}={v}")).collect();
        at.extend(ctx.iter().map(|(k, v)| format!("{k}={v}")));
        let largest = if numeric.is_empty() { "" } else { " (the largest)" };
        let head =
            if at.is_empty() { "verdict:".to_string() } else { format!("verdict at {}{largest}:", at.join(", ")) };
        let mut body = Vec::new();
        for &(m, f) in COLUMNS {
            // Each strategy's figure over its seeds at this context; a latency says how many of
            // its calls failed, since a failed call can be the fastest.
            let figures: Vec<(String, Interval)> = strategies
                .iter()
                .filter_map(|s| {
                    let here: Vec<&&PointReport> = at_largest
                        .iter()
                        .filter(|p| p.params.get("strategy") == Some(*s))
                        .filter(|p| ctx.iter().all(|(k, v)| p.params.get(k) == Some(v)))
                        .collect();
                    let values: Vec<f64> = here.iter().filter_map(|p| column(p, m, f)).collect();
                    let interval = stats::interval(&values)?;
                    let failed_metric = match m {
                        Metric::RegisterLatency => Some(Metric::RegisterFailed),
                        Metric::UnregisterLatency => Some(Metric::UnregisterFailed),
                        _ => None,
                    };
                    let failed: f64 =
                        failed_metric.map_or(0.0, |fm| here.iter().filter_map(|p| column(p, fm, "")).sum());
                    let calls: f64 =
                        here.iter().filter_map(|p| stats::figure(p, m.info().name, Some(HistField::Count))).sum();
                    let name = if failed > 0.0 {
                        format!("{s} [{} of {} calls failed]", human("", failed), human("", calls))
                    } else {
                        s.to_string()
                    };
                    Some((name, interval))
                })
                .collect();
            if figures.len() < 2 || figures.windows(2).all(|w| w[0].1.mean == w[1].1.mean) {
                continue;
            }
            body.push(format!("  {}: {}", column_name(m, f), compare(m, &figures)));
            if let Some(g) = m.gloss().filter(|_| !glossed.contains(&m)) {
                glossed.push(m);
                body.push(format!("    note: {g}"));
            }
        }
        if !body.is_empty() {
            out.push(head);
            out.extend(body);
        }
    }
    out.extend(failures(points, &strategies, &numeric));
    out
}

/// `mm_take_all_locks fastest (1.409 ms); mm_lock 2.78x slower (3.920 ms), ...`: lower is
/// better for every headline figure.
fn compare(m: Metric, figures: &[(String, Interval)]) -> String {
    let unit = m.info().unit;
    let (best_word, worse_word) = words(m);
    let best = figures.iter().map(|f| f.1.mean).fold(f64::INFINITY, f64::min);
    let winners: Vec<&(String, Interval)> = figures.iter().filter(|f| f.1.mean == best).collect();
    let names: Vec<&str> = winners.iter().map(|f| f.0.as_str()).collect();
    let mut s = format!("{} {best_word} ({})", names.join(" and "), human(unit, best));
    let rest: Vec<String> = figures
        .iter()
        .filter(|f| f.1.mean != best)
        .map(|(name, i)| {
            let overlap = winners.iter().any(|w| w.1.overlaps(i) == Some(true));
            let note = if overlap { ", 95% intervals overlap" } else { "" };
            if best > 0.0 {
                format!("{name} {} {worse_word} ({}{note})", ratio(i.mean / best), human(unit, i.mean))
            } else {
                format!("{name} {}{}", human(unit, i.mean), if overlap { " (95% intervals overlap)" } else { "" })
            }
        })
        .collect();
    s.push_str("; ");
    s.push_str(&rest.join(", "));
    s
}

/// The failures of each strategy over the whole sweep: registers and unregisters that failed,
/// deadlocks, missed invalidations, races.
fn failures(points: &[PointReport], strategies: &[&ParamValue], numeric: &[(String, u64)]) -> Vec<String> {
    const KINDS: [(Metric, &str); 6] = [
        (Metric::RegisterEnomem, "registers failed with -ENOMEM"),
        (Metric::RegisterEintr, "registers failed with -EINTR"),
        (Metric::UnregisterFailed, "unregisters failed"),
        (Metric::DeadlockCount, "deadlocks"),
        (Metric::InvalidateMissed, "missed invalidations"),
        (Metric::RaceUnregisterRelease, "unregister/->release races"),
    ];
    let mut out = Vec::new();
    for s in strategies {
        let mine: Vec<&PointReport> = points.iter().filter(|p| p.params.get("strategy") == Some(*s)).collect();
        let mut said = Vec::new();
        for (m, what) in KINDS {
            let hit: Vec<(&PointReport, f64)> =
                mine.iter().filter_map(|p| column(p, m, "").filter(|v| *v > 0.0).map(|v| (*p, v))).collect();
            let Some(&(first, _)) = hit.first() else { continue };
            let total: f64 = hit.iter().map(|h| h.1).sum();
            let from: Vec<String> =
                numeric.iter().filter_map(|(k, _)| first.params.get(k).map(|v| format!("{k}={v}"))).collect();
            let from = if from.is_empty() { String::new() } else { format!(", first at {}", from.join(" ")) };
            said.push(format!("{} {what} at {} of {} points{from}", human("", total), hit.len(), mine.len()));
        }
        if !said.is_empty() {
            out.push(format!("  {s} failed: {}", said.join("; ")));
        }
    }
    if !out.is_empty() {
        out.insert(0, "failures over the whole sweep:".to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_read_short() {
        assert_eq!(ratio(2.7823), "2.78x");
        assert_eq!(ratio(41.33), "41.3x");
        assert_eq!(ratio(1525.2), "1,525x");
    }
}
