//! The input of `pacer apply`: CSV or JSON Lines, validated whole, then streamed row by row.
//!
//! Two passes over the file, each in constant memory (apart from 16 bytes per row for the
//! duplicate check):
//!
//! 1. [`Input::validate`] reads every row and reports every problem as a [`Finding`] printed as
//!    `file:line:column: reason`, where column is the 1-based column index for CSV and the JSON
//!    field path (or the character column of a syntax error) for JSON Lines. Duplicate agents are
//!    found by keeping each userId as a `u128`, sorting, and rereading the file for their lines
//!    only when there are any.
//! 2. [`Input::rows`] rereads the file and yields each row as [`Item::Valid`] (line, userId,
//!    request body) or [`Item::Invalid`] (line, raw userId, reasons), so that `--skip-invalid` can
//!    send the valid rows and journal the rest as skipped. [`Input::write_rejects`] writes the
//!    invalid rows to a CSV file (`line,reason,raw`).
//!
//! # Formats
//!
//! Chosen by extension (`.csv`; `.jsonl` or `.ndjson`) or explicitly with [`Format`].
//!
//! **CSV**: a header row, then one row per agent. Fields are trimmed. Columns are matched by
//! exact, case-sensitive name; unknown and repeated names are errors. Either
//! - `userId,schedule`: `schedule` holds the request body as JSON; or
//! - `userId,weekDate,startDate,lengthMinutes[,activityCodeId[,description]]` (in any order):
//!   one shift. `weekDate` is `YYYY-MM-DD`, `startDate` an RFC 3339 date-time, `lengthMinutes`
//!   1..1440. With `activityCodeId` the shift holds one activity spanning it, with `description`
//!   when that cell is not empty; without it the shift has no activities. The body sent is
//!   `{"weekDate":..,"shifts":[{"startDate":..,"lengthMinutes":..,"activities":[..]}]}`.
//!
//! **JSON Lines**: one object per line, `{"userId": "...", "schedule": {...}}`, and no other keys.
//! Blank lines are ignored. The body sent is the `schedule` value, compact. For another per-agent
//! route (`--path`), a line may hold `body` instead of `schedule`: any JSON object, sent as given.
//!
//! Schedules are checked by `pacer_genesys::parse_schedule`'s rules, the same the emulator
//! applies; userIds must be UUIDs (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hex digits, any case).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use pacer_genesys::{Activity, Schedule, ScheduleError, Shift};
use pacer_journal::{Fingerprint, Hasher};
use serde_json::Value;

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
    layout: Layout,
    /// userIds that appear on more than one row: every row of such an agent is invalid, since
    /// pacer cannot tell which of the schedules is meant.
    duplicates: HashSet<u128>,
}

impl Validation {
    /// True when every row is valid and the file is not empty: the run may start.
    pub fn is_clean(&self) -> bool {
        !self.fatal && self.findings == 0 && self.rows_total > 0
    }
}

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
    pub user_id: String,
    pub body: Vec<u8>,
}

