//! The one error type of the journal crate.

use std::path::PathBuf;

/// Everything that can go wrong while fingerprinting an input or using a journal.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input file could not be read while computing its fingerprint.
    #[error("cannot read input {path} to fingerprint it")]
    Input {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// `open_existing` was given a path where no journal file exists.
    #[error("no journal at {path}")]
    Missing { path: PathBuf },

    /// SQLite failed; the message names the journal file.
    #[error("journal {path}: sqlite error")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    /// The file is an SQLite database but not a journal this version can read.
    #[error("{path} is not a pacer journal ({detail})")]
    NotAJournal { path: PathBuf, detail: String },

    /// The journal was made for another input file, or the file changed since.
    #[error(
        "journal {path} belongs to another input: it was made for {journal_input} ({journal_fingerprint}) \
         and this input is {input} ({fingerprint}); rerun with --restart to discard it and start over, \
         or pass another --journal"
    )]
    InputChanged {
        path: PathBuf,
        journal_input: String,
        journal_fingerprint: String,
        input: String,
        fingerprint: String,
    },

    /// The journal was made for another request (method or path template).
    #[error(
        "journal {path} was made for `{journal_request}` and this run sends `{request}`; \
         rerun with --restart to discard it and start over, or pass another --journal"
    )]
    RequestChanged {
        path: PathBuf,
        journal_request: String,
        request: String,
    },

    /// The run's settings hold a key that looks like a secret; the journal never stores secrets.
    #[error("settings key `{key}` looks like a secret and the journal never stores secrets")]
    SecretInSettings { key: String },

    /// The settings could not be serialized to JSON.
    #[error("cannot serialize the run settings")]
    Settings(#[source] serde_json::Error),

    /// Another run holds the journal: two runs on one journal could send an item twice.
    #[error(
        "journal {path} is in use by another run of pacer; wait for it to finish, or pass another --journal"
    )]
    InUse { path: PathBuf },

    /// An item was addressed by a line number the journal does not hold.
    #[error("journal {path} holds no item for input line {line}")]
    UnknownItem { path: PathBuf, line: u64 },
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
