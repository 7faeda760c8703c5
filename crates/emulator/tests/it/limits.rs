//! Each algorithm admits exactly what it should, and Retry-After is exact, on a manual clock.

use std::time::Duration;

use pacer_core::limiter::{Algorithm, LimitSpec};
use pacer_emulator::route::RoutePattern;
use pacer_emulator::{Config, LimiterConfig, Profile, Scope};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{EXAMPLE, Emu, ms, secs, start_manual};

fn with_token_limit(
    profile: Profile,
    algorithm: Algorithm,
    limit: u32,
    window: Duration,
    burst: u32,
) -> Config {
    let mut config = Config::profile(profile);
    config.limiters[0].spec = LimitSpec {
        algorithm,
        limit,
        window,
        burst,
    };
    config
}

/// Sends `n` GETs at the current time and returns the statuses.
async fn burst(emu: &Emu, token: &str, n: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..n {
        statuses.push(
            emu.get(Some(token), "/api/v2/users?pageSize=1")
                .await
                .status,
        );
    }
    statuses
}

async fn retry_after(emu: &Emu, token: &str) -> Option<u64> {
    let answer = emu.get(Some(token), "/api/v2/users?pageSize=1").await;
    if answer.status == 200 {
        return None;
    }
    assert_eq!(answer.status, 429, "{}", answer.text);
    Some(answer.header("retry-after").unwrap().parse().unwrap())
}

#[tokio::test]
async fn fixed_window_admits_the_limit_per_aligned_window() {
    let emu = start_manual(with_token_limit(
        Profile::Genesys,
        Algorithm::FixedWindow,
        5,
        secs(60),
        5,
    ))
    .await;
    let token = emu.token().await;
    emu.set_time(secs(15));
    assert_eq!(burst(&emu, &token, 6).await, [200, 200, 200, 200, 200, 429]);
    assert_eq!(retry_after(&emu, &token).await, Some(45));
    emu.set_time(ms(59_500));
    assert_eq!(
        retry_after(&emu, &token).await,
        Some(1),
        "half a second rounds up to one"
    );
    emu.set_time(secs(60));
    assert_eq!(burst(&emu, &token, 6).await, [200, 200, 200, 200, 200, 429]);
    assert_eq!(retry_after(&emu, &token).await, Some(60));
    let stats = emu.stats().await;
    // Five refusals: the 6th of each burst and the three Retry-After probes.
    assert_eq!(
        stats.throttled_by_limit["client.credentials.token.rate.per.minute"],
        5
    );
}

#[tokio::test]
async fn sliding_window_counts_any_window() {
    let emu = start_manual(with_token_limit(
        Profile::Genesys,
        Algorithm::SlidingWindow,
        3,
        secs(10),
        3,
    ))
    .await;
    let token = emu.token().await;
    for at in [0, 4_000, 5_000] {
        emu.set_time(ms(at));
        assert_eq!(burst(&emu, &token, 1).await, [200]);
    }
    emu.set_time(ms(6_000));
    assert_eq!(retry_after(&emu, &token).await, Some(4));
    emu.set_time(ms(9_999));
    assert_eq!(retry_after(&emu, &token).await, Some(1));
    emu.set_time(ms(10_000));
    assert_eq!(burst(&emu, &token, 2).await, [200, 429]);
    // 4 s, 5 s and 10 s are in the window: the next slot opens when 4 s leaves it, at 14 s.
    assert_eq!(retry_after(&emu, &token).await, Some(4));
}

#[tokio::test]
async fn token_bucket_admits_the_burst_then_the_rate() {
    let emu = start_manual(with_token_limit(
        Profile::Seed,
        Algorithm::TokenBucket,
        300,
        secs(60),
        10,
    ))
    .await;
    let token = emu.token().await;
    let statuses = burst(&emu, &token, 11).await;
    assert_eq!(statuses[..10], [200; 10]);
    assert_eq!(statuses[10], 429);
    assert_eq!(
        retry_after(&emu, &token).await,
        Some(1),
        "0.2 s rounds up to 1 s"
    );
    emu.set_time(ms(200));
    assert_eq!(burst(&emu, &token, 2).await, [200, 429]);
    emu.set_time(ms(1_000));
    assert_eq!(burst(&emu, &token, 5).await, [200, 200, 200, 200, 429]);
}

#[tokio::test]
async fn slow_token_bucket_gives_exact_whole_seconds() {
    let emu = start_manual(with_token_limit(
        Profile::Genesys,
        Algorithm::TokenBucket,
        1,
        secs(60),
        1,
    ))
    .await;
    let token = emu.token().await;
    assert_eq!(burst(&emu, &token, 1).await, [200]);
    assert_eq!(retry_after(&emu, &token).await, Some(60));
    emu.set_time(ms(30_500));
    assert_eq!(
        retry_after(&emu, &token).await,
        Some(30),
        "29.5 s rounds up to 30"
    );
    emu.set_time(secs(60));
    assert_eq!(burst(&emu, &token, 1).await, [200]);
}

