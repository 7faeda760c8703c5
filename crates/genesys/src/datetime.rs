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
}
