//! The journal itself: schema, opening rules, item loading, state changes and summaries.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::error::{Error, Result};
use crate::fingerprint::Fingerprint;

/// `PRAGMA application_id` of a pacer journal: the ASCII bytes `pace`.
const APPLICATION_ID: i64 = 0x7061_6365;
/// `PRAGMA user_version` of the schema this code writes and reads.
const SCHEMA_VERSION: i64 = 1;
/// Items inserted per transaction while loading.
const LOAD_BATCH: usize = 10_000;
/// Items read per query by the cursors.
const PAGE: usize = 1_024;
mod updates;

pub use updates::UpdateRecord;

/// How often, at most, [`Journal::record`] rewrites the run's time of change.
const RUN_TOUCH_EVERY_MS: i64 = 1_000;

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

/// Writes the run's one row for `spec`, created and updated `now`.
fn insert_run(
    conn: &Connection,
    spec: &RunSpec,
    settings: &str,
    now: i64,
) -> rusqlite::Result<usize> {
    conn.execute(
        "INSERT INTO run (id, input_path, input_size, input_sha256, method, path_template,
             settings, items_loaded, created_unix_ms, updated_unix_ms)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?7)",
        params![
            spec.input_path,
            spec.fingerprint.size as i64,
            hex(&spec.fingerprint.sha256),
            spec.method,
            spec.path_template,
            settings,
            now
        ],
    )
}

/// The default journal path for an input: next to it, named `<input file name>.pacer.sqlite`.
pub fn default_path(input: &Path) -> PathBuf {
    let mut name = input
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "input".into());
    name.push(".pacer.sqlite");
    input.with_file_name(name)
}

/// The state of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemState {
    /// Not sent yet in any run.
    Pending,
    /// Marked before a send and no outcome recorded: it may or may not have reached the server.
    InFlight,
    /// The server accepted it.
    Done,
    /// Given up on, with a reason.
    Failed,
    /// Deliberately not sent, with a reason (for example an invalid input row).
    Skipped,
}

impl ItemState {
    /// The name stored in the `items.state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Pending => "pending",
            ItemState::InFlight => "in_flight",
            ItemState::Done => "done",
            ItemState::Failed => "failed",
            ItemState::Skipped => "skipped",
        }
    }

    fn parse(text: &str) -> Option<ItemState> {
        Some(match text {
            "pending" => ItemState::Pending,
            "in_flight" => ItemState::InFlight,
            "done" => ItemState::Done,
            "failed" => ItemState::Failed,
            "skipped" => ItemState::Skipped,
            _ => return None,
        })
    }
}

/// What a run is: the journal refuses to resume a run with another input or request.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// The input path as the user gave it (shown in messages; the fingerprint decides).
    pub input_path: String,
    /// The fingerprint of the input's bytes.
    pub fingerprint: Fingerprint,
    /// The HTTP method, e.g. `PUT`.
    pub method: String,
    /// The path template with `{userId}`, e.g. `/api/v2/wfm/usersettings/{userId}/schedule`.
    pub path_template: String,
    /// The run's settings as JSON, for `pacer status`. Keys that look like secrets are refused.
    pub settings: serde_json::Value,
}

/// The run as the journal holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    pub input_path: String,
    pub fingerprint: Fingerprint,
    pub method: String,
    pub path_template: String,
    /// The settings JSON of the latest open.
    pub settings: serde_json::Value,
    /// Whether every input item has been inserted ([`ItemLoader::finish`] was called).
    pub items_loaded: bool,
    /// When the run was created, in milliseconds since the Unix epoch.
    pub created_unix_ms: i64,
    /// When the journal last changed, in milliseconds since the Unix epoch; during a run it is
    /// rewritten at most once a second, so it may lag the last change by up to a second.
    pub updated_unix_ms: i64,
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

/// An item still to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingItem {
    /// The 1-based line of the item in the input file.
    pub line: u64,
    pub user_id: String,
    /// Sends begun for this item in all runs so far.
    pub attempts: u32,
    /// The item was in flight when a previous run stopped: the server may already have it.
    pub possibly_sent: bool,
}

/// A failed item with the reason it failed, as the journal holds it and reports list it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FailedItem {
    /// The line of the item in the input file.
    pub line: u64,
    pub user_id: String,
    /// The last HTTP status, `None` when no response came.
    pub status: Option<u16>,
    pub reason: String,
    pub attempts: u32,
    /// The server's `ININ-Correlation-Id` of the last response, for support.
    pub correlation_id: Option<String>,
}

