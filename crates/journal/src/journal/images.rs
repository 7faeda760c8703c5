//! Each agent's schedule before and after a run's update, kept so that `pacer undo` can put it
//! back: the pre-image as read (its version, shifts and days off, or none when the agent had no
//! schedule) and the post-image as sent, recorded before the update that carries it leaves.
//!
//! A pre-image is kept compressed (LZ4's block format, its length first): a week of five shifts
//! is 4 to 5 KB of JSON whose ids and dates repeat, and at 100,000 agents writing it whole was
//! most of the journal's cost. Journals written before hold it as text; both read the same.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use rusqlite::types::{FromSqlError, Type, ValueRef};
use rusqlite::{Connection, params};

use super::file::configure;
use super::open::Journal;
use super::sql::sqlite;
use crate::error::Result;

/// One agent's images in one week's schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentImage {
    pub week: String,
    pub schedule_id: String,
    pub user_id: String,
    /// The agent's version before the run; `None` when it had no schedule.
    pub pre_version: Option<u64>,
    /// The agent's schedule before the run as JSON (`{"shifts": [...], "fullDayTimeOffMarkers":
    /// [...]}`); `None` when it had none.
    pub pre: Option<String>,
    /// What the run sent for it, as JSON of the same shape.
    pub post: String,
    /// The agent's version once the run's update landed: as the write makes it (recorded with
    /// the images), then as read back where the read shows versions; `None` when unknown.
    pub post_version: Option<u64>,
}

/// One agent's images as a run records them, borrowed from the run's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewImage<'a> {
    pub user_id: &'a str,
    /// The agent's version before the run; `None` when it had no schedule.
    pub pre_version: Option<u64>,
    /// Its schedule before the run; `None` when it had none.
    pub pre: Option<PreImage<'a>>,
    /// What the run sent for it, as JSON.
    pub post: &'a str,
    /// The version the run's write gives it, when known.
    pub post_version: Option<u64>,
}

/// A pre-image as a run hands it over: the JSON bytes as read, or already packed with
/// [`pack_pre_image`] (by a run that packs each agent as it reads it, so that what waits to be
/// recorded is a third of the size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreImage<'a> {
    Json(&'a [u8]),
    Packed(&'a [u8]),
}

/// A pre-image's JSON bytes packed as the journal keeps them (LZ4's block format, its length
/// first).
pub fn pack_pre_image(json: &[u8]) -> Vec<u8> {
    lz4_flex::compress_prepend_size(json)
}

impl Journal {
    /// Records the images of agents of `week`'s schedule `schedule_id`, all in one transaction;
    /// an agent's earlier pre-image in the same week is kept (it is what the schedule was before
    /// the run's first write), its post-image replaced.
    pub fn record_images(
        &self,
        week: &str,
        schedule_id: &str,
        images: &[NewImage<'_>],
    ) -> Result<()> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| sqlite(&self.path, e))?;
        insert_rows(&tx, &self.path, week, schedule_id, images)?;
        tx.commit().map_err(|e| sqlite(&self.path, e))
    }

    /// A connection of its own to this journal that records images, for a writer beside the
    /// run (another thread): the same file, the same settings.
    pub fn image_writer(&self) -> Result<ImageWriter> {
        let conn = Connection::open(&self.path).map_err(|e| sqlite(&self.path, e))?;
        configure(&conn, &self.path)?;
        Ok(ImageWriter {
            conn,
            path: self.path.clone(),
            open: None,
        })
    }

    /// Records the versions the agents of `week` read back with after the run's update.
    pub fn record_post_versions(&self, week: &str, versions: &[(String, u64)]) -> Result<()> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| sqlite(&self.path, e))?;
        {
            let mut update = tx
                .prepare("UPDATE images SET post_version = ?3 WHERE week = ?1 AND user_id = ?2")
                .map_err(|e| sqlite(&self.path, e))?;
            for (user_id, version) in versions {
                update
                    .execute(params![week, user_id.to_ascii_lowercase(), *version as i64])
                    .map_err(|e| sqlite(&self.path, e))?;
            }
        }
        tx.commit().map_err(|e| sqlite(&self.path, e))
    }

    /// Every image, by week then agent.
    pub fn images(&self) -> Result<Vec<AgentImage>> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT week, schedule_id, user_id, pre_version, pre, post, post_version FROM images
                 ORDER BY week, user_id",
            )
            .map_err(|e| sqlite(&self.path, e))?;
        let rows = statement
            .query_map([], |row| {
                Ok(AgentImage {
                    week: row.get(0)?,
                    schedule_id: row.get(1)?,
                    user_id: row.get(2)?,
                    pre_version: row.get::<_, Option<i64>>(3)?.map(|v| v as u64),
                    pre: pre_image(row.get_ref(4)?).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(4, Type::Blob, Box::new(e))
                    })?,
                    post: row.get(5)?,
                    post_version: row.get::<_, Option<i64>>(6)?.map(|v| v as u64),
                })
            })
            .map_err(|e| sqlite(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| sqlite(&self.path, e))
    }

    /// How many agents' images the journal keeps.
    pub fn image_count(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT COUNT(*) FROM images", [], |row| {
                row.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(|e| sqlite(&self.path, e))
    }
}

