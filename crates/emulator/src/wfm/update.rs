//! The asynchronous schedule update: an accepted upload processed in the background, checked
//! against the schedule as it is then, applied or refused, and told by notification (an agent's
//! failure told only with error detail, as the real API names no agent).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use pacer_genesys::wfm::{
    BuScheduleMetadata, BuScheduleNotification, OperationError, OperationStatus, schedules_topic,
};

use crate::state::Inner;
use crate::wfm::failure::Failure;
use crate::wfm::lock;
use crate::wfm::publish::publish;
use crate::wfm::schedules::{Schedule, Units};
use crate::wfm::upload;

/// An accepted update, waiting to be processed.
pub struct Job {
    /// Who sent it (an OAuth client's id).
    pub by: String,
    pub business_unit: usize,
    pub schedule: Arc<Mutex<Schedule>>,
    /// The upload, still compressed.
    pub data: Bytes,
    /// The schedule version the upload was made against.
    pub version: u64,
    /// Agents in the upload.
    pub agents: usize,
    pub operation_id: String,
}

/// Processes an accepted update in the background: after the configured time, checks the upload
/// against the schedule as it is then, applies it or ends in `Error` (with a message unless it is
/// an agent's failure told without error detail), and notifies the unit's schedules topic.
pub fn process(inner: &Arc<Inner>, job: Job) {
    let inner = inner.clone();
    let config = &inner.config.wfm;
    let agents = u32::try_from(job.agents).unwrap_or(u32::MAX);
    let wait = config.bulk_processing + config.per_agent_processing * agents;
    tokio::spawn(async move {
        tokio::time::sleep(wait).await;
        let outcome = settle(&inner, &job);
        let counter = match outcome {
            Ok(_) => &inner.stats.updates_completed,
            Err(_) => &inner.stats.updates_failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let (status, result, error) = match outcome {
            Ok(result) => (OperationStatus::Complete, Some(result), None),
            Err(failure) => (
                OperationStatus::Error,
                None,
                failure
                    .told(inner.config.error_detail())
                    .map(|message| OperationError { message }),
            ),
        };
        let body = BuScheduleNotification {
            status,
            operation_id: job.operation_id.clone(),
            event_type: "Update".into(),
            result,
            error,
        };
        let topic = schedules_topic(&inner.wfm.org.business_units[job.business_unit].id);
        publish(&inner, &topic, &body, &job.operation_id);
    });
}

/// Checks and applies an upload, all under the schedule's lock: all of it, or nothing at the
/// first failure.
fn settle(inner: &Inner, job: &Job) -> Result<BuScheduleMetadata, Failure> {
    if inner.wfm.chance(inner.config.wfm.bulk_error_rate.0) {
        return Err(Failure::Operation(
            "The schedule update failed while processing (an injected fault).".into(),
        ));
    }
    let text = upload::inflate(&job.data).map_err(Failure::Operation)?;
    let org = &inner.wfm.org;
    let refused = inner.wfm.refused();
    let mut schedule = lock(&job.schedule);
    if schedule.version != job.version {
        return Err(Failure::Stale(format!(
            "The schedule was modified while the update was processing: metadata.version {} is stale, the current version is {}.",
            job.version, schedule.version
        )));
    }
    let (head, changes) = {
        let mut checker = schedule.checker(org, &inner.agents, &refused);
        let mut failure = None;
        let read = upload::read(&text, |i, agent| {
            checker
                .agent(i, &agent)
                .map_err(|refusal| failure.insert(refusal).message().to_string())
        });
        let head = match (read, failure) {
            (_, Some(failure)) => return Err(failure),
            (Ok(head), None) => head,
            (Err(message), None) => return Err(Failure::Operation(message)),
        };
        (head, checker.finish())
    };
    if let Some(description) = &head.description {
        schedule.description = description.to_string();
    }
    if let Some(published) = head.published {
        schedule.published = published;
    }
    let now = inner.wfm.wall(inner.now());
    schedule.apply(changes, &job.by, now, &inner.ledger, &inner.stats);
    Ok(schedule.metadata(org, &inner.agents, Units::Counts))
}
