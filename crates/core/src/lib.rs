//! pacer-core: the pacing engine and the server-side limiter models, sans I/O.
//!
//! Nothing here reads a clock, sleeps or touches the network: every function takes `now` (a
//! `Duration` since an origin the caller chose) and returns a decision.

mod error;
pub mod limiter;
pub mod pacer;
pub mod planner;
pub mod retry;
pub mod rng;
pub mod signals;
mod source;

pub use error::Error;
