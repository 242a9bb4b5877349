//! `POST /sim/trigger` as clients send it: with no body at all (no `Content-Length`, as
//! `curl -X POST` sends it), a trigger with no overrides, like an empty body.

use std::sync::Arc;

use facesim::tls::Trust;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use facesim::receiver::ReceiverConfig;

use crate::support::{basic_auth, device, device_config, receiver};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trigger_without_a_body_or_a_content_length_makes_a_record() {
    let state = tempfile::tempdir().unwrap();
    let dev = device(device_config(state.path(), 0.0)).await;
    let (rx, _events) = receiver(ReceiverConfig::default()).await;
    dev.configure(&format!("http://{}/", rx.addr), true).await;
    let config = facesim::tls::client_config(&Trust::Pinned(dev.cert_pem.clone())).unwrap();
    let tcp = TcpStream::connect(dev.addr).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = TlsConnector::from(Arc::clone(&config))
        .connect(name, tcp)
        .await
        .unwrap();
    let head = format!(
        "POST /sim/trigger HTTP/1.1\r\nHost: {}\r\nAuthorization: {}\r\nConnection: close\r\n\r\n",
        dev.addr,
        basic_auth()
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tls.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(dev.stats().await["last_seq"], 1, "{answer}");
    dev.stop().await;
}
