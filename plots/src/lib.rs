//! Charts drawn from sim-core's report types.

use sim_core::report::Report;
use std::path::{Path, PathBuf};

/// Draws every chart that fits the report into `dir`; returns the files written.
pub fn draw(_report: &Report, _dir: &Path) -> Result<Vec<PathBuf>, String> {
    Err("charts are not built yet".to_string())
}
