//! `pacer apply --coordinator`: the per-agent path as one of several runners sharing one queue
//! and one budget through Redis (`pacer-coord`). The arguments and their settings, the join, the
//! limits declared to the shared budget, the observer that acknowledges items after their 2xx,
//! the notices printed when Redis goes and comes back, and the run-wide figures of the report.

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use pacer_client::{Event, Executor, Observer, Progress};
use pacer_coord::{Coordinator, Joined, Notice, Options, QueueItem, RunCounts, SharedLimit};
use pacer_input::{Input, Item, Validation};

use super::Display;
use crate::exit::{self, Exit};
use pacer_emulator::units::parse_duration;

/// The variable that may hold the coordinator's URL (the place for one with a password).
pub const ENV_COORDINATOR: &str = "PACER_COORDINATOR";

/// Arguments of a coordinated run.
#[derive(Debug, Clone, Args)]
pub struct CoordArgs {
    /// Share one queue and one budget with every runner of `--run` through this Redis
    /// (`redis://HOST:PORT[/DB]`) [env: PACER_COORDINATOR; a URL with a password only there].
    #[arg(long, value_name = "URL", help_heading = "Several runners")]
    pub coordinator: Option<String>,

    /// The run's name: every runner of one job names the same run.
    #[arg(long, value_name = "NAME", help_heading = "Several runners")]
    pub run: Option<String>,

    /// This runner's name among the run's [default: HOST-PID].
    #[arg(long, value_name = "NAME", help_heading = "Several runners")]
    pub runner: Option<String>,

    /// How long an item stays with a runner that stopped answering before another takes it.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "10s",
        help_heading = "Several runners"
    )]
    pub lease: String,
}

/// A coordinated run's settings.
#[derive(Clone)]
pub struct CoordSettings {
    /// The URL, as given (it may hold a password: never printed; see `pacer_coord::redact`).
    pub url: String,
    pub options: Options,
}

impl std::fmt::Debug for CoordSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoordSettings")
            .field("url", &pacer_coord::redact(&self.url))
            .field("options", &self.options)
            .finish()
    }
}

impl CoordArgs {
    /// The settings, or `None` without a coordinator.
    pub fn resolve(&self) -> anyhow::Result<Option<CoordSettings>> {
        let from_env = std::env::var(ENV_COORDINATOR)
            .ok()
            .filter(|v| !v.trim().is_empty());
        let url = match (&self.coordinator, from_env) {
            (Some(flag), _) => {
                if has_password(flag) {
                    return Err(Exit::usage(format!(
                        "--coordinator: the URL holds a password, which every user of this machine could read in the process list; set {ENV_COORDINATOR} instead"
                    )));
                }
                flag.clone()
            }
            (None, Some(env)) => env,
            (None, None) => {
                if self.run.is_some() || self.runner.is_some() {
                    return Err(Exit::usage(format!(
                        "--run and --runner need a coordinator: pass --coordinator URL or set {ENV_COORDINATOR}"
                    )));
                }
                return Ok(None);
            }
        };
        let run = self.run.clone().ok_or_else(|| {
            Exit::usage("--run NAME: a coordinated run needs a name that every runner of it gives")
        })?;
        if run.is_empty() || run.contains(['{', '}', ' ']) {
            return Err(Exit::usage(format!(
                "--run: `{run}` must be a non-empty name without spaces or braces"
            )));
        }
        let runner = self
            .runner
            .clone()
            .unwrap_or_else(|| format!("{}-{}", hostname(), std::process::id()));
        let lease = parse_duration(&self.lease)
            .map_err(|reason| Exit::usage(format!("--lease: {reason}")))?;
        if lease < Duration::from_secs(1) {
            return Err(Exit::usage("--lease: must be at least 1s"));
        }
        let mut options = Options::new(run, runner);
        options.lease = lease;
        Ok(Some(CoordSettings { url, options }))
    }
}

fn has_password(url: &str) -> bool {
    url.split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split('/')
        .next()
        .is_some_and(|authority| authority.contains('@'))
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "runner".into())
}

/// The journal of a coordinated runner: `<input>.<run>.<runner>.pacer.sqlite`, so that runners on
/// one host keep one journal each.
pub fn default_journal(input: &std::path::Path, options: &Options) -> std::path::PathBuf {
    let mut name = input
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "input".into());
    name.push(format!(".{}.{}.pacer.sqlite", options.run, options.runner));
    input.with_file_name(name)
}

/// Connects (exit 2 when Redis cannot be reached: nothing is sent) and prints its notices.
pub async fn connect(settings: &CoordSettings, display: Display) -> anyhow::Result<Coordinator> {
    let (notices, mut heard) = tokio::sync::mpsc::unbounded_channel();
    let coordinator = Coordinator::connect(&settings.url, settings.options.clone(), Some(notices))
        .await
        .map_err(|err| Exit::with_code(exit::USAGE, format!("{err}; nothing was sent")))?;
    let watched = coordinator.clone();
    tokio::spawn(async move {
        while let Some(notice) = heard.recv().await {
            let text = match notice {
                Notice::Lost { reason } => format!(
                    "coordinator lost ({reason}): pacing alone at this runner's share ({}) and finishing the items it holds until Redis is back",
                    watched.fallback_share_per_min().map_or(
                        "no shared limit is known".into(),
                        |share| format!(
                            "{share:.0}/min, the shared limit over {} runners",
                            watched.runners_alive()
                        )
                    )
                ),
                Notice::Back => {
                    "coordinator back: the shared budget and queue are used again".to_string()
                }
            };
            if display == Display::Json {
                println!(
                    "{}",
                    serde_json::json!({"event": "coordinator", "message": text})
                );
            } else {
                eprintln!("{text}");
            }
        }
    });
    Ok(coordinator)
}

