//! `pacer status`: summarises a run from its journal, or a coordinated run from Redis (items per
//! state, runners alive with their rates, the shared budget), finished or not, without changing it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use pacer_journal::{Counts, FailedItem, Journal, RunInfo, UpdateRecord};

use crate::exit::{self, Exit};

/// Arguments of `pacer status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The run's journal (by default `<input>.pacer.sqlite` next to the input).
    #[arg(long, value_name = "FILE", required_unless_present = "run")]
    pub journal: Option<PathBuf>,

    /// A coordinated run's Redis (`redis://HOST:PORT[/DB]`) [env: PACER_COORDINATOR].
    #[arg(long, value_name = "URL", requires = "run")]
    pub coordinator: Option<String>,

    /// The coordinated run to show (with --coordinator or PACER_COORDINATOR).
    #[arg(long, value_name = "NAME", conflicts_with = "journal")]
    pub run: Option<String>,

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
    if let Some(run) = &args.run {
        return coordinated(&args, run);
    }
    let path = args.journal.clone().unwrap_or_default();
    let journal = Journal::open_existing(&path).map_err(|err| match err {
        pacer_journal::Error::Missing { .. } | pacer_journal::Error::NotAJournal { .. } => {
            Exit::usage(err)
        }
        other => anyhow::Error::new(other),
    })?;
    let snapshot = Snapshot::read(&journal, args.failed)?;
    if args.json {
        print_json(&path, &snapshot)?;
    } else {
        print_text(&snapshot);
    }
    let counts = &snapshot.counts;
    Ok(if counts.remaining() > 0 {
        exit::UNFINISHED
    } else if counts.failed > 0 {
        exit::ITEMS_FAILED
    } else {
        exit::OK
    })
}

/// What the journal says of its run.
struct Snapshot {
    run: RunInfo,
    counts: Counts,
    /// Items per last HTTP status.
    statuses: BTreeMap<u16, u64>,
    /// The first failed items, at most as many as asked.
    failed: Vec<FailedItem>,
    updates: Vec<UpdateRecord>,
    /// Agents whose schedule before the run the journal keeps (what `pacer undo` puts back).
    images: u64,
}

impl Snapshot {
    fn read(journal: &Journal, failed: usize) -> anyhow::Result<Snapshot> {
        Ok(Snapshot {
            run: journal.run()?,
            counts: journal.counts()?,
            statuses: journal.status_counts()?,
            failed: journal.failed_page(0, failed)?,
            updates: journal.updates()?,
            images: journal.image_count()?,
        })
    }

    /// Whether `pacer undo` can put the run's agents back, and if not, why.
    fn undo(&self) -> (bool, &'static str) {
        if self.images == 0 {
            (false, "the run wrote no agent's schedule: nothing to undo")
        } else if self.updates.iter().any(|u| u.is_pending()) {
            (
                false,
                "an update's end was not seen: run the same command again first",
            )
        } else {
            (true, "each written agent's schedule before the run is kept")
        }
    }

    /// The run's state in words.
    fn state(&self) -> &'static str {
        if self.counts.remaining() > 0 {
            "unfinished"
        } else if self.counts.failed > 0 {
            "finished with failures"
        } else {
            "finished"
        }
    }
}

/// The summary as one JSON object.
fn print_json(path: &Path, snapshot: &Snapshot) -> anyhow::Result<()> {
    let Snapshot {
        run,
        counts,
        statuses,
        failed,
        updates,
        images,
    } = snapshot;
    let (undoable, why) = snapshot.undo();
    let value = serde_json::json!({
        "journal": path.display().to_string(),
        "state": snapshot.state(),
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
        "undo": {"possible": undoable, "agents": images, "why": why},
        "failed_items": failed.iter().map(|f| serde_json::json!({
            "line": f.line, "user_id": f.user_id, "status": f.status, "reason": f.reason,
            "attempts": f.attempts, "correlation_id": f.correlation_id,
        })).collect::<Vec<_>>(),
    });
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(())
}

/// The summary in a few lines: the run, its counts, its schedule updates, its failed items.
fn print_text(snapshot: &Snapshot) {
    let Snapshot {
        run,
        counts,
        statuses,
        failed,
        updates,
        images,
    } = snapshot;
    println!(
        "run of {} {} over {}: {}",
        run.method,
        run.path_template,
        run.input_path,
        snapshot.state()
    );
    println!(
        "{} items: {} done, {} failed, {} skipped, {} pending, {} in flight when last stopped",
        counts.total, counts.done, counts.failed, counts.skipped, counts.pending, counts.in_flight
    );
    for update in updates {
        print_update(update);
    }
    if *images > 0 {
        let (undoable, why) = snapshot.undo();
        if undoable {
            println!("undo: {why} ({images} agents): `pacer undo --journal FILE` puts them back");
        } else {
            println!("undo: not yet: {why}");
        }
    }
    if !statuses.is_empty() {
        let text: Vec<String> = statuses.iter().map(|(s, n)| format!("{s}: {n}")).collect();
        println!("last status per item: {}", text.join(", "));
    }
    for item in failed {
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

/// One schedule update's line: its week, agents, operation and how it stands.
fn print_update(update: &UpdateRecord) {
    println!(
        "schedule update of the week of {}: {} agents, operation {}: {}{}",
        update.week,
        update.agents,
        update.operation_id.as_deref().unwrap_or("not accepted yet"),
        match update.status.as_str() {
            "sending" => "sent when the run stopped; the next run finds out whether it landed",
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

/// The whole of a coordinated run, as Redis holds it.
fn coordinated(args: &StatusArgs, run: &str) -> anyhow::Result<u8> {
    let env = std::env::var(crate::commands::apply::ENV_COORDINATOR).ok();
    let url = args.coordinator.clone().or(env).ok_or_else(|| {
        Exit::usage(format!(
            "--run needs the coordinator: pass --coordinator URL or set {}",
            crate::commands::apply::ENV_COORDINATOR
        ))
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let status = runtime
        .block_on(pacer_coord::status(&url, run))
        .map_err(Exit::usage)?;
    let counts = status.counts;
    if args.json {
        let value = serde_json::json!({
            "run": status.run,
            "coordinator": status.url,
            "state": if !counts.finished() { "unfinished" } else if counts.failed > 0 { "finished with failures" } else { "finished" },
            "items_total": counts.total,
            "items_done": counts.done,
            "items_failed": counts.failed,
            "items_leased": counts.leased,
            "items_remaining": counts.remaining(),
            "runners": status.runners.iter().map(|r| serde_json::json!({
                "name": r.name, "alive": r.alive, "seen_ms_ago": r.seen_ms_ago, "figures": r.figures,
            })).collect::<Vec<_>>(),
            "shared_limits": status.limits.iter().map(|(name, value)| serde_json::json!({"name": name, "value": value})).collect::<Vec<_>>(),
            "gate_ms": status.gate_ms,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{status}");
    }
    Ok(if !counts.finished() {
        exit::UNFINISHED
    } else if counts.failed > 0 {
        exit::ITEMS_FAILED
    } else {
        exit::OK
    })
}
