//! A receiver serving the self-signed certificate `openssl req -x509` makes (`CA:TRUE`)
//! passes when that very certificate is given with `--ca-cert`, under `facecert run`
//! and `facecert auth` alike, as curl accepts it with `--cacert`.

use facesim::receiver::{self, ReceiverConfig};
use facesim::tls::CertPair;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
use tokio::net::TcpListener;

/// A certificate as openssl's `req -x509 … -subj /CN=127.0.0.1 -addext
/// subjectAltName=IP:127.0.0.1` makes it: self-signed, basic constraints `CA:TRUE`.
fn like_openssl() -> CertPair {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("parameters");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "127.0.0.1");
    params.subject_alt_names = vec![SanType::IpAddress("127.0.0.1".parse().expect("an IP"))];
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().expect("a key");
    let cert = params.self_signed(&key).expect("a certificate");
    CertPair {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_true_certificate_given_with_ca_cert_is_trusted_in_both_suites() {
    facesim::tls::install_crypto_provider();
    let pair = like_openssl();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let config = ReceiverConfig {
        api: facesim_proto::profile::ApiVersion::V1_3,
        ..ReceiverConfig::default()
    };
    let (stop, stopped) = crate::support::stopper();
    tokio::spawn(receiver::serve(
        listener,
        Some(pair.server_config().expect("TLS configuration")),
        config,
        None,
        stopped,
    ));
    let dir = tempfile::tempdir().expect("temp dir");
    let pem = dir.path().join("c.pem");
    std::fs::write(&pem, &pair.cert_pem).expect("write the certificate");
    let pem = pem.to_string_lossy().into_owned();
    // The auth suite has no TLS check of its own: its first request, the heartbeat, is
    // the handshake that must succeed.
    for (suite, path, first) in [("run", "eventRcv", "T-02"), ("auth", "auth", "AH-01")] {
        let url = format!("https://127.0.0.1:{port}/{path}");
        let args: Vec<String> = [
            suite,
            &url,
            "--api-version",
            "1.3",
            "--ca-cert",
            &pem,
            "--load-events",
            "20",
            "--concurrency",
            "2",
        ]
        .map(String::from)
        .to_vec();
        let out = crate::binary::facecert(args).await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .find(|l| l.contains(first))
            .unwrap_or_default();
        assert!(
            line.contains("PASS"),
            "{suite}: {first} is {line:?}\n{stdout}"
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{suite}:\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    drop(stop);
}
