//! Time zones as business units keep them: IANA names read from jiff's compiled-in tz database
//! (nothing depends on the machine's zoneinfo), a week's exact bounds from local midnight to local
//! midnight (167 or 169 hours across a DST change), wall-clock times read in a unit's zone, and
//! instants written back in local time with their offset.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};

use crate::datetime::{check_date_time, date_of, parse_seconds};

/// A named IANA time zone.
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

/// A zone name the tz database does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone `{0}`: not an IANA zone name of the tz database pacer carries")]
pub struct UnknownZone(pub String);

/// What to do with a wall-clock time the autumn change makes happen twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ambiguous {
    /// Refuse it: the input must say which (a finding).
    #[default]
    Refuse,
    /// The first of the two instants (still on summer time).
    Earlier,
    /// The second of the two instants (back on standard time).
    Later,
}

/// Why a start time cannot be placed on the time line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeProblem {
    /// Neither an RFC 3339 date-time nor a wall-clock time.
    Shape(&'static str),
    /// A wall-clock time the spring change skips.
    Gap {
        local: String,
        zone: String,
        before: String,
        after: String,
    },
    /// A wall-clock time the autumn change makes happen twice, with no choice given.
    Fold {
        local: String,
        zone: String,
        earlier: String,
        later: String,
    },
}

impl fmt::Display for TimeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeProblem::Shape(reason) => f.write_str(reason),
            TimeProblem::Gap {
                local,
                zone,
                before,
                after,
            } => write!(
                f,
                "{local} does not exist in {zone}: the clocks jump forward there, from UTC{before} \
                 to UTC{after} (write the time with its offset, or a time outside the jump)"
            ),
            TimeProblem::Fold {
                local,
                zone,
                earlier,
                later,
            } => write!(
                f,
                "{local} happens twice in {zone} (at {earlier} and at {later}): write it with its \
                 offset, or pass --ambiguous earlier|later"
            ),
        }
    }
}

impl Zone {
    /// The zone of an IANA name, such as `America/Chicago`.
    pub fn named(name: &str) -> Result<Zone, UnknownZone> {
        let tz = TimeZone::get(name).map_err(|_| UnknownZone(name.to_string()))?;
        Ok(Zone {
            name: name.to_string(),
            tz,
        })
    }

    /// UTC.
    pub fn utc() -> Zone {
        Zone {
            name: "Etc/UTC".into(),
            tz: TimeZone::UTC,
        }
    }

    /// The zone's IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Seconds since the epoch of local midnight starting `day` (days since 1970-01-01). A
    /// midnight the zone skips starts the day at the first instant after the jump.
    pub fn midnight(&self, day: i64) -> i64 {
        let local = date_of(day).to_datetime(jiff::civil::Time::midnight());
        self.tz
            .to_ambiguous_timestamp(local)
            .later()
            .map_or(day * 86_400, Timestamp::as_second)
    }

    /// The instants a week starting on `day` spans: from local midnight of its first day to local
    /// midnight seven days later (half-open), exact across a DST change.
    pub fn week(&self, day: i64) -> (i64, i64) {
        (self.midnight(day), self.midnight(day + 7))
    }

    /// The zone's offset from UTC at an instant, in seconds.
    pub fn offset_at(&self, secs: i64) -> i32 {
        Timestamp::from_second(secs).map_or(0, |at| self.tz.to_offset(at).seconds())
    }

