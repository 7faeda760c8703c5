//! OAuth2 client-credentials tokens: minted once, reused, renewed ahead of expiry in the
//! background, re-minted once after a 401, optionally as a pool of N tokens with one budget each.
//!
//! Time comes from a [`Clock`]: tokio's by default, a manual one in tests.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::header::{HeaderValue, RETRY_AFTER};
use pacer_genesys::{OAuthError, TokenResponse};
use tokio::time::Instant;

use crate::bearer::BearerToken;
use crate::credentials::Credentials;
use crate::error::{Error, Result, TransportKind};
use crate::http::{HttpClient, Response};

/// The time source of the token manager: [`TokioClock`] in a run, a manual clock in tests.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Instant;
    /// Waits `duration` (used between mint attempts).
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// Tokio's clock (which `tokio::time::pause` also controls).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Settings of the token manager.
#[derive(Debug, Clone)]
pub struct TokenConfig {
    /// Tokens in the pool (at least 1). Each has its own per-token budget on the server;
    /// organization-wide limits still apply to all of them together.
    pub pool_size: usize,
    /// Tries per mint: throttled (429), 5xx, timeouts and resets are tried again; refused
    /// credentials and refused connections are not.
    pub mint_attempts: u32,
    /// The longest Retry-After of the login server that a mint waits for.
    pub max_retry_after: Duration,
}

