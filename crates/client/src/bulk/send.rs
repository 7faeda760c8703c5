//! Sending a week's parts: each one uploaded (against the schedule's version of the moment), its
//! update asked for (its key journaled before it leaves) and its end awaited; a conflict read
//! again and sent once more when allowed.

use pacer_genesys::wfm::BuUpdateAgentScheduleUploadSchema;

use super::api::{Unit, UpdateAnswer};
use super::images;
use super::plan::{self, Current};
use super::time_off;
use super::upload;
use super::workflow::{Run, Week};
use super::{OnConflict, PartOutcome, Phase, Step};
use crate::error::{Error, Result};

impl Run<'_> {
    /// Sends one part, reading again and sending once more after a conflict when allowed.
    /// Returns the refusal when the update ended `Error` for another reason than a conflict (the
    /// caller narrows it down); a part that ends otherwise is done, written or failed.
    pub(super) async fn send_part(
        &mut self,
        unit: &Unit,
        state: &mut Week,
        mut part: upload::Part,
    ) -> Result<Option<Refusal>> {
        let mut retries_left = u32::from(self.settings.on_conflict == OnConflict::Retry);
        loop {
            let (outcome, conflict) = self.send_once(unit, state, &part).await?;
            match conflict {
                Some(message) if retries_left > 0 => {
                    retries_left -= 1;
                    state.outcome.conflicts += 1;
                    let fresh = self.reread(unit, state, &part, &message).await?;
                    if fresh.is_empty() {
                        return Ok(None);
                    }
                    part = upload::encode(part.version, &fresh);
                }
                Some(message) => {
                    let reason = format!("the schedule changed since it was read: {message}");
                    self.fail_part(state, &part, outcome, &reason);
                    return Ok(None);
                }
                None if outcome.status == "Complete" => {
                    state.outcome.parts.push(outcome);
                    return Ok(None);
                }
                None if outcome.status == "Error" => {
                    let reason = match &outcome.message {
                        Some(message) => format!("its update ended Error: {message}"),
                        None => "its update ended Error with no detail".to_string(),
                    };
                    state.outcome.parts.push(outcome);
                    return Ok(Some(Refusal { part, reason }));
                }
                None => {
                    let reason = outcome
                        .message
                        .clone()
                        .unwrap_or_else(|| outcome.status.clone());
                    self.fail_part(state, &part, outcome, &reason);
                    return Ok(None);
                }
            }
        }
    }

    pub(super) fn fail_part(
        &mut self,
        state: &mut Week,
        part: &upload::Part,
        outcome: PartOutcome,
        reason: &str,
    ) {
        for entry in part.entries() {
            state
                .failed
                .insert(entry.user_id.to_ascii_lowercase(), reason.to_string());
        }
        state.outcome.parts.push(outcome);
    }

    /// Uploads a part, asks for its update and waits for its end. Returns the part's outcome,
    /// and the conflict's message when the schedule or an agent changed since it was read.
    pub(super) async fn send_once(
        &mut self,
        unit: &Unit,
        state: &mut Week,
        part: &upload::Part,
    ) -> Result<(PartOutcome, Option<String>)> {
        let week = state.week.clone();
        let schedule = state.schedule.clone().ok_or_else(|| {
            Error::Workflow(format!("the week of {week} has no schedule to write"))
        })?;
        let base_version = schedule.metadata.version;
        // The part's images were journaled as it was planned (or read again).
        let encoded = part.with_version(base_version);
        let mut outcome = PartOutcome {
            agents: part.agents,
            gzip_bytes: encoded.data.len(),
            json_bytes: encoded.json_bytes,
            operation_id: None,
            status: String::new(),
            learned_by: String::new(),
            message: None,
        };
        let submitted = self
            .submit(
                unit,
                &week,
                &schedule.id,
                base_version,
                &encoded,
                part.agents,
            )
            .await?;
        let (key, operation_id) = match submitted {
            Submitted::Accepted { key, operation_id } => (key, operation_id),
            Submitted::Conflict { message } => {
                outcome.status = "Conflict".into();
                outcome.message = Some(message.clone());
                return Ok((outcome, Some(message)));
            }
        };
        self.record(Step::UpdateAccepted {
            week: &week,
            key: &key,
            operation_id: &operation_id,
        })?;
        self.begin(
            Phase::Wait,
            Some(&week),
            &format!("operation {operation_id}"),
        );
        let ended = self
            .wait(
                unit,
                &week,
                &schedule.id,
                &operation_id,
                base_version,
                false,
            )
            .await?;
        let message = ended.message.clone().unwrap_or_default();
        self.end_update(&week, &key, &ended.status, &message)?;
        let stale =
            ended.status == "Error" && (message.contains("stale") || message.contains("modified"));
        if let (Some(version), Some(schedule)) = (ended.version, state.schedule.as_mut()) {
            schedule.metadata.version = version;
        }
        outcome.operation_id = Some(operation_id);
        outcome.status = ended.status;
        outcome.learned_by = ended.learned_by.to_string();
        outcome.message = ended.message;
        Ok((outcome, stale.then_some(message)))
    }

    /// Uploads a part and asks for its update, journaling its key before the update leaves; a
    /// key that expired between its upload and the update is replaced, once.
    async fn submit(
        &mut self,
        unit: &Unit,
        week: &str,
        schedule_id: &str,
        base_version: u64,
        encoded: &upload::Part,
        agents: usize,
    ) -> Result<Submitted> {
        let mut tries = 0;
        loop {
            tries += 1;
            self.begin(
                Phase::Upload,
                Some(week),
                &format!("{} agents, {} bytes", agents, encoded.data.len()),
            );
            let target = self
                .api()
                .upload_url(unit, week, schedule_id, encoded.data.len() as u64)
                .await?;
            self.api().put_upload(&target, encoded.data.clone()).await?;
            pacer_crashpoint::hit("bulk.uploaded");
            self.record(Step::UpdateSending {
                week,
                schedule_id,
                key: &target.upload_key,
                base_version,
                agents,
            })?;
            self.begin(Phase::Update, Some(week), "asking for the update");
            match self
                .api()
                .update(unit, week, schedule_id, &target.upload_key)
                .await?
            {
                UpdateAnswer::Accepted { operation_id } => {
                    pacer_crashpoint::hit("bulk.accepted");
                    return Ok(Submitted::Accepted {
                        key: target.upload_key,
                        operation_id,
                    });
                }
                UpdateAnswer::Conflict { message } => {
                    self.end_update(week, &target.upload_key, "NotApplied", &message)?;
                    return Ok(Submitted::Conflict { message });
                }
                UpdateAnswer::KeyRefused { message } => {
                    self.end_update(week, &target.upload_key, "NotApplied", &message)?;
                    if tries >= 2 || !message.contains("expired") {
                        return Err(Error::Workflow(format!(
                            "the update of the week of {week} was refused: {message}"
                        )));
                    }
                }
            }
        }
    }

    pub(super) fn end_update(
        &mut self,
        week: &str,
        key: &str,
        status: &str,
        message: &str,
    ) -> Result<()> {
        self.record(Step::UpdateEnded {
            week,
            key,
            status,
            message,
        })
    }

    /// After a conflict: reads the schedule and the part's agents again, plans them anew, and
    /// journals the images of those still to send.
    pub(super) async fn reread(
        &mut self,
        unit: &Unit,
        state: &mut Week,
        part: &upload::Part,
        message: &str,
    ) -> Result<Vec<BuUpdateAgentScheduleUploadSchema>> {
        let part = part.entries();
        let week = state.week.clone();
        self.begin(
            Phase::Read,
            Some(&week),
            &format!("reading again after a conflict: {message}"),
        );
        let id = state
            .schedule
            .as_ref()
            .map(|s| s.id.clone())
            .unwrap_or_default();
        state.schedule = Some(self.api().schedule(unit, &week, &id).await?);
        let ids: Vec<String> = part.iter().map(|e| e.user_id.clone()).collect();
        self.read_agents(unit, state, &ids).await?;
        let mut fresh = Vec::with_capacity(part.len());
        for entry in &part {
            let key = entry.user_id.to_ascii_lowercase();
            let held = state.current.get(&key);
            let wanted = entry.shifts.clone().unwrap_or_default();
            let same_days = |h: &Current| {
                entry.full_day_time_off_markers.as_ref().is_none_or(|days| {
                    time_off::normalize(unit, &h.time_off) == time_off::normalize(unit, days)
                })
            };
            if held.is_some_and(|h| {
                plan::normalize(&h.shifts) == plan::normalize(&wanted) && same_days(h)
            }) {
                continue;
            }
            fresh.push(BuUpdateAgentScheduleUploadSchema {
                metadata: held.map(|h| pacer_genesys::wfm::VersionedMetadata::version(h.version)),
                ..entry.clone()
            });
        }
        let hold = self.journal.hold_pre_image();
        let images = images::images_of(&state.current, &fresh, hold);
        state.current.clear();
        self.journal_images(state, &mut Some(images))?;
        Ok(fresh)
    }
}

/// A part whose update the server ended `Error` (not a conflict): some agent of it is refused.
pub(super) struct Refusal {
    pub(super) part: upload::Part,
    /// What the server said, in words.
    pub(super) reason: String,
}

/// How the server took a part's update.
enum Submitted {
    /// Accepted: the update runs as this operation, from the upload at this key.
    Accepted { key: String, operation_id: String },
    /// Refused because the schedule or an agent changed since it was read.
    Conflict { message: String },
}
