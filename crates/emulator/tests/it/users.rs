//! The users search on a real server: criteria, paging, refusals, and the same pipeline (token and
//! layered limits) as every API route.

use pacer_core::limiter::{Algorithm, LimitSpec};
use pacer_emulator::route::RoutePattern;
use pacer_emulator::{LimiterConfig, Scope};
use serde_json::{Value, json};

use crate::support::{Emu, secs, start, start_manual};
use crate::wfm::{post, wfm_config};

const SEARCH: &str = "/api/v2/users/search";

/// The ids of a search's results, in order.
fn ids(answer: &Value) -> Vec<String> {
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["id"].as_str().unwrap().to_string())
        .collect()
}

async fn search(emu: &Emu, token: &str, body: Value) -> Value {
    let answer = post(emu, token, SEARCH, body).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body
}

#[tokio::test]
async fn exact_and_terms_find_users_by_email_name_and_id() {
    let emu = start(wfm_config(1500, |_| {})).await;
    let token = emu.token().await;
    let body = search(
        &emu,
        &token,
        json!({"query": [{"type": "EXACT", "fields": ["email"],
                          "value": "Agent00042@pacer-emulator.example"}]}),
    )
    .await;
    assert_eq!(
        (
            &body["total"],
            &body["pageCount"],
            &body["pageSize"],
            &body["pageNumber"]
        ),
        (&json!(1), &json!(1), &json!(25), &json!(1))
    );
    assert_eq!(body["types"], json!(["users"]));
    let listed = emu
        .get(Some(&token), &format!("/api/v2/users/{}", emu.agent(41)))
        .await;
    assert_eq!(
        body["results"][0], listed.body,
        "a result is the listing's user"
    );

    let names = json!({"query": [{"type": "TERMS", "fields": ["name"],
                                  "values": ["Agent 00999", "agent 00002", "Agent 00500"]}]});
    let body = search(&emu, &token, names).await;
    assert_eq!(ids(&body), [emu.agent(1), emu.agent(998), emu.agent(999)]);
    assert_eq!(body["results"][2]["name"], "Agent 00999");
    assert_eq!(
        body["results"][2]["email"],
        "agent01000@pacer-emulator.example"
    );

    let anded = json!({"query": [
        {"type": "EXACT", "fields": ["name"], "value": "Agent 00999"},
        {"type": "TERMS", "fields": ["id", "email"],
         "values": [emu.agent(999).to_uppercase(), "agent00001@pacer-emulator.example"]}]});
    assert_eq!(ids(&search(&emu, &token, anded).await), [emu.agent(999)]);
}

#[tokio::test]
async fn a_search_pages_its_matches_in_agent_order() {
    let emu = start(wfm_config(300, |_| {})).await;
    let token = emu.token().await;
    let emails: Vec<String> = (1..=60)
        .rev()
        .map(|n| format!("agent{n:05}@pacer-emulator.example"))
        .collect();
    let mut seen = Vec::new();
    for page in 1..=3 {
        let body = search(
            &emu,
            &token,
            json!({"pageSize": 25, "pageNumber": page,
                   "query": [{"type": "TERMS", "fields": ["email"], "values": emails}]}),
        )
        .await;
        assert_eq!(
            (&body["total"], &body["pageCount"]),
            (&json!(60), &json!(3))
        );
        seen.extend(ids(&body));
    }
    let expected: Vec<String> = (0..60).map(|a| emu.agent(a)).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn bad_searches_are_refused_with_a_genesys_400() {
    let emu = start(wfm_config(20, |_| {})).await;
    let token = emu.token().await;
    let email = json!([{"type": "EXACT", "fields": ["email"], "value": "x"}]);
    let cases = [
        (
            json!({"pageSize": 101, "query": email}),
            "between 1 and 100",
        ),
        (json!({"pageNumber": 0, "query": email}), "pageNumber"),
        (
            json!({"query": [{"type": "CONTAINS", "fields": ["name"], "value": "Agent"}]}),
            "CONTAINS",
        ),
        (json!({"query": []}), "at least one criterion"),
        (json!({"query": "nope"}), "not valid"),
    ];
    for (body, words) in cases {
        let answer = post(&emu, &token, SEARCH, body).await;
        assert_eq!(answer.status, 400, "{}", answer.text);
        assert_eq!(answer.body["code"], "bad.request");
        let message = answer.body["message"].as_str().unwrap();
        assert!(message.contains(words), "{message}");
    }
}

#[tokio::test]
async fn the_search_passes_the_pipeline_of_every_route() {
    let mut config = wfm_config(20, |_| {});
    config.limiters.push(LimiterConfig {
        key: "users.search.rate".into(),
        namespace: "platform.api".into(),
        scope: Scope::Token,
        spec: LimitSpec {
            algorithm: Algorithm::FixedWindow,
            limit: 2,
            window: secs(60),
            burst: 2,
        },
        routes: vec![RoutePattern::parse("POST /api/v2/users/search").unwrap()],
        advertise: false,
    });
    let emu = start_manual(config).await;
    let body = json!({"query": [{"type": "EXACT", "fields": ["id"], "value": emu.agent(3)}]});
    let anonymous = emu
        .http
        .post(emu.url(SEARCH))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let token = emu.token().await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(post(&emu, &token, SEARCH, body.clone()).await.status);
    }
    assert_eq!(statuses, [200, 200, 429]);
    let listing = emu.get(Some(&token), "/api/v2/users?pageSize=1").await;
    assert_eq!(
        listing.status, 200,
        "the listing is not under the search's limit"
    );
    let stats = emu.stats().await;
    assert_eq!(stats.throttled_by_limit["users.search.rate"], 1);
}
