//! The shared budget: GCRA across runners on Redis's clock, the gate a 429 closes, a limit one
//! runner learns paces the others, and the local share while Redis is away.

use std::time::Duration;

use pacer_client::{Admission, SharedBudget};
use pacer_coord::{Notice, Options, Outcome, QueueItem, SharedLimit};
use pacer_core::signals::{self, ParseContext};

use crate::support::Redis;

fn org(limit: u64) -> SharedLimit {
    SharedLimit {
        name: "org.api.rate.per.minute".into(),
        limit,
        window: Duration::from_secs(60),
        learned: false,
    }
}

fn wait_of(admission: Admission) -> Duration {
    match admission {
        Admission::Go => Duration::ZERO,
        Admission::Wait(wait) => wait,
    }
}

#[tokio::test]
async fn runners_share_one_rate_and_nothing_limits_before_a_limit_is_known() {
    let redis = Redis::start("gcra");
    let a = redis.runner("run", "a", Duration::from_secs(10)).await;
    let b = redis.runner("run", "b", Duration::from_secs(10)).await;
    for _ in 0..5 {
        assert_eq!(a.admit().await, Admission::Go, "no shared limit known yet");
    }
    a.declare(&[org(600)]).await.unwrap();
    assert_eq!(a.admit().await, Admission::Go);
    // One request every 100 ms for both runners together: b waits for a's.
    let wait = wait_of(b.admit().await);
    assert!(
        wait > Duration::from_millis(50) && wait <= Duration::from_millis(100),
        "{wait:?}"
    );
}

#[tokio::test]
async fn a_stricter_limit_wins_and_a_looser_one_changes_nothing() {
    let redis = Redis::start("declare");
    let a = redis.runner("run", "a", Duration::from_secs(10)).await;
    a.declare(&[org(600)]).await.unwrap();
    a.declare(&[org(6000)]).await.unwrap();
    assert_eq!(a.known_limits().len(), 1);
    assert!(
        a.known_limits()[0].contains("100000 µs"),
        "{:?}",
        a.known_limits()
    );
    a.declare(&[org(60)]).await.unwrap();
    assert!(
        a.known_limits()[0].contains("1000000 µs"),
        "{:?}",
        a.known_limits()
    );
}

#[tokio::test]
async fn a_429_seen_by_one_runner_closes_the_gate_for_all_and_teaches_its_limit() {
    let redis = Redis::start("gate");
    let a = redis.runner("run", "a", Duration::from_secs(10)).await;
    let b = redis.runner("run", "b", Duration::from_secs(10)).await;
    let body = br#"{"message":"Rate limit exceeded the maximum. Retry the request in [3] seconds","code":"too.many.requests.retry.after","status":429,"contextId":"c","details":[],"errors":[],"limit":{"key":"org.api.rate.per.minute","namespace":"platform.api","value":600}}"#;
    let headers: [(&[u8], &[u8]); 1] = [(b"retry-after", b"3")];
    let throttle = signals::parse(429, &headers, body, ParseContext::default());
    a.observe_now(429, &throttle).await;
    let wait = wait_of(b.admit().await);
    assert!(
        wait > Duration::from_millis(2500) && wait <= Duration::from_secs(3),
        "b honours a's gate: {wait:?}"
    );
    b.declare(&[]).await.unwrap();
    assert_eq!(
        b.known_limits(),
        vec!["org.api.rate.per.minute (one request every 100000 µs)"],
        "what a learned, b uses"
    );
}

#[tokio::test]
async fn a_429_of_a_runners_own_token_stays_with_that_runner() {
    let redis = Redis::start("token429");
    let a = redis.runner("run", "a", Duration::from_secs(10)).await;
    let b = redis.runner("run", "b", Duration::from_secs(10)).await;
    let body = br#"{"message":"Rate limit exceeded","code":"too.many.requests.retry.after","status":429,"limit":{"key":"client.credentials.token.rate.per.minute","namespace":"platform.api","value":300}}"#;
    let headers: [(&[u8], &[u8]); 1] = [(b"retry-after", b"30")];
    let throttle = signals::parse(429, &headers, body, ParseContext::default());
    a.observe_now(429, &throttle).await;
    assert_eq!(b.admit().await, Admission::Go);
}

#[tokio::test]
async fn without_redis_a_runner_paces_at_its_share_keeps_its_acks_and_resumes_when_it_is_back() {
    let mut redis = Redis::start("fallback");
    let (notices, mut heard) = tokio::sync::mpsc::unbounded_channel();
    let mut options = Options::new("run", "a");
    options.margin = 0.0;
    let a = pacer_coord::Coordinator::connect(&redis.url(), options, Some(notices))
        .await
        .unwrap();
    let _b = redis.runner("run", "b", Duration::from_secs(10)).await;
    a.join(
        "fp",
        2,
        (1..=2).map(|line| QueueItem {
            line,
            user_id: format!("u{line}"),
            body: bytes::Bytes::from_static(b"{}"),
        }),
    )
    .await
    .unwrap();
    a.declare(&[org(600)]).await.unwrap();
    let taken = a.take(2).await.unwrap();
    let _keeper = a.spawn_keeper();
    // The keeper's first round has counted both runners.
    while a.runners_alive() < 2 {
        tokio::task::yield_now().await;
    }

    redis.server.stop();
    a.ack(taken[0].1.line, Outcome::Done);
    assert_eq!(a.admit().await, Admission::Go, "the first of its share");
    let wait = wait_of(a.admit().await);
    assert!(
        wait > Duration::from_millis(150) && wait <= Duration::from_millis(200),
        "half of 600/min for each of two runners: {wait:?}"
    );
    assert!(matches!(heard.recv().await, Some(Notice::Lost { .. })));
    assert_eq!(a.fallback_share_per_min().map(f64::round), Some(300.0));
    assert!(a.flush_acks().await.is_err());
    assert_eq!(a.acks_waiting(), 1, "kept until Redis is back");

    redis.server.restart().unwrap();
    a.ack(taken[1].1.line, Outcome::Done);
    let mut flushed = a.flush_acks().await;
    for _ in 0..20 {
        if flushed.is_ok() {
            break;
        }
        // The link retries at most twice a second.
        tokio::time::sleep(Duration::from_millis(100)).await;
        flushed = a.flush_acks().await;
    }
    flushed.unwrap();
    assert_eq!(heard.recv().await, Some(Notice::Back));
    let counts = a.counts().await.unwrap();
    assert_eq!(
        (counts.done, counts.leased),
        (2, 0),
        "nothing lost over the restart"
    );
}
