//! The emulator over TLS: HTTPS and WSS on one port, the URLs it hands out saying so, a given
//! certificate and key served, and a key that does not go with its certificate refused.

use std::sync::Arc;

use base64::Engine as _;
use pacer_emulator::TlsIdentity;
use rcgen::{CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;

use crate::support::start_tls;
use crate::wfm::{post, wfm_config};

fn pem(label: &str, der: &[u8]) -> String {
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// A rustls client that trusts only `ca_pem`.
fn client_trusting(ca_pem: &str) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

#[tokio::test]
async fn a_channel_made_over_https_connects_over_wss_on_the_same_port() {
    let (emu, ca) = start_tls(wfm_config(2, |_| {})).await;
    assert!(emu.base.starts_with("https://127.0.0.1:"), "{}", emu.base);
    let token = emu.token().await;
    let created = post(&emu, &token, "/api/v2/notifications/channels", Value::Null).await;
    assert_eq!(created.status, 200, "{}", created.text);
    let uri = created.body["connectUri"].as_str().unwrap().to_string();
    let authority = emu.base.trim_start_matches("https://");
    assert!(uri.starts_with(&format!("wss://{authority}/")), "{uri}");

    // The socket's TLS handshake and upgrade, on the same port, trusting only the CA.
    let tcp = tokio::net::TcpStream::connect(authority).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let tls = client_trusting(&ca).connect(name, tcp).await.unwrap();
    let (mut socket, answer) = tokio_tungstenite::client_async(uri.as_str(), tls)
        .await
        .unwrap();
    assert_eq!(answer.status(), 101);
    socket.close(None).await.unwrap();

    // A client that trusts another CA is refused in the handshake.
    let other = TlsIdentity::generate().unwrap().ca_pem().unwrap();
    let tcp = tokio::net::TcpStream::connect(authority).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let refused = client_trusting(&other)
        .connect(name, tcp)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("UnknownIssuer"), "{refused}");
}

/// A CA and a certificate it signs for 127.0.0.1, as PEM files: (CA, certificate, key).
fn made_files(dir: &std::path::Path) -> (String, std::path::PathBuf, std::path::PathBuf) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let cert_file = dir.join("cert.pem");
    let key_file = dir.join("key.pem");
    std::fs::write(&cert_file, pem("CERTIFICATE", leaf.der())).unwrap();
    std::fs::write(&key_file, pem("PRIVATE KEY", &key.serialize_der())).unwrap();
    (pem("CERTIFICATE", ca.der()), cert_file, key_file)
}

#[tokio::test]
async fn a_given_certificate_is_served_and_a_key_of_another_is_refused() {
    let dir = std::env::temp_dir().join(format!("pacer-emu-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (ca, cert, key) = made_files(&dir);
    let identity = TlsIdentity::from_pem_files(&cert, &key).unwrap();
    assert_eq!(
        identity.ca_pem(),
        None,
        "a given certificate has no CA of ours"
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = pacer_emulator::AppState::new(wfm_config(1, |_| {})).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        pacer_emulator::serve_tls(listener, state, &identity, async move {
            let _ = stopped.await;
        })
        .await
    });
    let http = reqwest::Client::builder()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).unwrap())
        .build()
        .unwrap();
    let answer = http
        .get(format!("https://{addr}/__emulator/stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();

    // The key of another certificate: refused at start, naming the key's file.
    let other = dir.join("other");
    std::fs::create_dir_all(&other).unwrap();
    let (_, _, other_key) = made_files(&other);
    let err = TlsIdentity::from_pem_files(&cert, &other_key).unwrap_err();
    assert!(err.is_usage());
    assert!(err.to_string().contains("does not go with"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
