//! `pacer undo`: puts every agent a schedule-update run wrote back as it was, from the images
//! that run's journal kept (each agent's schedule as read before its update, and as sent),
//! through the same paced, journaled and verified schedule update: what the run changed is
//! restored, what it added is taken out, each with the agent's current version. An agent another
//! editor changed since the run is left alone and listed (exit 3) unless `--force`. Undo is a run
//! of its own: its journal (`<journal>.undo.sqlite`) resumes it after a kill.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use pacer_client::bulk::images::{Restore, ScheduleImage, undo_desired};
use pacer_client::bulk::{Ambiguous, OnConflict};
use pacer_journal::{AgentImage, Fingerprint, Journal, RunSpec};

use super::apply::bulk::{Start, connect, run_update};
use super::apply::settings::BulkOptions;
use super::apply::wanted::Wanted;
use super::apply::{ApplySettings, Display};
use super::connection::{self, ConnectionArgs};
use crate::exit::{self, Exit};
use pacer_emulator::units::parse_duration;

/// Arguments of `pacer undo`.
#[derive(Debug, Args)]
pub struct UndoArgs {
    /// The journal of the schedule-update run to undo.
    #[arg(long, value_name = "FILE")]
    pub journal: PathBuf,

    /// Undo's own journal, which resumes it after a kill (by default `<journal>.undo.sqlite`).
    #[arg(long, value_name = "FILE")]
    pub undo_journal: Option<PathBuf>,

    /// Read and plan, print the plan, and write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Put back agents another editor changed since the run too (their changes are lost).
    #[arg(long)]
    pub force: bool,

    /// Write the JSON report here.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// One JSON event per line on standard output.
    #[arg(long)]
    pub json: bool,

    /// No line as each phase begins.
    #[arg(long)]
    pub no_progress: bool,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// The longest wait for one response.
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    pub timeout: String,

    /// The longest Retry-After a request waits before it gives up.
    #[arg(long, default_value = "180s", value_name = "DURATION")]
    pub max_wait: String,
}

/// Runs `pacer undo`.
pub fn run(args: UndoArgs) -> anyhow::Result<u8> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(execute(args))
}

/// What the run to undo left: its business units and its agents' images.
struct Undoable {
    /// The units as the run named them (several: each image's week is `unit|week`).
    units: Vec<String>,
    images: Vec<AgentImage>,
}

impl Undoable {
    fn unit(&self) -> String {
        self.units.join(", ")
    }
}

/// An image's unit (when the run had several) and week.
fn unit_and_week(key: &str) -> (Option<&str>, &str) {
    match key.split_once('|') {
        Some((unit, week)) => (Some(unit), week),
        None => (None, key),
    }
}

async fn execute(args: UndoArgs) -> anyhow::Result<u8> {
    let started = Instant::now();
    let Some(undoable) = read_run(&args.journal)? else {
        eprintln!(
            "{}: the run wrote no agent: nothing to undo",
            args.journal.display()
        );
        return Ok(exit::OK);
    };
    let settings = settings(&args, &undoable)?;
    let options = settings
        .bulk
        .clone()
        .expect("undo takes the schedule update");
    let restores = restores(&undoable.images)?;
    let desired = undo_desired(&restores, args.force);
    let wanted = Wanted {
        lines: desired.iter().map(|d| vec![d.line]).collect(),
        desired,
    };
    let journal = if args.dry_run {
        None
    } else {
        Some(open_journal(&settings, &undoable, &restores, args.force)?)
    };
    say(
        &settings,
        &format!(
            "undo of {}: {} agents of business unit {} put back as they were{}",
            args.journal.display(),
            restores.len(),
            undoable.unit(),
            if args.force {
                " (--force: also those changed since)"
            } else {
                ""
            }
        ),
    );
    let (executor, tokens_minted) = connect(&settings).await?;
    let start = Start {
        executor,
        tokens_minted,
        started,
        resolved: None,
    };
    let outcome = run_update(&settings, &options, &wanted, journal, start).await?;
    Ok(outcome.exit_code)
}

/// The run's business unit and images, or `None` when it wrote nothing; refuses a journal that
/// is not a schedule update's, or whose last update's end was not seen.
fn read_run(path: &std::path::Path) -> anyhow::Result<Option<Undoable>> {
    let journal = Journal::open_existing(path).map_err(|err| match err {
        pacer_journal::Error::Missing { .. } | pacer_journal::Error::NotAJournal { .. } => {
            Exit::usage(err)
        }
        other => anyhow::Error::new(other),
    })?;
    let info = journal.run()?;
    let Some(unit) = info.path_template.strip_prefix("businessunit ") else {
        return Err(Exit::usage(format!(
            "{}: a per-agent run ({} {}) keeps no images: only a schedule update's run can be undone",
            path.display(),
            info.method,
            info.path_template
        )));
    };
    if journal.updates()?.iter().any(|u| u.is_pending()) {
        return Err(Exit::usage(format!(
            "{}: the run left an update whose end it did not see: run it again to finish it, then undo",
            path.display()
        )));
    }
    let images = journal.images()?;
    Ok((!images.is_empty()).then(|| Undoable {
        units: unit.split(',').map(str::to_string).collect(),
        images,
    }))
}

