//! The run's queue: one loader, joiners with the same input only, leases, reclaiming a silent
//! runner's items, acknowledgements, and the run's counts.

use std::time::Duration;

use bytes::Bytes;
use pacer_coord::{Error, Joined, Outcome, QueueItem};

use crate::support::Redis;

fn items(n: u64) -> impl Iterator<Item = QueueItem> {
    (1..=n).map(|line| QueueItem {
        line: line + 1,
        user_id: format!("agent-{line}"),
        body: Bytes::from(format!("{{\"n\":{line}}}")),
    })
}

#[tokio::test]
async fn an_unreachable_coordinator_is_one_clear_error_naming_it() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://:hunter2@127.0.0.1:{port}");
    let err = pacer_coord::Coordinator::connect(&url, pacer_coord::Options::new("r", "a"), None)
        .await
        .err()
        .expect("nothing listens there");
    let text = err.to_string();
    assert!(matches!(err, Error::Unreachable { .. }), "{text}");
    assert!(
        text.contains(&format!("redis://127.0.0.1:{port}")),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "the password shows: {text}");
}

#[tokio::test]
async fn the_first_runner_loads_and_only_the_same_input_may_join() {
    let redis = Redis::start("join");
    let a = redis.runner("run", "a", Duration::from_secs(10)).await;
    let b = redis.runner("run", "b", Duration::from_secs(10)).await;
    assert_eq!(
        a.join("fp-1", 1200, items(1200)).await.unwrap(),
        Joined::Loaded
    );
    assert_eq!(
        b.join("fp-1", 1200, items(1200)).await.unwrap(),
        Joined::Joined
    );
    let other = redis.runner("run", "c", Duration::from_secs(10)).await;
    let err = other.join("fp-2", 3, items(3)).await.unwrap_err();
    assert!(matches!(err, Error::OtherInput { .. }), "{err}");
    assert!(err.to_string().contains("fp-1"), "{err}");
    let counts = a.counts().await.unwrap();
    assert_eq!((counts.total, counts.loaded, counts.done), (1200, true, 0));
}

#[tokio::test]
async fn every_item_is_leased_to_one_runner_and_acknowledged_once() {
    let redis = Redis::start("lease");
    let a = redis.runner("run", "a", Duration::from_secs(10)).await;
    let b = redis.runner("run", "b", Duration::from_secs(10)).await;
    a.join("fp", 10, items(10)).await.unwrap();
    let from_a = a.take(6).await.unwrap();
    let from_b = b.take(6).await.unwrap();
    assert_eq!((from_a.len(), from_b.len()), (6, 4));
    let mut lines: Vec<u64> = from_a.iter().chain(&from_b).map(|(_, i)| i.line).collect();
    lines.sort();
    assert_eq!(lines, (2..=11).collect::<Vec<_>>());
    assert!(
        b.take(6).await.unwrap().is_empty(),
        "nothing is left to lease"
    );
    for (_, item) in &from_a {
        a.ack(item.line, Outcome::Done);
    }
    for (_, item) in &from_b {
        let outcome = if item.line == 11 {
            Outcome::Failed("404".into())
        } else {
            Outcome::Done
        };
        b.ack(item.line, outcome);
    }
    a.flush_acks().await.unwrap();
    b.flush_acks().await.unwrap();
    let counts = a.counts().await.unwrap();
    assert_eq!((counts.done, counts.failed, counts.leased), (9, 1, 0));
    assert!(counts.finished());
}

#[tokio::test]
async fn a_silent_runners_items_are_taken_by_another_after_the_lease() {
    let redis = Redis::start("reclaim");
    let lease = Duration::from_millis(300);
    let a = redis.runner("run", "a", lease).await;
    let b = redis.runner("run", "b", lease).await;
    a.join("fp", 5, items(5)).await.unwrap();
    let held = a.take(5).await.unwrap();
    a.ack(held[0].1.line, Outcome::Done);
    a.flush_acks().await.unwrap();
    // `a` falls silent: no keeper renews its leases.
    assert!(
        b.take(5).await.unwrap().is_empty(),
        "leased to a, not yet expired"
    );
    tokio::time::sleep(lease + Duration::from_millis(50)).await;
    let mut reclaimed: Vec<u64> = b
        .take(5)
        .await
        .unwrap()
        .iter()
        .map(|(_, i)| i.line)
        .collect();
    reclaimed.sort();
    assert_eq!(
        reclaimed,
        vec![3, 4, 5, 6],
        "every item a held but had not acknowledged"
    );
}

#[tokio::test]
async fn a_live_runner_keeps_its_leases_past_the_lease_time() {
    let redis = Redis::start("renew");
    let lease = Duration::from_millis(300);
    let a = redis.runner("run", "a", lease).await;
    let b = redis.runner("run", "b", lease).await;
    a.join("fp", 3, items(3)).await.unwrap();
    let _keeper = a.spawn_keeper();
    assert_eq!(a.take(3).await.unwrap().len(), 3);
    tokio::time::sleep(lease * 3).await;
    assert!(
        b.take(3).await.unwrap().is_empty(),
        "a renews what it holds"
    );
}

#[tokio::test]
async fn status_shows_items_runners_and_the_shared_budget() {
    let redis = Redis::start("status");
    let a = redis
        .runner("night", "host-a", Duration::from_secs(10))
        .await;
    a.join("fp", 4, items(4)).await.unwrap();
    a.declare(&[pacer_coord::SharedLimit {
        name: "org.api.rate.per.minute".into(),
        limit: 600,
        window: Duration::from_secs(60),
        learned: false,
    }])
    .await
    .unwrap();
    let taken = a.take(2).await.unwrap();
    a.ack(taken[0].1.line, Outcome::Done);
    a.flush_acks().await.unwrap();
    let status = pacer_coord::status(&redis.url(), "night").await.unwrap();
    let text = status.to_string();
    assert!(
        text.contains("4 items: 1 done, 0 failed, 1 leased, 2 queued"),
        "{text}"
    );
    assert!(text.contains("runners: 1 alive of 1"), "{text}");
    assert!(text.contains("host-a"), "{text}");
    assert!(
        text.contains("org.api.rate.per.minute 600/60s declared"),
        "{text}"
    );
}
