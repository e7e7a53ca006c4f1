//! The command line, as clap sees it. `sim help COMMAND` and `--help` print these texts.

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "sim",
    version,
    about = "Deterministic simulator of Linux mmu-notifier registration locking (mm_lock, mm_lock_slow, mm_take_all_locks)",
    long_about = "sim runs workloads written in the .wl language against a discrete-event model of an mm, its \
VMAs, rmap locks and mmu notifiers, and measures what each locking strategy of the 2008 mmu-notifier \
debate costs: register latency, lock hold times, vmalloc use, OOM-kill latency, missed invalidations, \
deadlocks.\n\nStart with:\n  sim run workloads/gru.wl          one workload, summary on stdout\n  \
sim costs                          the cost-model parameters\n  sim bench hold                     \
engine speed",
    after_help = "Exit status: 0 all went well, 1 an `expect` failed, 2 bad input or command line."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Print the cost-model parameters with their defaults, units and meanings
    #[command(long_about = "Print every cost-model parameter: its name (for `machine { cost NAME DURATION }`), \
its default, its unit and what it stands for.")]
    Costs,
    /// Benchmark the event engine
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// The classic hold model: N events pending, each processed event schedules one more at now + exp(1 ms)
    Hold(HoldArgs),
}

#[derive(Args)]
pub struct HoldArgs {
    /// Events kept pending
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000_000))]
    pub pending: u32,
    /// Events to process
    #[arg(long, default_value_t = 10_000_000)]
    pub events: u64,
    /// Seed of the exponential draws
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}
