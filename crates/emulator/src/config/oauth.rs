//! The OAuth settings: the clients the emulator accepts (whose secrets never print), the
//! tokens' lifetime and the limit on minting them.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use super::limiter::LimiterConfig;

/// One OAuth client the emulator accepts.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    pub id: String,
    pub secret: String,
}

impl fmt::Debug for ClientConfig {
    // The secret never appears in Debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// OAuth settings.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthConfig {
    pub clients: Vec<ClientConfig>,
    /// Lifetime of minted tokens (the real default is 86400 s).
    pub token_lifetime: Duration,
    /// The limit on minting tokens, per client; `None` for no limit.
    pub mint_limit: Option<LimiterConfig>,
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, DEMO_CLIENT_SECRET, Profile};

    #[test]
    fn client_secrets_are_redacted_in_debug() {
        let text = format!("{:?}", Config::profile(Profile::Genesys));
        assert!(!text.contains(DEMO_CLIENT_SECRET));
    }
}
