//! `pacer demo --runners N`: N runners against one organization-wide limit, side by side: first
//! each alone with its slice of the input (as people split files by hand), each pacing as if the
//! budget were its own; then all on one input with the coordinator (a redis-server of the demo's
//! own), sharing the queue and the budget.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use pacer_client::baseline::BaselineSummary;
use pacer_coord::{LocalRedis, Options};
use pacer_emulator::{Config, Overrides, Profile, StatsReport};

use super::apply::{self, ApplySettings, CoordSettings, Display};
use super::rehearse::{Running, print_header, print_row, start_emulator, write_seed_csv};

/// The organization's limit of the demo: twice what one token may send.
const ORG_RATE: &str = "600/min";

/// Runs both sides and prints the table; the exit code is the coordinated side's worst.
pub async fn side_by_side(runners: u32, agents: u32, dir: &Path) -> anyhow::Result<u8> {
    let rate: pacer_emulator::Rate = ORG_RATE.parse().map_err(anyhow::Error::msg)?;
    let ideal = f64::from(agents) * rate.window.as_secs_f64() / f64::from(rate.limit);
    eprintln!(
        "pacer demo: {runners} runners, {agents} agents, an organization-wide limit of {ORG_RATE} above each token's 300/min: {ideal:.0} s at best"
    );

    eprintln!("\n1. {runners} runners alone, the input split into {runners} files by hand");
    let emulator = org_emulator(agents).await?;
    let mut alone = Vec::new();
    for i in 0..runners {
        let range = slice(agents, runners, i);
        let file = write_seed_csv(&dir.join(format!("slice-{i}.csv")), &emulator.state, range)?;
        alone.push(settings(&emulator, file, None)?);
    }
    let (alone_row, _) = run_all(&emulator, &alone).await?;
    drop(emulator);

    eprintln!("\n2. {runners} runners on one input with the coordinator (a local redis-server)");
    let redis_dir = dir.join("redis");
    let _ = std::fs::remove_dir_all(&redis_dir);
    let redis = match LocalRedis::start(&redis_dir) {
        Ok(redis) => redis,
        Err(err) => {
            eprintln!("cannot show the coordinated side: {err}");
            print_table(runners, &alone_row, None, ideal);
            return Ok(crate::exit::FAILURE);
        }
    };
    let emulator = org_emulator(agents).await?;
    let file = write_seed_csv(&dir.join("all.csv"), &emulator.state, 0..agents)?;
    let run = format!("demo-{}", std::process::id());
    let mut together = Vec::new();
    for i in 0..runners {
        let coord = CoordSettings {
            url: redis.url(),
            options: Options::new(run.clone(), format!("runner-{}", i + 1)),
        };
        together.push(settings(&emulator, file.clone(), Some(coord))?);
    }
    let (together_row, code) = run_all(&emulator, &together).await?;
    print_table(runners, &alone_row, Some(&together_row), ideal);
    eprintln!("files: {}", dir.display());
    Ok(code)
}

/// The `i`-th of `n` slices of `0..agents`.
fn slice(agents: u32, n: u32, i: u32) -> std::ops::Range<u32> {
    let per = agents.div_ceil(n);
    (i * per).min(agents)..((i + 1) * per).min(agents)
}

async fn org_emulator(agents: u32) -> anyhow::Result<Running> {
    let mut config = Config::profile(Profile::Seed);
    Overrides {
        agents: Some(agents),
        org_rate: Some(ORG_RATE.parse().map_err(anyhow::Error::msg)?),
        ..Overrides::default()
    }
    .apply(&mut config)?;
    start_emulator(config).await
}

fn settings(
    emulator: &Running,
    input: PathBuf,
    coord: Option<CoordSettings>,
) -> anyhow::Result<ApplySettings> {
    let client = emulator.state.config().oauth.clients[0].clone();
    let mut settings = ApplySettings {
        display: Display::Quiet,
        ..ApplySettings::for_emulator(&emulator.base, &client, input.clone())?
    };
    if let Some(coord) = coord {
        settings.journal = apply::coordinated_journal(&input, &coord.options);
        let _ = std::fs::remove_file(&settings.journal);
        settings.coord = Some(coord);
    }
    Ok(settings)
}

/// Runs every runner at once; their figures as one row (from the emulator's counters) and the
/// worst exit code.
async fn run_all(
    emulator: &Running,
    runners: &[ApplySettings],
) -> anyhow::Result<(BaselineSummary, u8)> {
    let started = Instant::now();
    let runs = runners
        .iter()
        .map(|settings| apply::execute(settings, std::future::pending()));
    let outcomes = futures_util::future::join_all(runs).await;
    let elapsed = started.elapsed();
    let mut code = 0;
    for outcome in outcomes {
        code = code.max(outcome.context("a runner failed")?.exit_code);
    }
    let stats = emulator.state.stats();
    let row = row(&stats, elapsed);
    eprintln!(
        "   {:.1} s, {} requests, {} of them 429s, {} agents written, at most {} write(s) per agent",
        elapsed.as_secs_f64(),
        row.requests,
        row.throttled,
        row.succeeded,
        stats.max_writes_per_user
    );
    Ok((row, code))
}

fn row(stats: &StatsReport, elapsed: Duration) -> BaselineSummary {
    BaselineSummary {
        elapsed,
        requests: stats.requests_total,
        throttled: stats.responses_by_status.get("429").copied().unwrap_or(0),
        succeeded: stats.users_written,
        lost: stats.agents.saturating_sub(stats.users_written),
        written_at: Vec::new(),
    }
}

fn print_table(
    runners: u32,
    alone: &BaselineSummary,
    together: Option<&BaselineSummary>,
    ideal: f64,
) {
    println!();
    print_header();
    print_row(&format!("{runners} runners alone (input split)"), alone);
    if let Some(together) = together {
        print_row(&format!("{runners} runners, one coordinator"), together);
    }
    println!("{:<40} {:>8.0}s", "ideal (organization's limit)", ideal);
}
