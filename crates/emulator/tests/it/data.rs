//! Agents, schedules, org limits and counters: bad input changes no data, good input is kept.

use std::collections::HashSet;

use pacer_emulator::{Config, Overrides, Profile};
use serde_json::Value;

use crate::support::{EXAMPLE, Emu, start};

/// The seed profile without limits, so that data tests are not throttled.
fn unlimited_seed() -> Config {
    let mut config = Config::profile(Profile::Seed);
    Overrides {
        no_limits: true,
        ..Overrides::default()
    }
    .apply(&mut config)
    .unwrap();
    config
}

async fn assert_no_data(emu: &Emu, token: &str) {
    let stats = emu.stats().await;
    assert_eq!(
        (
            stats.writes_total,
            stats.users_written,
            stats.max_writes_per_user
        ),
        (0, 0, 0)
    );
    let answer = emu.get(Some(token), &emu.schedule_path(0)).await;
    assert_eq!(answer.status, 404, "nothing was stored: {}", answer.text);
}

#[tokio::test]
async fn the_example_schedule_is_stored_and_read_back_with_its_version() {
    let emu = start(unlimited_seed()).await;
    let token = emu.token().await;
    let path = emu.schedule_path(3);
    let put = emu.put(&token, &path, EXAMPLE).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["metadata"]["version"], 1);
    assert_eq!(put.body["userId"], emu.agent(3));
    let got = emu.get(Some(&token), &path).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, put.body);
    let sent: Value = serde_json::from_str(EXAMPLE).unwrap();
    assert_eq!(got.body["shifts"], sent["shifts"]);
    assert_eq!(got.body["weekDate"], sent["weekDate"]);
    let again = emu.put(&token, &path, EXAMPLE).await;
    assert_eq!(again.body["metadata"]["version"], 2);
    let stats = emu.stats().await;
    assert_eq!(
        (
            stats.writes_total,
            stats.users_written,
            stats.max_writes_per_user
        ),
        (2, 1, 2)
    );
}

#[tokio::test]
async fn bad_bodies_are_refused_naming_the_field_and_change_nothing() {
    let emu = start(unlimited_seed()).await;
    let token = emu.token().await;
    let path = emu.schedule_path(0);
    let cases = [
        (
            EXAMPLE.replacen("\"lengthMinutes\":480", "\"lengthMinutes\":1441", 1),
            "shifts[0].lengthMinutes",
        ),
        (
            EXAMPLE.replacen("2026-12-07T08:00:00Z", "2026-12-07 08:00", 1),
            "shifts[0].startDate",
        ),
        (
            EXAMPLE.replace("\"activityCodeId\":\"0\",", ""),
            "shifts[0].activities[0].activityCodeId",
        ),
        (
            EXAMPLE.replacen(
                "\"weekDate\":\"2026-12-07\"",
                "\"weekDate\":\"2026-13-07\"",
                1,
            ),
            "weekDate",
        ),
        ("{\"weekDate\":".to_string(), "body"),
    ];
    for (body, field) in cases {
        let answer = emu.put(&token, &path, body).await;
        assert_eq!(answer.status, 400, "{}", answer.text);
        assert_eq!(answer.body["code"], "bad.request");
        let message = answer.body["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("{field}:")),
            "{message} should name {field}"
        );
        assert!(answer.header("inin-correlation-id").is_some());
    }
    assert_no_data(&emu, &token).await;
    assert_eq!(emu.stats().await.rejected_writes, 5);
}

