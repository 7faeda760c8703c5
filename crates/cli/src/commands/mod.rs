//! One module per verb: each resolves its arguments into settings, then runs.

pub mod apply;
pub mod compare;
pub mod demo;
pub mod emulate;
mod rehearse;
mod runners;
pub mod simulate;
pub mod status;

use crate::args::{Args, Command};

/// Runs the chosen command and returns its exit code.
pub fn run(args: Args) -> anyhow::Result<u8> {
    match args.command {
        Command::Apply(args) => apply::run(*args),
        Command::Compare(args) => compare::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Emulate(args) => emulate::run(*args),
        Command::Status(args) => status::run(args),
        Command::Simulate(args) => simulate::run(args),
    }
}
