//! Calendar dates (`YYYY-MM-DD`) and RFC 3339 date-times as the API writes them, counted in days
//! and seconds since the epoch; the calendar itself is jiff's (see `zone` for time zones).
//!
//! The shapes are checked here by hand, so that each mistake gets its own message; whether a day
//! exists, and how days and seconds count, is left to jiff.

use jiff::civil::Date;
use jiff::{Span, Timestamp};

/// 1970-01-01, day 0.
const EPOCH: Date = Date::constant(1970, 1, 1);

/// Checks a calendar date `YYYY-MM-DD`; the error says what is wrong with it.
pub fn check_date(s: &str) -> Result<(), &'static str> {
    date(s).map(|_| ())
}

/// The calendar date of `YYYY-MM-DD`, or what is wrong with it.
pub fn date(s: &str) -> Result<Date, &'static str> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err("must be a date YYYY-MM-DD");
    }
    let year = digits(&b[0..4]).ok_or("must be a date YYYY-MM-DD")?;
    let month = digits(&b[5..7]).ok_or("must be a date YYYY-MM-DD")?;
    let day = digits(&b[8..10]).ok_or("must be a date YYYY-MM-DD")?;
    if !(1..=12).contains(&month) {
        return Err("month must be 01..12");
    }
    // Four digits and a month in range: only the day can be out of its month.
    Date::new(year as i16, month as i8, day as i8).map_err(|_| "day is not in the month")
}

/// Checks an RFC 3339 date-time, e.g. `2026-12-07T08:00:00Z` or `2026-12-07T08:00:00.000+01:00`.
///
/// The offset is required (a time without one is ambiguous for a schedule), seconds are required,
/// a fraction of any length is allowed, and `T`/`Z` may be lowercase as RFC 3339 permits.
pub fn check_date_time(s: &str) -> Result<(), &'static str> {
    const SHAPE: &str = "must be an ISO-8601 date-time YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM)";
    let b = s.as_bytes();
    if b.len() < 20 || !matches!(b[10], b'T' | b't') {
        return Err(SHAPE);
    }
    check_time_of_day(s, SHAPE)?;
    let mut rest = &b[19..];
    if rest.first() == Some(&b'.') {
        let frac = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if frac == 0 {
            return Err(SHAPE);
        }
        rest = &rest[1 + frac..];
    }
    match rest {
        [b'Z' | b'z'] => Ok(()),
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            let oh = digits(&[*h1, *h2]).ok_or(SHAPE)?;
            let om = digits(&[*m1, *m2]).ok_or(SHAPE)?;
            if oh > 23 || om > 59 {
                return Err("offset out of range");
            }
            Ok(())
        }
        [] => Err("needs a time zone offset (Z or +HH:MM)"),
        _ => Err(SHAPE),
    }
}

/// The date and the time of day `HH:MM:SS` that open a date-time.
fn check_time_of_day(s: &str, shape: &'static str) -> Result<(), &'static str> {
    let b = s.as_bytes();
    check_date(&s[..10])?;
    if b[13] != b':' || b[16] != b':' {
        return Err(shape);
    }
    let hour = digits(&b[11..13]).ok_or(shape)?;
    let minute = digits(&b[14..16]).ok_or(shape)?;
    let second = digits(&b[17..19]).ok_or(shape)?;
    if hour > 23 || minute > 59 || second > 60 {
        return Err("time of day out of range");
    }
    Ok(())
}

/// Days since 1970-01-01 of a calendar date `YYYY-MM-DD`.
pub fn parse_days(s: &str) -> Result<i64, &'static str> {
    Ok(days_of(date(s)?))
}

/// Days since 1970-01-01 of a date.
pub fn days_of(date: Date) -> i64 {
    EPOCH
        .until(date)
        .map(|span| i64::from(span.get_days()))
        .expect("any two dates are a span of days apart")
}

/// Days since 1970-01-01 of the calendar's first and last days (-9999-01-01 and 9999-12-31).
const FIRST_DAY: i64 = -4_371_587;
const LAST_DAY: i64 = 2_932_896;

/// The date of a day counted from 1970-01-01 (clamped to the calendar's years, -9999 to 9999).
pub fn date_of(days: i64) -> Date {
    let days = days.clamp(FIRST_DAY, LAST_DAY);
    EPOCH
        .checked_add(Span::new().days(days))
        .expect("a day within the calendar's range")
}

/// Seconds since 1970-01-01T00:00:00Z of an RFC 3339 date-time (its fraction is dropped).
pub fn parse_seconds(s: &str) -> Result<i64, &'static str> {
    check_date_time(s)?;
    // The shape is RFC 3339's, so jiff reads it; a leap second reads as the second before it.
    let at: Timestamp = s.parse().map_err(|_| "time of day out of range")?;
    Ok(at.as_second())
}

/// The date `YYYY-MM-DD` of a day counted from 1970-01-01.
pub fn format_days(days: i64) -> String {
    date_of(days).strftime("%Y-%m-%d").to_string()
}

