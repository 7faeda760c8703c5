//! `pacer export`'s reading: a business unit's weeks of agent schedules, with each agent's
//! e-mail and name, in as few requests as the API allows.
//!
//! Two ways to read, chosen by what is asked:
//! - the published schedules of every management unit (the default): one agent-schedules
//!   search of the business unit over all the weeks (at most 100 days a search), its result
//!   inline or by download URL;
//! - a schedule named by id, or some management units only: per week the week's schedules (the
//!   published one, or the one named), then one agent-schedules query per management unit.
//!
//! Either way the agents' e-mails and names come from the Users API ([`super::directory`]).

use std::collections::BTreeMap;

use pacer_genesys::datetime::{
    WEEKDAYS, format_days, format_seconds, parse_days, parse_seconds, weekday,
};
use pacer_genesys::wfm::{
    BuAgentScheduleShift, BuFullDayTimeOffMarker, BuScheduleMetadata, ManagementUnit,
};

use super::api::{Api, MuQuery, Unit};
use super::directory::{self, Choice, Directory, Lookup};
use super::{BulkProgress, Phase};
use crate::error::{Error, Result};
use crate::executor::Executor;

/// The longest range one agent-schedules search takes.
const SEARCH_MAX_DAYS: i64 = 100;

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportSettings {
    /// The business unit's name or id.
    pub business_unit: String,
    /// The first week's date (the unit's start day).
    pub week: String,
    /// How many weeks from it.
    pub weeks: u32,
    /// A schedule by id instead of each week's published one.
    pub schedule: Option<String>,
    /// Only these management units (names or ids); every one when empty.
    pub management_units: Vec<String>,
    /// How the agents' e-mails and names are looked up.
    pub users_by: Choice,
}

/// One agent's week as exported.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedAgent {
    pub user_id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    /// Sorted by start.
    pub shifts: Vec<BuAgentScheduleShift>,
    pub full_day_time_off_markers: Vec<BuFullDayTimeOffMarker>,
}

/// One week as exported.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedWeek {
    /// The week's date, `YYYY-MM-DD`.
    pub week: String,
    /// The schedule read, when the week has one.
    pub schedule_id: Option<String>,
    /// Agents in user id order; only those the schedule holds.
    pub agents: Vec<ExportedAgent>,
}

/// The export: the unit, its weeks, and how the users were found.
#[derive(Debug, Clone)]
pub struct Export {
    pub unit: Unit,
    pub weeks: Vec<ExportedWeek>,
    /// `search` or `query`: how the schedules were read.
    pub read_by: &'static str,
    pub directory: Directory,
}

/// Reads the weeks of `settings`, each request through the executor.
pub async fn read(
    exec: &mut Executor,
    settings: &ExportSettings,
    progress: &mut dyn BulkProgress,
) -> Result<Export> {
    progress.phase(
        Phase::Resolve,
        &format!("business unit {}", settings.business_unit),
    );
    let by_query = settings.schedule.is_some() || !settings.management_units.is_empty();
    let unit = Api::new(exec)
        .resolve_unit(&settings.business_unit, by_query)
        .await?;
    let days = week_days(&unit, settings)?;
    let mut weeks = if by_query {
        let units = chosen_units(&unit, &settings.management_units)?;
        read_by_query(exec, &unit, &units, &days, settings, progress).await?
    } else {
        read_by_search(exec, &unit, &days, progress).await?
    };
    progress.phase(Phase::Resolve, "the agents' e-mails and names");
    let mut lookup = Lookup::default();
    for week in &weeks {
        lookup
            .ids
            .extend(week.agents.iter().map(|a| a.user_id.to_ascii_lowercase()));
    }
    let directory = directory::resolve_by(exec, &lookup, settings.users_by).await?;
    for agent in weeks.iter_mut().flat_map(|w| w.agents.iter_mut()) {
        if let Some(user) = directory.by_id(&agent.user_id) {
            agent.email = user.email.clone();
            agent.name = Some(user.name.clone());
        }
    }
    Ok(Export {
        unit,
        weeks,
        read_by: if by_query { "query" } else { "search" },
        directory,
    })
}

