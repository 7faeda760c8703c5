//! The one error type of pacer-emulator, and how it answers over HTTP without leaking internals.

use axum::response::{IntoResponse, Response};

/// Everything that can go wrong in the emulator: bad configuration, or serving failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// A configuration file that cannot be used, located by file, line and key.
    #[error("{file}:{line}: {key}: {message}")]
    Config {
        file: String,
        line: usize,
        /// Dotted path of the key, such as `limiters[0].burst`.
        key: String,
        message: String,
    },
    /// A configuration file that cannot be read.
    #[error("cannot read configuration file {file}")]
    ReadConfig {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// A mirror file (`--mirror`) that cannot be read or served: the file and what is wrong,
    /// with its place in the file.
    #[error("{file}: {message}")]
    Mirror { file: String, message: String },
    /// A setting given on the command line (or a combination of settings) that cannot be used.
    #[error("invalid setting {name}: {reason}")]
    InvalidSetting { name: String, reason: String },
    /// A limit no server could enforce, such as a burst or a window of zero.
    #[error("invalid limit `{key}`")]
    InvalidLimit {
        key: String,
        #[source]
        source: pacer_core::Error,
    },
    /// A certificate or key file (`--tls-cert`, `--tls-key`) that cannot be used.
    #[error("{file}: {message}")]
    TlsFile { file: String, message: String },
    /// TLS could not be set up with the certificate made or given.
    #[error("cannot serve TLS: {0}")]
    Tls(String),
    /// The listener failed.
    #[error("the emulator's listener failed")]
    Serve(#[source] std::io::Error),
    /// A request could not be answered for a reason inside the emulator.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl EmulatorError {
    /// True for errors caused by the user's input (configuration or flags), as opposed to I/O.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            EmulatorError::Config { .. }
                | EmulatorError::ReadConfig { .. }
                | EmulatorError::Mirror { .. }
                | EmulatorError::InvalidSetting { .. }
                | EmulatorError::InvalidLimit { .. }
                | EmulatorError::TlsFile { .. }
        )
    }

    pub(crate) fn mirror(file: &str, message: impl Into<String>) -> Self {
        EmulatorError::Mirror {
            file: file.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn setting(name: &str, reason: impl Into<String>) -> Self {
        EmulatorError::InvalidSetting {
            name: name.to_string(),
            reason: reason.into(),
        }
    }
}

impl IntoResponse for EmulatorError {
    /// A Genesys-style 500 that says nothing about the cause, which is the emulator's business.
    fn into_response(self) -> Response {
        let cid = crate::respond::CorrelationId::next_global();
        crate::respond::api_error(
            500,
            pacer_genesys::errors::codes::INTERNAL_SERVER_ERROR,
            "The server encountered an unexpected condition.",
            &cid,
        )
    }
}
