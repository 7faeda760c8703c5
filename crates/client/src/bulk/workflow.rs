//! The phases of the schedule update, in order: resolve, read (finishing first any update a
//! killed run left pending), check, plan, then per week upload, update and wait, and at the end
//! verify. Each phase is a function of [`Run`]; [`run`] lists them.

use std::collections::{BTreeMap, HashMap, HashSet};

use pacer_genesys::datetime::parse_days;
use pacer_genesys::wfm::{BuScheduleMetadata, BuUpdateAgentScheduleUploadSchema};
use tokio::time::Instant;

use super::api::{Api, Exec, Unit};
use super::plan::{self, AgentPlan, Change, Current, Desired, Finding};
use super::socket::Notifications;
use super::upload;
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
    let run = Run::new(Exec::Alone(exec), settings, journal, progress);
    match run.prepare(None, desired).await? {
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
    desired: Vec<Desired>,
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
        let by_week = group(&desired);
        run.verify(&unit, &by_week, &weeks).await?;
        Ok(run.outcome)
    }
}

/// One week as read, then planned, then written.
pub(super) struct Week {
    pub(super) week: String,
    pub(super) schedule: Option<BuScheduleMetadata>,
    /// Lowercase user id to what the server holds.
    pub(super) current: HashMap<String, Current>,
    /// Lowercase user ids of the unit's agents known so far.
    pub(super) members: HashSet<String>,
    pub(super) plans: Vec<AgentPlan>,
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
}

/// How an operation ended, and how that was learned.
pub(super) struct Ended {
    pub(super) status: String,
    pub(super) message: Option<String>,
    pub(super) learned_by: &'static str,
    /// The schedule's version after it, when known.
    pub(super) version: Option<u64>,
}

