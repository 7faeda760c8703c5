//! `pacer demo`: the embedded emulator, 500 agents, and `pacer apply` next to the thread's approach.
//!
//! Both run at the same time against one emulator, each with its own token and its own agents:
//! the seed profile's limit is per token, so neither slows the other, and the emulator's counters
//! tell their writes apart by agent.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use pacer_client::baseline::{BaselineConfig, BaselineSummary, thread_approach};
use pacer_client::{
    Credentials, Endpoints, HttpClient, HttpConfig, Job, Method, Secret, TokenConfig, TokenManager,
};
use pacer_emulator::{AppState, Config, Profile};

use super::apply::settings::BulkOptions;
use super::apply::{self, ApplySettings, DeadlinePolicy, Display};
use crate::exit::Exit;
use pacer_client::bulk::OnConflict;

const SCHEDULE: &str = r#"{"weekDate":"2026-12-07","shifts":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activities":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activityCodeId":"0","description":"Work"}]}]}"#;

/// Arguments of `pacer demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Agents whose schedules pacer assigns (the thread's approach gets as many others).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=50_000))]
    pub agents: u32,

    /// Skip the thread's approach: run pacer alone.
    #[arg(long)]
    pub no_baseline: bool,

    /// Where the demo writes its input, journal and report; a fresh temporary folder by default.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// The deadline pacer plans against, as the thread's "500 users within a 5-minute window".
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    pub deadline: String,
}

