//! Every answer arrives whole over both HTTP versions, including the ones a server gives
//! before it has read the request body (401 before the credentials, 413 on the length
//! alone), with bodies large and small, many times over so that a race would show.

use std::time::Duration;

use base64::Engine;
use facesim::receiver::ReceiverConfig;
use reqwest::Version;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{self, basic_auth, device, device_config, receiver};

/// How many times each exchange is repeated: the lost answers showed in about one try in
/// six for small bodies, and in every try for large ones.
const ROUNDS: usize = 24;

/// A user whose avatar (270 KB of base64) is not an image: read whole, then refused.
fn big_user() -> Vec<u8> {
    let noise: Vec<u8> = (0..210_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let avatar = base64::engine::general_purpose::STANDARD.encode(noise);
    serde_json::to_vec(&json!({"user_id": 7, "name": "Big Avatar", "type": 1, "avatar": avatar}))
        .unwrap()
}

fn client(cert_pem: &str, version: Version, credentials: bool) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .tls_certs_only(reqwest::Certificate::from_pem_bundle(cert_pem.as_bytes()).unwrap())
        .timeout(Duration::from_secs(20))
        // A fresh connection for every request, as `curl` makes.
        .pool_max_idle_per_host(0);
    builder = if version == Version::HTTP_2 {
        builder.http2_prior_knowledge()
    } else {
        builder.http1_only()
    };
    if credentials {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            reqwest::header::HeaderValue::from_str(&basic_auth()).unwrap(),
        );
        builder = builder.default_headers(headers);
    }
    builder.build().unwrap()
}

/// Sends `body` to `path` `ROUNDS` times and checks that every answer is the envelope
/// with `status`, over `version`.
async fn every_answer_whole(
    client: &reqwest::Client,
    url: &str,
    body: &[u8],
    version: Version,
    status: u16,
) {
    for round in 0..ROUNDS {
        let answer = client
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{version:?} round {round} to {url}: {e:?}"));
        assert_eq!(answer.version(), version);
        assert_eq!(
            answer.status().as_u16(),
            status,
            "{version:?} round {round}"
        );
        let bytes = answer
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("{version:?} round {round}: body lost: {e:?}"));
        let envelope: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(envelope["code"], status, "{envelope}");
        assert!(envelope["data"].is_null());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_and_late_refusals_arrive_whole_over_http2_and_http1() {
    let dir = tempfile::tempdir().unwrap();
    let dev = device(device_config(dir.path(), 0.0)).await;
    let big = big_user();
    assert!(big.len() >= 270_000, "{}", big.len());
    let small = br#"{"user_id": 7, "name": "Small"}"#.to_vec();
    let users = format!("{}/v1/user", dev.api);
    let subscribe = format!("{}/v1/event/subscribe", dev.api);
    for version in [Version::HTTP_2, Version::HTTP_11] {
        let anonymous = client(&dev.cert_pem, version, false);
        let admin = client(&dev.cert_pem, version, true);
        // Refused on the credentials, before the body is read.
        every_answer_whole(&anonymous, &users, &big, version, 401).await;
        every_answer_whole(&anonymous, &users, &small, version, 401).await;
        // Refused on the length alone (the subscription takes 64 KB at most).
        every_answer_whole(&admin, &subscribe, &big, version, 413).await;
        // Read whole, then refused by validation: the avatar is no image.
        every_answer_whole(&admin, &users, &big, version, 400).await;
    }
    // Nothing refused was stored.
    let (status, page) = support::call(
        client(&dev.cert_pem, Version::HTTP_2, true).get(format!("{}/v1/user/id/7", dev.api)),
    )
    .await;
    assert_eq!(status, 404, "{page}");
    dev.stop().await;
}

/// Over HTTP/1.1 a client that writes its whole request before reading (the simplest
/// client there is) still reads the 413 a receiver gives on the length alone: the server
/// reads the unread body away instead of closing on it, which would reset the connection
/// under the answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raw_http1_client_reads_the_early_413_after_writing_its_whole_body() {
    let (running, _events) = receiver(ReceiverConfig {
        max_body: 64 * 1024,
        ..ReceiverConfig::default()
    })
    .await;
    // Larger than the socket buffers, so that the server answers while the client is
    // still writing.
    let body = vec![b'x'; 8 * 1024 * 1024];
    for round in 0..ROUNDS / 4 {
        let mut socket = tokio::net::TcpStream::connect(running.addr).await.unwrap();
        let head = format!(
            "POST /eventRcv HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            running.addr,
            body.len()
        );
        socket.write_all(head.as_bytes()).await.unwrap();
        socket
            .write_all(&body)
            .await
            .unwrap_or_else(|e| panic!("round {round}: the body could not be written: {e}"));
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), async {
            let mut buf = [0u8; 4096];
            loop {
                let n = socket.read(&mut buf).await?;
                answer.extend_from_slice(&buf[..n]);
                if n == 0 || complete(&answer) {
                    return Ok::<_, std::io::Error>(());
                }
            }
        })
        .await
        .expect("no answer within 10 s");
        read.unwrap_or_else(|e| panic!("round {round}: answer lost: {e}"));
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 413"), "round {round}: {text}");
        let json = &text[text.find("\r\n\r\n").unwrap() + 4..];
        let envelope: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(envelope["code"], 413);
    }
}

