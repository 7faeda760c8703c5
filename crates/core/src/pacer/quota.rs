//! Advertised quotas: the refill rate of the server's quota, estimated from what its headers say
//! is left, by conservation of tokens.

use std::time::Duration;

/// Tracks advertised quotas to estimate the refill rate by conservation of tokens.
#[derive(Debug, Clone, Default)]
pub(super) struct Advertised {
    /// The first sample of the current estimation span: (time, remaining, admitted so far).
    anchor: Option<(Duration, u32, u64)>,
    /// The highest limit seen.
    pub(super) limit: u32,
    /// The rate the organization's limits API reported, in requests per second: a ceiling for
    /// what the headers suggest, and the first guess before they have said enough.
    pub(super) org_rate: Option<f64>,
}

impl Advertised {
    /// The refill rate that `remaining` of the highest limit seen implies at `now`, after
    /// `admitted` admissions; `first` when headers are the budget's source only from now on.
    pub(super) fn estimate_rate(
        &mut self,
        remaining: u32,
        reset_after: Option<Duration>,
        admitted: u64,
        first: bool,
        default_window: Duration,
        now: Duration,
    ) -> Option<f64> {
        let limit = self.limit;
        let org_rate = self.org_rate;
        self.conserved_rate(remaining, admitted, now)
            .or_else(|| refill_time_rate(limit, remaining, reset_after))
            .filter(|r| r.is_finite() && *r > 0.0)
            .or_else(|| {
                first.then(|| org_rate.unwrap_or(f64::from(limit) / default_window.as_secs_f64()))
            })
            .map(|r| org_rate.map_or(r, |ceiling| r.min(ceiling)))
    }

    /// Over a long span, tokens are conserved: what refilled equals what was admitted plus the
    /// change in remaining (while the quota is not full). `None` until the span is long enough.
    fn conserved_rate(&mut self, remaining: u32, admitted: u64, now: Duration) -> Option<f64> {
        let limit = self.limit;
        match self.anchor {
            Some((at, r0, a0)) if remaining < limit && now > at => {
                let span = (now - at).as_secs_f64();
                let refilled = (admitted - a0) as f64 + f64::from(remaining) - f64::from(r0);
                if span >= 2.0 {
                    return Some(refilled / span);
                }
            }
            _ => self.anchor = (remaining < limit).then_some((now, remaining, admitted)),
        }
        None
    }
}

/// Early on: the time to become whole again, for what is used (exact for a bucket).
fn refill_time_rate(limit: u32, remaining: u32, reset_after: Option<Duration>) -> Option<f64> {
    if let Some(reset) = reset_after.filter(|r| !r.is_zero())
        && remaining < limit
        && limit - remaining >= 2
    {
        Some(f64::from(limit - remaining) / reset.as_secs_f64())
    } else {
        None
    }
}