fn group(desired: &[Desired]) -> BTreeMap<String, Vec<&Desired>> {
    let mut weeks: BTreeMap<String, Vec<&Desired>> = BTreeMap::new();
    for wanted in desired {
        weeks.entry(wanted.week.clone()).or_default().push(wanted);
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
        }
    }

    /// Resolves the unit (unless `unit` is given), reads every week, checks the input and plans
    /// each agent; a dry run ends here with its plan.
    pub(super) async fn prepare(
        mut self,
        unit: Option<Unit>,
        desired: &[Desired],
    ) -> Result<Prepared<'a>> {
        let unit = match unit {
            Some(unit) => {
                self.resolved(&unit);
                unit
            }
            None => self.resolve().await?,
        };
        let (desired, unplaced) = plan::place_times(&unit, desired, self.settings.ambiguous);
        let by_week = group(&desired);
        let mut weeks = self.read(&unit, &by_week).await?;
        if !self.check(&unit, &desired, &weeks, unplaced) {
            return Ok(Prepared::Done(self.outcome));
        }
        self.plan(&unit, &by_week, &mut weeks);
        if self.settings.dry_run {
            self.plan_only(&unit, &weeks);
            return Ok(Prepared::Done(self.outcome));
        }
        drop(by_week);
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
    }

    pub(super) fn end_phase(&mut self) {
        let now = self.started.elapsed();
        if let Some(last) = self.outcome.phases.last_mut() {
            last.end = now;
        }
    }

    pub(super) async fn resolve(&mut self) -> Result<Unit> {
        let wanted = self.settings.business_unit.clone();
        self.begin(Phase::Resolve, None, &format!("business unit {wanted}"));
        let unit = self.api().resolve_unit(&wanted, true).await?;
        self.resolved(&unit);
        Ok(unit)
    }

    /// Notes the unit the run writes.
    pub(super) fn resolved(&mut self, unit: &Unit) {
        self.outcome.unit_id = unit.id.clone();
        self.outcome.unit_name = unit.name.clone();
        self.outcome.unit_time_zone = unit.zone.name().to_string();
    }

    /// Reads every week's schedule and agents, after finishing any update left pending.
    pub(super) async fn read(
        &mut self,
        unit: &Unit,
        by_week: &BTreeMap<String, Vec<&Desired>>,
    ) -> Result<Vec<Week>> {
        let mut weeks = Vec::new();
        for (week, wanted) in by_week {
            self.begin(Phase::Read, Some(week), &format!("week of {week}"));
            let readable = parse_days(week)
                .is_ok_and(|d| pacer_genesys::datetime::weekday(d) == unit.start_day);
            let mut state = Week {
                week: week.clone(),
                schedule: None,
                current: HashMap::new(),
                members: HashSet::new(),
                plans: Vec::new(),
                outcome: WeekOutcome {
                    week: week.clone(),
                    local_bounds: parse_days(week).ok().map(|day| {
                        let (from, to) = plan::week_bounds(unit, day);
                        (unit.zone.local(from), unit.zone.local(to))
                    }),
                    schedule_id: None,
                    created: false,
                    added: 0,
                    changed: 0,
                    unchanged: 0,
                    removed: 0,
                    left: 0,
                    refused: 0,
                    parts: Vec::new(),
                    conflicts: 0,
                },
                failed: HashMap::new(),
            };
            if readable {
                if let Some(pending) = self.journal.pending(week) {
                    self.finish_pending(unit, week, &pending).await?;
                }
                state.schedule = self.choose_schedule(unit, week).await?;
                self.read_agents(unit, &mut state, None).await?;
                self.read_members(unit, &mut state, wanted).await?;
            }
            weeks.push(state);
        }
        Ok(weeks)
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

    /// Reads the agents (`only` these, or all) of every management unit in the week's schedule.
    pub(super) async fn read_agents(
        &mut self,
        unit: &Unit,
        state: &mut Week,
        only: Option<&[String]>,
    ) -> Result<()> {
        let Some(schedule) = state.schedule.clone() else {
            return Ok(());
        };
        for mu in &unit.management_units {
            let user_ids = only.map(<[String]>::to_vec);
            let agents = self
                .api()
                .query_agents(unit, &state.week, &schedule.id, &mu.id, user_ids)
                .await?;
            for agent in agents {
                let id = agent.user.id.to_ascii_lowercase();
                state.members.insert(id.clone());
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

    /// Lists the management units' members when some wanted agent has no schedule to show it.
    pub(super) async fn read_members(
        &mut self,
        unit: &Unit,
        state: &mut Week,
        wanted: &[&Desired],
    ) -> Result<()> {
        if wanted
            .iter()
            .all(|w| state.members.contains(&w.user_id.to_ascii_lowercase()))
        {
            return Ok(());
        }
        for mu in &unit.management_units {
            for member in self.api().members(&mu.id).await? {
                state.members.insert(member.id.to_ascii_lowercase());
            }
        }
        Ok(())
    }

    /// Checks the whole input against the unit, after the start times that could not be placed
    /// (`unplaced`); false (with the findings kept) stops the run. A field gets one finding: a
    /// start that could not be placed is not also reported as unreadable.
    pub(super) fn check(
        &mut self,
        unit: &Unit,
        desired: &[Desired],
        weeks: &[Week],
        unplaced: Vec<Finding>,
    ) -> bool {
        // Weeks that could not be read (a bad date) have no members to check against.
        let members: HashMap<&str, &HashSet<String>> = weeks
            .iter()
            .filter(|w| !w.members.is_empty())
            .map(|w| (w.week.as_str(), &w.members))
            .collect();
        let mut findings = Vec::new();
        for wanted in desired {
            let in_unit = |id: &str| {
                members
                    .get(wanted.week.as_str())
                    .is_none_or(|m| m.contains(&id.to_ascii_lowercase()))
            };
            findings.extend(plan::validate(unit, std::slice::from_ref(wanted), &in_unit));
        }
        let reported: HashSet<(u64, &str)> = unplaced.iter().map(|f| (f.line, f.field)).collect();
        findings.retain(|f| !reported.contains(&(f.line, f.field)));
        findings.extend(unplaced);
        findings.sort_by_key(|f| f.line);
        let clean = findings.is_empty();
        self.outcome.findings = findings;
        clean
    }

    /// Plans every agent of every week.
    pub(super) fn plan(
        &mut self,
        unit: &Unit,
        by_week: &BTreeMap<String, Vec<&Desired>>,
        weeks: &mut [Week],
    ) {
        self.begin(Phase::Plan, None, "comparing with what the server holds");
        for state in weeks.iter_mut() {
            let wanted = &by_week[&state.week];
            state.plans = plan::diff(unit, wanted, &state.current);
            let count = |c: Change| state.plans.iter().filter(|p| p.change == c).count();
            state.outcome.added = count(Change::Added);
            state.outcome.changed = count(Change::Changed);
            state.outcome.unchanged = count(Change::Unchanged);
            state.outcome.removed = count(Change::Removed);
            state.outcome.left = count(Change::Left);
            state.outcome.schedule_id = state.schedule.as_ref().map(|s| s.id.clone());
            state.outcome.created = state.schedule.is_none();
        }
    }

    /// A dry run's result: every agent planned, and the requests the writes would take.
    pub(super) fn plan_only(&mut self, unit: &Unit, weeks: &[Week]) {
        self.end_phase();
        let management_units = unit.management_units.len() as u32;
        let mut requests = 0;
        for state in weeks {
            let entries = state.plans.iter().filter(|p| p.entry.is_some()).count();
            if entries > 0 {
                // A schedule to create, then per part an upload URL and an update, then the
                // read-back (a query per management unit).
                let published = state.schedule.as_ref().is_some_and(|s| s.published);
                let per_part = if published {
                    self.settings.max_agents_per_update.max(1)
                } else {
                    usize::MAX
                };
                let parts = entries.div_ceil(per_part).next_power_of_two() as u32;
                requests +=
                    u32::from(state.schedule.is_none()) + 2 * parts + management_units.max(1);
            }
            self.outcome.weeks.push(state.outcome.clone());
            self.outcome
                .agents
                .extend(state.plans.iter().map(|p| AgentOutcome {
                    line: p.line,
                    user_id: p.user_id.clone(),
                    week: state.week.clone(),
                    change: p.change,
                    state: match p.change {
                        Change::Unchanged => "unchanged",
                        Change::Left => "left",
                        _ => "planned",
                    },
                    reason: (p.change == Change::Left).then(|| LEFT_REASON.to_string()),
                }));
        }
        if requests > 0 {
            // The notification channel and its subscription.
            requests += 2;
        }
        self.outcome.planned_requests = requests;
    }

    /// Writes one week: its changed agents in as few parts as the size cap allows.
    pub(super) async fn write_week(&mut self, unit: &Unit, state: &mut Week) -> Result<()> {
        let entries: Vec<BuUpdateAgentScheduleUploadSchema> =
            state.plans.iter().filter_map(|p| p.entry.clone()).collect();
        if entries.is_empty() {
            self.outcome.weeks.push(state.outcome.clone());
            return Ok(());
        }
        if state.schedule.is_none() {
            state.schedule = Some(self.create_schedule(unit, &state.week).await?);
            state.outcome.schedule_id = state.schedule.as_ref().map(|s| s.id.clone());
        }
        self.ensure_socket(unit).await?;
        // Genesys notifies only the first 1,000 agents of a change to a published schedule.
        let published = state.schedule.as_ref().is_some_and(|s| s.published);
        let max_agents = if published {
            self.settings.max_agents_per_update
        } else {
            usize::MAX
        };
        let parts = upload::split(&entries, self.settings.upload_max_bytes, max_agents)
            .into_iter()
            .map(|range| entries[range].to_vec())
            .collect();
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
