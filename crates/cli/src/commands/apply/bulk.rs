//! `pacer apply --business-unit`: the input's rows merged into each agent's schedule per week,
//! written through the business unit's schedule update, with its journal of updates, its
//! progress lines, the dry run's plan, and the report.

use std::collections::HashMap;
use std::time::Instant;

use pacer_client::bulk::{
    self, BulkJournal, BulkOutcome, BulkProgress, BulkSettings, Finding, Pending, Phase, Step,
};
use pacer_client::{Executor, ExecutorConfig, Method};
use pacer_core::retry::RetryConfig;
use pacer_journal::{Change, Journal, RunSpec};

use super::keys;
use super::observer::write_record;
use super::settings::{ApplySettings, BulkOptions, Display};
use super::wanted::{Wanted, merge, read_rows};
use super::{Outcome, judge_exit, open_journal, publish, run_exit, say};
use crate::commands::connection::authenticate;
use crate::exit::Exit;
use crate::report::{JtlWriter, Report};
use pacer_input::{Input, Validation};

/// Runs the schedule update of a validated input.
pub async fn execute(
    settings: &ApplySettings,
    options: &BulkOptions,
    input: Input,
    validation: Validation,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let rows = read_rows(settings, options, &input, &validation)?;
    let journal = if settings.dry_run {
        None
    } else {
        let spec = RunSpec {
            input_path: settings.input.display().to_string(),
            fingerprint: validation.fingerprint,
            method: "BULK".into(),
            path_template: format!("businessunit {}", options.business_unit),
            settings: settings.journal_json(),
        };
        Some(open_journal(settings, &spec, &input, &validation)?)
    };
    let (mut executor, tokens_minted) = connect(settings).await?;
    let resolution =
        keys::resolve(&mut executor, journal.as_ref(), &rows, options.users_by).await?;
    say_keys(settings, &resolution);
    let (wanted, mut findings) = merge(rows, &resolution.ids);
    findings.extend(resolution.findings);
    if !findings.is_empty() {
        return Err(refuse_rows(settings, findings));
    }
    let start = Start {
        executor,
        tokens_minted,
        started,
    };
    run_update(settings, options, &wanted, journal, start).await
}

/// A run's executor, ready: its token minted.
pub struct Start {
    pub executor: Executor,
    /// How many tokens the run has minted, read at its end.
    pub tokens_minted: Box<dyn Fn() -> u64 + Send>,
    pub started: Instant,
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
    let Start {
        mut executor,
        tokens_minted,
        started,
    } = start;
    let bulk_settings = BulkSettings {
        schedule: options.schedule.clone(),
        schedule_by_week: options.schedule_by_week.clone(),
        create_schedule: options.create_schedule,
        on_conflict: options.on_conflict,
        ambiguous: options.ambiguous,
        max_agents_per_update: options.max_agents_per_update,
        dry_run: settings.dry_run,
        allow_insecure: settings.allow_insecure_http,
        ..BulkSettings::new(options.business_unit.clone())
    };
    let mut steps = Steps {
        journal: journal.as_ref(),
    };
    let mut progress = Lines {
        display: settings.display,
        started,
    };
    let result = bulk::run(
        &mut executor,
        &bulk_settings,
        &wanted.desired,
        &mut steps,
        &mut progress,
    )
    .await;
    let records = executor.take_call_records();
    write_jtl(settings, &records)?;
    let outcome = result.map_err(|err| classify(err, journal.as_ref()))?;
    if !outcome.findings.is_empty() {
        return Err(refuse(settings, &outcome));
    }
    let run = Finished {
        outcome: &outcome,
        records: &records,
        started,
        tokens_minted: tokens_minted(),
    };
    if settings.dry_run {
        print_plan(settings, &outcome);
        return Ok(finish(settings, &run, None));
    }
    let journal = journal.expect("a real run has a journal");
    mark_items(&journal, &outcome, wanted)?;
    Ok(finish(settings, &run, Some(&journal)))
}

/// What a finished run hands to its report.
struct Finished<'a> {
    outcome: &'a BulkOutcome,
    /// Every request of the run, as the JTL lists them.
    records: &'a [pacer_client::RequestRecord],
    started: Instant,
    tokens_minted: u64,
}

