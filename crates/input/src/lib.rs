//! The input of `pacer apply`: CSV or JSON Lines, validated whole, then streamed row by row.
//!
//! Two passes over the file, each in constant memory (apart from 16 bytes per row for the
//! duplicate check):
//!
//! 1. [`Input::validate`] reads every row and reports every problem as a [`Finding`] printed as
//!    `file:line:column: reason`, where column is the 1-based column index for CSV and the JSON
//!    field path (or the character column of a syntax error) for JSON Lines. Duplicate agents are
//!    found by keeping each row's agent as a `u128` (its userId, else the first 128 bits of the
//!    SHA-256 of its lowercased e-mail, else of its lowercased name), sorting, and rereading the
//!    file for their lines only when there are any.
//! 2. [`Input::rows`] rereads the file and yields each row as [`Item::Valid`] (line, agent,
//!    request body) or [`Item::Invalid`] (line, raw agent, reasons), so that `--skip-invalid` can
//!    send the valid rows and journal the rest as skipped. [`Input::write_rejects`] writes the
//!    invalid rows to a CSV file (`line,reason,raw`).
//!
//! # Formats
//!
//! Chosen by extension (`.csv`; `.jsonl` or `.ndjson`) or explicitly with [`Format`].
//!
//! **CSV**: a header row, then one row per agent (or, where agents may repeat, per shift,
//! activity or day off). Fields are trimmed. Columns are matched by exact, case-sensitive name;
//! unknown and repeated names are errors. Either
//! - `userId,schedule`: `schedule` holds the request body as JSON; or
//! - `userId,weekDate,startDate,lengthMinutes[,activityCodeId[,description]]` (in any order):
//!   one shift. `weekDate` is `YYYY-MM-DD`, `startDate` an RFC 3339 date-time, `lengthMinutes`
//!   1..1440. With `activityCodeId` the shift holds one activity spanning it, with `description`
//!   when that cell is not empty; without it the shift has no activities. The body sent is
//!   `{"weekDate":..,"shifts":[{"startDate":..,"lengthMinutes":..,"activities":[..]}]}`; or
//! - the same with `shiftStart,shiftLengthMinutes` (both, and `activityCodeId`), the layout of
//!   the exported spreadsheet: each row is ONE ACTIVITY of the shift that starts at `shiftStart`
//!   and lasts `shiftLengthMinutes`. `startDate` and `lengthMinutes` are the activity's,
//!   `activityCodeId` its code (required), `description` optional. The body sent is
//!   `{"weekDate":..,"shifts":[{"startDate":shiftStart,"lengthMinutes":shiftLengthMinutes,
//!   "activities":[{"startDate":..,"lengthMinutes":..,"activityCodeId":..,"description":..}]}]}`
//!   (no `description` when its cell is empty). The schedule update merges the rows of one agent,
//!   week and `shiftStart` into one shift.
//!
//! In either shift layout, a row whose `startDate` is a date alone (`YYYY-MM-DD`) and whose
//! `shiftStart` and `shiftLengthMinutes` are empty (or absent) is a **full day of time off** on
//! that business-unit date: `lengthMinutes` its paid minutes (0..1440), `activityCodeId` its
//! time-off code (required), `description` optional. Its body is
//! `{"weekDate":..,"shifts":[],"fullDayTimeOffMarkers":[{"businessUnitDate":..,
//! "lengthMinutes":..,"activityCodeId":..,"description":..}]}`. A week of one agent: a shift of
//! Work, Break, Work, and a paid day off.
//!
//! ```text
//! email,weekDate,shiftStart,shiftLengthMinutes,startDate,lengthMinutes,activityCodeId,description
//! ann@example.com,2026-12-07,2026-12-07T08:00,480,2026-12-07T08:00,240,work,Work
//! ann@example.com,2026-12-07,2026-12-07T08:00,480,2026-12-07T12:00,30,break,Break
//! ann@example.com,2026-12-07,2026-12-07T08:00,480,2026-12-07T12:30,210,work,Work
//! ann@example.com,2026-12-07,,,2026-12-09,480,vacation,Holiday
//! ```
//!
//! (That example needs [`Input::allowing_agent_keys`] for its `email` column,
//! [`Input::allowing_wall_clock`] for its starts without an offset, and
//! [`Input::allowing_repeated_agents`]: what the schedule update allows.) Each problem of a row
//! is reported on its own column: `shiftStart` and `shiftLengthMinutes` as well.
//!
//! **JSON Lines**: one object per line, `{"userId": "...", "schedule": {...}}`, and no other keys.
//! Blank lines are ignored. The body sent is the `schedule` value, compact. For another per-agent
//! route (`--path`), a line may hold `body` instead of `schedule`: any JSON object, sent as given.
//! A schedule may hold `fullDayTimeOffMarkers` as above.
//!
//! **Agents by e-mail or name**: in an input that allows them ([`Input::allowing_agent_keys`]),
//! a CSV header may have `email` and `name` columns, and a line `"email"` and `"name"` keys,
//! besides or instead of `userId` (the header needs at least one of the three). Each row needs
//! at least one of them not empty; a userId must be a UUID, an e-mail must have one `@` with text
//! on both sides and no whitespace, a name is any text. A row is known in reports by its userId,
//! else its e-mail, else its name ([`Row::user_id`]); [`Row::key`] holds every key it gives.
//! Without it, these are unknown columns and keys like any other.
//!
//! Schedules are checked by `pacer_genesys::parse_schedule`'s rules, the same the emulator
//! applies, with start times as [`Input::allowing_wall_clock`] says (`shiftStart` as
//! `startDate`); userIds must be UUIDs (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hex digits, any
//! case).

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use pacer_genesys::Starts;
use pacer_journal::Hasher;

