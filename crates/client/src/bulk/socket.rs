//! The notification socket of a schedule update: connects to a channel's `connectUri` (ws on
//! loopback, wss elsewhere, through rustls), watches its heartbeats, reconnects a dead socket a
//! bounded number of times, and hands the schedule events it reads to the waiting workflow.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use pacer_genesys::notifications::{NotificationEvent, SOCKET_CLOSING_TOPIC};
use pacer_genesys::wfm::BuScheduleNotification;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use url::Url;

use crate::error::{Error, Result};

/// Reconnections before the socket is given up (the workflow then polls).
const MAX_RECONNECTS: u32 = 8;
/// The longest pause between reconnections.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What the socket tells the workflow.
#[derive(Debug, Clone, PartialEq)]
pub enum SocketEvent {
    /// An event on the business unit's schedules topic.
    Schedule(Box<BuScheduleNotification>),
    /// The socket is connected (again).
    Up,
    /// The socket closed or went silent; it is being reopened unless `gave_up`.
    Down { reason: String, gave_up: bool },
}

/// A running socket: its events, and the task that reads them.
pub struct Notifications {
    pub events: mpsc::UnboundedReceiver<SocketEvent>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Notifications {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Connects to `uri` (wss with `tls`, the HTTP client's settings) and keeps reading `topic`
/// until dropped. The first connection must succeed; later failures are reported as
/// [`SocketEvent::Down`] and retried.
pub async fn open(
    uri: &str,
    topic: String,
    heartbeat_timeout: Duration,
    allow_insecure: bool,
    tls: Arc<rustls::ClientConfig>,
) -> Result<Notifications> {
    let url =
        Url::parse(uri).map_err(|e| Error::Socket(format!("bad connect URI `{uri}`: {e}")))?;
    let first = connect(&url, &tls, allow_insecure).await?;
    let (sender, events) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let mut socket = Some(first);
        let mut reconnects = 0u32;
        loop {
            if let Some(ws) = socket.take() {
                let _ = sender.send(SocketEvent::Up);
                let reason = read(ws, &topic, heartbeat_timeout, &sender).await;
                let gave_up = reconnects >= MAX_RECONNECTS;
                if sender.send(SocketEvent::Down { reason, gave_up }).is_err() || gave_up {
                    return;
                }
            }
            reconnects += 1;
            let backoff = Duration::from_secs(1 << reconnects.min(5)).min(MAX_BACKOFF);
            tokio::time::sleep(backoff).await;
            match connect(&url, &tls, allow_insecure).await {
                Ok(ws) => socket = Some(ws),
                Err(err) if reconnects >= MAX_RECONNECTS => {
                    let _ = sender.send(SocketEvent::Down {
                        reason: err.to_string(),
                        gave_up: true,
                    });
                    return;
                }
                Err(_) => {}
            }
        }
    });
    Ok(Notifications { events, task })
}

/// Any byte stream a socket runs over.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Socket = tokio_tungstenite::WebSocketStream<Box<dyn Io>>;

/// Opens the socket: ws only to loopback (unless allowed), wss through rustls.
async fn connect(
    url: &Url,
    tls: &Arc<rustls::ClientConfig>,
    allow_insecure: bool,
) -> Result<Socket> {
    let fail =
        |reason: String| Error::Socket(format!("cannot connect to {}: {reason}", redact(url)));
    let host = url
        .host_str()
        .ok_or_else(|| fail("no host".into()))?
        .to_string();
    let secure = match url.scheme() {
        "wss" => true,
        "ws" => false,
        other => return Err(fail(format!("the scheme `{other}` is not ws or wss"))),
    };
    if !secure && !allow_insecure && !crate::endpoints::is_loopback_host(&host) {
        return Err(fail("plain ws is refused except to loopback".into()));
    }
    let port = url
        .port_or_known_default()
        .unwrap_or(if secure { 443 } else { 80 });
    let tcp = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port)),
    )
    .await
    .map_err(|_| fail("timed out".into()))?
    .map_err(|e| fail(e.to_string()))?;
    let _ = tcp.set_nodelay(true);
    let stream: Box<dyn Io> = if secure {
        let name = rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|e| fail(e.to_string()))?;
        let tls = tokio_rustls::TlsConnector::from(tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| match crate::tls::refused_certificate(&e) {
                Some(reason) => Error::UntrustedCertificate {
                    host: host.clone(),
                    reason,
                },
                None => fail(e.to_string()),
            })?;
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    let (socket, _) = tokio_tungstenite::client_async(url.as_str(), stream)
        .await
        .map_err(|e| fail(e.to_string()))?;
    Ok(socket)
}

/// Reads until the socket ends; returns why it ended.
async fn read(
    mut ws: Socket,
    topic: &str,
    heartbeat_timeout: Duration,
    sender: &mpsc::UnboundedSender<SocketEvent>,
) -> String {
    loop {
        let message = match tokio::time::timeout(heartbeat_timeout, ws.next()).await {
            Err(_) => {
                return format!(
                    "no message or heartbeat for {} s",
                    heartbeat_timeout.as_secs()
                );
            }
            Ok(None) => return "the server closed the socket".into(),
            Ok(Some(Err(err))) => return format!("the socket failed: {err}"),
            Ok(Some(Ok(message))) => message,
        };
        let text = match message {
            Message::Text(text) => text,
            Message::Close(_) => return "the server closed the socket".into(),
            _ => continue,
        };
        match decode(&text, topic) {
            Decoded::Schedule(body) => {
                if sender.send(SocketEvent::Schedule(body)).is_err() {
                    return "the run no longer listens".into();
                }
            }
            Decoded::Closing => return "the server announced the socket's end".into(),
            Decoded::Other => {}
        }
    }
}

/// What one text message of the socket says.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// An event on the watched topic whose body reads as a schedule notification.
    Schedule(Box<BuScheduleNotification>),
    /// The server announced that it will close the socket.
    Closing,
    /// Anything else: a heartbeat, another topic, a body that does not read; skipped.
    Other,
}

/// Reads one text message of the socket for `topic`. Never panics: a message that does not read
/// is [`Decoded::Other`].
pub fn decode(text: &str, topic: &str) -> Decoded {
    let Ok(event) = serde_json::from_str::<NotificationEvent>(text) else {
        return Decoded::Other;
    };
    if event.topic_name == topic {
        match serde_json::from_value::<BuScheduleNotification>(event.event_body) {
            Ok(body) => Decoded::Schedule(Box::new(body)),
            Err(_) => Decoded::Other,
        }
    } else if event.topic_name == SOCKET_CLOSING_TOPIC {
        Decoded::Closing
    } else {
        Decoded::Other
    }
}

/// The URI without its path (the channel id is a credential of sorts).
fn redact(url: &Url) -> String {
    format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""))
}
