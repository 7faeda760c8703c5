//! The one error type of the client crate.

use std::fmt;

/// Why a request got no HTTP response at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// No complete answer within the timeout (connect or whole request).
    Timeout,
    /// The connection broke mid-exchange: reset by the peer or closed before the response.
    ConnectionReset,
    /// Nothing listens at the address: the API is unreachable.
    ConnectRefused,
    /// The connection could not be set up for another reason (DNS, TLS, unreachable network).
    Connect,
    /// Anything else the HTTP layer reports (a body that cannot be read, a TLS failure).
    Other,
}

impl TransportKind {
    /// A short snake_case name for reports: `timeout`, `connection_reset`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Timeout => "timeout",
            TransportKind::ConnectionReset => "connection_reset",
            TransportKind::ConnectRefused => "connect_refused",
            TransportKind::Connect => "connect_failed",
            TransportKind::Other => "transport_error",
        }
    }

    /// The outcome the engine's retry policy classifies: a timeout or a broken connection.
    pub fn outcome(self) -> pacer_core::retry::Outcome {
        match self {
            TransportKind::Timeout => pacer_core::retry::Outcome::Timeout,
            _ => pacer_core::retry::Outcome::ConnectionError,
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Timeout => "timed out",
            TransportKind::ConnectionReset => "connection reset",
            TransportKind::ConnectRefused => "connection refused",
            TransportKind::Connect => "cannot connect",
            TransportKind::Other => "request failed",
        })
    }
}

/// Everything that can go wrong in the client: configuration, authentication and transport.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A region that is neither a known name nor a plausible domain.
    #[error(
        "unknown region `{0}`: give a region name such as us-east-1 or a domain such as mypurecloud.com"
    )]
    UnknownRegion(String),

    /// Neither a region nor an API URL was given.
    #[error("no API to talk to: set GENESYSCLOUD_REGION or pass --api-url")]
    NoRegion,

    /// A URL that cannot be used.
    #[error("bad URL `{url}`: {reason}")]
    BadUrl { url: String, reason: String },

    /// Plain http to a host that is not loopback, without `allow_insecure_http`.
    #[error(
        "refusing plain http to {host}: use https, or pass --allow-insecure-http (loopback hosts may use http without it)"
    )]
    InsecureHttp { host: String },

    /// The client secret could not be read from where it was said to be.
    #[error("cannot read the client secret from {from}")]
    SecretSource {
        from: String,
        #[source]
        source: std::io::Error,
    },

    /// The secret source was empty.
    #[error("the client secret from {from} is empty")]
    EmptySecret { from: String },

    /// The login server refused the client id or secret.
    #[error(
        "the login server refused the OAuth client ({status} {error}{}): check the client id and secret",
        if description.is_empty() { String::new() } else { format!(": {description}") }
    )]
    InvalidClient {
        status: u16,
        error: String,
        description: String,
    },

    /// The login server kept answering 429 to token requests.
    #[error("the login server kept throttling token requests (429, retry after {retry_after_s} s)")]
    TokenThrottled { retry_after_s: u64 },

    /// The login server answered something unexpected.
    #[error("the login server answered {status} to the token request: {body}")]
    TokenEndpoint { status: u16, body: String },

    /// The API answered 401 to a token minted right after an earlier 401.
    #[error(
        "the API answered 401 again after re-authenticating (token {index}): the OAuth client is not \
         accepted by this API, or its tokens are being revoked"
    )]
    Unauthorized { index: usize },

    /// The request got no response.
    #[error("{kind} talking to {url}")]
    Transport {
        kind: TransportKind,
        url: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The server's certificate was refused in the TLS handshake: no request reached it.
    #[error(
        "the TLS certificate of {host} is not trusted: {reason}; if your company or its proxy \
         issues it, give its CA (PEM) with --ca-file FILE or SSL_CERT_FILE=FILE"
    )]
    UntrustedCertificate { host: String, reason: String },

    /// A CA file that cannot be read or holds no usable certificate.
    #[error("cannot use the CA file {file} (from {from}): {reason}")]
    CaFile {
        file: String,
        from: &'static str,
        reason: String,
    },

    /// The HTTP client could not be built (TLS setup).
    #[error("cannot build the HTTP client: {0}")]
    Build(String),

    /// The API answered a workflow step with an error status.
    #[error("{endpoint} answered {status}: {message}")]
    Api {
        endpoint: &'static str,
        status: u16,
        message: String,
    },

    /// A workflow step got an answer it cannot use.
    #[error("{endpoint}: unexpected answer: {reason}")]
    Unexpected {
        endpoint: &'static str,
        reason: String,
    },

    /// The schedule update cannot go on, for the reason given (a business unit that does not
    /// exist, a conflict the run was told not to retry, an operation that ended in error).
    #[error("{0}")]
    Workflow(String),

    /// The notification socket failed in a way the run cannot recover from.
    #[error("notification socket: {0}")]
    Socket(String),

    /// The caller's journal refused to record a step: nothing further was sent.
    #[error("cannot record the run's progress: {0}")]
    Journal(String),

    /// A token pool index beyond the pool.
    #[error("token {index} does not exist: the pool holds {size}")]
    NoSuchToken { index: usize, size: usize },
}

impl Error {
    /// The transport failure kind, when the error is one.
    pub fn transport_kind(&self) -> Option<TransportKind> {
        match self {
            Error::Transport { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// True for errors that more attempts cannot fix: configuration and refused credentials.
    pub fn is_fatal(&self) -> bool {
        !matches!(self, Error::Transport { .. } | Error::TokenThrottled { .. })
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
