//! Summaries of a run: items counted per state and per last status, the failed items a page at a
//! time, and the state of one item.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};

use super::items::{Counts, FailedItem, ItemState};
use super::open::Journal;
use crate::error::Result;

impl Journal {
    /// How many items are in each state (one pass over the items).
    pub fn counts(&self) -> Result<Counts> {
        let mut stmt = self.cached("SELECT state, count(*) FROM items GROUP BY state")?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        let mut counts = Counts::default();
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let state: String = row.get(0).map_err(|e| self.err(e))?;
            let n = row.get::<_, i64>(1).map_err(|e| self.err(e))? as u64;
            counts.total += n;
            match ItemState::parse(&state) {
                Some(ItemState::Pending) => counts.pending += n,
                Some(ItemState::InFlight) => counts.in_flight += n,
                Some(ItemState::Done) => counts.done += n,
                Some(ItemState::Failed) => counts.failed += n,
                Some(ItemState::Skipped) => counts.skipped += n,
                None => {}
            }
        }
        Ok(counts)
    }

    /// The last HTTP status of the done and failed items, counted per status.
    pub fn status_counts(&self) -> Result<BTreeMap<u16, u64>> {
        let mut stmt = self.cached(
            "SELECT status, count(*) FROM items WHERE status IS NOT NULL GROUP BY status",
        )?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        let mut out = BTreeMap::new();
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let status: i64 = row.get(0).map_err(|e| self.err(e))?;
            let n: i64 = row.get(1).map_err(|e| self.err(e))?;
            out.insert(status as u16, n as u64);
        }
        Ok(out)
    }

    /// Up to `limit` failed items with a line greater than `after_line`, in line order. Start
    /// with 0 and pass the last line returned to get the next page.
    pub fn failed_page(&self, after_line: u64, limit: usize) -> Result<Vec<FailedItem>> {
        let mut stmt = self.cached(
            "SELECT line, user_id, status, reason, attempts, correlation_id FROM items
             WHERE state = 'failed' AND line > ?1 ORDER BY line LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![after_line as i64, limit as i64], |row| {
                Ok(FailedItem {
                    line: row.get::<_, i64>(0)? as u64,
                    user_id: row.get(1)?,
                    status: row.get::<_, Option<i64>>(2)?.map(|s| s as u16),
                    reason: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    attempts: row.get::<_, i64>(4)? as u32,
                    correlation_id: row.get(5)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// The state of one item, or `None` if the journal holds no such line.
    pub fn state_of(&self, line: u64) -> Result<Option<ItemState>> {
        let state: Option<String> = self
            .cached("SELECT state FROM items WHERE line = ?1")?
            .query_row(params![line as i64], |row| row.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(state.and_then(|s| ItemState::parse(&s)))
    }
}
