//! What the client trusts, in one rustls configuration that HTTPS and the notification socket's
//! WSS share: the web's roots (webpki-roots), the operating system's store (rustls-native-certs),
//! and the CAs of `--ca-file` and `SSL_CERT_FILE` (PEM, several certificates each); and a
//! certificate the handshake refused, found in an error's chain of causes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

use crate::error::{Error, Result};

/// The environment variable naming a CA file (PEM), as curl, Python and the official SDKs read it.
pub const ENV_SSL_CERT_FILE: &str = "SSL_CERT_FILE";

/// Where the client's trust comes from beside the web's roots.
#[derive(Debug, Clone, Default)]
pub struct TrustConfig {
    /// A CA file (PEM) given on the command line (`--ca-file`).
    pub ca_file: Option<PathBuf>,
    /// Reads `SSL_CERT_FILE` and the operating system's store (off in tests that must trust
    /// only what they name).
    pub system: bool,
}

impl TrustConfig {
    /// The web's roots, the operating system's store, `SSL_CERT_FILE` and `ca_file`.
    pub fn with_system(ca_file: Option<PathBuf>) -> TrustConfig {
        TrustConfig {
            ca_file,
            system: true,
        }
    }
}

/// The TLS settings of every connection: rustls with ring, trusting what `trust` names.
pub fn client_config(trust: &TrustConfig) -> Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if trust.system {
        // The system's store is a best effort: a certificate in it that rustls cannot read is
        // skipped, as browsers skip it. Where SSL_CERT_FILE is set, it stands for the system's
        // bundle, as it does for OpenSSL.
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        if let Some(file) = std::env::var_os(ENV_SSL_CERT_FILE).filter(|v| !v.is_empty()) {
            add_file(&mut roots, Path::new(&file), ENV_SSL_CERT_FILE)?;
        }
    }
    if let Some(file) = &trust.ca_file {
        add_file(&mut roots, file, "--ca-file")?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Build(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Adds every certificate of a PEM file; a file that cannot be read, or holds none or a broken
/// one, is an error naming it and where it was named.
fn add_file(roots: &mut rustls::RootCertStore, file: &Path, from: &'static str) -> Result<()> {
    let bad = |reason: String| Error::CaFile {
        file: file.display().to_string(),
        from,
        reason,
    };
    let certs = CertificateDer::pem_file_iter(file)
        .map_err(|e| bad(e.to_string()))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("it holds no PEM certificate".into()));
    }
    for (n, cert) in certs.into_iter().enumerate() {
        roots
            .add(cert)
            .map_err(|e| bad(format!("certificate {}: {e}", n + 1)))?;
    }
    Ok(())
}

/// Why the server's certificate was refused, when that is what the error's chain of causes says
/// (rustls's `InvalidCertificate`, found inside the boxes and I/O errors that carry it).
pub(crate) fn refused_certificate(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(cause) = source {
        if let Some(rustls::Error::InvalidCertificate(why)) = rustls_error(cause) {
            return Some(describe(why));
        }
        source = cause.source();
    }
    None
}

/// The rustls error `cause` is, or holds: an I/O error's inner error is not its `source()`, and
/// hyper-rustls wraps tokio-rustls's I/O error in another, so each layer is opened by hand.
fn rustls_error<'a>(cause: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let io = cause.downcast_ref::<std::io::Error>()?;
    rustls_error(io.get_ref()?)
}

/// A certificate's fault in words.
fn describe(why: &rustls::CertificateError) -> String {
    use rustls::CertificateError as E;
    match why {
        E::UnknownIssuer => "it is signed by an issuer pacer does not trust".into(),
        E::NotValidForName | E::NotValidForNameContext { .. } => {
            "it is not valid for this host name".into()
        }
        E::Expired | E::ExpiredContext { .. } => "it has expired".into(),
        E::NotValidYet | E::NotValidYetContext { .. } => "it is not valid yet".into(),
        E::Revoked => "it is revoked".into(),
        E::BadSignature => {
            "its signature does not match the trusted CA of its issuer's name".into()
        }
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_that_is_missing_or_holds_no_certificate_is_named() {
        let dir = std::env::temp_dir().join(format!("pacer-trust-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        for file in [dir.join("missing.pem"), empty] {
            let err = client_config(&TrustConfig {
                ca_file: Some(file.clone()),
                system: false,
            })
            .unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains(&file.display().to_string()) && text.contains("--ca-file"),
                "{text}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// An error caused by the one it holds, as hyper's client error is.
    #[derive(Debug)]
    struct Wrapper(Box<dyn std::error::Error + Send + Sync>);

    impl std::fmt::Display for Wrapper {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("client error (Connect)")
        }
    }

    impl std::error::Error for Wrapper {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(self.0.as_ref())
        }
    }

    #[test]
    fn an_unknown_issuer_is_found_inside_an_io_error() {
        let inner = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, inner);
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(io);
        assert_eq!(
            refused_certificate(boxed.as_ref()).as_deref(),
            Some("it is signed by an issuer pacer does not trust")
        );
        // An I/O error in an I/O error, as hyper-rustls hands tokio-rustls's on, under a cause.
        let inner = rustls::Error::InvalidCertificate(rustls::CertificateError::Expired);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, inner);
        let io = std::io::Error::other(io);
        let wrapped = Wrapper(Box::new(io));
        assert_eq!(
            refused_certificate(&wrapped).as_deref(),
            Some("it has expired")
        );
        let other = std::io::Error::new(std::io::ErrorKind::InvalidData, "something else");
        assert_eq!(refused_certificate(&other), None);
    }
}
