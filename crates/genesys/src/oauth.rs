//! OAuth2 client-credentials bodies of `POST /oauth/token`: the token and the error answer.

use serde::{Deserialize, Serialize};

/// The 200 answer of `POST /oauth/token`; client credentials get no refresh token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `"bearer"` on the real API.
    pub token_type: String,
    /// Lifetime of the token in seconds.
    pub expires_in: u64,
}

impl std::fmt::Debug for TokenResponse {
    // The token is a secret: Debug output never shows it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"<redacted>")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

impl TokenResponse {
    /// A bearer token that lives `expires_in` seconds.
    pub fn bearer(access_token: impl Into<String>, expires_in: u64) -> Self {
        TokenResponse {
            access_token: access_token.into(),
            token_type: "bearer".into(),
            expires_in,
        }
    }
}

/// The error answer of `POST /oauth/token` (400 or 401), e.g. `invalid_client`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthError {
    /// An RFC 6749 error code: `invalid_client`, `invalid_request`, `unsupported_grant_type`, ...
    pub error: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub error_description: String,
}

impl OAuthError {
    /// The answer to a request whose client id or secret is wrong or missing.
    pub fn invalid_client() -> Self {
        Self::new(
            "invalid_client",
            "client not found or secret does not match",
        )
    }

    /// An error whose `description` and `error_description` both carry `description`.
    pub fn new(error: &str, description: &str) -> Self {
        OAuthError {
            error: error.into(),
            description: description.into(),
            error_description: description.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_response_matches_the_real_shape() {
        let json = serde_json::to_value(TokenResponse::bearer("abc", 86400)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"access_token":"abc","token_type":"bearer","expires_in":86400})
        );
    }

    #[test]
    fn token_response_debug_redacts_the_token() {
        let text = format!("{:?}", TokenResponse::bearer("very-secret", 1));
        assert!(!text.contains("very-secret"), "{text}");
    }

    #[test]
    fn oauth_error_parses_with_missing_descriptions() {
        let err: OAuthError = serde_json::from_str(r#"{"error":"invalid_client"}"#).unwrap();
        assert_eq!(err.error, "invalid_client");
        assert_eq!(err.description, "");
    }
}
