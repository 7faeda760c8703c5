//! The shared budget across runners on Redis's clock: a count per window in bursts, a token
//! bucket and a fixed window learned from headers, the gate a 429 closes, a limit one runner
//! learns paces the others, and the local share while Redis is away.

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

/// The response of `status` with `headers` (name, value) and no body.
fn answer(status: u16, headers: &[(&str, &str)]) -> signals::Signals {
    let headers: Vec<(&[u8], &[u8])> = headers
        .iter()
        .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
        .collect();
    signals::parse(status, &headers, b"", ParseContext::default())
}

/// X-RateLimit headers: the limit, what is left, seconds to reset.
fn quota(status: u16, limit: &str, left: &str, reset: &str) -> signals::Signals {
    answer(
        status,
        &[
            ("x-ratelimit-limit", limit),
            ("x-ratelimit-remaining", left),
            ("x-ratelimit-reset", reset),
            ("retry-after", "1"),
        ],
    )
}

/// Admits until refused; how many passed and the wait that refused the next. A wait of a few
/// milliseconds is not a refusal: on a loaded machine a lease can run out before its first
/// permit (Redis answered slowly), and the next call asks again; the tries are bounded.
async fn drain(runners: &[&pacer_coord::Coordinator], most: usize) -> (usize, Duration) {
    let mut passed = 0;
    for _ in 0..most * 4 {
        if passed == most {
            break;
        }
        match runners[passed % runners.len()].admit().await {
            Admission::Go => passed += 1,
            Admission::Wait(wait) if wait < Duration::from_millis(50) => {}
            Admission::Wait(wait) => return (passed, wait),
        }
    }
    (passed, Duration::ZERO)
}

#[tokio::test]
async fn runners_share_a_windows_count_in_bursts_and_nothing_limits_before_a_limit_is_known() {
    let redis = Redis::start("window");
    let a = redis.runner("run", "a", Duration::from_secs(10)).await;
    let b = redis.runner("run", "b", Duration::from_secs(10)).await;
    for _ in 0..5 {
        assert_eq!(a.admit().await, Admission::Go, "no shared limit known yet");
    }
    a.declare(&[org(600)]).await.unwrap();
    // A count per window of unknown shape: its whole count at once, for both runners together.
    let (passed, wait) = drain(&[&a, &b], 1000).await;
    assert_eq!(passed, 600);
    assert!(
        wait > Duration::from_secs(59) && wait <= Duration::from_secs(61),
        "until the first permits leave the window: {wait:?}"
    );
}

#[tokio::test]
async fn a_stricter_limit_wins_and_a_looser_one_changes_nothing() {
    let redis = Redis::start("declare");
    let a = redis.runner("run", "a", Duration::from_secs(10)).await;
    a.declare(&[org(600)]).await.unwrap();
    a.declare(&[org(6000)]).await.unwrap();
    assert_eq!(
        a.known_limits(),
        vec![
            "org.api.rate.per.minute: 600/60s declared, a count per window (its shape not seen yet)"
        ]
    );
    a.declare(&[org(60)]).await.unwrap();
    assert!(
        a.known_limits()[0].contains(": 60/60s"),
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
        vec![
            "org.api.rate.per.minute: 600/60s learned, a count per window (its shape not seen yet)"
        ],
        "what a learned, b uses"
    );
}

#[tokio::test]
async fn a_shared_buckets_headers_teach_its_shape_and_the_runners_pace_at_its_rate() {
    let redis = Redis::start("bucket");
    let a = redis.runner("run", "a", Duration::from_secs(10)).await;
    let b = redis.runner("run", "b", Duration::from_secs(10)).await;
    a.declare(&[org(6000)]).await.unwrap();
    // a's own token advertises a bucket of 10; another quota of 100 is the organization's.
    a.observe_now(200, &quota(200, "10", "9", "1")).await;
    a.observe_now(429, &quota(429, "100", "0", "1")).await;
    b.declare(&[]).await.unwrap();
    assert_eq!(
        b.known_limits(),
        vec!["org.api.rate.per.minute: 6000/60s declared, a token bucket (burst 100)"]
    );
    // Found empty, no gate closed: the next permit when one has refilled, 10 ms at 100/s,
    // reserved for b.
    let wait = wait_of(b.admit().await);
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_millis(10),
        "{wait:?}"
    );
    // b's permit is reserved for then; a's comes one interval later, without asking again.
    let later = wait_of(a.admit().await);
    assert!(
        later > wait && later <= Duration::from_millis(20),
        "{later:?} after {wait:?}"
    );
    // A 429 of a's own token teaches nothing shared.
    a.observe_now(429, &quota(429, "10", "0", "1")).await;
    assert!(wait_of(b.admit().await) <= Duration::from_millis(10));
}

#[tokio::test]
async fn a_fixed_windows_headers_teach_its_boundary_and_its_whole_count_follows_it() {
    let redis = Redis::start("fixed");
    let a = redis.runner("run", "a", Duration::from_secs(10)).await;
    a.declare(&[SharedLimit {
        name: "org.api.rate.per.second".into(),
        limit: 50,
        window: Duration::from_secs(5),
        learned: false,
    }])
    .await
    .unwrap();
    a.observe_now(200, &quota(200, "10", "9", "1")).await;
    // The server's window has 2 left and ends within 2 s: a fixed window, not a sliding one.
    a.observe_now(200, &quota(200, "50", "2", "2")).await;
    assert!(
        a.known_limits()[0].contains("a fixed window"),
        "{:?}",
        a.known_limits()
    );
    let (passed, wait) = drain(&[&a], 100).await;
    assert_eq!(passed, 2, "what the server has left of its window");
    assert!(
        wait > Duration::from_millis(900) && wait <= Duration::from_millis(2100),
        "until the window's end (known within a second): {wait:?}"
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
    // Half of 600 a minute for each of two runners, in the limit's shape (a count per window).
    let (passed, wait) = drain(&[&a], 1000).await;
    assert_eq!(passed, 300, "its share");
    assert!(
        wait > Duration::from_secs(59) && wait <= Duration::from_secs(60),
        "{wait:?}"
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
