//! TLS against the emulator served with `--tls`: the client trusts exactly what its
//! `TrustConfig` names, and a refused certificate is `UntrustedCertificate` with no request sent.

use std::time::Duration;

use pacer_client::{Error, HttpClient, HttpConfig, Method, TrustConfig};
use pacer_emulator::{AppState, Config, Profile, TlsIdentity};

/// An emulator of the seed profile over TLS on its own thread; its base URL, state, the CA's PEM
/// file, and the switch that stops it.
struct TlsEmu {
    base: String,
    state: AppState,
    ca_file: std::path::PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TlsEmu {
    fn start(name: &str) -> TlsEmu {
        let identity = TlsIdentity::generate().unwrap();
        let ca_file = std::env::temp_dir().join(format!(
            "pacer-client-tls-{}-{name}.pem",
            std::process::id()
        ));
        std::fs::write(&ca_file, identity.ca_pem().unwrap()).unwrap();
        let mut config = Config::profile(Profile::Seed);
        config.agents = 2;
        let state = AppState::new(config).unwrap();
        let served = state.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, addr) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                ready.send(listener.local_addr().unwrap()).unwrap();
                pacer_emulator::serve_tls(listener, served, &identity, async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            });
        });
        let addr: std::net::SocketAddr = addr.recv().unwrap();
        TlsEmu {
            base: format!("https://{addr}"),
            state,
            ca_file,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for TlsEmu {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = std::fs::remove_file(&self.ca_file);
    }
}

fn trusting(ca_file: Option<std::path::PathBuf>) -> HttpClient {
    HttpClient::new(&HttpConfig {
        request_timeout: Duration::from_secs(5),
        // Only the web's roots and the file named: nothing from the machine or the environment.
        trust: TrustConfig {
            ca_file,
            system: false,
        },
        ..HttpConfig::default()
    })
    .unwrap()
}

#[tokio::test]
async fn the_ca_file_is_trusted_and_without_it_nothing_reaches_the_server() {
    let emu = TlsEmu::start("trust");
    let url = format!("{}/api/v2/users", emu.base);

    let refused = trusting(None)
        .send(Method::GET, &url, None, None)
        .await
        .unwrap_err();
    match &refused {
        Error::UntrustedCertificate { host, reason } => {
            assert_eq!(host, "127.0.0.1");
            assert!(reason.contains("issuer"), "{reason}");
        }
        other => panic!("not an untrusted certificate: {other:?}"),
    }
    assert!(refused.is_fatal(), "no retry can fix a certificate");
    assert_eq!(emu.state.stats().requests_total, 0);

    // With the CA the same request is answered (401: no token), over TLS.
    let answered = trusting(Some(emu.ca_file.clone()))
        .send(Method::GET, &url, None, None)
        .await
        .unwrap();
    assert_eq!(answered.status, 401);
    assert_eq!(emu.state.stats().requests_total, 1);
}
