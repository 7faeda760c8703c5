//! The `pacer` binary: parses arguments, runs one command, and maps its outcome to an exit code.

mod args;
mod commands;
mod exit;
mod html;
mod latency;
mod metrics;
mod report;
mod thresholds;
mod timeline;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Args, Command};

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(err) => {
            // Clap prints help and version to stdout with success, and usage errors with exit 2.
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    match run(args) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("pacer: error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(exit::code_for(&err))
        }
    }
}

/// Runs the chosen command and returns its exit code.
fn run(args: Args) -> anyhow::Result<u8> {
    use commands::{apply, compare, demo, emulate, export, mirror, simulate, status, undo};
    match args.command {
        Command::Apply(args) => apply::run(*args),
        Command::Compare(args) => compare::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Emulate(args) => emulate::run(*args),
        Command::Export(args) => export::run(*args),
        Command::Mirror(args) => mirror::run(*args),
        Command::Status(args) => status::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Undo(args) => undo::run(*args),
    }
}
