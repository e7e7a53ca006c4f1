//! The `sim` command: parses the command line, wires dsl, sim-core and plots together, and maps
//! every outcome to one exit code (0 ok, 1 a check failed, 2 bad input or command line).

mod bench;
mod cli;
mod costs;

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

/// How a command ended.
pub enum Outcome {
    Ok,
    ChecksFailed,
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
    let args = cli::Cli::parse();
    match run(args) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::ChecksFailed) => ExitCode::from(1),
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

fn is_broken_pipe(msg: &str) -> bool {
    msg.contains("Broken pipe")
}

fn run(args: cli::Cli) -> Result<Outcome, UserError> {
    match args.command {
        cli::Command::Costs => costs::print(),
        cli::Command::Bench(b) => bench::run(b),
    }
}