/// The format of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    /// The format an extension implies: `.csv`, `.jsonl` or `.ndjson` (any case).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            _ => None,
        }
    }
}

mod checks;
mod findings;
mod header;
mod jsonl;
mod keys;
mod layout;
mod records;
mod shift_cells;
#[cfg(test)]
mod tests;
mod validate;

use checks::*;
pub use findings::{Column, Finding, InputError, Validation};
use header::*;
use jsonl::*;
use keys::*;
use layout::*;
use records::*;
use shift_cells::*;

/// A row as the second pass yields it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A row to send: `body` is the JSON request body.
    Valid(Row),
    /// A row that must not be sent, with the reasons joined by `; `.
    Invalid {
        line: u64,
        user_id: String,
        reason: String,
    },
}

/// A valid row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: u64,
    /// The userId as written; when the row names its agent only by e-mail or name, that key as
    /// written (what reports and the journal show until the agent is resolved).
    pub user_id: String,
    pub body: Vec<u8>,
    /// Every key the row names its agent by.
    pub key: AgentKey,
}

/// How a row names its agent: by `userId`, `email` or `name`, at least one (the last two only in
/// an input that allows them); a row with several names one agent, which the schedule update
/// checks once the keys are resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentKey {
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
}

impl AgentKey {
    /// A key of a userId alone.
    pub fn user_id(user_id: impl Into<String>) -> AgentKey {
        AgentKey {
            user_id: Some(user_id.into()),
            ..AgentKey::default()
        }
    }
}

/// An input file and its format; cheap to keep, every pass reopens the file.
#[derive(Debug, Clone)]
pub struct Input {
    path: PathBuf,
    display: String,
    format: Format,
    /// Whether an agent may appear on several rows (see [`Input::allowing_repeated_agents`]).
    repeats: bool,
    /// What start times a schedule may hold (see [`Input::allowing_wall_clock`]).
    starts: Starts,
    /// Whether a row may name its agent by e-mail or name (see [`Input::allowing_agent_keys`]).
    keyed: bool,
}

