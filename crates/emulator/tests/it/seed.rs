//! The seed thread's world: 50 concurrent requests see about ten 200s, then 429s.

use std::sync::Arc;

use pacer_emulator::{Config, Profile};

use crate::support::{EXAMPLE, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_requests_see_about_ten_successes_then_429s() {
    let emu = Arc::new(start(Config::profile(Profile::Seed)).await);
    let token = emu.token().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let (emu, token) = (emu.clone(), token.clone());
        tasks.spawn(async move {
            let answer = emu.put(&token, &emu.schedule_path(i), EXAMPLE).await;
            (
                answer.status,
                answer.header("retry-after").map(str::to_string),
                answer.body["code"].clone(),
            )
        });
    }
    let mut ok = 0;
    let mut throttled = 0;
    while let Some(result) = tasks.join_next().await {
        let (status, retry_after, code) = result.unwrap();
        match status {
            200 => ok += 1,
            429 => {
                throttled += 1;
                assert_eq!(retry_after.as_deref(), Some("1"));
                assert_eq!(code, "RATE_LIMIT_EXCEEDED");
            }
            other => panic!("unexpected status {other}"),
        }
    }
    // The burst of 10 passes at once; the bucket refills at 5/s, so a slow machine may pass a few more.
    assert!((10..=14).contains(&ok), "{ok} successes");
    assert_eq!(ok + throttled, 50);
    let stats = emu.stats().await;
    assert_eq!(stats.writes_total, ok);
    assert_eq!(stats.rejected_writes, throttled);
    assert_eq!(
        stats.throttled_by_limit["client.credentials.token.rate.per.minute"],
        throttled
    );
}
