//! What `demo` and `compare` share: emulators on free loopback ports, the input files they write
//! for the seed route and for a business unit's week, and a run's figures as one table row.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use pacer_client::baseline::BaselineSummary;
use pacer_emulator::{AppState, Config};

use super::apply::Outcome;

/// The per-agent body of the seed route: one shift.
pub const SCHEDULE: &str = r#"{"weekDate":"2026-12-07","shifts":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activities":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activityCodeId":"0","description":"Work"}]}]}"#;

/// The folder a command writes into (`dir`, else a fresh one under the system's temporary
/// folder named after `prefix`), created, and a two-thread runtime to run it on.
pub fn folder_and_runtime(
    dir: Option<PathBuf>,
    prefix: &str,
) -> anyhow::Result<(PathBuf, tokio::runtime::Runtime)> {
    let dir = dir
        .unwrap_or_else(|| std::env::temp_dir().join(format!("{prefix}-{}", std::process::id())));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok((dir, runtime))
}

/// A running emulator; it stops when dropped.
pub struct Running {
    pub state: AppState,
    pub base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `config` on a free loopback port.
pub async fn start_emulator(config: Config) -> anyhow::Result<Running> {
    let state = AppState::new(config).context("cannot build the emulator")?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot bind 127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(pacer_emulator::serve(listener, state.clone(), async move {
        let _ = stopped.await;
    }));
    Ok(Running {
        state,
        base,
        stop: Some(stop),
    })
}

/// Writes `userId,schedule` for agents `agents` of `state` to `path`.
pub fn write_seed_csv(
    path: &Path,
    state: &AppState,
    agents: std::ops::Range<u32>,
) -> anyhow::Result<PathBuf> {
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
    );
    writeln!(out, "userId,schedule")?;
    for index in agents {
        let id = state.agent_id(index).context("the agent exists")?;
        writeln!(out, "{id},\"{}\"", SCHEDULE.replace('"', "\"\""))?;
    }
    out.flush()?;
    Ok(path.to_path_buf())
}

/// Today, in days since the epoch, by the system clock.
pub fn today() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
        .div_euclid(86_400)
}

/// Writes a shift on Tuesday 09:00 of this week (Monday weeks) for the first `agents` agents.
pub fn write_week_csv(path: &Path, state: &AppState, agents: u32) -> anyhow::Result<PathBuf> {
    let week = pacer_genesys::datetime::week_start(today(), 0);
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
    );
    writeln!(
        out,
        "userId,weekDate,startDate,lengthMinutes,activityCodeId"
    )?;
    let week_date = pacer_genesys::datetime::format_days(week);
    let start = pacer_genesys::datetime::format_seconds((week + 1) * 86_400 + 9 * 3600);
    for index in 0..agents {
        let id = state.agent_id(index).context("the agent exists")?;
        writeln!(out, "{id},{week_date},{start},480,Work")?;
    }
    out.flush()?;
    Ok(path.to_path_buf())
}

/// A run of `apply` as a table row.
pub fn row_of(outcome: &Outcome) -> BaselineSummary {
    let report = &outcome.report;
    BaselineSummary {
        elapsed: Duration::from_secs_f64(report.elapsed_s),
        requests: report.requests_sent,
        throttled: report.throttled,
        succeeded: report.items_succeeded,
        lost: report.items_total - report.items_succeeded - report.items_skipped,
        written_at: Vec::new(),
    }
}

/// Prints one table row.
pub fn print_row(name: &str, row: &BaselineSummary) {
    println!(
        "{:<40} {:>8.1}s {:>9} {:>6} {:>8} {:>6}",
        name,
        row.elapsed.as_secs_f64(),
        row.requests,
        row.throttled,
        row.succeeded,
        row.lost
    );
}

/// Prints the table's header.
pub fn print_header() {
    println!(
        "{:<40} {:>9} {:>9} {:>6} {:>8} {:>6}",
        "", "time", "requests", "429s", "written", "lost"
    );
}

/// Runs a usual script's approach (see [`pacer_client::baseline`]) for agents `agents` of the
/// emulator at `base`, with its own token.
pub async fn thread_run(
    running: &Running,
    agents: std::ops::Range<u32>,
    config: pacer_client::baseline::BaselineConfig,
) -> anyhow::Result<BaselineSummary> {
    use pacer_client::{
        Credentials, Endpoints, HttpClient, HttpConfig, Job, Method, Secret, TokenConfig,
        TokenManager,
    };
    let client = &running.state.config().oauth.clients[0];
    let endpoints = Endpoints::resolve(&pacer_client::EndpointOptions {
        api_url: Some(&running.base),
        ..Default::default()
    })?;
    let jobs: Vec<Job> = agents
        .map(|index| {
            Ok(Job {
                line: u64::from(index),
                user_id: running.state.agent_id(index).context("the agent exists")?,
                body: bytes::Bytes::from_static(SCHEDULE.as_bytes()),
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let http = HttpClient::new(&HttpConfig::default())?;
    let tokens = TokenManager::new(
        http.clone(),
        endpoints.token_url.clone(),
        Credentials::new(client.id.clone(), Secret::new(client.secret.clone())),
        TokenConfig::default(),
    );
    Ok(pacer_client::baseline::thread_approach(
        http,
        tokens,
        &running.base,
        Method::PUT,
        "/api/v2/wfm/usersettings/{userId}/schedule",
        jobs,
        config,
    )
    .await?)
}
