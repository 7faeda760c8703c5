//! `pacer compare`: the usual ways to push schedules and pacer's, in real time, each against its
//! own emulator (seed profile) so that none slows another, in one table and one HTML page.
//! `--speed K` runs the emulator's limits K times faster (its windows, Retry-After and reset
//! headers K times shorter), divides the scripts' own waits and the schedule update's
//! processing by K, so that a comparison runs K times faster with real time's ratios, but for
//! Retry-After's whole seconds (the page's footnote says so).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use pacer_client::baseline::{BaselineConfig, BaselineSummary, Wait};
use pacer_core::limiter::LimitSpec;
use pacer_emulator::{Config, Overrides, Profile};

use super::apply::{self, ApplySettings};
use super::rehearse::{
    Running, folder_and_runtime, print_header, print_row, row_of, start_emulator, thread_run,
    today, write_seed_csv, write_week_csv,
};
use crate::exit::{self, Exit};
use crate::html::{Section, StrategyRow, curve_of_counts, curve_of_times, render_strategies};
use crate::report::Judged;
use crate::thresholds::Threshold;

/// Arguments of `pacer compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Agents each strategy writes.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    pub agents: u32,

    /// Runs K times faster: the emulator's limits times K, the scripts' waits divided by K.
    #[arg(long, default_value_t = 1.0, value_name = "K")]
    pub speed: f64,

    /// Writes the comparison as one self-contained HTML page.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Writes the comparison as JSON.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// A threshold on pacer's per-agent run (`throttled_rate<0.01`, `ideal_ratio<1.05`, ...);
    /// repeatable; a failed one exits 6.
    #[arg(long = "threshold", value_name = "EXPR")]
    pub thresholds: Vec<String>,

    /// Where the inputs, journals and reports go; a fresh temporary folder by default.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// One strategy's row; its line of agents written over time is given apart, as each kind of
/// run keeps it its own way.
fn row(strategy: &str, summary: &BaselineSummary, written: Vec<(f64, u64)>) -> StrategyRow {
    StrategyRow {
        strategy: strategy.to_string(),
        elapsed_s: summary.elapsed.as_secs_f64(),
        requests: summary.requests,
        throttled: summary.throttled,
        written: summary.succeeded,
        lost: summary.lost,
        written_over_time: written,
    }
}

pub fn run(args: CompareArgs) -> anyhow::Result<u8> {
    if !(1.0..=100.0).contains(&args.speed) {
        return Err(Exit::usage("--speed: K must be 1..=100"));
    }
    let thresholds = crate::thresholds::parse_all(&args.thresholds)?;
    let (dir, runtime) = folder_and_runtime(args.dir.clone(), "pacer-compare")?;
    runtime.block_on(compare(&args, &thresholds, &dir))
}

/// The seed profile with its limits `K` times faster (windows `K` times shorter, so that the
/// server's Retry-After and reset headers shrink too), and the schedule update's processing `K`
/// times shorter.
fn config(agents: u32, speed: f64) -> anyhow::Result<Config> {
    let mut config = Config::profile(Profile::Seed);
    Overrides {
        agents: Some(agents),
        speed: Some(speed),
        bulk_processing: Some(Duration::from_secs_f64(3.0 / speed)),
        today: Some(pacer_genesys::datetime::format_days(today())),
        ..Overrides::default()
    }
    .apply(&mut config)?;
    Ok(config)
}

async fn compare(
    args: &CompareArgs,
    thresholds: &[Threshold],
    dir: &std::path::Path,
) -> anyhow::Result<u8> {
    let n = args.agents;
    let k = args.speed;
    let scripts = scripts();
    let mut emulators: Vec<Running> = Vec::new();
    for _ in 0..scripts.len() + 2 {
        emulators.push(start_emulator(config(n, k)?).await?);
    }
    let spec = emulators[0].state.config().limiters[0].spec;
    let ideal = f64::from(n.saturating_sub(spec.burst)) / spec.rate_per_sec();
    eprintln!(
        "pacer compare: {n} agents per strategy, seed profile at {k}x ({} per {:.1} s per token, burst {}); ideal {ideal:.1} s",
        spec.limit,
        spec.window.as_secs_f64(),
        spec.burst
    );
    let client = emulators[0].state.config().oauth.clients[0].clone();
    let per_agent_input = write_seed_csv(&dir.join("per-agent.csv"), &emulators[4].state, 0..n)?;
    let per_agent = ApplySettings {
        report: Some(dir.join("per-agent-report.json")),
        thresholds: thresholds.to_vec(),
        ..ApplySettings::for_emulator(&emulators[4].base, &client, per_agent_input)?
    };
    let week_input = write_week_csv(&dir.join("week.csv"), &emulators[5].state, n)?;
    let bulk = ApplySettings {
        report: Some(dir.join("week-report.json")),
        ..ApplySettings::bulk_for_emulator(&emulators[5].base, &client, week_input, "North")?
    };
    let scripted = |i: usize| {
        let config = BaselineConfig {
            time_scale: k,
            ..scripts[i].1.clone()
        };
        thread_run(&emulators[i], 0..n, config)
    };
    let (a, b, c, d, pacer, update) = tokio::join!(
        scripted(0),
        scripted(1),
        scripted(2),
        scripted(3),
        apply::execute(&per_agent, std::future::pending()),
        apply::execute(&bulk, std::future::pending()),
    );
    let (pacer, update) = (pacer?, update?);
    let mut rows = Vec::new();
    for ((name, _), result) in scripts.iter().zip([a, b, c, d]) {
        let summary = result?;
        rows.push(row(name, &summary, curve_of_times(&summary.written_at)));
    }
    for (name, outcome) in [
        ("pacer, per agent", &pacer),
        ("pacer, business unit's update", &update),
    ] {
        rows.push(row(
            name,
            &row_of(outcome),
            curve_of_counts(&outcome.progress),
        ));
    }
    print_table(&rows, ideal);
    let judged = &pacer.report.thresholds;
    write_report(args, &rows, ideal, judged)?;
    write_html(args, &rows, ideal, spec, judged)?;
    Ok(if pacer.report.thresholds.iter().any(|j| !j.passed) {
        exit::THRESHOLD_FAILED
    } else {
        exit::OK
    })
}

