//! API versions through the public interfaces: a 1.3 terminal and an acknowledging
//! receiver agree and the queue empties; firmware and server that disagree keep records
//! queued, as documented; records of 1.2.1 and later carry their `uuid` unchanged on
//! redelivery and the identity headers on every push and every device answer; alarms are
//! raised on trigger under 1.3 and refused before it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use facesim::receiver::ReceiverConfig;
use facesim_proto::profile::ApiVersion;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use warp::Filter;

use crate::support::{self, TestDevice};

/// A device of `api` with its records' settings.
async fn device(dir: &std::path::Path, api: ApiVersion) -> TestDevice {
    let mut config = support::device_config(dir, 0.0);
    config.synth.api = api;
    config.push.api = api;
    support::device(config).await
}

#[tokio::test]
async fn a_1_3_terminal_and_an_acknowledging_receiver_empty_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let config = ReceiverConfig {
        api: ApiVersion::V1_3,
        ..ReceiverConfig::default()
    };
    let (receiver, mut events) = support::receiver(config).await;
    let dev = device(dir.path(), ApiVersion::V1_3).await;
    dev.configure(&format!("http://{}/eventRcv", receiver.addr), false)
        .await;
    for _ in 0..5 {
        let (status, body) = dev.trigger(&json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["outcome"], "success", "{body}");
        assert_eq!(body["data"]["queued"], false);
        // The answer is an acknowledgement: no door decision in it.
        assert_eq!(body["data"]["answer"]["pass"], Value::Null, "{body}");
    }
    let s = dev.stats().await;
    assert_eq!(s["queue"]["depth"], 0, "{s}");
    assert_eq!(s["pushes"]["ok"], 5, "{s}");
    let got = events.recv().await.expect("an event");
    let record = got.event.as_record().expect("a record");
    assert!(record.recognition_type.is_some() && record.recognize_status.is_none());
    assert!(record.uuid.is_some() && record.entry_mode.is_some());
    dev.stop().await;
}

#[tokio::test]
async fn firmware_and_server_that_disagree_keep_records_queued() {
    // A receiver written for 1.0 answers later records with HTTP 400 (it requires
    // `recognizeStatus`), so a 1.3 terminal keeps every record and retries it.
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_stop, wait) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(facesim::zoo::serve_faulty(
        listener,
        None,
        facesim::zoo::Fault::RequiresRecognizeStatus,
        async move {
            let _ = wait.await;
        },
    ));
    let dev = device(dir.path(), ApiVersion::V1_3).await;
    dev.configure(&format!("http://{addr}/eventRcv"), false)
        .await;
    let (_, body) = dev.trigger(&json!({})).await;
    assert_eq!(body["data"]["outcome"], "http_status", "{body}");
    assert_eq!(body["data"]["queued"], true);
    dev.stop().await;

    // A 1.0 terminal meeting a receiver that only acknowledges (1.1 and later) gets no
    // door decision: the answer is malformed for it, and the record stays queued.
    let dir = tempfile::tempdir().unwrap();
    let config = ReceiverConfig {
        api: ApiVersion::V1_1,
        ..ReceiverConfig::default()
    };
    let (receiver, _events) = support::receiver(config).await;
    let dev = device(dir.path(), ApiVersion::V1_0).await;
    dev.configure(&format!("http://{}/eventRcv", receiver.addr), false)
        .await;
    let (_, body) = dev.trigger(&json!({})).await;
    assert_eq!(body["data"]["outcome"], "malformed", "{body}");
    assert!(
        body["data"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("data.pass")),
        "{body}"
    );
    dev.stop().await;
}

/// A receiver that records each request's headers and body, answers 500 to the first
/// `fail_first` requests and acknowledges the rest.
/// What the recording receiver saw: each request's headers and body.
type Seen = Arc<Mutex<Vec<(http::HeaderMap, Value)>>>;

