//! The phases of the schedule update, in order: resolve, read and plan one management unit at a
//! time (finishing first any update a killed run left pending), check, then per week upload,
//! update and wait, and at the end verify. Each phase is a function of [`Run`]; [`run`] lists
//! them. What a run holds per agent is its place in the input and its change: the schedules read
//! are planned and forgotten, the upload is held compressed.

use std::collections::{BTreeMap, HashMap, HashSet};

use pacer_genesys::wfm::BuScheduleMetadata;
use tokio::time::Instant;

use super::api::{Api, Exec, MuQuery, Unit};
use super::check;
use super::plan::{Change, Current, Desired};
use super::socket::Notifications;
use super::upload::Part;
use super::{
    AgentOutcome, BulkJournal, BulkOutcome, BulkProgress, BulkSettings, Phase, PhaseSpan, Step,
    WeekOutcome,
};
use crate::error::{Error, Result};
use crate::executor::Executor;

/// Why an agent is left alone: its guard failed.
pub(super) const LEFT_REASON: &str =
    "changed by another editor since the run: left as it is (--force puts it back anyway)";

/// Runs the whole update of `desired` (one entry per agent and week).
pub async fn run(
    exec: &mut Executor,
    settings: &BulkSettings,
    desired: &[Desired],
    journal: &mut dyn BulkJournal,
    progress: &mut dyn BulkProgress,
) -> Result<BulkOutcome> {
    let resolved = resolve(exec, settings, progress).await?;
    run_resolved(exec, settings, resolved, desired, journal, progress).await
}

/// A business unit resolved before its run goes on, so that the caller can do other work
/// meanwhile (read its input): the unit, the run's clock, and the resolve phase on it.
pub struct Resolved {
    unit: Unit,
    started: Instant,
    span: PhaseSpan,
}

/// Resolves the business unit of `settings` (the first phase of [`run`]) for [`run_resolved`].
pub async fn resolve(
    exec: &mut Executor,
    settings: &BulkSettings,
    progress: &mut dyn BulkProgress,
) -> Result<Resolved> {
    let started = Instant::now();
    let wanted = &settings.business_unit;
    pacer_crashpoint::hit(&format!("bulk.{}", Phase::Resolve.as_str()));
    progress.phase(Phase::Resolve, &format!("business unit {wanted}"));
    let unit = Api::new(exec).resolve_unit(wanted, true).await?;
    let span = PhaseSpan {
        phase: Phase::Resolve,
        week: None,
        start: std::time::Duration::ZERO,
        end: started.elapsed(),
    };
    Ok(Resolved {
        unit,
        started,
        span,
    })
}

/// Runs the update of `desired` in the unit `resolved` holds: every phase of [`run`] after the
/// first, on the same clock.
pub async fn run_resolved(
    exec: &mut Executor,
    settings: &BulkSettings,
    resolved: Resolved,
    desired: &[Desired],
    journal: &mut dyn BulkJournal,
    progress: &mut dyn BulkProgress,
) -> Result<BulkOutcome> {
    let Resolved {
        unit,
        started,
        span,
    } = resolved;
    let mut run = Run::new(Exec::Alone(exec), settings, journal, progress);
    run.started = started;
    run.outcome.phases.push(span);
    match run.prepare(unit, desired).await? {
        Prepared::Done(outcome) => Ok(outcome),
        Prepared::Ready(ready) => ready.finish().await,
    }
}

/// A run after its checks and plan: done (findings, a dry run), or ready to write.
pub(super) enum Prepared<'a> {
    Done(BulkOutcome),
    Ready(Box<Ready<'a>>),
}

impl Prepared<'_> {
    /// What the run found or planned, without writing.
    pub(super) fn into_outcome(self) -> BulkOutcome {
        match self {
            Prepared::Done(outcome) => outcome,
            Prepared::Ready(ready) => ready.run.outcome,
        }
    }
}

/// A run planned and checked, ready to write its weeks and read them back.
pub(super) struct Ready<'a> {
    run: Run<'a>,
    unit: Unit,
    desired: &'a [Desired],
    weeks: Vec<Week>,
}

impl Ready<'_> {
    /// Writes every week, then reads the written agents back.
    pub(super) async fn finish(self) -> Result<BulkOutcome> {
        let Ready {
            mut run,
            unit,
            desired,
            mut weeks,
        } = self;
        for week in &mut weeks {
            run.write_week(&unit, week).await?;
        }
        run.verify(&unit, desired, &mut weeks).await?;
        Ok(run.outcome)
    }
}

