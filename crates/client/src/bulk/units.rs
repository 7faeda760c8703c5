//! Several business units in one run: every agent assigned to its unit (by the members of the
//! units' management units), every unit read, checked and planned first (all findings before
//! anything is sent), then the units' writes side by side, each request through the one shared
//! executor in turn (one pacer, one token budget), the units' waits for their updates' ends
//! overlapping.

use std::cell::RefCell;
use std::collections::HashMap;

use futures_util::future::join_all;
use tokio::sync::Mutex;

use super::api::{Api, Exec, Unit};
use super::workflow::{Prepared, Run};
use super::{
    BulkJournal, BulkOutcome, BulkProgress, BulkSettings, Desired, Finding, Pending, Phase, Step,
};
use crate::error::Result;
use crate::executor::Executor;

/// The input's agents, each with its unit.
#[derive(Debug)]
pub struct Assigned {
    pub units: Vec<Unit>,
    /// The wanted schedules of each unit, in the order of `units`.
    pub desired: Vec<Vec<Desired>>,
    /// Agents of none of the units.
    pub findings: Vec<Finding>,
}

/// Resolves the units named and assigns each wanted schedule to the unit its agent belongs to.
pub async fn assign(
    exec: &mut Executor,
    names: &[String],
    desired: Vec<Desired>,
) -> Result<Assigned> {
    let mut api = Api::new(exec);
    let mut units = Vec::new();
    let mut member_of: HashMap<String, usize> = HashMap::new();
    for name in names {
        let unit = api.resolve_unit(name, true).await?;
        for mu in &unit.management_units {
            for member in api.members(&mu.id).await? {
                member_of.insert(member.id.to_ascii_lowercase(), units.len());
            }
        }
        units.push(unit);
    }
    let mut by_unit: Vec<Vec<Desired>> = units.iter().map(|_| Vec::new()).collect();
    let mut findings = Vec::new();
    for wanted in desired {
        match member_of.get(&wanted.user_id.to_ascii_lowercase()) {
            Some(&at) => by_unit[at].push(wanted),
            None => findings.push(Finding {
                line: wanted.line,
                field: "userId",
                reason: format!(
                    "{} is an agent of none of the business units {}",
                    wanted.user_id,
                    names.join(", ")
                ),
            }),
        }
    }
    Ok(Assigned {
        units,
        desired: by_unit,
        findings,
    })
}

/// The journal key of a unit's week when several units share a run: `unit|week`.
pub fn unit_week(unit: &str, week: &str) -> String {
    format!("{unit}|{week}")
}

/// Runs the units' updates: all planned first, then written side by side. `settings` holds
/// each unit's settings in the order of `assigned.units`.
pub async fn run_units(
    exec: &Mutex<Executor>,
    settings: &[BulkSettings],
    assigned: Assigned,
    journal: &mut dyn BulkJournal,
    progress: &mut dyn BulkProgress,
) -> Result<Vec<BulkOutcome>> {
    let journal = RefCell::new(journal);
    let progress = RefCell::new(progress);
    let mut journals: Vec<UnitJournal<'_, '_>> = assigned
        .units
        .iter()
        .map(|u| UnitJournal {
            unit: u.name.clone(),
            journal: &journal,
        })
        .collect();
    let mut tellers: Vec<UnitProgress<'_, '_>> = assigned
        .units
        .iter()
        .map(|u| UnitProgress {
            unit: u.name.clone(),
            progress: &progress,
        })
        .collect();
    let mut prepared = Vec::new();
    let parts = journals.iter_mut().zip(tellers.iter_mut()).zip(settings);
    for (((unit_journal, teller), unit_settings), (unit, desired)) in
        parts.zip(assigned.units.into_iter().zip(&assigned.desired))
    {
        let run = Run::new(Exec::Shared(exec), unit_settings, unit_journal, teller);
        prepared.push(run.prepare(unit, desired).await?);
    }
    let blocked = prepared.iter().any(|p| match p {
        Prepared::Done(outcome) => !outcome.findings.is_empty(),
        Prepared::Ready(_) => false,
    });
    if blocked {
        return Ok(prepared.into_iter().map(Prepared::into_outcome).collect());
    }
    let finished = join_all(prepared.into_iter().map(|p| async move {
        match p {
            Prepared::Done(outcome) => Ok(outcome),
            Prepared::Ready(ready) => ready.finish().await,
        }
    }))
    .await;
    finished.into_iter().collect()
}

/// One unit's view of the run's journal: its weeks keyed `unit|week`.
struct UnitJournal<'r, 'j> {
    unit: String,
    journal: &'r RefCell<&'j mut dyn BulkJournal>,
}

impl BulkJournal for UnitJournal<'_, '_> {
    fn pending(&mut self, week: &str) -> Option<Pending> {
        self.journal
            .borrow_mut()
            .pending(&unit_week(&self.unit, week))
    }

    fn refused(&mut self, week: &str) -> Vec<Vec<String>> {
        self.journal
            .borrow_mut()
            .refused(&unit_week(&self.unit, week))
    }

    fn hold_pre_image(&self) -> super::images::HoldPreImage {
        self.journal.borrow().hold_pre_image()
    }

    fn record(&mut self, step: Step<'_>) -> std::result::Result<(), String> {
        let key = |week: &str| unit_week(&self.unit, week);
        let mut journal = self.journal.borrow_mut();
        match step {
            Step::UpdateSending {
                week,
                schedule_id,
                key: upload,
                base_version,
                agents,
            } => journal.record(Step::UpdateSending {
                week: &key(week),
                schedule_id,
                key: upload,
                base_version,
                agents,
            }),
            Step::UpdateAccepted {
                week,
                key: upload,
                operation_id,
            } => journal.record(Step::UpdateAccepted {
                week: &key(week),
                key: upload,
                operation_id,
            }),
            Step::UpdateEnded {
                week,
                key: upload,
                status,
                message,
            } => journal.record(Step::UpdateEnded {
                week: &key(week),
                key: upload,
                status,
                message,
            }),
            Step::Images {
                week,
                schedule_id,
                images,
            } => journal.record(Step::Images {
                week: &key(week),
                schedule_id,
                images,
            }),
            Step::Refused { week, agents } => journal.record(Step::Refused {
                week: &key(week),
                agents,
            }),
            Step::Verified { week, versions } => journal.record(Step::Verified {
                week: &key(week),
                versions,
            }),
        }
    }
}

/// One unit's phases, told with its name.
struct UnitProgress<'r, 'p> {
    unit: String,
    progress: &'r RefCell<&'p mut dyn BulkProgress>,
}

impl BulkProgress for UnitProgress<'_, '_> {
    fn phase(&mut self, phase: Phase, detail: &str) {
        self.progress
            .borrow_mut()
            .phase(phase, &format!("{}: {detail}", self.unit));
    }
}