/// How many items are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub total: u64,
    pub pending: u64,
    pub in_flight: u64,
    pub done: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl Counts {
    /// Items that still need a send: pending plus in flight.
    pub fn remaining(&self) -> u64 {
        self.pending + self.in_flight
    }
}

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

/// An open journal. Every method that changes state has committed when it returns.
pub struct Journal {
    conn: Connection,
    path: PathBuf,
    kind: OpenKind,
    possibly_sent_at_open: u64,
    /// When [`Journal::record`] last rewrote the run's `updated_unix_ms`.
    run_touched_ms: std::cell::Cell<i64>,
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
        conn.execute_batch(updates::UPDATES_SCHEMA)
            .map_err(|e| sqlite(path, e))?;
        let existing = read_run(&conn, path)?;
        let now = now_ms();
        let kind = match existing {
            None => {
                insert_run(&conn, spec, &settings, now).map_err(|e| sqlite(path, e))?;
                OpenKind::Created
            }
            Some(_) if restart => {
                conn.prepare_cached("BEGIN IMMEDIATE")
                    .and_then(|mut s| s.execute([]).map(|_| ()))
                    .map_err(|e| sqlite(path, e))?;
                let inserted = conn
                    .execute_batch("DELETE FROM items; DELETE FROM updates; DELETE FROM run;")
                    .and_then(|()| insert_run(&conn, spec, &settings, now));
                finish_tx(
                    &conn,
                    path,
                    inserted.map(|_| ()).map_err(|e| sqlite(path, e)),
                )?;
                OpenKind::Restarted
            }
            Some(run) => {
                if run.fingerprint != spec.fingerprint {
                    return Err(Error::InputChanged {
                        path: path.to_path_buf(),
                        journal_input: run.input_path,
                        journal_fingerprint: run.fingerprint.to_string(),
                        input: spec.input_path.clone(),
                        fingerprint: spec.fingerprint.to_string(),
                    });
                }
                if run.method != spec.method || run.path_template != spec.path_template {
                    return Err(Error::RequestChanged {
                        path: path.to_path_buf(),
                        journal_request: format!("{} {}", run.method, run.path_template),
                        request: format!("{} {}", spec.method, spec.path_template),
                    });
                }
                conn.execute(
                    "UPDATE run SET input_path = ?1, settings = ?2, updated_unix_ms = ?3 WHERE id = 1",
                    params![spec.input_path, settings, now],
                )
                .map_err(|e| sqlite(path, e))?;
                OpenKind::Resumed
            }
        };
        let mut journal = Journal {
            conn,
            path: path.to_path_buf(),
            kind,
            possibly_sent_at_open: 0,
            run_touched_ms: std::cell::Cell::new(now),
            lock,
        };
        journal.possibly_sent_at_open = journal.counts()?.in_flight;
        Ok(journal)
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
        conn.execute_batch(updates::UPDATES_SCHEMA)
            .map_err(|e| sqlite(path, e))?;
        if read_run(&conn, path)?.is_none() {
            return Err(Error::NotAJournal {
                path: path.to_path_buf(),
                detail: "it holds no run".into(),
            });
        }
        let mut journal = Journal {
            conn,
            path: path.to_path_buf(),
            kind: OpenKind::Resumed,
            possibly_sent_at_open: 0,
            run_touched_ms: std::cell::Cell::new(0),
            lock: None,
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

    /// Starts inserting items, in transactions of 10,000.
    pub fn loader(&mut self) -> ItemLoader<'_> {
        ItemLoader {
            journal: self,
            in_transaction: 0,
            pushed: 0,
        }
    }