pub fn run(args: DemoArgs) -> anyhow::Result<u8> {
    let deadline = pacer_emulator::units::parse_duration(&args.deadline)
        .map_err(|reason| Exit::usage(format!("--deadline: {reason}")))?;
    let dir = match args.dir {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!("pacer-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(demo(args.agents, !args.no_baseline, dir, deadline))
}

async fn demo(agents: u32, baseline: bool, dir: PathBuf, deadline: Duration) -> anyhow::Result<u8> {
    // The emulator, seed profile, on a free loopback port.
    let mut config = Config::profile(Profile::Seed);
    config.agents = agents * 2;
    let client = config.oauth.clients[0].clone();
    let (state, base, stop, server) = start_emulator(config).await?;

    // The input: agents 0..n for pacer, n..2n for the thread's approach.
    let input = dir.join("agents.csv");
    {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&input)
                .with_context(|| format!("cannot write {}", input.display()))?,
        );
        writeln!(out, "userId,schedule")?;
        for index in 0..agents {
            let id = state.agent_id(index).expect("the agent exists");
            writeln!(out, "{id},\"{}\"", SCHEDULE.replace('"', "\"\""))?;
        }
        out.flush()?;
    }
    let journal = dir.join("agents.csv.pacer.sqlite");
    let _ = std::fs::remove_file(&journal);
    let report = dir.join("report.json");
    // The server's bound comes from the emulator's own token limiter: (N - burst) / rate.
    let spec = state
        .config()
        .limiters
        .first()
        .map(|limiter| limiter.spec)
        .context("the seed profile has a token limiter")?;
    eprintln!(
        "pacer demo: emulator (seed profile: {} {} per {} s, burst {}) at {base}",
        spec.algorithm,
        spec.limit,
        spec.window.as_secs_f64(),
        spec.burst
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

    let endpoints = Endpoints::resolve(&pacer_client::EndpointOptions {
        api_url: Some(&base),
        ..Default::default()
    })?;
    let credentials = Credentials::new(client.id.clone(), Secret::new(client.secret.clone()));

    // The thread's approach, in the background.
    let baseline_task = baseline.then(|| {
        let jobs: Vec<Job> = (agents..agents * 2)
            .map(|index| Job {
                line: u64::from(index),
                user_id: state.agent_id(index).expect("the agent exists"),
                body: bytes::Bytes::from_static(SCHEDULE.as_bytes()),
            })
            .collect();
        let http = HttpClient::new(&HttpConfig::default()).expect("an HTTP client");
        let tokens = TokenManager::new(
            http.clone(),
            endpoints.token_url.clone(),
            credentials.clone(),
            TokenConfig::default(),
        );
        let base = base.clone();
        tokio::spawn(async move {
            thread_approach(
                http,
                tokens,
                &base,
                Method::PUT,
                "/api/v2/wfm/usersettings/{userId}/schedule",
                jobs,
                BaselineConfig::default(),
            )
            .await
        })
    });

    let settings = ApplySettings {
        input: input.clone(),
        format: None,
        endpoints,
        credentials,
        tokens: 1,
        allow_insecure_http: false,
        method: Method::PUT,
        path_template: "/api/v2/wfm/usersettings/{userId}/schedule".into(),
        declared: None,
        max_in_flight: 64,
        max_wait: Duration::from_secs(180),
        timeout: Duration::from_secs(60),
        journal,
        restart: true,
        skip_invalid: false,
        rejects: dir.join("agents.csv.rejects.csv"),
        deadline: Some(deadline),
        deadline_policy: DeadlinePolicy::Warn,
        report: Some(report.clone()),
        jtl: Some(dir.join("requests.jtl")),
        html: None,
        metrics: None,
        thresholds: Vec::new(),
        display: if std::io::stderr().is_terminal() {
            Display::Bar
        } else {
            Display::Lines
        },
        seed: 0x7061_6365,
        bulk: None,
        path_reason: "per-agent path: the seed thread's route".into(),
        dry_run: false,
    };
    let outcome = apply::execute(&settings, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;

    let baseline = match baseline_task {
        Some(task) => {
            eprintln!("\nwaiting for the thread's approach to finish...");
            Some(task.await.context("the baseline task failed")??)
        }
        None => None,
    };
    eprintln!(
        "\nnow the real Genesys Cloud path: {agents} agents through the business unit's schedule update, on an emulator of the genesys profile"
    );
    let bulk = bulk_path(&settings, agents, &dir).await?;
    let stats = state.stats();
    let _ = stop.send(());
    let _ = server.await;

    let pacer_row = BaselineSummary {
        elapsed: Duration::from_secs_f64(outcome.report.elapsed_s),
        requests: outcome.report.requests_sent,
        throttled: outcome.report.throttled,
        succeeded: outcome.report.items_succeeded,
        lost: outcome.report.items_total
            - outcome.report.items_succeeded
            - outcome.report.items_skipped,
    };
    println!();
    println!(
        "{:<34} {:>9} {:>9} {:>6} {:>8} {:>6}",
        "", "time", "requests", "429s", "written", "lost"
    );
    print_row("pacer, per agent (seed route)", &pacer_row);
    if let Some(b) = &baseline {
        print_row("thread's approach (50 threads)", b);
    }
    print_row("pacer, business unit's update", &bulk);
    println!(
        "{:<34} {:>8.0}s",
        "ideal (server's bound)",
        ideal.as_secs_f64()
    );
    println!(
        "\nemulator: {} agents written, at most {} write(s) per agent, {} requests throttled",
        stats.users_written,
        stats.max_writes_per_user,
        stats.throttled_by_limit.values().sum::<u64>()
    );
    println!(
        "files: {} (report), {} (JMeter results)",
        report.display(),
        dir.join("requests.jtl").display()
    );
    Ok(outcome.exit_code)
}

/// A running emulator: its state, base URL, stop switch and task.
type Running = (
    AppState,
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), pacer_emulator::EmulatorError>>,
);

/// Serves `config` on a free loopback port.
async fn start_emulator(config: Config) -> anyhow::Result<Running> {
    let state = AppState::new(config).context("cannot build the emulator")?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot bind 127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(pacer_emulator::serve(listener, state.clone(), async move {
        let _ = stopped.await;
    }));
    Ok((state, base, stop, server))
}

/// The same number of agents written through the business unit's schedule update, on an
/// emulator of the genesys profile (the real API's shape: no per-agent route there).
async fn bulk_path(
    per_agent: &ApplySettings,
    agents: u32,
    dir: &std::path::Path,
) -> anyhow::Result<BaselineSummary> {
    let today = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
        .div_euclid(86_400);
    let week = pacer_genesys::datetime::week_start(today, 0);
    let mut config = Config::profile(Profile::Genesys);
    config.agents = agents;
    config.wfm.today = Some(pacer_genesys::datetime::format_days(today));
    let (state, base, stop, server) = start_emulator(config).await?;
    let input = dir.join("week.csv");
    {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&input)
                .with_context(|| format!("cannot write {}", input.display()))?,
        );
        writeln!(
            out,
            "userId,weekDate,startDate,lengthMinutes,activityCodeId"
        )?;
        let week_date = pacer_genesys::datetime::format_days(week);
        let start = pacer_genesys::datetime::format_seconds((week + 1) * 86_400 + 9 * 3600);
        for index in 0..agents {
            let id = state.agent_id(index).expect("the agent exists");
            writeln!(out, "{id},{week_date},{start},480,Work")?;
        }
        out.flush()?;
    }
    let journal = dir.join("week.csv.pacer.sqlite");
    let _ = std::fs::remove_file(&journal);
    let settings = ApplySettings {
        input,
        endpoints: Endpoints::resolve(&pacer_client::EndpointOptions {
            api_url: Some(&base),
            ..Default::default()
        })?,
        journal,
        report: Some(dir.join("week-report.json")),
        jtl: Some(dir.join("week.jtl")),
        display: Display::Lines,
        bulk: Some(BulkOptions {
            business_unit: "North".into(),
            week: None,
            schedule: None,
            create_schedule: false,
            on_conflict: OnConflict::Retry,
        }),
        path_reason: "bulk path: business unit North's schedule update".into(),
        ..per_agent.clone()
    };
    let outcome = apply::execute(&settings, std::future::pending()).await;
    let _ = stop.send(());
    let _ = server.await;
    let report = outcome?.report;
    Ok(BaselineSummary {
        elapsed: Duration::from_secs_f64(report.elapsed_s),
        requests: report.requests_sent,
        throttled: report.throttled,
        succeeded: report.items_succeeded,
        lost: report.items_total - report.items_succeeded - report.items_skipped,
    })
}

fn print_row(name: &str, row: &BaselineSummary) {
    println!(
        "{:<34} {:>8.1}s {:>9} {:>6} {:>8} {:>6}",
        name,
        row.elapsed.as_secs_f64(),
        row.requests,
        row.throttled,
        row.succeeded,
        row.lost
    );
}
