//! The request context every route answers with, and what it reads from the request: the
//! JSON body.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use pacer_genesys::errors::codes;

use super::problem::Problem;
use super::query::query_value;
use crate::conn::Conn;
use crate::respond::CorrelationId;
use crate::state::Inner;

/// What every route's answer needs: the state, the request, its correlation id and its client.
pub struct Ctx<'a> {
    pub inner: &'a Arc<Inner>,
    pub parts: &'a Parts,
    pub cid: &'a CorrelationId,
    /// The OAuth client of the bearer token.
    pub client: u32,
}

impl Ctx<'_> {
    /// The value of `name` in the request's query string, percent-decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        query_value(self.parts.uri.query(), name)
    }

    /// The base URL clients reached the emulator on, for URLs it hands out: `scheme` (`http` or
    /// `ws`) becomes `https` or `wss` on a TLS connection.
    pub fn origin(&self, scheme: &str) -> String {
        let secure = self
            .parts
            .extensions
            .get::<ConnectInfo<Conn>>()
            .is_some_and(|ConnectInfo(conn)| conn.secure);
        let s = if secure { "s" } else { "" };
        let host = self
            .parts
            .headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map_or_else(|| self.inner.config.listen.to_string(), str::to_string);
        format!("{scheme}{s}://{host}")
    }

    /// The OAuth client's id, which stands for the token's user.
    pub fn client_id(&self) -> &str {
        &self.inner.config.oauth.clients[self.client as usize].id
    }
}

/// Reads a JSON body of at most `request.bytes.max` bytes.
pub async fn read_json<T: serde::de::DeserializeOwned>(
    ctx: &Ctx<'_>,
    body: Body,
) -> Result<T, Problem> {
    let max = ctx.inner.config.request_bytes_max;
    let bytes = axum::body::to_bytes(body, max).await.map_err(|_| {
        Problem::new(
            413,
            codes::REQUEST_TOO_LARGE,
            format!("The request body exceeds the maximum of {max} bytes (request.bytes.max)."),
        )
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|err| Problem::bad_request(format!("The request body is not valid: {err}.")))
}
