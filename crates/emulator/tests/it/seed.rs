//! The seed thread's world: 50 concurrent requests see about ten 200s, then 429s.

use std::sync::Arc;

use pacer_emulator::{Config, Profile};

use crate::support::{EXAMPLE, start_manual};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_requests_see_about_ten_successes_then_429s() {
    // The clock stands still while the 50 requests race, as it nearly does for 50 JMeter threads
    // started together: the burst of 10 passes and the bucket has no time to refill.
    let emu = Arc::new(start_manual(Config::profile(Profile::Seed)).await);
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
    assert_eq!(
        ok, 10,
        "the thread: the first 10 requests succeed, then 429s"
    );
    assert_eq!(ok + throttled, 50);
    let stats = emu.stats().await;
    assert_eq!(stats.writes_total, ok);
    assert_eq!(stats.rejected_writes, throttled);
    assert_eq!(
        stats.throttled_by_limit["client.credentials.token.rate.per.minute"],
        throttled
    );
}
