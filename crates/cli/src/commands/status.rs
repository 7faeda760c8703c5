//! `pacer status`: summarises a run from its journal, finished or not, without changing it.

use std::path::PathBuf;

use clap::Args;
use pacer_journal::Journal;

use crate::exit::{self, Exit};

/// Arguments of `pacer status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The run's journal (by default `<input>.pacer.sqlite` next to the input).
    #[arg(long, value_name = "FILE")]
    pub journal: PathBuf,

    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,

    /// List at most this many failed items with their reasons.
    #[arg(long, default_value_t = 20)]
    pub failed: usize,
}

/// Prints the summary; the exit code says how the run stands: 0 all done, 3 some failed, 5 not
/// finished yet.
pub fn run(args: StatusArgs) -> anyhow::Result<u8> {
    let journal = Journal::open_existing(&args.journal).map_err(|err| match err {
        pacer_journal::Error::Missing { .. } | pacer_journal::Error::NotAJournal { .. } => {
            Exit::usage(err)
        }
        other => anyhow::Error::new(other),
    })?;
    let run = journal.run()?;
    let counts = journal.counts()?;
    let statuses = journal.status_counts()?;
    let failed = journal.failed_page(0, args.failed)?;
    let updates = journal.updates()?;
    let state = if counts.remaining() > 0 {
        "unfinished"
    } else if counts.failed > 0 {
        "finished with failures"
    } else {
        "finished"
    };
    if args.json {
        let value = serde_json::json!({
            "journal": args.journal.display().to_string(),
            "state": state,
            "input": run.input_path,
            "method": run.method,
            "path_template": run.path_template,
            "counts": counts,
            "last_status": statuses,
            "created_unix_ms": run.created_unix_ms,
            "updated_unix_ms": run.updated_unix_ms,
            "updates": updates.iter().map(|u| serde_json::json!({
                "week": u.week, "schedule_id": u.schedule_id, "agents": u.agents,
                "base_version": u.base_version, "operation_id": u.operation_id,
                "status": u.status, "message": u.message,
            })).collect::<Vec<_>>(),
            "failed_items": failed.iter().map(|f| serde_json::json!({
                "line": f.line, "user_id": f.user_id, "status": f.status, "reason": f.reason,
                "attempts": f.attempts, "correlation_id": f.correlation_id,
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!(
            "run of {} {} over {}: {state}",
            run.method, run.path_template, run.input_path
        );
        println!(
            "{} items: {} done, {} failed, {} skipped, {} pending, {} in flight when last stopped",
            counts.total,
            counts.done,
            counts.failed,
            counts.skipped,
            counts.pending,
            counts.in_flight
        );
        for update in &updates {
            println!(
                "schedule update of the week of {}: {} agents, operation {}: {}{}",
                update.week,
                update.agents,
                update.operation_id.as_deref().unwrap_or("not accepted yet"),
                match update.status.as_str() {
                    "sending" =>
                        "sent when the run stopped; the next run finds out whether it landed",
                    "accepted" => "processing when the run stopped; the next run waits for its end",
                    other => other,
                },
                update
                    .message
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default()
            );
        }
        if !statuses.is_empty() {
            let text: Vec<String> = statuses.iter().map(|(s, n)| format!("{s}: {n}")).collect();
            println!("last status per item: {}", text.join(", "));
        }
        for item in &failed {
            println!(
                "  line {} {}: {}{}",
                item.line,
                item.user_id,
                item.status.map(|s| format!("{s} ")).unwrap_or_default(),
                item.reason
            );
        }
        if counts.failed as usize > failed.len() {
            println!(
                "  ... and {} more failed items",
                counts.failed as usize - failed.len()
            );
        }
        if counts.remaining() > 0 {
            println!("run the same `pacer apply` command again to finish it");
        }
    }
    Ok(if counts.remaining() > 0 {
        exit::UNFINISHED
    } else if counts.failed > 0 {
        exit::ITEMS_FAILED
    } else {
        exit::OK
    })
}
