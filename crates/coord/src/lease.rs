//! Permits taken from the shared budget in leases: one round trip grants a block of sends,
//! counted in the shared limits at once (a reservation), used within the lease's life and then
//! given back if unused. The block is sized by what this runner sends in a lease's life, so that
//! a fast runner asks seldom and a slow one reserves nothing it would not use.

use std::time::Duration;

use tokio::time::Instant;

/// How a demand's rate is smoothed: each measurement weighs this much against the past.
const DEMAND_WEIGHT: f64 = 0.3;
/// The shortest span a demand measurement covers, so that one burst does not read as a rate.
const DEMAND_SPAN: Duration = Duration::from_millis(5);
/// The most permits one lease asks for.
const MOST: u64 = 10_000;

/// A block of permits granted by the shared budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Lease {
    /// Permits not used yet (`None`: any number, no shared limit being known).
    pub left: Option<u64>,
    /// The first moment (this runner's clock) a permit of it may be used: later than its grant
    /// for permits reserved ahead.
    pub from: Instant,
    /// The last moment a permit of it may be used.
    pub until: Instant,
    /// When Redis granted it, on Redis's clock, in microseconds.
    pub at_us: u64,
    /// Its life, in microseconds.
    pub life_us: u64,
    /// The generation of the shared limits it was counted in.
    pub generation: u64,
}

/// What a lease leaves unused, to give back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GiveBack {
    pub at_us: u64,
    pub count: u64,
    pub life_us: u64,
    pub generation: u64,
}

/// This runner's permits: its current lease and the rate it uses them at.
#[derive(Debug)]
pub(crate) struct Permits {
    lease: Option<Lease>,
    /// Permits used since `since`.
    used: u64,
    since: Instant,
    /// Permits per second, smoothed.
    rate: f64,
    /// The shared budget refused a lease until then.
    not_before: Option<Instant>,
}

impl Permits {
    pub(crate) fn new(now: Instant) -> Permits {
        Permits {
            lease: None,
            used: 0,
            since: now,
            rate: 0.0,
            not_before: None,
        }
    }

    /// How long until the permits reserved ahead may be used, if some are.
    pub(crate) fn starts_in(&self, now: Instant) -> Option<Duration> {
        self.lease
            .filter(|l| now < l.from && l.from <= l.until && l.left != Some(0))
            .map(|l| l.from - now)
    }

    /// Notes that the shared budget grants nothing before `until`.
    pub(crate) fn refused(&mut self, until: Instant) {
        self.not_before = Some(until);
    }

    /// How long the shared budget said to wait, if that is not over at `now`.
    pub(crate) fn refused_for(&self, now: Instant) -> Option<Duration> {
        self.not_before
            .filter(|until| now < *until)
            .map(|until| until - now)
    }

    /// Uses one permit of the lease, if it has one left and is still alive at `now`.
    pub(crate) fn take(&mut self, now: Instant) -> bool {
        let Some(lease) = self
            .lease
            .as_mut()
            .filter(|l| l.from <= now && now <= l.until)
        else {
            return false;
        };
        match &mut lease.left {
            None => {}
            Some(0) => return false,
            Some(left) => *left -= 1,
        }
        self.used += 1;
        true
    }

    /// How many permits to ask for: what this runner uses in a lease of `life`, and at least
    /// one for each of the `waiting` requests.
    pub(crate) fn want(&mut self, now: Instant, waiting: u64, life: Duration) -> u64 {
        self.measure(now);
        let expected = (self.rate * life.as_secs_f64()).ceil() as u64;
        expected.max(waiting).clamp(1, MOST)
    }

    /// Folds the permits used since the last measurement into the rate.
    fn measure(&mut self, now: Instant) {
        let span = now.saturating_duration_since(self.since);
        if span < DEMAND_SPAN {
            return;
        }
        let measured = self.used as f64 / span.as_secs_f64();
        self.rate = if self.rate == 0.0 {
            measured
        } else {
            self.rate + DEMAND_WEIGHT * (measured - self.rate)
        };
        self.used = 0;
        self.since = now;
    }

