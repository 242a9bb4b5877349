//! Trusting https receivers the way users make their certificates: a self-signed
//! certificate from `openssl req -x509` carries `CA:TRUE`, and given with `--ca-cert` it is
//! trusted for the server that presents exactly it (pinning) by every client: the device's
//! pusher, `facesim push` and `facesim load`. When trust really fails, the failure says
//! which fact failed, in words, with the fix.

use facesim::receiver::{self, ReceiverConfig};
use facesim::tls::{CertPair, Trust};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
use tokio::net::TcpListener;

use crate::support::{self, facesim_async, text};

/// How a test certificate is made.
#[derive(Clone, Copy)]
enum Made {
    /// As `openssl req -x509 -newkey rsa:2048 -nodes … -subj /CN=127.0.0.1 -addext
    /// subjectAltName=IP:127.0.0.1` makes it: self-signed, `CA:TRUE`.
    LikeOpenssl,
    /// The same, long expired.
    Expired,
    /// The same, for another host name only.
    OtherName,
    /// A self-signed server certificate without `CA:TRUE`, as rcgen makes one by default.
    Leaf,
}

/// A CA (`CA:TRUE`) certificate for 127.0.0.1 signed by a root, served as if it were a
/// server's own: the root's PEM, then the served pair.
fn ca_served_as_leaf() -> (CertPair, CertPair) {
    let mut root_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    root_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "test root");
    root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let root_key = KeyPair::generate().unwrap();
    let root = root_params.self_signed(&root_key).unwrap();
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let issuer = rcgen::Issuer::from_params(&root_params, &root_key);
    let served = params.signed_by(&key, &issuer).unwrap();
    (
        CertPair {
            cert_pem: root.pem(),
            key_pem: root_key.serialize_pem(),
        },
        CertPair {
            cert_pem: served.pem(),
            key_pem: key.serialize_pem(),
        },
    )
}

fn certificate(made: Made) -> CertPair {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    let name = match made {
        Made::Leaf => "receiver leaf",
        _ => "127.0.0.1",
    };
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.subject_alt_names = match made {
        Made::OtherName => vec![SanType::DnsName("receiver.example".try_into().unwrap())],
        _ => vec![SanType::IpAddress("127.0.0.1".parse().unwrap())],
    };
    params.is_ca = match made {
        Made::Leaf => IsCa::NoCa,
        _ => IsCa::Ca(BasicConstraints::Unconstrained),
    };
    if let Made::Expired = made {
        params.not_before = rcgen::date_time_ymd(2019, 1, 1);
        params.not_after = rcgen::date_time_ymd(2020, 1, 1);
    }
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    CertPair {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

/// Starts the reference receiver over https with `pair`; its URL and a stopper.
async fn https_receiver(pair: &CertPair) -> (String, tokio::sync::oneshot::Sender<()>) {
    facesim::tls::install_crypto_provider();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(receiver::serve(
        listener,
        Some(pair.server_config().unwrap()),
        ReceiverConfig::default(),
        None,
        async move {
            let _ = stopped.await;
        },
    ));
    (format!("https://127.0.0.1:{}/", addr.port()), stop)
}

fn pem_file(dir: &tempfile::TempDir, name: &str, pair: &CertPair) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, &pair.cert_pem).unwrap();
    path.to_string_lossy().into_owned()
}

/// `facesim push` of three events to `url` trusting `ca`: exit code and output.
async fn push(url: &str, ca: &str) -> (Option<i32>, String) {
    let out = facesim_async(
        [
            "push",
            "--to",
            url,
            "--ca-cert",
            ca,
            "--count",
            "3",
            "--rate",
            "50",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    (
        out.status.code(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_true_self_signed_certificate_given_with_ca_cert_is_trusted_by_every_client() {
    let pair = certificate(Made::LikeOpenssl);
    let (url, _stop) = https_receiver(&pair).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = pem_file(&dir, "c.pem", &pair);

    let (code, out) = push(&url, &ca).await;
    assert_eq!(code, Some(0), "push: {out}");
    assert!(out.contains("ok 3  failed 0"), "push: {out}");

    let load = facesim_async(
        [
            "load",
            "--to",
            &url,
            "--ca-cert",
            &ca,
            "--rate",
            "40",
            "--duration",
            "1s",
            "--devices",
            "2",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    let load_out = format!("{}{}", text(&load.stdout), text(&load.stderr));
    assert_eq!(load.status.code(), Some(0), "load: {load_out}");
    assert!(!load_out.contains("connect_error"), "load: {load_out}");

    // The device's own pusher, the one its pushes and callbacks go through.
    let state = tempfile::tempdir().unwrap();
    let mut config = support::device_config(state.path(), 0.0);
    config.push.trust = Trust::Pinned(pair.cert_pem.clone());
    let device = support::device(config).await;
    device.configure(&url, true).await;
    let (status, _) = device.trigger(&serde_json::json!({})).await;
    assert_eq!(status, 200);
    device
        .until("the triggered record delivered over https", async || {
            device.stats().await["pushes"]["ok"] == 1
        })
        .await;
    device.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_trust_says_which_fact_failed_and_the_fix_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let given = certificate(Made::LikeOpenssl);
    let given_file = pem_file(&dir, "given.pem", &given);
    let expired = certificate(Made::Expired);
    let other_name = certificate(Made::OtherName);
    let (root, ca_leaf) = ca_served_as_leaf();
    let cases = [
        (
            &ca_leaf,
            pem_file(&dir, "root.pem", &root),
            "presents a CA certificate (basic constraints CA:TRUE) as its own",
        ),
        // Served, given, what the words must say.
        (
            &expired,
            pem_file(&dir, "expired.pem", &expired),
            "expired on",
        ),
        (
            &other_name,
            pem_file(&dir, "other.pem", &other_name),
            "is for receiver.example, not 127.0.0.1",
        ),
        (
            &certificate(Made::Leaf),
            given_file.clone(),
            "not signed by a trusted CA; pass it or its CA with --ca-cert",
        ),
        // Another openssl-made certificate than the one given: a CA's, served as a leaf.
        (
            &certificate(Made::LikeOpenssl),
            given_file.clone(),
            "it is not the one given with --ca-cert",
        ),
    ];
    for (served, ca, words) in cases {
        let (url, _stop) = https_receiver(served).await;
        let (code, out) = push(&url, &ca).await;
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains(words), "wanted {words:?} in:\n{out}");
        assert!(
            out.contains("--ca-cert") || out.contains("reissue") || out.contains("renewed"),
            "no fix given:\n{out}"
        );
        for debug_text in ["OtherError", "InvalidCertificate", "Context {"] {
            assert!(!out.contains(debug_text), "debug text in:\n{out}");
        }
    }
}