/// Undo's settings: the schedule update of the run's unit, each week in the schedule the run
/// wrote.
fn settings(args: &UndoArgs, undoable: &Undoable) -> anyhow::Result<ApplySettings> {
    let duration = |flag: &str, text: &str| {
        parse_duration(text).map_err(|err| Exit::usage(format!("{flag}: {err}")))
    };
    let endpoints = connection::endpoints(&args.connection)?;
    let credentials = connection::credentials(&args.connection)?;
    let undo_journal = args.undo_journal.clone().unwrap_or_else(|| {
        let mut path = args.journal.clone().into_os_string();
        path.push(".undo.sqlite");
        PathBuf::from(path)
    });
    let options = BulkOptions {
        business_unit: undoable.units[0].clone(),
        business_units: undoable.units.clone(),
        week: None,
        schedule: None,
        schedule_by_week: undoable
            .images
            .iter()
            .map(|i| (i.week.clone(), i.schedule_id.clone()))
            .collect(),
        create_schedule: false,
        on_conflict: OnConflict::Retry,
        ambiguous: Ambiguous::Refuse,
        users_by: Default::default(),
        max_agents_per_update: 1000,
    };
    let base =
        ApplySettings::with_defaults(endpoints, credentials, args.journal.clone(), undo_journal);
    Ok(ApplySettings {
        allow_insecure_http: args.connection.allow_insecure_http,
        ca_file: args.connection.ca_file.clone(),
        timeout: duration("--timeout", &args.timeout)?,
        max_wait: duration("--max-wait", &args.max_wait)?,
        report: args.report.clone(),
        display: if args.json {
            Display::Json
        } else if args.no_progress {
            Display::Quiet
        } else {
            Display::Lines
        },
        path_reason: format!(
            "undo through business unit {}'s schedule update",
            undoable.unit()
        ),
        bulk: Some(options),
        dry_run: args.dry_run,
        ..base
    })
}

/// Each image as an agent to put back, numbered in the run's order.
fn restores(images: &[AgentImage]) -> anyhow::Result<Vec<Restore>> {
    let read = |text: &str| -> anyhow::Result<ScheduleImage> {
        serde_json::from_str(text)
            .map_err(|err| anyhow::anyhow!("the journal holds an image that does not read: {err}"))
    };
    images
        .iter()
        .enumerate()
        .map(|(i, image)| {
            Ok(Restore {
                line: i as u64 + 1,
                week: unit_and_week(&image.week).1.to_string(),
                user_id: image.user_id.clone(),
                pre: image.pre.as_deref().map(read).transpose()?,
                post: read(&image.post)?,
                post_version: image.post_version,
            })
        })
        .collect()
}

/// Opens (or resumes) undo's own journal, one item per agent put back.
fn open_journal(
    settings: &ApplySettings,
    undoable: &Undoable,
    restores: &[Restore],
    force: bool,
) -> anyhow::Result<Journal> {
    let mut identity = Vec::new();
    for image in &undoable.images {
        identity.extend_from_slice(image.week.as_bytes());
        identity.extend_from_slice(image.user_id.as_bytes());
        identity.extend_from_slice(image.post.as_bytes());
    }
    let spec = RunSpec {
        input_path: settings.input.display().to_string(),
        fingerprint: Fingerprint::of_bytes(&identity),
        method: "UNDO".into(),
        path_template: format!("businessunit {}", undoable.units.join(",")),
        settings: serde_json::json!({ "force": force }),
    };
    let mut journal = Journal::open(&settings.journal, &spec, false).map_err(|err| match err {
        pacer_journal::Error::InUse { .. } => Exit::usage(format!("{err}; nothing was sent")),
        other => anyhow::Error::new(other).context("cannot open undo's journal"),
    })?;
    if !journal.items_loaded()? {
        let mut loader = journal.loader();
        for restore in restores {
            loader.push(restore.line, &restore.user_id)?;
        }
        loader.finish()?;
    }
    Ok(journal)
}

fn say(settings: &ApplySettings, text: &str) {
    if settings.display != Display::Json {
        eprintln!("{text}");
    }
}
