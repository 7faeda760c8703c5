//! A week read one management unit at a time: each wanted agent planned as soon as its schedule
//! is parsed, its images journaled a batch at a time, its entry compressed into the upload, and
//! its schedule then forgotten. Agents of the unit without a schedule are planned last.

use std::collections::HashMap;

use pacer_genesys::datetime::{parse_days, weekday};
use pacer_genesys::wfm::BuAgentScheduleQueryResponse;
use pacer_genesys::zone::Ambiguous;

use super::api::{Api, MuQuery, Queried, Unit};
use super::check;
use super::download::download_beside;
use super::images::{self, HoldPreImage, Image};
use super::plan::{self, Current, Desired};
use super::upload::PartWriter;
use super::workflow::{Run, Week};
use super::{BulkJournal, Phase, Step, WeekOutcome};
use crate::error::{Error, Result};

/// Images journaled together: one transaction per batch, a few hundred agents held at most.
const IMAGE_BATCH: usize = 256;

impl<'a> Run<'a> {
    /// Reads week `week` (its entries `wanted`, indexes into `desired`), after finishing any
    /// update left pending: one query per management unit, each agent planned as it is read
    /// (unless `plan` is false: the input has findings of its own, and only membership counts).
    pub(super) async fn read(
        &mut self,
        unit: &Unit,
        desired: &[Desired],
        week: String,
        wanted: Vec<usize>,
        plan: bool,
    ) -> Result<Week> {
        self.begin(Phase::Read, Some(&week), &format!("week of {week}"));
        let mut state = blank_week(unit, desired, week, wanted);
        if !state.readable {
            return Ok(state);
        }
        if let Some(pending) = self.journal.pending(&state.week) {
            self.finish_pending(unit, &state.week, &pending).await?;
        }
        state.schedule = self.choose_schedule(unit, &state.week).await?;
        // Genesys notifies only the first 1,000 agents of a change to a published schedule.
        let published = state.schedule.as_ref().is_some_and(|s| s.published);
        let max_agents = if published {
            self.settings.max_agents_per_update
        } else {
            usize::MAX
        };
        let version = state.schedule.as_ref().map_or(0, |s| s.metadata.version);
        let mut planner = Planner {
            unit,
            desired,
            ambiguous: self.settings.ambiguous,
            plan,
            writer: PartWriter::new(version, self.settings.upload_max_bytes, max_agents),
            // A schedule still to create has no agent to read: its images are journaled once it
            // exists, before its update leaves.
            images: state.schedule.as_ref().map(|_| Vec::new()),
            hold: self.journal.hold_pre_image(),
        };
        self.read_units(unit, &mut state, &mut planner).await?;
        self.read_members(unit, &mut state).await?;
        for at in 0..state.wanted.len() {
            if state.in_unit[at] && state.changes[at].is_none() {
                planner.plan_one(&mut state, at, None, None);
            }
        }
        self.journal_images(&state, &mut planner.images)?;
        state.parts = planner.writer.finish();
        Ok(state)
    }

    /// One query per management unit, each agent taken as it is parsed; each unit's query
    /// leaves while the answer of the unit before it is read (its download fetched beside the
    /// executor), so that the server's making of the next answer overlaps the reading.
    async fn read_units(
        &mut self,
        unit: &Unit,
        state: &mut Week,
        planner: &mut Planner<'_>,
    ) -> Result<()> {
        let Some(schedule) = state.schedule.clone() else {
            return Ok(());
        };
        let week = state.week.clone();
        let beside = self.exec.beside().await;
        let mut units = unit.management_units.iter();
        // The download of the management unit queried last, still to read.
        let mut waiting: Option<String> = None;
        loop {
            let next = units.next();
            if next.is_none() && waiting.is_none() {
                return Ok(());
            }
            let mut taker = Taker {
                planner: &mut *planner,
                state: &mut *state,
                journal: &mut *self.journal,
                week: &week,
                schedule_id: &schedule.id,
                refused: None,
            };
            let mut api = Api {
                exec: self.exec.reborrow(),
            };
            let query = async {
                match next {
                    Some(mu) => api
                        .query(MuQuery::all(unit, &week, &schedule.id, &mu.id))
                        .await
                        .map(Some),
                    None => Ok(None),
                }
            };
            let read = async {
                match &waiting {
                    Some(url) => {
                        Some(download_beside(&beside, url, &mut |a, raw| taker.take(a, raw)).await)
                    }
                    None => None,
                }
            };
            let (queried, read) = tokio::join!(query, read);
            if let Some((result, record)) = read {
                self.exec.keep_record(record).await;
                if let (Err(_), Some(url)) = (result, &waiting) {
                    // Once more through the executor, with its retries; the agents already
                    // taken are not taken twice.
                    let mut api = Api {
                        exec: self.exec.reborrow(),
                    };
                    api.download_each(url, &mut |a, raw| taker.take(a, raw))
                        .await?;
                }
            }
            waiting = None;
            match queried? {
                Some(Queried::Inline(agents)) => {
                    for agent in agents {
                        taker.take(agent, None);
                    }
                }
                Some(Queried::Download(url)) => waiting = Some(url),
                None => {}
            }
            taker.done()?;
            self.journal_images(state, &mut planner.images)?;
        }
    }

