//! The one error type of pacer-core.

/// Everything that can go wrong in pacer-core: only invalid inputs, since core does no I/O.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A limit specification that no server could enforce, such as a window of zero.
    #[error("invalid limit: {field} {reason}")]
    InvalidLimit {
        /// The field at fault: `limit`, `window` or `burst`.
        field: &'static str,
        /// Why the value is refused.
        reason: &'static str,
    },
    /// An algorithm name that is not one of the known ones.
    #[error(
        "unknown algorithm `{0}` (expected fixed-window, sliding-window, token-bucket or concurrency)"
    )]
    UnknownAlgorithm(String),
}
