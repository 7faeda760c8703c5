//! Reading back what is still to send: a cursor over the pending and in-flight items, a page at a
//! time, made to merge with a second pass over the input.

use std::collections::VecDeque;

use rusqlite::params;

use super::items::PendingItem;
use super::open::Journal;
use crate::error::Result;

/// Items read per query by the cursors.
const PAGE: usize = 1_024;

impl Journal {
    /// A cursor over the items to send (pending and in flight), in line order, a page at a time.
    pub fn pending(&self) -> PendingCursor<'_> {
        PendingCursor {
            journal: self,
            buffer: VecDeque::new(),
            after: 0,
            exhausted: false,
        }
    }

    fn page(&self, after_line: u64, limit: usize) -> Result<Vec<PendingItem>> {
        let mut stmt = self.cached(
            "SELECT line, user_id, attempts, state FROM items
             WHERE state IN ('pending', 'in_flight') AND line > ?1 ORDER BY line LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![after_line as i64, limit as i64], |row| {
                Ok(PendingItem {
                    line: row.get::<_, i64>(0)? as u64,
                    user_id: row.get(1)?,
                    attempts: row.get::<_, i64>(2)? as u32,
                    possibly_sent: row.get::<_, String>(3)? == "in_flight",
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }
}

/// Walks the items still to send, in line order, reading a page of 1,024 at a time.
///
/// The cursor only reads, so the journal can record changes while it is in use. It is made for
/// a merge with a second pass over the input, which also comes in line order: see
/// [`take_line`](Self::take_line).
pub struct PendingCursor<'j> {
    journal: &'j Journal,
    buffer: VecDeque<PendingItem>,
    after: u64,
    exhausted: bool,
}

impl PendingCursor<'_> {
    /// The next item to send, or `None` when there is none left after the cursor.
    pub fn next_item(&mut self) -> Result<Option<PendingItem>> {
        if self.buffer.is_empty() && !self.exhausted {
            let page = self.journal.page(self.after, PAGE)?;
            self.exhausted = page.len() < PAGE;
            if let Some(last) = page.last() {
                self.after = last.line;
            }
            self.buffer.extend(page);
        }
        Ok(self.buffer.pop_front())
    }

    /// For a merge with the input, read in line order: returns the item of `line` if it is still
    /// to send, and `None` if it is done, failed or skipped. Items before `line` that were not
    /// asked for are passed over.
    pub fn take_line(&mut self, line: u64) -> Result<Option<PendingItem>> {
        loop {
            if self.buffer.is_empty() {
                if self.exhausted {
                    return Ok(None);
                }
                match self.next_item()? {
                    Some(item) => self.buffer.push_front(item),
                    None => return Ok(None),
                }
            }
            let front = self.buffer.front().expect("the buffer was just filled");
            if front.line < line {
                self.buffer.pop_front();
            } else if front.line == line {
                return Ok(self.buffer.pop_front());
            } else {
                return Ok(None);
            }
        }
    }
}

impl Iterator for PendingCursor<'_> {
    type Item = Result<PendingItem>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_item().transpose()
    }
}
