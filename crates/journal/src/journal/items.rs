//! The items of a run and their states: what is still to send, what failed and why, and how many
//! are in each state.

/// The state of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemState {
    /// Not sent yet in any run.
    Pending,
    /// Marked before a send and no outcome recorded: it may or may not have reached the server.
    InFlight,
    /// The server accepted it.
    Done,
    /// Given up on, with a reason.
    Failed,
    /// Deliberately not sent, with a reason (for example an invalid input row).
    Skipped,
}

impl ItemState {
    /// The name stored in the `items.state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Pending => "pending",
            ItemState::InFlight => "in_flight",
            ItemState::Done => "done",
            ItemState::Failed => "failed",
            ItemState::Skipped => "skipped",
        }
    }

    pub(super) fn parse(text: &str) -> Option<ItemState> {
        Some(match text {
            "pending" => ItemState::Pending,
            "in_flight" => ItemState::InFlight,
            "done" => ItemState::Done,
            "failed" => ItemState::Failed,
            "skipped" => ItemState::Skipped,
            _ => return None,
        })
    }
}

/// An item still to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingItem {
    /// The 1-based line of the item in the input file.
    pub line: u64,
    pub user_id: String,
    /// Sends begun for this item in all runs so far.
    pub attempts: u32,
    /// The item was in flight when a previous run stopped: the server may already have it.
    pub possibly_sent: bool,
}

/// A failed item with the reason it failed, as the journal holds it and reports list it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FailedItem {
    /// The line of the item in the input file.
    pub line: u64,
    pub user_id: String,
    /// The last HTTP status, `None` when no response came.
    pub status: Option<u16>,
    pub reason: String,
    pub attempts: u32,
    /// The server's `ININ-Correlation-Id` of the last response, for support.
    pub correlation_id: Option<String>,
}

/// How many items are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub total: u64,
    pub pending: u64,
    pub in_flight: u64,
    pub done: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl Counts {
    /// Items that still need a send: pending plus in flight.
    pub fn remaining(&self) -> u64 {
        self.pending + self.in_flight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_states_round_trip_through_their_names() {
        for state in [
            ItemState::Pending,
            ItemState::InFlight,
            ItemState::Done,
            ItemState::Failed,
            ItemState::Skipped,
        ] {
            assert_eq!(ItemState::parse(state.as_str()), Some(state));
        }
    }
}
