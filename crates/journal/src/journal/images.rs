//! Each agent's schedule before and after a run's update, kept so that `pacer undo` can put it
//! back: the pre-image as read (its version, shifts and days off, or none when the agent had no
//! schedule) and the post-image as sent, recorded before the update that carries it leaves.

use rusqlite::params;

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

impl Journal {
    /// Records images, all in one transaction; an agent's earlier pre-image in the same week is
    /// kept (it is what the schedule was before the run's first write), its post-image replaced.
    pub fn record_images(&self, images: &[AgentImage]) -> Result<()> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| sqlite(&self.path, e))?;
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO images (week, user_id, schedule_id, pre_version, pre, post,
                         post_version)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (week, user_id) DO UPDATE SET post = excluded.post,
                         post_version = excluded.post_version",
                )
                .map_err(|e| sqlite(&self.path, e))?;
            for image in images {
                insert
                    .execute(params![
                        image.week,
                        image.user_id.to_ascii_lowercase(),
                        image.schedule_id,
                        image.pre_version.map(|v| v as i64),
                        image.pre,
                        image.post,
                        image.post_version.map(|v| v as i64)
                    ])
                    .map_err(|e| sqlite(&self.path, e))?;
            }
        }
        tx.commit().map_err(|e| sqlite(&self.path, e))
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
                    pre: row.get(4)?,
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
