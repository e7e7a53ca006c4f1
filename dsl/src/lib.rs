//! The workload language: parse, check, lower to `sim_core::program`.
