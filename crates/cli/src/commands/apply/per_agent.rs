//! The per-agent path of `pacer apply`, in phases: the journal, authentication, the engine, the
//! plan against the deadline, the send, and the report.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use pacer_client::{Executor, ExecutorConfig, HttpClient, Job, Summary, TokenManager};
use pacer_core::pacer::PacerConfig;
use pacer_core::retry::RetryConfig;
use pacer_journal::{Counts, Journal, OpenKind, RunSpec};

use pacer_coord::{Coordinator, QueueSource, RunCounts};

use super::coordinated;
use super::observer::ApplyObserver;
use super::{
    ApplySettings, DeadlinePolicy, Display, Outcome, judge_exit, open_journal, publish, run_exit,
    say,
};
use crate::commands::connection::authenticate;
use crate::exit::{self, Exit};
use crate::report::{JtlWriter, Report};
use pacer_input::{Input, Item, Validation};

/// Runs the per-agent path of a validated input until done or `shutdown` completes.
pub async fn execute(
    settings: &ApplySettings,
    input: Input,
    validation: Validation,
    started: Instant,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<Outcome> {
    let say = |text: &str| say(settings.display, text);
    // Redis first: a coordinator that cannot be reached stops the run before anything is opened.
    let coordinator = match &settings.coord {
        Some(coord) => Some(coordinated::connect(coord, settings.display).await?),
        None => None,
    };
    let journal = journal(settings, &input, &validation, &say)?;
    let before = journal.counts()?;
    if let Some(coordinator) = &coordinator {
        coordinated::join(coordinator, &input, &validation, &say).await?;
    }
    let _keeper = coordinator.as_ref().map(Coordinator::spawn_keeper);
    let (http, tokens) = authenticate(&settings.connect(), &say).await?;
    let mut executor = engine(settings, http, &tokens, &before, &say).await;
    if let Some(coordinator) = &coordinator {
        coordinated::declare(coordinator, &executor, &say).await;
        executor = executor.with_shared_budget(coordinated::budget(coordinator));
    }
    plan_or_refuse(settings, &executor, before.remaining(), &say)?;
    let items = Items {
        input: &input,
        validation: &validation,
        coordinator: coordinator.as_ref(),
    };
    let sent = send(settings, &journal, items, &mut executor, &before, shutdown).await?;
    tokens.wait_for_renewals().await;
    let mut ideal = executor.ideal(before.remaining(), sent.summary.progress.elapsed);
    let run = match &coordinator {
        Some(coordinator) => Some(RunWide {
            counts: coordinated::finish(coordinator, &say).await,
            coordinator: coordinator.clone(),
        }),
        None => None,
    };
    if let Some(RunWide {
        coordinator,
        counts: Some(counts),
    }) = &run
    {
        // The whole run's ideal: every item at the shared limit (when one is known).
        ideal = coordinator
            .shared_rate_per_sec()
            .map(|rate| Duration::from_secs_f64(counts.total as f64 / rate));
    }
    report_and_exit(
        settings,
        &journal,
        &sent,
        ideal,
        tokens.tokens_minted(),
        started,
        run.as_ref(),
    )
}

/// A coordinated run's whole figures, read from Redis at the end.
struct RunWide {
    coordinator: Coordinator,
    /// `None` when Redis was away at the end.
    counts: Option<RunCounts>,
}

/// The journal: a new run, or the same input resumed, said so.
fn journal(
    settings: &ApplySettings,
    input: &Input,
    validation: &Validation,
    say: &dyn Fn(&str),
) -> anyhow::Result<Journal> {
    let spec = RunSpec {
        input_path: settings.input.display().to_string(),
        // The bytes validated are the bytes fingerprinted: one read, no window between them.
        fingerprint: validation.fingerprint,
        method: settings.method.to_string(),
        path_template: settings.path_template.clone(),
        settings: settings.journal_json(),
    };
    let journal = open_journal(settings, &spec, input, validation)?;
    let counts = journal.counts()?;
    match journal.open_kind() {
        OpenKind::Created => {}
        OpenKind::Resumed => say(&format!(
            "resuming {}: {} done, {} failed, {} to send{}",
            settings.journal.display(),
            counts.done,
            counts.failed,
            counts.remaining(),
            match journal.possibly_sent_at_open() {
                0 => String::new(),
                n => format!(" ({n} were in flight when the last run stopped and are sent again)"),
            }
        )),
        OpenKind::Restarted => say(&format!(
            "restarted {}: the earlier run was discarded",
            settings.journal.display()
        )),
    }
    Ok(journal)
}

/// The engine, with the org's limits read first where the API serves them.
async fn engine(
    settings: &ApplySettings,
    http: HttpClient,
    tokens: &TokenManager,
    before: &Counts,
    say: &dyn Fn(&str),
) -> Executor {
    let mut config = ExecutorConfig::new(settings.method.clone(), settings.path_template.clone());
    config.pacer = PacerConfig {
        max_in_flight: settings.max_in_flight,
        ..PacerConfig::default()
    };
    config.retry = RetryConfig {
        max_wait: settings.max_wait,
        ..RetryConfig::default()
    };
    config.declared = settings.declared;
    config.seed = settings.seed;
    config.expected_items = Some(before.remaining());
    config.deadline = settings.deadline;
    let mut executor = Executor::new(
        config,
        http,
        tokens.clone(),
        settings.endpoints.api_base.clone(),
    );
    if settings.declared.is_none() {
        match executor.read_org_limits().await {
            Ok(Some(limit)) => say(&format!(
                "the organization's limits API reports {limit} requests a minute per token"
            )),
            Ok(None) => {}
            Err(err) => say(&format!("could not read the organization's limits: {err}")),
        }
    }
    say(&format!(
        "{} items: {} to send, {} already done, {} skipped",
        before.total,
        before.remaining(),
        before.done,
        before.skipped
    ));
    executor
}

/// The plan against the deadline, before the first item is sent; refuses (exit 4) a run that
/// cannot make it under `--deadline-policy abort`.
fn plan_or_refuse(
    settings: &ApplySettings,
    executor: &Executor,
    remaining: u64,
    say: &dyn Fn(&str),
) -> anyhow::Result<()> {
    let plan = executor.plan(remaining, Duration::ZERO, None, settings.deadline);
    say(&format!("plan: {}", plan.reason));
    if plan.meets_deadline == Some(false) && settings.deadline_policy == DeadlinePolicy::Abort {
        return Err(Exit::with_code(
            exit::DEADLINE_MISSED,
            format!(
                "the deadline cannot be met, so nothing was sent (--deadline-policy abort): {}",
                plan.reason
            ),
        ));
    }
    Ok(())
}

/// What the send phase leaves for the report.
struct Sent {
    summary: Summary,
    transport_errors: std::collections::BTreeMap<String, u64>,
    latency: Option<crate::report::Latency>,
    timeline: crate::timeline::Timeline,
}

/// Where a run's items come from: the input, reread, or the run's shared queue.
struct Items<'a> {
    input: &'a Input,
    validation: &'a Validation,
    coordinator: Option<&'a Coordinator>,
}

