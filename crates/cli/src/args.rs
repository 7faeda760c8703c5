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
    /// Run a faithful Genesys Cloud emulator on loopback.
    Emulate(commands::emulate::EmulateArgs),
}