/// The days (since the epoch) of the weeks asked for, each checked to be the unit's start day.
fn week_days(unit: &Unit, settings: &ExportSettings) -> Result<Vec<i64>> {
    let first = parse_days(&settings.week)
        .map_err(|reason| Error::Workflow(format!("--week: `{}` {reason}", settings.week)))?;
    if weekday(first) != unit.start_day {
        return Err(Error::Workflow(format!(
            "--week: {} is a {}: weeks of business unit {} start on {}",
            settings.week,
            WEEKDAYS[weekday(first)],
            unit.name,
            WEEKDAYS[unit.start_day]
        )));
    }
    Ok((0..i64::from(settings.weeks.max(1)))
        .map(|w| first + 7 * w)
        .collect())
}

/// The management units asked for by name or id, or all of them.
fn chosen_units(unit: &Unit, wanted: &[String]) -> Result<Vec<ManagementUnit>> {
    if wanted.is_empty() {
        return Ok(unit.management_units.clone());
    }
    wanted
        .iter()
        .map(|w| {
            unit.management_units
                .iter()
                .find(|m| &m.id == w || m.name.eq_ignore_ascii_case(w))
                .cloned()
                .ok_or_else(|| {
                    let names: Vec<&str> =
                        unit.management_units.iter().map(|m| m.name.as_str()).collect();
                    Error::Workflow(format!(
                        "--management-unit: business unit {} has no management unit `{w}` (it has: {})",
                        unit.name,
                        names.join(", ")
                    ))
                })
        })
        .collect()
}

/// The published schedules of every week, by searches of at most 100 days.
async fn read_by_search(
    exec: &mut Executor,
    unit: &Unit,
    days: &[i64],
    progress: &mut dyn BulkProgress,
) -> Result<Vec<ExportedWeek>> {
    let mut sorter = WeekSorter::new(unit, days);
    let per_search = (SEARCH_MAX_DAYS / 7) as usize;
    for chunk in days.chunks(per_search) {
        let (from, _) = unit.zone.week(chunk[0]);
        let (_, to) = unit.zone.week(chunk[chunk.len() - 1]);
        progress.phase(
            Phase::Read,
            &format!(
                "published schedules from {} to {}",
                unit.zone.local(from),
                unit.zone.local(to)
            ),
        );
        let answer = Api::new(exec)
            .search_all(unit, &format_seconds(from), &format_seconds(to), None)
            .await?;
        for published in &answer.published_schedules {
            sorter.schedule(&published.week_date, &published.id);
        }
        for agent in answer.agent_schedules {
            sorter.agent(
                &agent.user.id,
                agent.shifts,
                agent.full_day_time_off_markers,
            );
        }
    }
    Ok(sorter.finish())
}

/// Each week's published (or named) schedule, one query per management unit.
async fn read_by_query(
    exec: &mut Executor,
    unit: &Unit,
    units: &[ManagementUnit],
    days: &[i64],
    settings: &ExportSettings,
    progress: &mut dyn BulkProgress,
) -> Result<Vec<ExportedWeek>> {
    let mut sorter = WeekSorter::new(unit, days);
    for &day in days {
        let week = format_days(day);
        progress.phase(Phase::Read, &format!("week of {week}"));
        let Some(schedule) = week_schedule(exec, unit, &week, settings).await? else {
            continue;
        };
        sorter.schedule(&week, &schedule.id);
        for mu in units {
            progress.phase(Phase::Read, &format!("week of {week}: {}", mu.name));
            let agents = Api::new(exec)
                .query_agents(MuQuery::all(unit, &week, &schedule.id, &mu.id))
                .await?;
            for agent in agents {
                sorter.agent(
                    &agent.user.id,
                    agent.shifts,
                    agent.full_day_time_off_markers,
                );
            }
        }
    }
    Ok(sorter.finish())
}

