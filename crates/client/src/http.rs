//! A thin HTTP layer over one shared hyper client (rustls, pooled HTTP/1.1 connections, proxies
//! from the environment): send a request, get status, headers, body, latency and correlation id
//! back, or a transport error classified by kind.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};
use http::{Method, Uri};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::time::Instant;
use url::Url;

use crate::bearer::BearerToken;
use crate::body_sink::{BodySink, Chunk};
use crate::credentials::Credentials;
use crate::endpoints::{check_scheme, is_loopback_host};
use crate::error::{Error, Result, TransportKind};
use crate::tls::TrustConfig;

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
    /// Which requests go through a proxy; `None` reads `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY`
    /// (and their lowercase forms) from the environment.
    pub proxies: Option<Arc<Matcher>>,
    /// The certificates trusted: by default the web's roots, the system's store and
    /// `SSL_CERT_FILE`.
    pub trust: TrustConfig,
}

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_idle_per_host: 1024,
            allow_insecure_http: false,
            user_agent: format!("pacer/{}", env!("CARGO_PKG_VERSION")),
            proxies: None,
            trust: TrustConfig::with_system(None),
        }
    }
}

/// One client for the whole run: cloning shares its connection pool.
#[derive(Clone)]
pub struct HttpClient {
    client: Client<hyper_rustls::HttpsConnector<ProxyConnector>, Full<Bytes>>,
    tls: Arc<rustls::ClientConfig>,
    allow_insecure_http: bool,
    user_agent: HeaderValue,
    request_timeout: Duration,
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
    pub body: Bytes,
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
    /// Builds the client: rustls trusting what `config.trust` names, HTTP/1.1 connection pooling,
    /// the timeouts of `config`, and a proxy (a CONNECT tunnel) for the hosts it covers.
    pub fn new(config: &HttpConfig) -> Result<HttpClient> {
        let tls = crate::tls::client_config(&config.trust)?;
        let mut direct = HttpConnector::new();
        direct.enforce_http(false);
        direct.set_nodelay(true);
        direct.set_connect_timeout(Some(config.connect_timeout));
        let proxies = config
            .proxies
            .clone()
            .unwrap_or_else(|| Arc::new(Matcher::from_env()));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config((*tls).clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(ProxyConnector { direct, proxies });
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_max_idle_per_host(config.max_idle_per_host)
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        let user_agent = HeaderValue::from_str(&config.user_agent)
            .map_err(|_| Error::Build(format!("bad user agent `{}`", config.user_agent)))?;
        Ok(HttpClient {
            client,
            tls,
            allow_insecure_http: config.allow_insecure_http,
            user_agent,
            request_timeout: config.request_timeout,
        })
    }

    /// Sends one request with an optional JSON body and bearer token, and reads the whole
    /// response. Any HTTP status is a `Response`; only a missing response is an error
    /// ([`Error::Transport`] with its [`TransportKind`]).
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<Bytes>,
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
        body: Option<Bytes>,
        token: Option<&BearerToken>,
    ) -> Result<Response> {
        check_scheme(&url, self.allow_insecure_http)?;
        let mut headers = HeaderMap::with_capacity(5);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(token) = token {
            headers.insert(AUTHORIZATION, token.header_value().clone());
        }
        if body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        self.execute(method, url, headers, body.unwrap_or_default(), None)
            .await
    }

    /// Sends a request with exactly `headers` (and the user agent), no bearer token: for a
    /// signed storage URL, which takes its own headers and no token. With `sink`, a successful
    /// (2xx) body goes to it a chunk at a time and the response's own body stays empty.
    pub async fn send_with_headers(
        &self,
        method: Method,
        url: &str,
        headers: HeaderMap,
        body: Bytes,
        sink: Option<&BodySink>,
    ) -> Result<Response> {
        let parsed = self.parse(url)?;
        self.execute(method, parsed, headers, body, sink).await
    }

    /// Whether plain http may go to hosts other than loopback.
    pub fn allows_insecure_http(&self) -> bool {
        self.allow_insecure_http
    }

    /// The TLS settings of the client's connections, for the notification socket's WSS.
    pub fn tls(&self) -> Arc<rustls::ClientConfig> {
        self.tls.clone()
    }