/// One week as read, then planned, then written: per wanted agent (the week's input entries,
/// in input order) its place in the input, whether it is an agent of the unit, its change and
/// whether the upload carries it; the upload's parts compressed.
pub(super) struct Week {
    pub(super) week: String,
    /// The week's date reads and falls on the unit's start day: it was read.
    pub(super) readable: bool,
    pub(super) schedule: Option<BuScheduleMetadata>,
    /// What the server holds of the agents read again after a conflict, by lowercase user id.
    pub(super) current: HashMap<String, Current>,
    /// Each wanted agent's index in the run's input.
    pub(super) wanted: Vec<usize>,
    /// Lowercase user id to its place in `wanted`.
    pub(super) index: HashMap<String, usize>,
    /// Per wanted agent: an agent of the unit (seen in a query, or listed as a member).
    pub(super) in_unit: Vec<bool>,
    /// Per wanted agent: its change, once planned.
    pub(super) changes: Vec<Option<Change>>,
    /// Per wanted agent: the upload carries it.
    pub(super) sent: Vec<bool>,
    /// The upload, compressed, in parts.
    pub(super) parts: Vec<Part>,
    pub(super) outcome: WeekOutcome,
    /// Lowercase user ids of agents whose part failed, with why.
    pub(super) failed: HashMap<String, String>,
}

pub(super) struct Run<'a> {
    pub(super) exec: Exec<'a>,
    pub(super) settings: &'a BulkSettings,
    pub(super) journal: &'a mut dyn BulkJournal,
    pub(super) progress: &'a mut dyn BulkProgress,
    pub(super) started: Instant,
    pub(super) outcome: BulkOutcome,
    pub(super) socket: Option<Notifications>,
    pub(super) socket_down: bool,
    /// The last phase begun is still open (its end moves on until the next begins).
    pub(super) phase_open: bool,
}

/// How an operation ended, and how that was learned.
pub(super) struct Ended {
    pub(super) status: String,
    pub(super) message: Option<String>,
    pub(super) learned_by: &'static str,
    /// The schedule's version after it, when known.
    pub(super) version: Option<u64>,
}

/// The input's entries by week: each week's indexes into `desired`, in input order.
fn group(desired: &[Desired]) -> BTreeMap<String, Vec<usize>> {
    let mut weeks: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (at, wanted) in desired.iter().enumerate() {
        weeks.entry(wanted.week.clone()).or_default().push(at);
    }
    weeks
}

impl<'a> Run<'a> {
    pub(super) fn new(
        exec: Exec<'a>,
        settings: &'a BulkSettings,
        journal: &'a mut dyn BulkJournal,
        progress: &'a mut dyn BulkProgress,
    ) -> Run<'a> {
        Run {
            exec,
            settings,
            journal,
            progress,
            started: Instant::now(),
            outcome: BulkOutcome {
                dry_run: settings.dry_run,
                ..BulkOutcome::default()
            },
            socket: None,
            socket_down: false,
            phase_open: false,
        }
    }

    /// Reads and plans every week of `unit` one management unit at a time, and checks the
    /// input; a dry run ends here with its plan.
    pub(super) async fn prepare(
        mut self,
        unit: Unit,
        desired: &'a [Desired],
    ) -> Result<Prepared<'a>> {
        self.resolved(&unit);
        // A file with findings of its own is still read (the findings against the unit are told
        // with them), but not planned: nothing is journaled for a run that cannot go on.
        let clean = self.check(&unit, desired, &[], false);
        let mut weeks = Vec::new();
        for (week, wanted) in group(desired) {
            weeks.push(self.read(&unit, desired, week, wanted, clean).await?);
        }
        let clean = if clean {
            // The input alone was clean: what the reads tell (each agent the unit's) is left.
            self.check_members(&unit, desired, &weeks)
        } else {
            self.check(&unit, desired, &weeks, true)
        };
        if !clean {
            return Ok(Prepared::Done(self.outcome));
        }
        self.plan(&mut weeks);
        if self.settings.dry_run {
            self.plan_only(&unit, desired, &weeks);
            return Ok(Prepared::Done(self.outcome));
        }
        Ok(Prepared::Ready(Box::new(Ready {
            run: self,
            unit,
            desired,
            weeks,
        })))
    }
}

