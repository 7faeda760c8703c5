//! `pacer export`'s arguments as clap parses them, and the output's path and format.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::commands::connection::ConnectionArgs;
use crate::exit::Exit;

/// Arguments of `pacer export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The business unit, by name or id.
    #[arg(long, value_name = "NAME|ID")]
    pub business_unit: String,

    /// The first week: its date, on the business unit's start day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub week: String,

    /// How many weeks from --week.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=52))]
    pub weeks: u32,

    /// A schedule by id instead of each week's published schedule.
    #[arg(long, value_name = "ID")]
    pub schedule: Option<String>,

    /// Only this management unit (name or id); repeat for several. Every one by default.
    #[arg(long = "management-unit", value_name = "NAME|ID")]
    pub management_units: Vec<String>,

    /// How the agents' e-mails and names are looked up: `auto` takes whichever costs fewer
    /// requests (the organization listed in pages of 500, or the agents searched 100 at a time).
    #[arg(long, value_enum, default_value = "auto")]
    pub users_by: crate::commands::apply::UsersByArg,

    /// The file to write (`.csv`, `.jsonl` or `.ndjson`); `-` for standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,

    /// The output's format, when the file's extension does not say (CSV for `-`).
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// The longest wait for one response.
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    pub timeout: String,

    /// The longest Retry-After a request waits before it gives up.
    #[arg(long, default_value = "180s", value_name = "DURATION")]
    pub max_wait: String,

    /// No line as each phase begins (the summary is still said).
    #[arg(long)]
    pub no_progress: bool,

    /// One JSON event per line on standard output (the summary included) instead of lines on
    /// standard error.
    #[arg(long)]
    pub json: bool,
}

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// One row per activity (and per full-day time off).
    Csv,
    /// One agent's week per line.
    Jsonl,
}

/// The output's path (`None` for standard output) and its format.
pub fn output(args: &ExportArgs) -> anyhow::Result<(Option<PathBuf>, OutputFormat)> {
    if args.output == Path::new("-") {
        if args.json {
            return Err(Exit::usage(
                "--json writes its events to standard output: give --output a file",
            ));
        }
        return Ok((None, args.format.unwrap_or(OutputFormat::Csv)));
    }
    let by_extension = match pacer_input::Format::from_path(&args.output) {
        Some(pacer_input::Format::Csv) => Some(OutputFormat::Csv),
        Some(pacer_input::Format::JsonLines) => Some(OutputFormat::Jsonl),
        None => None,
    };
    let format = args.format.or(by_extension).ok_or_else(|| {
        Exit::usage(format!(
            "--output: {} has no .csv, .jsonl or .ndjson extension; pass --format csv or --format jsonl",
            args.output.display()
        ))
    })?;
    Ok((Some(args.output.clone()), format))
}
