//! One request's passage through the pacer: the scopes it counts against, the answer to
//! `acquire`, the permit it is sent under, and how it ended.

use std::time::Duration;

use crate::signals::Signals;

/// A scope's handle: a token or an endpoint, interned by [`Pacer::scope`](super::Pacer::scope).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeId(pub(super) u32);

impl ScopeId {
    /// The index of the scope's budget.
    #[inline]
    pub(super) fn index(self) -> usize {
        self.0 as usize
    }
}

/// The scopes one request counts against: its token, and its endpoint if the caller names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// The token's scope (gate, concurrency and the token's rate limit).
    pub token: ScopeId,
    /// The endpoint's scope, where endpoint limits are learned or declared.
    pub endpoint: Option<ScopeId>,
}

impl Route {
    /// A route through a token and, optionally, an endpoint.
    pub fn new(token: ScopeId, endpoint: Option<ScopeId>) -> Self {
        Self { token, endpoint }
    }

    /// The scopes the route counts against: its token first, then its endpoint if any.
    #[inline]
    pub(super) fn scopes(self) -> impl Iterator<Item = ScopeId> {
        std::iter::once(self.token).chain(self.endpoint)
    }
}

/// The answer to [`Pacer::acquire`](super::Pacer::acquire).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acquire {
    /// Send now; give the permit back to [`Pacer::complete`](super::Pacer::complete) with the
    /// outcome.
    Send(Permit),
    /// Nothing may be sent before this absolute time (a response arriving earlier may change it).
    Wait(Duration),
    /// As many requests are in flight as allowed: ask again when one completes.
    AtCapacity,
}

/// The right to send one request, returned to the pacer with its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permit {
    pub(super) route: Route,
    pub(super) sent_at: Duration,
    pub(super) probe: bool,
}

impl Permit {
    /// The route it was granted for.
    pub fn route(&self) -> Route {
        self.route
    }

    /// When it was granted.
    pub fn sent_at(&self) -> Duration {
        self.sent_at
    }

    /// Whether it is the probe that re-opens a gate.
    pub fn is_probe(&self) -> bool {
        self.probe
    }
}

/// How a request ended, as the pacer needs to know it.
#[derive(Debug, Clone, Copy)]
pub enum Feedback<'a> {
    /// The server answered; its signals are parsed.
    Response(&'a Signals),
    /// No answer: a timeout or a broken connection.
    TransportError,
    /// The request was never sent (the caller gave the permit back unused).
    Cancelled,
}