/// Records the workflow's steps in the journal.
struct Steps<'j> {
    journal: Option<&'j Journal>,
}

impl BulkJournal for Steps<'_> {
    fn pending(&mut self, week: &str) -> Option<Pending> {
        let record = self.journal?.pending_update(week).ok()??;
        Some(Pending {
            schedule_id: record.schedule_id,
            key: record.key,
            operation_id: record.operation_id,
            base_version: record.base_version,
        })
    }

    fn refused(&mut self, week: &str) -> Vec<Vec<String>> {
        self.journal
            .and_then(|j| j.refused(week).ok())
            .unwrap_or_default()
    }

    fn record(&mut self, step: Step<'_>) -> Result<(), String> {
        let Some(journal) = self.journal else {
            return Ok(());
        };
        let result = match step {
            Step::UpdateSending {
                week,
                schedule_id,
                key,
                base_version,
                agents,
            } => journal.update_sending(week, schedule_id, key, base_version, agents as u64),
            Step::UpdateAccepted {
                key, operation_id, ..
            } => journal.update_accepted(key, operation_id),
            Step::UpdateEnded {
                key,
                status,
                message,
                ..
            } => journal.update_ended(key, status, message),
            Step::Images {
                week,
                schedule_id,
                images,
            } => journal.record_images(&journal_images(week, schedule_id, images)),
            Step::Verified { week, versions } => journal.record_post_versions(week, versions),
            Step::Refused { week, agents } => journal.record_refused(week, agents),
        };
        result.map_err(|err| err.to_string())
    }
}