/// Loads the valid rows into the run's queue, or joins the run with the same input.
pub async fn join(
    coordinator: &Coordinator,
    input: &Input,
    validation: &Validation,
    say: &dyn Fn(&str),
) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    for item in input.rows(validation).map_err(Exit::usage)? {
        if let Item::Valid(row) = item.map_err(Exit::usage)? {
            rows.push(QueueItem {
                line: row.line,
                user_id: row.user_id,
                body: row.body.into(),
            });
        }
    }
    let total = rows.len() as u64;
    let fingerprint = validation.fingerprint.to_string();
    let joined = coordinator
        .join(&fingerprint, total, rows.into_iter())
        .await
        .map_err(|err| Exit::with_code(exit::USAGE, err.to_string()))?;
    let options = coordinator.options();
    say(&match joined {
        Joined::Loaded => format!(
            "run {}: loaded {total} items into the queue at {}; runner {}",
            options.run,
            coordinator.url(),
            options.runner
        ),
        Joined::Joined => format!(
            "run {}: joined at {} as runner {} (same input)",
            options.run,
            coordinator.url(),
            options.runner
        ),
    });
    Ok(())
}

/// Puts the limits the limits API listed (all but the per-token ones) in the shared budget.
pub async fn declare(coordinator: &Coordinator, executor: &Executor, say: &dyn Fn(&str)) {
    let limits: Vec<SharedLimit> = executor
        .listed_limits()
        .iter()
        .filter_map(|(key, value)| {
            let named = pacer_core::signals::NamedLimit {
                key: key.clone(),
                namespace: None,
                value: Some(*value),
            };
            (!named.is_token_limit() && *value > 0).then_some(SharedLimit {
                name: key.clone(),
                limit: *value,
                window: named.window()?,
                learned: false,
            })
        })
        .collect();
    if let Err(err) = coordinator.declare(&limits).await {
        say(&format!("could not declare the shared limits: {err}"));
    }
    for limit in coordinator.known_limits() {
        say(&format!("shared budget: {limit}"));
    }
    if let (Some(rate), Ok(counts)) = (
        coordinator.shared_rate_per_sec(),
        coordinator.counts().await,
    ) {
        say(&format!(
            "plan: the run's {} items left need at least {:.0} s at the shared limit ({:.0}/min), whatever the runners",
            counts.remaining(),
            counts.remaining() as f64 / rate,
            rate * 60.0
        ));
    }
}

/// The run's observer, acknowledging each item to the queue once it is journaled done (after its
/// 2xx) or failed for good.
pub struct AckingObserver<'o, O: Observer> {
    pub inner: &'o mut O,
    pub coordinator: Coordinator,
}

impl<O: Observer> Observer for AckingObserver<'_, O> {
    fn events(
        &mut self,
        events: &[Event],
    ) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>> {
        // The journal first: an item is acknowledged only once this runner has recorded it.
        self.inner.events(events)?;
        for event in events {
            match event {
                Event::Sending { .. } => self.coordinator.count_sent(),
                Event::Done { line, .. } => self.coordinator.ack(*line, pacer_coord::Outcome::Done),
                Event::Failed { line, reason, .. } => self
                    .coordinator
                    .ack(*line, pacer_coord::Outcome::Failed(reason.clone())),
                Event::Request(_) => {}
            }
        }
        Ok(())
    }

    fn progress(&mut self, progress: &Progress) {
        self.inner.progress(progress);
    }

    fn stop_reason(&mut self) -> Option<String> {
        self.inner.stop_reason()
    }
}

/// The longest a runner waits at the end for Redis to take its last acknowledgements.
const FINAL_FLUSH: Duration = Duration::from_secs(60);

/// After this runner's part: writes its last acknowledgements (waiting for Redis to come back,
/// within a bound) and reads the whole run's counts.
pub async fn finish(coordinator: &Coordinator, say: &dyn Fn(&str)) -> Option<RunCounts> {
    let until = tokio::time::Instant::now() + FINAL_FLUSH;
    let mut said = false;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tick.tick().await;
        if coordinator.flush_acks().await.is_ok()
            && let Ok(counts) = coordinator.counts().await
        {
            coordinator.finished().await;
            return Some(counts);
        }
        if tokio::time::Instant::now() >= until {
            say(&format!(
                "the coordinator is still away: {} acknowledgements could not be written (this runner's journal holds them)",
                coordinator.acks_waiting()
            ));
            return None;
        }
        if !said {
            said = true;
            say("waiting for the coordinator to take this runner's last acknowledgements");
        }
    }
}

/// The report's `coordinator` section.
pub fn section(
    coordinator: &Coordinator,
    counts: Option<&RunCounts>,
    written_here: u64,
) -> serde_json::Value {
    let options = coordinator.options();
    let round_trips = coordinator.round_trips();
    serde_json::json!({
        "run": options.run,
        "runner": options.runner,
        "url": coordinator.url(),
        "items_total": counts.map(|c| c.total),
        "items_done": counts.map(|c| c.done),
        "items_failed": counts.map(|c| c.failed),
        "items_remaining": counts.map(|c| c.remaining()),
        "written_by_this_runner": written_here,
        "runners_alive": coordinator.runners_alive(),
        "redis_round_trips": round_trips,
        "redis_round_trips_per_item": (written_here > 0).then(|| round_trips as f64 / written_here as f64),
        "shared_limits": coordinator.known_limits(),
    })
}

/// The shared budget, for the executor.
pub fn budget(coordinator: &Coordinator) -> Arc<dyn pacer_client::SharedBudget> {
    Arc::new(coordinator.clone())
}
