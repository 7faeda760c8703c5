//! The open journal: the `Journal` handle, and how opening creates, resumes or restarts a run.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::file::{check_identity, configure, ensure_later_tables, ensure_schema, lock_run};
use super::run::{
    RunInfo, RunSpec, check_no_secrets, insert_run, read_run, restart_run, resume_run,
};
use super::sql::{now_ms, sqlite};
use crate::error::{Error, Result};

/// The default journal path for an input: next to it, named `<input file name>.pacer.sqlite`.
pub fn default_path(input: &Path) -> PathBuf {
    let mut name = input
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "input".into());
    name.push(".pacer.sqlite");
    input.with_file_name(name)
}

/// How [`Journal::open`] found the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenKind {
    /// There was no run: a new one was created.
    Created,
    /// The same input and request: the run goes on where it stopped.
    Resumed,
    /// `restart` was asked: the previous run and its items were discarded.
    Restarted,
}

/// An open journal. Every method that changes state has committed when it returns.
pub struct Journal {
    pub(super) conn: Connection,
    pub(super) path: PathBuf,
    kind: OpenKind,
    possibly_sent_at_open: u64,
    /// When [`Journal::record`] last rewrote the run's `updated_unix_ms`.
    pub(super) run_touched_ms: std::cell::Cell<i64>,
    /// The file held locked while a run has the journal open, so that a second run is refused.
    lock: Option<std::fs::File>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .finish()
    }
}

impl Journal {
    /// Opens the journal at `path` for the run `spec`, creating the file if needed.
    ///
    /// A journal holding another input fingerprint is refused with [`Error::InputChanged`], and
    /// one made for another method or path template with [`Error::RequestChanged`], unless
    /// `restart` is true: then its items are discarded and the run starts over. A resumed run
    /// keeps its items and stores the new settings.
    pub fn open(path: &Path, spec: &RunSpec, restart: bool) -> Result<Journal> {
        check_no_secrets(&spec.settings)?;
        let settings = serde_json::to_string(&spec.settings).map_err(Error::Settings)?;
        let conn = Connection::open(path).map_err(|e| sqlite(path, e))?;
        let lock = lock_run(path)?;
        configure(&conn, path)?;
        ensure_schema(&conn, path)?;
        ensure_later_tables(&conn, path)?;
        let existing = read_run(&conn, path)?;
        let now = now_ms();
        let kind = match existing {
            None => {
                insert_run(&conn, spec, &settings, now).map_err(|e| sqlite(path, e))?;
                OpenKind::Created
            }
            Some(_) if restart => {
                restart_run(&conn, path, spec, &settings, now)?;
                OpenKind::Restarted
            }
            Some(run) => {
                resume_run(&conn, path, run, spec, &settings, now)?;
                OpenKind::Resumed
            }
        };
        Journal::hold(conn, path, kind, now, lock)
    }

    /// Opens an existing journal without changing its run, for `pacer status`.
    ///
    /// Fails with [`Error::Missing`] when there is no file and [`Error::NotAJournal`] when the file
    /// is not a journal or holds no run.
    pub fn open_existing(path: &Path) -> Result<Journal> {
        if !path.exists() {
            return Err(Error::Missing {
                path: path.to_path_buf(),
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| sqlite(path, e))?;
        configure(&conn, path)?;
        check_identity(&conn, path, false)?;
        ensure_later_tables(&conn, path)?;
        if read_run(&conn, path)?.is_none() {
            return Err(Error::NotAJournal {
                path: path.to_path_buf(),
                detail: "it holds no run".into(),
            });
        }
        Journal::hold(conn, path, OpenKind::Resumed, 0, None)
    }

    /// The handle over an opened connection, counting the items a previous run left in flight.
    fn hold(
        conn: Connection,
        path: &Path,
        kind: OpenKind,
        run_touched_ms: i64,
        lock: Option<std::fs::File>,
    ) -> Result<Journal> {
        let mut journal = Journal {
            conn,
            path: path.to_path_buf(),
            kind,
            possibly_sent_at_open: 0,
            run_touched_ms: std::cell::Cell::new(run_touched_ms),
            lock,
        };
        journal.possibly_sent_at_open = journal.counts()?.in_flight;
        Ok(journal)
    }

    /// Leaves the journal as a killed process does: the connection is never closed and the
    /// write-ahead log never checkpointed, and the run's lock goes (the system drops a dead
    /// process's locks). For crash tests.
    #[doc(hidden)]
    pub fn abandon(mut self) {
        drop(self.lock.take());
        std::mem::forget(self);
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether [`open`](Self::open) created, resumed or restarted the run.
    pub fn open_kind(&self) -> OpenKind {
        self.kind
    }

    /// Items that were in flight when the previous run stopped: each may have been written.
    pub fn possibly_sent_at_open(&self) -> u64 {
        self.possibly_sent_at_open
    }

    /// The run as stored now.
    pub fn run(&self) -> Result<RunInfo> {
        read_run(&self.conn, &self.path)?.ok_or_else(|| Error::NotAJournal {
            path: self.path.clone(),
            detail: "it holds no run".into(),
        })
    }

    /// Whether every item has been inserted. When false the caller streams its input into
    /// [`loader`](Self::loader) again; lines already present are kept as they are.
    pub fn items_loaded(&self) -> Result<bool> {
        Ok(self.run()?.items_loaded)
    }

    /// Checkpoints the write-ahead log into the database file and closes it. Dropping a journal
    /// without calling this loses nothing: every change is already committed.
    pub fn close(self) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .map_err(|e| sqlite(&self.path, e))?;
        let path = self.path.clone();
        self.conn.close().map_err(|(_, e)| sqlite(&path, e))
    }

    /// A prepared statement from the connection's cache.
    pub(super) fn cached(&self, sql: &str) -> Result<rusqlite::CachedStatement<'_>> {
        self.conn.prepare_cached(sql).map_err(|e| self.err(e))
    }

    /// An SQLite error on this journal.
    pub(super) fn err(&self, source: rusqlite::Error) -> Error {
        sqlite(&self.path, source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_path_sits_next_to_the_input() {
        assert_eq!(
            default_path(Path::new("/data/agents.csv")),
            PathBuf::from("/data/agents.csv.pacer.sqlite")
        );
    }
}
