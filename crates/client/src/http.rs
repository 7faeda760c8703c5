//! A thin HTTP layer over one shared reqwest client: send a request, get status, headers, body,
//! latency and correlation id back, or a transport error classified by kind.

use std::fmt;
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use tokio::time::Instant;

use crate::credentials::Credentials;
use crate::endpoints::check_scheme;
use crate::error::{Error, Result, TransportKind};
use crate::token::BearerToken;

/// The header that carries Genesys Cloud's correlation id on every response.
pub const CORRELATION_HEADER: &str = "inin-correlation-id";

/// Settings of the shared HTTP client.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Longest wait for a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Longest wait for a whole exchange, body included.
    pub request_timeout: Duration,
    /// Idle connections kept per host for reuse.
    pub max_idle_per_host: usize,
    /// Plain http to hosts that are not loopback.
    pub allow_insecure_http: bool,
    pub user_agent: String,
}

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_idle_per_host: 1024,
            allow_insecure_http: false,
            user_agent: format!("pacer/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// One client for the whole run: cloning shares its connection pool.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    allow_insecure_http: bool,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}

/// A response, read whole.
#[derive(Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
    /// From the start of the send to the response headers (JMeter's latency).
    pub latency: Duration,
    /// From the start of the send to the end of the body.
    pub elapsed: Duration,
    /// The `ININ-Correlation-Id` header, when present.
    pub correlation_id: Option<String>,
}

impl Response {
    /// A header's value as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The status class the engine's retry policy classifies.
    pub fn outcome(&self) -> pacer_core::retry::Outcome {
        pacer_core::retry::Outcome::Status(self.status)
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = if is_sensitive(name.as_str()) || value.is_sensitive() {
                    "[redacted]".to_string()
                } else {
                    String::from_utf8_lossy(value.as_bytes()).into_owned()
                };
                (name.as_str().to_string(), shown)
            })
            .collect();
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("correlation_id", &self.correlation_id)
            .field("latency", &self.latency)
            .field("elapsed", &self.elapsed)
            .field("headers", &headers)
            .field(
                "body",
                &String::from_utf8_lossy(&self.body[..self.body.len().min(512)]),
            )
            .finish()
    }
}

fn is_sensitive(name: &str) -> bool {
    name.eq_ignore_ascii_case("authorization")
        || name.eq_ignore_ascii_case("proxy-authorization")
        || name.eq_ignore_ascii_case("set-cookie")
        || name.eq_ignore_ascii_case("cookie")
}

impl HttpClient {
    /// Builds the client: rustls, connection pooling, the timeouts of `config`.
    pub fn new(config: &HttpConfig) -> Result<HttpClient> {
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_max_idle_per_host(config.max_idle_per_host)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .user_agent(config.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(Error::Build)?;
        Ok(HttpClient {
            client,
            allow_insecure_http: config.allow_insecure_http,
        })
    }

    /// Sends one request with an optional JSON body and bearer token, and reads the whole
    /// response. Any HTTP status is a `Response`; only a missing response is an error
    /// ([`Error::Transport`] with its [`TransportKind`]).
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<bytes::Bytes>,
        token: Option<&BearerToken>,
    ) -> Result<Response> {
        let parsed = self.parse(url)?;
        self.send_url(method, parsed, body, token).await
    }

    /// [`HttpClient::send`] to a URL already parsed.
    pub async fn send_url(
        &self,
        method: Method,
        url: Url,
        body: Option<bytes::Bytes>,
        token: Option<&BearerToken>,
    ) -> Result<Response> {
        check_scheme(&url, self.allow_insecure_http)?;
        let text = url.as_str().to_owned();
        let mut request = self
            .client
            .request(method, url)
            .header(ACCEPT, "application/json");
        if let Some(token) = token {
            request = request.header(AUTHORIZATION, token.header_value().clone());
        }
        if let Some(body) = body {
            request = request.header(CONTENT_TYPE, "application/json").body(body);
        }
        self.execute(request, &text).await
    }

    /// `POST url` with HTTP Basic credentials and a form body, for the token endpoint.
    pub(crate) async fn post_form_basic(
        &self,
        url: &str,
        credentials: &Credentials,
        form: &'static str,
    ) -> Result<Response> {
        let parsed = self.parse(url)?;
        let request = self
            .client
            .post(parsed)
            .basic_auth(&credentials.client_id, Some(credentials.secret.expose()))
            .header(ACCEPT, "application/json")
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            )
            .body(form);
        self.execute(request, url).await
    }

    fn parse(&self, url: &str) -> Result<Url> {
        let parsed = Url::parse(url).map_err(|e| Error::BadUrl {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        check_scheme(&parsed, self.allow_insecure_http)?;
        Ok(parsed)
    }

    async fn execute(&self, request: reqwest::RequestBuilder, url: &str) -> Result<Response> {
        let transport = |source: reqwest::Error| Error::Transport {
            kind: classify(&source),
            url: url.to_string(),
            source,
        };
        let start = Instant::now();
        let mut response = request.send().await.map_err(transport)?;
        let latency = start.elapsed();
        let status = response.status().as_u16();
        // The headers are moved out rather than copied: the body is read without them.
        let headers = std::mem::take(response.headers_mut());
        let body = response.bytes().await.map_err(transport)?;
        let elapsed = start.elapsed();
        let correlation_id = headers
            .get(CORRELATION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(Response {
            status,
            headers,
            body,
            latency,
            elapsed,
            correlation_id,
        })
    }
}

/// Sorts a reqwest error into the kinds the retry policy and the user care about.
pub(crate) fn classify(err: &reqwest::Error) -> TransportKind {
    use std::error::Error as _;
    if err.is_timeout() {
        return TransportKind::Timeout;
    }
    let mut text = String::new();
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind;
            match io.kind() {
                ErrorKind::ConnectionRefused => return TransportKind::ConnectRefused,
                ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof => return TransportKind::ConnectionReset,
                ErrorKind::TimedOut => return TransportKind::Timeout,
                _ => {}
            }
        }
        text.push_str(&cause.to_string().to_ascii_lowercase());
        text.push('\n');
        source = cause.source();
    }
    // hyper reports a connection closed mid-exchange without an io::Error underneath.
    if text.contains("connection closed before message completed")
        || text.contains("connection reset")
        || text.contains("incomplete message")
        || text.contains("unexpected eof")
    {
        return TransportKind::ConnectionReset;
    }
    if err.is_connect() {
        return TransportKind::Connect;
    }
    TransportKind::Other
}
