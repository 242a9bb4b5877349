//! Why a TLS handshake with a receiver failed, in words a user can act on: which fact of
//! the certificate failed (expired, not yet valid, another name, an unknown issuer, a CA
//! served as a server certificate) and the fix in one line, never rustls' debug text.

use rustls::{AlertDescription, CertificateError};
use rustls_pki_types::UnixTime;

/// The handshake error `e` in words, when it carries a rustls error; otherwise its own text.
pub fn handshake_error(e: &std::io::Error) -> String {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => tls_error(tls),
        None => e.to_string(),
    }
}

/// A rustls error in words, with the fix where one is known.
pub fn tls_error(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(cert) => certificate(cert),
        rustls::Error::AlertReceived(alert) => alert_received(*alert),
        rustls::Error::NoCertificatesPresented => {
            "the receiver presented no certificate; configure the server with one".into()
        }
        rustls::Error::PeerIncompatible(why) => format!(
            "the receiver's TLS settings are incompatible ({why:?}); offer TLS 1.2 or 1.3 with a modern cipher suite"
        ),
        other => format!("TLS handshake failed: {other}"),
    }
}

fn certificate(e: &CertificateError) -> String {
    match e {
        CertificateError::Expired => {
            "the receiver's certificate has expired; serve a renewed certificate".into()
        }
        CertificateError::ExpiredContext { time, not_after } => format!(
            "the receiver's certificate expired on {} (it is now {}); serve a renewed certificate",
            date(*not_after),
            date(*time)
        ),
        CertificateError::NotValidYet => {
            "the receiver's certificate is not valid yet; check both clocks or reissue it".into()
        }
        CertificateError::NotValidYetContext { time, not_before } => format!(
            "the receiver's certificate is valid only from {} (it is now {}); check both clocks or reissue it",
            date(*not_before),
            date(*time)
        ),
        CertificateError::NotValidForName => {
            "the receiver's certificate is not for the host name in the URL; use a name it lists or reissue it with that name".into()
        }
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => {
            let expected = expected.to_str();
            let listed = if presented.is_empty() {
                "no name at all".to_string()
            } else {
                presented
                    .iter()
                    .map(|name| plain_name(name))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!(
                "the receiver's certificate is for {listed}, not {expected}; use a URL with one of those names, or reissue the certificate with subjectAltName for {expected}"
            )
        }
        CertificateError::UnknownIssuer => {
            "the receiver's certificate is not signed by a trusted CA; pass it or its CA with --ca-cert (or --insecure to skip the check)".into()
        }
        CertificateError::BadSignature => {
            "the receiver's certificate names a trusted certificate as its issuer, but that certificate's key did not sign it (two certificates made with one name?); pass the certificate the receiver really serves, or the CA that signed it, with --ca-cert".into()
        }
        CertificateError::BadEncoding => {
            "the receiver's certificate is not a well-formed X.509 certificate; reissue it".into()
        }
        CertificateError::Revoked => "the receiver's certificate has been revoked".into(),
        CertificateError::UnsupportedSignatureAlgorithmContext { .. } => {
            "the receiver's certificate is signed with an algorithm this client does not support; reissue it with RSA-PSS/PKCS#1 SHA-256 or ECDSA".into()
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "the receiver's certificate is not for server authentication (its extended key usage lacks serverAuth); reissue it".into()
        }
        CertificateError::Other(other) if is_ca_as_leaf(other) => {
            "the receiver presents a CA certificate (basic constraints CA:TRUE) as its own, and it is not the one given with --ca-cert; pass that very certificate with --ca-cert to pin it, or serve a leaf certificate signed by that CA".into()
        }
        other => format!("the receiver's certificate was refused ({other:?})"),
    }
}

/// A name as webpki lists it (`DnsName("a.example")`, `IpAddress(127.0.0.1)`) as a user
/// writes it (`a.example`, `127.0.0.1`).
fn plain_name(listed: &str) -> &str {
    listed
        .split_once('(')
        .and_then(|(_, inner)| inner.strip_suffix(')'))
        .map_or(listed, |inner| inner.trim_matches('"'))
}

/// Whether webpki refused the certificate because it is a CA's, used as a server's.
fn is_ca_as_leaf(other: &rustls::OtherError) -> bool {
    other
        .0
        .downcast_ref::<webpki::Error>()
        .is_some_and(|e| matches!(e, webpki::Error::CaUsedAsEndEntity))
}

fn alert_received(alert: AlertDescription) -> String {
    match alert {
        AlertDescription::BadCertificate
        | AlertDescription::UnknownCA
        | AlertDescription::CertificateRequired => format!(
            "the receiver ended the handshake with a {alert:?} alert: it wants a client certificate, which terminals do not send"
        ),
        AlertDescription::ProtocolVersion | AlertDescription::HandshakeFailure => format!(
            "the receiver ended the handshake with a {alert:?} alert: it shares no TLS version or cipher suite with this client (TLS 1.2 and 1.3 are offered)"
        ),
        AlertDescription::NoApplicationProtocol => {
            "the receiver ended the handshake: it does not speak HTTP/1.1 (ALPN http/1.1)".into()
        }
        other => format!("the receiver ended the handshake with a {other:?} alert"),
    }
}

/// A moment as a UTC date and time, as certificates are dated.
fn date(t: UnixTime) -> String {
    let secs = i64::try_from(t.as_secs()).unwrap_or(i64::MAX);
    x509_parser::time::ASN1Time::from_timestamp(secs)
        .map_or_else(|_| format!("{secs} s after 1970"), |t| t.to_string())
}
