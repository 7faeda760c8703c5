//! The HTTP layer: responses, redaction, connection reuse and the classification of failures.

use std::time::Duration;

use pacer_client::{Error, HttpClient, HttpConfig, Method, TransportKind};
use tokio::io::AsyncReadExt;

use crate::{TestServer, client, demo_credentials, demo_tokens};

#[tokio::test]
async fn send_returns_status_headers_body_and_correlation_id() {
    let server = TestServer::start();
    let http = client();
    let tokens = demo_tokens(&server, &http);
    let token = tokens.get(0).await.unwrap();
    let response = http
        .send(
            Method::PUT,
            &server.url("/api/v2/users/u-1"),
            Some(bytes::Bytes::from_static(b"{\"a\":1}")),
            Some(&token),
        )
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.body, &b"{\"a\":1} for u-1"[..]);
    assert_eq!(response.correlation_id.as_deref(), Some("corr-1"));
    assert_eq!(response.header("inin-correlation-id"), Some("corr-1"));
    assert!(response.latency <= response.elapsed);

    // Without a token the API answers 401, which is a response, not an error.
    let response = http
        .send(Method::PUT, &server.url("/api/v2/users/u-2"), None, None)
        .await
        .unwrap();
    assert_eq!(response.status, 401);
    assert_eq!(response.correlation_id.as_deref(), Some("corr-2"));
}

#[tokio::test]
async fn debug_output_never_shows_authorization_or_cookies() {
    let server = TestServer::start();
    let http = client();
    let tokens = demo_tokens(&server, &http);
    let token = tokens.get(0).await.unwrap();
    let response = http
        .send(
            Method::PUT,
            &server.url("/api/v2/users/u-1"),
            None,
            Some(&token),
        )
        .await
        .unwrap();
    for text in [
        format!("{response:?}"),
        format!("{token:?}"),
        format!("{tokens:?}"),
        format!("{http:?}"),
        format!("{:?}", demo_credentials()),
    ] {
        assert!(!text.contains("tok-1"), "{text}");
        assert!(!text.contains("do-not-print"), "{text}");
        assert!(!text.contains("pacer-demo-secret"), "{text}");
        assert!(
            !text.contains("cGFjZXItZGVtbzpwYWNlci1kZW1vLXNlY3JldA"),
            "{text}"
        );
    }
    assert!(format!("{response:?}").contains("corr-1"));
}

#[tokio::test]
async fn one_client_reuses_its_connection() {
    let server = TestServer::start();
    let http = client();
    let tokens = demo_tokens(&server, &http);
    let token = tokens.get(0).await.unwrap();
    for i in 0..20 {
        let url = server.url(&format!("/api/v2/users/u-{i}"));
        let response = http
            .clone()
            .send(Method::PUT, &url, None, Some(&token))
            .await
            .unwrap();
        assert_eq!(response.status, 200);
    }
    assert_eq!(server.state.peers.lock().unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_is_a_timeout() {
    let server = TestServer::start();
    let http = HttpClient::new(&HttpConfig {
        request_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(10),
        ..HttpConfig::default()
    })
    .unwrap();
    let started = tokio::time::Instant::now();
    let err = http
        .send(Method::GET, &server.url("/slow"), None, None)
        .await
        .unwrap_err();
    assert_eq!(
        err.transport_kind(),
        Some(TransportKind::Timeout),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("timed out talking to http://127.0.0.1:"),
        "{err}"
    );
    // Virtual time: the 5 s timeout passed on the paused clock, not on the wall.
    assert!(started.elapsed() >= Duration::from_secs(5));
}

#[tokio::test]
async fn a_closed_port_is_a_refused_connection() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = client()
        .send(Method::GET, &format!("http://{addr}/x"), None, None)
        .await
        .unwrap_err();
    assert_eq!(
        err.transport_kind(),
        Some(TransportKind::ConnectRefused),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("connection refused talking to"),
        "{err}"
    );
}

#[tokio::test]
async fn a_connection_dropped_mid_exchange_is_a_reset() {
    for zero_linger in [false, true] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buffer = [0u8; 1024];
            let _ = stream.read(&mut buffer).await;
            if zero_linger {
                // A zero linger makes the close an RST instead of a FIN.
                let _ = stream.set_zero_linger();
            }
            drop(stream);
        });
        let err = client()
            .send(
                Method::PUT,
                &format!("http://{addr}/x"),
                Some(bytes::Bytes::from_static(b"{}")),
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(
            err.transport_kind(),
            Some(TransportKind::ConnectionReset),
            "{zero_linger}: {err:?}"
        );
        server.await.unwrap();
    }
}

#[tokio::test]
async fn plain_http_off_loopback_is_refused_before_sending() {
    let err = client()
        .send(Method::GET, "http://api.example.com/x", None, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InsecureHttp { .. }), "{err:?}");
    let allowed = HttpClient::new(&HttpConfig {
        allow_insecure_http: true,
        ..HttpConfig::default()
    })
    .unwrap();
    let err = allowed
        .send(Method::GET, "ftp://127.0.0.1/x", None, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadUrl { .. }), "{err:?}");
}

/// A CONNECT proxy on 127.0.0.1:0 that tunnels every connection to `target`, whatever host it
/// is asked for, and records each request line it gets.
async fn connect_proxy(
    target: std::net::SocketAddr,
) -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if inbound.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let line = String::from_utf8_lossy(&head)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                log.lock().unwrap().push(line);
                let mut outbound = tokio::net::TcpStream::connect(target).await.unwrap();
                inbound
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .unwrap();
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    (addr, seen)
}

#[tokio::test]
async fn a_proxy_tunnels_requests_to_its_hosts_and_never_loopback_ones() {
    let server = TestServer::start();
    let target: std::net::SocketAddr = server.base.trim_start_matches("http://").parse().unwrap();
    let (proxy, seen) = connect_proxy(target).await;
    let proxies = hyper_util::client::proxy::matcher::Matcher::builder()
        .all(format!("http://{proxy}"))
        .build();
    let http = HttpClient::new(&HttpConfig {
        request_timeout: Duration::from_secs(5),
        allow_insecure_http: true,
        proxies: Some(std::sync::Arc::new(proxies)),
        ..HttpConfig::default()
    })
    .unwrap();
    // The token comes from a loopback URL: straight there, not through the proxy.
    let token = demo_tokens(&server, &http).get(0).await.unwrap();
    assert!(seen.lock().unwrap().is_empty());
    // A host that is not loopback goes through the tunnel; its name is never resolved here.
    let response = http
        .send(
            Method::PUT,
            "http://pacer.test/api/v2/users/u-1",
            Some(bytes::Bytes::from_static(b"{}")),
            Some(&token),
        )
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.body, &b"{} for u-1"[..]);
    assert_eq!(*seen.lock().unwrap(), ["CONNECT pacer.test:80 HTTP/1.1"]);
}