/// Whether a buffer holds a whole answer with a `content-length` body.
fn complete(answer: &[u8]) -> bool {
    let text = String::from_utf8_lossy(answer);
    let Some(end) = text.find("\r\n\r\n") else {
        return false;
    };
    let length = text[..end]
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    answer.len() >= end + 4 + length
}

/// Over HTTP/2 a stream answered before its body was read ends cleanly: the client sends
/// its whole body and the server never resets the stream (curl reports a reset, even after
/// the answer, as "(92) Stream error in the HTTP/2 framing layer").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_stream_answered_early_is_not_reset() {
    let (running, _events) = receiver(ReceiverConfig {
        max_body: 1024,
        ..ReceiverConfig::default()
    })
    .await;
    for (round, size) in (0..ROUNDS).zip([300_000usize, 2_000].into_iter().cycle()) {
        let tcp = tokio::net::TcpStream::connect(running.addr).await.unwrap();
        let (client, connection) = h2::client::handshake(tcp).await.unwrap();
        tokio::spawn(connection);
        let mut client = client.ready().await.unwrap();
        let request = http::Request::post(format!("http://{}/eventRcv", running.addr))
            .header("content-type", "application/json")
            .header("content-length", size)
            .body(())
            .unwrap();
        let (answer, mut send) = client.send_request(request, false).unwrap();
        let upload = tokio::spawn(async move {
            let mut left = size;
            while left > 0 {
                send.reserve_capacity(left.min(16 * 1024));
                let granted = std::future::poll_fn(|cx| send.poll_capacity(cx))
                    .await
                    .expect("the stream was reset before its body was sent")?;
                let n = granted.min(left);
                left -= n;
                send.send_data(bytes::Bytes::from(vec![b'x'; n]), left == 0)?;
            }
            Ok::<_, h2::Error>(())
        });
        let answer = answer.await.unwrap();
        assert_eq!(answer.status(), 413, "round {round}");
        let mut body = answer.into_body();
        let mut json = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.unwrap_or_else(|e| panic!("round {round}: answer cut: {e}"));
            let _ = body.flow_control().release_capacity(chunk.len());
            json.extend_from_slice(&chunk);
        }
        let envelope: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(envelope["code"], 413);
        let sent = tokio::time::timeout(Duration::from_secs(10), upload)
            .await
            .expect("the body could not be sent within 10 s")
            .unwrap();
        if let Err(e) = sent {
            panic!("round {round} ({size} bytes): the stream was reset: {e}");
        }
    }
}
