//! How the executor runs: the route, the pacer's and the retry policy's settings, and its bounds.

use std::time::Duration;

use http::Method;
use pacer_core::limiter::LimitSpec;
use pacer_core::pacer::PacerConfig;
use pacer_core::retry::RetryConfig;

/// How the executor runs.
#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    /// The HTTP method of every request.
    pub method: Method,
    /// The request path with `{userId}`, e.g. `/api/v2/wfm/usersettings/{userId}/schedule`.
    pub path_template: String,
    /// The pacer's settings.
    pub pacer: PacerConfig,
    /// The retry policy's settings.
    pub retry: RetryConfig,
    /// A limit per token that the user declared, which outranks anything learned.
    pub declared: Option<LimitSpec>,
    /// Seeds the jitter, so that a run's retry timing can be replayed.
    pub seed: u64,
    /// The longest the whole run may take before the executor stops sending (a safety bound).
    pub max_run_time: Duration,
    /// Items the run is expected to send, for the live plan (ETA and deadline).
    pub expected_items: Option<u64>,
    /// The time the run must finish in, from its start, for the live plan.
    pub deadline: Option<Duration>,
}

impl ExecutorConfig {
    /// A configuration with the engine's defaults for `method` and `path_template`.
    pub fn new(method: Method, path_template: impl Into<String>) -> Self {
        Self {
            method,
            path_template: path_template.into(),
            pacer: PacerConfig::default(),
            retry: RetryConfig::default(),
            declared: None,
            seed: 0x7061_6365,
            max_run_time: Duration::from_secs(24 * 3600),
            expected_items: None,
            deadline: None,
        }
    }

    /// The pacer's name for the endpoint scope, such as `PUT /api/v2/users/{userId}`.
    pub(super) fn endpoint_name(&self) -> String {
        format!("{} {}", self.method, self.path_template)
    }
}
