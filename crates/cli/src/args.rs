//! The command line as clap parses it: the first of two stages (arguments, then settings).

use clap::{Parser, Subcommand};

use crate::commands;

/// Push per-agent changes through the Genesys Cloud API as fast as its rate limits allow.
#[derive(Debug, Parser)]
#[command(name = "pacer", version, about, propagate_version = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send one request per row of a CSV or JSON Lines file, paced, journaled and resumable.
    Apply(Box<commands::apply::ApplyArgs>),
    /// Run the usual ways and pacer's in real time, each on its own emulator, side by side.
    Compare(commands::compare::CompareArgs),
    /// Run the emulator, 500 agents, and `apply` next to the thread's approach.
    Demo(commands::demo::DemoArgs),
    /// Write a business unit's weeks of schedules to a CSV or JSON Lines file `apply` reads back.
    Export(Box<commands::export::ExportArgs>),
    /// Read an organization's shape, read only, into a file `emulate --mirror` serves.
    Mirror(Box<commands::mirror::MirrorArgs>),
    /// Run a faithful Genesys Cloud emulator on loopback.
    Emulate(Box<commands::emulate::EmulateArgs>),
    /// Summarise a run from its journal, finished or not.
    Status(commands::status::StatusArgs),
    /// Put every agent a schedule-update run wrote back as it was, from its journal.
    Undo(Box<commands::undo::UndoArgs>),
    /// Simulate client strategies against server models in virtual time, and compare them.
    Simulate(commands::simulate::SimulateArgs),
}
