//! `pacer apply`'s arguments as clap parses them: the first of two stages (arguments, then the
//! settings in `settings.rs`).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::commands::connection::ConnectionArgs;

/// Arguments of `pacer apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The input: CSV with a header row (`.csv`) or JSON Lines (`.jsonl`, `.ndjson`).
    pub input: PathBuf,

    /// The input's format, when its extension does not say.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Tokens to mint from the one client, each with its own per-token budget. Organization-wide
    /// limits still apply to all of them together.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub tokens: u32,

    /// The HTTP method of each request.
    #[arg(long, default_value = "PUT")]
    pub method: String,

    /// The request path; `{userId}` is replaced by each row's agent.
    #[arg(long, default_value = "/api/v2/wfm/usersettings/{userId}/schedule")]
    pub path: String,

    /// The per-token limit, when you know it, e.g. `300/min`: it outranks what pacer learns.
    #[arg(long, value_name = "N/UNIT")]
    pub rate: Option<String>,

    /// The burst the declared limit allows (a token bucket's capacity). Without it a token
    /// bucket allows 20 ms of its rate at once, at least one send: evenly spaced sends at a few a
    /// second.
    #[arg(long, requires = "rate")]
    pub burst: Option<u32>,

    /// The shape of the declared limit's window.
    #[arg(long, value_enum, requires = "rate", default_value = "token-bucket")]
    pub window: WindowArg,

    /// The most requests in flight at once, per token.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_in_flight: u32,

    /// The longest single wait a throttle may impose; a longer Retry-After parks the item.
    #[arg(long, default_value = "180s", value_name = "DURATION")]
    pub max_wait: String,

    /// The longest one request may take.
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    pub timeout: String,

    /// The run journal; by default `<input>.pacer.sqlite` next to the input.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,

    /// Discard the journal's earlier run (even of another input) and start over.
    #[arg(long)]
    pub restart: bool,

    /// Send the valid rows and skip the invalid ones (listed in the rejects file).
    #[arg(long)]
    pub skip_invalid: bool,

    /// Where `--skip-invalid` writes the rejected rows; by default `<input>.rejects.csv`.
    #[arg(long, value_name = "FILE", requires = "skip_invalid")]
    pub rejects: Option<PathBuf>,

    /// The time the run must finish in, e.g. `5m`.
    #[arg(long, value_name = "DURATION")]
    pub deadline: Option<String>,

    /// What to do when the plan says the deadline cannot be met.
    #[arg(long, value_enum, default_value = "warn", requires = "deadline")]
    pub deadline_policy: DeadlinePolicy,

    /// Write the JSON report here.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Write one line per request here, in JMeter's CSV result format.
    #[arg(long, value_name = "FILE")]
    pub jtl: Option<PathBuf>,

    /// Write a self-contained HTML report here: the summary, charts over time, the data as JSON.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Write the run's figures here as Prometheus text, for people who scrape.
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,

    /// A pass or fail judgement of the run, as k6 has them: `METRIC OP VALUE`, e.g.
    /// `throttled_rate<0.01`, `elapsed<5m`, `p99_latency<2s`, `failed==0`; repeatable. A failed
    /// one exits 6 (README lists the metrics).
    #[arg(long = "threshold", value_name = "EXPR")]
    pub thresholds: Vec<String>,

    /// Print one JSON event per line on standard output, for machines.
    #[arg(long)]
    pub json: bool,

    /// No progress bar, even on a terminal: plain periodic lines instead.
    #[arg(long)]
    pub no_progress: bool,

    /// Seeds the retry jitter, so that a run's timing can be replayed.
    #[arg(long, default_value_t = 0x7061_6365)]
    pub seed: u64,

    /// Write the schedules through this business unit's schedule update (its name or id): the
    /// way Genesys Cloud changes schedules, a handful of requests for thousands of agents.
    /// Repeat it for several units in one run: each agent goes to its unit, every unit is
    /// checked before anything is sent, then the units' updates run side by side.
    #[arg(
        long = "business-unit",
        value_name = "NAME|ID",
        help_heading = "Business unit schedule update"
    )]
    pub business_units: Vec<String>,

    /// `auto`: the schedule update when --business-unit is given, else one request per row;
    /// `bulk` or `per-agent` to choose.
    #[arg(
        long,
        value_enum,
        default_value = "auto",
        help_heading = "Business unit schedule update"
    )]
    pub mode: ModeArg,

    /// Only this week (its first day, YYYY-MM-DD): rows of other weeks are refused.
    #[arg(
        long,
        value_name = "DATE",
        help_heading = "Business unit schedule update"
    )]
    pub week: Option<String>,

    /// The schedule to write, by id; else the week's published schedule.
    #[arg(
        long,
        value_name = "ID",
        help_heading = "Business unit schedule update"
    )]
    pub schedule: Option<String>,

    /// Create a blank schedule for a week that has none.
    #[arg(long, help_heading = "Business unit schedule update")]
    pub create_schedule: bool,

    /// When another editor changed the schedule or an agent since it was read: read again and
    /// send once more (`retry`), or stop and say what changed (`abort`).
    #[arg(
        long,
        value_enum,
        default_value = "retry",
        help_heading = "Business unit schedule update"
    )]
    pub on_conflict: OnConflictArg,

    /// A wall-clock start time that the autumn change repeats (01:30 on the night New York goes
    /// back an hour): the first of the two instants (`earlier`) or the second (`later`). Without
    /// it such a time is a finding.
    #[arg(long, value_enum, help_heading = "Business unit schedule update")]
    pub ambiguous: Option<AmbiguousArg>,

    /// The most agents one update of a published schedule holds (Genesys notifies only the first
    /// 1,000 agents of a published change).
    #[arg(
        long,
        default_value_t = 1000,
        value_parser = clap::value_parser!(u32).range(1..),
        help_heading = "Business unit schedule update"
    )]
    pub max_agents_per_update: u32,

    /// How agents keyed by e-mail or name are looked up: `auto` takes whichever costs fewer
    /// requests (the organization listed in pages of 500, or the keys searched 100 at a time).
    #[arg(
        long,
        value_enum,
        default_value = "auto",
        help_heading = "Business unit schedule update"
    )]
    pub users_by: UsersByArg,

    /// Rehearse first on a local emulator of this mirror (`pacer mirror`): the same command, sped
    /// up where that changes nothing but waiting; the real run starts only if it ended clean.
    #[arg(long, value_name = "MIRROR")]
    pub rehearse: Option<std::path::PathBuf>,

    /// Stop after the rehearsal.
    #[arg(long, requires = "rehearse")]
    pub rehearse_only: bool,

    /// Check and plan everything, print the plan, and write nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub coord: super::coordinated::CoordArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    Auto,
    Bulk,
    PerAgent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AmbiguousArg {
    Earlier,
    Later,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnConflictArg {
    Retry,
    Abort,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Csv,
    Jsonl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WindowArg {
    TokenBucket,
    FixedWindow,
    SlidingWindow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeadlinePolicy {
    /// Say so and run anyway.
    Warn,
    /// Refuse to start (exit 4).
    Abort,
}

/// How users are looked up (`--users-by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UsersByArg {
    Auto,
    Listing,
    Search,
}

impl UsersByArg {
    /// The client's choice.
    pub fn choice(self) -> pacer_client::bulk::directory::Choice {
        use pacer_client::bulk::directory::Choice;
        match self {
            UsersByArg::Auto => Choice::Cheaper,
            UsersByArg::Listing => Choice::Listing,
            UsersByArg::Search => Choice::Search,
        }
    }
}
