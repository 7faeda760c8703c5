//! A schedule's weeks in its unit's time zone, computed once when the schedule is made: the exact
//! bounds from local midnight to local midnight (a week across a DST change lasts 167 or 169
//! hours), and where each day's wall clock starts, so that a shift at 08:00 local is at 08:00
//! whatever the day's offset.

use pacer_genesys::zone::Zone;

/// The instants of a schedule's weeks.
#[derive(Debug, Clone)]
pub struct Weeks {
    /// Seconds since the epoch of local midnight starting the first day, and of local midnight
    /// after the last (half-open).
    pub bounds: (i64, i64),
    /// For each day, the instant that reads 00:00 on the day's clock: local midnight moved by
    /// the offset change between midnight and noon, so that adding hours gives wall-clock times
    /// past a change made early in the morning.
    days: Box<[i64]>,
}

impl Weeks {
    /// The weeks of a schedule of `week_count` weeks starting on `week` (days since the epoch) in
    /// `zone`.
    pub fn new(zone: &Zone, week: i64, week_count: u32) -> Weeks {
        let count = 7 * i64::from(week_count);
        let days = (0..count)
            .map(|d| {
                let midnight = zone.midnight(week + d);
                let shift = zone.offset_at(midnight) - zone.offset_at(midnight + 12 * 3600);
                midnight + i64::from(shift)
            })
            .collect();
        Weeks {
            bounds: (zone.midnight(week), zone.midnight(week + count)),
            days,
        }
    }

    /// The instant that reads 00:00 on the wall clock of day `day` of the schedule (0 is its
    /// first day).
    pub fn day_start(&self, day: usize) -> i64 {
        self.days
            .get(day)
            .copied()
            .unwrap_or(self.bounds.0 + day as i64 * 86_400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pacer_genesys::datetime::{format_seconds, parse_days};

    fn weeks(zone: &str, week: &str, count: u32) -> Weeks {
        Weeks::new(
            &Zone::named(zone).unwrap(),
            parse_days(week).unwrap(),
            count,
        )
    }

    #[test]
    fn bounds_are_local_midnights_across_a_change() {
        let autumn = weeks("America/New_York", "2026-10-26", 1);
        assert_eq!(format_seconds(autumn.bounds.0), "2026-10-26T04:00:00Z");
        assert_eq!(format_seconds(autumn.bounds.1), "2026-11-02T05:00:00Z");
        let spring = weeks("Europe/London", "2027-03-28", 2);
        assert_eq!(format_seconds(spring.bounds.0), "2027-03-28T00:00:00Z");
        assert_eq!(format_seconds(spring.bounds.1), "2027-04-10T23:00:00Z");
    }

    #[test]
    fn days_start_on_the_wall_clock_even_on_the_day_of_a_change() {
        let autumn = weeks("America/New_York", "2026-10-26", 1);
        // Sunday 2026-11-01: midnight is on summer time, 08:00 on standard time.
        assert_eq!(
            format_seconds(autumn.day_start(6) + 8 * 3600),
            "2026-11-01T13:00:00Z"
        );
        assert_eq!(
            format_seconds(autumn.day_start(5) + 8 * 3600),
            "2026-10-31T12:00:00Z"
        );
        let kolkata = weeks("Asia/Kolkata", "2026-10-26", 1);
        assert_eq!(
            format_seconds(kolkata.day_start(1) + 8 * 3600),
            "2026-10-27T02:30:00Z"
        );
    }
}
