//! `pacer demo`: the embedded emulator, 500 agents, and `pacer apply` next to the thread's approach,
//! then the same number of agents through a business unit's schedule update. With `--runners N`,
//! several runners with and without the coordinator instead (`runners.rs`).
//!
//! pacer and the thread's approach run at the same time against one emulator, each with its own
//! token and its own agents: the seed profile's limit is per token, so neither slows the other,
//! and the emulator's counters tell their writes apart by agent.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use pacer_client::baseline::{BaselineConfig, BaselineSummary};
use pacer_emulator::{Config, Profile, StatsReport};

use super::apply::{self, ApplySettings, Display, Outcome};
use super::rehearse::{
    Running, folder_and_runtime, print_header, print_row, row_of, start_emulator, thread_run,
    today, write_seed_csv, write_week_csv,
};
use crate::exit::Exit;

/// Arguments of `pacer demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Agents whose schedules pacer assigns (the thread's approach gets as many others)
    /// [default: 500; with --runners, 1000].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=50_000))]
    pub agents: Option<u32>,

    /// Skip the thread's approach: run pacer alone.
    #[arg(long)]
    pub no_baseline: bool,

    /// Where the demo writes its input, journal and report; a fresh temporary folder by default.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// The deadline pacer plans against, as the thread's "500 users within a 5-minute window".
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    pub deadline: String,

    /// Writes the HTML report of pacer's per-agent run here (by default `report.html` in the
    /// demo's folder).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Instead: N runners against one organization-wide limit (600/min), first each alone with a
    /// slice of the input, then all sharing one queue and budget through a local redis-server.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(2..=16))]
    pub runners: Option<u32>,
}

pub fn run(args: DemoArgs) -> anyhow::Result<u8> {
    let deadline = pacer_emulator::units::parse_duration(&args.deadline)
        .map_err(|reason| Exit::usage(format!("--deadline: {reason}")))?;
    let (dir, runtime) = folder_and_runtime(args.dir, "pacer-demo")?;
    if let Some(runners) = args.runners {
        let agents = args.agents.unwrap_or(1000);
        return runtime.block_on(super::runners::side_by_side(runners, agents, &dir));
    }
    let agents = args.agents.unwrap_or(500);
    let html = args.html.unwrap_or_else(|| dir.join("report.html"));
    runtime.block_on(demo(agents, !args.no_baseline, dir, deadline, html))
}

async fn demo(
    agents: u32,
    baseline: bool,
    dir: PathBuf,
    deadline: Duration,
    html: PathBuf,
) -> anyhow::Result<u8> {
    // The emulator, seed profile, on a free loopback port.
    let mut config = Config::profile(Profile::Seed);
    config.agents = agents * 2;
    let emulator = start_emulator(config).await?;
    // The input: agents 0..n for pacer, n..2n for the thread's approach.
    let input = write_seed_csv(&dir.join("agents.csv"), &emulator.state, 0..agents)?;
    let ideal = announce(agents, baseline, &emulator, &input)?;

    let client = emulator.state.config().oauth.clients[0].clone();
    let report = dir.join("report.json");
    let settings = ApplySettings {
        deadline: Some(deadline),
        report: Some(report.clone()),
        jtl: Some(dir.join("requests.jtl")),
        html: Some(html.clone()),
        display: if std::io::stderr().is_terminal() {
            Display::Bar
        } else {
            Display::Lines
        },
        ..ApplySettings::for_emulator(&emulator.base, &client, input)?
    };
    let per_agent = apply::execute(&settings, async {
        let _ = tokio::signal::ctrl_c().await;
    });
    let (outcome, baseline) = if baseline {
        let thread = thread_run(&emulator, agents..agents * 2, BaselineConfig::default());
        let (outcome, thread) = tokio::join!(per_agent, thread);
        (outcome?, Some(thread?))
    } else {
        (per_agent.await?, None)
    };
    let stats = emulator.state.stats();
    drop(emulator);

    eprintln!(
        "\nnow the real Genesys Cloud path: {agents} agents through the business unit's schedule update, on an emulator of the genesys profile"
    );
    let bulk = bulk_path(agents, &dir).await?;

    print_results(&outcome, baseline.as_ref(), &bulk, ideal, &stats);
    println!(
        "files: {} (report), {} (HTML report), {} (JMeter results)",
        report.display(),
        html.display(),
        dir.join("requests.jtl").display()
    );
    Ok(outcome.exit_code)
}

/// Says what the demo runs against and what the server's limit allows at best; returns that
/// bound, from the emulator's own token limiter: (N - burst) / rate.
fn announce(
    agents: u32,
    baseline: bool,
    emulator: &Running,
    input: &Path,
) -> anyhow::Result<Duration> {
    let spec = emulator
        .state
        .config()
        .limiters
        .first()
        .map(|limiter| limiter.spec)
        .context("the seed profile has a token limiter")?;
    eprintln!(
        "pacer demo: emulator (seed profile: {} {} per {} s, burst {}) at {}",
        spec.algorithm,
        spec.limit,
        spec.window.as_secs_f64(),
        spec.burst,
        emulator.base
    );
    eprintln!(
        "pacer assigns {agents} schedules from {}{}",
        input.display(),
        if baseline {
            format!(
                "; at the same time the thread's approach (50 threads, sleep Retry-After + jitter, 5 tries) assigns {agents} others with its own token"
            )
        } else {
            String::new()
        }
    );
    let ideal =
        Duration::from_secs_f64(f64::from(agents.saturating_sub(spec.burst)) / spec.rate_per_sec());
    eprintln!(
        "the server's limit allows {agents} writes in {:.0} s at best ((N - {}) / {} per second)\n",
        ideal.as_secs_f64(),
        spec.burst,
        spec.rate_per_sec()
    );
    Ok(ideal)
}

/// The three runs side by side, the server's bound, and what the emulator counted.
fn print_results(
    outcome: &Outcome,
    baseline: Option<&BaselineSummary>,
    bulk: &BaselineSummary,
    ideal: Duration,
    stats: &StatsReport,
) {
    println!();
    print_header();
    print_row("pacer, per agent (seed route)", &row_of(outcome));
    if let Some(b) = baseline {
        print_row("thread's approach (50 threads)", b);
    }
    print_row("pacer, business unit's update", bulk);
    println!(
        "{:<40} {:>8.0}s",
        "ideal (server's bound)",
        ideal.as_secs_f64()
    );
    println!(
        "\nemulator: {} agents written, at most {} write(s) per agent, {} requests throttled",
        stats.users_written,
        stats.max_writes_per_user,
        stats.throttled_by_limit.values().sum::<u64>()
    );
}

/// The same number of agents written through the business unit's schedule update, on an
/// emulator of the genesys profile (the real API's shape: no per-agent route there).
async fn bulk_path(agents: u32, dir: &std::path::Path) -> anyhow::Result<BaselineSummary> {
    let mut config = Config::profile(Profile::Genesys);
    config.agents = agents;
    config.wfm.today = Some(pacer_genesys::datetime::format_days(today()));
    let emulator = start_emulator(config).await?;
    let input = write_week_csv(&dir.join("week.csv"), &emulator.state, agents)?;
    let client = emulator.state.config().oauth.clients[0].clone();
    let settings = ApplySettings {
        report: Some(dir.join("week-report.json")),
        jtl: Some(dir.join("week.jtl")),
        ..ApplySettings::bulk_for_emulator(&emulator.base, &client, input, "North")?
    };
    let outcome = apply::execute(&settings, std::future::pending()).await?;
    Ok(row_of(&outcome))
}