impl Default for TokenConfig {
    fn default() -> TokenConfig {
        TokenConfig {
            pool_size: 1,
            mint_attempts: 3,
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// Mints and hands out tokens; cloning shares the same pool.
#[derive(Clone)]
pub struct TokenManager {
    inner: Arc<Inner>,
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenManager")
            .field("token_url", &self.inner.token_url)
            .field("client_id", &self.inner.credentials.client_id)
            .field("pool_size", &self.inner.slots.len())
            .field("tokens_minted", &self.tokens_minted())
            .finish()
    }
}

struct Inner {
    http: HttpClient,
    token_url: String,
    credentials: Credentials,
    config: TokenConfig,
    slots: Vec<Slot>,
    minted: AtomicU64,
    clock: Arc<dyn Clock>,
}

#[derive(Default)]
struct Slot {
    /// The token in use; the lock is never held across an await.
    current: Mutex<Option<Current>>,
    /// Held while minting, so that concurrent callers wait for one mint instead of each minting.
    minting: tokio::sync::Mutex<()>,
    /// A background renewal is running.
    renewing: AtomicBool,
    /// The last background renewal, for [`TokenManager::wait_for_renewals`].
    renewal: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

#[derive(Clone)]
struct Current {
    token: BearerToken,
    /// From here on a caller starts a background renewal and keeps using this token.
    renew_at: Instant,
    /// From here on the token is not handed out any more: callers wait for a new one.
    usable_until: Instant,
    /// Minted because the API answered 401 to the previous token: a 401 to this one is final.
    after_unauthorized: bool,
}

/// When to renew a token of `lifetime`: at 90% of it or 5 minutes before expiry, whichever is
/// earlier, but not before half of it (so that a 5-minute token is not renewed at once).
pub fn renewal_delay(lifetime: Duration) -> Duration {
    let ninety = lifetime.mul_f64(0.9);
    let five_before = lifetime.saturating_sub(Duration::from_secs(300));
    ninety.min(five_before).max(lifetime / 2)
}

/// How long before its expiry a token stops being handed out: a tenth of its lifetime, at most
/// 30 s, so that no request leaves with a token about to expire.
fn expiry_margin(lifetime: Duration) -> Duration {
    (lifetime / 10).min(Duration::from_secs(30))
}

impl TokenManager {
    /// A manager for `credentials` minting at `token_url` (`{login}/oauth/token`).
    pub fn new(
        http: HttpClient,
        token_url: impl Into<String>,
        credentials: Credentials,
        config: TokenConfig,
    ) -> TokenManager {
        Self::with_clock(http, token_url, credentials, config, Arc::new(TokioClock))
    }

    /// The same with another time source.
    pub fn with_clock(
        http: HttpClient,
        token_url: impl Into<String>,
        credentials: Credentials,
        config: TokenConfig,
        clock: Arc<dyn Clock>,
    ) -> TokenManager {
        let pool_size = config.pool_size.max(1);
        TokenManager {
            inner: Arc::new(Inner {
                http,
                token_url: token_url.into(),
                credentials,
                config: TokenConfig {
                    pool_size,
                    ..config
                },
                slots: (0..pool_size).map(|_| Slot::default()).collect(),
                minted: AtomicU64::new(0),
                clock,
            }),
        }
    }

    /// Tokens in the pool.
    pub fn pool_size(&self) -> usize {
        self.inner.slots.len()
    }

    /// Tokens minted so far (first tokens, renewals and re-authentications).
    pub fn tokens_minted(&self) -> u64 {
        self.inner.minted.load(Ordering::Relaxed)
    }

    /// Waits until no background renewal is running (before shutting down, and in tests).
    pub async fn wait_for_renewals(&self) {
        for slot in &self.inner.slots {
            let handle = slot.renewal.lock().expect("token slot lock").take();
            if let Some(handle) = handle {
                let _ = handle.await;
            }
        }
    }

    /// Mints every token of the pool now, so that refused credentials or an unreachable login
    /// server are reported before the first API request.
    pub async fn warm_up(&self) -> Result<()> {
        for index in 0..self.pool_size() {
            self.get(index).await?;
        }
        Ok(())
    }

    /// The token of slot `index`: the current one while it is fresh; the current one plus a
    /// background renewal once it is due for renewal; a newly minted one (callers wait) when
    /// there is none or it is about to expire.
    pub async fn get(&self, index: usize) -> Result<BearerToken> {
        let slot = self.slot(index)?;
        let now = self.inner.clock.now();
        let snapshot = slot.current.lock().expect("token slot lock").clone();
        if let Some(current) = &snapshot {
            if now < current.renew_at {
                return Ok(current.token.clone());
            }
            if now < current.usable_until {
                self.renew_in_background(index, current.token.generation);
                return Ok(current.token.clone());
            }
        }
        let seen = snapshot.map(|c| c.token.generation);
        let _minting = slot.minting.lock().await;
        if let Some(fresh) = self.replaced_since(index, seen) {
            return Ok(fresh);
        }
        self.mint_into(index, false).await
    }

    /// Called when the API answered 401 to `stale`: mints a new token for its slot once. If
    /// `stale` was itself minted after a 401, fails with [`Error::Unauthorized`] instead. When
    /// another caller already replaced `stale`, returns that replacement without minting.
    pub async fn after_unauthorized(&self, stale: &BearerToken) -> Result<BearerToken> {
        let slot = self.slot(stale.index)?;
        let _minting = slot.minting.lock().await;
        let current = slot.current.lock().expect("token slot lock").clone();
        if let Some(current) = current {
            if current.token.generation != stale.generation {
                return Ok(current.token);
            }
            if current.after_unauthorized {
                return Err(Error::Unauthorized { index: stale.index });
            }
        }
        self.mint_into(stale.index, true).await
    }

    fn slot(&self, index: usize) -> Result<&Slot> {
        self.inner.slots.get(index).ok_or(Error::NoSuchToken {
            index,
            size: self.inner.slots.len(),
        })
    }

    /// The slot's token if it changed since generation `seen` and is still usable.
    fn replaced_since(&self, index: usize, seen: Option<u64>) -> Option<BearerToken> {
        let current = self.inner.slots[index]
            .current
            .lock()
            .expect("token slot lock");
        current
            .as_ref()
            .filter(|c| Some(c.token.generation) != seen && self.inner.clock.now() < c.usable_until)
            .map(|c| c.token.clone())
    }

    /// Mints a token and installs it in slot `index`; the caller holds the slot's mint lock.
    async fn mint_into(&self, index: usize, after_unauthorized: bool) -> Result<BearerToken> {
        let (value, lifetime) = self.mint().await?;
        let issued = self.inner.clock.now();
        let slot = &self.inner.slots[index];
        let mut current = slot.current.lock().expect("token slot lock");
        let generation = current.as_ref().map_or(1, |c| c.token.generation + 1);
        let mut header =
            HeaderValue::try_from(format!("Bearer {value}")).map_err(|_| Error::TokenEndpoint {
                status: 200,
                body: "the access token holds characters that cannot go in a header".into(),
            })?;
        header.set_sensitive(true);
        let token = BearerToken {
            index,
            generation,
            header,
        };
        *current = Some(Current {
            token: token.clone(),
            renew_at: issued + renewal_delay(lifetime),
            usable_until: issued + lifetime - expiry_margin(lifetime),
            after_unauthorized,
        });
        Ok(token)
    }

    /// Starts one background renewal of slot `index` unless one is running. A failed renewal
    /// is tried again by a later call, at most every 30 s, while the old token stays usable.
    fn renew_in_background(&self, index: usize, generation: u64) {
        let slot = &self.inner.slots[index];
        if slot.renewing.swap(true, Ordering::AcqRel) {
            return;
        }
        let weak = Arc::downgrade(&self.inner);
        let handle = tokio::spawn(async move {
            let Some(inner) = weak.upgrade() else { return };
            let manager = TokenManager { inner };
            let slot = &manager.inner.slots[index];
            let renewed = {
                let _minting = slot.minting.lock().await;
                if manager.replaced_since(index, Some(generation)).is_some() {
                    Ok(())
                } else {
                    manager.mint_into(index, false).await.map(|_| ())
                }
            };
            if renewed.is_err() {
                let now = manager.inner.clock.now();
                let mut current = slot.current.lock().expect("token slot lock");
                if let Some(current) = current
                    .as_mut()
                    .filter(|c| c.token.generation == generation)
                {
                    let left = current.usable_until.saturating_duration_since(now);
                    current.renew_at = now + (left / 2).min(Duration::from_secs(30));
                }
            }
            slot.renewing.store(false, Ordering::Release);
        });
        *slot.renewal.lock().expect("token slot lock") = Some(handle);
    }

    /// `POST {login}/oauth/token` with Basic auth and `grant_type=client_credentials`, tried
    /// up to `mint_attempts` times; returns the access token and its lifetime.
    async fn mint(&self) -> Result<(String, Duration)> {
        let inner = &*self.inner;
        let attempts = inner.config.mint_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= attempts;
            let backoff = Duration::from_secs(u64::from(attempt));
            let response = match inner
                .http
                .post_form_basic(
                    &inner.token_url,
                    &inner.credentials,
                    "grant_type=client_credentials",
                )
                .await
            {
                Ok(response) => response,
                Err(err) => {
                    let retry = matches!(
                        err.transport_kind(),
                        Some(TransportKind::Timeout | TransportKind::ConnectionReset)
                    );
                    if retry && !last {
                        inner.clock.sleep(backoff).await;
                        continue;
                    }
                    return Err(err);
                }
            };
            match self.read_answer(&response, last, backoff)? {
                Minted::Token(token, lifetime) => return Ok((token, lifetime)),
                Minted::Wait(wait) => inner.clock.sleep(wait).await,
            }
        }
    }

    /// What the token endpoint's answer means: a token, a wait before the next attempt, or the
    /// error to stop with.
    fn read_answer(&self, response: &Response, last: bool, backoff: Duration) -> Result<Minted> {
        let inner = &*self.inner;
        match response.status {
            200 => {
                let token: TokenResponse =
                    serde_json::from_slice(&response.body).map_err(|_| Error::TokenEndpoint {
                        status: 200,
                        body: "the answer is not a token (access_token, expires_in)".into(),
                    })?;
                inner.minted.fetch_add(1, Ordering::Relaxed);
                let lifetime = Duration::from_secs(token.expires_in.max(1));
                Ok(Minted::Token(token.access_token, lifetime))
            }
            429 => {
                let retry_after = response
                    .headers
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .unwrap_or(1);
                let wait = Duration::from_secs(retry_after);
                if last || wait > inner.config.max_retry_after {
                    return Err(Error::TokenThrottled {
                        retry_after_s: retry_after,
                    });
                }
                Ok(Minted::Wait(wait))
            }
            400 | 401 | 403 => Err(invalid_client(response)),
            500..=599 if !last => Ok(Minted::Wait(backoff)),
            status => Err(Error::TokenEndpoint {
                status,
                body: snippet(&response.body),
            }),
        }
    }
}

/// What one answer of the token endpoint gave.
enum Minted {
    /// The access token and its lifetime.
    Token(String, Duration),
    /// Try again after this long.
    Wait(Duration),
}

/// The refusal of the client's credentials, with the OAuth error and its description when the
/// body carries them.
fn invalid_client(response: &Response) -> Error {
    let (error, description) = match serde_json::from_slice::<OAuthError>(&response.body) {
        Ok(e) => {
            let description = if e.error_description.is_empty() {
                e.description
            } else {
                e.error_description
            };
            (e.error, description)
        }
        Err(_) => (String::new(), snippet(&response.body)),
    };
    Error::InvalidClient {
        status: response.status,
        error,
        description,
    }
}

/// The start of a body, as text, for an error message.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    text.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_comes_at_ninety_percent_or_five_minutes_before_but_not_before_half() {
        let s = Duration::from_secs;
        assert_eq!(renewal_delay(s(86_400)), s(77_760));
        assert_eq!(renewal_delay(s(3_600)), s(3_240));
        assert_eq!(renewal_delay(s(1_200)), s(900));
        assert_eq!(renewal_delay(s(300)), s(150));
        assert_eq!(expiry_margin(s(300)), s(30));
        assert_eq!(expiry_margin(s(60)), s(6));
    }
}
