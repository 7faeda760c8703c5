//! Wire types of the notification service: channels, subscriptions and the WebSocket's messages.

use serde::{Deserialize, Serialize};

/// The topic of heartbeats and pongs.
pub const METADATA_TOPIC: &str = "channel.metadata";
/// The topic that announces a closing socket.
pub const SOCKET_CLOSING_TOPIC: &str = "v2.system.socket_closing";
/// The heartbeat's message.
pub const HEARTBEAT_MESSAGE: &str = "WebSocket Heartbeat";

/// `Channel` of `POST /api/v2/notifications/channels`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    pub connect_uri: String,
    pub id: String,
    /// When the channel ends, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// `ChannelTopic`: one subscription, as sent (`id`) and as answered (with `state`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelTopic {
    pub id: String,
    /// `Permitted` or `Rejected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

impl ChannelTopic {
    /// A topic as a subscription request names it.
    pub fn named(id: impl Into<String>) -> Self {
        ChannelTopic {
            id: id.into(),
            state: None,
            rejection_reason: None,
            self_uri: None,
        }
    }
}

/// One message on the WebSocket: `{topicName, version, eventBody, metadata}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationEvent<T = serde_json::Value> {
    pub topic_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub event_body: T,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<EventMetadata>,
}

/// The event's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMetadata {
    #[serde(
        rename = "CorrelationId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub correlation_id: Option<String>,
}

/// The body of a heartbeat, a pong, or a client's ping: `{"message": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataMessage {
    pub message: String,
}

/// The body on `v2.system.socket_closing`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SocketClosing {
    pub channel_id: String,
    /// `no_longer_subscribed`, `subscription_changed` or `token_revoked`.
    pub system_topic_type: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_with_any_body() {
        let text =
            r#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#;
        let event: NotificationEvent = serde_json::from_str(text).unwrap();
        assert_eq!(event.topic_name, METADATA_TOPIC);
        let body: MetadataMessage = serde_json::from_value(event.event_body).unwrap();
        assert_eq!(body.message, HEARTBEAT_MESSAGE);
        let with_meta = NotificationEvent {
            topic_name: "t".into(),
            version: Some("2".into()),
            event_body: MetadataMessage {
                message: "x".into(),
            },
            metadata: Some(EventMetadata {
                correlation_id: Some("c".into()),
            }),
        };
        assert_eq!(
            serde_json::to_string(&with_meta).unwrap(),
            r#"{"topicName":"t","version":"2","eventBody":{"message":"x"},"metadata":{"CorrelationId":"c"}}"#
        );
    }
}