#[tokio::test]
async fn bad_tokens_unknown_agents_and_oversized_bodies_change_nothing() {
    let emu = start(unlimited_seed()).await;
    let token = emu.token().await;
    let path = emu.schedule_path(0);
    assert_eq!(emu.put("forged", &path, EXAMPLE).await.status, 401);
    let unknown = emu
        .put(
            &token,
            "/api/v2/wfm/usersettings/00000000-0000-4000-8000-000000000000/schedule",
            EXAMPLE,
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.body["code"].as_str()),
        (404, Some("not.found"))
    );
    assert_eq!(
        emu.put(
            &token,
            "/api/v2/wfm/usersettings/not-a-uuid/schedule",
            EXAMPLE
        )
        .await
        .status,
        404
    );
    // Oversized with a Content-Length: refused before reading.
    let padding = " ".repeat(512_001 - EXAMPLE.len());
    let big = format!("{EXAMPLE}{padding}");
    assert_eq!(big.len(), 512_001);
    let answer = emu.put(&token, &path, big.clone()).await;
    assert_eq!(answer.status, 413, "{}", answer.text);
    assert!(answer.body["message"].as_str().unwrap().contains("512000"));
    // Oversized without a Content-Length (chunked): refused while reading.
    let mut raw = format!(
        "PUT {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in big.as_bytes().chunks(65_536) {
        raw.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        raw.extend_from_slice(chunk);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let reply = crate::support::raw_request(&emu, &raw).await;
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    // Exactly the maximum is fine as far as size goes.
    let at_max = format!("{EXAMPLE}{}", " ".repeat(512_000 - EXAMPLE.len()));
    assert_eq!(
        emu.put(&token, &emu.schedule_path(1), at_max).await.status,
        200
    );
    let stats = emu.stats().await;
    assert_eq!(
        (
            stats.writes_total,
            stats.users_written,
            stats.rejected_writes
        ),
        (1, 1, 5)
    );
    assert_eq!(
        emu.get(Some(&token), &path).await.status,
        404,
        "agent 0 was never written"
    );
}

#[tokio::test]
async fn concurrent_writes_to_one_agent_keep_a_consistent_version() {
    let emu = std::sync::Arc::new(start(unlimited_seed()).await);
    let token = emu.token().await;
    let path = emu.schedule_path(7);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (emu, token, path) = (emu.clone(), token.clone(), path.clone());
        tasks.spawn(async move { emu.put(&token, &path, EXAMPLE).await });
    }
    let mut versions = HashSet::new();
    while let Some(answer) = tasks.join_next().await {
        let answer = answer.unwrap();
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert!(
            versions.insert(answer.body["metadata"]["version"].as_u64().unwrap()),
            "a version was handed out twice"
        );
    }
    assert_eq!(versions, (1..=50).collect::<HashSet<u64>>());
    let got = emu.get(Some(&token), &path).await;
    assert_eq!(got.body["metadata"]["version"], 50);
    let stats = emu.stats().await;
    assert_eq!(
        (
            stats.writes_total,
            stats.users_written,
            stats.max_writes_per_user
        ),
        (50, 1, 50)
    );
}

#[tokio::test]
async fn a_stale_version_is_refused_with_409() {
    let emu = start(unlimited_seed()).await;
    let token = emu.token().await;
    let path = emu.schedule_path(0);
    let with_version =
        |v: u64| EXAMPLE.replacen('{', &format!("{{\"metadata\":{{\"version\":{v}}},"), 1);
    assert_eq!(emu.put(&token, &path, with_version(0)).await.status, 200);
    let stale = emu.put(&token, &path, with_version(0)).await;
    assert_eq!(
        (stale.status, stale.body["code"].as_str()),
        (409, Some("conflict"))
    );
    assert_eq!(
        emu.put(&token, &path, with_version(1)).await.body["metadata"]["version"],
        2
    );
    assert_eq!(emu.stats().await.writes_total, 2);
}

