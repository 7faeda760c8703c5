//! The notification service: channels and their subscriptions, the WebSocket each channel's
//! events travel on (with heartbeats, pongs and the channel's end), and publishing to a topic.
//!
//! Documented limits are kept: 20 channels per OAuth client (a 21st removes the least recently
//! used, unconnected ones first), 1,000 topics per channel, and a channel's lifetime.
//! `routes` is its HTTP surface.

pub mod routes;

use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use pacer_genesys::notifications::{
    ChannelTopic, EventMetadata, HEARTBEAT_MESSAGE, METADATA_TOPIC, MetadataMessage,
    NotificationEvent, SOCKET_CLOSING_TOPIC, SocketClosing,
};
use tokio::sync::mpsc;

use crate::hash::FastMap;
use crate::stats::Stats;

/// Channels one OAuth client may hold.
pub const MAX_CHANNELS: usize = 20;
/// Topics one channel may hold.
pub const MAX_TOPICS: usize = 1000;

/// What the socket task is told to send.
#[derive(Debug)]
enum Outgoing {
    Text(String),
    /// Close the socket, after announcing why on `v2.system.socket_closing` when given.
    Close(Option<String>),
}

/// One channel.
#[derive(Debug)]
struct Channel {
    client: u32,
    topics: Vec<String>,
    expires: Duration,
    last_used: Duration,
    /// The connected socket's generation and its queue.
    socket: Option<(u64, mpsc::UnboundedSender<Outgoing>)>,
}

/// Every channel of every client.
#[derive(Debug, Default)]
pub struct Notifier {
    channels: Mutex<FastMap<String, Channel>>,
    generation: std::sync::atomic::AtomicU64,
}

/// Why a channel operation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelProblem {
    /// 404: no such channel for this client.
    NotFound,
    /// 400: too many topics, or a topic refused without `ignoreErrors`.
    Invalid(String),
}

impl Notifier {
    fn lock(&self) -> std::sync::MutexGuard<'_, FastMap<String, Channel>> {
        self.channels.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens a channel for `client`; past the limit the least recently used one goes.
    pub fn create(&self, id: String, client: u32, now: Duration, lifetime: Duration) {
        let mut channels = self.lock();
        channels.retain(|_, c| c.expires > now);
        let owned = channels.values().filter(|c| c.client == client).count();
        if owned >= MAX_CHANNELS {
            let victim = channels
                .iter()
                .filter(|(_, c)| c.client == client)
                .min_by_key(|(_, c)| (c.socket.is_some(), c.last_used))
                .map(|(id, _)| id.clone());
            if let Some(victim) = victim
                && let Some(channel) = channels.remove(&victim)
                && let Some((_, socket)) = channel.socket
            {
                let _ = socket.send(Outgoing::Close(Some(closing(
                    &victim,
                    "no_longer_subscribed",
                    "the channel was removed: the client opened too many channels",
                ))));
            }
        }
        channels.insert(
            id,
            Channel {
                client,
                topics: Vec::new(),
                expires: now + lifetime,
                last_used: now,
                socket: None,
            },
        );
    }

    /// The expiry of a channel, if it exists (for the socket's upgrade, which has no token).
    pub fn expires(&self, id: &str) -> Option<Duration> {
        self.lock().get(id).map(|c| c.expires)
    }

    /// The channel's topics after `request`. `permitted` says whether a topic may be subscribed;
    /// refused topics are listed as `Rejected` with `ignore_errors`, else the whole change is
    /// refused.
    pub fn subscribe(
        &self,
        id: &str,
        client: u32,
        request: Subscription,
        permitted: impl Fn(&str) -> bool,
        now: Duration,
    ) -> Result<Vec<ChannelTopic>, ChannelProblem> {
        let Subscription {
            change,
            topics,
            ignore_errors,
        } = request;
        let mut channels = self.lock();
        let channel = channels
            .get_mut(id)
            .filter(|c| c.client == client && c.expires > now)
            .ok_or(ChannelProblem::NotFound)?;
        channel.last_used = now;
        let mut answer = Vec::new();
        let mut accepted = Vec::new();
        for topic in topics {
            if permitted(&topic) {
                accepted.push(topic);
            } else if ignore_errors {
                answer.push(ChannelTopic {
                    id: topic,
                    state: Some("Rejected".into()),
                    rejection_reason: Some("The topic does not exist or is not permitted.".into()),
                    self_uri: None,
                });
            } else {
                return Err(ChannelProblem::Invalid(format!(
                    "The topic {topic} does not exist or is not permitted."
                )));
            }
        }
        let mut next = match change {
            Change::Replace => Vec::new(),
            Change::Add | Change::Read => channel.topics.clone(),
            Change::Clear => Vec::new(),
        };
        for topic in accepted {
            if !next.contains(&topic) {
                next.push(topic);
            }
        }
        if next.len() > MAX_TOPICS {
            return Err(ChannelProblem::Invalid(format!(
                "A channel may hold at most {MAX_TOPICS} topics."
            )));
        }
        channel.topics = next;
        let listed = channel.topics.iter().map(|t| ChannelTopic {
            id: t.clone(),
            state: Some("Permitted".into()),
            rejection_reason: None,
            self_uri: Some(format!("/api/v2/notifications/channels/{id}/subscriptions")),
        });
        Ok(listed.chain(answer).collect())
    }