/// The run: the input is reread and merged with the journal's pending items, so memory stays
/// constant whatever the input's size; a coordinated runner takes its items from the queue.
async fn send(
    settings: &ApplySettings,
    journal: &Journal,
    items: Items<'_>,
    executor: &mut Executor,
    before: &Counts,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<Sent> {
    let jtl = match &settings.jtl {
        Some(path) => Some(JtlWriter::create(path)?),
        None => None,
    };
    let label = format!("{} {}", settings.method, settings.path_template);
    let mut observer = ApplyObserver::new(
        journal,
        jtl,
        label,
        settings.display,
        before.total - before.skipped,
        before.done + before.failed,
        settings.deadline,
    );
    let read_error: RefCell<Option<anyhow::Error>> = RefCell::new(None);
    let summary = match items.coordinator {
        Some(coordinator) => {
            // The queue hands out items leased to this runner, a few ahead of need.
            // Eight is enough to keep a runner busy at any shared rate, and few enough that a
            // runner that dies leaves little for the others to reclaim.
            let prefetch = (settings.max_in_flight as usize).clamp(1, 8);
            let mut source = QueueSource::start(coordinator.clone(), prefetch, MAX_RUN_TIME);
            let mut acking = coordinated::AckingObserver {
                inner: &mut observer,
                coordinator: coordinator.clone(),
            };
            executor
                .run_source(&mut source, &mut acking, shutdown)
                .await
        }
        None => {
            send_input(
                journal,
                items.input,
                items.validation,
                executor,
                &mut observer,
                &read_error,
                shutdown,
            )
            .await?
        }
    };
    observer.finish();
    if let Some(mut jtl) = observer.take_jtl() {
        jtl.flush()?;
        jtl.finish()?;
    }
    if let Some(err) = observer.jtl_error.take() {
        say(
            settings.display,
            &format!("warning: the JTL file is incomplete: {err:#}"),
        );
    }
    if let Some(err) = read_error.into_inner() {
        return Err(err.context(
            "the input could not be reread during the run; the journal holds what was done",
        ));
    }
    if let Some(err) = &summary.observer_error {
        anyhow::bail!(
            "the journal could not record the run ({err}); the requests in flight finished, nothing more was sent"
        );
    }
    Ok(Sent {
        summary,
        transport_errors: observer.transport_errors.clone(),
        latency: observer.latencies.summary(),
        timeline: std::mem::take(&mut observer.timeline),
    })
}

/// The bound of a coordinated runner's wait for the queue: the executor's own bound.
const MAX_RUN_TIME: Duration = Duration::from_secs(24 * 3600);

/// Sends the input's rows still pending in the journal (a run without a coordinator).
async fn send_input(
    journal: &Journal,
    input: &Input,
    validation: &Validation,
    executor: &mut Executor,
    observer: &mut ApplyObserver<'_>,
    read_error: &RefCell<Option<anyhow::Error>>,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<Summary> {
    let mut cursor = journal.pending();
    let rows = input.rows(validation).map_err(Exit::usage)?;
    let jobs = rows.map_while(|item| match item {
        Ok(item) => Some(item),
        Err(err) => {
            read_error
                .borrow_mut()
                .get_or_insert(anyhow::anyhow!(err.to_string()));
            None
        }
    });
    let jobs = jobs.filter_map(|item| {
        let Item::Valid(row) = item else { return None };
        match cursor.take_line(row.line) {
            Ok(Some(_)) => Some(Job {
                line: row.line,
                user_id: row.user_id,
                body: row.body.into(),
            }),
            Ok(None) => None,
            Err(err) => {
                read_error
                    .borrow_mut()
                    .get_or_insert(anyhow::Error::new(err));
                None
            }
        }
    });
    pacer_crashpoint::hit("per-agent.start");
    Ok(executor.run(jobs, observer, shutdown).await)
}

/// The report and the summary, and the exit code they call for.
fn report_and_exit(
    settings: &ApplySettings,
    journal: &Journal,
    sent: &Sent,
    ideal: Option<Duration>,
    tokens_minted: u64,
    started: Instant,
    run: Option<&RunWide>,
) -> anyhow::Result<Outcome> {
    let summary = &sent.summary;
    let (counts, written_here) = run_counts(journal, run)?;
    let elapsed = started.elapsed();
    let mut report = Report {
        items_total: counts.total,
        items_succeeded: counts.done,
        items_failed: counts.failed,
        items_skipped: counts.skipped,
        items_remaining: counts.remaining(),
        items_possibly_sent_twice: journal.possibly_sent_at_open(),
        requests_sent: summary.progress.requests,
        responses_by_status: summary.progress.responses_by_status.clone(),
        transport_errors: sent.transport_errors.clone(),
        throttled: summary.progress.throttled,
        retries: summary.progress.retries,
        tokens_minted,
        elapsed_s: elapsed.as_secs_f64(),
        sending_s: summary.progress.elapsed.as_secs_f64(),
        ideal_s: ideal.map(|d| d.as_secs_f64()),
        deadline_s: settings.deadline.map(|d| d.as_secs_f64()),
        met_deadline: settings
            .deadline
            .map(|d| elapsed <= d && counts.remaining() == 0),
        resumed: journal.open_kind() == OpenKind::Resumed,
        input: settings.input.display().to_string(),
        journal: settings.journal.display().to_string(),
        method: settings.method.to_string(),
        path_template: settings.path_template.clone(),
        latency: sent.latency,
        thresholds: Vec::new(),
        bulk: None,
        coordinator: run
            .map(|run| coordinated::section(&run.coordinator, run.counts.as_ref(), written_here)),
        rehearsal: None,
        failed_items: Vec::new(),
    };
    publish(settings, &mut report, Some(journal), &sent.timeline)?;
    tell_the_end(settings, &report, summary, &counts);
    let code = end_code(summary, &counts, &report, run);
    let exit_code = judge_exit(settings, &report, code);
    let progress = crate::html::progress(&report, &sent.timeline);
    Ok(Outcome {
        report,
        exit_code,
        progress,
    })
}

/// The journal's counts, and how many items this runner wrote; for a coordinated runner the
/// counts are the whole queue's (this runner's own part goes in the report's `coordinator`).
fn run_counts(journal: &Journal, run: Option<&RunWide>) -> anyhow::Result<(Counts, u64)> {
    let mut counts = journal.counts()?;
    let written_here = counts.done;
    if let Some(RunWide {
        counts: Some(whole),
        ..
    }) = run
    {
        counts.total = whole.total + counts.skipped;
        counts.done = whole.done;
        counts.failed = whole.failed;
        counts.in_flight = 0;
        counts.pending = whole.remaining();
    }
    Ok((counts, written_here))
}

/// The summary as the display wants it, and why the run stopped when it stopped early.
fn tell_the_end(settings: &ApplySettings, report: &Report, summary: &Summary, counts: &Counts) {
    if settings.display == Display::Json {
        println!(
            "{}",
            serde_json::json!({"event": "summary", "report": report})
        );
    } else if settings.display != Display::Quiet {
        eprintln!("{}", report.summary());
    }
    if let Some(reason) = &summary.stopped_early {
        eprintln!("stopped early: {reason}");
    }
    if summary.interrupted {
        say(
            settings.display,
            &format!(
                "stopped with {} items still to send; run the same command again to resume from {}",
                counts.remaining(),
                settings.journal.display()
            ),
        );
    }
}

/// The exit code of how the run ended, before thresholds are judged. A coordinated runner whose
/// queue is not finished (Redis away at the end) is unfinished.
fn end_code(summary: &Summary, counts: &Counts, report: &Report, run: Option<&RunWide>) -> u8 {
    let unfinished = run.is_some_and(|run| run.counts.is_none_or(|c| !c.finished()));
    if unfinished && !summary.interrupted && summary.stopped_early.is_none() {
        exit::UNFINISHED
    } else {
        run_exit(
            summary.stopped_early.is_some(),
            summary.interrupted,
            counts.failed > 0,
            report.met_deadline,
        )
    }
}
