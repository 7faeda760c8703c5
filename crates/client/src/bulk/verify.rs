//! Reading the written agents back and comparing each with the input as it is parsed: its
//! verdict kept, its schedule forgotten. A published week is read back in one search of the
//! unit's published schedules, streamed; any other schedule by its own query, one management unit
//! at a time, whose versions are journaled for undo's guard (a search shows none: undo's guard is
//! then the version the images recorded, the agent's version before the write plus one).

use pacer_genesys::datetime::{format_seconds, parse_days};
use pacer_genesys::wfm::{BuAgentScheduleShift, BuFullDayTimeOffMarker};
use pacer_genesys::zone::Ambiguous;

use super::api::{Api, MuQuery, Unit};
use super::check;
use super::plan::{self, Change, Desired};
use super::workflow::{Run, Week};
use super::{AgentOutcome, Phase, Step};
use crate::error::{Error, Result};

/// An agent's read-back compared with the input: `Ok` when it holds what was wanted.
type Verdict = std::result::Result<(), String>;

impl Run<'_> {
    /// Reads every written agent back and compares it with the input.
    pub(super) async fn verify(
        &mut self,
        unit: &Unit,
        desired: &[Desired],
        weeks: &mut [Week],
    ) -> Result<()> {
        for state in weeks.iter_mut() {
            let sent = state.sent.iter().any(|&s| s);
            let mut verdicts: Vec<Option<Verdict>> = vec![None; state.wanted.len()];
            if sent {
                self.begin(Phase::Verify, Some(&state.week), "reading the agents back");
                self.read_back(unit, desired, state, &mut verdicts).await?;
            }
            self.outcome.agents.reserve_exact(state.wanted.len());
            for (at, &index) in state.wanted.iter().enumerate() {
                let wanted = &desired[index];
                let change = state.changes[at].unwrap_or(Change::Unchanged);
                let key = wanted.user_id.to_ascii_lowercase();
                let (state_name, reason) = if change == Change::Unchanged {
                    ("unchanged", None)
                } else if change == Change::Left {
                    ("left", Some(super::workflow::LEFT_REASON.to_string()))
                } else if let Some(reason) = state.failed.get(&key) {
                    ("failed", Some(reason.clone()))
                } else {
                    // An agent the read-back did not show is compared with nothing.
                    let verdict = verdicts[at].take().unwrap_or_else(|| {
                        let placed = check::place(unit, wanted, self.settings.ambiguous).0;
                        plan::verify(unit, &placed, None)
                    });
                    match verdict {
                        Ok(()) if change == Change::Removed => ("removed", None),
                        Ok(()) => ("written", None),
                        Err(reason) => ("differs", Some(reason)),
                    }
                };
                self.outcome.agents.push(AgentOutcome {
                    line: wanted.line,
                    user_id: wanted.user_id.clone(),
                    week: state.week.clone(),
                    change,
                    state: state_name,
                    reason,
                });
            }
        }
        self.end_phase();
        Ok(())
    }

    /// The week's written agents as the server holds them now, compared as each is parsed: one
    /// search when the schedule is published and spans the week alone, else the schedule's own
    /// query per management unit, whose versions of the written agents are journaled for undo's
    /// guard a management unit at a time.
    async fn read_back(
        &mut self,
        unit: &Unit,
        desired: &[Desired],
        state: &Week,
        verdicts: &mut [Option<Verdict>],
    ) -> Result<()> {
        let Some(schedule) = &state.schedule else {
            return Ok(());
        };
        let compare = Compare {
            unit,
            desired,
            state,
            ambiguous: self.settings.ambiguous,
        };
        let week = parse_days(&state.week).ok();
        if let Some(day) = week.filter(|_| schedule.published && schedule.week_count <= 1) {
            let (from, to) = check::week_bounds(unit, day);
            let (from, to) = (format_seconds(from), format_seconds(to));
            // A search shows no versions: none is kept.
            let mut none = Vec::new();
            return self
                .api()
                .search_each(unit, &from, &to, &mut |agent| {
                    let read = (
                        agent.shifts.as_slice(),
                        agent.full_day_time_off_markers.as_slice(),
                    );
                    compare.take(&agent.user.id, None, read, verdicts, &mut none);
                })
                .await;
        }
        for mu in &unit.management_units {
            let mut versions = Vec::new();
            let mut api = Api {
                exec: self.exec.reborrow(),
            };
            let query = MuQuery::all(unit, &state.week, &schedule.id, &mu.id);
            api.query_each(query, &mut |agent, _| {
                let read = (
                    agent.shifts.as_slice(),
                    agent.full_day_time_off_markers.as_slice(),
                );
                let version = Some(agent.metadata.version);
                compare.take(&agent.user.id, version, read, verdicts, &mut versions);
            })
            .await?;
            self.journal
                .record(Step::Verified {
                    week: &state.week,
                    versions: &versions,
                })
                .map_err(Error::Journal)?;
        }
        Ok(())
    }
}

/// Compares agents read back with the input.
struct Compare<'c> {
    unit: &'c Unit,
    desired: &'c [Desired],
    state: &'c Week,
    ambiguous: Ambiguous,
}

impl Compare<'_> {
    /// One agent read back (`user_id` with its version when the read shows one): its verdict
    /// and version kept when the run wrote it.
    fn take(
        &self,
        user_id: &str,
        version: Option<u64>,
        read: (&[BuAgentScheduleShift], &[BuFullDayTimeOffMarker]),
        verdicts: &mut [Option<Verdict>],
        versions: &mut Vec<(String, u64)>,
    ) {
        let id = user_id.to_ascii_lowercase();
        let Some(&at) = self.state.index.get(&id) else {
            return;
        };
        if !self.state.sent[at] {
            return;
        }
        if let Some(version) = version {
            versions.push((id, version));
        }
        let wanted = &self.desired[self.state.wanted[at]];
        let placed = check::place(self.unit, wanted, self.ambiguous).0;
        verdicts[at] = Some(plan::verify(self.unit, &placed, Some(read)));
    }
}