    /// A cursor over the items to send (pending and in flight), in line order, a page at a time.
    pub fn pending(&self) -> PendingCursor<'_> {
        PendingCursor {
            journal: self,
            buffer: VecDeque::new(),
            after: 0,
            exhausted: false,
        }
    }

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
        self.conn
            .prepare_cached("BEGIN IMMEDIATE")
            .and_then(|mut s| s.execute([]).map(|_| ()))
            .map_err(|e| self.err(e))?;
        let applied = self.apply(changes);
        pacer_crashpoint::hit("journal.batch");
        finish_tx(&self.conn, &self.path, applied)
    }

    fn apply(&self, changes: &[Change<'_>]) -> Result<()> {
        let now = now_ms();
        // Each statement is taken from the cache once per batch, not once per change.
        let mut in_flight = None;
        let mut done = None;
        let mut failed = None;
        let mut skipped = None;
        for change in changes {
            let (line, updated) = match *change {
                Change::InFlight { line } => (
                    line,
                    take(
                        &mut in_flight,
                        self,
                        "UPDATE items SET state = 'in_flight', attempts = attempts + 1,
                             updated_unix_ms = ?2 WHERE line = ?1",
                    )?
                    .execute(params![line as i64, now]),
                ),
                Change::Done {
                    line,
                    status,
                    correlation_id,
                } => (
                    line,
                    take(
                        &mut done,
                        self,
                        "UPDATE items SET state = 'done', status = ?2, reason = NULL,
                             correlation_id = ?3, updated_unix_ms = ?4 WHERE line = ?1",
                    )?
                    .execute(params![
                        line as i64,
                        status,
                        correlation_id,
                        now
                    ]),
                ),
                Change::Failed {
                    line,
                    status,
                    reason,
                    correlation_id,
                } => (
                    line,
                    take(
                        &mut failed,
                        self,
                        "UPDATE items SET state = 'failed', status = ?2, reason = ?3,
                             correlation_id = ?4, updated_unix_ms = ?5 WHERE line = ?1",
                    )?
                    .execute(params![
                        line as i64,
                        status,
                        reason,
                        correlation_id,
                        now
                    ]),
                ),
                Change::Skipped { line, reason } => (
                    line,
                    take(
                        &mut skipped,
                        self,
                        "UPDATE items SET state = 'skipped', status = NULL, reason = ?2,
                             updated_unix_ms = ?3 WHERE line = ?1",
                    )?
                    .execute(params![line as i64, reason, now]),
                ),
            };
            if updated.map_err(|e| self.err(e))? == 0 {
                return Err(Error::UnknownItem {
                    path: self.path.clone(),
                    line,
                });
            }
        }
        // The run's own time of change is kept to within a second: rewriting its row in every
        // batch would add a page to every commit.
        if now.saturating_sub(self.run_touched_ms.get()) >= RUN_TOUCH_EVERY_MS {
            self.cached("UPDATE run SET updated_unix_ms = ?1 WHERE id = 1")?
                .execute(params![now])
                .map_err(|e| self.err(e))?;
            self.run_touched_ms.set(now);
        }
        Ok(())
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

    /// Checkpoints the write-ahead log into the database file and closes it. Dropping a journal
    /// without calling this loses nothing: every change is already committed.
    pub fn close(self) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .map_err(|e| sqlite(&self.path, e))?;
        let path = self.path.clone();
        self.conn.close().map_err(|(_, e)| sqlite(&path, e))
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

    fn cached(&self, sql: &str) -> Result<rusqlite::CachedStatement<'_>> {
        self.conn.prepare_cached(sql).map_err(|e| self.err(e))
    }

    fn err(&self, source: rusqlite::Error) -> Error {
        sqlite(&self.path, source)
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
            journal
                .conn
                .prepare_cached("BEGIN IMMEDIATE")
                .and_then(|mut s| s.execute([]).map(|_| ()))
                .map_err(|e| journal.err(e))?;
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
            self.journal
                .conn
                .prepare_cached("COMMIT")
                .and_then(|mut s| s.execute([]).map(|_| ()))
                .map_err(|e| self.journal.err(e))?;
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

/// Locks the journal file for a run (an advisory lock, apart from SQLite's own), or refuses with
/// [`Error::InUse`] when another run holds it. Where the file system has no such locks the run goes
/// on without one.
fn lock_run(path: &Path) -> Result<Option<std::fs::File>> {
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

fn configure(conn: &Connection, path: &Path) -> Result<()> {
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
fn ensure_schema(conn: &Connection, path: &Path) -> Result<()> {
    if check_identity(conn, path, true)? {
        return Ok(());
    }
    conn.execute_batch(&format!(
        "BEGIN IMMEDIATE; {SCHEMA} PRAGMA application_id = {APPLICATION_ID}; \
         PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
    ))
    .map_err(|e| sqlite(path, e))
}

/// Returns true for a journal of this version, false for an empty database (when
/// `empty_ok`), and an error for anything else.
fn check_identity(conn: &Connection, path: &Path, empty_ok: bool) -> Result<bool> {
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

fn read_run(conn: &Connection, path: &Path) -> Result<Option<RunInfo>> {
    let row = conn
        .query_row(
            "SELECT input_path, input_size, input_sha256, method, path_template, settings,
                    items_loaded, created_unix_ms, updated_unix_ms FROM run WHERE id = 1",
            [],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, i64>(6)?,
                    row.get::<_, i64>(7)?,
                    row.get::<_, i64>(8)?,
                ))
            },
        )
        .optional()
        .map_err(|e| sqlite(path, e))?;
    let Some((input_path, size, sha, method, path_template, settings, loaded, created, updated)) =
        row
    else {
        return Ok(None);
    };
    let fingerprint =
        Fingerprint::parse(&format!("size:{size},sha256:{sha}")).ok_or_else(|| {
            Error::NotAJournal {
                path: path.to_path_buf(),
                detail: "its input fingerprint is damaged".into(),
            }
        })?;
    let settings = serde_json::from_str(&settings).unwrap_or(serde_json::Value::Null);
    Ok(Some(RunInfo {
        input_path,
        fingerprint,
        method,
        path_template,
        settings,
        items_loaded: loaded != 0,
        created_unix_ms: created,
        updated_unix_ms: updated,
    }))
}

/// The statement in `slot`, taken from the journal's cache the first time it is needed.
fn take<'c, 'j>(
    slot: &'c mut Option<rusqlite::CachedStatement<'j>>,
    journal: &'j Journal,
    sql: &str,
) -> Result<&'c mut rusqlite::CachedStatement<'j>> {
    if slot.is_none() {
        *slot = Some(journal.cached(sql)?);
    }
    Ok(slot.as_mut().expect("the slot was just filled"))
}

/// Commits when `outcome` is Ok and rolls back otherwise, returning the first error.
fn finish_tx(conn: &Connection, path: &Path, outcome: Result<()>) -> Result<()> {
    match outcome {
        Ok(()) => conn
            .prepare_cached("COMMIT")
            .and_then(|mut s| s.execute([]).map(|_| ()))
            .map_err(|e| {
                let _ = conn.execute_batch("ROLLBACK");
                sqlite(path, e)
            }),
        Err(err) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(err)
        }
    }
}

/// Refuses settings whose keys look like they hold a secret, at any depth.
fn check_no_secrets(value: &serde_json::Value) -> Result<()> {
    const SECRET_WORDS: &[&str] = &[
        "secret",
        "password",
        "passwd",
        "authorization",
        "access_token",
        "accesstoken",
        "bearer",
        "apikey",
        "api_key",
        "credential",
    ];
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                let lower = key.to_ascii_lowercase();
                if SECRET_WORDS.iter().any(|word| lower.contains(word)) {
                    return Err(Error::SecretInSettings { key: key.clone() });
                }
                check_no_secrets(inner)?;
            }
            Ok(())
        }
        serde_json::Value::Array(items) => items.iter().try_for_each(check_no_secrets),
        _ => Ok(()),
    }
}

