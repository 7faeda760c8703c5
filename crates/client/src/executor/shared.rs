//! A budget shared with other runners, beside the executor's own pacer: before a request leaves,
//! the shared budget admits it (or says how long to wait), and every answer's signals are told to
//! it so that one runner's 429 or learned limit serves them all. Per-token budgets stay in the
//! local pacer; only limits the runners share (organization-wide, per endpoint) live here.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use pacer_core::signals::Signals;

/// A shared budget's answer to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Send now.
    Go,
    /// Ask again after this long.
    Wait(Duration),
}

/// A boxed future of a shared budget.
pub type SharedFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A budget several runners draw from (see `pacer-coord` for the Redis one).
pub trait SharedBudget: Send + Sync {
    /// Asks to send one request now. Never fails: a budget that cannot reach its store decides
    /// alone (with its share of the limit) and says so elsewhere.
    fn admit(&self) -> SharedFuture<'_, Admission>;

    /// Tells the budget how a request ended: a 429 may close the shared gate or teach a limit.
    fn observe(&self, status: u16, signals: &Signals);
}

/// The most consecutive waits one request takes from a shared budget before it goes anyway: a
/// bound on the loop, far past any real gate (a day of one-second waits).
const MAX_WAITS: u32 = 86_400;

/// Waits until `budget` admits one request, or until `until` (then goes, the run's own bound
/// being reached).
pub async fn admitted(budget: &dyn SharedBudget, until: tokio::time::Instant) {
    for _ in 0..MAX_WAITS {
        match budget.admit().await {
            Admission::Go => return,
            Admission::Wait(wait) => {
                let at = (tokio::time::Instant::now() + wait).min(until);
                if at >= until {
                    return;
                }
                tokio::time::sleep_until(at).await;
            }
        }
    }
}