/// A part's images as the journal keeps them: each schedule as JSON.
fn journal_images(
    week: &str,
    schedule_id: &str,
    images: &[pacer_client::bulk::images::Image],
) -> Vec<pacer_journal::AgentImage> {
    let json = |image: &pacer_client::bulk::images::ScheduleImage| {
        serde_json::to_string(image).unwrap_or_default()
    };
    images
        .iter()
        .map(|image| pacer_journal::AgentImage {
            week: week.to_string(),
            schedule_id: schedule_id.to_string(),
            user_id: image.user_id.clone(),
            pre_version: image.pre_version,
            pre: image.pre.as_ref().map(json),
            post: json(&image.post),
            post_version: None,
        })
        .collect()
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
fn refuse(settings: &ApplySettings, outcome: &BulkOutcome) -> anyhow::Error {
    for finding in outcome.findings.iter().take(200) {
        eprintln!(
            "{}:{}: {}: {}",
            settings.input.display(),
            finding.line,
            finding.field,
            finding.reason
        );
    }
    let count = outcome.findings.len();
    Exit::usage(format!(
        "{}: {count} {} against business unit {}; nothing was sent",
        settings.input.display(),
        if count == 1 { "finding" } else { "findings" },
        outcome.unit_name
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
fn refuse_rows(settings: &ApplySettings, mut findings: Vec<Finding>) -> anyhow::Error {
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

/// The dry run's plan: per week what would change, the requests, and the time by each path.
fn print_plan(settings: &ApplySettings, outcome: &BulkOutcome) {
    let mut out = format!(
        "plan for business unit {} ({}; dry run: nothing was written)\n",
        outcome.unit_name, outcome.unit_time_zone
    );
    let mut writes = 0;
    for week in &outcome.weeks {
        writes += week.added + week.changed;
        let bounds = match &week.local_bounds {
            Some((from, to)) => format!(" ({from} to {to})"),
            None => String::new(),
        };
        out.push_str(&format!(
            "  week of {}{bounds}: schedule {}: {} added, {} changed, {} unchanged\n",
            week.week,
            match (&week.schedule_id, week.created) {
                (Some(id), _) => id.clone(),
                (None, _) => "none yet (--create-schedule makes one)".into(),
            },
            week.added,
            week.changed,
            week.unchanged
        ));
    }
    let uploads = outcome
        .weeks
        .iter()
        .filter(|w| w.added + w.changed > 0)
        .count();
    out.push_str(&format!(
        "  the writes would send {} API requests and {uploads} upload{}, then wait for the server's processing\n",
        outcome.planned_requests,
        if uploads == 1 { "" } else { "s" }
    ));
    out.push_str(&format!(
        "  by the per-agent path the same {writes} agents would take {writes} requests: {:.1} min at Genesys's 300 requests a minute per token\n",
        writes as f64 / 300.0
    ));
    if settings.display == Display::Json {
        println!(
            "{}",
            serde_json::json!({"event": "plan", "report": bulk_json(outcome)})
        );
    } else {
        eprint!("{out}");
    }
}

/// Marks each row done (written or unchanged) or failed in the journal, in one transaction.
fn mark_items(journal: &Journal, outcome: &BulkOutcome, wanted: &Wanted) -> anyhow::Result<()> {
    let by_agent: HashMap<(String, &str), &bulk::AgentOutcome> = outcome
        .agents
        .iter()
        .map(|a| ((a.user_id.to_ascii_lowercase(), a.week.as_str()), a))
        .collect();
    let mut changes = Vec::new();
    for (desired, lines) in wanted.desired.iter().zip(&wanted.lines) {
        let key = (desired.user_id.to_ascii_lowercase(), desired.week.as_str());
        let Some(agent) = by_agent.get(&key) else {
            continue;
        };
        for &line in lines {
            changes.push(match agent.state {
                "written" | "unchanged" => Change::Done {
                    line,
                    status: 200,
                    correlation_id: None,
                },
                state => Change::Failed {
                    line,
                    status: None,
                    reason: agent.reason.as_deref().unwrap_or(state),
                    correlation_id: None,
                },
            });
        }
    }
    journal.record(&changes)?;
    Ok(())
}

fn write_jtl(
    settings: &ApplySettings,
    records: &[pacer_client::RequestRecord],
) -> anyhow::Result<()> {
    let Some(path) = &settings.jtl else {
        return Ok(());
    };
    let mut jtl = JtlWriter::create(path)?;
    for record in records {
        write_record(&mut jtl, "WFM", record)?;
    }
    jtl.finish()
}

/// The report's bulk section.
fn bulk_json(outcome: &BulkOutcome) -> serde_json::Value {
    let count = |state: &str| outcome.agents.iter().filter(|a| a.state == state).count();
    serde_json::json!({
        "business_unit": outcome.unit_name,
        "business_unit_id": outcome.unit_id,
        "time_zone": outcome.unit_time_zone,
        "dry_run": outcome.dry_run,
        "agents_written": count("written"),
        "agents_unchanged": count("unchanged"),
        "agents_planned": count("planned"),
        "agents_failed": outcome.failed(),
        "planned_requests": outcome.planned_requests,
        "socket_drops": outcome.socket_drops,
        "completion_by_polling": outcome.polled,
        "weeks": outcome.weeks.iter().map(|w| serde_json::json!({
            "week": w.week,
            "starts": w.local_bounds.as_ref().map(|b| &b.0),
            "ends": w.local_bounds.as_ref().map(|b| &b.1),
            "schedule_id": w.schedule_id,
            "added": w.added,
            "changed": w.changed,
            "unchanged": w.unchanged,
            "conflicts": w.conflicts,
            "uploads": w.parts.iter().map(|p| serde_json::json!({
                "agents": p.agents,
                "gzip_bytes": p.gzip_bytes,
                "json_bytes": p.json_bytes,
                "operation_id": p.operation_id,
                "status": p.status,
                "learned_by": p.learned_by,
                "message": p.message,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "phases": outcome.phases.iter().map(|p| serde_json::json!({
            "phase": p.phase.as_str(),
            "week": p.week,
            "start_s": p.start.as_secs_f64(),
            "end_s": p.end.as_secs_f64(),
        })).collect::<Vec<_>>(),
        "agents": outcome.agents.iter().filter(|a| !matches!(a.state, "written" | "unchanged" | "planned")).map(|a| serde_json::json!({
            "line": a.line,
            "user_id": a.user_id,
            "week": a.week,
            "change": a.change.as_str(),
            "state": a.state,
            "reason": a.reason,
        })).collect::<Vec<_>>(),
    })
}

/// The report, the summary and the exit code.
fn finish(settings: &ApplySettings, run: &Finished<'_>, journal: Option<&Journal>) -> Outcome {
    let outcome = run.outcome;
    let counts = journal.and_then(|j| j.counts().ok());
    let elapsed = run.started.elapsed();
    let mut responses_by_status = std::collections::BTreeMap::new();
    let mut transport_errors = std::collections::BTreeMap::new();
    let mut latencies = crate::latency::Latencies::default();
    let mut timeline = crate::timeline::Timeline::default();
    for record in run.records {
        timeline.record(record);
        if record.status.is_some() {
            latencies.record(record.latency);
        }
        match (record.status, record.error_kind) {
            (Some(status), _) => *responses_by_status.entry(status).or_insert(0) += 1,
            (None, kind) => {
                *transport_errors
                    .entry(kind.unwrap_or("error").to_string())
                    .or_insert(0) += 1
            }
        }
    }
    let mut report = Report {
        items_total: counts
            .as_ref()
            .map_or(outcome.agents.len() as u64, |c| c.total),
        items_succeeded: counts.as_ref().map_or(0, |c| c.done),
        items_failed: counts.as_ref().map_or(0, |c| c.failed),
        items_skipped: counts.as_ref().map_or(0, |c| c.skipped),
        items_remaining: counts.as_ref().map_or(0, |c| c.remaining()),
        requests_sent: run.records.len() as u64,
        throttled: responses_by_status.get(&429).copied().unwrap_or(0),
        responses_by_status,
        transport_errors,
        tokens_minted: run.tokens_minted,
        elapsed_s: elapsed.as_secs_f64(),
        sending_s: elapsed.as_secs_f64(),
        deadline_s: settings.deadline.map(|d| d.as_secs_f64()),
        met_deadline: settings
            .deadline
            .map(|d| elapsed <= d && outcome.failed() == 0),
        resumed: journal.is_some_and(|j| j.open_kind() == pacer_journal::OpenKind::Resumed),
        input: settings.input.display().to_string(),
        journal: journal
            .map(|j| j.path().display().to_string())
            .unwrap_or_default(),
        method: "BULK".into(),
        path_template: format!("businessunit {}", outcome.unit_name),
        latency: latencies.summary(),
        bulk: Some(bulk_json(outcome)),
        coordinator: None,
        ..Report::default()
    };
    if let Err(err) = publish(settings, &mut report, journal, &timeline) {
        eprintln!("warning: {err:#}");
    }
    if !settings.dry_run {
        summarize(settings, outcome, elapsed);
    }
    let code = run_exit(false, false, outcome.failed() > 0, report.met_deadline);
    let exit_code = judge_exit(settings, &report, code);
    Outcome { report, exit_code }
}

fn summarize(settings: &ApplySettings, outcome: &BulkOutcome, elapsed: std::time::Duration) {
    let count = |state: &str| outcome.agents.iter().filter(|a| a.state == state).count();
    if settings.display == Display::Json {
        println!(
            "{}",
            serde_json::json!({"event": "summary", "report": bulk_json(outcome)})
        );
        return;
    }
    eprintln!(
        "business unit {}: {} agents written, {} unchanged, {} failed in {:.1} s",
        outcome.unit_name,
        count("written"),
        count("unchanged"),
        outcome.failed(),
        elapsed.as_secs_f64()
    );
    for week in &outcome.weeks {
        for part in &week.parts {
            eprintln!(
                "  week of {}: {} agents in {} bytes of gzip: operation {} {} (told by {})",
                week.week,
                part.agents,
                part.gzip_bytes,
                part.operation_id.as_deref().unwrap_or("-"),
                part.status,
                part.learned_by
            );
        }
    }
    if outcome.polled {
        eprintln!(
            "  the notification socket was lost; completion was learned by polling the schedule"
        );
    }
    for agent in outcome
        .agents
        .iter()
        .filter(|a| !matches!(a.state, "written" | "unchanged"))
        .take(20)
    {
        eprintln!(
            "  {}:{}: {} {}: {}",
            settings.input.display(),
            agent.line,
            agent.user_id,
            agent.state,
            agent.reason.as_deref().unwrap_or("")
        );
    }
}