fn sqlite(path: &Path, source: rusqlite::Error) -> Error {
    Error::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

/// Maps SQLite's "file is not a database" to [`Error::NotAJournal`].
fn classify(path: &Path, source: rusqlite::Error) -> Error {
    match source.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => Error::NotAJournal {
            path: path.to_path_buf(),
            detail: "the file is not an SQLite database".into(),
        },
        _ => sqlite(path, source),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
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

    #[test]
    fn secret_looking_settings_keys_are_refused_at_any_depth() {
        let ok = serde_json::json!({"tokens": 4, "client_id": "abc", "rate": {"per_min": 300}});
        assert!(check_no_secrets(&ok).is_ok());
        let bad = serde_json::json!({"auth": {"client_secret": "x"}});
        assert!(
            matches!(check_no_secrets(&bad), Err(Error::SecretInSettings { key }) if key == "client_secret")
        );
        let bad = serde_json::json!([{"Authorization": "Bearer x"}]);
        assert!(check_no_secrets(&bad).is_err());
    }

    #[test]
    fn item_states_round_trip_through_their_names() {
        for state in [
            ItemState::Pending,
            ItemState::InFlight,
            ItemState::Done,
            ItemState::Failed,
            ItemState::Skipped,
        ] {
            assert_eq!(ItemState::parse(state.as_str()), Some(state));
        }
    }
}
