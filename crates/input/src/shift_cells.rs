//! The schedule a CSV row of shift columns makes: a shift with one activity spanning it, one
//! activity of a shift (with `shiftStart` and `shiftLengthMinutes`), or a full day of time off
//! (a `startDate` that is a date alone).

use pacer_genesys::{Activity, FullDayTimeOff, Schedule, Shift, Starts};

use super::*;

/// Where the shift columns are: indexes are 0-based.
#[derive(Debug, Clone, Copy)]
pub(super) struct ShiftColumns {
    pub(super) week_date: usize,
    pub(super) start_date: usize,
    pub(super) length: usize,
    pub(super) code: Option<usize>,
    pub(super) description: Option<usize>,
    /// With these columns each row is one activity of the shift that starts at `shiftStart`.
    pub(super) shift: Option<ShiftOf>,
}

/// The columns `shiftStart` and `shiftLengthMinutes`: indexes are 0-based.
#[derive(Debug, Clone, Copy)]
pub(super) struct ShiftOf {
    pub(super) start: usize,
    pub(super) length: usize,
}

impl ShiftColumns {
    /// The schedule of a row's cells, checked by the schedule's own rules, as the request body;
    /// `None` with every problem found, each on the column it comes from.
    pub(super) fn body(
        &self,
        cells: &[&str],
        starts: Starts,
        problems: &mut Vec<(Column, String)>,
    ) -> Option<Vec<u8>> {
        let before = problems.len();
        let schedule = if is_date_alone(cells[self.start_date]) {
            self.full_day(cells, problems)
        } else if let Some(of) = self.shift {
            self.activity(cells, of, problems)
        } else {
            self.whole_shift(cells, problems)
        };
        if let Err(err) = schedule.validate_with(starts) {
            let (index, name) = self.place(&err.path);
            problems.push((
                Column::Index(index as u64 + 1),
                format!("{name} {}", err.reason),
            ));
        }
        (problems.len() == before)
            .then(|| serde_json::to_vec(&schedule).expect("a schedule serializes"))
    }

    /// A row without `shiftStart`: one shift, with one activity spanning it when the layout has
    /// an activityCodeId column.
    fn whole_shift(&self, cells: &[&str], problems: &mut Vec<(Column, String)>) -> Schedule {
        let length_minutes = minutes(cells, self.length, "lengthMinutes", 1, problems);
        let start = cells[self.start_date].to_string();
        let activities = match self.code {
            Some(code) => vec![Activity {
                start_date: start.clone(),
                length_minutes,
                activity_code_id: cells[code].to_string(),
                description: self.description(cells),
            }],
            None => Vec::new(),
        };
        self.schedule(
            cells,
            vec![Shift {
                start_date: start,
                length_minutes,
                activities,
            }],
            Vec::new(),
        )
    }

    /// A row of one activity: its shift is the one that starts at `shiftStart`.
    fn activity(
        &self,
        cells: &[&str],
        of: ShiftOf,
        problems: &mut Vec<(Column, String)>,
    ) -> Schedule {
        let shift_length = minutes(cells, of.length, "shiftLengthMinutes", 1, problems);
        let length_minutes = minutes(cells, self.length, "lengthMinutes", 1, problems);
        let code = self
            .code
            .expect("the header checks an activity row has its code");
        let activity = Activity {
            start_date: cells[self.start_date].to_string(),
            length_minutes,
            activity_code_id: cells[code].to_string(),
            description: self.description(cells),
        };
        self.schedule(
            cells,
            vec![Shift {
                start_date: cells[of.start].to_string(),
                length_minutes: shift_length,
                activities: vec![activity],
            }],
            Vec::new(),
        )
    }

    /// A row of a full day of time off: `startDate` is its business-unit date, `lengthMinutes`
    /// its paid minutes and `activityCodeId` its time-off code; no shift.
    fn full_day(&self, cells: &[&str], problems: &mut Vec<(Column, String)>) -> Schedule {
        if let Some(of) = self.shift {
            for (index, name) in [(of.start, "shiftStart"), (of.length, "shiftLengthMinutes")] {
                if !cells[index].is_empty() {
                    problems.push((
                        Column::Index(index as u64 + 1),
                        format!(
                            "{name} must be empty on a full-day time off (a startDate that is a \
                             date alone); give startDate its time of day for an activity"
                        ),
                    ));
                }
            }
        }
        let code = match self.code {
            Some(code) => cells[code].to_string(),
            None => {
                problems.push((
                    Column::Index(self.start_date as u64 + 1),
                    "a full-day time off (a startDate that is a date alone) needs its time-off \
                     code, and the header has no activityCodeId column"
                        .into(),
                ));
                // A stand-in, so that the schedule's rules check the rest of the row alone.
                "-".into()
            }
        };
        let marker = FullDayTimeOff {
            business_unit_date: cells[self.start_date].to_string(),
            length_minutes: minutes(cells, self.length, "lengthMinutes", 0, problems),
            activity_code_id: code,
            description: self.description(cells),
        };
        self.schedule(cells, Vec::new(), vec![marker])
    }

    fn schedule(
        &self,
        cells: &[&str],
        shifts: Vec<Shift>,
        full_day_time_off_markers: Vec<FullDayTimeOff>,
    ) -> Schedule {
        Schedule {
            week_date: cells[self.week_date].to_string(),
            shifts,
            full_day_time_off_markers,
            metadata: None,
        }
    }

    /// The description, when the layout has one and its cell is not empty.
    fn description(&self, cells: &[&str]) -> Option<String> {
        self.description
            .map(|d| cells[d])
            .filter(|d| !d.is_empty())
            .map(str::to_string)
    }

    /// The column (0-based) and its name that a schedule error's path comes from.
    fn place<'p>(&self, path: &'p str) -> (usize, &'p str) {
        let field = path.rsplit('.').next().unwrap_or(path);
        // The shift's own fields, not its activity's: `shifts[0].startDate`.
        let of_shift = path.starts_with("shifts[") && !path.contains(".activities[");
        match (field, of_shift.then_some(self.shift).flatten()) {
            ("weekDate", _) => (self.week_date, "weekDate"),
            ("startDate", Some(of)) => (of.start, "shiftStart"),
            ("lengthMinutes", Some(of)) => (of.length, "shiftLengthMinutes"),
            ("startDate" | "businessUnitDate", _) => (self.start_date, "startDate"),
            ("lengthMinutes", _) => (self.length, "lengthMinutes"),
            ("activityCodeId", _) => (self.code.unwrap_or(self.start_date), "activityCodeId"),
            _ => (self.start_date, path),
        }
    }
}

/// Whether a start is a date alone (`YYYY-MM-DD`, a day of time off) rather than a time.
fn is_date_alone(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10 && b[4] == b'-' && b[7] == b'-'
}

/// A length cell as minutes; one that is not a whole number is a problem, and the length read
/// is then `lowest` (a valid one, so that the schedule's rules still check the rest of the row).
fn minutes(
    cells: &[&str],
    index: usize,
    name: &str,
    lowest: u32,
    problems: &mut Vec<(Column, String)>,
) -> u32 {
    match cells[index].parse::<u32>() {
        Ok(n) => n,
        Err(_) => {
            problems.push((
                Column::Index(index as u64 + 1),
                format!(
                    "{name} must be a whole number {lowest}..1440, got `{}`",
                    cells[index]
                ),
            ));
            lowest
        }
    }
}
