//! Where a budget's knowledge of a limit came from, ranked best first: shared by the pacer and the
//! planner, and re-exported as `pacer::Source`.

/// Where a budget's rate came from, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// The caller declared the limit.
    Declared,
    /// The organization's limits API reported it.
    OrgLimits,
    /// Response headers (or a 429 body's `limit` object) advertised it.
    Advertised,
    /// The pacer learned it from throttles.
    Discovered,
}

impl Source {
    /// A short name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Declared => "declared",
            Source::OrgLimits => "org limits API",
            Source::Advertised => "advertised",
            Source::Discovered => "discovered",
        }
    }
}
