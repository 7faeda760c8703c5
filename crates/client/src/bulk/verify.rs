//! Reading the written agents back and comparing each with the input.

use std::collections::{BTreeMap, HashMap};

use pacer_genesys::datetime::{format_seconds, parse_days};
use pacer_genesys::wfm::{BuAgentScheduleShift, BuFullDayTimeOffMarker};

use super::api::Unit;
use super::plan::{self, Change, Desired};
use super::workflow::{Run, Week};
use super::{AgentOutcome, Phase};
use crate::error::Result;

impl Run<'_> {
    /// Reads every written agent back and compares it with the input.
    pub(super) async fn verify(
        &mut self,
        unit: &Unit,
        by_week: &BTreeMap<String, Vec<&Desired>>,
        weeks: &[Week],
    ) -> Result<()> {
        for state in weeks {
            let wanted = &by_week[&state.week];
            let sent = state.plans.iter().any(|p| p.entry.is_some());
            let read = if sent {
                self.begin(Phase::Verify, Some(&state.week), "reading the agents back");
                self.read_back(unit, state).await?
            } else {
                HashMap::new()
            };
            for (plan, desired) in state.plans.iter().zip(wanted.iter()) {
                let key = plan.user_id.to_ascii_lowercase();
                let (state_name, reason) = if plan.change == Change::Unchanged {
                    ("unchanged", None)
                } else if let Some(reason) = state.failed.get(&key) {
                    ("failed", Some(reason.clone()))
                } else {
                    match plan::verify(
                        unit,
                        desired,
                        read.get(&key).map(|(s, m)| (s.as_slice(), m.as_slice())),
                    ) {
                        Ok(()) => ("written", None),
                        Err(reason) => ("differs", Some(reason)),
                    }
                };
                self.outcome.agents.push(AgentOutcome {
                    line: plan.line,
                    user_id: plan.user_id.clone(),
                    week: state.week.clone(),
                    change: plan.change,
                    state: state_name,
                    reason,
                });
            }
        }
        self.end_phase();
        Ok(())
    }

    /// The week's shifts per agent as the server holds them now: one search of the unit's
    /// published schedules, or the schedule's own queries when it is not published.
    pub(super) async fn read_back(
        &mut self,
        unit: &Unit,
        state: &Week,
    ) -> Result<HashMap<String, (Vec<BuAgentScheduleShift>, Vec<BuFullDayTimeOffMarker>)>> {
        let published = state.schedule.as_ref().is_some_and(|s| s.published);
        let mut read = HashMap::new();
        if published {
            let day = parse_days(&state.week).unwrap_or_default();
            let (from, to) = plan::week_bounds(unit, day);
            let found = self
                .api()
                .search(unit, &format_seconds(from), &format_seconds(to), None)
                .await?;
            for agent in found {
                read.insert(
                    agent.user.id.to_ascii_lowercase(),
                    (agent.shifts, agent.full_day_time_off_markers),
                );
            }
        } else if let Some(schedule) = &state.schedule {
            for mu in &unit.management_units {
                let agents = self
                    .api()
                    .query_agents(unit, &state.week, &schedule.id, &mu.id, None)
                    .await?;
                for agent in agents {
                    read.insert(
                        agent.user.id.to_ascii_lowercase(),
                        (agent.shifts, agent.full_day_time_off_markers),
                    );
                }
            }
        }
        Ok(read)
    }
}
