//! State changes: items marked in flight, done, failed or skipped, one change or a batch of them
//! to a transaction.

use rusqlite::{CachedStatement, params};

use super::open::Journal;
use super::sql::{begin_immediate, finish_tx, now_ms};
use crate::error::{Error, Result};

/// How often, at most, [`Journal::record`] rewrites the run's time of change.
const RUN_TOUCH_EVERY_MS: i64 = 1_000;

/// One state change; [`Journal::record`] commits a slice of them in one transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change<'a> {
    /// A send is about to begin: the state becomes `in_flight` and `attempts` grows by one.
    InFlight { line: u64 },
    /// The server accepted the item.
    Done {
        line: u64,
        status: u16,
        correlation_id: Option<&'a str>,
    },
    /// The item is given up on; `status` is `None` when no response came (timeout, reset).
    Failed {
        line: u64,
        status: Option<u16>,
        reason: &'a str,
        correlation_id: Option<&'a str>,
    },
    /// The item is deliberately not sent.
    Skipped { line: u64, reason: &'a str },
}

impl Change<'_> {
    /// The line of the item the change is for.
    fn line(&self) -> u64 {
        match *self {
            Change::InFlight { line }
            | Change::Done { line, .. }
            | Change::Failed { line, .. }
            | Change::Skipped { line, .. } => line,
        }
    }
}

impl Journal {
    /// Marks an item in flight (and counts one more attempt) before it is sent.
    pub fn mark_in_flight(&self, line: u64) -> Result<()> {
        self.record(&[Change::InFlight { line }])
    }

    /// Records that the server accepted an item.
    pub fn mark_done(&self, line: u64, status: u16, correlation_id: Option<&str>) -> Result<()> {
        self.record(&[Change::Done {
            line,
            status,
            correlation_id,
        }])
    }

    /// Records that an item failed for good; `status` is `None` when no response came.
    pub fn mark_failed(
        &self,
        line: u64,
        status: Option<u16>,
        reason: &str,
        correlation_id: Option<&str>,
    ) -> Result<()> {
        self.record(&[Change::Failed {
            line,
            status,
            reason,
            correlation_id,
        }])
    }

    /// Records that an item is deliberately not sent.
    pub fn mark_skipped(&self, line: u64, reason: &str) -> Result<()> {
        self.record(&[Change::Skipped { line, reason }])
    }

    /// Commits several changes in one transaction: all of them or none.
    ///
    /// A change naming a line the journal does not hold fails the whole batch with
    /// [`Error::UnknownItem`].
    pub fn record(&self, changes: &[Change<'_>]) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        begin_immediate(&self.conn).map_err(|e| self.err(e))?;
        let applied = self.apply(changes);
        pacer_crashpoint::hit("journal.batch");
        finish_tx(&self.conn, &self.path, applied)
    }

    /// Puts every failed item back to pending (clearing its status and reason) so that the next
    /// pass sends it again; returns how many there were.
    pub fn retry_failed(&self) -> Result<u64> {
        let n = self
            .conn
            .execute(
                "UPDATE items SET state = 'pending', status = NULL, reason = NULL,
                     correlation_id = NULL, updated_unix_ms = ?1 WHERE state = 'failed'",
                params![now_ms()],
            )
            .map_err(|e| self.err(e))?;
        Ok(n as u64)
    }

    /// Applies each change inside the open transaction, then keeps the run's time of change.
    fn apply(&self, changes: &[Change<'_>]) -> Result<()> {
        let now = now_ms();
        // Each statement is taken from the cache once per batch, not once per change.
        let mut statements = Statements::default();
        for change in changes {
            if statements.execute(self, change, now)? == 0 {
                return Err(Error::UnknownItem {
                    path: self.path.clone(),
                    line: change.line(),
                });
            }
        }
        self.touch_run(now)
    }

    /// The run's own time of change is kept to within a second: rewriting its row in every
    /// batch would add a page to every commit.
    fn touch_run(&self, now: i64) -> Result<()> {
        if now.saturating_sub(self.run_touched_ms.get()) >= RUN_TOUCH_EVERY_MS {
            self.cached("UPDATE run SET updated_unix_ms = ?1 WHERE id = 1")?
                .execute(params![now])
                .map_err(|e| self.err(e))?;
            self.run_touched_ms.set(now);
        }
        Ok(())
    }
}

/// The update statements of one batch, each taken from the journal's cache when first needed.
#[derive(Default)]
struct Statements<'j> {
    in_flight: Option<CachedStatement<'j>>,
    done: Option<CachedStatement<'j>>,
    failed: Option<CachedStatement<'j>>,
    skipped: Option<CachedStatement<'j>>,
}

impl<'j> Statements<'j> {
    /// Runs the update of `change` at `now`; returns how many items it changed.
    fn execute(&mut self, journal: &'j Journal, change: &Change<'_>, now: i64) -> Result<usize> {
        let updated = match *change {
            Change::InFlight { line } => take(
                &mut self.in_flight,
                journal,
                "UPDATE items SET state = 'in_flight', attempts = attempts + 1,
                     updated_unix_ms = ?2 WHERE line = ?1",
            )?
            .execute(params![line as i64, now]),
            Change::Done {
                line,
                status,
                correlation_id,
            } => take(
                &mut self.done,
                journal,
                "UPDATE items SET state = 'done', status = ?2, reason = NULL,
                     correlation_id = ?3, updated_unix_ms = ?4 WHERE line = ?1",
            )?
            .execute(params![line as i64, status, correlation_id, now]),
            Change::Failed {
                line,
                status,
                reason,
                correlation_id,
            } => take(
                &mut self.failed,
                journal,
                "UPDATE items SET state = 'failed', status = ?2, reason = ?3,
                     correlation_id = ?4, updated_unix_ms = ?5 WHERE line = ?1",
            )?
            .execute(params![line as i64, status, reason, correlation_id, now]),
            Change::Skipped { line, reason } => take(
                &mut self.skipped,
                journal,
                "UPDATE items SET state = 'skipped', status = NULL, reason = ?2,
                     updated_unix_ms = ?3 WHERE line = ?1",
            )?
            .execute(params![line as i64, reason, now]),
        };
        updated.map_err(|e| journal.err(e))
    }
}

/// The statement in `slot`, taken from the journal's cache the first time it is needed.
fn take<'c, 'j>(
    slot: &'c mut Option<CachedStatement<'j>>,
    journal: &'j Journal,
    sql: &str,
) -> Result<&'c mut CachedStatement<'j>> {
    if slot.is_none() {
        *slot = Some(journal.cached(sql)?);
    }
    Ok(slot.as_mut().expect("the slot was just filled"))
}