impl Run<'_> {
    pub(super) fn api(&mut self) -> Api<'_> {
        Api {
            exec: self.exec.reborrow(),
        }
    }

    /// Starts a phase: tells the observer and opens its span.
    pub(super) fn begin(&mut self, phase: Phase, week: Option<&str>, detail: &str) {
        self.end_phase();
        pacer_crashpoint::hit(&format!("bulk.{}", phase.as_str()));
        self.progress.phase(phase, detail);
        let now = self.started.elapsed();
        self.outcome.phases.push(PhaseSpan {
            phase,
            week: week.map(str::to_string),
            start: now,
            end: now,
        });
        self.phase_open = true;
    }

    /// Ends the phase begun last, unless it ended already.
    pub(super) fn end_phase(&mut self) {
        if !std::mem::take(&mut self.phase_open) {
            return;
        }
        let now = self.started.elapsed();
        if let Some(last) = self.outcome.phases.last_mut() {
            last.end = now;
        }
    }

    /// Notes the unit the run writes.
    pub(super) fn resolved(&mut self, unit: &Unit) {
        self.outcome.unit_id = unit.id.clone();
        self.outcome.unit_name = unit.name.clone();
        self.outcome.unit_time_zone = unit.zone.name().to_string();
    }

    /// The schedule to write in `week`: the one named, else the published one, else the first.
    pub(super) async fn choose_schedule(
        &mut self,
        unit: &Unit,
        week: &str,
    ) -> Result<Option<BuScheduleMetadata>> {
        let listed = self.api().week_schedules(unit, week).await?;
        let named = self
            .settings
            .schedule_by_week
            .get(week)
            .or(self.settings.schedule.as_ref());
        if let Some(id) = named {
            if let Some(found) = listed.into_iter().find(|s| &s.id == id) {
                return Ok(Some(found));
            }
            return Ok(None);
        }
        let published = listed.iter().position(|s| s.published);
        Ok(published
            .or((!listed.is_empty()).then_some(0))
            .map(|i| listed[i].clone()))
    }

    /// Reads the agents `only` of every management unit in the week's schedule again (after a
    /// conflict), into the week's `current`.
    pub(super) async fn read_agents(
        &mut self,
        unit: &Unit,
        state: &mut Week,
        only: &[String],
    ) -> Result<()> {
        let Some(schedule) = state.schedule.clone() else {
            return Ok(());
        };
        for mu in &unit.management_units {
            let query = MuQuery {
                user_ids: Some(only.to_vec()),
                ..MuQuery::all(unit, &state.week, &schedule.id, &mu.id)
            };
            let agents = self.api().query_agents(query).await?;
            for agent in agents {
                let id = agent.user.id.to_ascii_lowercase();
                state.current.insert(
                    id,
                    Current {
                        version: agent.metadata.version,
                        shifts: agent.shifts,
                        time_off: agent.full_day_time_off_markers,
                    },
                );
            }
        }
        Ok(())
    }

    /// Checks the whole input against the unit: with `read`, against the weeks as read (their
    /// agents), else the input alone. False (with the findings kept) stops the run. A field gets
    /// one finding: a start that could not be placed is not also reported as unreadable.
    pub(super) fn check(
        &mut self,
        unit: &Unit,
        desired: &[Desired],
        weeks: &[Week],
        read: bool,
    ) -> bool {
        let by_week: HashMap<&str, &Week> = weeks.iter().map(|w| (w.week.as_str(), w)).collect();
        let mut findings = Vec::new();
        let mut unplaced = Vec::new();
        for wanted in desired {
            // Weeks that could not be read (a bad date) have no agents to check against.
            let in_unit = |id: &str| {
                let week = by_week.get(wanted.week.as_str()).filter(|w| w.readable);
                !read
                    || week.is_none_or(|w| {
                        w.index
                            .get(&id.to_ascii_lowercase())
                            .is_some_and(|&at| w.in_unit[at])
                    })
            };
            let (placed, not_placed) = check::place(unit, wanted, self.settings.ambiguous);
            findings.extend(check::validate(
                unit,
                std::slice::from_ref(&placed),
                &in_unit,
            ));
            unplaced.extend(not_placed);
        }
        let reported: HashSet<(u64, &str)> = unplaced.iter().map(|f| (f.line, f.field)).collect();
        findings.retain(|f| !reported.contains(&(f.line, f.field)));
        findings.extend(unplaced);
        findings.sort_by_key(|f| f.line);
        let clean = findings.is_empty();
        self.outcome.findings = findings;
        clean
    }

    /// Checks that each wanted agent of a week read is an agent of the unit, after a clean check
    /// of the input alone (not repeated). False (with the findings kept) stops the run.
    pub(super) fn check_members(
        &mut self,
        unit: &Unit,
        desired: &[Desired],
        weeks: &[Week],
    ) -> bool {
        let mut findings = Vec::new();
        for week in weeks.iter().filter(|w| w.readable) {
            for (at, &index) in week.wanted.iter().enumerate() {
                if !week.in_unit[at] {
                    findings.push(check::not_a_member(unit, &desired[index]));
                }
            }
        }
        findings.sort_by_key(|f| f.line);
        let clean = findings.is_empty();
        self.outcome.findings = findings;
        clean
    }

    /// Counts every week's changes.
    pub(super) fn plan(&mut self, weeks: &mut [Week]) {
        self.begin(Phase::Plan, None, "compared with what the server holds");
        for state in weeks {
            let count = |c: Change| state.changes.iter().filter(|p| **p == Some(c)).count();
            let outcome = &mut state.outcome;
            outcome.added = count(Change::Added);
            outcome.changed = count(Change::Changed);
            outcome.unchanged = count(Change::Unchanged);
            outcome.removed = count(Change::Removed);
            outcome.left = count(Change::Left);
            outcome.schedule_id = state.schedule.as_ref().map(|s| s.id.clone());
            outcome.created = state.schedule.is_none();
        }
    }

    /// A dry run's result: every agent planned, and the requests the writes would take.
    pub(super) fn plan_only(&mut self, unit: &Unit, desired: &[Desired], weeks: &[Week]) {
        self.end_phase();
        let management_units = unit.management_units.len() as u32;
        let mut requests = 0;
        for state in weeks {
            if !state.parts.is_empty() {
                // A schedule to create, then per part an upload URL and an update, then the
                // read-back (a query per management unit).
                requests += u32::from(state.schedule.is_none())
                    + 2 * state.parts.len() as u32
                    + management_units.max(1);
            }
            self.outcome.weeks.push(state.outcome.clone());
            for (at, &index) in state.wanted.iter().enumerate() {
                let wanted = &desired[index];
                let change = state.changes[at].unwrap_or(Change::Unchanged);
                self.outcome.agents.push(AgentOutcome {
                    line: wanted.line,
                    user_id: wanted.user_id.clone(),
                    week: state.week.clone(),
                    change,
                    state: match change {
                        Change::Unchanged => "unchanged",
                        Change::Left => "left",
                        _ => "planned",
                    },
                    reason: (change == Change::Left).then(|| LEFT_REASON.to_string()),
                });
            }
        }
        if requests > 0 {
            // The notification channel and its subscription.
            requests += 2;
        }
        self.outcome.planned_requests = requests;
    }

    /// Writes one week: its upload's parts, each narrowed down when refused.
    pub(super) async fn write_week(&mut self, unit: &Unit, state: &mut Week) -> Result<()> {
        let parts = std::mem::take(&mut state.parts);
        if parts.is_empty() {
            self.outcome.weeks.push(state.outcome.clone());
            return Ok(());
        }
        if state.schedule.is_none() {
            state.schedule = Some(self.create_schedule(unit, &state.week).await?);
            state.outcome.schedule_id = state.schedule.as_ref().map(|s| s.id.clone());
            // Its agents had no schedule to read: their images are journaled now, before any
            // update leaves.
            let hold = self.journal.hold_pre_image();
            for part in &parts {
                let images = part
                    .entries()
                    .iter()
                    .map(|entry| super::images::image_of(None, entry, hold))
                    .collect();
                self.journal_images(state, &mut Some(images))?;
            }
        }
        self.ensure_socket(unit).await?;
        self.write_parts(unit, state, parts).await?;
        self.outcome.weeks.push(state.outcome.clone());
        Ok(())
    }

    pub(super) async fn create_schedule(
        &mut self,
        unit: &Unit,
        week: &str,
    ) -> Result<BuScheduleMetadata> {
        if !self.settings.create_schedule {
            return Err(Error::Workflow(format!(
                "business unit {} has no schedule for the week of {week}: pass --create-schedule to make one, or --schedule ID",
                unit.name
            )));
        }
        self.begin(Phase::Upload, Some(week), "creating a blank schedule");
        self.api().create_schedule(unit, week).await
    }

    pub(super) fn record(&mut self, step: Step<'_>) -> Result<()> {
        self.journal.record(step).map_err(Error::Journal)
    }
}