impl Input {
    /// Checks that `path` can be opened and that its format is known (given or from the
    /// extension).
    pub fn open(path: &Path, format: Option<Format>) -> Result<Input, InputError> {
        File::open(path).map_err(|source| InputError::Read {
            path: path.into(),
            source,
        })?;
        let format = match format.or_else(|| Format::from_path(path)) {
            Some(format) => format,
            None => return Err(InputError::UnknownFormat { path: path.into() }),
        };
        Ok(Input {
            path: path.into(),
            display: path.display().to_string(),
            format,
            repeats: false,
            starts: Starts::Instants,
            keyed: false,
        })
    }

    /// Lets an agent appear on several rows: the schedule update merges an agent's rows (one
    /// shift a row, or one week a row) into its schedule, so a repeated agent is no duplicate.
    pub fn allowing_repeated_agents(mut self) -> Input {
        self.repeats = true;
        self
    }

    /// Lets a start time be a wall-clock time without an offset (`2026-11-03T09:00`): the
    /// schedule update reads it in the business unit's zone once the unit is known.
    pub fn allowing_wall_clock(mut self) -> Input {
        self.starts = Starts::WallClockToo;
        self
    }

    /// Lets a row name its agent by `email` or `name` (CSV columns, JSON Lines keys) besides or
    /// instead of its `userId`: the schedule update resolves them to userIds before it sends.
    pub fn allowing_agent_keys(mut self) -> Input {
        self.keyed = true;
        self
    }

    /// The second pass: every data row in file order, valid or not.
    pub fn rows<'v>(&self, validation: &'v Validation) -> Result<Rows<'v>, InputError> {
        let mut records = self.records()?;
        if !validation.fatal {
            self.skip_header(&mut records)?;
        }
        Ok(Rows {
            records,
            validation,
            done: validation.fatal,
        })
    }

    /// Writes the invalid rows to `rejects` as CSV with the header `line,reason,raw`, where `raw`
    /// is the row as read (a CSV row re-encoded, a JSON line as is); returns how many rows.
    pub fn write_rejects(
        &self,
        validation: &Validation,
        rejects: &Path,
    ) -> Result<u64, InputError> {
        let wrap = |source: std::io::Error| InputError::Rejects {
            path: rejects.into(),
            source,
        };
        let file = File::create(rejects).map_err(wrap)?;
        let mut out = csv::Writer::from_writer(std::io::BufWriter::new(file));
        let csv_err = |e: csv::Error| wrap(std::io::Error::other(e));
        out.write_record(["line", "reason", "raw"])
            .map_err(csv_err)?;
        let mut written = 0;
        let mut rows = self.rows(validation)?;
        while let Some((item, raw)) = rows.next_with_raw()? {
            if let Item::Invalid { line, reason, .. } = item {
                out.write_record([line.to_string().as_bytes(), reason.as_bytes(), &raw])
                    .map_err(csv_err)?;
                written += 1;
            }
        }
        out.into_inner()
            .map_err(|e| wrap(e.into_error()))?
            .flush()
            .map_err(wrap)?;
        Ok(written)
    }

    fn records(&self) -> Result<Records, InputError> {
        let file = File::open(&self.path).map_err(|source| InputError::Read {
            path: self.path.clone(),
            source,
        })?;
        // A small file gets a small buffer: 256 KiB for each of several passes costs more than
        // reading a file of a few rows.
        let size = file.metadata().map_or(u64::MAX, |m| m.len());
        let capacity = size.saturating_add(1).clamp(8 * 1024, 256 * 1024) as usize;
        let file = HashingFile {
            file,
            hasher: Hasher::new(),
        };
        let reader = BufReader::with_capacity(capacity, file);
        Ok(match self.format {
            Format::Csv => Records::Csv {
                reader: csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .trim(csv::Trim::All)
                    .from_reader(reader),
                path: self.path.clone(),
            },
            Format::JsonLines => Records::Lines {
                reader,
                line: 0,
                path: self.path.clone(),
            },
        })
    }

    /// Reads the header (CSV) and works out the layout, or returns the file-level findings.
    fn layout(&self, records: &mut Records) -> Result<Result<Layout, Vec<Finding>>, InputError> {
        let at = |column: u64, reason: String| Finding {
            file: self.display.clone(),
            line: 1,
            column: Column::Index(column),
            reason,
        };
        match self.format {
            Format::JsonLines => {
                if std::fs::metadata(&self.path)
                    .map_err(|source| InputError::Read {
                        path: self.path.clone(),
                        source,
                    })?
                    .len()
                    == 0
                {
                    return Ok(Err(vec![at(1, "the file is empty".into())]));
                }
                Ok(Ok(Layout::JsonLines { keyed: self.keyed }))
            }
            Format::Csv => {
                let Some(header) = records.next()? else {
                    return Ok(Err(vec![at(1, "the file is empty".into())]));
                };
                let RawRow::Csv(fields) = header.row else {
                    unreachable!("a CSV reader yields CSV rows")
                };
                Ok(csv_layout(&fields, self.keyed).map_err(|problems| {
                    problems
                        .into_iter()
                        .map(|(column, reason)| Finding {
                            file: self.display.clone(),
                            line: header.line,
                            column,
                            reason,
                        })
                        .collect()
                }))
            }
        }
    }

    fn skip_header(&self, records: &mut Records) -> Result<(), InputError> {
        if self.format == Format::Csv && records.next()?.is_none() {
            return Err(InputError::Changed {
                path: self.path.clone(),
                what: "it is now empty".into(),
            });
        }
        Ok(())
    }
}