    /// Takes the new lease (replacing the old, whose unused part the grant gave back).
    pub(crate) fn grant(&mut self, lease: Lease) {
        self.lease = Some(lease);
        self.not_before = None;
    }

    /// Ends the current lease; its unused permits, if any, to give back.
    pub(crate) fn end(&mut self) -> Option<GiveBack> {
        let lease = self.lease.take()?;
        match lease.left {
            Some(count) if count > 0 => Some(GiveBack {
                at_us: lease.at_us,
                count,
                life_us: lease.life_us,
                generation: lease.generation,
            }),
            _ => None,
        }
    }

    /// Ends a lease granted while no shared limit was known (it counted nothing).
    pub(crate) fn end_unlimited(&mut self) {
        if self.lease.is_some_and(|l| l.left.is_none()) {
            self.lease = None;
        }
    }

    /// Ends the lease if it has run out at `now`; its unused permits to give back.
    pub(crate) fn end_if_over(&mut self, now: Instant) -> Option<GiveBack> {
        match self.lease {
            Some(lease) if now > lease.until => self.end(),
            _ => None,
        }
    }

    /// The life of the last lease, to size the next by (a short one before any).
    pub(crate) fn last_life(&self) -> Duration {
        self.lease.map_or(Duration::from_millis(25), |l| {
            Duration::from_micros(l.life_us)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(left: Option<u64>, until: Instant) -> Lease {
        Lease {
            left,
            from: until - Duration::from_millis(25),
            until,
            at_us: 1_000,
            life_us: 25_000,
            generation: 3,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_lease_serves_its_permits_within_its_life_and_gives_back_the_rest() {
        let start = Instant::now();
        let mut permits = Permits::new(start);
        assert!(!permits.take(start), "nothing granted yet");
        permits.grant(lease(Some(3), start + Duration::from_millis(25)));
        assert!(permits.take(start) && permits.take(start));
        assert_eq!(permits.end_if_over(start), None, "still alive");
        let later = start + Duration::from_millis(26);
        assert!(!permits.take(later), "past its life");
        assert_eq!(
            permits.end_if_over(later),
            Some(GiveBack {
                at_us: 1_000,
                count: 1,
                life_us: 25_000,
                generation: 3
            })
        );
        permits.grant(lease(None, later + Duration::from_millis(25)));
        assert!((0..1000).all(|_| permits.take(later)), "no limit known");
        assert_eq!(permits.end(), None, "nothing counted, nothing to give back");
    }

    #[tokio::test(start_paused = true)]
    async fn permits_reserved_ahead_wait_for_their_moment() {
        let start = Instant::now();
        let mut permits = Permits::new(start);
        let from = start + Duration::from_millis(10);
        permits.grant(Lease {
            from,
            ..lease(Some(2), from + Duration::from_millis(25))
        });
        assert!(!permits.take(start));
        assert_eq!(permits.starts_in(start), Some(Duration::from_millis(10)));
        assert!(permits.take(from) && permits.take(from));
        assert_eq!(permits.starts_in(from), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_lease_is_sized_by_what_the_runner_sends_in_its_life() {
        let start = Instant::now();
        let mut permits = Permits::new(start);
        let life = Duration::from_millis(100);
        assert_eq!(permits.want(start, 0, life), 1, "no rate yet");
        assert_eq!(
            permits.want(start, 4, life),
            4,
            "one for each waiting request"
        );
        permits.grant(Lease {
            from: start,
            ..lease(None, start + Duration::from_secs(10))
        });
        // 50 a second for a second: five in 100 ms.
        for i in 0..50 {
            assert!(permits.take(start + Duration::from_millis(20 * i)));
        }
        assert_eq!(permits.want(start + Duration::from_secs(1), 0, life), 5);
    }
}
