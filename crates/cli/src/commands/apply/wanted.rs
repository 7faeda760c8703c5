//! The schedule update's input, read: each row's agent key (its schedule checked), then, once the
//! keys are resolved to user ids, the rows read again and merged as they are read into one wanted
//! schedule per agent and week (no row's schedule is held beside them). Rows of one agent,
//! week and shift start (one row per activity, as `pacer export` writes them) make one shift.

use std::collections::HashMap;

use pacer_client::bulk::{Desired, DesiredActivity, DesiredShift, DesiredTimeOff, Finding};
use pacer_genesys::{Schedule, Shift, Starts, parse_schedule_with};
use pacer_input::{AgentKey, Input, Item, Row, Validation};
use pacer_journal::Journal;

use super::load_item;
use super::settings::{ApplySettings, BulkOptions};
use crate::exit::Exit;

/// One row of the input's agent key: its line and how it names its agent.
pub struct RowKey {
    pub line: u64,
    pub key: AgentKey,
}

/// The input's rows as the keys' resolution needs them: only their keys (their schedules are
/// read again once the keys are resolved, and merged as they are read).
pub struct Keys {
    pub rows: Vec<RowKey>,
    /// Some row holds a full day off.
    pub with_time_off: bool,
}

/// One row of the input: its line and its schedule.
pub struct KeyedRow {
    pub line: u64,
    pub schedule: Schedule,
}

/// The input's schedules, merged per agent and week, and the rows each came from.
pub struct Wanted {
    pub desired: Vec<Desired>,
    /// The input lines of each entry of `desired`.
    pub lines: Vec<Vec<u64>>,
}

/// Reads every valid row's key, checking its schedule; a row the schedule update cannot take
/// stops the run with every such row listed (exit 2, nothing sent).
pub fn read_keys(
    settings: &ApplySettings,
    options: &BulkOptions,
    input: &Input,
    validation: &Validation,
) -> anyhow::Result<Keys> {
    let mut keys = Keys {
        rows: Vec::new(),
        with_time_off: false,
    };
    let mut problems = Vec::new();
    for item in input.rows(validation).map_err(Exit::usage)? {
        let Item::Valid(row) = item.map_err(Exit::usage)? else {
            continue;
        };
        match row_schedule(settings, options, &row) {
            Ok(schedule) => {
                keys.with_time_off |= !schedule.full_day_time_off_markers.is_empty();
                keys.rows.push(RowKey {
                    line: row.line,
                    key: row.key,
                });
            }
            Err(problem) => problems.push(problem),
        }
    }
    if !problems.is_empty() {
        for problem in problems.iter().take(200) {
            eprintln!("{problem}");
        }
        return Err(Exit::usage(format!(
            "{}: {} rows cannot go through the schedule update (above); nothing was sent",
            settings.input.display(),
            problems.len()
        )));
    }
    Ok(keys)
}

/// Reads the rows again and merges each, as it is read, into its agent's wanted schedule (by
/// the user id `ids` gives its line); see [`merge`]. A new `journal`'s items are loaded in the
/// same pass.
pub fn read_wanted(
    settings: &ApplySettings,
    options: &BulkOptions,
    input: &Input,
    validation: &Validation,
    ids: &HashMap<u64, String>,
    with_time_off: bool,
    journal: Option<&mut Journal>,
) -> anyhow::Result<(Wanted, Vec<Finding>)> {
    let mut loader = match journal {
        Some(journal) if !journal.items_loaded()? => Some(journal.loader()),
        _ => None,
    };
    let mut merger = Merger::new(with_time_off, validation.rows_valid);
    for item in input.rows(validation).map_err(Exit::usage)? {
        let item = item.map_err(Exit::usage)?;
        if let Some(loader) = loader.as_mut() {
            load_item(loader, &item)?;
        }
        let Item::Valid(row) = item else {
            continue;
        };
        // Every row's schedule read the first time: one that does not now is another file.
        let schedule = row_schedule(settings, options, &row).map_err(Exit::usage)?;
        merger.add(
            KeyedRow {
                line: row.line,
                schedule,
            },
            ids,
        );
    }
    if let Some(loader) = loader {
        loader.finish()?;
    }
    Ok(merger.finish())
}

