//! One full day of time off as the schedules store it: the day within its schedule, its length,
//! its time-off activity code by index, and what the upload said beside them.

/// One stored `BuFullDayTimeOffMarker`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMarker {
    /// The day, counted from the schedule's first day.
    pub day: u16,
    pub length: u16,
    /// Index into the unit's activity codes (one of category `TimeOff`).
    pub code: u16,
    pub paid: bool,
    /// `None` when it is the activity code's name.
    pub description: Option<Box<str>>,
    pub time_off_request_id: Option<Box<str>>,
}
