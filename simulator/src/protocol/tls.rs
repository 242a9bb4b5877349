//! TLS material: the one crypto provider (ring), self-signed certificates for the device
//! API, PEM loading, and the trust choices (and client configurations) for `https`
//! receivers.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::{ClientConfig, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

mod explain;
mod verify;

pub use explain::{handshake_error, tls_error};

/// Why TLS material could not be made or loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("cannot read {path}: {reason}")]
    Pem { path: PathBuf, reason: String },
    /// Certificate generation failed.
    #[error("cannot generate a certificate: {0}")]
    Generate(String),
    /// rustls refused the certificate and key.
    #[error("certificate and key do not make a TLS configuration: {0}")]
    Config(String),
}

/// Installs ring as the process-wide rustls provider. rcgen uses ring, and rustls cannot
/// choose on its own when two providers are compiled in, so every entry point calls this
/// before any TLS work. Calling it more than once is harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A certificate and its private key, both PEM.
#[derive(Debug, Clone)]
pub struct CertPair {
    pub cert_pem: String,
    pub key_pem: String,
}

impl CertPair {
    /// Generates a self-signed certificate for `localhost`, `127.0.0.1` and `::1` plus any
    /// extra names, as the real terminal makes one on first boot.
    ///
    /// # Errors
    /// [`TlsError::Generate`] when rcgen fails.
    pub fn self_signed(extra_names: &[String]) -> Result<Self, TlsError> {
        let mut names = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
        names.extend(extra_names.iter().cloned());
        let certified = rcgen::generate_simple_self_signed(names)
            .map_err(|e| TlsError::Generate(e.to_string()))?;
        Ok(Self {
            cert_pem: certified.cert.pem(),
            key_pem: certified.signing_key.serialize_pem(),
        })
    }

    /// Loads a pair from two PEM files.
    ///
    /// # Errors
    /// [`TlsError::Pem`] naming the file that could not be read.
    pub fn load(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|e| TlsError::Pem {
                path: p.to_path_buf(),
                reason: e.to_string(),
            })
        };
        Ok(Self {
            cert_pem: read(cert)?,
            key_pem: read(key)?,
        })
    }

    /// A rustls server configuration offering HTTP/1.1 and HTTP/2.
    ///
    /// # Errors
    /// [`TlsError`] when the PEM holds no certificate or key, or they do not match.
    pub fn server_config(&self) -> Result<Arc<ServerConfig>, TlsError> {
        install_crypto_provider();
        let certs = certs_from_pem(&self.cert_pem, Path::new("certificate"))?;
        let key =
            PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).map_err(|e| TlsError::Pem {
                path: PathBuf::from("private key"),
                reason: e.to_string(),
            })?;
        let mut config = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| TlsError::Config(e.to_string()))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// Parses every certificate in a PEM text.
///
/// # Errors
/// [`TlsError::Pem`] when the text holds no certificate.
pub fn certs_from_pem(pem: &str, origin: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Pem {
            path: origin.to_path_buf(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            path: origin.to_path_buf(),
            reason: "no certificate found".into(),
        });
    }
    Ok(certs)
}

/// How the simulator checks the certificate of an `https` receiver. The real device's
/// behaviour is undocumented; verifying by default is the safe reading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Trust {
    /// Verify against the system's roots.
    #[default]
    System,
    /// Trust these certificates only, given as PEM: a server presenting one of them exactly
    /// is trusted whatever its basic constraints (pinning, as `openssl req -x509` makes
    /// them with `CA:TRUE`); any other must chain to one of them.
    Pinned(String),
    /// Do not verify at all (testing only; a warning is logged).
    Insecure,
}

impl Trust {
    /// Builds the trust choice from the two CLI flags.
    ///
    /// # Errors
    /// [`TlsError::Pem`] when the CA file cannot be read or holds no certificate.
    pub fn from_flags(insecure: bool, ca_cert: Option<&Path>) -> Result<Self, TlsError> {
        match (insecure, ca_cert) {
            (true, _) => Ok(Trust::Insecure),
            (false, Some(path)) => {
                let pem = std::fs::read_to_string(path).map_err(|e| TlsError::Pem {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                })?;
                certs_from_pem(&pem, path)?;
                Ok(Trust::Pinned(pem))
            }
            (false, None) => Ok(Trust::System),
        }
    }
}

/// A rustls client configuration for a trust choice, offering HTTP/1.1 only (terminals
/// speak HTTP/1.1). The system's roots come from the platform verifier, as for the
/// device's own pushes; `Insecure` still checks handshake signatures, so the session is at
/// least with the holder of the presented key.
///
/// # Errors
/// [`TlsError`] when the pinned PEM holds no usable certificate or the platform verifier
/// cannot start.
pub fn client_config(trust: &Trust) -> Result<Arc<ClientConfig>, TlsError> {
    install_crypto_provider();
    let builder = ClientConfig::builder();
    let mut config = match trust {
        Trust::System => {
            let verifier = system_verifier(builder.crypto_provider())?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth()
        }
        Trust::Pinned(pem) => {
            let certs = certs_from_pem(pem, Path::new("--ca-cert"))?;
            let pinned = verify::Pinned::new(certs).ok_or_else(|| TlsError::Pem {
                path: PathBuf::from("--ca-cert"),
                reason: "no usable certificate".into(),
            })?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(pinned))
                .with_no_client_auth()
        }
        Trust::Insecure => {
            tracing::warn!("receiver certificates are not verified (--insecure)");
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verify::AcceptAnyCert::new(
                    &rustls::crypto::ring::default_provider(),
                )))
                .with_no_client_auth()
        }
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The platform verifier, started once per process and shared by every client
/// configuration that trusts the system's roots. Starting it reads and parses every root
/// certificate of the system (on Linux, each file of the certificate directory): done per
/// terminal, that was most of a fleet's start-up and ~70 kB of memory per terminal. Each
/// configuration still has its own session cache, so no two terminals share a session.
fn system_verifier(
    provider: &Arc<rustls::crypto::CryptoProvider>,
) -> Result<Arc<dyn rustls::client::danger::ServerCertVerifier>, TlsError> {
    static VERIFIER: std::sync::OnceLock<Arc<rustls_platform_verifier::Verifier>> =
        std::sync::OnceLock::new();
    if let Some(verifier) = VERIFIER.get() {
        return Ok(verifier.clone());
    }
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())
        .map_err(|e| TlsError::Config(e.to_string()))?;
    // Two threads starting at once both build one; the first stored is kept.
    Ok(VERIFIER.get_or_init(|| Arc::new(verifier)).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_pair_makes_a_server_config() {
        let pair = CertPair::self_signed(&[]).unwrap();
        assert!(pair.cert_pem.contains("BEGIN CERTIFICATE"));
        pair.server_config().unwrap();
    }

    #[test]
    fn garbage_pem_is_refused() {
        let pair = CertPair {
            cert_pem: "nothing".into(),
            key_pem: "nothing".into(),
        };
        assert!(matches!(pair.server_config(), Err(TlsError::Pem { .. })));
    }
}