/// An input file and its format; cheap to keep, every pass reopens the file.
#[derive(Debug, Clone)]
pub struct Input {
    path: PathBuf,
    display: String,
    format: Format,
    /// Whether an agent may appear on several rows (see [`Input::allowing_repeated_agents`]).
    repeats: bool,
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
        })
    }

    /// Lets an agent appear on several rows: the schedule update merges an agent's rows (one
    /// shift a row, or one week a row) into its schedule, so a repeated agent is no duplicate.
    pub fn allowing_repeated_agents(mut self) -> Input {
        self.repeats = true;
        self
    }

    /// The first pass: reports every finding to `report` (in line order, then duplicates) and
    /// returns the counts that decide whether the run may start.
    pub fn validate(&self, report: &mut dyn FnMut(&Finding)) -> Result<Validation, InputError> {
        let mut records = self.records()?;
        let mut findings = 0u64;
        let mut emit = |finding: Finding| {
            findings += 1;
            report(&finding);
        };
        let layout = match self.layout(&mut records)? {
            Ok(layout) => layout,
            Err(fatal) => {
                for finding in fatal {
                    emit(finding);
                }
                let fingerprint = records.fingerprint();
                return Ok(Validation {
                    rows_total: 0,
                    rows_valid: 0,
                    rows_invalid: 0,
                    findings,
                    fatal: true,
                    fingerprint,
                    layout: Layout::JsonLines,
                    duplicates: HashSet::new(),
                });
            }
        };
        let mut ids: Vec<u128> = Vec::new();
        let mut rows_total = 0u64;
        let mut rows_invalid = 0u64;
        while let Some(record) = records.next()? {
            rows_total += 1;
            let checked = layout.check(&record);
            if let Some(id) = checked.id {
                ids.push(id);
            }
            if !checked.problems.is_empty() {
                rows_invalid += 1;
                for (column, reason) in checked.problems {
                    emit(Finding {
                        file: self.display.clone(),
                        line: record.line,
                        column,
                        reason,
                    });
                }
            }
        }
        let fingerprint = records.fingerprint();
        if rows_total == 0 {
            let reason = match self.format {
                Format::Csv => "the file has a header but no rows",
                Format::JsonLines => "the file is empty",
            };
            emit(Finding {
                file: self.display.clone(),
                line: 1,
                column: Column::Index(1),
                reason: reason.into(),
            });
            return Ok(Validation {
                rows_total,
                rows_valid: 0,
                rows_invalid: 0,
                findings,
                fatal: true,
                fingerprint,
                layout,
                duplicates: HashSet::new(),
            });
        }

        ids.sort_unstable();
        let duplicates: HashSet<u128> = if self.repeats {
            HashSet::new()
        } else {
            ids.windows(2)
                .filter(|w| w[0] == w[1])
                .map(|w| w[0])
                .collect()
        };
        drop(ids);

        if !duplicates.is_empty() {
            // Reread the file to name the lines of each duplicate agent.
            let mut records = self.records()?;
            self.skip_header(&mut records)?;
            let mut first_line: HashMap<u128, u64> = HashMap::new();
            while let Some(record) = records.next()? {
                let checked = layout.check(&record);
                let Some(id) = checked.id.filter(|id| duplicates.contains(id)) else {
                    continue;
                };
                match first_line.get(&id) {
                    None => {
                        first_line.insert(id, record.line);
                        if checked.problems.is_empty() {
                            rows_invalid += 1;
                        }
                    }
                    Some(first) => {
                        if checked.problems.is_empty() {
                            rows_invalid += 1;
                        }
                        emit(Finding {
                            file: self.display.clone(),
                            line: record.line,
                            column: layout.user_column(),
                            reason: format!(
                                "duplicate agent {}: also on line {first}; each agent may appear once",
                                checked.user_id
                            ),
                        });
                    }
                }
            }
        }

        Ok(Validation {
            rows_total,
            rows_valid: rows_total - rows_invalid,
            rows_invalid,
            findings,
            fatal: false,
            fingerprint,
            layout,
            duplicates,
        })
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
        let file = HashingFile {
            file,
            hasher: Hasher::new(),
        };
        let reader = BufReader::with_capacity(256 * 1024, file);
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
                Ok(Ok(Layout::JsonLines))
            }
            Format::Csv => {
                let Some(header) = records.next()? else {
                    return Ok(Err(vec![at(1, "the file is empty".into())]));
                };
                let RawRow::Csv(fields) = header.row else {
                    unreachable!("a CSV reader yields CSV rows")
                };
                Ok(csv_layout(&fields).map_err(|problems| {
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
            && let Some((user_id, body)) = self.validation.layout.reread(&record)
        {
            let item = Item::Valid(Row {
                line: record.line,
                user_id,
                body,
            });
            return Ok(Some((item, record)));
        }
        let checked = self.validation.layout.check(&record);
        let mut reasons: Vec<String> = checked
            .problems
            .iter()
            .map(|(column, reason)| format!("column {column}: {reason}"))
            .collect();
        if checked
            .id
            .is_some_and(|id| self.validation.duplicates.contains(&id))
        {
            reasons.push(format!("duplicate agent {}", checked.user_id));
        }
        let item = match (reasons.is_empty(), checked.body) {
            (true, Some(body)) => Item::Valid(Row {
                line: record.line,
                user_id: checked.user_id,
                body,
            }),
            _ => Item::Invalid {
                line: record.line,
                user_id: checked.user_id,
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

/// How a row is laid out, from the CSV header or the JSON Lines format.
#[derive(Debug, Clone)]
enum Layout {
    JsonLines,
    /// `userId,schedule`: indexes are 0-based.
    CsvJson {
        width: usize,
        user: usize,
        schedule: usize,
    },
    /// One shift in columns: indexes are 0-based.
    CsvShift {
        width: usize,
        user: usize,
        week_date: usize,
        start_date: usize,
        length: usize,
        code: Option<usize>,
        description: Option<usize>,
    },
}

const CSV_COLUMNS: &[&str] = &[
    "userId",
    "schedule",
    "weekDate",
    "startDate",
    "lengthMinutes",
    "activityCodeId",
    "description",
];

/// Works out the layout from the header row, or lists every problem with it.
fn csv_layout(header: &csv::ByteRecord) -> Result<Layout, Vec<(Column, String)>> {
    let mut problems = Vec::new();
    let mut found: HashMap<&'static str, usize> = HashMap::new();
    for (i, raw) in header.iter().enumerate() {
        let column = Column::Index(i as u64 + 1);
        // A UTF-8 byte order mark may open the file.
        let raw = if i == 0 {
            raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw)
        } else {
            raw
        };
        let Ok(name) = std::str::from_utf8(raw) else {
            problems.push((column, "the column name is not UTF-8".into()));
            continue;
        };
        match CSV_COLUMNS.iter().find(|known| **known == name) {
            Some(known) => {
                if found.insert(known, i).is_some() {
                    problems.push((column, format!("the column `{name}` appears twice")));
                }
            }
            None => {
                let hint = CSV_COLUMNS
                    .iter()
                    .find(|known| known.eq_ignore_ascii_case(name))
                    .map(|known| format!(" (did you mean `{known}`? names are case-sensitive)"))
                    .unwrap_or_default();
                problems.push((
                    column,
                    format!(
                        "unknown column `{name}`{hint}; expected {}",
                        CSV_COLUMNS.join(", ")
                    ),
                ));
            }
        }
    }
    let width = header.len();
    let user = found.get("userId").copied();
    if user.is_none() {
        let names: Vec<String> = header
            .iter()
            .map(|raw| String::from_utf8_lossy(raw).into_owned())
            .collect();
        problems.push((
            Column::Index(1),
            format!(
                "the header has no userId column (it has: {})",
                names.join(", ")
            ),
        ));
    }
    let shift_columns = [
        "weekDate",
        "startDate",
        "lengthMinutes",
        "activityCodeId",
        "description",
    ];
    let has_shift = shift_columns.iter().any(|name| found.contains_key(name));
    let schedule = found.get("schedule").copied();
    match (schedule, has_shift) {
        (Some(at), true) => problems.push((
            Column::Index(at as u64 + 1),
            "use either a schedule column (JSON) or shift columns, not both".into(),
        )),
        (None, false) => problems.push((
            Column::Index(width as u64 + 1),
            "the header needs a schedule column (JSON) or the columns weekDate, startDate, \
             lengthMinutes[, activityCodeId, description]"
                .into(),
        )),
        (None, true) => {
            for required in ["weekDate", "startDate", "lengthMinutes"] {
                if !found.contains_key(required) {
                    problems.push((
                        Column::Index(width as u64 + 1),
                        format!("the shift columns need a `{required}` column"),
                    ));
                }
            }
            if found.contains_key("description") && !found.contains_key("activityCodeId") {
                problems.push((
                    Column::Index(found["description"] as u64 + 1),
                    "a description column needs an activityCodeId column".into(),
                ));
            }
        }
        (Some(_), false) => {}
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let user = user.expect("checked above");
    Ok(match schedule {
        Some(schedule) => Layout::CsvJson {
            width,
            user,
            schedule,
        },
        None => Layout::CsvShift {
            width,
            user,
            week_date: found["weekDate"],
            start_date: found["startDate"],
            length: found["lengthMinutes"],
            code: found.get("activityCodeId").copied(),
            description: found.get("description").copied(),
        },
    })
}

/// What checking one row found.
struct Checked {
    /// The userId as written (empty when missing).
    user_id: String,
    /// The userId as a number, when it is a UUID.
    id: Option<u128>,
    /// The request body, when the row is valid.
    body: Option<Vec<u8>>,
    problems: Vec<(Column, String)>,
}

impl Layout {
    fn user_column(&self) -> Column {
        match self {
            Layout::JsonLines => Column::Field("userId".into()),
            Layout::CsvJson { user, .. } | Layout::CsvShift { user, .. } => {
                Column::Index(*user as u64 + 1)
            }
        }
    }

    /// The userId and body of a row already found valid, without checking the schedule again;
    /// `None` when the row does not have the shape of a valid row.
    fn reread(&self, record: &Record) -> Option<(String, Vec<u8>)> {
        let (user_id, body) = match (&record.row, self) {
            (RawRow::Line(bytes), Layout::JsonLines) => return light_json_line(bytes, false),
            (
                RawRow::Csv(fields),
                Layout::CsvJson {
                    width,
                    user,
                    schedule,
                },
            ) if fields.len() == *width => {
                let cell = |i: usize| std::str::from_utf8(fields.get(i)?).ok();
                (
                    cell(*user)?.to_string(),
                    cell(*schedule)?.as_bytes().to_vec(),
                )
            }
            _ => return None,
        };
        user_id_problem(&user_id)
            .is_none()
            .then_some((user_id, body))
    }

    fn check(&self, record: &Record) -> Checked {
        match (&record.row, self) {
            (RawRow::Line(bytes), Layout::JsonLines) => check_json_line(bytes),
            (
                RawRow::Csv(fields),
                Layout::CsvJson {
                    width,
                    user,
                    schedule,
                },
            ) => check_csv(fields, *width, *user, |cells, problems| {
                let at = Column::Index(*schedule as u64 + 1);
                let cell = cells[*schedule];
                match pacer_genesys::parse_schedule(cell.as_bytes()) {
                    Ok(_) => Some(cell.as_bytes().to_vec()),
                    Err(err)
                        if err.path == "body" && err.reason.starts_with("is not valid JSON") =>
                    {
                        problems.push((
                            at,
                            format!(
                                "bad JSON in the schedule cell: {}",
                                json_reason(&err.reason)
                            ),
                        ));
                        None
                    }
                    Err(err) => {
                        problems.push((at, format!("schedule {}", schedule_reason(&err))));
                        None
                    }
                }
            }),
            (
                RawRow::Csv(fields),
                Layout::CsvShift {
                    width,
                    user,
                    week_date,
                    start_date,
                    length,
                    code,
                    description,
                },
            ) => check_csv(fields, *width, *user, |cells, problems| {
                let length_minutes = match cells[*length].parse::<u32>() {
                    Ok(n) => n,
                    Err(_) => {
                        problems.push((
                            Column::Index(*length as u64 + 1),
                            format!(
                                "lengthMinutes must be a whole number 1..1440, got `{}`",
                                cells[*length]
                            ),
                        ));
                        return None;
                    }
                };
                let start = cells[*start_date].to_string();
                let activities = match code {
                    Some(code) => vec![Activity {
                        start_date: start.clone(),
                        length_minutes,
                        activity_code_id: cells[*code].to_string(),
                        description: description
                            .map(|d| cells[d])
                            .filter(|d| !d.is_empty())
                            .map(str::to_string),
                    }],
                    None => Vec::new(),
                };
                let schedule = Schedule {
                    week_date: cells[*week_date].to_string(),
                    shifts: vec![Shift {
                        start_date: start,
                        length_minutes,
                        activities,
                    }],
                    metadata: None,
                };
                match schedule.validate() {
                    Ok(()) => Some(serde_json::to_vec(&schedule).expect("a schedule serializes")),
                    Err(err) => {
                        let field = err.path.rsplit('.').next().unwrap_or_default();
                        let index = match field {
                            "weekDate" => *week_date,
                            "startDate" => *start_date,
                            "lengthMinutes" => *length,
                            "activityCodeId" => code.unwrap_or(*user),
                            _ => *user,
                        };
                        problems.push((
                            Column::Index(index as u64 + 1),
                            format!("{field} {}", err.reason),
                        ));
                        None
                    }
                }
            }),
            _ => unreachable!("records match the layout of their format"),
        }
    }
}

/// Checks the width, UTF-8 and userId of a CSV row, then its schedule with `body`.
fn check_csv(
    fields: &csv::ByteRecord,
    width: usize,
    user: usize,
    body: impl FnOnce(&[&str], &mut Vec<(Column, String)>) -> Option<Vec<u8>>,
) -> Checked {
    let mut problems = Vec::new();
    let mut cells: Vec<&str> = Vec::with_capacity(width);
    for (i, raw) in fields.iter().enumerate() {
        match std::str::from_utf8(raw) {
            Ok(cell) => cells.push(cell),
            Err(_) => {
                problems.push((Column::Index(i as u64 + 1), "the cell is not UTF-8".into()));
                cells.push("");
            }
        }
    }
    let user_id = cells.get(user).copied().unwrap_or_default().to_string();
    let id = parse_uuid(&user_id);
    if fields.len() != width {
        let (column, what) = if fields.len() > width {
            (width + 1, "extra columns")
        } else {
            (fields.len() + 1, "missing columns")
        };
        problems.push((
            Column::Index(column as u64),
            format!(
                "the row has {} fields and the header has {width} ({what})",
                fields.len()
            ),
        ));
        return Checked {
            user_id,
            id,
            body: None,
            problems,
        };
    }
    if let Some(reason) = user_id_problem(&user_id) {
        problems.push((Column::Index(user as u64 + 1), reason));
    }
    let body = body(&cells, &mut problems);
    let body = if problems.is_empty() { body } else { None };
    Checked {
        user_id,
        id,
        body,
        problems,
    }
}

/// A JSON line as a valid one reads, borrowed: the body is kept as written.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LightLine<'a> {
    #[serde(rename = "userId", borrow)]
    user_id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    schedule: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    body: Option<&'a serde_json::value::RawValue>,
}

fn check_json_line(bytes: &[u8]) -> Checked {
    // Most lines are valid: read them borrowed and the schedule into its own type, and keep the
    // body as written. Anything else is checked again in full, which names every problem.
    if let Some(checked) = check_json_line_fast(bytes) {
        return checked;
    }
    let bad = |column: Column, reason: String| Checked {
        user_id: String::new(),
        id: None,
        body: None,
        problems: vec![(column, reason)],
    };
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(err) => {
            return bad(
                Column::Index(err.column().max(1) as u64),
                format!("bad JSON: {}", json_reason(&err.to_string())),
            );
        }
    };
    let Value::Object(mut map) = value else {
        return bad(
            Column::Index(1),
            "each line must be a JSON object {\"userId\": ..., \"schedule\": {...}}".into(),
        );
    };
    let mut problems = Vec::new();
    for key in map.keys() {
        if key != "userId" && key != "schedule" && key != "body" {
            problems.push((
                Column::Field(key.clone()),
                format!("unknown field `{key}`: a line holds only userId and schedule (or body)"),
            ));
        }
    }
    let user_id = match map.get("userId") {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => {
            problems.push((
                Column::Field("userId".into()),
                "must be a string (a UUID)".into(),
            ));
            String::new()
        }
        None => {
            problems.push((Column::Field("userId".into()), "is required".into()));
            String::new()
        }
    };
    let id = parse_uuid(&user_id);
    if matches!(map.get("userId"), Some(Value::String(_)))
        && let Some(reason) = user_id_problem(&user_id)
    {
        problems.push((Column::Field("userId".into()), reason));
    }
    let body = match (map.remove("schedule"), map.remove("body")) {
        (None, None) => {
            problems.push((
                Column::Field("schedule".into()),
                "is required (or `body`, for a route other than the schedule's)".into(),
            ));
            None
        }
        (Some(_), Some(_)) => {
            problems.push((
                Column::Field("body".into()),
                "a line holds either schedule or body, not both".into(),
            ));
            None
        }
        // Any other per-agent route: the body is sent as given, checked only as a JSON object.
        (None, Some(body)) => match body {
            Value::Object(_) => Some(serde_json::to_vec(&body).expect("a JSON value serializes")),
            _ => {
                problems.push((Column::Field("body".into()), "must be a JSON object".into()));
                None
            }
        },
        (Some(schedule), None) => {
            match Schedule::from_value(&schedule).and_then(|s| s.validate()) {
                Ok(()) => Some(serde_json::to_vec(&schedule).expect("a JSON value serializes")),
                Err(err) => {
                    let path = if err.path == "body" {
                        "schedule".to_string()
                    } else {
                        format!("schedule.{}", err.path)
                    };
                    problems.push((Column::Field(path), err.reason));
                    None
                }
            }
        }
    };
    let body = if problems.is_empty() { body } else { None };
    Checked {
        user_id,
        id,
        body,
        problems,
    }
}

/// A valid line's check without building a JSON tree; `None` when the line is not plainly valid.
fn check_json_line_fast(bytes: &[u8]) -> Option<Checked> {
    let (user_id, body) = light_json_line(bytes, true)?;
    Some(Checked {
        id: parse_uuid(&user_id),
        user_id,
        body: Some(body),
        problems: Vec::new(),
    })
}

/// The trimmed userId and the body as written of a line that reads as a valid one, borrowed
/// rather than built into a JSON tree; the schedule's rules are checked only when
/// `check_schedule` (a reread of a file already validated skips them). `None` otherwise.
fn light_json_line(bytes: &[u8], check_schedule: bool) -> Option<(String, Vec<u8>)> {
    let line: LightLine<'_> = serde_json::from_slice(bytes).ok()?;
    let body = match (line.schedule, line.body) {
        (Some(schedule), None) => {
            if check_schedule {
                pacer_genesys::parse_schedule(schedule.get().as_bytes()).ok()?;
            }
            schedule
        }
        (None, Some(body)) if body.get().starts_with('{') => body,
        _ => return None,
    };
    let user_id = line.user_id.trim();
    if user_id_problem(user_id).is_some() {
        return None;
    }
    Some((user_id.to_string(), body.get().as_bytes().to_vec()))
}

/// Why a userId is refused, or `None` when it is a UUID.
fn user_id_problem(user_id: &str) -> Option<String> {
    if user_id.is_empty() {
        Some("userId is empty; it must be a UUID like 3f2b6c1e-8d4a-4e0b-9a51-2c7d1e5f0a93".into())
    } else if parse_uuid(user_id).is_none() {
        Some(format!(
            "userId `{user_id}` is not a UUID (8-4-4-4-12 hex digits like 3f2b6c1e-8d4a-4e0b-9a51-2c7d1e5f0a93)"
        ))
    } else {
        None
    }
}

/// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex digits, any case) into a number.
fn parse_uuid(text: &str) -> Option<u128> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let mut value = 0u128;
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if b != b'-' {
                return None;
            }
            continue;
        }
        let digit = (b as char).to_digit(16)?;
        value = (value << 4) | u128::from(digit);
    }
    Some(value)
}

/// The reason of a serde_json error without its position (the finding already has one).
fn json_reason(message: &str) -> String {
    let message = message
        .strip_prefix("is not valid JSON (")
        .and_then(|m| m.strip_suffix(')'))
        .unwrap_or(message);
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

fn schedule_reason(err: &ScheduleError) -> String {
    if err.path == "body" {
        err.reason.clone()
    } else {
        format!("{}: {}", err.path, err.reason)
    }
}

/// One row read from the file, with the line it starts on.
struct Record {
    line: u64,
    row: RawRow,
}

enum RawRow {
    Csv(csv::ByteRecord),
    Line(Vec<u8>),
}

impl Record {
    /// The row as read: a CSV row re-encoded as one CSV line, or the JSON line.
    fn raw(&self) -> Vec<u8> {
        match &self.row {
            RawRow::Line(bytes) => bytes.clone(),
            RawRow::Csv(fields) => {
                let mut out = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::Any(b'\n'))
                    .from_writer(Vec::new());
                let _ = out.write_byte_record(fields);
                let mut bytes = out.into_inner().unwrap_or_default();
                if bytes.last() == Some(&b'\n') {
                    bytes.pop();
                }
                bytes
            }
        }
    }
}

/// The input file, hashed as it is read.
struct HashingFile {
    file: File,
    hasher: Hasher,
}

impl std::io::Read for HashingFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Reads records one at a time from either format.
enum Records {
    Csv {
        reader: csv::Reader<BufReader<HashingFile>>,
        path: PathBuf,
    },
    Lines {
        reader: BufReader<HashingFile>,
        line: u64,
        path: PathBuf,
    },
}

impl Records {
    fn path(&self) -> &Path {
        match self {
            Records::Csv { path, .. } | Records::Lines { path, .. } => path,
        }
    }

    /// The fingerprint of the bytes read so far (the whole file, once `next` gave `None`).
    fn fingerprint(&mut self) -> Fingerprint {
        let file = match self {
            Records::Csv { reader, .. } => reader.get_mut().get_mut(),
            Records::Lines { reader, .. } => reader.get_mut(),
        };
        std::mem::take(&mut file.hasher).finish()
    }

    fn next(&mut self) -> Result<Option<Record>, InputError> {
        match self {
            Records::Csv { reader, path } => {
                let mut fields = csv::ByteRecord::new();
                match reader.read_byte_record(&mut fields) {
                    Ok(false) => Ok(None),
                    Ok(true) => {
                        let line = fields.position().map_or(0, |p| p.line());
                        Ok(Some(Record {
                            line,
                            row: RawRow::Csv(fields),
                        }))
                    }
                    Err(err) => {
                        let line = err.position().map_or(0, |p| p.line());
                        Err(InputError::Read {
                            path: path.clone(),
                            source: std::io::Error::other(format!("line {line}: {err}")),
                        })
                    }
                }
            }
            Records::Lines { reader, line, path } => loop {
                let mut bytes = Vec::new();
                let n =
                    reader
                        .read_until(b'\n', &mut bytes)
                        .map_err(|source| InputError::Read {
                            path: path.clone(),
                            source,
                        })?;
                if n == 0 {
                    return Ok(None);
                }
                *line += 1;
                while matches!(bytes.last(), Some(b'\n' | b'\r')) {
                    bytes.pop();
                }
                if *line == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
                    bytes.drain(..3);
                }
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Ok(Some(Record {
                    line: *line,
                    row: RawRow::Line(bytes),
                }));
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    const A: &str = "3f2b6c1e-8d4a-4e0b-9a51-2c7d1e5f0a93";
    const B: &str = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d";
    const C: &str = "ffffffff-0000-4000-8000-000000000001";
    const SCHEDULE: &str = r#"{"weekDate":"2026-12-07","shifts":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activities":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activityCodeId":"0","description":"Work"}]}]}"#;

    /// A directory under the system's temporary directory, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> TempDir {
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let dir = std::env::temp_dir().join(format!(
                "pacer-input-test-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn file(&self, name: &str, content: &str) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, content).unwrap();
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Validates `content` written to `name` and returns the validation and the findings as text.
    fn check(name: &str, content: &str) -> (Validation, Vec<String>) {
        let dir = TempDir::new();
        let path = dir.file(name, content);
        let input = Input::open(&path, None).unwrap();
        let mut found = Vec::new();
        let validation = input
            .validate(&mut |f| {
                found.push(f.to_string().replace(&path.display().to_string(), "FILE"))
            })
            .unwrap();
        (validation, found)
    }

    fn valid_rows(name: &str, content: &str) -> Vec<Row> {
        let dir = TempDir::new();
        let path = dir.file(name, content);
        let input = Input::open(&path, None).unwrap();
        let validation = input
            .validate(&mut |f| panic!("unexpected finding {f}"))
            .unwrap();
        assert!(validation.is_clean());
        input
            .rows(&validation)
            .unwrap()
            .map(|item| match item.unwrap() {
                Item::Valid(row) => row,
                Item::Invalid { reason, .. } => panic!("invalid row: {reason}"),
            })
            .collect()
    }

    fn csv_json_cell(json: &str) -> String {
        format!("\"{}\"", json.replace('"', "\"\""))
    }

    #[test]
    fn formats_come_from_the_extension_or_the_flag() {
        assert_eq!(Format::from_path(Path::new("a.CSV")), Some(Format::Csv));
        assert_eq!(
            Format::from_path(Path::new("a.ndjson")),
            Some(Format::JsonLines)
        );
        assert_eq!(
            Format::from_path(Path::new("a.jsonl")),
            Some(Format::JsonLines)
        );
        assert_eq!(Format::from_path(Path::new("a.txt")), None);
        let dir = TempDir::new();
        let path = dir.file("agents.txt", "userId\n");
        let err = Input::open(&path, None).unwrap_err();
        assert!(err.to_string().contains("--format"), "{err}");
        assert!(Input::open(&path, Some(Format::Csv)).is_ok());
    }

    #[test]
    fn uuids_parse_in_any_case_and_other_shapes_are_refused() {
        assert_eq!(parse_uuid(A), parse_uuid(&A.to_uppercase()));
        assert_eq!(parse_uuid("00000000-0000-0000-0000-000000000001"), Some(1));
        assert!(parse_uuid("3f2b6c1e8d4a4e0b9a512c7d1e5f0a93").is_none());
        assert!(parse_uuid("3f2b6c1e-8d4a-4e0b-9a51-2c7d1e5f0a9g").is_none());
        assert!(parse_uuid("3f2b6c1e-8d4a-4e0b-9a512-c7d1e5f0a93").is_none());
        assert!(parse_uuid("agent-1").is_none());
    }

    #[test]
    fn a_csv_with_a_schedule_column_yields_its_json_as_the_body() {
        let content = format!(
            "userId,schedule\n{A},{}\n{B},{}\n",
            csv_json_cell(SCHEDULE),
            csv_json_cell(SCHEDULE)
        );
        let rows = valid_rows("agents.csv", &content);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].line, rows[0].user_id.as_str()), (2, A));
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[0].body, SCHEDULE.as_bytes());
    }

    #[test]
    fn a_csv_with_shift_columns_builds_the_schedule_body() {
        let content = format!(
            "userId,weekDate,startDate,lengthMinutes,activityCodeId,description\n\
             {A},2026-12-07,2026-12-07T08:00:00Z,480,0,Work\n\
             {B}, 2026-12-07 ,2026-12-07T09:00:00Z,240,7,\n"
        );
        let rows = valid_rows("agents.csv", &content);
        let body: Value = serde_json::from_slice(&rows[0].body).unwrap();
        assert_eq!(body, serde_json::from_str::<Value>(SCHEDULE).unwrap());
        let body: Value = serde_json::from_slice(&rows[1].body).unwrap();
        assert_eq!(body["shifts"][0]["activities"][0]["activityCodeId"], "7");
        assert!(
            body["shifts"][0]["activities"][0]
                .get("description")
                .is_none()
        );
        // Every body is one the shared validator (and so the emulator) accepts.
        for row in &rows {
            pacer_genesys::parse_schedule(&row.body).unwrap();
        }
        let without_activities = valid_rows(
            "agents.csv",
            &format!(
                "userId,weekDate,startDate,lengthMinutes\n{C},2026-12-07,2026-12-07T08:00:00Z,60\n"
            ),
        );
        let body: Value = serde_json::from_slice(&without_activities[0].body).unwrap();
        assert_eq!(
            body["shifts"][0].get("activities"),
            Some(&Value::Array(vec![]))
        );
    }

    #[test]
    fn json_lines_with_a_body_send_it_unchecked_as_a_schedule() {
        let (v, found) = check(
            "agents.jsonl",
            &format!(
                "{{\"userId\":\"{A}\",\"body\":{{\"title\":\"Agent\"}}}}\n{{\"userId\":\"{B}\",\"body\":[1]}}\n"
            ),
        );
        assert_eq!(found, vec!["FILE:2:body: must be a JSON object"]);
        assert_eq!((v.rows_valid, v.rows_invalid), (1, 1));
    }

    #[test]
    fn json_lines_yield_the_schedule_and_skip_blank_lines() {
        let content = format!(
            "{{\"userId\":\"{A}\",\"schedule\":{SCHEDULE}}}\r\n\n{{\"schedule\":{SCHEDULE},\"userId\":\"{B}\"}}\n   \n"
        );
        let rows = valid_rows("agents.jsonl", &content);
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 3]);
        assert_eq!(rows[1].user_id, B);
        let body: Value = serde_json::from_slice(&rows[0].body).unwrap();
        assert_eq!(body, serde_json::from_str::<Value>(SCHEDULE).unwrap());
    }

    #[test]
    fn a_valid_line_keeps_its_body_as_written_and_an_invalid_one_gets_every_finding() {
        // Valid: checked without a JSON tree, the schedule's own spacing and key order kept.
        let spaced = SCHEDULE.replace(",", ", ");
        let line = format!(r#"{{ "schedule": {spaced}, "userId": " {A} " }}"#);
        let checked = check_json_line(line.as_bytes());
        assert!(checked.problems.is_empty(), "{:?}", checked.problems);
        assert_eq!(checked.user_id, A);
        assert_eq!(checked.body.as_deref(), Some(spaced.as_bytes()));
        // Invalid in two ways at once: the full check names both.
        let line = format!(r#"{{"userId":"nope","schedule":{SCHEDULE},"extra":1}}"#);
        let checked = check_json_line(line.as_bytes());
        let fields: Vec<String> = checked
            .problems
            .iter()
            .map(|(c, _)| format!("{c:?}"))
            .collect();
        assert_eq!(checked.problems.len(), 2, "{fields:?}");
        assert!(checked.body.is_none());
        // A schedule the type accepts but the rules refuse is refused, with its path.
        let bad = SCHEDULE.replace(
            "\"lengthMinutes\":480,\"activities\"",
            "\"lengthMinutes\":0,\"activities\"",
        );
        let line = format!(r#"{{"userId":"{A}","schedule":{bad}}}"#);
        let checked = check_json_line(line.as_bytes());
        assert_eq!(checked.problems.len(), 1);
        assert!(
            format!("{:?}", checked.problems[0].0).contains("shifts[0].lengthMinutes"),
            "{:?}",
            checked.problems
        );
    }

    #[test]
    fn a_clean_file_is_reread_to_the_same_rows_as_the_full_check() {
        let spaced = format!("{{ \"userId\" : \" {A} \" , \"schedule\" : {SCHEDULE} }}");
        let body = format!("{{\"body\":{{\"a\":1}},\"userId\":\"{B}\"}}");
        let escaped = format!(
            "{{\"userId\":\"{}\",\"schedule\":{SCHEDULE}}}",
            C.replace('f', "\\u0066")
        );
        let content = format!("{spaced}\n{body}\n{escaped}\n");
        let dir = TempDir::new();
        let path = dir.file("agents.jsonl", &content);
        let input = Input::open(&path, None).unwrap();
        let validation = input.validate(&mut |f| panic!("{f}")).unwrap();
        let mut records = input.records().unwrap();
        let mut reread = input.rows(&validation).unwrap();
        while let Some(record) = records.next().unwrap() {
            let full = validation.layout.check(&record);
            let Some(Ok(Item::Valid(row))) = reread.next() else {
                panic!("line {} not valid on reread", record.line)
            };
            assert_eq!(row.user_id, full.user_id, "line {}", record.line);
            let parse = |b: &[u8]| serde_json::from_slice::<Value>(b).unwrap();
            assert_eq!(
                parse(&row.body),
                parse(&full.body.unwrap()),
                "line {}",
                record.line
            );
        }
        assert!(reread.next().is_none());
        // A row that no longer reads as a valid one gets the full check, and its findings.
        let changed = dir.file("agents.jsonl", &format!("{{\"userId\":\"{A}\"}}\n"));
        let mut rows = Input::open(&changed, None)
            .unwrap()
            .rows(&validation)
            .unwrap();
        assert!(matches!(rows.next(), Some(Ok(Item::Invalid { .. }))));
        // And the pass ends by saying the file is not the one validated.
        assert!(matches!(rows.next(), Some(Err(InputError::Changed { .. }))));
        assert!(rows.next().is_none());
    }

    #[test]
    fn validation_fingerprints_the_bytes_it_read() {
        let dir = TempDir::new();
        let content = format!("{{\"userId\":\"{A}\",\"schedule\":{SCHEDULE}}}\n");
        let path = dir.file("agents.jsonl", &content);
        let input = Input::open(&path, None).unwrap();
        let validation = input.validate(&mut |f| panic!("{f}")).unwrap();
        assert_eq!(
            validation.fingerprint,
            Fingerprint::of_bytes(content.as_bytes())
        );
    }

    #[test]
    fn a_missing_file_is_a_clear_error() {
        let dir = TempDir::new();
        let err = Input::open(&dir.0.join("nope.csv"), None).unwrap_err();
        assert!(matches!(err, InputError::Read { .. }));
        assert!(err.to_string().contains("nope.csv"), "{err}");
    }

    #[test]
    fn an_empty_file_is_refused() {
        let (v, found) = check("agents.csv", "");
        assert!(v.fatal && !v.is_clean());
        assert_eq!(found, vec!["FILE:1:1: the file is empty"]);
        let (v, found) = check("agents.jsonl", "");
        assert!(v.fatal);
        assert_eq!(found, vec!["FILE:1:1: the file is empty"]);
        let (v, found) = check("agents.jsonl", "\n\n  \n");
        assert!(v.fatal);
        assert_eq!(found, vec!["FILE:1:1: the file is empty"]);
        let (v, found) = check("agents.csv", "userId,schedule\n");
        assert!(v.fatal);
        assert_eq!(found, vec!["FILE:1:1: the file has a header but no rows"]);
    }

    #[test]
    fn a_header_without_user_id_is_refused() {
        let (v, found) = check("agents.csv", &format!("id,schedule\n{A},{{}}\n"));
        assert!(v.fatal);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].starts_with("FILE:1:1: unknown column `id`"),
            "{found:?}"
        );
        assert_eq!(
            found[1],
            "FILE:1:1: the header has no userId column (it has: id, schedule)"
        );
        let (_, found) = check("agents.csv", &format!("userid,schedule\n{A},{{}}\n"));
        assert!(found[0].contains("did you mean `userId`?"), "{found:?}");
    }

    #[test]
    fn bad_json_in_a_cell_is_refused_with_its_column() {
        let content = format!(
            "userId,schedule\n{A},{}\n{B},{}\n",
            csv_json_cell("{\"weekDate\":"),
            csv_json_cell(SCHEDULE)
        );
        let (v, found) = check("agents.csv", &content);
        assert_eq!((v.rows_total, v.rows_valid, v.rows_invalid), (2, 1, 1));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("FILE:2:2: bad JSON in the schedule cell: EOF while parsing"),
            "{found:?}"
        );
    }

    #[test]
    fn bad_json_on_a_line_is_refused_with_its_column() {
        let content = format!(
            "{{\"userId\":\"{A}\",\"schedule\":{SCHEDULE}}}\n{{\"userId\": \"{B}\", \"schedule\": {{,}}}}\n"
        );
        let (v, found) = check("agents.jsonl", &content);
        assert_eq!((v.rows_valid, v.rows_invalid), (1, 1));
        assert_eq!(found, vec!["FILE:2:65: bad JSON: key must be a string"]);
        let (_, found) = check("agents.jsonl", "[1,2]\n");
        assert_eq!(
            found,
            vec![
                "FILE:1:1: each line must be a JSON object {\"userId\": ..., \"schedule\": {...}}"
            ]
        );
    }

    #[test]
    fn a_bad_date_is_refused_with_its_field() {
        let bad = SCHEDULE.replacen("2026-12-07T08:00:00Z", "2026-12-07T25:00:00Z", 1);
        let (_, found) = check(
            "agents.jsonl",
            &format!("{{\"userId\":\"{A}\",\"schedule\":{bad}}}\n"),
        );
        assert_eq!(
            found,
            vec!["FILE:1:schedule.shifts[0].startDate: time of day out of range"]
        );
        let (_, found) = check(
            "agents.csv",
            &format!(
                "userId,weekDate,startDate,lengthMinutes\n{A},2026-02-30,2026-12-07T08:00:00Z,60\n"
            ),
        );
        assert_eq!(found, vec!["FILE:2:2: weekDate day is not in the month"]);
        let bad = SCHEDULE.replacen("\"2026-12-07\"", "\"07/12/2026\"", 1);
        let (_, found) = check(
            "agents.csv",
            &format!("userId,schedule\n{A},{}\n", csv_json_cell(&bad)),
        );
        assert_eq!(
            found,
            vec!["FILE:2:2: schedule weekDate: must be a date YYYY-MM-DD"]
        );
    }

    #[test]
    fn a_duplicate_agent_is_refused_on_every_later_line() {
        let row = |id: &str| format!("{id},2026-12-07,2026-12-07T08:00:00Z,60\n");
        let content = format!(
            "userId,weekDate,startDate,lengthMinutes\n{}{}{}{}",
            row(A),
            row(B),
            row(&A.to_uppercase()),
            row(A)
        );
        let (v, found) = check("agents.csv", &content);
        assert_eq!((v.rows_total, v.rows_valid, v.rows_invalid), (4, 1, 3));
        let upper = A.to_uppercase();
        assert_eq!(
            found,
            vec![
                format!(
                    "FILE:4:1: duplicate agent {upper}: also on line 2; each agent may appear once"
                ),
                format!(
                    "FILE:5:1: duplicate agent {A}: also on line 2; each agent may appear once"
                ),
            ]
        );
        let line = format!("{{\"userId\":\"{A}\",\"schedule\":{SCHEDULE}}}\n");
        let (v, found) = check("agents.jsonl", &format!("{line}{line}"));
        assert_eq!(v.rows_invalid, 2);
        assert_eq!(
            found,
            vec![format!(
                "FILE:2:userId: duplicate agent {A}: also on line 1; each agent may appear once"
            )]
        );
    }

    #[test]
    fn a_row_with_extra_columns_is_refused() {
        let content = format!(
            "userId,weekDate,startDate,lengthMinutes\n{A},2026-12-07,2026-12-07T08:00:00Z,60,oops\n{B},2026-12-07\n"
        );
        let (v, found) = check("agents.csv", &content);
        assert_eq!(v.rows_invalid, 2);
        assert_eq!(
            found,
            vec![
                "FILE:2:5: the row has 5 fields and the header has 4 (extra columns)",
                "FILE:3:3: the row has 2 fields and the header has 4 (missing columns)",
            ]
        );
        let (_, found) = check(
            "agents.jsonl",
            &format!("{{\"userId\":\"{A}\",\"schedule\":{SCHEDULE},\"extra\":1}}\n"),
        );
        assert_eq!(
            found,
            vec![
                "FILE:1:extra: unknown field `extra`: a line holds only userId and schedule (or body)"
            ]
        );
    }

    #[test]
    fn user_ids_must_be_uuids_and_the_message_says_so() {
        let (_, found) = check(
            "agents.jsonl",
            &format!("{{\"userId\":\"agent-7\",\"schedule\":{SCHEDULE}}}\n"),
        );
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("FILE:1:userId: userId `agent-7` is not a UUID"),
            "{found:?}"
        );
        let (_, found) = check(
            "agents.jsonl",
            &format!("{{\"userId\":7,\"schedule\":{SCHEDULE}}}\n"),
        );
        assert_eq!(found, vec!["FILE:1:userId: must be a string (a UUID)"]);
    }

    #[test]
    fn every_error_is_listed_not_only_the_first() {
        let content = format!(
            "userId,weekDate,startDate,lengthMinutes\n\
             nope,2026-12-07,2026-12-07T08:00:00Z,60\n\
             {A},2026-12-07,2026-12-07T08:00:00Z,0\n\
             {B},2026-12-07,2026-12-07T08:00:00Z,ten\n\
             {C},2026-12-07,2026-12-07T08:00:00Z,60\n"
        );
        let (v, found) = check("agents.csv", &content);
        assert_eq!((v.rows_valid, v.rows_invalid, v.findings), (1, 3, 3));
        assert!(
            found[0].starts_with("FILE:2:1: userId `nope` is not a UUID"),
            "{found:?}"
        );
        assert_eq!(
            found[1],
            "FILE:3:4: lengthMinutes must be between 1 and 1440"
        );
        assert_eq!(
            found[2],
            "FILE:4:4: lengthMinutes must be a whole number 1..1440, got `ten`"
        );
    }

    #[test]
    fn skip_invalid_yields_valid_rows_and_writes_the_rejects() {
        let dir = TempDir::new();
        let row = |id: &str, len: &str| format!("{id},2026-12-07,2026-12-07T08:00:00Z,{len}\n");
        let path = dir.file(
            "agents.csv",
            &format!(
                "userId,weekDate,startDate,lengthMinutes\n{}{}{}{}",
                row(A, "60"),
                row(B, "0"),
                row(C, "60"),
                row(A, "30")
            ),
        );
        let input = Input::open(&path, None).unwrap();
        let validation = input.validate(&mut |_| {}).unwrap();
        assert!(!validation.is_clean() && !validation.fatal);
        let items: Vec<Item> = input
            .rows(&validation)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let valid: Vec<u64> = items
            .iter()
            .filter_map(|item| match item {
                Item::Valid(row) => Some(row.line),
                Item::Invalid { .. } => None,
            })
            .collect();
        assert_eq!(valid, vec![4]);
        let rejects = dir.0.join("rejects.csv");
        assert_eq!(input.write_rejects(&validation, &rejects).unwrap(), 3);
        let text = std::fs::read_to_string(&rejects).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "line,reason,raw");
        assert_eq!(
            lines[1],
            format!("2,duplicate agent {A},\"{A},2026-12-07,2026-12-07T08:00:00Z,60\"")
        );
        assert_eq!(
            lines[2],
            format!(
                "3,column 4: lengthMinutes must be between 1 and 1440,\"{B},2026-12-07,2026-12-07T08:00:00Z,0\""
            )
        );
        assert!(lines[3].starts_with("5,duplicate agent"), "{lines:?}");
    }

    /// Not a test but a measurement: validates and streams a million generated rows in both
    /// formats and prints the time and the peak resident memory. Run with
    /// `cargo test --release -p pacer-cli input::tests::measure_a_million_rows -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement for BENCHMARKS.md, run by hand"]
    fn measure_a_million_rows() {
        use std::io::Write as _;
        let dir = TempDir::new();
        const ROWS: u64 = 1_000_000;
        for format in [Format::Csv, Format::JsonLines] {
            let path = dir.0.join(match format {
                Format::Csv => "million.csv",
                Format::JsonLines => "million.jsonl",
            });
            let mut out = std::io::BufWriter::new(File::create(&path).unwrap());
            if format == Format::Csv {
                writeln!(
                    out,
                    "userId,weekDate,startDate,lengthMinutes,activityCodeId,description"
                )
                .unwrap();
            }
            for i in 0..ROWS {
                let id = format!("00000000-0000-4000-8000-{i:012x}");
                match format {
                    Format::Csv => writeln!(out, "{id},2026-12-07,2026-12-07T08:00:00Z,480,0,Work"),
                    Format::JsonLines => {
                        writeln!(out, "{{\"userId\":\"{id}\",\"schedule\":{SCHEDULE}}}")
                    }
                }
                .unwrap();
            }
            out.flush().unwrap();
            drop(out);
            let size = std::fs::metadata(&path).unwrap().len();
            let input = Input::open(&path, None).unwrap();
            let started = std::time::Instant::now();
            let validation = input.validate(&mut |f| panic!("{f}")).unwrap();
            let validated = started.elapsed();
            assert!(validation.is_clean());
            let started = std::time::Instant::now();
            let mut bytes = 0usize;
            for item in input.rows(&validation).unwrap() {
                match item.unwrap() {
                    Item::Valid(row) => bytes += row.body.len(),
                    Item::Invalid { reason, .. } => panic!("{reason}"),
                }
            }
            let streamed = started.elapsed();
            let peak = std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("VmHWM:"))
                        .map(|l| l[6..].trim().to_string())
                })
                .unwrap_or_default();
            println!(
                "{format:?}: {ROWS} rows, {:.0} MB: validate {:.2} s, stream {:.2} s ({} MB of bodies), peak RSS so far {peak}",
                size as f64 / 1e6,
                validated.as_secs_f64(),
                streamed.as_secs_f64(),
                bytes / 1_000_000
            );
        }
    }

    #[test]
    fn a_byte_order_mark_does_not_hide_the_user_id_column() {
        let content = format!(
            "\u{feff}userId,weekDate,startDate,lengthMinutes\n{A},2026-12-07,2026-12-07T08:00:00Z,60\n"
        );
        assert_eq!(valid_rows("agents.csv", &content).len(), 1);
        let line = format!("\u{feff}{{\"userId\":\"{A}\",\"schedule\":{SCHEDULE}}}\n");
        assert_eq!(valid_rows("agents.jsonl", &line).len(), 1);
    }
}
