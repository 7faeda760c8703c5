//! Why a schedule update ended `Error`, and how much of it its notification tells.

/// Why an update ended `Error`, by how much the notification may tell of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The operation as a whole: an injected fault, or an upload that cannot be read. Told.
    Operation(String),
    /// The schedule or an agent changed since the upload was made: always told (the message
    /// says `stale` or `modified`), so that a client knows to read again and retry.
    Stale(String),
    /// An agent failed its checks or is refused by the test route: told only with error
    /// detail, since the real API names no agent.
    Agent(String),
}

impl Failure {
    /// The message, whoever may read it.
    pub fn message(&self) -> &str {
        match self {
            Failure::Operation(message) | Failure::Stale(message) | Failure::Agent(message) => {
                message
            }
        }
    }

    /// What the notification's `error.message` says: nothing for an agent's failure without
    /// `detail`, as the real API tells only that the update failed.
    pub fn told(self, detail: bool) -> Option<String> {
        match self {
            Failure::Operation(message) | Failure::Stale(message) => Some(message),
            Failure::Agent(message) => detail.then_some(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_agents_failure_goes_bare_without_detail() {
        let agent = Failure::Agent("agentSchedules[0]: refused".into());
        assert_eq!(agent.message(), "agentSchedules[0]: refused");
        assert_eq!(agent.clone().told(false), None);
        assert_eq!(
            agent.told(true).as_deref(),
            Some("agentSchedules[0]: refused")
        );
        for kept in [
            Failure::Stale("metadata.version 3 is stale".into()),
            Failure::Operation("not gzip".into()),
        ] {
            let message = kept.message().to_string();
            assert_eq!(kept.told(false), Some(message));
        }
    }
}
