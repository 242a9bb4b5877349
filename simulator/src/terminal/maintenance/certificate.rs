//! The API's certificate (`/v1/auth/certificate`): an uploaded certificate and key are
//! validated (both PEM, a certificate, a key that matches it) and kept in the state
//! directory beside the factory pair; the one in force is chosen at each boot, so that a
//! new one takes effect after a reboot, as on the terminal.
//!
//! On disk: `cert.pem`/`key.pem` are the factory pair (made at first start; the one
//! clients pin), `uploaded-cert.pem`/`uploaded-key.pem` the uploaded one. The key is
//! written before the certificate; a boot that finds the two do not make a TLS
//! configuration (a kill between the two writes) serves the factory pair and logs why.

use std::path::Path;

use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;

use crate::store::{StoreError, write_atomic};
use crate::tls::CertPair;

const UPLOADED_CERT: &str = "uploaded-cert.pem";
const UPLOADED_KEY: &str = "uploaded-key.pem";

/// Checks an uploaded certificate and key.
///
/// # Errors
/// A message naming what is wrong: not PEM, no certificate, no key, or a key that does
/// not match the certificate.
pub fn validate(crt: &[u8], key: &[u8]) -> Result<CertPair, String> {
    let text = |bytes: &[u8], part: &str| -> Result<String, String> {
        match std::str::from_utf8(bytes) {
            Ok(t) if t.contains("-----BEGIN ") => Ok(t.to_string()),
            _ => Err(format!("{part} is not PEM")),
        }
    };
    let cert_pem = text(crt, "crt")?;
    let key_pem = text(key, "key")?;
    crate::tls::certs_from_pem(&cert_pem, Path::new("crt"))
        .map_err(|_| "crt holds no certificate".to_string())?;
    PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|_| "key holds no private key".to_string())?;
    let pair = CertPair { cert_pem, key_pem };
    pair.server_config().map_err(|e| match e {
        crate::tls::TlsError::Config(reason) => {
            format!("crt and key do not make a certificate in force: {reason}")
        }
        other => other.to_string(),
    })?;
    Ok(pair)
}

/// Keeps `pair` as the certificate for the next boot.
///
/// # Errors
/// [`StoreError::Io`].
pub fn save_uploaded(state_dir: &Path, pair: &CertPair) -> Result<(), StoreError> {
    write_atomic(&state_dir.join(UPLOADED_KEY), pair.key_pem.as_bytes())?;
    write_atomic(&state_dir.join(UPLOADED_CERT), pair.cert_pem.as_bytes())
}

/// Forgets the uploaded certificate: the next boot serves the factory one.
///
/// # Errors
/// [`StoreError::Io`] when a file exists but cannot be removed.
pub fn remove_uploaded(state_dir: &Path) -> Result<(), StoreError> {
    for name in [UPLOADED_CERT, UPLOADED_KEY] {
        let path = state_dir.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(StoreError::Io { path, source }),
        }
    }
    Ok(())
}

/// The uploaded pair, when there is a usable one; `Err` says why one present is not.
pub fn uploaded(state_dir: &Path) -> Option<Result<CertPair, String>> {
    let (cert, key) = (state_dir.join(UPLOADED_CERT), state_dir.join(UPLOADED_KEY));
    if !cert.exists() && !key.exists() {
        return None;
    }
    Some(
        CertPair::load(&cert, &key)
            .map_err(|e| e.to_string())
            .and_then(|pair| validate(pair.cert_pem.as_bytes(), pair.key_pem.as_bytes())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matching_pair_is_kept_and_a_mismatched_or_non_pem_one_refused() {
        crate::tls::install_crypto_provider();
        let a = CertPair::self_signed(&[]).unwrap();
        let b = CertPair::self_signed(&[]).unwrap();
        validate(a.cert_pem.as_bytes(), a.key_pem.as_bytes()).unwrap();
        let err = validate(a.cert_pem.as_bytes(), b.key_pem.as_bytes()).unwrap_err();
        assert!(err.contains("do not make"), "{err}");
        let err = validate(b"hello", a.key_pem.as_bytes()).unwrap_err();
        assert_eq!(err, "crt is not PEM");
        let err = validate(a.key_pem.as_bytes(), a.key_pem.as_bytes()).unwrap_err();
        assert_eq!(err, "crt holds no certificate");
        let err = validate(a.cert_pem.as_bytes(), a.cert_pem.as_bytes()).unwrap_err();
        assert_eq!(err, "key holds no private key");

        let dir = tempfile::tempdir().unwrap();
        assert!(uploaded(dir.path()).is_none());
        save_uploaded(dir.path(), &a).unwrap();
        assert_eq!(uploaded(dir.path()).unwrap().unwrap().cert_pem, a.cert_pem);
        // A torn pair (a kill between the two writes) is reported, not served.
        std::fs::write(dir.path().join(UPLOADED_KEY), &b.key_pem).unwrap();
        assert!(uploaded(dir.path()).unwrap().is_err());
        remove_uploaded(dir.path()).unwrap();
        assert!(uploaded(dir.path()).is_none());
    }
}