async fn recording_receiver(
    fail_first: usize,
) -> (std::net::SocketAddr, Seen, tokio::sync::oneshot::Sender<()>) {
    let seen: Seen = Arc::default();
    let route = {
        let seen = seen.clone();
        warp::post()
            .and(warp::header::headers_cloned())
            .and(warp::body::json::<Value>())
            .map(move |headers: http::HeaderMap, body: Value| {
                let mut seen = seen.lock().unwrap();
                seen.push((headers, body));
                let status = if seen.len() <= fail_first {
                    http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    http::StatusCode::OK
                };
                warp::Reply::into_response(warp::reply::with_status(
                    warp::reply::json(&json!({"code": 200, "msg": "success", "data": {}})),
                    status,
                ))
            })
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, wait) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(facesim::server::serve(
        listener,
        None,
        warp::service(route),
        async move {
            let _ = wait.await;
        },
    ));
    (addr, seen, stop)
}

#[tokio::test]
async fn redeliveries_keep_the_uuid_and_every_answer_names_the_device() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, seen, _stop) = recording_receiver(1).await;
    let dev = device(dir.path(), ApiVersion::V1_2_1).await;
    dev.configure(&format!("http://{addr}/eventRcv"), false)
        .await;
    let (_, body) = dev.trigger(&json!({})).await;
    assert_eq!(body["data"]["queued"], true, "the first push gets HTTP 500");
    // The delivery loop sends the queued record again once pushing is enabled.
    dev.configure(&format!("http://{addr}/eventRcv"), true)
        .await;
    dev.until("the redelivery", async || seen.lock().unwrap().len() >= 2)
        .await;
    let seen = seen.lock().unwrap().clone();
    let (first, again) = (&seen[0], &seen[1]);
    assert_eq!(
        first.1, again.1,
        "a redelivery is the same record, byte for byte"
    );
    let uuid = first.1["data"]["uuid"].as_str().expect("a uuid");
    assert_eq!(uuid.len(), 36);
    for name in ["model", "sn", "timestamp", "account"] {
        assert!(first.0.contains_key(name), "push header {name}");
    }
    assert_eq!(first.0["sn"], "PS71HD01MC22C00014");
    // The device API's answers carry the same headers, failures included.
    let answer = dev
        .client
        .get(format!("{}/v1/no/such/route", dev.api))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
    assert_eq!(answer.headers()["sn"], "PS71HD01MC22C00014");
    assert!(answer.headers().contains_key("account"));
    dev.stop().await;
}

#[tokio::test]
async fn alarms_are_raised_on_trigger_under_1_3_and_refused_before() {
    let dir = tempfile::tempdir().unwrap();
    let config = ReceiverConfig {
        api: ApiVersion::V1_3,
        ..ReceiverConfig::default()
    };
    let (receiver, mut events) = support::receiver(config).await;
    let dev = device(dir.path(), ApiVersion::V1_3).await;
    dev.configure(&format!("http://{}/eventRcv", receiver.addr), false)
        .await;
    let (status, body) = dev.trigger(&json!({"type": 1, "code": 10001})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["outcome"], "success", "{body}");
    let got = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("in time")
        .expect("an event");
    let alarm = got.event.as_alarm().expect("an alarm");
    assert_eq!(alarm.code.map(|c| c.code()), Some(10001));
    assert!(alarm.trace_id.starts_with("SPX-") && alarm.event_time > 1_000_000_000_000);
    dev.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let dev = device(dir.path(), ApiVersion::V1_2).await;
    dev.configure(&format!("http://{}/eventRcv", receiver.addr), false)
        .await;
    let before = dev.stats().await["last_seq"].clone();
    let (status, body) = dev.trigger(&json!({"type": 1})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], 400);
    assert!(
        body["msg"].as_str().is_some_and(|m| m.contains("1.3")),
        "{body}"
    );
    assert_eq!(dev.stats().await["last_seq"], before, "nothing changed");
    dev.stop().await;
}