#[tokio::test]
async fn users_are_paged_with_stable_ids() {
    let mut config = unlimited_seed();
    config.agents = 120;
    config.seed = 42;
    let emu = start(config.clone()).await;
    let token = emu.token().await;
    let mut ids = Vec::new();
    for page in 1..=3 {
        let answer = emu
            .get(
                Some(&token),
                &format!("/api/v2/users?pageSize=50&pageNumber={page}"),
            )
            .await;
        assert_eq!(answer.status, 200);
        let body = &answer.body;
        assert_eq!(
            (body["pageSize"].as_u64(), body["pageNumber"].as_u64()),
            (Some(50), Some(page))
        );
        assert_eq!(
            (body["total"].as_u64(), body["pageCount"].as_u64()),
            (Some(120), Some(3))
        );
        assert_eq!(body["nextUri"].is_string(), page < 3);
        for user in body["entities"].as_array().unwrap() {
            ids.push(user["id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(ids.len(), 120);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 120);
    let beyond = emu
        .get(Some(&token), "/api/v2/users?pageSize=50&pageNumber=4")
        .await;
    assert_eq!(beyond.body["entities"].as_array().unwrap().len(), 0);
    assert_eq!(
        emu.get(Some(&token), "/api/v2/users?pageSize=0")
            .await
            .status,
        400
    );
    let one = emu
        .get(Some(&token), &format!("/api/v2/users/{}", ids[5]))
        .await;
    assert_eq!(one.body["name"], "Agent 00006");
    let again = start(config).await;
    assert_eq!(
        again.agent(0),
        ids[0],
        "the same seed gives the same agents"
    );
}

#[tokio::test]
async fn org_limits_reflect_the_configured_limiters() {
    let emu = start(Config::profile(Profile::Genesys)).await;
    let token = emu.token().await;
    let answer = emu
        .get(
            Some(&token),
            "/api/v2/organizations/limits/namespaces/platform.api",
        )
        .await;
    assert_eq!(answer.status, 200);
    let entities = answer.body["entities"].as_array().unwrap();
    let find = |key: &str| {
        entities
            .iter()
            .find(|e| e["key"] == key)
            .map(|e| e["value"].as_u64().unwrap())
    };
    assert_eq!(find("client.credentials.token.rate.per.minute"), Some(300));
    assert_eq!(find("request.bytes.max"), Some(512_000));
    assert!(entities.iter().all(|e| e["namespace"] == "platform.api"));
    let unknown = emu
        .get(
            Some(&token),
            "/api/v2/organizations/limits/namespaces/nothing.here",
        )
        .await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn reset_clears_counts_and_data_and_metrics_are_served() {
    let emu = start(unlimited_seed()).await;
    let token = emu.token().await;
    assert_eq!(
        emu.put(&token, &emu.schedule_path(0), EXAMPLE).await.status,
        200
    );
    let metrics = emu.http.get(emu.url("/metrics")).send().await.unwrap();
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = metrics.text().await.unwrap();
    assert!(text.contains("pacer_emulator_writes_total 1"), "{text}");
    assert!(
        text.contains("pacer_emulator_responses_total{status=\"200\"} 2"),
        "{text}"
    );
    let reset = emu
        .http
        .post(emu.url("/__emulator/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    let stats = emu.stats().await;
    assert_eq!(
        (
            stats.requests_total,
            stats.writes_total,
            stats.users_written
        ),
        (0, 0, 0)
    );
    assert!(stats.responses_by_status.is_empty());
    assert_eq!(
        emu.get(Some(&token), &emu.schedule_path(0)).await.status,
        404,
        "data is cleared"
    );
    assert_eq!(
        emu.get(Some(&token), "/api/v2/users").await.status,
        200,
        "tokens stay valid"
    );
}

#[tokio::test]
async fn run_serves_until_its_shutdown_future_completes() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(pacer_emulator::run(
        listener,
        Config::profile(Profile::Genesys),
        async {
            let _ = rx.await;
        },
    ));
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let answer = http
        .get(format!("http://{addr}/api/v2/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    tx.send(()).unwrap();
    let finished = tokio::time::timeout(std::time::Duration::from_secs(10), server).await;
    assert!(matches!(finished, Ok(Ok(Ok(())))), "{finished:?}");
}

#[tokio::test]
async fn stop_finishes_the_server_cleanly() {
    let emu = start(unlimited_seed()).await;
    let token = emu.token().await;
    assert_eq!(emu.get(Some(&token), "/api/v2/users").await.status, 200);
    emu.stop().await.unwrap();
}
