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

fn main() -> ExitCode {
    let args = match args::Args::try_parse() {
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
    match commands::run(args) {
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
