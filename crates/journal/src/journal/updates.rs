//! The schedule updates of a bulk run: each upload key's update, recorded before it leaves, when
//! it is accepted (its operation id) and when it ends, so that a rerun finishes an update a
//! killed run left instead of sending it again.

use rusqlite::{OptionalExtension as _, params};

use super::open::Journal;
use super::sql::{now_ms, sqlite};
use crate::error::Result;

/// One update as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateRecord {
    pub key: String,
    pub week: String,
    pub schedule_id: String,
    pub base_version: u64,
    pub agents: u64,
    pub operation_id: Option<String>,
    /// `sending`, `accepted`, or how it ended: `Complete`, `Error`, `NotApplied`, `Unknown`.
    pub status: String,
    pub message: Option<String>,
}

impl UpdateRecord {
    /// Whether the update may still be running: sent or accepted, its end not seen.
    pub fn is_pending(&self) -> bool {
        matches!(self.status.as_str(), "sending" | "accepted")
    }
}

impl Journal {
    /// Records that the update of `key` is about to be requested (committed before it leaves).
    pub fn update_sending(
        &self,
        week: &str,
        schedule_id: &str,
        key: &str,
        base_version: u64,
        agents: u64,
    ) -> Result<()> {
        let now = now_ms();
        self.conn
            .execute(
                "INSERT OR REPLACE INTO updates (key, week, schedule_id, base_version, agents,
                     status, created_unix_ms, updated_unix_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'sending', ?6, ?6)",
                params![
                    key,
                    week,
                    schedule_id,
                    base_version as i64,
                    agents as i64,
                    now
                ],
            )
            .map_err(|e| sqlite(&self.path, e))?;
        Ok(())
    }

    /// Records the operation id the update of `key` was accepted as.
    pub fn update_accepted(&self, key: &str, operation_id: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE updates SET operation_id = ?2, status = 'accepted', updated_unix_ms = ?3
                 WHERE key = ?1",
                params![key, operation_id, now_ms()],
            )
            .map_err(|e| sqlite(&self.path, e))?;
        Ok(())
    }

    /// Records how the update of `key` ended.
    pub fn update_ended(&self, key: &str, status: &str, message: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE updates SET status = ?2, message = NULLIF(?3, ''), updated_unix_ms = ?4
                 WHERE key = ?1",
                params![key, status, message, now_ms()],
            )
            .map_err(|e| sqlite(&self.path, e))?;
        Ok(())
    }

    /// The latest update of `week` whose end was not seen, if any.
    pub fn pending_update(&self, week: &str) -> Result<Option<UpdateRecord>> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM updates
                     WHERE week = ?1 AND (status = 'sending' OR status = 'accepted')
                     ORDER BY created_unix_ms DESC, rowid DESC LIMIT 1"
                ),
                params![week],
                read_record,
            )
            .optional()
            .map_err(|e| sqlite(&self.path, e))
    }

    /// Every update recorded, oldest first.
    pub fn updates(&self) -> Result<Vec<UpdateRecord>> {
        let mut statement = self
            .conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM updates ORDER BY created_unix_ms, rowid"
            ))
            .map_err(|e| sqlite(&self.path, e))?;
        let rows = statement
            .query_map([], read_record)
            .and_then(Iterator::collect)
            .map_err(|e| sqlite(&self.path, e))?;
        Ok(rows)
    }
}

const COLUMNS: &str = "key, week, schedule_id, base_version, agents, operation_id, status, message";

fn read_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<UpdateRecord> {
    Ok(UpdateRecord {
        key: row.get(0)?,
        week: row.get(1)?,
        schedule_id: row.get(2)?,
        base_version: row.get::<_, i64>(3)? as u64,
        agents: row.get::<_, i64>(4)? as u64,
        operation_id: row.get(5)?,
        status: row.get(6)?,
        message: row.get(7)?,
    })
}

#[cfg(test)]
mod tests {
    use crate::{Fingerprint, Journal, RunSpec};

    #[test]
    fn an_update_is_pending_until_it_ends_and_survives_a_reopen() {
        let dir = std::env::temp_dir().join(format!("pacer-updates-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("j.sqlite");
        let _ = std::fs::remove_file(&path);
        let spec = RunSpec {
            input_path: "in.csv".into(),
            fingerprint: Fingerprint {
                size: 1,
                sha256: [7; 32],
            },
            method: "BULK".into(),
            path_template: "North".into(),
            settings: serde_json::json!({}),
        };
        let journal = Journal::open(&path, &spec, false).unwrap();
        journal
            .update_sending("2026-12-07", "s1", "k1", 3, 10)
            .unwrap();
        assert!(
            journal
                .pending_update("2026-12-07")
                .unwrap()
                .unwrap()
                .is_pending()
        );
        journal.update_accepted("k1", "op1").unwrap();
        drop(journal);
        let journal = Journal::open(&path, &spec, false).unwrap();
        let pending = journal.pending_update("2026-12-07").unwrap().unwrap();
        assert_eq!(
            (pending.operation_id.as_deref(), pending.base_version),
            (Some("op1"), 3)
        );
        journal.update_ended("k1", "Complete", "").unwrap();
        assert!(journal.pending_update("2026-12-07").unwrap().is_none());
        assert_eq!(journal.updates().unwrap()[0].status, "Complete");
        drop(journal);
        let restarted = Journal::open(&path, &spec, true).unwrap();
        assert!(restarted.updates().unwrap().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
