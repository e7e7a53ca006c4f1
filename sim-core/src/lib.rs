//! sim-core: the event engine, the kernel model of mmu-notifier locking, the five locking
//! strategies, metrics and report types. It reads no clock, touches no file and prints nothing.

pub mod cost;
pub mod engine;
pub mod metrics;
pub mod program;
pub mod report;
