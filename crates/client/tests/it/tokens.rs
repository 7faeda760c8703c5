//! The token manager against the test server, on a manual clock.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pacer_client::{
    Clock, Credentials, Error, Method, Secret, TokenConfig, TokenManager, TransportKind,
};
use tokio::time::Instant;

use crate::{TestServer, client, demo_credentials};

/// A clock that moves only when told to, and whose sleeps return at once after moving it.
struct ManualClock {
    base: Instant,
    offset: Mutex<Duration>,
    slept: Mutex<Vec<Duration>>,
}

impl ManualClock {
    fn new() -> Arc<ManualClock> {
        Arc::new(ManualClock {
            base: Instant::now(),
            offset: Mutex::new(Duration::ZERO),
            slept: Mutex::default(),
        })
    }

    fn advance(&self, by: Duration) {
        *self.offset.lock().unwrap() += by;
    }

    fn slept(&self) -> Vec<Duration> {
        self.slept.lock().unwrap().clone()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.base + *self.offset.lock().unwrap()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        self.advance(duration);
        self.slept.lock().unwrap().push(duration);
        Box::pin(async {})
    }
}

fn manager(server: &TestServer, clock: &Arc<ManualClock>, config: TokenConfig) -> TokenManager {
    TokenManager::with_clock(
        client(),
        server.url("/oauth/token"),
        demo_credentials(),
        config,
        clock.clone(),
    )
}

async fn put(server: &TestServer, token: &pacer_client::BearerToken) -> u16 {
    client()
        .send(
            Method::PUT,
            &server.url("/api/v2/users/u"),
            Some(bytes::Bytes::from_static(b"{}")),
            Some(token),
        )
        .await
        .unwrap()
        .status
}

