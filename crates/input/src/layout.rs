//! The shape of a file (JSON Lines, or a CSV's columns from its header) and the check of one row
//! by it, CSV rows in full here.

use std::collections::HashMap;

use pacer_genesys::{Activity, Schedule, Shift, Starts};

use super::*;

/// How a row is laid out, from the CSV header or the JSON Lines format.
#[derive(Debug, Clone)]
pub(super) enum Layout {
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

pub(super) const CSV_COLUMNS: &[&str] = &[
    "userId",
    "schedule",
    "weekDate",
    "startDate",
    "lengthMinutes",
    "activityCodeId",
    "description",
];

/// Works out the layout from the header row, or lists every problem with it.
pub(super) fn csv_layout(header: &csv::ByteRecord) -> Result<Layout, Vec<(Column, String)>> {
    let mut problems = Vec::new();
    let found = known_columns(header, &mut problems);
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
    let schedule = found.get("schedule").copied();
    check_shape(&found, width, &mut problems);
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

/// Each known column's index; a name that is not UTF-8, unknown (with a hint when only its case
/// is wrong) or repeated is a problem.
fn known_columns(
    header: &csv::ByteRecord,
    problems: &mut Vec<(Column, String)>,
) -> HashMap<&'static str, usize> {
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
    found
}

/// The schedule's shape: a schedule column (JSON) or the shift columns, one of the two, and the
/// shift columns complete.
fn check_shape(
    found: &HashMap<&'static str, usize>,
    width: usize,
    problems: &mut Vec<(Column, String)>,
) {
    let shift_columns = [
        "weekDate",
        "startDate",
        "lengthMinutes",
        "activityCodeId",
        "description",
    ];
    let has_shift = shift_columns.iter().any(|name| found.contains_key(name));
    match (found.get("schedule").copied(), has_shift) {
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
}

/// What checking one row found.
pub(super) struct Checked {
    /// The userId as written (empty when missing).
    pub(super) user_id: String,
    /// The userId as a number, when it is a UUID.
    pub(super) id: Option<u128>,
    /// The request body, when the row is valid.
    pub(super) body: Option<Vec<u8>>,
    pub(super) problems: Vec<(Column, String)>,
}

impl Layout {
    pub(super) fn user_column(&self) -> Column {
        match self {
            Layout::JsonLines => Column::Field("userId".into()),
            Layout::CsvJson { user, .. } | Layout::CsvShift { user, .. } => {
                Column::Index(*user as u64 + 1)
            }
        }
    }

    /// The userId and body of a row already found valid, without checking the schedule again;
    /// `None` when the row does not have the shape of a valid row.
    pub(super) fn reread(&self, record: &Record) -> Option<(String, Vec<u8>)> {
        let (user_id, body) = match (&record.row, self) {
            (RawRow::Line(bytes), Layout::JsonLines) => return light_json_line(bytes, None),
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

    /// The check of one row whose start times need their offset.
    #[cfg(test)]
    pub(super) fn check(&self, record: &Record) -> Checked {
        self.check_with(record, Starts::Instants)
    }

    /// The check of one row, with start times as `starts` allows.
    pub(super) fn check_with(&self, record: &Record, starts: Starts) -> Checked {
        match (&record.row, self) {
            (RawRow::Line(bytes), Layout::JsonLines) => check_json_line_with(bytes, starts),
            (RawRow::Csv(fields), Layout::CsvJson { width, user, .. })
            | (RawRow::Csv(fields), Layout::CsvShift { width, user, .. }) => {
                check_csv(fields, *width, *user, |cells, problems| {
                    self.body(cells, starts, problems)
                })
            }
            _ => unreachable!("records match the layout of their format"),
        }
    }

    /// The request body of a CSV row's cells: its schedule cell as written, or the schedule its
    /// shift cells make; `None` with the problems found.
    fn body(
        &self,
        cells: &[&str],
        starts: Starts,
        problems: &mut Vec<(Column, String)>,
    ) -> Option<Vec<u8>> {
        match self {
            Layout::JsonLines => unreachable!("a JSON line has no cells"),
            Layout::CsvJson { schedule, .. } => schedule_cell(cells, *schedule, starts, problems),
            Layout::CsvShift { .. } => self.shift_cells(cells, starts, problems),
        }
    }

    /// The one-shift schedule of a row of shift columns, checked by the schedule's own rules;
    /// each problem is put on the column it comes from.
    fn shift_cells(
        &self,
        cells: &[&str],
        starts: Starts,
        problems: &mut Vec<(Column, String)>,
    ) -> Option<Vec<u8>> {
        let Layout::CsvShift {
            user,
            week_date,
            start_date,
            length,
            code,
            description,
            ..
        } = self
        else {
            unreachable!("only a layout of shift columns has shift cells");
        };
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
            full_day_time_off_markers: Vec::new(),
            metadata: None,
        };
        match schedule.validate_with(starts) {
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
    }
}

/// A schedule cell (JSON) as written, once it parses as a valid schedule.
fn schedule_cell(
    cells: &[&str],
    schedule: usize,
    starts: Starts,
    problems: &mut Vec<(Column, String)>,
) -> Option<Vec<u8>> {
    let at = Column::Index(schedule as u64 + 1);
    let cell = cells[schedule];
    match pacer_genesys::parse_schedule_with(cell.as_bytes(), starts) {
        Ok(_) => Some(cell.as_bytes().to_vec()),
        Err(err) if err.path == "body" && err.reason.starts_with("is not valid JSON") => {
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
}

/// Checks the width, UTF-8 and userId of a CSV row, then its schedule with `body`.
pub(super) fn check_csv(
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
