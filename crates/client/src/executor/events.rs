//! What the executor tells its observer: events in batches, progress after each batch, and the
//! summary of a run.

use std::collections::BTreeMap;
use std::time::Duration;

use pacer_core::pacer::BudgetView;
use pacer_core::planner::Plan;

/// What the executor tells its observer.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A request for `line` is about to leave; record it before it does.
    Sending {
        line: u64,
        /// 1 for the first attempt.
        attempt: u32,
    },
    /// A request ended, with or without an answer: one JTL line.
    Request(RequestRecord),
    /// The item is done.
    Done {
        line: u64,
        status: u16,
        correlation_id: Option<String>,
        attempts: u32,
    },
    /// The item failed for good, or was parked because the server asked for too long a wait.
    Failed {
        line: u64,
        status: Option<u16>,
        reason: String,
        attempts: u32,
    },
}

/// One request as JMeter's result format records it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    /// The input line of the item.
    pub line: u64,
    /// When the request left, in milliseconds since the Unix epoch.
    pub started_unix_ms: u64,
    /// Until the response headers arrived (or the transport failed).
    pub latency: Duration,
    /// Until the body was read.
    pub elapsed: Duration,
    /// The HTTP status, or `None` when no answer came.
    pub status: Option<u16>,
    /// The transport failure, when no answer came.
    pub error: Option<String>,
    /// The transport failure's kind (`timeout`, `connection_reset`, ...), when no answer came.
    pub error_kind: Option<&'static str>,
    /// The full URL.
    pub url: String,
    /// Bytes received (body only).
    pub bytes_received: u64,
    /// Bytes sent (body only).
    pub bytes_sent: u64,
    /// Requests in flight when this one left, this one included.
    pub in_flight: u32,
    /// Which token of the pool carried it.
    pub token_index: usize,
    /// A workflow call's endpoint name (see [`Call`]); `None` for a run's items.
    pub label: Option<&'static str>,
}

/// Receives the executor's events, in batches.
pub trait Observer {
    /// Takes one batch of events. An error stops the run: no further request is sent.
    fn events(
        &mut self,
        events: &[Event],
    ) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

    /// Sees the progress after each batch; the default ignores it.
    fn progress(&mut self, _progress: &Progress) {}

    /// Why the run should stop sending now (most items failing alike, say); asked after each
    /// batch of events. The default never stops.
    fn stop_reason(&mut self) -> Option<String> {
        None
    }
}

/// Counts of a run so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    /// Items handed to the executor so far.
    pub items_started: u64,
    /// Items done.
    pub succeeded: u64,
    /// Items failed or parked.
    pub failed: u64,
    /// Requests sent.
    pub requests: u64,
    /// Responses by status.
    pub responses_by_status: BTreeMap<u16, u64>,
    /// Requests that got no answer.
    pub transport_errors: u64,
    /// 429 answers.
    pub throttled: u64,
    /// Requests that were retries.
    pub retries: u64,
    /// Requests in flight now.
    pub in_flight: u32,
    /// Time since the run started.
    pub elapsed: Duration,
    /// What the pacer believes of the first token's budget.
    pub budget: Option<BudgetView>,
    /// Whether the input is exhausted (every item has been started).
    pub input_done: bool,
    /// The live plan for the items left, when the run knows how many to expect.
    pub plan: Option<Plan>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The final counts.
    pub progress: Progress,
    /// Whether the run stopped early (shutdown asked, or the run's time bound reached): the items
    /// not started are still pending.
    pub interrupted: bool,
    /// Whether the observer failed, which stopped the run.
    pub observer_error: Option<String>,
    /// Why the observer stopped the run early, when it did: the items not sent stay pending.
    pub stopped_early: Option<String>,
}
