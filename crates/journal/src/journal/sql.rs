//! The journal's SQLite plumbing: errors that carry the file's path, transactions, and the clock
//! that stamps every change.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

use crate::error::{Error, Result};

/// Begins a write transaction at once, so that a second writer waits at the start rather than
/// failing midway.
pub(super) fn begin_immediate(conn: &Connection) -> rusqlite::Result<()> {
    conn.prepare_cached("BEGIN IMMEDIATE")
        .and_then(|mut s| s.execute([]).map(|_| ()))
}

/// Commits the open transaction.
pub(super) fn commit(conn: &Connection) -> rusqlite::Result<()> {
    conn.prepare_cached("COMMIT")
        .and_then(|mut s| s.execute([]).map(|_| ()))
}

/// Commits when `outcome` is Ok and rolls back otherwise, returning the first error.
pub(super) fn finish_tx(conn: &Connection, path: &Path, outcome: Result<()>) -> Result<()> {
    match outcome {
        Ok(()) => commit(conn).map_err(|e| {
            let _ = conn.execute_batch("ROLLBACK");
            sqlite(path, e)
        }),
        Err(err) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(err)
        }
    }
}

/// An SQLite error on the journal at `path`.
pub(super) fn sqlite(path: &Path, source: rusqlite::Error) -> Error {
    Error::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

/// Maps SQLite's "file is not a database" to [`Error::NotAJournal`].
pub(super) fn classify(path: &Path, source: rusqlite::Error) -> Error {
    match source.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => Error::NotAJournal {
            path: path.to_path_buf(),
            detail: "the file is not an SQLite database".into(),
        },
        _ => sqlite(path, source),
    }
}

/// The time now, in milliseconds since the Unix epoch (zero if the clock is before it).
pub(super) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
