//! Files the binary writes and reads: JSON reports (atomically), CSV.

use crate::UserError;
use sim_core::metrics::Metric;
use sim_core::program::ParamValue;
use sim_core::report::{MetricValue, OrderedMap, Report};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The report as JSON text: pretty, fixed field order, a final newline.
pub fn json(report: &Report) -> Result<String, UserError> {
    let mut s = serde_json::to_string_pretty(report).map_err(|e| UserError(format!("error: JSON: {e}")))?;
    s.push('\n');
    Ok(s)
}

/// Writes through a temporary file and a rename, so a reader never sees half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), UserError> {
    if path == Path::new("-") {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)?;
        out.flush()?;
        return Ok(());
    }
    // Through a symbolic link, the file it names is the one replaced (the link stays).
    let path = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    };
    let path = path.as_path();
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        // A device or a pipe (`/dev/null`, `/dev/stdout`, `>(...)`): written into, since a rename
        // would put a regular file in its place.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| UserError(format!("error: cannot write {}: {e}", path.display())))?;
        f.write_all(bytes).map_err(|e| UserError(format!("error: cannot write {}: {e}", path.display())))?;
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| UserError(format!("error: cannot create {}: {e}", dir.display())))?;
    }
    let mut tmp = PathBuf::from(path);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    tmp.set_file_name(format!(".{name}.tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| UserError(format!("error: cannot write {}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(|e| UserError(format!("error: cannot write {}: {e}", path.display())))?;
    Ok(())
}

pub fn read_report(path: &Path) -> Result<Report, UserError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| UserError(format!("error: cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| UserError(format!("error: {}: not a sim report: {e}", path.display())))
}

/// A CSV field, quoted when it must be.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One row per point and metric field, `index,seed,<params...>,metric,field,value,unit`, then
/// with several seeds per point one row per set of parameters and field with the statistics
/// over its seeds (`n,mean,stddev,ci_low,ci_high`; index, seed and value empty).
pub fn csv(report: &Report) -> String {
    let mut out = String::new();
    let params: Vec<&str> =
        report.points.first().map(|p| p.params.iter().map(|(k, _)| k.as_str()).collect()).unwrap_or_default();
    let mut header = vec!["index", "seed"];
    header.extend(params.iter().copied());
    header.extend(["metric", "field", "value", "unit", "n", "mean", "stddev", "ci_low", "ci_high"]);
    out.push_str(&header.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(","));
    out.push('\n');
    let unit = |metric: &str, field: &str| {
        if field == "count" {
            return "count";
        }
        Metric::by_name(metric).map_or("", |m| m.info().unit_name())
    };
    let values = |p: &OrderedMap<ParamValue>| {
        params.iter().map(|name| p.get(name).map(|v| csv_field(&v.to_string())).unwrap_or_default()).collect::<Vec<_>>()
    };
    for p in &report.points {
        let mut prefix = vec![p.index.to_string(), p.seed.to_string()];
        prefix.extend(values(&p.params));
        let prefix = prefix.join(",");
        for (name, value) in p.metrics.iter() {
            match value {
                MetricValue::Scalar(v) => out.push_str(&format!("{prefix},{name},,{v},{},,,,,\n", unit(name, ""))),
                MetricValue::Histogram(h) => {
                    for (field, v) in [
                        ("count", h.count as f64),
                        ("min", h.min as f64),
                        ("mean", h.mean),
                        ("p50", h.p50 as f64),
                        ("p90", h.p90 as f64),
                        ("p99", h.p99 as f64),
                        ("max", h.max as f64),
                    ] {
                        out.push_str(&format!("{prefix},{name},{field},{v},{},,,,,\n", unit(name, field)));
                    }
                }
            }
        }
    }
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for g in &report.statistics {
        let mut prefix = vec![String::new(), String::new()];
        prefix.extend(values(&g.params));
        let prefix = prefix.join(",");
        for (key, i) in g.metrics.iter() {
            // `register.latency.mean` is the histogram and its field; a count has no field.
            let (metric, field) = match Metric::by_name(key) {
                Some(_) => (key.as_str(), ""),
                None => key.rsplit_once('.').unwrap_or((key.as_str(), "")),
            };
            out.push_str(&format!(
                "{prefix},{metric},{field},,{},{},{},{},{},{}\n",
                unit(metric, field),
                i.n,
                i.mean,
                opt(i.stddev),
                opt(i.ci_low),
                opt(i.ci_high)
            ));
        }
    }
    out
}
