//! Reading the written agents back and comparing each with the input.

use std::collections::{BTreeMap, HashMap};

use pacer_genesys::wfm::{BuAgentScheduleShift, BuFullDayTimeOffMarker};

use super::api::Unit;
use super::plan::{self, Change, Desired};
use super::workflow::{Run, Week};
use super::{AgentOutcome, Phase, Step};
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
                } else if plan.change == Change::Left {
                    ("left", Some(super::workflow::LEFT_REASON.to_string()))
                } else if let Some(reason) = state.failed.get(&key) {
                    ("failed", Some(reason.clone()))
                } else {
                    match plan::verify(
                        unit,
                        desired,
                        read.get(&key).map(|(s, m)| (s.as_slice(), m.as_slice())),
                    ) {
                        Ok(()) if plan.change == Change::Removed => ("removed", None),
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

    /// The week's agents as the server holds them now (shifts, days off, version): the
    /// schedule's own query per management unit. The versions of the written agents are
    /// journaled for undo's guard.
    pub(super) async fn read_back(&mut self, unit: &Unit, state: &Week) -> Result<ReadBack> {
        let mut read = HashMap::new();
        let Some(schedule) = &state.schedule else {
            return Ok(read);
        };
        let mut versions = Vec::new();
        let written: std::collections::HashSet<String> = state
            .plans
            .iter()
            .filter(|p| p.entry.is_some())
            .map(|p| p.user_id.to_ascii_lowercase())
            .collect();
        for mu in &unit.management_units {
            let agents = self
                .api()
                .query_agents(unit, &state.week, &schedule.id, &mu.id, None)
                .await?;
            for agent in agents {
                let id = agent.user.id.to_ascii_lowercase();
                if written.contains(&id) {
                    versions.push((id.clone(), agent.metadata.version));
                }
                read.insert(id, (agent.shifts, agent.full_day_time_off_markers));
            }
        }
        self.record(Step::Verified {
            week: &state.week,
            versions: &versions,
        })?;
        Ok(read)
    }
}

/// Each agent's shifts and days off as read back, by lowercase user id.
pub(super) type ReadBack =
    HashMap<String, (Vec<BuAgentScheduleShift>, Vec<BuFullDayTimeOffMarker>)>;
