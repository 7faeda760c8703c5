//! `pacer export`: a business unit's weeks of schedules out to a file that `pacer apply` reads
//! back as it is (CSV, one row per activity; or JSON Lines, one agent's week per line), in the
//! unit's local time with offsets, each agent with its userId, e-mail and name.

mod args;
mod write;

use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use args::ExportArgs;
use pacer_client::bulk::export::{self, Export, ExportSettings};
use pacer_client::bulk::{BulkProgress, Phase};
use pacer_client::{Credentials, Endpoints, Executor, ExecutorConfig, Method};
use pacer_core::retry::RetryConfig;
use pacer_emulator::units::parse_duration;

use super::apply::{Display, Lines};
use super::connection::{self, Connect, authenticate};
use crate::exit::{self, Exit};
use args::OutputFormat;

/// `pacer export`'s settings, checked.
#[derive(Debug, Clone)]
pub struct ExportRun {
    pub endpoints: Endpoints,
    pub credentials: Credentials,
    pub allow_insecure_http: bool,
    pub ca_file: Option<PathBuf>,
    pub timeout: Duration,
    pub max_wait: Duration,
    pub read: ExportSettings,
    /// `None`: standard output.
    pub output: Option<PathBuf>,
    pub format: OutputFormat,
    pub display: Display,
    /// Whether each phase is said as it begins.
    pub progress: bool,
}

impl ExportRun {
    /// Resolves the arguments against the environment.
    pub fn resolve(args: ExportArgs) -> anyhow::Result<ExportRun> {
        let endpoints = connection::endpoints(&args.connection)?;
        let credentials = connection::credentials(&args.connection)?;
        let duration = |flag: &str, text: &str| {
            parse_duration(text).map_err(|err| Exit::usage(format!("{flag}: {err}")))
        };
        let (output, format) = args::output(&args)?;
        Ok(ExportRun {
            endpoints,
            credentials,
            allow_insecure_http: args.connection.allow_insecure_http,
            ca_file: args.connection.ca_file.clone(),
            timeout: duration("--timeout", &args.timeout)?,
            max_wait: duration("--max-wait", &args.max_wait)?,
            read: ExportSettings {
                business_unit: args.business_unit,
                week: args.week,
                weeks: args.weeks,
                schedule: args.schedule,
                management_units: args.management_units,
                users_by: args.users_by.choice(),
            },
            output,
            format,
            progress: !args.no_progress,
            display: if args.json {
                Display::Json
            } else {
                Display::Lines
            },
        })
    }
}

/// Runs `pacer export`.
pub fn run(args: ExportArgs) -> anyhow::Result<u8> {
    let settings = ExportRun::resolve(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(execute(&settings))
}

/// Reads the weeks, then writes the file whole (a file appears only once complete).
pub async fn execute(settings: &ExportRun) -> anyhow::Result<u8> {
    let started = Instant::now();
    let say = |text: &str| eprintln!("{text}");
    let connect = Connect {
        endpoints: &settings.endpoints,
        credentials: &settings.credentials,
        timeout: settings.timeout,
        tokens: 1,
        allow_insecure_http: settings.allow_insecure_http,
        ca_file: settings.ca_file.clone(),
    };
    let (http, tokens) = authenticate(&connect, &say).await?;
    let mut config = ExecutorConfig::new(Method::GET, "/api/v2/workforcemanagement");
    config.retry = RetryConfig {
        max_wait: settings.max_wait,
        ..RetryConfig::default()
    };
    let mut executor = Executor::new(
        config,
        http,
        tokens.clone(),
        settings.endpoints.api_base.clone(),
    );
    let mut lines = Lines {
        display: settings.display,
        started,
    };
    let mut silent = Silent;
    let progress: &mut dyn BulkProgress = if settings.progress {
        &mut lines
    } else {
        &mut silent
    };
    let export = export::read(&mut executor, &settings.read, progress)
        .await
        .map_err(|err| match err {
            pacer_client::Error::Workflow(message) => Exit::usage(message),
            other => anyhow::Error::new(other).context("the export stopped"),
        })?;
    let records = executor.take_call_records();
    let requests = records
        .iter()
        .filter(|r| !matches!(r.label, Some("GET download" | "PUT upload")))
        .count() as u64
        + tokens.tokens_minted();
    let counts = write_output(settings, &export)?;
    summary(settings, &export, &counts, requests, started);
    Ok(exit::OK)
}

/// Progress that says nothing (`--no-progress`).
struct Silent;

impl BulkProgress for Silent {
    fn phase(&mut self, _: Phase, _: &str) {}
}

/// What the file holds.
pub struct Counts {
    pub agents: usize,
    pub shifts: usize,
    pub rows: usize,
}

/// Writes the export to its file (through a temporary file renamed at the end) or standard
/// output.
fn write_output(settings: &ExportRun, export: &Export) -> anyhow::Result<Counts> {
    match &settings.output {
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let counts = write::write(&mut out, settings.format, export)?;
            out.flush()?;
            Ok(counts)
        }
        Some(path) => {
            let mut partial = path.clone().into_os_string();
            partial.push(".partial");
            let partial = PathBuf::from(partial);
            let wrap = |err: std::io::Error| {
                anyhow::Error::new(err).context(format!("cannot write {}", path.display()))
            };
            let file = std::fs::File::create(&partial).map_err(wrap)?;
            let mut out = std::io::BufWriter::new(file);
            let counts = write::write(&mut out, settings.format, export)?;
            out.flush().map_err(wrap)?;
            drop(out);
            std::fs::rename(&partial, path).map_err(wrap)?;
            Ok(counts)
        }
    }
}

/// One line (or one JSON event) saying what was exported and what it took.
fn summary(
    settings: &ExportRun,
    export: &Export,
    counts: &Counts,
    requests: u64,
    started: Instant,
) {
    let target = settings
        .output
        .as_ref()
        .map_or("standard output".to_string(), |p| p.display().to_string());
    let seconds = started.elapsed().as_secs_f64();
    if settings.display == Display::Json {
        let weeks: Vec<serde_json::Value> = export
            .weeks
            .iter()
            .map(|w| serde_json::json!({"week": w.week, "schedule_id": w.schedule_id, "agents": w.agents.len()}))
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "event": "exported",
                "business_unit": export.unit.name,
                "time_zone": export.unit.zone.name(),
                "weeks": weeks,
                "agents": counts.agents,
                "shifts": counts.shifts,
                "rows": counts.rows,
                "requests": requests,
                "read_by": export.read_by,
                "users_by": export.directory.strategy.as_str(),
                "users_requests": export.directory.requests,
                "elapsed_s": seconds,
                "output": target,
            })
        );
        return;
    }
    let weeks: Vec<String> = export
        .weeks
        .iter()
        .map(|w| match &w.schedule_id {
            Some(id) => format!("{} (schedule {id})", w.week),
            None => format!("{} (no schedule)", w.week),
        })
        .collect();
    eprintln!(
        "exported {} agent-weeks, {} shifts ({} rows) of business unit {} ({}), weeks {}, to {target}: {requests} API requests ({} for the agents' e-mails by {}), {seconds:.1}s",
        counts.agents,
        counts.shifts,
        counts.rows,
        export.unit.name,
        export.unit.zone.name(),
        weeks.join(", "),
        export.directory.requests,
        export.directory.strategy.as_str(),
    );
}
