//! What validation finds: the input's errors, a finding's place (line and column), and the
//! validation's result that the second pass reads the file with.

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;

use pacer_journal::Fingerprint;

use super::*;

/// A failure that stops reading the input at all (as opposed to a [`Finding`] about its content).
#[derive(Debug)]
pub enum InputError {
    /// The file cannot be opened or read.
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The format cannot be told from the extension.
    UnknownFormat { path: PathBuf },
    /// The rejects file cannot be written.
    Rejects {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file changed between the validation pass and a later pass.
    Changed { path: PathBuf, what: String },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Read { path, .. } => write!(f, "cannot read {}", path.display()),
            InputError::UnknownFormat { path } => write!(
                f,
                "cannot tell the format of {}: name it .csv, .jsonl or .ndjson, or pass --format csv|jsonl",
                path.display()
            ),
            InputError::Rejects { path, .. } => {
                write!(f, "cannot write the rejects file {}", path.display())
            }
            InputError::Changed { path, what } => {
                write!(
                    f,
                    "{} changed while pacer was reading it: {what}",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for InputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InputError::Read { source, .. } | InputError::Rejects { source, .. } => Some(source),
            InputError::UnknownFormat { .. } | InputError::Changed { .. } => None,
        }
    }
}

/// Where in a row a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// A 1-based column index (CSV) or character column (a JSON syntax error).
    Index(u64),
    /// A JSON field path such as `schedule.shifts[0].startDate` (JSON Lines).
    Field(String),
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Column::Index(n) => write!(f, "{n}"),
            Column::Field(path) => f.write_str(path),
        }
    }
}

/// One problem in the input, printed as `file:line:column: reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file as the user named it.
    pub file: String,
    /// The 1-based line where the row starts.
    pub line: u64,
    pub column: Column,
    pub reason: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.reason
        )
    }
}

/// The outcome of [`Input::validate`].
#[derive(Debug, Clone)]
pub struct Validation {
    /// Data rows read (the header and blank lines excluded).
    pub rows_total: u64,
    /// Rows that can be sent.
    pub rows_valid: u64,
    /// Rows with at least one finding, duplicates included.
    pub rows_invalid: u64,
    /// Findings reported, file-level ones included.
    pub findings: u64,
    /// A problem with the file as a whole (empty, bad header): no row can be sent, even with
    /// `--skip-invalid`.
    pub fatal: bool,
    /// The fingerprint of the bytes validated (the whole file, unless it is `fatal`): the journal
    /// records it, and every later pass must read the same bytes.
    pub fingerprint: Fingerprint,
    pub(super) layout: Layout,
    /// userIds that appear on more than one row: every row of such an agent is invalid, since
    /// pacer cannot tell which of the schedules is meant.
    pub(super) duplicates: HashSet<u128>,
    /// What start times the rows were checked with, for the second pass.
    pub(super) starts: pacer_genesys::Starts,
}

impl Validation {
    /// True when every row is valid and the file is not empty: the run may start.
    pub fn is_clean(&self) -> bool {
        !self.fatal && self.findings == 0 && self.rows_total > 0
    }
}
