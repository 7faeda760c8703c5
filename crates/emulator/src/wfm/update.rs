//! The asynchronous side of WFM: an update operation processed in the background and told by
//! notification, and an asynchronous agent-schedule query completed the same way.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use pacer_genesys::wfm::{
    AgentSchedulesQueryNotification, BuAgentSchedulesQueryResponse, BuScheduleMetadata,
    BuScheduleNotification, OperationError, OperationStatus, UpdateScheduleUploadSchema,
    schedule_query_topic, schedules_topic,
};

use crate::state::Inner;
use crate::wfm::lock;
use crate::wfm::routes::{Ctx, offer_download};
use crate::wfm::schedules::{Schedule, Units};

/// Processes an accepted update in the background: after the configured time, checks the upload
/// against the schedule as it is then, applies it or ends in `Error`, and notifies the unit's
/// schedules topic.
pub fn process(
    inner: &Arc<Inner>,
    by: &str,
    bu: usize,
    schedule: Arc<Mutex<Schedule>>,
    upload: UpdateScheduleUploadSchema,
    operation_id: String,
) {
    let inner = inner.clone();
    let by = by.to_string();
    let config = &inner.config.wfm;
    let agents = u32::try_from(upload.agent_schedules.len()).unwrap_or(u32::MAX);
    let wait = config.bulk_processing + config.per_agent_processing * agents;
    tokio::spawn(async move {
        tokio::time::sleep(wait).await;
        let outcome = settle(&inner, &by, &schedule, &upload);
        let counter = match outcome {
            Ok(_) => &inner.stats.updates_completed,
            Err(_) => &inner.stats.updates_failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let (status, result, error) = match outcome {
            Ok(result) => (OperationStatus::Complete, Some(result), None),
            Err(message) => (
                OperationStatus::Error,
                None,
                Some(OperationError { message }),
            ),
        };
        let body = BuScheduleNotification {
            status,
            operation_id: operation_id.clone(),
            event_type: "Update".into(),
            result,
            error,
        };
        let topic = schedules_topic(&inner.wfm.org.business_units[bu].id);
        publish(&inner, &topic, &body, &operation_id);
    });
}

/// Checks and applies an upload, all under the schedule's lock.
fn settle(
    inner: &Inner,
    by: &str,
    schedule: &Mutex<Schedule>,
    upload: &UpdateScheduleUploadSchema,
) -> Result<BuScheduleMetadata, String> {
    if inner.wfm.chance(inner.config.wfm.bulk_error_rate.0) {
        return Err("The schedule update failed while processing (an injected fault).".into());
    }
    let org = &inner.wfm.org;
    let mut schedule = lock(schedule);
    if schedule.version != upload.metadata.version {
        return Err(format!(
            "The schedule was modified while the update was processing: metadata.version {} is stale, the current version is {}.",
            upload.metadata.version, schedule.version
        ));
    }
    let changes = schedule.check(org, &inner.agents, upload)?;
    if let Some(description) = &upload.description {
        schedule.description.clone_from(description);
    }
    if let Some(published) = upload.published {
        schedule.published = published;
    }
    let now = inner.wfm.wall(inner.now());
    schedule.apply(changes, by, now, &inner.ledger, &inner.stats);
    Ok(schedule.metadata(org, &inner.agents, Units::Counts))
}

/// Completes an asynchronous agent-schedule query: after the configured time, its download URL
/// goes to the query topic of the token's user (a client-credentials token has none, so the
/// emulator uses the OAuth client's id in its place).
pub fn finish_query(
    inner: &Arc<Inner>,
    ctx: &Ctx<'_>,
    bu: usize,
    operation_id: String,
    result: BuAgentSchedulesQueryResponse,
) {
    let download_url = offer_download(ctx, &result);
    let topic = schedule_query_topic(ctx.client_id());
    let inner = inner.clone();
    let wait = inner.config.wfm.query_processing;
    tokio::spawn(async move {
        tokio::time::sleep(wait).await;
        let body = AgentSchedulesQueryNotification {
            status: OperationStatus::Complete,
            operation_id: operation_id.clone(),
            business_unit_id: inner.wfm.org.business_units[bu].id.clone(),
            download_url: Some(download_url),
        };
        publish(&inner, &topic, &body, &operation_id);
    });
}

fn publish<T: serde::Serialize>(inner: &Inner, topic: &str, body: &T, correlation: &str) {
    let drop = inner.config.wfm.drop_notifications.0;
    inner
        .notifier
        .publish(topic, body, correlation, &inner.stats, || {
            inner.wfm.chance(drop)
        });
}