/// The usual scripts, by name: the thread's JMeter test and three copy-pasted retry loops.
fn scripts() -> [(&'static str, BaselineConfig); 4] {
    [
        (
            "JMeter, 50 threads, no retry",
            BaselineConfig {
                max_tries: 1,
                ..BaselineConfig::default()
            },
        ),
        ("Retry-After + jitter, 5 tries", BaselineConfig::default()),
        (
            "exponential backoff, 5 tries",
            BaselineConfig {
                wait: Wait::Exponential {
                    base: Duration::from_secs(1),
                },
                ..BaselineConfig::default()
            },
        ),
        (
            "fixed 2 s pause, 5 tries",
            BaselineConfig {
                wait: Wait::Fixed(Duration::from_secs(2)),
                ..BaselineConfig::default()
            },
        ),
    ]
}

/// The table of every strategy, then the server's bound.
fn print_table(rows: &[StrategyRow], ideal: f64) {
    println!();
    print_header();
    for row in rows {
        let summary = BaselineSummary {
            elapsed: Duration::from_secs_f64(row.elapsed_s),
            requests: row.requests,
            throttled: row.throttled,
            succeeded: row.written,
            lost: row.lost,
            written_at: Vec::new(),
        };
        print_row(&row.strategy, &summary);
    }
    println!("{:<40} {:>8.1}s", "ideal (server's bound)", ideal);
}

/// The JSON report (`--report`): every strategy's row and pacer's judged thresholds.
fn write_report(
    args: &CompareArgs,
    rows: &[StrategyRow],
    ideal: f64,
    judged: &[Judged],
) -> anyhow::Result<()> {
    let Some(path) = &args.report else {
        return Ok(());
    };
    let value = serde_json::json!({"speed": args.speed, "agents": args.agents, "ideal_s": ideal,
        "strategies": rows, "thresholds": judged});
    std::fs::write(path, serde_json::to_vec_pretty(&value)?)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// How a run at `--speed K` differs from real time, for the page's footnote.
fn footnote(k: f64) -> String {
    format!(
        "Run at x{k}: every limit's window is {k} times shorter for the same count (the limits \
         API says {k} times each count per minute), the scripts' own waits (pauses, backoff, \
         jitter) and the schedule update's processing are {k} times shorter, so times here are \
         1/{k} of real time's. Retry-After holds whole seconds, at least one, so it cannot \
         shrink below 1 s: the scripts read the emulator's exact wait beside it and wait what \
         real time's Retry-After would have said, {k} times shorter; pacer reads only what the \
         real API sends, so a 429 costs it a whole second. What is not scaled: the network's \
         latency, the OAuth token and the first reads of each run (a few tenths of a second)."
    )
}

/// The HTML page (`--html`).
fn write_html(
    args: &CompareArgs,
    rows: &[StrategyRow],
    ideal: f64,
    spec: LimitSpec,
    judged: &[Judged],
) -> anyhow::Result<()> {
    let Some(path) = &args.html else {
        return Ok(());
    };
    let (n, k) = (args.agents, args.speed);
    let title = format!("pacer compare: {n} agents each, seed profile at {k}x");
    // The limit as real time states it: `--speed` shortens its window, not its count.
    let per_minute = (f64::from(spec.limit) * k).round();
    let sections = [Section {
        title: format!("{per_minute} per minute per token, burst {}", spec.burst),
        rows: rows.to_vec(),
        ideal_s: ideal,
        footnote: (k > 1.0).then(|| footnote(k)),
    }];
    let page = render_strategies(&title, &sections, judged)?;
    std::fs::write(path, page).with_context(|| format!("cannot write {}", path.display()))
}
