//! `pacer apply`: validates the whole input, opens the journal, authenticates, plans against the
//! deadline, then pushes every pending row through the executor and reports what happened.

mod bulk;
mod early_stop;
mod observer;
pub mod settings;

use std::cell::RefCell;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use pacer_client::{
    Executor, ExecutorConfig, HttpClient, HttpConfig, Job, TokenConfig, TokenManager,
};
use pacer_core::pacer::PacerConfig;
use pacer_core::retry::RetryConfig;
use pacer_journal::{Journal, OpenKind, RunSpec};

use crate::exit::{self, Exit};
use crate::input::{Input, Item, Validation};
use crate::report::{self, JtlWriter, Report};
use observer::ApplyObserver;
pub use settings::{ApplyArgs, ApplySettings, DeadlinePolicy, Display};

/// Runs `pacer apply` from its arguments.
pub fn run(args: ApplyArgs) -> anyhow::Result<u8> {
    let settings = ApplySettings::resolve(args)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(execute(&settings, async {
        let _ = tokio::signal::ctrl_c().await;
    }))?;
    Ok(outcome.exit_code)
}

/// How a run ended, for the caller (the command, or the demo).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub report: Report,
    pub exit_code: u8,
}

/// Reads the whole input and checks every row; refuses it (exit 2) unless it is clean or
/// `--skip-invalid` lets the valid rows go, whose rejects it writes.
fn validate_input(
    settings: &ApplySettings,
    say: &dyn Fn(&str),
) -> anyhow::Result<(Input, Validation)> {
    let mut input = Input::open(&settings.input, settings.format).map_err(Exit::usage)?;
    if settings.bulk.is_some() {
        input = input.allowing_repeated_agents();
    }
    let mut shown = 0u64;
    let validation = input
        .validate(&mut |finding| {
            shown += 1;
            if shown <= 200 {
                eprintln!("{finding}");
            }
        })
        .map_err(Exit::usage)?;
    if shown > 200 {
        eprintln!("... and {} more findings", shown - 200);
    }
    if validation.fatal || validation.rows_total == 0 {
        return Err(Exit::usage(format!(
            "{}: nothing to send: the file has no valid rows; nothing was sent",
            settings.input.display()
        )));
    }
    if !validation.is_clean() {
        if !settings.skip_invalid {
            return Err(Exit::usage(format!(
                "{}: {} of {} rows are invalid ({} findings above); nothing was sent (pass --skip-invalid to send the valid rows)",
                settings.input.display(),
                validation.rows_invalid,
                validation.rows_total,
                validation.findings
            )));
        }
        let written = input
            .write_rejects(&validation, &settings.rejects)
            .map_err(|err| anyhow::anyhow!(err.to_string()))?;
        say(&format!(
            "sending the {} valid rows and skipping {written} invalid rows (listed in {})",
            validation.rows_valid,
            settings.rejects.display()
        ));
    }
    Ok((input, validation))
}

/// Mints the first token (or the pool's) before the first API request: refused credentials stop
/// the run here, with nothing sent.
async fn authenticate(
    settings: &ApplySettings,
    say: &dyn Fn(&str),
) -> anyhow::Result<(HttpClient, TokenManager)> {
    let http = HttpClient::new(&HttpConfig {
        request_timeout: settings.timeout,
        allow_insecure_http: settings.allow_insecure_http,
        ..HttpConfig::default()
    })?;
    let tokens = TokenManager::new(
        http.clone(),
        settings.endpoints.token_url.clone(),
        settings.credentials.clone(),
        TokenConfig {
            pool_size: settings.tokens as usize,
            ..TokenConfig::default()
        },
    );
    if settings.tokens > 1 {
        say(&format!(
            "warning: {} tokens each have their own per-token budget, but organization-wide limits still apply to all of them together",
            settings.tokens
        ));
    }
    if let Err(err) = tokens.warm_up().await {
        return Err(match err {
            pacer_client::Error::InvalidClient { .. } => {
                Exit::usage(format!("{err}; nothing was sent"))
            }
            other => anyhow::Error::new(other).context(format!(
                "cannot get a token from {}; nothing was sent",
                settings.endpoints.token_url
            )),
        });
    }
    Ok((http, tokens))
}

/// Opens (or resumes) the journal of `spec`, and loads the input's rows into it the first time.
fn open_journal(
    settings: &ApplySettings,
    spec: &RunSpec,
    input: &Input,
    validation: &Validation,
) -> anyhow::Result<Journal> {
    let mut journal =
        Journal::open(&settings.journal, spec, settings.restart).map_err(|err| match err {
            pacer_journal::Error::InputChanged { .. }
            | pacer_journal::Error::RequestChanged { .. } => {
                Exit::usage(format!("{err} (pass --restart to discard the earlier run)"))
            }
            pacer_journal::Error::InUse { .. } => Exit::usage(format!("{err}; nothing was sent")),
            other => anyhow::Error::new(other).context("cannot open the journal"),
        })?;
    if !journal.items_loaded()? {
        let mut loader = journal.loader();
        for item in input.rows(validation).map_err(Exit::usage)? {
            match item.map_err(Exit::usage)? {
                Item::Valid(row) => loader.push(row.line, &row.user_id)?,
                Item::Invalid {
                    line,
                    user_id,
                    reason,
                } => loader.push_skipped(line, &user_id, &reason)?,
            }
        }
        loader.finish()?;
    }
    Ok(journal)
}