fn user_layer(limit: u32, window: Duration) -> LimiterConfig {
    LimiterConfig {
        key: "wfm.schedule.user.rate".into(),
        namespace: "workforce.management".into(),
        scope: Scope::User,
        spec: LimitSpec {
            algorithm: Algorithm::FixedWindow,
            limit,
            window,
            burst: limit,
        },
        routes: vec![
            RoutePattern::parse("PUT /api/v2/wfm/usersettings/{userId}/schedule").unwrap(),
        ],
        advertise: true,
    }
}

#[tokio::test]
async fn a_refused_request_consumes_nothing_in_any_layer() {
    let mut config = with_token_limit(Profile::Seed, Algorithm::FixedWindow, 2, secs(60), 2);
    config.limiters.push(user_layer(1, secs(60)));
    let emu = start_manual(config).await;
    let token = emu.token().await;
    assert_eq!(
        emu.put(&token, &emu.schedule_path(0), EXAMPLE).await.status,
        200
    );
    let refused = emu.put(&token, &emu.schedule_path(0), EXAMPLE).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.body["code"], "RATE_LIMIT_EXCEEDED");
    // Had the refusal counted against the token, this second admission would be refused.
    assert_eq!(
        emu.put(&token, &emu.schedule_path(1), EXAMPLE).await.status,
        200
    );
    assert_eq!(
        emu.put(&token, &emu.schedule_path(2), EXAMPLE).await.status,
        429
    );
    let stats = emu.stats().await;
    assert_eq!(stats.throttled_by_limit["wfm.schedule.user.rate"], 1);
    assert_eq!(
        stats.throttled_by_limit["client.credentials.token.rate.per.minute"],
        1
    );
    assert_eq!((stats.writes_total, stats.rejected_writes), (2, 2));
}

#[tokio::test]
async fn the_longest_refusal_is_named_and_sets_retry_after() {
    let mut config = with_token_limit(Profile::Genesys, Algorithm::FixedWindow, 1, secs(60), 1);
    config.seed_routes = true;
    config.limiters.push(user_layer(1, secs(10)));
    let emu = start_manual(config).await;
    let token = emu.token().await;
    assert_eq!(
        emu.put(&token, &emu.schedule_path(0), EXAMPLE).await.status,
        200
    );
    emu.set_time(secs(2));
    // Both layers refuse: the token's window ends in 58 s, the user's in 8 s.
    let refused = emu.put(&token, &emu.schedule_path(0), EXAMPLE).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after"), Some("58"));
    assert_eq!(
        refused.body["limit"]["key"],
        "client.credentials.token.rate.per.minute"
    );
    assert_eq!(
        refused.body["message"],
        "Rate limit exceeded the maximum. Retry the request in [58] seconds"
    );
}

#[tokio::test]
async fn tokens_have_their_own_budgets_and_organization_limits_are_shared() {
    let mut config = with_token_limit(Profile::Genesys, Algorithm::FixedWindow, 2, secs(60), 2);
    config.limiters.push(LimiterConfig {
        key: "org.app.user.rate.per.minute".into(),
        namespace: "platform.api".into(),
        scope: Scope::Organization,
        spec: LimitSpec {
            algorithm: Algorithm::FixedWindow,
            limit: 3,
            window: secs(60),
            burst: 3,
        },
        routes: vec![RoutePattern::all()],
        advertise: true,
    });
    let emu = start_manual(config).await;
    let (a, b) = (emu.token().await, emu.token().await);
    assert_eq!(burst(&emu, &a, 3).await, [200, 200, 429]);
    let answer = emu.get(Some(&b), "/api/v2/users").await;
    assert_eq!(
        answer.status, 200,
        "a second token has its own per-token budget"
    );
    let answer = emu.get(Some(&b), "/api/v2/users").await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.body["limit"]["key"], "org.app.user.rate.per.minute");
}

/// Sends a PUT whose body is announced but not yet sent, so the request is admitted and held.
async fn held_put(emu: &Emu, token: &str, path: &str) -> tokio::net::TcpStream {
    let addr = emu.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        EXAMPLE.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&EXAMPLE.as_bytes()[..10]).await.unwrap();
    stream
}

