//! The schedule update's steps in the run's journal: each update's key, operation and end,
//! each part's images for undo (written from a thread of their own, see `image_thread`), the
//! refused sets, and the versions read back.

use pacer_client::bulk::images::HoldPreImage;
use pacer_client::bulk::{BulkJournal, Pending, Step};
use pacer_journal::Journal;

use super::image_thread::{ImageThread, new_image};

/// Records the workflow's steps in the journal.
pub(super) struct Steps<'j> {
    journal: Option<&'j Journal>,
    /// The images' writer; `None` when its connection or thread could not start (the images are
    /// then written in turn with the other steps).
    images: Option<ImageThread>,
}

impl<'j> Steps<'j> {
    /// The steps of a run into `journal` (none for a dry run).
    pub(super) fn new(journal: Option<&'j Journal>) -> Steps<'j> {
        let images = journal
            .and_then(|j| j.image_writer().ok())
            .and_then(|writer| ImageThread::start(writer).ok());
        Steps { journal, images }
    }

    /// Every image handed over is written: what the journal holds is whole before another step
    /// reads or writes it.
    fn flush(&self) -> Result<(), String> {
        self.images.as_ref().map_or(Ok(()), ImageThread::flush)
    }
}

impl BulkJournal for Steps<'_> {
    fn pending(&mut self, week: &str) -> Option<Pending> {
        self.flush().ok()?;
        let record = self.journal?.pending_update(week).ok()??;
        Some(Pending {
            schedule_id: record.schedule_id,
            key: record.key,
            operation_id: record.operation_id,
            base_version: record.base_version,
        })
    }

    fn refused(&mut self, week: &str) -> Vec<Vec<String>> {
        if self.flush().is_err() {
            return Vec::new();
        }
        self.journal
            .and_then(|j| j.refused(week).ok())
            .unwrap_or_default()
    }

    /// Each pre-image is packed as it is read: what waits for the images' writer is a third of
    /// the JSON, and the JSON's bytes are never copied. A dry run keeps none.
    fn hold_pre_image(&self) -> HoldPreImage {
        match self.journal {
            Some(_) => pacer_journal::pack_pre_image,
            None => <[u8]>::to_vec,
        }
    }

    fn record(&mut self, step: Step<'_>) -> Result<(), String> {
        let Some(journal) = self.journal else {
            return Ok(());
        };
        if let Step::Images {
            week,
            schedule_id,
            images,
        } = step
        {
            return match &self.images {
                Some(thread) => thread.send(week, schedule_id, std::mem::take(images)),
                None => {
                    let rows: Vec<_> = images.iter().map(new_image).collect();
                    journal
                        .record_images(week, schedule_id, &rows)
                        .map_err(|err| err.to_string())
                }
            };
        }
        self.flush()?;
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
            Step::Verified { week, versions } => journal.record_post_versions(week, versions),
            Step::Refused { week, agents } => journal.record_refused(week, agents),
            Step::Images { .. } => Ok(()),
        };
        result.map_err(|err| err.to_string())
    }
}