    /// `POST url` with HTTP Basic credentials and a form body, for the token endpoint.
    pub(crate) async fn post_form_basic(
        &self,
        url: &str,
        credentials: &Credentials,
        form: &'static str,
    ) -> Result<Response> {
        let parsed = self.parse(url)?;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            credentials.client_id,
            credentials.secret.expose()
        ));
        let mut authorization =
            HeaderValue::try_from(format!("Basic {basic}")).map_err(|_| Error::BadUrl {
                url: url.to_string(),
                reason: "the client id cannot go in a header".into(),
            })?;
        authorization.set_sensitive(true);
        let mut headers = HeaderMap::with_capacity(4);
        headers.insert(AUTHORIZATION, authorization);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        self.execute(
            Method::POST,
            parsed,
            headers,
            Bytes::from_static(form.as_bytes()),
            None,
        )
        .await
    }

    fn parse(&self, url: &str) -> Result<Url> {
        let parsed = Url::parse(url).map_err(|e| Error::BadUrl {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        check_scheme(&parsed, self.allow_insecure_http)?;
        Ok(parsed)
    }

    async fn execute(
        &self,
        method: Method,
        url: Url,
        mut headers: HeaderMap,
        body: Bytes,
        sink: Option<&BodySink>,
    ) -> Result<Response> {
        let transport = |kind: TransportKind, source: BoxError| Error::Transport {
            kind,
            url: url.as_str().to_string(),
            source,
        };
        let uri: Uri = url
            .as_str()
            .parse()
            .map_err(|e: http::uri::InvalidUri| Error::BadUrl {
                url: url.as_str().to_string(),
                reason: e.to_string(),
            })?;
        headers.insert(USER_AGENT, self.user_agent.clone());
        let mut request = http::Request::new(Full::new(body));
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        let start = Instant::now();
        let exchange = async {
            let response = match self.client.request(request).await {
                Ok(response) => response,
                Err(err) => {
                    if let Some(reason) = crate::tls::refused_certificate(&err) {
                        return Err(Refused::Certificate(reason));
                    }
                    return Err(Refused::Transport(
                        classify_client(&err),
                        BoxError::from(err),
                    ));
                }
            };
            let latency = start.elapsed();
            let (parts, incoming) = response.into_parts();
            let body = match sink.filter(|_| parts.status.is_success()) {
                Some(sink) => stream_body(incoming, sink).await?,
                None => incoming
                    .collect()
                    .await
                    .map_err(|e| Refused::Transport(classify(&e), BoxError::from(e)))?
                    .to_bytes(),
            };
            Ok::<_, Refused>((parts, body, latency))
        };
        let (parts, body, latency) =
            match tokio::time::timeout(self.request_timeout, exchange).await {
                Ok(Ok(done)) => done,
                Ok(Err(Refused::Transport(kind, source))) => return Err(transport(kind, source)),
                Ok(Err(Refused::ReaderGone)) => {
                    return Err(Error::Unexpected {
                        endpoint: "GET download",
                        reason: "its reader stopped before the body ended".into(),
                    });
                }
                Ok(Err(Refused::Certificate(reason))) => {
                    return Err(Error::UntrustedCertificate {
                        host: url.host_str().unwrap_or_default().to_string(),
                        reason,
                    });
                }
                Err(elapsed) => return Err(transport(TransportKind::Timeout, elapsed.into())),
            };
        let elapsed = start.elapsed();
        let correlation_id = parts
            .headers
            .get(CORRELATION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(Response {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
            latency,
            elapsed,
            correlation_id,
        })
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why an exchange got no response: the server's certificate refused, a streamed body's reader
/// gone, or another failure.
enum Refused {
    Certificate(String),
    ReaderGone,
    Transport(TransportKind, BoxError),
}

/// Hands a body to `sink` a frame at a time (after a [`Chunk::Start`], ending with
/// [`Chunk::End`]); what is left for the response is empty.
async fn stream_body(
    mut incoming: hyper::body::Incoming,
    sink: &BodySink,
) -> Result<Bytes, Refused> {
    let gone = |_| Refused::ReaderGone;
    sink.send(Chunk::Start).await.map_err(gone)?;
    while let Some(frame) = incoming.frame().await {
        let frame = frame.map_err(|e| Refused::Transport(classify(&e), BoxError::from(e)))?;
        if let Ok(data) = frame.into_data() {
            sink.send(Chunk::Data(data)).await.map_err(gone)?;
        }
    }
    sink.send(Chunk::End).await.map_err(gone)?;
    Ok(Bytes::new())
}

/// The connection under TLS: straight to the host, or through the proxy that covers it with a
/// CONNECT tunnel. Loopback hosts never go through a proxy.
#[derive(Clone)]
pub(crate) struct ProxyConnector {
    direct: HttpConnector,
    proxies: Arc<Matcher>,
}

impl ProxyConnector {
    /// The proxy `dst` goes through, if any.
    fn proxy_for(&self, dst: &Uri) -> Option<hyper_util::client::proxy::matcher::Intercept> {
        if dst.host().is_some_and(is_loopback_host) {
            return None;
        }
        self.proxies.intercept(dst)
    }
}

impl tower_service::Service<Uri> for ProxyConnector {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future =
        Pin<Box<dyn Future<Output = std::result::Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<std::result::Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let mut direct = self.direct.clone();
        match self.proxy_for(&dst) {
            Some(intercept) => {
                // The tunnel asks for port 443 when the URI names none, even for http.
                let dst = with_port(dst);
                let mut tunnel = Tunnel::new(intercept.uri().clone(), direct);
                if let Some(auth) = intercept.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                Box::pin(async move {
                    tower_service::Service::call(&mut tunnel, dst)
                        .await
                        .map_err(BoxError::from)
                })
            }
            None => Box::pin(async move {
                tower_service::Service::call(&mut direct, dst)
                    .await
                    .map_err(BoxError::from)
            }),
        }
    }
}

/// `dst` with its scheme's default port written out when it names none.
fn with_port(dst: Uri) -> Uri {
    if dst.port().is_some() {
        return dst;
    }
    let port = if dst.scheme_str() == Some("http") {
        80
    } else {
        443
    };
    let Some(host) = dst.host() else { return dst };
    let authority = format!("{host}:{port}");
    let mut parts = dst.clone().into_parts();
    match authority.parse() {
        Ok(authority) => {
            parts.authority = Some(authority);
            Uri::from_parts(parts).unwrap_or(dst)
        }
        Err(_) => dst,
    }
}

/// Sorts a failed exchange into the kinds the retry policy and the user care about.
fn classify_client(err: &hyper_util::client::legacy::Error) -> TransportKind {
    match classify(err) {
        TransportKind::Other if err.is_connect() => TransportKind::Connect,
        kind => kind,
    }
}

/// Sorts an error by its chain of causes.
pub(crate) fn classify(err: &(dyn std::error::Error + 'static)) -> TransportKind {
    let mut text = String::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
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
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            if hyper.is_incomplete_message() || hyper.is_canceled() {
                return TransportKind::ConnectionReset;
            }
            if hyper.is_timeout() {
                return TransportKind::Timeout;
            }
        }
        text.push_str(&cause.to_string().to_ascii_lowercase());
        text.push('\n');
        source = cause.source();
    }
    // hyper may report a connection closed mid-exchange without an io::Error underneath.
    if text.contains("connection closed before message completed")
        || text.contains("connection reset")
        || text.contains("incomplete message")
        || text.contains("unexpected eof")
    {
        return TransportKind::ConnectionReset;
    }
    if text.contains("timed out") {
        return TransportKind::Timeout;
    }
    TransportKind::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_cover_their_hosts_but_never_loopback_or_no_proxy_ones() {
        let connector = ProxyConnector {
            direct: HttpConnector::new(),
            proxies: Arc::new(
                Matcher::builder()
                    .all("http://user:pass@proxy.example:3128")
                    .no("internal.example")
                    .build(),
            ),
        };
        let proxy = |uri: &str| {
            connector
                .proxy_for(&uri.parse().unwrap())
                .map(|i| i.uri().to_string())
        };
        assert_eq!(
            proxy("https://api.mypurecloud.com/api/v2/users").as_deref(),
            Some("http://proxy.example:3128/")
        );
        assert_eq!(proxy("https://login.internal.example/oauth/token"), None);
        for loopback in [
            "http://127.0.0.1:8080/x",
            "https://localhost/x",
            "http://[::1]:1/x",
        ] {
            assert_eq!(proxy(loopback), None, "{loopback}");
        }
        let intercept = connector
            .proxy_for(&"https://api.mypurecloud.com/".parse().unwrap())
            .unwrap();
        assert!(
            intercept
                .basic_auth()
                .is_some_and(HeaderValue::is_sensitive)
        );
        // The proxy's password never prints, in the matcher or the client's settings.
        let config = HttpConfig {
            proxies: Some(connector.proxies.clone()),
            ..HttpConfig::default()
        };
        let shown = format!("{config:?} {:?}", connector.proxies);
        assert!(
            shown.contains("proxy.example") && !shown.contains("pass"),
            "{shown}"
        );
    }

    #[test]
    fn a_tunnel_names_the_default_port_of_its_scheme() {
        let port = |uri: &str| with_port(uri.parse().unwrap()).port_u16();
        assert_eq!(port("http://pacer.test/x"), Some(80));
        assert_eq!(port("https://pacer.test/x"), Some(443));
        assert_eq!(port("https://pacer.test:8443/x"), Some(8443));
    }
}
