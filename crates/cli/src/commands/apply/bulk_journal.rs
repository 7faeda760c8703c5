//! The schedule update's steps in the run's journal: each update's key, operation and end,
//! each part's images for undo, the refused sets, and the versions read back.

use pacer_client::bulk::{BulkJournal, Pending, Step};
use pacer_journal::Journal;

/// Records the workflow's steps in the journal.
pub(super) struct Steps<'j> {
    pub(super) journal: Option<&'j Journal>,
}

impl BulkJournal for Steps<'_> {
    fn pending(&mut self, week: &str) -> Option<Pending> {
        let record = self.journal?.pending_update(week).ok()??;
        Some(Pending {
            schedule_id: record.schedule_id,
            key: record.key,
            operation_id: record.operation_id,
            base_version: record.base_version,
        })
    }

    fn refused(&mut self, week: &str) -> Vec<Vec<String>> {
        self.journal
            .and_then(|j| j.refused(week).ok())
            .unwrap_or_default()
    }

    fn record(&mut self, step: Step<'_>) -> Result<(), String> {
        let Some(journal) = self.journal else {
            return Ok(());
        };
        let result = match step {
            Step::UpdateSending {
                week,
                schedule_id,
                key,
                base_version,
                agents,
            } => journal.update_sending(week, schedule_id, key, base_version, agents as u64),
            Step::UpdateAccepted {
                key, operation_id, ..
            } => journal.update_accepted(key, operation_id),
            Step::UpdateEnded {
                key,
                status,
                message,
                ..
            } => journal.update_ended(key, status, message),
            Step::Images {
                week,
                schedule_id,
                images,
            } => journal.record_images(week, schedule_id, &journal_images(images)),
            Step::Verified { week, versions } => journal.record_post_versions(week, versions),
            Step::Refused { week, agents } => journal.record_refused(week, agents),
        };
        result.map_err(|err| err.to_string())
    }
}

/// A part's images as the journal records them, borrowed.
fn journal_images(
    images: &[pacer_client::bulk::images::Image],
) -> Vec<pacer_journal::NewImage<'_>> {
    images
        .iter()
        .map(|image| pacer_journal::NewImage {
            user_id: &image.user_id,
            pre_version: image.pre_version,
            pre: image.pre.as_deref(),
            post: &image.post,
            post_version: image.post_version,
        })
        .collect()
}
