//! The `sim` command: parses the command line, wires dsl, sim-core and plots together, and maps
//! every outcome to one exit code (0 ok, 1 a check failed, 2 bad input or command line).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod balance;
mod bench;
mod calibrate_cmd;
mod check_cmd;
mod cli;
mod costs;
mod determinism;
mod diff;
mod exec;
mod explore_cmd;
mod locking;
mod maps_cmd;
mod merge;
mod output;
mod plot_cmd;
mod run_cmd;
mod shrink_cmd;
mod summary;
mod trace_out;
mod units;
mod verdict;

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

/// How a command ended.
pub enum Outcome {
    Ok,
    ChecksFailed,
    /// Ctrl-C: what was finished is saved.
    Interrupted,
}

/// An error for the user: already worded, printed once on standard error, exit status 2.
#[derive(Debug)]
pub struct UserError(pub String);

impl<E: std::fmt::Display> From<E> for UserError {
    fn from(e: E) -> Self {
        UserError(e.to_string())
    }
}

fn main() -> ExitCode {
    keep_freed_memory();
    let args = cli::Cli::parse();
    match run(args) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::ChecksFailed) => ExitCode::from(1),
        Ok(Outcome::Interrupted) => ExitCode::from(130),
        Err(UserError(msg)) => {
            if is_broken_pipe(&msg) {
                return ExitCode::SUCCESS;
            }
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "{}", msg.trim_end());
            ExitCode::from(2)
        }
    }
}

/// Points run one after another on each thread, and each builds its model afresh: glibc's malloc
/// would hand a finished point's memory back to the kernel (trimming its heap, unmapping chunks
/// over its dynamic threshold) only for the next point to fault it in again, page by page. Keeping
/// what was freed makes every point after a thread's first run on memory already mapped (about a
/// fifth of gru's host time, by `sim bench model`).
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before any thread starts.
    unsafe {
        // Blocks under 16 MiB come from the heap and go back to it; larger ones (a 10^6-VMA
        // point's tables) are still mapped and unmapped whole, and grow by remapping rather than
        // copying, so such a point's peak stays near its live data (180 MB at 10^6 VMAs, against
        // 175 MB with glibc's defaults).
        libc::mallopt(libc::M_MMAP_THRESHOLD, 16 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
}

fn is_broken_pipe(msg: &str) -> bool {
    msg.contains("Broken pipe")
}

fn run(args: cli::Cli) -> Result<Outcome, UserError> {
    match args.command {
        cli::Command::Run(a) => {
            exec::handle_ctrl_c();
            run_cmd::run(a)
        }
        cli::Command::Check(a) => {
            exec::handle_ctrl_c();
            check_cmd::run(a)
        }
        cli::Command::Explore(a) => {
            exec::handle_ctrl_c();
            explore_cmd::run(a)
        }
        cli::Command::Shrink(a) => {
            exec::handle_ctrl_c();
            shrink_cmd::run(a)
        }
        cli::Command::Plot(a) => plot_cmd::run(a),
        cli::Command::Merge(a) => merge::run(a),
        cli::Command::Maps(a) => maps_cmd::run(a),
        cli::Command::Diff(a) => diff::run(a),
        cli::Command::Costs(a) => costs::run(a),
        cli::Command::Calibrate(a) => {
            exec::handle_ctrl_c();
            calibrate_cmd::run(a)
        }
        cli::Command::Bench(b) => bench::run(b),
    }
}
