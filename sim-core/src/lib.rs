//! sim-core: the event engine, the kernel model of mmu-notifier locking, the five locking
//! strategies, metrics and report types. It reads no clock, touches no file and prints nothing.

pub mod checks;
pub mod cost;
pub mod engine;
pub mod explore;
pub mod kernel;
pub mod metrics;
#[cfg(test)]
mod noop_tests;
pub mod program;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod race_tests;
pub mod report;
pub mod sim;
pub mod stats;
#[cfg(test)]
mod step_tests;
pub mod strategy;
#[cfg(test)]
pub mod testing;
pub mod trace;
