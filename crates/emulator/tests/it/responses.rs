//! Every 429 and 401 body and header set matches the reference; OAuth answers too.

use pacer_core::limiter::{Algorithm, LimitSpec};
use pacer_emulator::{Config, HeaderStyle, Profile};
use serde_json::json;

use crate::support::{Answer, ms, secs, start, start_manual};

fn assert_correlated(answer: &Answer) {
    let cid = answer
        .header("inin-correlation-id")
        .expect("ININ-Correlation-Id on every response");
    assert_eq!(cid.len(), 36, "{cid}");
}

#[tokio::test]
async fn genesys_429_matches_the_reference() {
    let mut config = Config::profile(Profile::Genesys);
    config.limiters[0].spec.limit = 1;
    let emu = start_manual(config).await;
    let token = emu.token().await;
    emu.set_time(ms(17_250));
    assert_eq!(emu.get(Some(&token), "/api/v2/users").await.status, 200);
    let answer = emu.get(Some(&token), "/api/v2/users").await;
    assert_eq!(answer.status, 429);
    assert_correlated(&answer);
    let cid = answer.header("inin-correlation-id").unwrap();
    assert_eq!(answer.header("retry-after"), Some("43"));
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert!(
        answer.rate_limit_header_names().is_empty(),
        "the real API sends no rate-limit headers"
    );
    assert_eq!(
        answer.body,
        json!({"message":"Rate limit exceeded the maximum. Retry the request in [43] seconds",
               "code":"too.many.requests.retry.after","status":429,"contextId":cid,
               "details":[],"errors":[],
               "limit":{"key":"client.credentials.token.rate.per.minute","namespace":"platform.api","value":1}})
    );
}

#[tokio::test]
async fn the_limit_object_can_be_left_out() {
    let mut config = Config::profile(Profile::Genesys);
    config.limiters[0].spec.limit = 1;
    config.responses.limit_object = false;
    let emu = start_manual(config).await;
    let token = emu.token().await;
    emu.get(Some(&token), "/api/v2/users").await;
    let answer = emu.get(Some(&token), "/api/v2/users").await;
    assert_eq!(answer.status, 429);
    assert!(answer.body.get("limit").is_none(), "{}", answer.text);
    assert_eq!(answer.body["code"], "too.many.requests.retry.after");
}

#[tokio::test]
async fn seed_429_matches_the_thread() {
    let emu = start_manual(Config::profile(Profile::Seed)).await;
    let token = emu.token().await;
    for remaining in (0..10).rev() {
        let answer = emu.get(Some(&token), "/api/v2/users").await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("x-ratelimit-limit"), Some("10"));
        assert_eq!(
            answer.header("x-ratelimit-remaining"),
            Some(remaining.to_string().as_str())
        );
    }
    let answer = emu.get(Some(&token), "/api/v2/users").await;
    assert_eq!(answer.status, 429);
    assert_correlated(&answer);
    assert_eq!(answer.header("retry-after"), Some("1"));
    assert_eq!(
        answer.rate_limit_header_names(),
        [
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset"
        ]
    );
    assert_eq!(answer.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(answer.header("x-ratelimit-reset"), Some("2"));
    assert_eq!(
        answer.body,
        json!({"code":"RATE_LIMIT_EXCEEDED","message":"Rate limit exceeded. Retry after 1 second(s).","status":429})
    );
}

#[tokio::test]
async fn ietf_and_legacy_inin_header_styles() {
    let mut config = Config::profile(Profile::Genesys);
    config.limiters[0].spec = LimitSpec {
        algorithm: Algorithm::FixedWindow,
        limit: 2,
        window: secs(60),
        burst: 2,
    };
    config.responses.rate_limit_headers = HeaderStyle::Ietf;
    let emu = start_manual(config.clone()).await;
    let token = emu.token().await;
    emu.set_time(secs(10));
    let answer = emu.get(Some(&token), "/api/v2/users").await;
    assert_eq!(
        answer.header("ratelimit-policy"),
        Some("\"client.credentials.token.rate.per.minute\";q=2;w=60")
    );
    assert_eq!(
        answer.header("ratelimit"),
        Some("\"client.credentials.token.rate.per.minute\";r=1;t=50")
    );
    emu.get(Some(&token), "/api/v2/users").await;
    let refused = emu.get(Some(&token), "/api/v2/users").await;
    assert_eq!(refused.status, 429);
    assert_eq!(
        refused.header("ratelimit"),
        Some("\"client.credentials.token.rate.per.minute\";r=0;t=50")
    );

    config.responses.rate_limit_headers = HeaderStyle::Inin;
    let emu = start_manual(config).await;
    let token = emu.token().await;
    let answer = emu.get(Some(&token), "/api/v2/users").await;
    assert_eq!(
        answer.rate_limit_header_names(),
        [
            "inin-ratelimit-allowed",
            "inin-ratelimit-count",
            "inin-ratelimit-reset"
        ]
    );
    assert_eq!(answer.header("inin-ratelimit-allowed"), Some("2"));
    assert_eq!(answer.header("inin-ratelimit-count"), Some("1"));
    assert_eq!(answer.header("inin-ratelimit-reset"), Some("60"));
}