#[tokio::test]
async fn one_token_is_minted_and_reused() {
    let server = TestServer::start();
    let clock = ManualClock::new();
    let tokens = manager(&server, &clock, TokenConfig::default());
    for _ in 0..10 {
        let token = tokens.get(0).await.unwrap();
        assert_eq!((token.index(), token.generation()), (0, 1));
        assert_eq!(put(&server, &token).await, 200);
        clock.advance(Duration::from_secs(600));
    }
    assert_eq!(tokens.tokens_minted(), 1);
    assert_eq!(server.state.mints.load(Ordering::Relaxed), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_wait_for_one_mint() {
    let server = TestServer::start();
    let clock = ManualClock::new();
    let tokens = manager(&server, &clock, TokenConfig::default());
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let tokens = tokens.clone();
        tasks.push(tokio::spawn(async move {
            tokens.get(0).await.unwrap().generation()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 1);
    }
    assert_eq!(server.state.token_requests.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn renewal_starts_ahead_of_expiry_without_stopping_callers() {
    let server = TestServer::start();
    server.state.expires_in.store(3_600, Ordering::Relaxed);
    let clock = ManualClock::new();
    let tokens = manager(&server, &clock, TokenConfig::default());
    assert_eq!(tokens.get(0).await.unwrap().generation(), 1);

    // Just before 90% of the lifetime: no renewal.
    clock.advance(Duration::from_secs(3_239));
    assert_eq!(tokens.get(0).await.unwrap().generation(), 1);
    tokens.wait_for_renewals().await;
    assert_eq!(tokens.tokens_minted(), 1);

    // At 90%: the caller gets the current token at once and a renewal runs behind it.
    clock.advance(Duration::from_secs(1));
    let during = tokens.get(0).await.unwrap();
    assert_eq!(during.generation(), 1);
    assert_eq!(put(&server, &during).await, 200);
    tokens.wait_for_renewals().await;
    assert_eq!(tokens.tokens_minted(), 2);
    let renewed = tokens.get(0).await.unwrap();
    assert_eq!(renewed.generation(), 2);
    assert_eq!(put(&server, &renewed).await, 200);
}

#[tokio::test]
async fn an_expired_token_is_replaced_before_it_is_used() {
    let server = TestServer::start();
    server.state.expires_in.store(300, Ordering::Relaxed);
    let clock = ManualClock::new();
    let tokens = manager(&server, &clock, TokenConfig::default());
    tokens.get(0).await.unwrap();
    // 300 s tokens stop being handed out 30 s before they expire.
    clock.advance(Duration::from_secs(271));
    let token = tokens.get(0).await.unwrap();
    assert_eq!(token.generation(), 2);
    assert_eq!(tokens.tokens_minted(), 2);
}

#[tokio::test]
async fn a_401_re_authenticates_once_then_fails_clearly() {
    let server = TestServer::start();
    let clock = ManualClock::new();
    let tokens = manager(&server, &clock, TokenConfig::default());
    let first = tokens.get(0).await.unwrap();
    assert_eq!(put(&server, &first).await, 200);

    server.state.revoke_all();
    assert_eq!(put(&server, &first).await, 401);
    // Many requests in flight get the 401 at once: one mint serves all of them.
    let again = tokens.after_unauthorized(&first).await.unwrap();
    let same = tokens.after_unauthorized(&first).await.unwrap();
    assert_eq!((again.generation(), same.generation()), (2, 2));
    assert_eq!(tokens.tokens_minted(), 2);
    assert_eq!(put(&server, &again).await, 200);
    assert_eq!(tokens.get(0).await.unwrap().generation(), 2);

    // The fresh token is refused too: no third token, a clear error instead.
    server.state.reject_all.store(true, Ordering::Relaxed);
    assert_eq!(put(&server, &again).await, 401);
    let err = tokens.after_unauthorized(&again).await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { index: 0 }), "{err:?}");
    assert!(
        err.to_string()
            .contains("401 again after re-authenticating"),
        "{err}"
    );
    assert_eq!(tokens.tokens_minted(), 2);
}

#[tokio::test]
async fn wrong_credentials_fail_with_one_clear_line_and_nothing_sent() {
    let server = TestServer::start();
    let clock = ManualClock::new();
    let wrong = Credentials::new("pacer-demo", Secret::new("wrong-secret"));
    let tokens = TokenManager::with_clock(
        client(),
        server.url("/oauth/token"),
        wrong,
        TokenConfig::default(),
        clock.clone(),
    );
    let err = tokens.warm_up().await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidClient { status: 401, .. }),
        "{err:?}"
    );
    assert!(err.is_fatal());
    let line = err.to_string();
    assert_eq!(
        line,
        "the login server refused the OAuth client (401 invalid_client: client not found): check the client id and secret"
    );
    assert!(!format!("{err:?}").contains("wrong-secret"));
    // Refused credentials are not retried.
    assert_eq!(server.state.token_requests.load(Ordering::Relaxed), 1);
    assert_eq!(server.state.api_requests.load(Ordering::Relaxed), 0);
    assert_eq!(tokens.tokens_minted(), 0);
}

#[tokio::test]
async fn a_throttled_or_failing_mint_is_tried_again() {
    let server = TestServer::start();
    server.state.throttle_mints.store(1, Ordering::Relaxed);
    server.state.fail_mints.store(1, Ordering::Relaxed);
    let clock = ManualClock::new();
    let tokens = manager(&server, &clock, TokenConfig::default());
    assert_eq!(tokens.get(0).await.unwrap().generation(), 1);
    // The 429's Retry-After (2 s), then the backoff after the 500 (2 s on the second attempt).
    assert_eq!(
        clock.slept(),
        vec![Duration::from_secs(2), Duration::from_secs(2)]
    );
    assert_eq!(server.state.token_requests.load(Ordering::Relaxed), 3);

    server.state.throttle_mints.store(10, Ordering::Relaxed);
    let other = manager(&server, &clock, TokenConfig::default());
    let err = other.get(0).await.unwrap_err();
    assert!(
        matches!(err, Error::TokenThrottled { retry_after_s: 2 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_pool_mints_one_token_per_index() {
    let server = TestServer::start();
    let clock = ManualClock::new();
    let tokens = manager(
        &server,
        &clock,
        TokenConfig {
            pool_size: 3,
            ..TokenConfig::default()
        },
    );
    assert_eq!(tokens.pool_size(), 3);
    tokens.warm_up().await.unwrap();
    assert_eq!(tokens.tokens_minted(), 3);
    for index in 0..3 {
        let token = tokens.get(index).await.unwrap();
        assert_eq!(token.index(), index);
        assert_eq!(put(&server, &token).await, 200);
    }
    assert_eq!(server.state.valid.lock().unwrap().len(), 3);
    assert!(matches!(
        tokens.get(3).await,
        Err(Error::NoSuchToken { index: 3, size: 3 })
    ));
    assert_eq!(tokens.tokens_minted(), 3);
}

#[tokio::test]
async fn an_unreachable_login_server_fails_at_once() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let clock = ManualClock::new();
    let tokens = TokenManager::with_clock(
        client(),
        format!("http://{addr}/oauth/token"),
        demo_credentials(),
        TokenConfig::default(),
        clock.clone(),
    );
    let err = tokens.warm_up().await.unwrap_err();
    assert_eq!(
        err.transport_kind(),
        Some(TransportKind::ConnectRefused),
        "{err:?}"
    );
    assert!(clock.slept().is_empty());
}