/// The UTC date-time `YYYY-MM-DDTHH:MM:SSZ` of seconds since the epoch.
pub fn format_seconds(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_days(days),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The days of the week as the API names them, Monday first.
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The day of the week of a day counted from 1970-01-01: 0 for Monday through 6 for Sunday.
pub fn weekday(days: i64) -> usize {
    date_of(days).weekday().to_monday_zero_offset() as usize
}

/// The index in [`WEEKDAYS`] of a day's name, any case.
pub fn weekday_index(name: &str) -> Option<usize> {
    WEEKDAYS.iter().position(|d| d.eq_ignore_ascii_case(name))
}

/// The last day on or before `days` that falls on `start` (0 = Monday): the start of its week.
pub fn week_start(days: i64, start: usize) -> i64 {
    days - (weekday(days) + 7 - start) as i64 % 7
}

/// Whether `text` is exactly what [`format_seconds`] writes for `secs`, checked without writing a
/// string (the common case of a start that is placed already: nothing to allocate).
pub fn says_seconds(text: &str, secs: i64) -> bool {
    let text = text.as_bytes();
    if text.len() != 20 {
        return false;
    }
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let Ok(year) = u32::try_from(year) else {
        return false;
    };
    if year > 9999 {
        return false;
    }
    let rem = secs.rem_euclid(86_400) as u32;
    let mut out = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, width: usize, mut value: u32| {
        for place in (at..at + width).rev() {
            out[place] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, month);
    put(8, 2, day);
    put(11, 2, rem / 3600);
    put(14, 2, rem % 3600 / 60);
    put(17, 2, rem % 60);
    out == text
}

/// The proleptic Gregorian date of a day counted from the epoch.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let date = date_of(days);
    (
        i64::from(date.year()),
        date.month() as u32,
        date.day() as u32,
    )
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_seconds_agrees_with_format_seconds() {
        // Around the epoch, leap days, years' and days' ends, and far dates.
        let samples = [
            0,
            59,
            86_399,
            951_782_400,
            1_796_515_200,
            1_796_601_599,
            253_402_300_799,
            -1,
            -86_400 * 365,
        ];
        for secs in samples
            .into_iter()
            .chain((0..2_000).map(|i| 1_790_000_000 + i * 3_601))
        {
            let text = format_seconds(secs);
            assert!(says_seconds(&text, secs), "{text} for {secs}");
            assert!(!says_seconds(&text, secs + 1), "{text} for {}", secs + 1);
        }
        assert!(!says_seconds("2026-11-30T09:00:00+00:00", 1_796_029_200));
        assert!(!says_seconds("2026-11-30T09:00", 1_796_029_200));
    }

    #[test]
    fn dates_accept_real_days_only() {
        assert!(check_date("2026-12-07").is_ok());
        assert!(check_date("2024-02-29").is_ok());
        assert!(check_date("2000-02-29").is_ok());
        assert!(check_date("1900-02-29").is_err());
        assert!(check_date("2026-02-29").is_err());
        assert!(check_date("2026-13-01").is_err());
        assert!(check_date("2026-04-31").is_err());
        assert!(check_date("2026-4-03").is_err());
        assert!(check_date("2026-04-00").is_err());
        assert!(check_date("2026/04/01").is_err());
        assert!(check_date("").is_err());
    }

    #[test]
    fn date_times_follow_rfc_3339() {
        for ok in [
            "2026-12-07T08:00:00Z",
            "2026-12-07T08:00:00.000Z",
            "2026-12-07t08:00:00z",
            "2026-12-07T23:59:59.123456+05:30",
            "2026-12-07T00:00:00-08:00",
        ] {
            assert!(check_date_time(ok).is_ok(), "{ok}");
        }
        for bad in [
            "2026-12-07",
            "2026-12-07T08:00:00",
            "2026-12-07T08:00Z",
            "2026-12-07T24:00:00Z",
            "2026-12-07T08:60:00Z",
            "2026-12-07T08:00:00.Z",
            "2026-12-07T08:00:00+0100",
            "2026-12-07 08:00:00Z",
            "2026-02-30T08:00:00Z",
            "2026-12-07T08:00:00Zjunk",
            "2026-12-07T08:00:00+24:00",
        ] {
            assert!(check_date_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_calendars_bounds_are_its_first_and_last_days() {
        assert_eq!(days_of(Date::MIN), FIRST_DAY);
        assert_eq!(days_of(Date::MAX), LAST_DAY);
        assert_eq!(format_days(LAST_DAY + 1), "9999-12-31");
    }

    #[test]
    fn calendar_arithmetic_round_trips() {
        assert_eq!(parse_days("1970-01-01"), Ok(0));
        assert_eq!(parse_days("2026-12-07"), Ok(20_794));
        assert_eq!(format_days(20_794), "2026-12-07");
        for days in [-700_000, -1, 0, 59, 11_016, 20_794, 2_932_896] {
            assert_eq!(parse_days(&format_days(days)), Ok(days));
        }
        // 2026-12-07 is a Monday, 2026-12-06 a Sunday.
        assert_eq!(weekday(20_794), 0);
        assert_eq!(WEEKDAYS[weekday(20_793)], "Sunday");
        assert_eq!(week_start(20_797, 0), 20_794);
        assert_eq!(week_start(20_794, 0), 20_794);
        assert_eq!(week_start(20_797, 6), 20_793);
        assert_eq!(weekday_index("sunday"), Some(6));
        assert_eq!(weekday_index("Funday"), None);
    }

    #[test]
    fn date_times_become_utc_seconds() {
        let base = 20_794 * 86_400 + 8 * 3600;
        assert_eq!(parse_seconds("2026-12-07T08:00:00Z"), Ok(base));
        assert_eq!(parse_seconds("2026-12-07T08:00:00.000Z"), Ok(base));
        assert_eq!(parse_seconds("2026-12-07T09:30:00+01:30"), Ok(base));
        assert_eq!(parse_seconds("2026-12-07T00:00:00-08:00"), Ok(base));
        assert_eq!(format_seconds(base), "2026-12-07T08:00:00Z");
        assert!(parse_seconds("2026-12-07T08:00:00").is_err());
        // RFC 3339 allows lowercase separators; a leap second reads as the second before it.
        assert_eq!(parse_seconds("2026-12-07t08:00:00z"), Ok(base));
        assert_eq!(parse_seconds("2026-12-07T08:00:60Z"), Ok(base + 59));
    }
}
