//! Exit codes of the `pacer` binary, documented in the README.

/// Everything asked for was done.
pub const OK: u8 = 0;
/// An error that is none of the others: I/O, network, an unexpected server answer.
pub const FAILURE: u8 = 1;
/// Bad usage or invalid input: nothing was sent.
pub const USAGE: u8 = 2;
/// The run finished but some items failed.
pub const ITEMS_FAILED: u8 = 3;
/// The run finished after its deadline, or refused to start because it could not meet it.
pub const DEADLINE_MISSED: u8 = 4;
/// `pacer status`: the run is not finished yet.
pub const UNFINISHED: u8 = 5;
/// The run did everything asked, but a `--threshold` failed.
pub const THRESHOLD_FAILED: u8 = 6;
/// The run was interrupted (Ctrl-C) before it finished; the journal resumes it.
pub const INTERRUPTED: u8 = 130;

/// An error that carries its own exit code; anything else maps to [`FAILURE`].
///
/// It shows as the error it wraps, and chains that error's sources.
#[derive(Debug)]
pub struct Exit {
    pub code: u8,
    inner: Box<dyn std::error::Error + Send + Sync>,
}

impl Exit {
    /// A usage or input error (exit code 2), from a message or from an error whose sources chain.
    pub fn usage(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> anyhow::Error {
        Self::with_code(USAGE, err)
    }

    /// An error with the given exit code.
    pub fn with_code(
        code: u8,
        err: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> anyhow::Error {
        anyhow::Error::new(Exit {
            code,
            inner: err.into(),
        })
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl std::error::Error for Exit {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source()
    }
}

/// Finds the exit code of an error chain: the first [`Exit`] in it, else [`FAILURE`].
pub fn code_for(err: &anyhow::Error) -> u8 {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<Exit>().map(|exit| exit.code))
        .unwrap_or(FAILURE)
}
