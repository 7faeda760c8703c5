//! The OAuth token route's answer: client credentials (HTTP Basic or form fields) checked, the
//! minting limit consulted, and a bearer token minted.

use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::request::Parts;
use axum::response::Response;
use pacer_genesys::{ApiError, LimitRef, OAuthError, TokenResponse};

use crate::http::{basic_credentials, constant_time_eq, parse_form};
use crate::respond::{CorrelationId, ceil_secs, json_value, set_retry_after};
use crate::state::Inner;

/// The largest OAuth request body read.
const MAX_OAUTH_BODY: usize = 16 * 1024;

/// Mints a token for the client the request's credentials name, or answers why not.
pub async fn mint(inner: &Inner, parts: &Parts, body: Body, cid: &CorrelationId) -> Response {
    let oauth_error = |status: u16, error: OAuthError| json_value(status, &error, cid);
    let Ok(bytes) = axum::body::to_bytes(body, MAX_OAUTH_BODY).await else {
        return oauth_error(
            400,
            OAuthError::new("invalid_request", "the request body is too large"),
        );
    };
    let form = parse_form(&bytes);
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let credentials = basic_credentials(&parts.headers).or_else(|| {
        Some((
            field("client_id")?.to_string(),
            field("client_secret")?.to_string(),
        ))
    });
    let Some((id, secret)) = credentials else {
        return oauth_error(401, OAuthError::invalid_client());
    };
    let client = inner
        .config
        .oauth
        .clients
        .iter()
        .position(|c| c.id == id && constant_time_eq(c.secret.as_bytes(), secret.as_bytes()));
    let Some(client) = client else {
        return oauth_error(401, OAuthError::invalid_client());
    };
    match field("grant_type") {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                400,
                OAuthError::new("unsupported_grant_type", "grant type not supported"),
            );
        }
        None => {
            return oauth_error(
                400,
                OAuthError::new("invalid_request", "grant_type is required"),
            );
        }
    }
    let now = inner.now();
    if let Err(refusal) = inner.limits.admit_mint(client as u32, now) {
        inner.stats.mint_throttled.fetch_add(1, Ordering::Relaxed);
        let limit = inner.limits.mint_config().map(|config| LimitRef {
            key: config.key.clone(),
            namespace: config.namespace.clone(),
            value: u64::from(config.spec.limit),
        });
        let body = ApiError::rate_limited(
            ceil_secs(refusal.retry_after),
            cid.as_str().to_string(),
            limit,
        );
        let mut response = json_value(429, &body, cid);
        set_retry_after(&mut response, refusal.retry_after);
        return response;
    }
    let lifetime = inner.config.oauth.token_lifetime;
    let token = inner.tokens.mint(client as u32, now, lifetime);
    inner.stats.tokens_minted.fetch_add(1, Ordering::Relaxed);
    json_value(200, &TokenResponse::bearer(token, lifetime.as_secs()), cid)
}
