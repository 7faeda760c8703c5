//! The one error type of pacer-sim.

/// Everything that can go wrong before a simulation runs: bad scenarios and unknown names.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A scenario file that is not valid TOML of the scenario shape.
    #[error("invalid scenario file")]
    Toml(#[source] Box<toml::de::Error>),
    /// A scenario whose values make no sense.
    #[error("invalid scenario: {0}")]
    Invalid(String),
    /// A limit no server could enforce.
    #[error("invalid scenario limit")]
    Limit(#[source] pacer_core::Error),
    /// No built-in scenario has this name.
    #[error("unknown scenario `{0}` (built-in: seed, genesys, hidden, noisy, maintenance)")]
    UnknownScenario(String),
    /// No strategy has this name.
    #[error(
        "unknown strategy `{0}` (expected naive, retry-after, exp-backoff, fixed-delay, aws-adaptive or pacer)"
    )]
    UnknownStrategy(String),
}
