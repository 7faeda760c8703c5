//! Faults: seeded error rates, maintenance windows, connection resets and latency.

use std::time::Duration;

use pacer_emulator::{Config, ErrorFault, Maintenance, Probability, Profile};
use tower::ServiceExt;

use crate::support::{ms, secs, start, start_manual};

fn with_errors(seed: u64) -> Config {
    let mut config = Config::profile(Profile::Genesys);
    config.limiters.clear();
    config.seed = seed;
    config.faults.errors = vec![
        "503=0.3:7s".parse::<ErrorFault>().unwrap(),
        "500=0.1".parse().unwrap(),
    ];
    config
}

async fn statuses(config: Config) -> Vec<(u16, Option<String>)> {
    let emu = start(config).await;
    let token = loop {
        // Minting goes through the faults too: retry until a token comes (bounded).
        let answer = emu
            .mint("pacer-demo", "pacer-demo-secret", "client_credentials")
            .await;
        if answer.status == 200 {
            break answer.body["access_token"].as_str().unwrap().to_string();
        }
    };
    let mut out = Vec::new();
    for _ in 0..200 {
        let answer = emu.get(Some(&token), "/api/v2/users?pageSize=1").await;
        out.push((
            answer.status,
            answer.header("retry-after").map(str::to_string),
        ));
    }
    out
}

#[tokio::test]
async fn error_rates_are_seeded_so_runs_replay() {
    let first = statuses(with_errors(5)).await;
    assert_eq!(
        first,
        statuses(with_errors(5)).await,
        "the same seed replays the same faults"
    );
    assert_ne!(first, statuses(with_errors(6)).await);
    let unavailable = first.iter().filter(|(s, _)| *s == 503).count();
    let internal = first.iter().filter(|(s, _)| *s == 500).count();
    assert!(
        (30..=90).contains(&unavailable),
        "{unavailable} 503s of 200 at 30%"
    );
    assert!(internal > 0);
    for (status, retry_after) in &first {
        match status {
            503 => assert_eq!(retry_after.as_deref(), Some("7")),
            _ => assert_eq!(retry_after.as_deref(), None),
        }
    }
}

#[tokio::test]
async fn maintenance_windows_answer_503_until_they_end() {
    let mut config = Config::profile(Profile::Genesys);
    config.faults.maintenance = vec!["60s+30s".parse::<Maintenance>().unwrap()];
    let emu = start_manual(config).await;
    let token = emu.token().await;
    emu.set_time(ms(70_500));
    let answer = emu.get(Some(&token), "/api/v2/users").await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.header("retry-after"), Some("20"));
    assert_eq!(answer.body["code"], "service.unavailable");
    assert!(answer.header("inin-correlation-id").is_some());
    emu.set_time(secs(90));
    assert_eq!(emu.get(Some(&token), "/api/v2/users").await.status, 200);
    assert_eq!(emu.stats().await.faults_injected, 1);
}

#[tokio::test]
async fn connection_resets_fail_the_request_without_an_answer() {
    let mut config = Config::profile(Profile::Genesys);
    let emu = start(config.clone()).await;
    let token = emu.token().await;
    drop(emu);
    config.faults.reset_rate = Some(Probability(1.0));
    let emu = start(config).await;
    // The token endpoint resets too, so the request carries a token from another instance: it is
    // unknown here, but faults strike before authentication.
    let result = emu
        .http
        .get(emu.url("/api/v2/users"))
        .bearer_auth(&token)
        .send()
        .await;
    let err = result.expect_err("the connection is reset");
    assert!(!err.is_timeout(), "{err:?}");
    let stats = emu.stats().await;
    assert_eq!(stats.connections_reset, 1);
    assert!(
        stats.responses_by_status.is_empty(),
        "a reset is not an answer"
    );
}

#[tokio::test(start_paused = true)]
async fn latency_is_drawn_from_the_distribution_on_tokio_time() {
    let mut config = Config::profile(Profile::Genesys);
    config.faults.latency = "2s..3s".parse().unwrap();
    let state = pacer_emulator::AppState::new(config).unwrap();
    let app = pacer_emulator::app(state);
    for _ in 0..5 {
        let started = tokio::time::Instant::now();
        let request = axum::http::Request::get("/api/v2/users")
            .body(axum::body::Body::empty())
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 401);
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(2) && waited < Duration::from_secs(3),
            "{waited:?}"
        );
    }
}
