//! HTTPS and WSS on the emulator's port: a certificate for loopback made at start (signed by a CA
//! of its own, which clients are given to trust) or one read from PEM files, and a listener that
//! completes each TLS handshake beside the accept loop, so that a slow or failed handshake holds
//! up no other connection.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;

use crate::conn::{Conn, ResettableListener, ResettableStream};
use crate::error::EmulatorError;

/// The names the certificate made at start covers.
pub const LOOPBACK_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

/// The longest a client may take over its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The certificate chain and key the emulator serves TLS with, and the CA that signed them when
/// the emulator made them.
pub struct TlsIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    ca: Option<CertificateDer<'static>>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key never prints.
        f.debug_struct("TlsIdentity")
            .field("chain", &self.chain.len())
            .field("made_here", &self.ca.is_some())
            .finish()
    }
}

impl TlsIdentity {
    /// Makes a CA and a certificate it signs for 127.0.0.1, localhost and ::1 (ECDSA P-256, by
    /// rcgen over ring), new at each start.
    pub fn generate() -> Result<TlsIdentity, EmulatorError> {
        let made = |e: rcgen::Error| EmulatorError::Tls(format!("cannot make a certificate: {e}"));
        let ca_key = KeyPair::generate().map_err(made)?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(made)?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        // Each start's CA has a name of its own (from its key), so that a client trusting another
        // start's CA finds an unknown issuer rather than a bad signature.
        let tag: String = ca_key.public_key_raw()[1..9]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        ca.distinguished_name
            .push(DnType::CommonName, format!("pacer emulator CA {tag}"));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca, ca_key).map_err(made)?;
        let names: Vec<String> = LOOPBACK_NAMES.iter().map(|n| n.to_string()).collect();
        let mut leaf = CertificateParams::new(names).map_err(made)?;
        leaf.distinguished_name
            .push(DnType::CommonName, "pacer emulator");
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().map_err(made)?;
        let cert = leaf.signed_by(&key, &ca).map_err(made)?;
        Ok(TlsIdentity {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            ca: Some(ca.der().clone()),
        })
    }

    /// Reads a certificate chain (PEM, the server's first) and its private key (PEM: PKCS#8,
    /// PKCS#1 or SEC1).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<TlsIdentity, EmulatorError> {
        let bad = |file: &Path, message: String| EmulatorError::TlsFile {
            file: file.display().to_string(),
            message,
        };
        let chain = CertificateDer::pem_file_iter(cert)
            .map_err(|e| bad(cert, e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(cert, e.to_string()))?;
        if chain.is_empty() {
            return Err(bad(cert, "holds no PEM certificate".into()));
        }
        let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, e.to_string()))?;
        let identity = TlsIdentity {
            chain,
            key: key_der,
            ca: None,
        };
        // A key that does not match the certificate is found now, not at the first handshake.
        identity
            .server_config()
            .map_err(|e| bad(key, format!("does not go with {}: {e}", cert.display())))?;
        Ok(identity)
    }

    /// The CA that signed the certificate, as PEM, when the emulator made it.
    pub fn ca_pem(&self) -> Option<String> {
        self.ca.as_ref().map(|der| pem("CERTIFICATE", der))
    }

    /// The server's settings: TLS 1.2 and 1.3 over ring, HTTP/1.1 by ALPN.
    pub(crate) fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, EmulatorError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| EmulatorError::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| EmulatorError::Tls(e.to_string()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// DER as PEM: base64 in lines of 64 between the label's lines.
fn pem(label: &str, der: &[u8]) -> String {
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// A listener whose connections come out of their TLS handshake; each handshake runs in a task of
/// its own.
pub(crate) struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<ResettableStream>, SocketAddr)>,
    addr: SocketAddr,
    accepting: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    /// Accepts on `listener` and hands over the connections whose handshake succeeds.
    pub(crate) fn new(
        mut listener: ResettableListener,
        config: Arc<rustls::ServerConfig>,
    ) -> io::Result<TlsListener> {
        let addr = listener.local_addr()?;
        let (sender, ready) = mpsc::channel(1024);
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let accepting = tokio::spawn(async move {
            loop {
                let (stream, peer) = listener.accept().await;
                if sender.is_closed() {
                    return;
                }
                let acceptor = acceptor.clone();
                let sender = sender.clone();
                tokio::spawn(async move {
                    // A client that does not trust the certificate ends its handshake here.
                    if let Ok(Ok(tls)) =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    {
                        let _ = sender.send((tls, peer)).await;
                    }
                });
            }
        });
        Ok(TlsListener {
            ready,
            addr,
            accepting,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<ResettableStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accepting task never ends while the listener lives.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.addr)
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for Conn {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        Conn {
            kill: stream.io().get_ref().0.kill_switch(),
            secure: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_made_ca_is_pem_that_reads_back_as_the_one_certificate() {
        let identity = TlsIdentity::generate().unwrap();
        let pem = identity.ca_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{pem}");
        assert!(pem.lines().all(|line| line.len() <= 64), "{pem}");
        let read: Vec<_> = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(read, vec![identity.ca.clone().unwrap()]);
        identity.server_config().unwrap();
        assert!(!format!("{identity:?}").contains("key"));
    }

    #[test]
    fn a_key_file_that_is_no_pem_is_refused_naming_it() {
        let dir = std::env::temp_dir().join(format!("pacer-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        let identity = TlsIdentity::generate().unwrap();
        std::fs::write(&cert, identity.ca_pem().unwrap()).unwrap();
        std::fs::write(&key, "not a key\n").unwrap();
        let err = TlsIdentity::from_pem_files(&cert, &key).unwrap_err();
        assert!(err.to_string().contains("key.pem"), "{err}");
        assert!(err.is_usage());
        let missing = TlsIdentity::from_pem_files(&dir.join("none.pem"), &key).unwrap_err();
        assert!(missing.to_string().contains("none.pem"), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
