//! Loading items: the input streamed into the journal in batches of inserts, safe to run again
//! after a crash.

use rusqlite::params;

use super::items::ItemState;
use super::open::Journal;
use super::sql::{begin_immediate, commit, now_ms};
use crate::error::Result;

/// Items inserted per transaction while loading.
const LOAD_BATCH: usize = 10_000;

impl Journal {
    /// Starts inserting items, in transactions of 10,000.
    pub fn loader(&mut self) -> ItemLoader<'_> {
        ItemLoader {
            journal: self,
            in_transaction: 0,
            pushed: 0,
        }
    }
}

/// Inserts items while the caller streams its input; commits every 10,000 items.
///
/// Lines already in the journal are left as they are, so a load interrupted by a crash can simply
/// be run again. Call [`finish`](Self::finish) at the end: it commits and marks the run loaded.
/// Dropping a loader without `finish` commits what was pushed but leaves the run not loaded.
pub struct ItemLoader<'j> {
    journal: &'j mut Journal,
    in_transaction: usize,
    pushed: u64,
}

impl ItemLoader<'_> {
    /// Adds a pending item.
    pub fn push(&mut self, line: u64, user_id: &str) -> Result<()> {
        self.insert(line, user_id, ItemState::Pending, None)
    }

    /// Adds an item that will not be sent, with the reason (an invalid row under `--skip-invalid`).
    pub fn push_skipped(&mut self, line: u64, user_id: &str, reason: &str) -> Result<()> {
        self.insert(line, user_id, ItemState::Skipped, Some(reason))
    }

    fn insert(
        &mut self,
        line: u64,
        user_id: &str,
        state: ItemState,
        reason: Option<&str>,
    ) -> Result<()> {
        let journal = &*self.journal;
        if self.in_transaction == 0 {
            begin_immediate(&journal.conn).map_err(|e| journal.err(e))?;
        }
        let inserted = journal
            .cached(
                "INSERT OR IGNORE INTO items (line, user_id, state, reason, attempts, updated_unix_ms)
                 VALUES (?1, ?2, ?3, ?4, 0, ?5)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![line as i64, user_id, state.as_str(), reason, now_ms()])
                    .map_err(|e| journal.err(e))
            });
        if let Err(err) = inserted {
            let _ = journal.conn.execute_batch("ROLLBACK");
            self.in_transaction = 0;
            return Err(err);
        }
        self.in_transaction += 1;
        self.pushed += 1;
        if self.in_transaction >= LOAD_BATCH {
            self.commit()?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        if self.in_transaction > 0 {
            self.in_transaction = 0;
            commit(&self.journal.conn).map_err(|e| self.journal.err(e))?;
        }
        Ok(())
    }

    /// Commits the last batch, marks the run loaded and returns how many items were pushed.
    pub fn finish(mut self) -> Result<u64> {
        self.commit()?;
        self.journal
            .conn
            .execute(
                "UPDATE run SET items_loaded = 1, updated_unix_ms = ?1 WHERE id = 1",
                params![now_ms()],
            )
            .map_err(|e| self.journal.err(e))?;
        Ok(self.pushed)
    }
}

impl Drop for ItemLoader<'_> {
    fn drop(&mut self) {
        // What was pushed is kept; `items_loaded` stays false until `finish`.
        let _ = self.commit();
    }
}