/// A row's schedule, when it is one the schedule update takes (and of the `--week` given); else
/// the problem, with the file and line.
fn row_schedule(
    settings: &ApplySettings,
    options: &BulkOptions,
    row: &Row,
) -> Result<Schedule, String> {
    let schedule = parse_schedule_with(&row.body, Starts::WallClockToo).map_err(|err| {
        format!(
            "{}:{}: {}: the schedule update needs a schedule (weekDate and shifts)",
            settings.input.display(),
            row.line,
            err.path
        )
    })?;
    if let Some(week) = &options.week
        && &schedule.week_date != week
    {
        return Err(format!(
            "{}:{}: weekDate: {} is not the week given with --week ({week})",
            settings.input.display(),
            row.line,
            schedule.week_date
        ));
    }
    Ok(schedule)
}

/// Merges the rows into one wanted schedule per agent (by the user id `ids` gives each line) and
/// week; a shift whose rows disagree on its length is a finding. A file that holds any full day
/// off holds every one of its agents' weeks: their days off are replaced by the file's (none
/// for an agent without any); a file without any leaves every agent's days off as they are.
#[cfg(test)]
pub fn merge(rows: Vec<KeyedRow>, ids: &HashMap<u64, String>) -> (Wanted, Vec<Finding>) {
    let with_time_off = rows
        .iter()
        .any(|r| !r.schedule.full_day_time_off_markers.is_empty());
    let mut merger = Merger::new(with_time_off, rows.len() as u64);
    for row in rows {
        merger.add(row, ids);
    }
    merger.finish()
}

/// Rows merged one at a time into wanted schedules.
struct Merger {
    with_time_off: bool,
    /// Lowercase user id and week to the entry of `wanted`.
    index: HashMap<(String, String), usize>,
    wanted: Wanted,
    findings: Vec<Finding>,
}

impl Merger {
    /// A merger of at most `rows` rows: room for as many agents, given back at the end when
    /// agents have several rows (growing a hundred thousand agents' vector copied it each time).
    fn new(with_time_off: bool, rows: u64) -> Merger {
        let rows = usize::try_from(rows).unwrap_or(0);
        Merger {
            with_time_off,
            index: HashMap::with_capacity(rows),
            wanted: Wanted {
                desired: Vec::with_capacity(rows),
                lines: Vec::with_capacity(rows),
            },
            findings: Vec::new(),
        }
    }

    /// Adds one row to its agent's week.
    fn add(&mut self, row: KeyedRow, ids: &HashMap<u64, String>) {
        let Some(user_id) = ids.get(&row.line) else {
            return;
        };
        let wanted = &mut self.wanted;
        let with_time_off = self.with_time_off;
        let key = (user_id.to_ascii_lowercase(), row.schedule.week_date.clone());
        let at = *self.index.entry(key).or_insert_with(|| {
            wanted.desired.push(Desired {
                line: row.line,
                user_id: user_id.clone(),
                week: row.schedule.week_date.clone(),
                shifts: Vec::new(),
                time_off: with_time_off.then(Vec::new),
                remove: false,
                guard: None,
            });
            wanted.lines.push(Vec::new());
            wanted.desired.len() - 1
        });
        wanted.lines[at].push(row.line);
        if let Some(days) = &mut wanted.desired[at].time_off {
            days.extend(
                row.schedule
                    .full_day_time_off_markers
                    .iter()
                    .map(|m| DesiredTimeOff {
                        line: row.line,
                        date: m.business_unit_date.clone(),
                        length_minutes: m.length_minutes,
                        code: m.activity_code_id.clone(),
                        description: m.description.clone(),
                    }),
            );
        }
        let shifts = &mut wanted.desired[at].shifts;
        for shift in row.schedule.shifts {
            if let Some(finding) = add_shift(shifts, row.line, shift) {
                self.findings.push(finding);
            }
        }
    }