/// Records images through a connection of its own (see [`Journal::image_writer`]), several
/// batches to a transaction: each commit rewrites every index page its agents touched (their ids
/// are random), so fewer commits write far less. Nothing is durable before [`commit`]
/// (ImageWriter::commit), which the writer's owner calls before any update leaves.
pub struct ImageWriter {
    conn: Connection,
    path: PathBuf,
    /// Agents recorded in the open transaction; `None` when none is open.
    open: Option<usize>,
}

/// Agents one transaction of an [`ImageWriter`] holds before it commits on its own.
const AGENTS_PER_COMMIT: usize = 8192;

impl ImageWriter {
    /// Records images, committed with the next [`commit`](ImageWriter::commit) or once the open
    /// transaction holds `AGENTS_PER_COMMIT` agents.
    pub fn record_images(
        &mut self,
        week: &str,
        schedule_id: &str,
        images: &[NewImage<'_>],
    ) -> Result<()> {
        if self.open.is_none() {
            self.conn
                .execute_batch("BEGIN")
                .map_err(|e| sqlite(&self.path, e))?;
            self.open = Some(0);
        }
        insert_rows(&self.conn, &self.path, week, schedule_id, images)?;
        let held = self.open.unwrap_or(0) + images.len();
        self.open = Some(held);
        if held >= AGENTS_PER_COMMIT {
            self.commit()?;
        }
        Ok(())
    }

    /// Commits what is recorded: durable from here on.
    pub fn commit(&mut self) -> Result<()> {
        if self.open.take().is_some() {
            self.conn
                .execute_batch("COMMIT")
                .map_err(|e| sqlite(&self.path, e))?;
        }
        Ok(())
    }
}

/// Inserts images in the transaction open on `conn`, each pre-image packed unless it is.
fn insert_rows(
    conn: &Connection,
    path: &Path,
    week: &str,
    schedule_id: &str,
    images: &[NewImage<'_>],
) -> Result<()> {
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO images (week, user_id, schedule_id, pre_version, pre, post,
                 post_version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (week, user_id) DO UPDATE SET post = excluded.post,
                 post_version = excluded.post_version",
        )
        .map_err(|e| sqlite(path, e))?;
    for image in images {
        let pre: Option<Cow<'_, [u8]>> = match image.pre {
            Some(PreImage::Json(json)) => Some(Cow::Owned(pack_pre_image(json))),
            Some(PreImage::Packed(packed)) => Some(Cow::Borrowed(packed)),
            None => None,
        };
        insert
            .execute(params![
                week,
                image.user_id.to_ascii_lowercase(),
                schedule_id,
                image.pre_version.map(|v| v as i64),
                pre,
                image.post,
                image.post_version.map(|v| v as i64)
            ])
            .map_err(|e| sqlite(path, e))?;
    }
    Ok(())
}

/// A pre-image as stored: compressed (a blob), as text (a journal of an earlier version), or none.
fn pre_image(value: ValueRef<'_>) -> std::result::Result<Option<String>, FromSqlError> {
    match value {
        ValueRef::Null => Ok(None),
        ValueRef::Text(text) => String::from_utf8(text.to_vec())
            .map(Some)
            .map_err(|e| FromSqlError::Other(e.into())),
        ValueRef::Blob(blob) => {
            let bytes = lz4_flex::decompress_size_prepended(blob)
                .map_err(|e| FromSqlError::Other(e.into()))?;
            String::from_utf8(bytes)
                .map(Some)
                .map_err(|e| FromSqlError::Other(e.into()))
        }
        _ => Err(FromSqlError::InvalidType),
    }
}