    /// Lists the management units' members when some wanted agent has no schedule to show it.
    async fn read_members(&mut self, unit: &Unit, state: &mut Week) -> Result<()> {
        if state.in_unit.iter().all(|&seen| seen) {
            return Ok(());
        }
        for mu in &unit.management_units {
            for member in self.api().members(&mu.id).await? {
                if let Some(&at) = state.index.get(&member.id.to_ascii_lowercase()) {
                    state.in_unit[at] = true;
                }
            }
        }
        Ok(())
    }

    /// Journals the images gathered, when they are gathered and there are any.
    pub(super) fn journal_images(
        &mut self,
        state: &Week,
        images: &mut Option<Vec<Image>>,
    ) -> Result<()> {
        let Some(images) = images.as_mut().filter(|i| !i.is_empty()) else {
            return Ok(());
        };
        let Some(schedule) = &state.schedule else {
            return Err(Error::Workflow(format!(
                "the week of {} has no schedule to write",
                state.week
            )));
        };
        self.journal
            .record(Step::Images {
                week: &state.week,
                schedule_id: &schedule.id,
                images: &mut *images,
            })
            .map_err(Error::Journal)?;
        images.clear();
        Ok(())
    }
}

/// A week before it is read: its entries indexed, nothing planned.
fn blank_week(unit: &Unit, desired: &[Desired], week: String, wanted: Vec<usize>) -> Week {
    let readable = parse_days(&week).is_ok_and(|d| weekday(d) == unit.start_day);
    let index: HashMap<String, usize> = wanted
        .iter()
        .enumerate()
        .map(|(at, &i)| (desired[i].user_id.to_ascii_lowercase(), at))
        .collect();
    let n = wanted.len();
    Week {
        readable,
        schedule: None,
        current: HashMap::new(),
        wanted,
        index,
        in_unit: vec![false; n],
        changes: vec![None; n],
        sent: vec![false; n],
        parts: Vec::new(),
        outcome: WeekOutcome {
            week: week.clone(),
            local_bounds: parse_days(&week).ok().map(|day| {
                let (from, to) = check::week_bounds(unit, day);
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
        week,
    }
}

/// Takes the agents of a management unit as they are parsed: each planned, its images journaled
/// a batch at a time (the first refusal kept for after the read).
struct Taker<'t, 'p> {
    planner: &'t mut Planner<'p>,
    state: &'t mut Week,
    journal: &'t mut dyn BulkJournal,
    week: &'t str,
    schedule_id: &'t str,
    refused: Option<String>,
}

impl Taker<'_, '_> {
    fn take(&mut self, agent: BuAgentScheduleQueryResponse, raw: Option<&[u8]>) {
        self.planner.take(self.state, agent, raw);
        let Some(images) = self
            .planner
            .images
            .as_mut()
            .filter(|i| i.len() >= IMAGE_BATCH)
        else {
            return;
        };
        let step = Step::Images {
            week: self.week,
            schedule_id: self.schedule_id,
            images: &mut *images,
        };
        if let Err(err) = self.journal.record(step) {
            self.refused.get_or_insert(err);
        }
        images.clear();
    }

    /// The read is over: the journal's first refusal, if any.
    fn done(&mut self) -> Result<()> {
        match self.refused.take() {
            Some(err) => Err(Error::Journal(err)),
            None => Ok(()),
        }
    }
}

/// Plans agents as they are read: the entry into the upload, the images gathered.
struct Planner<'p> {
    unit: &'p Unit,
    desired: &'p [Desired],
    ambiguous: Ambiguous,
    /// Whether to plan at all (else only membership is noted).
    plan: bool,
    writer: PartWriter,
    /// The images not journaled yet; `None` when the schedule is still to create.
    images: Option<Vec<Image>>,
    /// How each pre-image is held until it is journaled.
    hold: HoldPreImage,
}

impl Planner<'_> {
    /// One agent as a query answered it (`raw`, its bytes when it came in a download): noted as
    /// the unit's, planned when wanted, forgotten.
    fn take(&mut self, state: &mut Week, agent: BuAgentScheduleQueryResponse, raw: Option<&[u8]>) {
        let Some(&at) = state.index.get(&agent.user.id.to_ascii_lowercase()) else {
            return;
        };
        state.in_unit[at] = true;
        if state.changes[at].is_some() {
            return;
        }
        let held = Current {
            version: agent.metadata.version,
            shifts: agent.shifts,
            time_off: agent.full_day_time_off_markers,
        };
        self.plan_one(state, at, Some(held), raw);
    }

    /// Plans wanted agent `at` against what the server holds of it (`raw`, the bytes that came).
    fn plan_one(&mut self, state: &mut Week, at: usize, held: Option<Current>, raw: Option<&[u8]>) {
        if !self.plan {
            return;
        }
        let wanted = &self.desired[state.wanted[at]];
        let (placed, _) = check::place(self.unit, wanted, self.ambiguous);
        let planned = plan::plan_agent(self.unit, &placed, held.as_ref());
        state.changes[at] = Some(planned.change);
        if let Some(entry) = planned.entry {
            self.writer.push(&entry);
            if let Some(images) = self.images.as_mut() {
                let written = images::Written {
                    read: raw,
                    entry: self.writer.last_entry(),
                };
                images.push(images::image_from(
                    held.as_ref(),
                    &entry,
                    written,
                    self.hold,
                ));
            }
            state.sent[at] = true;
        }
    }
}