    fn finish(mut self) -> (Wanted, Vec<Finding>) {
        self.wanted.desired.shrink_to_fit();
        self.wanted.lines.shrink_to_fit();
        (self.wanted, self.findings)
    }
}

/// Adds a row's shift: to the shift of the same start when there is one (its activities
/// appended), else as a shift of its own.
fn add_shift(shifts: &mut Vec<DesiredShift>, line: u64, shift: Shift) -> Option<Finding> {
    let activities = shift.activities.into_iter().map(|a| DesiredActivity {
        start: a.start_date,
        length_minutes: a.length_minutes,
        code: Some(a.activity_code_id).filter(|c| !c.is_empty()),
        description: a.description,
    });
    match shifts.iter_mut().find(|s| s.start == shift.start_date) {
        Some(same) if same.length_minutes != shift.length_minutes => Some(Finding {
            line,
            field: "shiftLengthMinutes",
            reason: format!(
                "the shift starting {} lasts {} minutes here but {} on line {}",
                shift.start_date, shift.length_minutes, same.length_minutes, same.line
            ),
        }),
        Some(same) => {
            same.activities.extend(activities);
            same.activities.shrink_to_fit();
            None
        }
        None => {
            // Held for the whole run, a hundred thousand agents' worth: no spare capacity (a
            // vector grown from one element keeps room for four).
            let mut activities: Vec<DesiredActivity> = activities.collect();
            activities.shrink_to_fit();
            shifts.reserve_exact(1);
            shifts.push(DesiredShift {
                line,
                start: shift.start_date,
                length_minutes: shift.length_minutes,
                activities,
            });
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pacer_genesys::Activity;

    fn row(line: u64, start: &str, length: u32, activity: (&str, u32, &str)) -> KeyedRow {
        KeyedRow {
            line,
            schedule: Schedule {
                week_date: "2026-12-07".into(),
                shifts: vec![Shift {
                    start_date: start.into(),
                    length_minutes: length,
                    activities: vec![Activity {
                        start_date: activity.0.into(),
                        length_minutes: activity.1,
                        activity_code_id: activity.2.into(),
                        description: None,
                    }],
                }],
                full_day_time_off_markers: Vec::new(),
                metadata: None,
            },
        }
    }

    #[test]
    fn rows_of_one_shift_start_make_one_shift_of_their_activities() {
        let rows = vec![
            row(
                2,
                "2026-12-08T09:00",
                480,
                ("2026-12-08T09:00", 120, "Work"),
            ),
            row(
                3,
                "2026-12-08T09:00",
                480,
                ("2026-12-08T11:00", 15, "Break"),
            ),
            row(
                4,
                "2026-12-09T09:00",
                480,
                ("2026-12-09T09:00", 480, "Work"),
            ),
        ];
        let ids = (2..=4).map(|l| (l, "U".to_string())).collect();
        let (wanted, findings) = merge(rows, &ids);
        assert!(findings.is_empty());
        assert_eq!(wanted.desired.len(), 1);
        assert_eq!(wanted.lines[0], vec![2, 3, 4]);
        let shifts = &wanted.desired[0].shifts;
        assert_eq!(shifts.len(), 2);
        assert_eq!(shifts[0].activities.len(), 2);
        assert_eq!(shifts[0].line, 2);
    }

    #[test]
    fn a_shift_whose_rows_disagree_on_its_length_is_a_finding_on_the_later_row() {
        let rows = vec![
            row(
                2,
                "2026-12-08T09:00",
                480,
                ("2026-12-08T09:00", 120, "Work"),
            ),
            row(
                3,
                "2026-12-08T09:00",
                450,
                ("2026-12-08T11:00", 15, "Break"),
            ),
        ];
        let ids = (2..=3).map(|l| (l, "u".to_string())).collect();
        let (_, findings) = merge(rows, &ids);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            (findings[0].line, findings[0].field),
            (3, "shiftLengthMinutes")
        );
    }
}
