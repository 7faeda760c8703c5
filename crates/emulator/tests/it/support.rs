//! Shared helpers: start an emulator on loopback, mint tokens, send requests.

use std::time::Duration;

use pacer_emulator::{AppState, Config, ManualClock, StatsReport, TlsIdentity};
use reqwest::header::HeaderMap;
use serde_json::Value;

/// The issue's example schedule, which must be accepted.
pub const EXAMPLE: &str = r#"{"weekDate":"2026-12-07","shifts":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activities":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activityCodeId":"0","description":"Work"}]}]}"#;

/// A running emulator; it shuts down when dropped.
pub struct Emu {
    pub base: String,
    pub state: AppState,
    pub clock: Option<ManualClock>,
    pub http: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), pacer_emulator::EmulatorError>>>,
}

/// A response read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Names of the rate-limit headers present, sorted.
    pub fn rate_limit_header_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .headers
            .keys()
            .map(|k| k.as_str().to_string())
            .filter(|k| {
                k.starts_with("x-ratelimit")
                    || k.starts_with("ratelimit")
                    || k.starts_with("inin-ratelimit")
            })
            .collect();
        names.sort();
        names
    }
}

/// Starts an emulator on tokio's clock.
pub async fn start(config: Config) -> Emu {
    let state = AppState::new(config).expect("valid config");
    launch(state, None).await
}

/// Starts an emulator whose clock only the test moves.
pub async fn start_manual(config: Config) -> Emu {
    let (state, clock) = AppState::with_manual_clock(config).expect("valid config");
    launch(state, Some(clock)).await
}

/// Starts an emulator serving HTTPS and WSS with a certificate made at start; the test's client
/// trusts its CA, which is returned as PEM.
pub async fn start_tls(config: Config) -> (Emu, String) {
    let state = AppState::new(config).expect("valid config");
    let identity = TlsIdentity::generate().unwrap();
    let ca = identity.ca_pem().unwrap();
    (launch_with(state, None, Some(identity)).await, ca)
}

async fn launch(state: AppState, clock: Option<ManualClock>) -> Emu {
    launch_with(state, clock, None).await
}

async fn launch_with(state: AppState, clock: Option<ManualClock>, tls: Option<TlsIdentity>) -> Emu {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let mut http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20));
    let stopped = async move {
        let _ = rx.await;
    };
    let served = state.clone();
    let (scheme, task) = match tls {
        Some(identity) => {
            let ca = reqwest::Certificate::from_pem(identity.ca_pem().unwrap().as_bytes()).unwrap();
            http = http.tls_built_in_root_certs(false).add_root_certificate(ca);
            let task = tokio::spawn(async move {
                pacer_emulator::serve_tls(listener, served, &identity, stopped).await
            });
            ("https", task)
        }
        None => (
            "http",
            tokio::spawn(pacer_emulator::serve(listener, served, stopped)),
        ),
    };
    let http = http.build().unwrap();
    Emu {
        base: format!("{scheme}://{addr}"),
        state,
        clock,
        http,
        shutdown: Some(tx),
        task: Some(task),
    }
}

impl Drop for Emu {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Emu {
    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) -> Result<(), pacer_emulator::EmulatorError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let task = self.task.take().unwrap();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("stops in time")
            .unwrap()
    }

    pub fn set_time(&self, since_start: Duration) {
        self.clock
            .as_ref()
            .expect("a manual clock")
            .set(since_start);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The UUID of agent `index`.
    pub fn agent(&self, index: u32) -> String {
        self.state.agent_id(index).expect("agent exists")
    }

    /// Mints a token with the demo client.
    pub async fn token(&self) -> String {
        let answer = self
            .mint("pacer-demo", "pacer-demo-secret", "client_credentials")
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.body["access_token"].as_str().unwrap().to_string()
    }

    pub async fn mint(&self, id: &str, secret: &str, grant: &str) -> Answer {
        let request = self
            .http
            .post(self.url("/oauth/token"))
            .basic_auth(id, Some(secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("grant_type={grant}"));
        read(request.send().await.unwrap()).await
    }

    pub async fn get(&self, token: Option<&str>, path: &str) -> Answer {
        let mut request = self.http.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request.send().await.unwrap()).await
    }

    pub async fn put(&self, token: &str, path: &str, body: impl Into<reqwest::Body>) -> Answer {
        let request = self
            .http
            .put(self.url(path))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body);
        read(request.send().await.unwrap()).await
    }

    /// The per-agent schedule path of agent `index`.
    pub fn schedule_path(&self, index: u32) -> String {
        format!("/api/v2/wfm/usersettings/{}/schedule", self.agent(index))
    }

    pub async fn stats(&self) -> StatsReport {
        let response = self
            .http
            .get(self.url("/__emulator/stats"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

pub async fn read(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
        text,
    }
}

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Sends raw request bytes on a new connection and returns what came back before the server
/// closed it (the request should say `connection: close`).
pub async fn raw_request(emu: &Emu, bytes: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = emu.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    // The server may answer (and close) before it has read everything; a failed write is fine.
    let _ = stream.write_all(bytes).await;
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut reply)).await;
    String::from_utf8_lossy(&reply).into_owned()
}
