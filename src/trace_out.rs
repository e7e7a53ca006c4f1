//! Chrome trace-event JSON (Perfetto, chrome://tracing) of one point: a track per task, lock
//! holds, lock waits and kernel operations as slices, notifier callbacks as instants.

use sim_core::trace::{TraceData, TraceKind};
use std::collections::BTreeMap;
use std::fmt::Write;

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn us(ns: u64) -> String {
    format!("{}.{:03}", ns / 1000, ns % 1000)
}

pub fn chrome(t: &TraceData) -> String {
    let mut ev: Vec<String> = Vec::new();
    for (i, name) in t.tasks.iter().enumerate() {
        ev.push(format!(r#"{{"ph":"M","pid":1,"tid":{i},"name":"thread_name","args":{{"name":"{}"}}}}"#, esc(name)));
    }
    let mut open: BTreeMap<(u32, u32, u8), Vec<u64>> = BTreeMap::new();
    let slice = |ev: &mut Vec<String>, task: u32, name: &str, cat: &str, from: u64, to: u64| {
        ev.push(format!(
            r#"{{"ph":"X","pid":1,"tid":{task},"name":"{}","cat":"{cat}","ts":{},"dur":{}}}"#,
            esc(name),
            us(from),
            us(to - from)
        ));
    };
    let lock = |l: u32| t.locks.get(l as usize).map_or("lock", |s| s.as_str());
    let mut ops: BTreeMap<(u32, &'static str), Vec<u64>> = BTreeMap::new();
    for &(at, task, kind) in &t.records {
        match kind {
            TraceKind::Acquired(l) => open.entry((task, l, 0)).or_default().push(at),
            TraceKind::Released(l) => {
                if let Some(from) = open.get_mut(&(task, l, 0)).and_then(|v| v.pop()) {
                    slice(&mut ev, task, &format!("hold {}", lock(l)), "lock", from, at);
                }
            }
            TraceKind::WaitBegin(l) => open.entry((task, l, 1)).or_default().push(at),
            TraceKind::WaitEnd(l) => {
                if let Some(from) = open.get_mut(&(task, l, 1)).and_then(|v| v.pop()) {
                    slice(&mut ev, task, &format!("wait {}", lock(l)), "wait", from, at);
                }
            }
            TraceKind::OpBegin(name) => ops.entry((task, name)).or_default().push(at),
            TraceKind::OpEnd(name) => {
                if let Some(from) = ops.get_mut(&(task, name)).and_then(|v| v.pop()) {
                    slice(&mut ev, task, name, "op", from, at);
                }
            }
            TraceKind::Callback { driver, what } => {
                let d = t.drivers.get(driver as usize).map_or("driver", |s| s.as_str());
                ev.push(format!(
                    r#"{{"ph":"i","s":"t","pid":1,"tid":{task},"name":"{} {}","cat":"callback","ts":{}}}"#,
                    esc(d),
                    what,
                    us(at)
                ));
            }
            TraceKind::Signal | TraceKind::Kill | TraceKind::Stuck => {
                let name = match kind {
                    TraceKind::Signal => "signal",
                    TraceKind::Kill => "SIGKILL",
                    _ => "deadlocked",
                };
                ev.push(format!(
                    r#"{{"ph":"i","s":"t","pid":1,"tid":{task},"name":"{name}","cat":"signal","ts":{}}}"#,
                    us(at)
                ));
            }
        }
    }
    let mut out = String::from("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
    for (i, e) in ev.iter().enumerate() {
        let _ = write!(out, "{}{e}", if i == 0 { "" } else { ",\n" });
    }
    let _ = write!(out, "\n],\"otherData\":{{\"dropped_records\":\"{}\"}}}}\n", t.dropped);
    out
}