/// Runs the whole job with resolved settings until done or `shutdown` completes.
pub async fn execute(
    settings: &ApplySettings,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let say = |text: &str| {
        if settings.display != Display::Json {
            eprintln!("{text}");
        }
    };

    // 1. The whole input is valid before anything is sent.
    let (input, validation) = validate_input(settings, &say)?;
    say(&settings.path_reason);
    if let Some(options) = &settings.bulk {
        return bulk::execute(settings, options, input, validation).await;
    }

    // 2. The journal: a new run, or the same input resumed.
    let spec = RunSpec {
        input_path: settings.input.display().to_string(),
        // The bytes validated are the bytes fingerprinted: one read, no window between them.
        fingerprint: validation.fingerprint,
        method: settings.method.to_string(),
        path_template: settings.path_template.clone(),
        settings: settings.journal_json(),
    };
    let journal = open_journal(settings, &spec, &input, &validation)?;
    let counts_before = journal.counts()?;
    match journal.open_kind() {
        OpenKind::Created => {}
        OpenKind::Resumed => say(&format!(
            "resuming {}: {} done, {} failed, {} to send{}",
            settings.journal.display(),
            counts_before.done,
            counts_before.failed,
            counts_before.remaining(),
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

    // 3. Authenticate before the first API request: refused credentials stop here.
    let (http, tokens) = authenticate(settings, &say).await?;

    // 4. The engine, with the org's limits read first where the API serves them.
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
    config.expected_items = Some(counts_before.remaining());
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
    let remaining = counts_before.remaining();
    say(&format!(
        "{} items: {} to send, {} already done, {} skipped",
        counts_before.total, remaining, counts_before.done, counts_before.skipped
    ));

    // The plan against the deadline, before the first item is sent.
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

    // 5. Run: the input is reread and merged with the journal's pending items, so memory stays
    // constant whatever the input's size.
    let jtl = match &settings.jtl {
        Some(path) => Some(JtlWriter::create(path)?),
        None => None,
    };
    let label = format!("{} {}", settings.method, settings.path_template);
    let mut observer = ApplyObserver::new(
        &journal,
        jtl,
        label,
        settings.display,
        counts_before.total - counts_before.skipped,
        counts_before.done + counts_before.failed,
        settings.deadline,
    );
    let read_error: RefCell<Option<anyhow::Error>> = RefCell::new(None);
    let mut cursor = journal.pending();
    let rows = input.rows(&validation).map_err(Exit::usage)?;
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
    let summary = executor.run(jobs, &mut observer, shutdown).await;
    let ideal = executor.ideal(remaining, summary.progress.elapsed);
    observer.finish();
    tokens.wait_for_renewals().await;
    if let Some(mut jtl) = observer.take_jtl() {
        jtl.flush()?;
        jtl.finish()?;
    }
    if let Some(err) = observer.jtl_error.take() {
        say(&format!("warning: the JTL file is incomplete: {err:#}"));
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

    // 6. The report and the summary.
    let counts = journal.counts()?;
    let elapsed = started.elapsed();
    let report = Report {
        items_total: counts.total,
        items_succeeded: counts.done,
        items_failed: counts.failed,
        items_skipped: counts.skipped,
        items_remaining: counts.remaining(),
        items_possibly_sent_twice: journal.possibly_sent_at_open(),
        requests_sent: summary.progress.requests,
        responses_by_status: summary.progress.responses_by_status.clone(),
        transport_errors: observer.transport_errors.clone(),
        throttled: summary.progress.throttled,
        retries: summary.progress.retries,
        tokens_minted: tokens.tokens_minted(),
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
        bulk: None,
        failed_items: Vec::new(),
    };
    if let Some(path) = &settings.report {
        report
            .write_json_streaming(path, report::failed_items(&journal))
            .with_context(|| format!("cannot write the report {}", path.display()))?;
    }
    if settings.display == Display::Json {
        println!(
            "{}",
            serde_json::json!({"event": "summary", "report": report})
        );
    } else {
        eprintln!("{}", report.summary());
    }
    if let Some(reason) = &summary.stopped_early {
        eprintln!("stopped early: {reason}");
    }
    if summary.interrupted {
        say(&format!(
            "stopped with {} items still to send; run the same command again to resume from {}",
            counts.remaining(),
            settings.journal.display()
        ));
    }
    let exit_code = if summary.stopped_early.is_some() {
        exit::ITEMS_FAILED
    } else if summary.interrupted {
        exit::INTERRUPTED
    } else if counts.failed > 0 {
        exit::ITEMS_FAILED
    } else if report.met_deadline == Some(false) {
        exit::DEADLINE_MISSED
    } else {
        exit::OK
    };
    Ok(Outcome { report, exit_code })
}