    /// Sends `body` to every connected channel subscribed to `topic`; with probability
    /// `drop` (drawn by `chance`) a socket is dropped instead and the event is lost.
    pub fn publish<T: serde::Serialize>(
        &self,
        topic: &str,
        body: &T,
        correlation: &str,
        stats: &Stats,
        mut dropped: impl FnMut() -> bool,
    ) {
        let event = NotificationEvent {
            topic_name: topic.to_string(),
            version: Some("2".into()),
            event_body: body,
            metadata: Some(EventMetadata {
                correlation_id: Some(correlation.to_string()),
            }),
        };
        let Ok(text) = serde_json::to_string(&event) else {
            return;
        };
        let mut channels = self.lock();
        for channel in channels.values_mut() {
            if !channel.topics.iter().any(|t| t == topic) {
                continue;
            }
            let Some((_, socket)) = &channel.socket else {
                continue;
            };
            if dropped() {
                let _ = socket.send(Outgoing::Close(None));
                channel.socket = None;
                stats.notifications_dropped.fetch_add(1, Ordering::Relaxed);
            } else if socket.send(Outgoing::Text(text.clone())).is_ok() {
                stats.notifications_sent.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Serves a channel's socket until it closes, the channel ends or another socket takes it.
    pub async fn serve_socket(
        &self,
        id: String,
        mut socket: WebSocket,
        heartbeat: Duration,
        until_expiry: Duration,
    ) {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let generation = self.generation.fetch_add(1, Ordering::Relaxed);
        {
            let mut channels = self.lock();
            let Some(channel) = channels.get_mut(&id) else {
                return;
            };
            if let Some((_, old)) = channel.socket.replace((generation, tx)) {
                let _ = old.send(Outgoing::Close(None));
            }
        }
        let start = tokio::time::Instant::now();
        let mut beat = tokio::time::interval_at(start + heartbeat, heartbeat);
        let expiry = tokio::time::sleep_until(start + until_expiry);
        tokio::pin!(expiry);
        loop {
            let sent = tokio::select! {
                out = rx.recv() => match out {
                    Some(Outgoing::Text(text)) => socket.send(Message::Text(text.into())).await,
                    out @ (Some(Outgoing::Close(_)) | None) => {
                        if let Some(Outgoing::Close(Some(notice))) = out {
                            let _ = socket.send(Message::Text(notice.into())).await;
                        }
                        let _ = socket.send(Message::Close(None)).await;
                        break;
                    }
                },
                _ = beat.tick() => socket.send(Message::Text(metadata(HEARTBEAT_MESSAGE).into())).await,
                () = &mut expiry => {
                    let notice = closing(&id, "no_longer_subscribed", "the channel's lifetime is over");
                    let _ = socket.send(Message::Text(notice.into())).await;
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Text(text))) if is_ping(&text) => {
                        socket.send(Message::Text(metadata("pong").into())).await
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                    Some(Ok(_)) => Ok(()),
                },
            };
            if sent.is_err() {
                break;
            }
        }
        let mut channels = self.lock();
        if let Some(channel) = channels.get_mut(&id)
            && channel
                .socket
                .as_ref()
                .is_some_and(|(g, _)| *g == generation)
        {
            channel.socket = None;
        }
    }

    /// Forgets every channel, closing their sockets.
    pub fn clear(&self) {
        for (_, channel) in self.lock().drain() {
            if let Some((_, socket)) = channel.socket {
                let _ = socket.send(Outgoing::Close(None));
            }
        }
    }
}

/// A subscription request: what it does, with which topics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub change: Change,
    pub topics: Vec<String>,
    /// Lists refused topics as `Rejected` instead of refusing the request.
    pub ignore_errors: bool,
}

/// What a subscription request does to a channel's topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// `PUT`: the list becomes the request's.
    Replace,
    /// `POST`: the request's topics are added.
    Add,
    /// `DELETE`: the list is emptied.
    Clear,
    /// `GET`: the list as it is.
    Read,
}