    /// The instant of a start time: an RFC 3339 date-time is that instant; a wall-clock time
    /// (`2026-11-03T09:00`, `2026-11-03 09:00`, seconds optional) is read in this zone, a time
    /// that the spring change skips is refused, and one that the autumn change repeats is refused
    /// unless `ambiguous` chooses.
    pub fn resolve(&self, text: &str, ambiguous: Ambiguous) -> Result<i64, TimeProblem> {
        if let Ok(at) = parse_seconds(text) {
            return Ok(at);
        }
        let local = wall_clock(text).ok_or(TimeProblem::Shape(
            "must be a date-time with its offset (2026-11-03T09:00:00Z, 2026-11-03T09:00:00-06:00) \
             or a wall-clock time in the business unit's zone (2026-11-03T09:00, 2026-11-03 09:00)",
        ))?;
        let zoned = self.tz.to_ambiguous_timestamp(local);
        let place = |offset: Offset| format_with_offset(local, offset);
        match (zoned.offset(), ambiguous) {
            (AmbiguousOffset::Unambiguous { offset }, _) => Ok(seconds_at(local, offset)),
            (AmbiguousOffset::Gap { before, after }, _) => Err(TimeProblem::Gap {
                local: text.to_string(),
                zone: self.name.clone(),
                before: format_offset(before.seconds()),
                after: format_offset(after.seconds()),
            }),
            (AmbiguousOffset::Fold { before, .. }, Ambiguous::Earlier) => {
                Ok(seconds_at(local, before))
            }
            (AmbiguousOffset::Fold { after, .. }, Ambiguous::Later) => Ok(seconds_at(local, after)),
            (AmbiguousOffset::Fold { before, after }, Ambiguous::Refuse) => {
                Err(TimeProblem::Fold {
                    local: text.to_string(),
                    zone: self.name.clone(),
                    earlier: place(before),
                    later: place(after),
                })
            }
        }
    }

    /// An instant in this zone's local time with its offset: `2026-11-01T09:00:00-05:00`.
    pub fn local(&self, secs: i64) -> String {
        match Timestamp::from_second(secs) {
            Ok(at) => at
                .to_zoned_datetime(self.tz.clone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string(),
            Err(_) => crate::datetime::format_seconds(secs),
        }
    }
}

/// Whether a start time is one a schedule may hold before its unit is known: an RFC 3339
/// date-time, or a wall-clock time to be read in the unit's zone.
pub fn check_start(text: &str) -> Result<(), &'static str> {
    match check_date_time(text) {
        Ok(()) => Ok(()),
        Err(_) if wall_clock(text).is_some() => Ok(()),
        Err(reason) if text.len() > 19 => Err(reason),
        Err(_) => Err(
            "must be a date-time YYYY-MM-DDTHH:MM:SS with its offset (Z or +HH:MM), or a \
             wall-clock time YYYY-MM-DDTHH:MM[:SS] in the business unit's zone",
        ),
    }
}

/// A wall-clock time without an offset: `YYYY-MM-DD` then `T` or a space, then `HH:MM` and
/// optionally `:SS` (with a fraction).
fn wall_clock(text: &str) -> Option<DateTime> {
    let b = text.as_bytes();
    if b.len() < 16 || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' {
        return None;
    }
    if !b[11..]
        .iter()
        .all(|c| c.is_ascii_digit() || *c == b':' || *c == b'.')
    {
        return None;
    }
    let date: Date = crate::datetime::date(&text[..10]).ok()?;
    let time: jiff::civil::Time = text[11..].parse().ok()?;
    Some(date.to_datetime(time))
}

/// Seconds since the epoch of a wall-clock time at a given offset.
fn seconds_at(local: DateTime, offset: Offset) -> i64 {
    offset.to_timestamp(local).map_or(0, Timestamp::as_second)
}

/// A wall-clock time written with an offset: `2027-03-14T02:00:00-05:00`.
fn format_with_offset(local: DateTime, offset: Offset) -> String {
    let secs = seconds_at(local, offset);
    let tz = TimeZone::fixed(offset);
    Timestamp::from_second(secs)
        .map(|at| {
            at.to_zoned_datetime(tz)
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string()
        })
        .unwrap_or_default()
}

