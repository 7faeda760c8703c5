//! `pacer apply --business-unit`: the input's rows merged into each agent's schedule per week,
//! written through the business unit's schedule update, with its journal of updates, its
//! progress lines, the dry run's plan, and the report.

use std::time::Instant;

use anyhow::Context as _;

use pacer_client::bulk::{self, BulkOutcome, BulkProgress, BulkSettings, Finding, Phase, Resolved};
use pacer_client::{Executor, ExecutorConfig, Method};
use pacer_core::retry::RetryConfig;
use pacer_journal::{Journal, RunSpec};

use super::bulk_journal::Steps;
use super::bulk_report::{finish, mark_items, print_plan, write_jtl};
use super::keys;
use super::settings::{ApplySettings, BulkOptions, Display};
use super::wanted::{Wanted, read_keys, read_wanted};
use super::{Outcome, open_run_journal, say};
use crate::commands::connection::authenticate;
use crate::exit::Exit;
use pacer_input::{Input, Validation};

/// Runs the schedule update of a validated input.
pub async fn execute(
    settings: &ApplySettings,
    options: &BulkOptions,
    input: Input,
    validation: Validation,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let keys = read_keys(settings, options, &input, &validation)?;
    let journal = if settings.dry_run {
        None
    } else {
        let spec = RunSpec {
            input_path: settings.input.display().to_string(),
            fingerprint: validation.fingerprint,
            method: "BULK".into(),
            path_template: format!("businessunit {}", options.business_units.join(",")),
            settings: settings.journal_json(),
        };
        Some(open_run_journal(settings, &spec)?)
    };
    let (mut executor, tokens_minted) = connect(settings).await?;
    let resolution = keys::resolve(
        &mut executor,
        journal.as_ref(),
        &keys.rows,
        options.users_by,
    )
    .await?;
    say_keys(settings, &resolution);
    drop(keys.rows);
    // The rows are read again (and a new journal's items loaded) on a thread of their own while
    // the unit resolves.
    let reading = {
        let (settings, options) = (settings.clone(), options.clone());
        let (ids, with_time_off) = (resolution.ids, keys.with_time_off);
        let mut journal = journal;
        tokio::task::spawn_blocking(move || {
            let read = read_wanted(
                &settings,
                &options,
                &input,
                &validation,
                &ids,
                with_time_off,
                journal.as_mut(),
            );
            (read, journal)
        })
    };
    let resolved = if options.business_units.len() > 1 {
        None
    } else {
        let mut progress = Lines {
            display: settings.display,
            started,
        };
        Some(
            bulk::resolve(
                &mut executor,
                &bulk_settings(settings, options),
                &mut progress,
            )
            .await,
        )
    };
    let (read, journal) = reading.await.context("the input's reader stopped")?;
    let (wanted, mut findings) = read?;
    findings.extend(resolution.findings);
    if !findings.is_empty() {
        return Err(refuse_rows(settings, findings));
    }
    let resolved = resolved
        .transpose()
        .map_err(|err| classify(err, journal.as_ref()))?;
    let start = Start {
        executor,
        tokens_minted,
        started,
        resolved,
    };
    run_update(settings, options, &wanted, journal, start).await
}

/// A run's executor, ready: its token minted.
pub struct Start {
    pub executor: Executor,
    /// How many tokens the run has minted, read at its end.
    pub tokens_minted: Box<dyn Fn() -> u64 + Send>,
    pub started: Instant,
    /// The unit, when it was resolved while the input was read (a run of one unit).
    pub resolved: Option<Resolved>,
}

/// Mints the token and builds the executor every request of the update goes through.
pub async fn connect(
    settings: &ApplySettings,
) -> anyhow::Result<(Executor, Box<dyn Fn() -> u64 + Send>)> {
    let say = |text: &str| say(settings.display, text);
    let (http, tokens) = authenticate(&settings.connect(), &say).await?;
    let mut config = ExecutorConfig::new(Method::GET, "/api/v2/workforcemanagement");
    config.retry = RetryConfig {
        max_wait: settings.max_wait,
        ..RetryConfig::default()
    };
    config.declared = settings.declared;
    config.seed = settings.seed;
    let executor = Executor::new(
        config,
        http,
        tokens.clone(),
        settings.endpoints.api_base.clone(),
    );
    Ok((executor, Box::new(move || tokens.tokens_minted())))
}

