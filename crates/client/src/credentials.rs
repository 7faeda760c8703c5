//! OAuth client credentials and the secret wrapper that never prints its value.

use std::fmt;
use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// The environment variable holding the OAuth client id (as the Terraform provider and `gc`).
pub const ENV_CLIENT_ID: &str = "GENESYSCLOUD_OAUTHCLIENT_ID";
/// The environment variable holding the OAuth client secret.
pub const ENV_CLIENT_SECRET: &str = "GENESYSCLOUD_OAUTHCLIENT_SECRET";
/// The environment variable holding the region name or domain.
pub const ENV_REGION: &str = "GENESYSCLOUD_REGION";

/// A secret string: `Debug` and `Display` print `[redacted]`; only [`expose`](Self::expose)
/// gives the value, for the one place that sends it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret's value. Call it only where the value is sent, never to log or store it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads the secret from an environment variable; `None` when unset or empty.
    pub fn from_env(name: &str) -> Option<Secret> {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .map(Secret)
    }

    /// Reads the secret from a file: its first line, without the line ending.
    pub fn from_file(path: &Path) -> Result<Secret> {
        let from = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|source| Error::SecretSource {
            from: from.clone(),
            source,
        })?;
        Self::from_reader(file, &from)
    }

    /// Reads the secret from a reader (standard input, say): its first line, without the line
    /// ending. `from` names the source in errors.
    pub fn from_reader(mut reader: impl Read, from: &str) -> Result<Secret> {
        let mut text = String::new();
        reader
            .read_to_string(&mut text)
            .map_err(|source| Error::SecretSource {
                from: from.to_string(),
                source,
            })?;
        let line = text.lines().next().unwrap_or_default().trim();
        if line.is_empty() {
            return Err(Error::EmptySecret {
                from: from.to_string(),
            });
        }
        Ok(Secret(line.to_string()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// An OAuth client: its id (not secret) and its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub client_id: String,
    pub secret: Secret,
}

impl Credentials {
    pub fn new(client_id: impl Into<String>, secret: Secret) -> Credentials {
        Credentials {
            client_id: client_id.into(),
            secret,
        }
    }

    /// Both values from `GENESYSCLOUD_OAUTHCLIENT_ID` and `GENESYSCLOUD_OAUTHCLIENT_SECRET`;
    /// `None` when either is unset or empty.
    pub fn from_env() -> Option<Credentials> {
        let client_id = std::env::var(ENV_CLIENT_ID)
            .ok()
            .filter(|v| !v.is_empty())?;
        Some(Credentials {
            client_id,
            secret: Secret::from_env(ENV_CLIENT_SECRET)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print_their_value() {
        let credentials = Credentials::new("pacer-demo", Secret::new("pacer-demo-secret"));
        let debug = format!("{credentials:?}");
        assert!(!debug.contains("pacer-demo-secret"), "{debug}");
        assert!(debug.contains("pacer-demo"), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");
        assert_eq!(credentials.secret.to_string(), "[redacted]");
        assert_eq!(credentials.secret.expose(), "pacer-demo-secret");
    }

    #[test]
    fn a_secret_is_the_first_line_of_its_source() {
        let secret = Secret::from_reader("  s3cret \r\nignored\n".as_bytes(), "stdin").unwrap();
        assert_eq!(secret.expose(), "s3cret");
        let err = Secret::from_reader("\n".as_bytes(), "stdin").unwrap_err();
        assert_eq!(err.to_string(), "the client secret from stdin is empty");
        let err = Secret::from_file(Path::new("/nonexistent/pacer/secret")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot read the client secret from /nonexistent")
        );
    }
}
