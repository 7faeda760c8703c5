//! The shape of a file (JSON Lines, or a CSV's columns from its header) and the check of one row
//! by it, CSV rows in full here.

use pacer_genesys::Starts;

use super::*;

/// How a row is laid out, from the CSV header or the JSON Lines format.
#[derive(Debug, Clone)]
pub(super) enum Layout {
    /// One JSON object a line; `keyed` when agents may be named by e-mail or name.
    JsonLines { keyed: bool },
    /// `userId,schedule`: indexes are 0-based.
    CsvJson {
        width: usize,
        keys: KeyColumns,
        schedule: usize,
    },
    /// One shift, one activity or one full day off in columns.
    CsvShift {
        width: usize,
        keys: KeyColumns,
        shift: ShiftColumns,
    },
}

/// Where a CSV row's agent keys are: indexes are 0-based, of the columns the header has.
#[derive(Debug, Clone, Copy)]
pub(super) struct KeyColumns {
    pub(super) user_id: Option<usize>,
    pub(super) email: Option<usize>,
    pub(super) name: Option<usize>,
    /// Whether agents may be named by e-mail or name (see [`Input::allowing_agent_keys`]).
    pub(super) keyed: bool,
}

impl KeyColumns {
    /// The column of a key field, when the header has it.
    pub(super) fn index(&self, field: KeyField) -> Option<usize> {
        match field {
            KeyField::UserId => self.user_id,
            KeyField::Email => self.email,
            KeyField::Name => self.name,
        }
    }

    /// The key fields the header has, in the order a key is shown by.
    pub(super) fn fields(&self) -> Vec<KeyField> {
        KeyField::ALL
            .into_iter()
            .filter(|&field| self.index(field).is_some())
            .collect()
    }

    /// The key a row's cells hold; a missing cell reads as empty.
    fn key<'a>(&self, cell: impl Fn(usize) -> Option<&'a str>) -> AgentKey {
        let read = |field| self.index(field).and_then(&cell);
        AgentKey::from_fields(
            read(KeyField::UserId),
            read(KeyField::Email),
            read(KeyField::Name),
        )
    }

    /// Every problem with a row's key, each on its column.
    fn problems(&self, key: &AgentKey) -> Vec<(Column, String)> {
        let fields = self.fields();
        key.problems(&fields, self.keyed)
            .into_iter()
            .map(|(field, reason)| {
                let index = self.index(field).unwrap_or_default();
                (Column::Index(index as u64 + 1), reason)
            })
            .collect()
    }
}

/// What checking one row found.
pub(super) struct Checked {
    /// The keys the row names its agent by, as written (trimmed).
    pub(super) key: AgentKey,
    /// The agent as a number, for the duplicate check (see [`AgentKey::number`]).
    pub(super) id: Option<u128>,
    /// The request body, when the row is valid.
    pub(super) body: Option<Vec<u8>>,
    pub(super) problems: Vec<(Column, String)>,
}

impl Checked {
    /// A row's check, its body kept only when no problem was found.
    pub(super) fn new(
        key: AgentKey,
        body: Option<Vec<u8>>,
        problems: Vec<(Column, String)>,
    ) -> Checked {
        Checked {
            id: key.number(),
            key,
            body: if problems.is_empty() { body } else { None },
            problems,
        }
    }
}

impl Layout {
    /// Where a finding about a key field goes: its CSV column, or its JSON field.
    pub(super) fn key_column(&self, field: KeyField) -> Column {
        match self {
            Layout::JsonLines { .. } => Column::Field(field.name().into()),
            Layout::CsvJson { keys, .. } | Layout::CsvShift { keys, .. } => {
                Column::Index(keys.index(field).unwrap_or_default() as u64 + 1)
            }
        }
    }

    /// The key and body of a row already found valid, without checking the schedule again;
    /// `None` when the row does not have the shape of a valid row.
    pub(super) fn reread(&self, record: &Record) -> Option<(AgentKey, Vec<u8>)> {
        match (&record.row, self) {
            (RawRow::Line(bytes), Layout::JsonLines { keyed }) => {
                light_json_line(bytes, None, *keyed)
            }
            (
                RawRow::Csv(fields),
                Layout::CsvJson {
                    width,
                    keys,
                    schedule,
                },
            ) if fields.len() == *width => {
                let cell = |i: usize| std::str::from_utf8(fields.get(i)?).ok();
                let key = keys.key(cell);
                let body = cell(*schedule)?.as_bytes().to_vec();
                keys.problems(&key).is_empty().then_some((key, body))
            }
            _ => None,
        }
    }

    /// The check of one row whose start times need their offset.
    #[cfg(test)]
    pub(super) fn check(&self, record: &Record) -> Checked {
        self.check_with(record, Starts::Instants)
    }

    /// The check of one row, with start times as `starts` allows.
    pub(super) fn check_with(&self, record: &Record, starts: Starts) -> Checked {
        match (&record.row, self) {
            (RawRow::Line(bytes), Layout::JsonLines { keyed }) => {
                check_json_line_with(bytes, starts, *keyed)
            }
            (RawRow::Csv(fields), Layout::CsvJson { width, keys, .. })
            | (RawRow::Csv(fields), Layout::CsvShift { width, keys, .. }) => {
                check_csv(fields, *width, keys, |cells, problems| {
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
            Layout::JsonLines { .. } => unreachable!("a JSON line has no cells"),
            Layout::CsvJson { schedule, .. } => schedule_cell(cells, *schedule, starts, problems),
            Layout::CsvShift { shift, .. } => shift.body(cells, starts, problems),
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

/// Checks the width, UTF-8 and agent keys of a CSV row, then its schedule with `body`.
pub(super) fn check_csv(
    fields: &csv::ByteRecord,
    width: usize,
    keys: &KeyColumns,
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
    let key = keys.key(|i| cells.get(i).copied());
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
        return Checked::new(key, None, problems);
    }
    problems.extend(keys.problems(&key));
    let body = body(&cells, &mut problems);
    Checked::new(key, body, problems)
}