/// The second pass's iterator; see [`Input::rows`].
pub struct Rows<'v> {
    records: Records,
    validation: &'v Validation,
    done: bool,
}

impl Rows<'_> {
    fn next_with_raw(&mut self) -> Result<Option<(Item, Vec<u8>)>, InputError> {
        Ok(self
            .next_with_record()?
            .map(|(item, record)| (item, record.raw())))
    }

    /// The next item with the record it came from, whose raw text is only built when asked for.
    fn next_with_record(&mut self) -> Result<Option<(Item, Record)>, InputError> {
        if self.done {
            return Ok(None);
        }
        let Some(record) = self.records.next()? else {
            self.done = true;
            // Every pass reads the bytes that were validated, or says so at its end.
            if !self.validation.fatal && self.records.fingerprint() != self.validation.fingerprint {
                return Err(InputError::Changed {
                    path: self.records.path().to_path_buf(),
                    what:
                        "its content differs from what was validated; run again to validate it anew"
                            .into(),
                });
            }
            return Ok(None);
        };
        // A file that validated clean is reread lightly: every row was checked in the first
        // pass, and this pass's bytes are compared with those at its end. A row that does not
        // read as the first pass saw it gets the full check again.
        if self.validation.is_clean()
            && let Some((key, body)) = self.validation.layout.reread(&record)
        {
            let item = Item::Valid(Row {
                line: record.line,
                user_id: key.shown().to_string(),
                body,
                key,
            });
            return Ok(Some((item, record)));
        }
        let checked = self
            .validation
            .layout
            .check_with(&record, self.validation.starts);
        let mut reasons: Vec<String> = checked
            .problems
            .iter()
            .map(|(column, reason)| format!("column {column}: {reason}"))
            .collect();
        if checked
            .id
            .is_some_and(|id| self.validation.duplicates.contains(&id))
        {
            reasons.push(format!("duplicate agent {}", checked.key.shown()));
        }
        let user_id = checked.key.shown().to_string();
        let item = match (reasons.is_empty(), checked.body) {
            (true, Some(body)) => Item::Valid(Row {
                line: record.line,
                user_id,
                body,
                key: checked.key,
            }),
            _ => Item::Invalid {
                line: record.line,
                user_id,
                reason: reasons.join("; "),
            },
        };
        Ok(Some((item, record)))
    }
}

impl Iterator for Rows<'_> {
    type Item = Result<Item, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_with_record()
            .map(|found| found.map(|(item, _)| item))
            .transpose()
    }
}