/// Runs the schedule update of `wanted`, journals each row's end, and reports.
pub async fn run_update(
    settings: &ApplySettings,
    options: &BulkOptions,
    wanted: &Wanted,
    journal: Option<Journal>,
    start: Start,
) -> anyhow::Result<Outcome> {
    if options.business_units.len() > 1 {
        return super::units::run_update_units(settings, options, wanted, journal, start).await;
    }
    let Start {
        mut executor,
        tokens_minted,
        started,
        resolved,
    } = start;
    let bulk_settings = bulk_settings(settings, options);
    let mut steps = Steps::new(journal.as_ref());
    let mut progress = Lines {
        display: settings.display,
        started,
    };
    let result = async {
        let resolved = match resolved {
            Some(resolved) => resolved,
            None => bulk::resolve(&mut executor, &bulk_settings, &mut progress).await?,
        };
        let desired = &wanted.desired;
        bulk::run_resolved(
            &mut executor,
            &bulk_settings,
            resolved,
            desired,
            &mut steps,
            &mut progress,
        )
        .await
    }
    .await;
    // The images' writer finishes what it was handed before the journal is read again.
    drop(steps);
    let records = executor.take_call_records();
    write_jtl(settings, &records)?;
    let outcome = result.map_err(|err| classify(err, journal.as_ref()))?;
    if !outcome.findings.is_empty() {
        return Err(refuse(settings, std::slice::from_ref(&outcome)));
    }
    let outcomes = [outcome];
    let run = Finished {
        outcomes: &outcomes,
        records: &records,
        started,
        tokens_minted: tokens_minted(),
    };
    if settings.dry_run {
        print_plan(settings, &outcomes);
        return Ok(finish(settings, &run, None));
    }
    let journal = journal.expect("a real run has a journal");
    mark_items(&journal, &outcomes, wanted)?;
    Ok(finish(settings, &run, Some(&journal)))
}

/// The schedule update's settings of a run of one unit (the first named).
pub(super) fn bulk_settings(settings: &ApplySettings, options: &BulkOptions) -> BulkSettings {
    BulkSettings {
        schedule: options.schedule.clone(),
        schedule_by_week: options.schedule_by_week.clone(),
        create_schedule: options.create_schedule,
        on_conflict: options.on_conflict,
        ambiguous: options.ambiguous,
        max_agents_per_update: options.max_agents_per_update,
        dry_run: settings.dry_run,
        allow_insecure: settings.allow_insecure_http,
        ..BulkSettings::new(options.business_unit.clone())
    }
}

/// What a finished run hands to its report.
pub(super) struct Finished<'a> {
    pub(super) outcomes: &'a [BulkOutcome],
    /// Every request of the run, as the JTL lists them.
    pub(super) records: &'a [pacer_client::RequestRecord],
    pub(super) started: Instant,
    pub(super) tokens_minted: u64,
}

/// Prints each phase as it begins.
pub(crate) struct Lines {
    pub(crate) display: Display,
    pub(crate) started: Instant,
}

impl BulkProgress for Lines {
    fn phase(&mut self, phase: Phase, detail: &str) {
        let at = self.started.elapsed().as_secs_f64();
        if self.display == Display::Json {
            println!(
                "{}",
                serde_json::json!({"event": "phase", "phase": phase.as_str(), "detail": detail, "elapsed_s": at})
            );
        } else {
            eprintln!("[{at:6.1}s] {}: {detail}", phase.as_str());
        }
    }
}

/// Maps a workflow error to the CLI's: a unit or schedule that does not exist is bad input (2)
/// when nothing was uploaded yet.
fn classify(err: pacer_client::Error, journal: Option<&Journal>) -> anyhow::Error {
    let sent = journal.is_some_and(|j| j.updates().is_ok_and(|u| !u.is_empty()));
    match err {
        pacer_client::Error::Workflow(message) if !sent => {
            Exit::usage(format!("{message}; nothing was sent"))
        }
        other => anyhow::Error::new(other).context("the schedule update stopped"),
    }
}

/// Prints every finding of the input against the unit and refuses the run (exit 2).
pub(super) fn refuse(settings: &ApplySettings, outcomes: &[BulkOutcome]) -> anyhow::Error {
    let mut findings: Vec<&Finding> = outcomes.iter().flat_map(|o| o.findings.iter()).collect();
    findings.sort_by_key(|f| f.line);
    for finding in findings.iter().take(200) {
        eprintln!(
            "{}:{}: {}: {}",
            settings.input.display(),
            finding.line,
            finding.field,
            finding.reason
        );
    }
    let count = findings.len();
    let names: Vec<&str> = outcomes.iter().map(|o| o.unit_name.as_str()).collect();
    Exit::usage(format!(
        "{}: {count} {} against business unit {}; nothing was sent",
        settings.input.display(),
        if count == 1 { "finding" } else { "findings" },
        names.join(", ")
    ))
}

/// Says how the input's e-mails and names were resolved, when it has any.
fn say_keys(settings: &ApplySettings, resolution: &keys::Resolution) {
    if resolution.requests == 0 && resolution.from_journal == 0 {
        return;
    }
    let journal = if resolution.from_journal > 0 {
        format!(", {} from the journal", resolution.from_journal)
    } else {
        String::new()
    };
    say(
        settings.display,
        &format!(
            "agents' keys resolved: {} Users API requests (by {}){journal}",
            resolution.requests, resolution.strategy
        ),
    );
}

/// Prints every finding of the input's rows (keys that name no user or several, shifts whose
/// rows disagree) and refuses the run (exit 2).
pub(super) fn refuse_rows(settings: &ApplySettings, mut findings: Vec<Finding>) -> anyhow::Error {
    findings.sort_by_key(|f| f.line);
    for finding in findings.iter().take(200) {
        eprintln!(
            "{}:{}: {}: {}",
            settings.input.display(),
            finding.line,
            finding.field,
            finding.reason
        );
    }
    let count = findings.len();
    Exit::usage(format!(
        "{}: {count} {} in the agents' keys and shifts; nothing was sent",
        settings.input.display(),
        if count == 1 { "finding" } else { "findings" },
    ))
}
