//! The notification socket's reader: any text decodes without panic, and a schedule event it
//! accepts reads the same once written back.

use pacer_client::bulk::socket::{Decoded, decode};
use pacer_genesys::notifications::NotificationEvent;

const TOPIC: &str = "v2.workforcemanagement.businessunits.bu-1.schedules";

/// The bytes as one text message of the socket.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Decoded::Schedule(body) = decode(&text, TOPIC) {
        let again = NotificationEvent {
            topic_name: TOPIC.into(),
            version: Some("2".into()),
            event_body: serde_json::to_value(&body).expect("a notification serializes"),
            metadata: None,
        };
        let text = serde_json::to_string(&again).expect("an event serializes");
        assert_eq!(decode(&text, TOPIC), Decoded::Schedule(body));
    }
}
