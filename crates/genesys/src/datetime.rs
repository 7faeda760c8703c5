//! Hand-written checks of ISO-8601 calendar dates (`YYYY-MM-DD`) and RFC 3339 date-times.
//!
//! Only validation is needed (the values travel as strings), so no date crate is pulled in.

/// Checks a calendar date `YYYY-MM-DD`; the error says what is wrong with it.
pub fn check_date(s: &str) -> Result<(), &'static str> {
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
    if day < 1 || day > days_in_month(year, month) {
        return Err("day is not in the month");
    }
    Ok(())
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
    check_date(&s[..10])?;
    if b[13] != b':' || b[16] != b':' {
        return Err(SHAPE);
    }
    let hour = digits(&b[11..13]).ok_or(SHAPE)?;
    let minute = digits(&b[14..16]).ok_or(SHAPE)?;
    let second = digits(&b[17..19]).ok_or(SHAPE)?;
    if hour > 23 || minute > 59 || second > 60 {
        return Err("time of day out of range");
    }
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

/// Days since 1970-01-01 of a calendar date `YYYY-MM-DD`.
pub fn parse_days(s: &str) -> Result<i64, &'static str> {
    check_date(s)?;
    let b = s.as_bytes();
    let year = digits(&b[0..4]).ok_or("must be a date YYYY-MM-DD")?;
    let month = digits(&b[5..7]).ok_or("must be a date YYYY-MM-DD")?;
    let day = digits(&b[8..10]).ok_or("must be a date YYYY-MM-DD")?;
    Ok(days_from_civil(i64::from(year), month, day))
}

/// Seconds since 1970-01-01T00:00:00Z of an RFC 3339 date-time (its fraction is dropped).
pub fn parse_seconds(s: &str) -> Result<i64, &'static str> {
    check_date_time(s)?;
    let b = s.as_bytes();
    let days = parse_days(&s[..10])?;
    let field = |range: std::ops::Range<usize>| i64::from(digits(&b[range]).unwrap_or(0));
    let mut secs = days * 86_400 + field(11..13) * 3600 + field(14..16) * 60 + field(17..19);
    let mut rest = &b[19..];
    if rest.first() == Some(&b'.') {
        let frac = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &rest[1 + frac..];
    }
    if let [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] = rest {
        let offset = i64::from(digits(&[*h1, *h2]).unwrap_or(0)) * 3600
            + i64::from(digits(&[*m1, *m2]).unwrap_or(0)) * 60;
        secs += if *sign == b'+' { -offset } else { offset };
    }
    Ok(secs)
}

/// The date `YYYY-MM-DD` of a day counted from 1970-01-01.
pub fn format_days(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
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
    // 1970-01-01 was a Thursday.
    (days + 3).rem_euclid(7) as usize
}

/// The index in [`WEEKDAYS`] of a day's name, any case.
pub fn weekday_index(name: &str) -> Option<usize> {
    WEEKDAYS.iter().position(|d| d.eq_ignore_ascii_case(name))
}

/// The last day on or before `days` that falls on `start` (0 = Monday): the start of its week.
pub fn week_start(days: i64, start: usize) -> i64 {
    days - (weekday(days) + 7 - start) as i64 % 7
}

/// Days since the epoch of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day counted from the epoch.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
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

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
