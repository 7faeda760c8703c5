//! Publishing a WFM notification on the notification service, lost now and then as the
//! configured fault (`drop_notifications`) draws it.

use crate::state::Inner;

/// Publishes `body` on `topic`, with `correlation` as its correlation id, unless the fault
/// draws it dropped.
pub fn publish<T: serde::Serialize>(inner: &Inner, topic: &str, body: &T, correlation: &str) {
    let drop = inner.config.wfm.drop_notifications.0;
    inner
        .notifier
        .publish(topic, body, correlation, &inner.stats, || {
            inner.wfm.chance(drop)
        });
}
