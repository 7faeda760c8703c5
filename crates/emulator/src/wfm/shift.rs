//! One written shift as the schedules store it: its start, length and activities, each
//! activity naming its code by index.

/// One activity of a stored shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredActivity {
    /// Seconds since the epoch.
    pub start: i64,
    pub length: u16,
    /// Index into the unit's activity codes.
    pub code: u16,
    /// `None` when it is the activity code's name, which most are (no allocation then).
    pub description: Option<Box<str>>,
}

/// One stored shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredShift {
    pub id: u128,
    /// Seconds since the epoch.
    pub start: i64,
    pub length: u16,
    pub activities: Box<[StoredActivity]>,
}