/// The week's schedule named by `--schedule`, else its published one.
async fn week_schedule(
    exec: &mut Executor,
    unit: &Unit,
    week: &str,
    settings: &ExportSettings,
) -> Result<Option<BuScheduleMetadata>> {
    let listed = Api::new(exec).week_schedules(unit, week).await?;
    Ok(match &settings.schedule {
        Some(id) => listed.into_iter().find(|s| &s.id == id),
        None => listed.into_iter().find(|s| s.published),
    })
}

/// Puts each agent's shifts into the week they start in.
struct WeekSorter<'u> {
    unit: &'u Unit,
    /// Each week's bounds (seconds), by its date.
    bounds: BTreeMap<String, (i64, i64)>,
    weeks: BTreeMap<String, ExportedWeek>,
    /// Per week, per lowercase user id, the agent's index in its week.
    index: BTreeMap<String, BTreeMap<String, usize>>,
}

impl<'u> WeekSorter<'u> {
    fn new(unit: &'u Unit, days: &[i64]) -> Self {
        let mut sorter = WeekSorter {
            unit,
            bounds: BTreeMap::new(),
            weeks: BTreeMap::new(),
            index: BTreeMap::new(),
        };
        for &day in days {
            let week = format_days(day);
            sorter.bounds.insert(week.clone(), unit.zone.week(day));
            sorter.weeks.insert(
                week.clone(),
                ExportedWeek {
                    week: week.clone(),
                    schedule_id: None,
                    agents: Vec::new(),
                },
            );
            sorter.index.insert(week, BTreeMap::new());
        }
        sorter
    }

    /// Notes the schedule a week was read from (the first one named).
    fn schedule(&mut self, week: &str, id: &str) {
        if let Some(state) = self.weeks.get_mut(week)
            && state.schedule_id.is_none()
        {
            state.schedule_id = Some(id.to_string());
        }
    }

    /// The week whose bounds hold `at`.
    fn week_of(&self, at: i64) -> Option<String> {
        self.bounds
            .iter()
            .find(|(_, (from, to))| (*from..*to).contains(&at))
            .map(|(week, _)| week.clone())
    }

    /// Adds an agent's shifts (and full-day time off), each to its week; shifts outside the
    /// weeks asked for are left out.
    fn agent(
        &mut self,
        user_id: &str,
        shifts: Vec<BuAgentScheduleShift>,
        markers: Vec<BuFullDayTimeOffMarker>,
    ) {
        for shift in shifts {
            let Some(week) = parse_seconds(&shift.start_date)
                .ok()
                .and_then(|at| self.week_of(at))
            else {
                continue;
            };
            self.entry(&week, user_id).shifts.push(shift);
        }
        for marker in markers {
            let Some(week) = parse_days(&marker.business_unit_date)
                .ok()
                .and_then(|day| self.week_of(self.unit.zone.midnight(day)))
            else {
                continue;
            };
            self.entry(&week, user_id)
                .full_day_time_off_markers
                .push(marker);
        }
    }

    fn entry(&mut self, week: &str, user_id: &str) -> &mut ExportedAgent {
        let key = user_id.to_ascii_lowercase();
        let index = self.index.get_mut(week).expect("a week asked for");
        let state = self.weeks.get_mut(week).expect("a week asked for");
        let at = *index.entry(key).or_insert_with(|| {
            state.agents.push(ExportedAgent {
                user_id: user_id.to_string(),
                email: None,
                name: None,
                shifts: Vec::new(),
                full_day_time_off_markers: Vec::new(),
            });
            state.agents.len() - 1
        });
        &mut state.agents[at]
    }

    /// The weeks in order, each agent's shifts sorted by start.
    fn finish(self) -> Vec<ExportedWeek> {
        self.weeks
            .into_values()
            .map(|mut week| {
                week.agents.sort_by(|a, b| {
                    a.user_id
                        .to_ascii_lowercase()
                        .cmp(&b.user_id.to_ascii_lowercase())
                });
                for agent in &mut week.agents {
                    agent
                        .shifts
                        .sort_by_key(|s| parse_seconds(&s.start_date).unwrap_or(i64::MIN));
                }
                week
            })
            .collect()
    }
}