#[tokio::test]
async fn concurrency_limits_requests_in_flight_and_releases_them() {
    let mut config = with_token_limit(Profile::Seed, Algorithm::Concurrency, 1, secs(2), 1);
    config.responses.rate_limit_body = pacer_emulator::BodyStyle::Genesys;
    let emu = start_manual(config).await;
    let token = emu.token().await;
    let path = emu.schedule_path(0);
    let mut held = held_put(&emu, &token, &path).await;
    // The held request is admitted once its head is read; poll until the next one is refused.
    let mut refused = None;
    for _ in 0..200 {
        let answer = emu.get(Some(&token), "/api/v2/users").await;
        if answer.status == 429 {
            refused = Some(answer);
            break;
        }
        tokio::task::yield_now().await;
    }
    let refused = refused.expect("the second request in flight is refused");
    assert_eq!(refused.header("retry-after"), Some("2"));
    held.write_all(&EXAMPLE.as_bytes()[10..]).await.unwrap();
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&reply).contains("\"version\":1") {
        let n = tokio::time::timeout(secs(10), held.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(
            n > 0,
            "connection closed early: {}",
            String::from_utf8_lossy(&reply)
        );
        reply.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 200"));
    assert_eq!(
        emu.get(Some(&token), "/api/v2/users").await.status,
        200,
        "the slot was released"
    );
}

#[tokio::test]
async fn org_rate_adds_a_limit_every_token_shares_and_the_limits_api_lists_it() {
    let mut config = Config::profile(Profile::Genesys);
    pacer_emulator::Overrides {
        no_limits: true,
        org_rate: Some("3/min".parse().unwrap()),
        ..pacer_emulator::Overrides::default()
    }
    .apply(&mut config)
    .unwrap();
    let emu = start_manual(config).await;
    let (a, b) = (emu.token().await, emu.token().await);
    assert_eq!(burst(&emu, &a, 2).await, [200, 200]);
    let listed = emu
        .get(
            Some(&b),
            "/api/v2/organizations/limits/namespaces/platform.api",
        )
        .await;
    assert_eq!(listed.status, 200, "the third request of the minute");
    assert_eq!(listed.body["entities"][0]["key"], "org.api.rate.per.minute");
    assert_eq!(listed.body["entities"][0]["value"], 3);
    let answer = emu.get(Some(&b), "/api/v2/users").await;
    assert_eq!(answer.status, 429, "another token, the same budget");
    assert_eq!(answer.body["limit"]["key"], "org.api.rate.per.minute");
    assert_eq!(answer.body["code"], "too.many.requests.retry.after");
}

#[tokio::test]
async fn the_org_limit_takes_a_shape_a_token_bucket_refilling_as_it_goes() {
    let mut config = Config::profile(Profile::Genesys);
    pacer_emulator::Overrides {
        no_limits: true,
        org_rate: Some("60/min".parse().unwrap()),
        org_algorithm: Some(Algorithm::TokenBucket),
        org_burst: Some(2),
        ..pacer_emulator::Overrides::default()
    }
    .apply(&mut config)
    .unwrap();
    let emu = start_manual(config).await;
    let (a, b) = (emu.token().await, emu.token().await);
    assert_eq!(burst(&emu, &a, 2).await, [200, 200], "its burst");
    assert_eq!(burst(&emu, &b, 1).await, [429], "shared by every token");
    emu.set_time(secs(1));
    assert_eq!(
        burst(&emu, &b, 2).await,
        [200, 429],
        "one a second, not a window's count"
    );

    let shape_alone = pacer_emulator::Overrides {
        org_burst: Some(5),
        ..pacer_emulator::Overrides::default()
    };
    let err = shape_alone
        .apply(&mut Config::profile(Profile::Genesys))
        .unwrap_err();
    assert!(
        err.is_usage() && err.to_string().contains("--org-rate"),
        "{err}"
    );
}

#[tokio::test]
async fn speed_shortens_every_window_so_retry_after_shrinks_and_the_limits_api_keeps_the_rate() {
    let mut config = Config::profile(Profile::Genesys);
    pacer_emulator::Overrides {
        no_limits: true,
        org_rate: Some("3/min".parse().unwrap()),
        speed: Some(10.0),
        ..pacer_emulator::Overrides::default()
    }
    .apply(&mut config)
    .unwrap();
    let emu = start_manual(config).await;
    let token = emu.token().await;
    assert_eq!(
        burst(&emu, &token, 3).await,
        [200, 200, 200],
        "the same count"
    );
    assert_eq!(
        retry_after(&emu, &token).await,
        Some(6),
        "a window of 6 s, not 60 s"
    );
    emu.set_time(secs(6));
    let listed = emu
        .get(
            Some(&token),
            "/api/v2/organizations/limits/namespaces/platform.api",
        )
        .await;
    assert_eq!(listed.status, 200, "the window has passed");
    assert_eq!(
        listed.body["entities"][0]["value"], 30,
        "3 per 6 s is 30 per nominal minute"
    );

    let too_fast = pacer_emulator::Overrides {
        speed: Some(1000.0),
        ..pacer_emulator::Overrides::default()
    };
    let err = too_fast
        .apply(&mut Config::profile(Profile::Genesys))
        .unwrap_err();
    assert!(
        err.is_usage() && err.to_string().contains("--speed"),
        "{err}"
    );
}