/// An offset from UTC as `+HH:MM` or `-HH:MM`.
pub fn format_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datetime::{format_seconds, parse_days};

    fn week(zone: &str, day: &str) -> (String, String) {
        let (from, to) = Zone::named(zone).unwrap().week(parse_days(day).unwrap());
        (format_seconds(from), format_seconds(to))
    }

    #[test]
    fn a_week_across_the_autumn_change_lasts_169_hours() {
        // New York leaves summer time on 2026-11-01: a Monday week of 169 hours.
        assert_eq!(
            week("America/New_York", "2026-10-26"),
            ("2026-10-26T04:00:00Z".into(), "2026-11-02T05:00:00Z".into())
        );
        // London leaves it on 2026-10-25: a Sunday week starting that day.
        assert_eq!(
            week("Europe/London", "2026-10-25"),
            ("2026-10-24T23:00:00Z".into(), "2026-11-01T00:00:00Z".into())
        );
    }

    #[test]
    fn a_week_across_the_spring_change_lasts_167_hours() {
        assert_eq!(
            week("America/New_York", "2027-03-08"),
            ("2027-03-08T05:00:00Z".into(), "2027-03-15T04:00:00Z".into())
        );
        // Sydney starts summer time on 2026-10-04 (southern spring), at 02:00 local.
        assert_eq!(
            week("Australia/Sydney", "2026-09-28"),
            ("2026-09-27T14:00:00Z".into(), "2026-10-04T13:00:00Z".into())
        );
    }

    #[test]
    fn a_half_hour_zone_keeps_its_half_hour() {
        assert_eq!(
            week("Asia/Kolkata", "2026-10-26"),
            ("2026-10-25T18:30:00Z".into(), "2026-11-01T18:30:00Z".into())
        );
        let kolkata = Zone::named("Asia/Kolkata").unwrap();
        let at = kolkata
            .resolve("2026-10-27 09:00", Ambiguous::Refuse)
            .unwrap();
        assert_eq!(format_seconds(at), "2026-10-27T03:30:00Z");
        assert_eq!(kolkata.local(at), "2026-10-27T09:00:00+05:30");
    }

    #[test]
    fn wall_clock_times_are_read_in_the_zone_and_instants_stay_instants() {
        let ny = Zone::named("America/New_York").unwrap();
        let read = |text: &str| format_seconds(ny.resolve(text, Ambiguous::Refuse).unwrap());
        assert_eq!(read("2026-11-01T09:00"), "2026-11-01T14:00:00Z");
        assert_eq!(read("2026-10-31T09:00"), "2026-10-31T13:00:00Z");
        assert_eq!(read("2026-10-31 09:00:30"), "2026-10-31T13:00:30Z");
        assert_eq!(read("2026-10-31T09:00:00Z"), "2026-10-31T09:00:00Z");
        assert_eq!(read("2026-10-31T09:00:00+01:00"), "2026-10-31T08:00:00Z");
        assert!(matches!(
            ny.resolve("2026-10-31", Ambiguous::Refuse),
            Err(TimeProblem::Shape(_))
        ));
    }

    #[test]
    fn a_skipped_time_is_refused_and_a_repeated_one_needs_a_choice() {
        let ny = Zone::named("America/New_York").unwrap();
        let gap = ny
            .resolve("2027-03-14T02:30", Ambiguous::Later)
            .unwrap_err();
        assert!(matches!(gap, TimeProblem::Gap { .. }), "{gap}");
        assert!(
            gap.to_string()
                .contains("does not exist in America/New_York"),
            "{gap}"
        );
        assert!(gap.to_string().contains("UTC-05:00 to UTC-04:00"), "{gap}");

        let fold = ny
            .resolve("2026-11-01T01:30", Ambiguous::Refuse)
            .unwrap_err();
        assert!(
            fold.to_string().contains("2026-11-01T01:30:00-04:00"),
            "{fold}"
        );
        assert!(
            fold.to_string().contains("2026-11-01T01:30:00-05:00"),
            "{fold}"
        );
        let earlier = ny.resolve("2026-11-01T01:30", Ambiguous::Earlier).unwrap();
        let later = ny.resolve("2026-11-01T01:30", Ambiguous::Later).unwrap();
        assert_eq!(format_seconds(earlier), "2026-11-01T05:30:00Z");
        assert_eq!(format_seconds(later), "2026-11-01T06:30:00Z");
    }

    #[test]
    fn unknown_zones_are_named() {
        let err = Zone::named("Mars/Olympus_Mons").unwrap_err();
        assert!(err.to_string().contains("Mars/Olympus_Mons"), "{err}");
    }

    #[test]
    fn starts_may_be_instants_or_wall_clock_times() {
        for ok in [
            "2026-12-07T08:00:00Z",
            "2026-12-07T08:00",
            "2026-12-07 08:00",
            "2026-12-07T08:00:00",
        ] {
            assert!(check_start(ok).is_ok(), "{ok}");
        }
        for bad in [
            "2026-12-07",
            "2026-12-07T8:00",
            "2026-12-07T08:00:00+0100",
            "tomorrow",
        ] {
            assert!(check_start(bad).is_err(), "{bad}");
        }
    }
}