/// A message on `channel.metadata`.
fn metadata(message: &str) -> String {
    let event = NotificationEvent {
        topic_name: METADATA_TOPIC.into(),
        version: None,
        event_body: MetadataMessage {
            message: message.into(),
        },
        metadata: None,
    };
    serde_json::to_string(&event).unwrap_or_default()
}

/// The announcement of a closing socket.
fn closing(channel: &str, kind: &str, reason: &str) -> String {
    let event = NotificationEvent {
        topic_name: SOCKET_CLOSING_TOPIC.into(),
        version: None,
        event_body: SocketClosing {
            channel_id: channel.into(),
            system_topic_type: kind.into(),
            reason: reason.into(),
            message: "The socket is closing; reconnect or create a new channel.".into(),
        },
        metadata: None,
    };
    serde_json::to_string(&event).unwrap_or_default()
}

/// Whether a client's message is `{"message": "ping"}`.
fn is_ping(text: &str) -> bool {
    serde_json::from_str::<MetadataMessage>(text).is_ok_and(|m| m.message == "ping")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn permit(_: &str) -> bool {
        true
    }

    #[test]
    fn a_twenty_first_channel_removes_the_least_recently_used() {
        let notifier = Notifier::default();
        let now = Duration::ZERO;
        let day = Duration::from_secs(86_400);
        for i in 0..MAX_CHANNELS {
            notifier.create(format!("c{i}"), 0, now + Duration::from_secs(i as u64), day);
        }
        notifier.create("other".into(), 1, now, day);
        let later = Duration::from_secs(100);
        notifier
            .subscribe(
                "c0",
                0,
                Subscription {
                    change: Change::Add,
                    topics: vec!["t".into()],
                    ignore_errors: false,
                },
                permit,
                later,
            )
            .unwrap();
        notifier.create("c20".into(), 0, later, day);
        assert!(
            notifier.expires("c1").is_none(),
            "c1 was the least recently used"
        );
        assert!(notifier.expires("c0").is_some());
        assert!(notifier.expires("other").is_some());
    }

    #[test]
    fn subscriptions_replace_add_clear_and_refuse() {
        let notifier = Notifier::default();
        let now = Duration::ZERO;
        notifier.create("c".into(), 0, now, Duration::from_secs(60));
        let odd = |t: &str| t != "bad";
        let put = notifier
            .subscribe(
                "c",
                0,
                Subscription {
                    change: Change::Replace,
                    topics: vec!["a".into(), "bad".into()],
                    ignore_errors: true,
                },
                odd,
                now,
            )
            .unwrap();
        assert_eq!(put.len(), 2);
        assert_eq!(put[1].state.as_deref(), Some("Rejected"));
        let refused = notifier.subscribe(
            "c",
            0,
            Subscription {
                change: Change::Add,
                topics: vec!["bad".into()],
                ignore_errors: false,
            },
            odd,
            now,
        );
        assert!(matches!(refused, Err(ChannelProblem::Invalid(_))));
        let added = notifier
            .subscribe(
                "c",
                0,
                Subscription {
                    change: Change::Add,
                    topics: vec!["b".into()],
                    ignore_errors: false,
                },
                odd,
                now,
            )
            .unwrap();
        assert_eq!(added.len(), 2);
        let cleared = notifier
            .subscribe(
                "c",
                0,
                Subscription {
                    change: Change::Clear,
                    topics: vec![],
                    ignore_errors: false,
                },
                odd,
                now,
            )
            .unwrap();
        assert!(cleared.is_empty());
        assert_eq!(
            notifier.subscribe(
                "c",
                1,
                Subscription {
                    change: Change::Read,
                    topics: vec![],
                    ignore_errors: false
                },
                odd,
                now
            ),
            Err(ChannelProblem::NotFound)
        );
        let many: Vec<String> = (0..=MAX_TOPICS).map(|i| format!("t{i}")).collect();
        assert!(
            notifier
                .subscribe(
                    "c",
                    0,
                    Subscription {
                        change: Change::Replace,
                        topics: many,
                        ignore_errors: false
                    },
                    odd,
                    now
                )
                .is_err()
        );
        assert!(is_ping(r#"{"message":"ping"}"#));
        assert!(!is_ping(r#"{"message":"pong"}"#));
    }
}
