//! The schedule update's images journaled from a thread of their own: a batch handed over (its
//! pre-images packed already, as the run read them) is written through its own connection while
//! the run reads on, and every other
//! step of the journal waits for the batches before it ([`ImageThread::flush`]), so that no
//! update leaves before its agents' images are in.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use pacer_client::bulk::images::Image;
use pacer_journal::{ImageWriter, NewImage, PreImage};

/// Batches handed over and not yet written, at most (256 agents each).
const BATCHES_HELD: usize = 4;

/// What the writer is handed.
enum Batch {
    Images {
        week: String,
        schedule_id: String,
        images: Vec<Image>,
    },
    /// Says how the writing went so far, once every batch before it is written.
    Flush,
}

/// The writer thread and its two channels.
pub(super) struct ImageThread {
    batches: Option<SyncSender<Batch>>,
    answers: Receiver<Result<(), String>>,
    thread: Option<JoinHandle<()>>,
}

impl ImageThread {
    /// Starts the writer over its own connection.
    pub(super) fn start(writer: ImageWriter) -> std::io::Result<ImageThread> {
        let (batches, inbox) = sync_channel(BATCHES_HELD);
        let (answer, answers) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("journal-images".into())
            .spawn(move || write_batches(writer, &inbox, &answer))?;
        Ok(ImageThread {
            batches: Some(batches),
            answers,
            thread: Some(thread),
        })
    }

    /// Hands a batch over (waiting while `BATCHES_HELD` are still to write).
    pub(super) fn send(
        &self,
        week: &str,
        schedule_id: &str,
        images: Vec<Image>,
    ) -> Result<(), String> {
        let batch = Batch::Images {
            week: week.to_string(),
            schedule_id: schedule_id.to_string(),
            images,
        };
        self.hand(batch)
    }

    /// Waits until every batch handed over is written: the first failure, if any.
    pub(super) fn flush(&self) -> Result<(), String> {
        self.hand(Batch::Flush)?;
        self.answers
            .recv()
            .map_err(|_| "the journal's image writer stopped".to_string())?
    }

    fn hand(&self, batch: Batch) -> Result<(), String> {
        let gone = || "the journal's image writer stopped".to_string();
        let batches = self.batches.as_ref().ok_or_else(gone)?;
        batches.send(batch).map_err(|_| gone())
    }
}

impl Drop for ImageThread {
    /// Lets the writer finish what it was handed, then waits for it.
    fn drop(&mut self) {
        self.batches = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The writer's loop: batches recorded as they come, committed at each flush (and whenever the
/// writer's transaction is full, and at the end); the first failure kept and told at every flush
/// after it.
fn write_batches(
    mut writer: ImageWriter,
    inbox: &Receiver<Batch>,
    answer: &SyncSender<Result<(), String>>,
) {
    let mut failed: Option<String> = None;
    for batch in inbox {
        match batch {
            Batch::Images {
                week,
                schedule_id,
                images,
            } => {
                if failed.is_some() {
                    continue;
                }
                let rows: Vec<NewImage<'_>> = images.iter().map(new_image).collect();
                if let Err(err) = writer.record_images(&week, &schedule_id, &rows) {
                    failed = Some(err.to_string());
                }
            }
            Batch::Flush => {
                if let (None, Err(err)) = (&failed, writer.commit()) {
                    failed = Some(err.to_string());
                }
                let told = failed.clone().map_or(Ok(()), Err);
                if answer.send(told).is_err() {
                    return;
                }
            }
        }
    }
    if failed.is_none() {
        let _ = writer.commit();
    }
}

/// An image as the journal records it, borrowed: its pre-image packed already, as every run's
/// [`Steps`](super::bulk_journal::Steps) holds them.
pub(super) fn new_image(image: &Image) -> NewImage<'_> {
    NewImage {
        user_id: &image.user_id,
        pre_version: image.pre_version,
        pre: image.pre.as_deref().map(PreImage::Packed),
        post: &image.post,
        post_version: image.post_version,
    }
}
