//! The schedule update's outcome told: the dry run's plan, the rows' ends in the journal, the
//! JTL, the JSON report's bulk section (a section per unit when several), and the summary.

use pacer_client::bulk::{self, BulkOutcome};
use pacer_journal::{Change, Journal};

use super::bulk::Finished;
use super::observer::write_record;
use super::settings::{ApplySettings, Display};
use super::wanted::Wanted;
use super::{Outcome, judge_exit, publish, run_exit};
use crate::report::{JtlWriter, Report};

/// The dry run's plan of every unit.
pub(super) fn print_plan(settings: &ApplySettings, outcomes: &[BulkOutcome]) {
    for outcome in outcomes {
        print_unit_plan(settings, outcome);
    }
}

/// One unit's plan: per week what would change, the requests, and the time by each path.
fn print_unit_plan(settings: &ApplySettings, outcome: &BulkOutcome) {
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

/// Marks each input row done or failed in the journal as its agent's outcome says, a batch of
/// rows to a transaction. An outcome finds its agent's rows by the line it names (the agent's
/// first), not through a map of every agent by id: at a hundred thousand agents the map was most
/// of the run's last memory.
pub(super) fn mark_items(
    journal: &Journal,
    outcomes: &[BulkOutcome],
    wanted: &Wanted,
) -> anyhow::Result<()> {
    const ROWS_PER_BATCH: usize = 8192;
    let mut by_line: Vec<(u64, usize)> = wanted
        .desired
        .iter()
        .enumerate()
        .map(|(at, desired)| (desired.line, at))
        .collect();
    by_line.sort_unstable();
    let mut changes = Vec::with_capacity(ROWS_PER_BATCH);
    for agent in outcomes.iter().flat_map(|o| o.agents.iter()) {
        let Some(lines) = rows_of(wanted, &by_line, agent) else {
            continue;
        };
        for &line in lines {
            changes.push(match agent.state {
                "written" | "removed" | "unchanged" => Change::Done {
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
        if changes.len() >= ROWS_PER_BATCH {
            journal.record(&changes)?;
            changes.clear();
        }
    }
    journal.record(&changes)?;
    Ok(())
}

/// The input rows of `agent`'s entry: the entry whose first line it names (`by_line`, sorted),
/// and whose agent and week are its own.
fn rows_of<'w>(
    wanted: &'w Wanted,
    by_line: &[(u64, usize)],
    agent: &bulk::AgentOutcome,
) -> Option<&'w [u64]> {
    let from = by_line.partition_point(|&(line, _)| line < agent.line);
    by_line[from..]
        .iter()
        .take_while(|&&(line, _)| line == agent.line)
        .map(|&(_, at)| at)
        .find(|&at| {
            let desired = &wanted.desired[at];
            desired.user_id == agent.user_id && desired.week == agent.week
        })
        .map(|at| wanted.lines[at].as_slice())
}

pub(super) fn write_jtl(
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

/// The report's bulk section: one unit's, or with several units their sums and a section each.
fn bulk_json_many(outcomes: &[BulkOutcome]) -> serde_json::Value {
    if let [one] = outcomes {
        return bulk_json(one);
    }
    let sections: Vec<serde_json::Value> = outcomes.iter().map(bulk_json).collect();
    let sum = |key: &str| -> u64 { sections.iter().map(|s| s[key].as_u64().unwrap_or(0)).sum() };
    serde_json::json!({
        "business_units": outcomes.iter().map(|o| o.unit_name.clone()).collect::<Vec<_>>(),
        "agents_written": sum("agents_written"),
        "agents_unchanged": sum("agents_unchanged"),
        "agents_failed": sum("agents_failed"),
        "units": sections,
    })
}

/// The report's bulk section of one unit.
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
pub(super) fn finish(
    settings: &ApplySettings,
    run: &Finished<'_>,
    journal: Option<&Journal>,
) -> Outcome {
    let outcomes = run.outcomes;
    let failed: usize = outcomes.iter().map(BulkOutcome::failed).sum();
    let agents: usize = outcomes.iter().map(|o| o.agents.len()).sum();
    let names: Vec<&str> = outcomes.iter().map(|o| o.unit_name.as_str()).collect();
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
        items_total: counts.as_ref().map_or(agents as u64, |c| c.total),
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
        met_deadline: settings.deadline.map(|d| elapsed <= d && failed == 0),
        resumed: journal.is_some_and(|j| j.open_kind() == pacer_journal::OpenKind::Resumed),
        input: settings.input.display().to_string(),
        journal: journal
            .map(|j| j.path().display().to_string())
            .unwrap_or_default(),
        method: "BULK".into(),
        path_template: format!("businessunit {}", names.join(",")),
        latency: latencies.summary(),
        bulk: Some(bulk_json_many(outcomes)),
        coordinator: None,
        ..Report::default()
    };
    if let Err(err) = publish(settings, &mut report, journal, &timeline) {
        eprintln!("warning: {err:#}");
    }
    if !settings.dry_run {
        for outcome in outcomes {
            summarize(settings, outcome, elapsed);
        }
    }
    let code = run_exit(false, false, failed > 0, report.met_deadline);
    let exit_code = judge_exit(settings, &report, code);
    let progress = crate::html::progress(&report, &timeline);
    Outcome {
        report,
        exit_code,
        progress,
    }
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
