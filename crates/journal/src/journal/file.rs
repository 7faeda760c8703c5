//! The journal file: its lock for a run, its SQLite settings, and its schema and identity.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use super::sql::{classify, sqlite};
use crate::error::{Error, Result};

/// `PRAGMA application_id` of a pacer journal: the ASCII bytes `pace`.
const APPLICATION_ID: i64 = 0x7061_6365;
/// `PRAGMA user_version` of the schema this code writes and reads.
const SCHEMA_VERSION: i64 = 1;

// The state's check is written with `OR`, not `IN (...)`: SQLite builds an ephemeral table for an
// `IN` list each time a statement checks it, which doubled the cost of every item's update.
const SCHEMA: &str = "
CREATE TABLE run (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    input_path TEXT NOT NULL,
    input_size INTEGER NOT NULL,
    input_sha256 TEXT NOT NULL,
    method TEXT NOT NULL,
    path_template TEXT NOT NULL,
    settings TEXT NOT NULL,
    items_loaded INTEGER NOT NULL DEFAULT 0,
    created_unix_ms INTEGER NOT NULL,
    updated_unix_ms INTEGER NOT NULL
);
CREATE TABLE items (
    line INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state = 'pending' OR state = 'in_flight' OR state = 'done'
                               OR state = 'failed' OR state = 'skipped'),
    status INTEGER,
    reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    correlation_id TEXT,
    updated_unix_ms INTEGER NOT NULL
);
";

/// The tables later versions added, created on open in every journal, new or older: the schedule
/// updates (see `updates`), the agents' images before and after (see `images`), the sets of
/// agents the server refused (see `refusals`) and the resolved keys (see `keys`).
const UPDATES_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS updates (
    key TEXT PRIMARY KEY,
    week TEXT NOT NULL,
    schedule_id TEXT NOT NULL,
    base_version INTEGER NOT NULL,
    agents INTEGER NOT NULL,
    operation_id TEXT,
    status TEXT NOT NULL,
    message TEXT,
    created_unix_ms INTEGER NOT NULL,
    updated_unix_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS images (
    week TEXT NOT NULL,
    user_id TEXT NOT NULL,
    schedule_id TEXT NOT NULL,
    pre_version INTEGER,
    pre TEXT,
    post TEXT NOT NULL,
    post_version INTEGER,
    PRIMARY KEY (week, user_id)
);
CREATE TABLE IF NOT EXISTS refused (
    week TEXT NOT NULL,
    agents TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS agent_keys (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
";

/// Locks the journal file for a run (an advisory lock, apart from SQLite's own), or refuses with
/// [`Error::InUse`] when another run holds it. Where the file system has no such locks the run goes
/// on without one.
pub(super) fn lock_run(path: &Path) -> Result<Option<std::fs::File>> {
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(None);
    };
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::InUse {
            path: path.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(_)) => Ok(None),
    }
}

pub(super) fn configure(conn: &Connection, path: &Path) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(|e| sqlite(path, e))?;
    // WAL with synchronous=NORMAL: a committed transaction survives the process being killed at
    // any moment (it is in the WAL file); only an operating-system crash or power loss can lose
    // the last few commits, which then resume as pending or possibly sent.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(|e| classify(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::NotAJournal {
            path: path.to_path_buf(),
            detail: format!("cannot switch it to WAL mode (it stays in {mode} mode)"),
        });
    }
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF;")
        .map_err(|e| sqlite(path, e))
}

/// Creates the schema in an empty database, or checks that an existing one is a journal.
pub(super) fn ensure_schema(conn: &Connection, path: &Path) -> Result<()> {
    if check_identity(conn, path, true)? {
        return Ok(());
    }
    conn.execute_batch(&format!(
        "BEGIN IMMEDIATE; {SCHEMA} PRAGMA application_id = {APPLICATION_ID}; \
         PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
    ))
    .map_err(|e| sqlite(path, e))
}

/// Creates the tables that later versions added, in a journal that lacks them.
pub(super) fn ensure_later_tables(conn: &Connection, path: &Path) -> Result<()> {
    conn.execute_batch(UPDATES_SCHEMA)
        .map_err(|e| sqlite(path, e))
}

/// Returns true for a journal of this version, false for an empty database (when
/// `empty_ok`), and an error for anything else.
pub(super) fn check_identity(conn: &Connection, path: &Path, empty_ok: bool) -> Result<bool> {
    let app: i64 = conn
        .query_row("PRAGMA application_id", [], |row| row.get(0))
        .map_err(|e| classify(path, e))?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|e| sqlite(path, e))?;
    let not = |detail: String| Error::NotAJournal {
        path: path.to_path_buf(),
        detail,
    };
    if app == 0 && version == 0 {
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
            .map_err(|e| sqlite(path, e))?;
        return if tables == 0 && empty_ok {
            Ok(false)
        } else if tables == 0 {
            Err(not("the database is empty".into()))
        } else {
            Err(not("it is another SQLite database".into()))
        };
    }
    if app != APPLICATION_ID {
        return Err(not("it is another SQLite database".into()));
    }
    if version != SCHEMA_VERSION {
        return Err(not(format!(
            "schema version {version}, and this pacer reads version {SCHEMA_VERSION}"
        )));
    }
    Ok(true)
}
