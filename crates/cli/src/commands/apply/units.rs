//! `pacer apply` with several `--business-unit`s: each agent assigned to its unit, every unit
//! checked and planned before anything is sent, then the units' updates side by side through the
//! one executor, the rows journaled and one report with a section per unit.

use pacer_client::bulk::units::{self, run_units};
use pacer_client::bulk::{BulkOutcome, BulkSettings};
use pacer_journal::Journal;
use tokio::sync::Mutex;

use super::bulk::{Finished, Start, bulk_settings, refuse, refuse_rows};
use super::bulk_journal::Steps;
use super::bulk_report::{finish, mark_items, print_plan, write_jtl};
use super::settings::{ApplySettings, BulkOptions};
use super::wanted::Wanted;
use super::{Lines, Outcome};

/// Runs the schedule updates of several units.
pub async fn run_update_units(
    settings: &ApplySettings,
    options: &BulkOptions,
    wanted: &Wanted,
    journal: Option<Journal>,
    start: Start,
) -> anyhow::Result<Outcome> {
    // Several units are resolved together below, after the input is read.
    let Start {
        mut executor,
        tokens_minted,
        started,
        resolved: _,
    } = start;
    let assigned = units::assign(
        &mut executor,
        &options.business_units,
        wanted.desired.clone(),
    )
    .await?;
    if !assigned.findings.is_empty() {
        return Err(refuse_rows(settings, assigned.findings));
    }
    let per_unit: Vec<BulkSettings> = assigned
        .units
        .iter()
        .map(|unit| unit_settings(settings, options, &unit.id, &unit.name))
        .collect();
    let shared = Mutex::new(executor);
    let mut steps = Steps::new(journal.as_ref());
    let mut progress = Lines {
        display: settings.display,
        started,
    };
    let result = run_units(&shared, &per_unit, assigned, &mut steps, &mut progress).await;
    // The images' writer finishes what it was handed before the journal is read again.
    drop(steps);
    let records = shared.into_inner().take_call_records();
    write_jtl(settings, &records)?;
    let outcomes: Vec<BulkOutcome> = result?;
    if outcomes.iter().any(|o| !o.findings.is_empty()) {
        return Err(refuse(settings, &outcomes));
    }
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

/// One unit's settings: the run's, for the unit by its id; of the schedules named by week, those
/// keyed `unit|week` for this unit, and those keyed by the week alone.
fn unit_settings(
    settings: &ApplySettings,
    options: &BulkOptions,
    unit_id: &str,
    unit_name: &str,
) -> BulkSettings {
    let schedule_by_week = options
        .schedule_by_week
        .iter()
        .filter_map(|(key, id)| match key.split_once('|') {
            Some((unit, week)) if unit == unit_name => Some((week.to_string(), id.clone())),
            Some(_) => None,
            None => Some((key.clone(), id.clone())),
        })
        .collect();
    BulkSettings {
        business_unit: unit_id.to_string(),
        schedule_by_week,
        ..bulk_settings(settings, options)
    }
}
