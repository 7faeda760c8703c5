//! pacer-client: how pacer talks to Genesys Cloud: credentials, endpoints, OAuth tokens and a
//! thin HTTP layer over one shared hyper client (rustls, connection pooling, timeouts, proxies).
//!
//! - [`Credentials`] and [`Secret`]: the secret prints as `[redacted]` everywhere.
//! - [`Endpoints::resolve`]: a region name or domain, or `--api-url`/`--login-url`, to the API
//!   base and the token URL; plain http only to loopback unless allowed.
//! - [`TokenManager`]: one token (or a pool of N, one budget each) minted with client
//!   credentials, reused, renewed ahead of expiry in the background, re-minted once on a 401.
//! - [`HttpClient::send`]: one request in, a [`Response`] (status, headers, body, latency,
//!   correlation id) or an [`Error::Transport`] classified by [`TransportKind`] out.
//! - [`Executor`]: drives the pacing engine over a stream of jobs through these, and
//!   [`bulk`] the business unit's schedule update through the executor's calls.

pub mod baseline;
mod bearer;
pub mod body_sink;
pub mod bulk;
mod credentials;
mod endpoints;
mod error;
pub mod executor;
mod http;
pub mod tls;
mod token;

pub use ::http::Method;
pub use ::http::header::{HeaderMap, HeaderName};
pub use bearer::BearerToken;
pub use credentials::{Credentials, ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_REGION, Secret};
pub use endpoints::{EndpointOptions, Endpoints};
pub use error::{Error, Result, TransportKind};
pub use executor::{
    Admission, Call, Called, Event, Executor, ExecutorConfig, IterSource, Job, JobSource, Next,
    Observer, Progress, RequestRecord, SharedBudget, SharedFuture, Summary, Target, Wake,
};
pub use http::{CORRELATION_HEADER, HttpClient, HttpConfig, Response};
pub use tls::{ENV_SSL_CERT_FILE, TrustConfig};
pub use token::{Clock, TokenConfig, TokenManager, TokioClock, renewal_delay};
