//! `pacer apply`: validates the whole input, opens the journal, authenticates, plans against the
//! deadline, then pushes every pending row through the executor and reports what happened.

mod args;
pub(crate) mod bulk;
mod bulk_journal;
mod bulk_report;
mod coordinated;
mod image_thread;

pub use coordinated::{CoordSettings, ENV_COORDINATOR, default_journal as coordinated_journal};
mod early_stop;
mod keys;
mod observer;
mod per_agent;
pub(crate) mod rehearsal;
pub mod settings;
mod units;
pub(crate) mod wanted;

use std::time::Instant;

use anyhow::Context as _;
use pacer_journal::{Journal, RunSpec};

use crate::exit::Exit;
use crate::report::Report;
pub use args::{ApplyArgs, DeadlinePolicy, UsersByArg};
pub(crate) use bulk::Lines;
use pacer_input::{Input, Item, Validation};
pub use settings::{ApplySettings, Display};

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
    /// Items done over the run's time, cumulative (`html::progress`), for `compare`'s chart.
    pub progress: Vec<(f64, f64)>,
}

/// Reads the whole input and checks every row; refuses it (exit 2) unless it is clean or
/// `--skip-invalid` lets the valid rows go, whose rejects it writes.
fn validate_input(
    settings: &ApplySettings,
    say: &dyn Fn(&str),
) -> anyhow::Result<(Input, Validation)> {
    let mut input = Input::open(&settings.input, settings.format).map_err(Exit::usage)?;
    if settings.bulk.is_some() {
        input = input
            .allowing_repeated_agents()
            .allowing_wall_clock()
            .allowing_agent_keys();
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
        eprintln!(
            "... and {}",
            count(shown - 200, "more finding", "more findings")
        );
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
                "{}: {} of {} invalid ({} above); nothing was sent (pass --skip-invalid to send the valid rows)",
                settings.input.display(),
                validation.rows_invalid,
                count(validation.rows_total, "row is", "rows are"),
                count(validation.findings, "finding", "findings")
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

/// Opens (or resumes) the journal of `spec`, and loads the input's rows into it the first time.
fn open_journal(
    settings: &ApplySettings,
    spec: &RunSpec,
    input: &Input,
    validation: &Validation,
) -> anyhow::Result<Journal> {
    let mut journal = open_run_journal(settings, spec)?;
    if !journal.items_loaded()? {
        let mut loader = journal.loader();
        for item in input.rows(validation).map_err(Exit::usage)? {
            load_item(&mut loader, &item.map_err(Exit::usage)?)?;
        }
        loader.finish()?;
    }
    Ok(journal)
}

/// Opens (or resumes) the journal of `spec`, its items not loaded yet when it is new (see
/// [`load_item`]).
fn open_run_journal(settings: &ApplySettings, spec: &RunSpec) -> anyhow::Result<Journal> {
    Journal::open(&settings.journal, spec, settings.restart).map_err(|err| match err {
        pacer_journal::Error::InputChanged { .. } | pacer_journal::Error::RequestChanged { .. } => {
            Exit::usage(format!("{err} (pass --restart to discard the earlier run)"))
        }
        pacer_journal::Error::InUse { .. } => Exit::usage(format!("{err}; nothing was sent")),
        other => anyhow::Error::new(other).context("cannot open the journal"),
    })
}

/// Loads one row of the input into the journal's items: a valid row pending, an invalid one
/// skipped with its reason.
fn load_item(loader: &mut pacer_journal::ItemLoader<'_>, item: &Item) -> anyhow::Result<()> {
    match item {
        Item::Valid(row) => loader.push(row.line, &row.user_id)?,
        Item::Invalid {
            line,
            user_id,
            reason,
        } => loader.push_skipped(*line, user_id, reason)?,
    }
    Ok(())
}

/// Runs the whole job with resolved settings until done or `shutdown` completes.
pub async fn execute(
    settings: &ApplySettings,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<Outcome> {
    if let Some(rehearse) = &settings.rehearse {
        return rehearsed(settings, rehearse, shutdown).await;
    }
    let started = Instant::now();
    let say = |text: &str| say(settings.display, text);
    // The whole input is valid before anything is sent, whichever path the run takes.
    let (input, validation) = validate_input(settings, &say)?;
    say(&settings.path_reason);
    match &settings.bulk {
        Some(options) => bulk::execute(settings, options, input, validation).await,
        None => per_agent::execute(settings, input, validation, started, shutdown).await,
    }
}

/// The rehearsal on the mirror, then (when it ended clean and more than the rehearsal is asked
/// for) the real run, whose report holds the rehearsal's section.
async fn rehearsed(
    settings: &ApplySettings,
    rehearse: &rehearsal::Rehearse,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<Outcome> {
    // A bad input is refused before any rehearsal, as before any real run.
    validate_input(settings, &|_: &str| {})?;
    let done = rehearsal::rehearse(settings, rehearse).await?;
    if !done.clean {
        return Err(rehearsal::stopped(&done));
    }
    if rehearse.only {
        let report = Report {
            rehearsal: Some(done.section),
            ..Report::default()
        };
        if let Some(path) = &settings.report {
            report
                .write_json(path)
                .with_context(|| format!("cannot write the report {}", path.display()))?;
        }
        return Ok(Outcome {
            report,
            exit_code: crate::exit::OK,
            progress: Vec::new(),
        });
    }
    let real = ApplySettings {
        rehearse: None,
        rehearsal_report: Some(done.section),
        ..settings.clone()
    };
    Box::pin(execute(&real, shutdown)).await
}

/// Prints a line for people, unless the output is JSON events.
fn say(display: Display, text: &str) {
    if matches!(display, Display::Bar | Display::Lines) {
        eprintln!("{text}");
    }
}

/// Judges the thresholds into the report, then writes the JSON report (`--report`, with the
/// journal's failed items) and the Prometheus text (`--metrics`).
fn publish(
    settings: &ApplySettings,
    report: &mut Report,
    journal: Option<&Journal>,
    timeline: &crate::timeline::Timeline,
) -> anyhow::Result<()> {
    report.thresholds = crate::thresholds::judge(report, &settings.thresholds);
    if report.rehearsal.is_none() {
        report.rehearsal = settings.rehearsal_report.clone();
    }
    if let Some(path) = &settings.report {
        let written = match journal {
            Some(journal) => {
                report.write_json_streaming(path, crate::report::failed_items(journal))
            }
            None => report
                .write_json_streaming(path, std::iter::empty::<Result<_, pacer_journal::Error>>()),
        };
        written.with_context(|| format!("cannot write the report {}", path.display()))?;
    }
    if let Some(path) = &settings.html {
        // The file's name, not its folder: a page is shared, and a path tells others nothing.
        let name = settings.input.file_name().map_or_else(
            || settings.input.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let title = format!("pacer apply {name}");
        let page = crate::html::render(&title, report, timeline)?;
        std::fs::write(path, page)
            .with_context(|| format!("cannot write the HTML report {}", path.display()))?;
    }
    if let Some(path) = &settings.metrics {
        std::fs::write(path, crate::metrics::prometheus(report))
            .with_context(|| format!("cannot write the metrics {}", path.display()))?;
    }
    Ok(())
}

/// The exit code of a run, before thresholds: an early stop or failed items 3, an interruption
/// 130, a missed deadline 4, else 0.
fn run_exit(
    stopped_early: bool,
    interrupted: bool,
    failed: bool,
    met_deadline: Option<bool>,
) -> u8 {
    if stopped_early {
        crate::exit::ITEMS_FAILED
    } else if interrupted {
        crate::exit::INTERRUPTED
    } else if failed {
        crate::exit::ITEMS_FAILED
    } else if met_deadline == Some(false) {
        crate::exit::DEADLINE_MISSED
    } else {
        crate::exit::OK
    }
}

/// Prints each threshold's judgement, and turns a clean exit into 6 when one failed.
fn judge_exit(settings: &ApplySettings, report: &Report, code: u8) -> u8 {
    for judged in &report.thresholds {
        if settings.display == Display::Json {
            println!(
                "{}",
                serde_json::json!({"event": "threshold", "judged": judged})
            );
        } else {
            eprintln!("{judged}");
        }
    }
    if code == crate::exit::OK && report.thresholds.iter().any(|j| !j.passed) {
        crate::exit::THRESHOLD_FAILED
    } else {
        code
    }
}

/// `1 finding`, `2 findings`: a count with its noun in the right number.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