#[tokio::test]
async fn unauthenticated_requests_get_the_real_401_codes() {
    let mut config = Config::profile(Profile::Genesys);
    config.oauth.token_lifetime = secs(300);
    let emu = start_manual(config).await;
    let expect_401 = |answer: &Answer, code: &str| {
        assert_eq!(answer.status, 401, "{}", answer.text);
        assert_correlated(answer);
        let cid = answer.header("inin-correlation-id").unwrap();
        assert_eq!(answer.body["code"], code);
        assert_eq!(answer.body["status"], 401);
        assert_eq!(answer.body["contextId"], cid);
        assert_eq!(answer.body["details"], json!([]));
        assert_eq!(answer.body["errors"], json!([]));
        assert!(
            answer.body["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert!(answer.rate_limit_header_names().is_empty());
        assert!(answer.header("retry-after").is_none());
    };
    expect_401(
        &emu.get(None, "/api/v2/users").await,
        "authentication.required",
    );
    expect_401(
        &emu.get(Some("not-a-token"), "/api/v2/users").await,
        "bad.credentials",
    );
    let token = emu.token().await;
    emu.set_time(ms(299_999));
    assert_eq!(emu.get(Some(&token), "/api/v2/users").await.status, 200);
    emu.set_time(secs(300));
    expect_401(
        &emu.get(Some(&token), "/api/v2/users").await,
        "credentials.expired",
    );
    let stats = emu.stats().await;
    assert_eq!(stats.responses_by_status["401"], 3);
}

#[tokio::test]
async fn revoking_all_tokens_at_a_time() {
    let mut config = Config::profile(Profile::Genesys);
    config.faults.revoke_tokens_at = Some(secs(60));
    let emu = start_manual(config).await;
    let old = emu.token().await;
    emu.set_time(secs(59));
    assert_eq!(emu.get(Some(&old), "/api/v2/users").await.status, 200);
    emu.set_time(secs(60));
    let answer = emu.get(Some(&old), "/api/v2/users").await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (401, Some("bad.credentials"))
    );
    let fresh = emu.token().await;
    assert_eq!(
        emu.get(Some(&fresh), "/api/v2/users").await.status,
        200,
        "tokens minted after it work"
    );
}

#[tokio::test]
async fn oauth_answers_match_the_real_bodies() {
    let emu = start(Config::profile(Profile::Genesys)).await;
    let ok = emu
        .mint("pacer-demo", "pacer-demo-secret", "client_credentials")
        .await;
    assert_eq!(ok.status, 200);
    assert_correlated(&ok);
    assert_eq!(ok.body["token_type"], "bearer");
    assert_eq!(ok.body["expires_in"], 86400);
    assert_eq!(
        ok.body.as_object().unwrap().len(),
        3,
        "no refresh token: {}",
        ok.text
    );
    assert_eq!(ok.header("cache-control"), Some("no-store"));
    let bad = emu.mint("pacer-demo", "wrong", "client_credentials").await;
    assert_eq!(bad.status, 401);
    assert_correlated(&bad);
    assert_eq!(bad.body["error"], "invalid_client");
    assert!(bad.body["description"].is_string() && bad.body["error_description"].is_string());
    let unknown = emu
        .mint("someone", "pacer-demo-secret", "client_credentials")
        .await;
    assert_eq!(unknown.body["error"], "invalid_client");
    let grant = emu
        .mint("pacer-demo", "pacer-demo-secret", "password")
        .await;
    assert_eq!(
        (grant.status, grant.body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let form = emu
        .http
        .post(emu.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&client_id=pacer-demo&client_secret=pacer-demo-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(
        form.status(),
        200,
        "credentials in the form are accepted too"
    );
    assert_eq!(emu.stats().await.tokens_minted, 2);
}

#[tokio::test]
async fn minting_is_rate_limited_per_client() {
    let mut config = Config::profile(Profile::Genesys);
    config.oauth.mint_limit.as_mut().unwrap().spec = LimitSpec {
        algorithm: Algorithm::FixedWindow,
        limit: 2,
        window: secs(60),
        burst: 2,
    };
    let emu = start_manual(config).await;
    emu.token().await;
    emu.token().await;
    let refused = emu
        .mint("pacer-demo", "pacer-demo-secret", "client_credentials")
        .await;
    assert_eq!(refused.status, 429);
    assert_correlated(&refused);
    assert_eq!(refused.header("retry-after"), Some("60"));
    assert_eq!(refused.body["code"], "too.many.requests.retry.after");
    assert_eq!(
        refused.body["limit"]["key"],
        "oauth.client.token.creation.rate.per.minute"
    );
    let stats = emu.stats().await;
    assert_eq!(stats.tokens_minted, 2);
    assert_eq!(
        stats.throttled_by_limit["oauth.client.token.creation.rate.per.minute"],
        1
    );
}

#[tokio::test]
async fn unknown_routes_and_the_seed_route_in_the_genesys_profile_are_404() {
    let emu = start(Config::profile(Profile::Genesys)).await;
    let token = emu.token().await;
    let path = format!("/api/v2/wfm/usersettings/{}/schedule", emu.agent(0));
    let answer = emu.put(&token, &path, crate::support::EXAMPLE).await;
    assert_eq!(
        answer.status, 404,
        "the thread's route does not exist in Genesys Cloud"
    );
    assert_correlated(&answer);
    assert_eq!(answer.body["code"], "not.found");
    let answer = emu.get(None, "/nowhere").await;
    assert_eq!(answer.status, 404);
    assert_correlated(&answer);
    let wrong_method = emu
        .http
        .delete(emu.url("/api/v2/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert!(wrong_method.headers().contains_key("inin-correlation-id"));
    let stats = emu.stats().await;
    assert_eq!(stats.writes_total + stats.users_written, 0);
    assert_eq!(stats.responses_by_status["404"], 2);
}
