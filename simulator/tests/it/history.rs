//! History (`POST /v1/event/records`) and the live feed (`GET /v1/event`, a WebSocket)
//! over HTTPS on loopback, with records made through `/sim/trigger`.

use std::net::SocketAddr;
use std::sync::Arc;

use facesim::clock::ManualClock;
use facesim::device::{Device, DeviceConfig};
use facesim::receiver::ReceiverConfig;
use facesim_proto::profile::ApiVersion;
use futures_util::StreamExt;
use proptest::prelude::*;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite;

use crate::support::{self, TestDevice, call};

/// The calls these tests make of a device served over HTTPS.
impl TestDevice {
    async fn records(&self, query: &Value) -> (u16, Value) {
        call(
            self.client
                .post(format!("{}/v1/event/records", self.api))
                .json(query),
        )
        .await
    }

    async fn trigger_one(&self) -> Value {
        let (status, body) = call(
            self.client
                .post(format!("{}/sim/trigger", self.api))
                .json(&json!({})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Points pushes at `receiver` without enabling them, so only triggers make records.
    async fn point_at(&self, receiver: SocketAddr) {
        let body = json!({"event_dest": format!("http://{receiver}/eventRcv"), "enabled": false});
        let (status, _) = call(
            self.client
                .post(format!("{}/v1/event/subscribe", self.api))
                .json(&body),
        )
        .await;
        assert_eq!(status, 200);
    }
}

fn config(dir: &std::path::Path, api: ApiVersion, clock: Arc<ManualClock>) -> DeviceConfig {
    let mut config = support::device_config(dir, 0.0);
    config.synth.api = api;
    config.synth.alarm_share = Some(0.0);
    config.push.api = api;
    config.clock = clock;
    config
}

fn receiver_config(api: ApiVersion) -> ReceiverConfig {
    ReceiverConfig {
        api,
        ..ReceiverConfig::default()
    }
}

/// The `timestamp`s of a page's items.
fn times(page: &Value) -> Vec<i64> {
    page["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["timestamp"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn history_answers_the_documented_query_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (receiver, _events) = support::receiver(receiver_config(ApiVersion::V1_3)).await;
    let clock = ManualClock::at(1_700_000_000);
    let dev = support::device(config(dir.path(), ApiVersion::V1_3, clock.clone())).await;
    dev.point_at(receiver.addr).await;
    // Twelve records, ten seconds apart.
    for n in 0..12 {
        clock.set(1_700_000_000 + 10 * n);
        dev.trigger_one().await;
    }
    let (status, all) = dev.records(&json!({})).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["code"], 200);
    let data = &all["data"];
    assert_eq!(
        (
            &data["offset"],
            &data["limit"],
            &data["count"],
            &data["total"]
        ),
        (&json!(0), &json!(100), &json!(12), &json!(12))
    );
    let expected: Vec<i64> = (0..12).map(|n| 1_700_000_000 + 10 * n).collect();
    assert_eq!(times(&all), expected);
    for item in data["items"].as_array().unwrap() {
        assert!(item["user"].is_object(), "user is always there: {item}");
        assert!(
            item["user"].get("groups").is_none(),
            "groups beside user: {item}"
        );
        assert!(item["groups"].is_array(), "{item}");
        let jpeg = base64_decode(item["rgb_image"].as_str().unwrap());
        assert_eq!(
            &jpeg[..2],
            &[0xFF, 0xD8],
            "the snapshot is kept (record_image on)"
        );
    }

    // Range, newest first, paged; a trailing slash is accepted.
    let (_, page) = call(
        dev.client
            .post(format!("{}/v1/event/records/", dev.api))
            .json(
                &json!({"begin_time": 1_700_000_020, "end_time": 1_700_000_090,
                "sort": 1, "offset": 1, "limit": 3}),
            ),
    )
    .await;
    assert_eq!(page["data"]["total"], 8, "{page}");
    assert_eq!(
        times(&page),
        vec![1_700_000_080, 1_700_000_070, 1_700_000_060]
    );

    // A person's records by user_id, which wins over the other filters.
    let known = data["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["user"]["name"].is_string())
        .expect("somebody known among twelve records")
        .clone();
    let id = known["user"]["user_id"].as_str().unwrap().to_string();
    let (_, theirs) = dev
        .records(&json!({"user_id": id, "job_number": "nobody", "ic_number": "nobody"}))
        .await;
    let count = theirs["data"]["total"].as_u64().unwrap();
    assert!(count >= 1);
    for item in theirs["data"]["items"].as_array().unwrap() {
        assert_eq!(item["user"]["user_id"], id.as_str());
    }
    let (_, by_job) = dev
        .records(&json!({"job_number": known["user"]["job_number"]}))
        .await;
    assert_eq!(by_job["data"]["total"], count);

    // Refused queries get the envelope with a matching status.
    for (query, needle) in [
        (json!({"limit": 201}), "limit"),
        (json!({"begin_time": 20, "end_time": 10}), "end_time"),
        (json!({"sort": 3}), "sort"),
        (json!({"offset": -1}), "offset"),
        (json!({"user_id": true}), "user_id"),
        (json!([1]), "object"),
    ] {
        let (status, body) = dev.records(&query).await;
        assert_eq!(
            (status, &body["code"]),
            (400, &json!(400)),
            "{query}: {body}"
        );
        assert!(body["msg"].as_str().unwrap().contains(needle), "{body}");
        assert_eq!(body["data"], Value::Null);
    }
    let (status, body) = call(dev.client.get(format!("{}/v1/event/records", dev.api))).await;
    assert_eq!((status, &body["code"]), (405, &json!(405)), "{body}");

    let (_, stats) = call(dev.client.get(format!("{}/sim/history", dev.api))).await;
    assert_eq!(stats["data"]["records"], 12, "{stats}");
    assert_eq!(stats["data"]["capacity"], 100_000);
    assert_eq!(stats["data"]["dropped"], 0);
    dev.stop().await;

    // After a restart the log is all there.
    let dev = support::device(config(dir.path(), ApiVersion::V1_3, clock.clone())).await;
    let (_, again) = dev.records(&json!({})).await;
    assert_eq!(again, all);
    dev.stop().await;
}

#[tokio::test]
async fn history_follows_the_version_ids_limits_and_record_image() {
    let dir = tempfile::tempdir().unwrap();
    let (receiver, _events) = support::receiver(receiver_config(ApiVersion::V1_2)).await;
    let clock = ManualClock::at(1_700_000_000);
    let dev = support::device(config(dir.path(), ApiVersion::V1_2, clock.clone())).await;
    dev.point_at(receiver.addr).await;
    for _ in 0..3 {
        dev.trigger_one().await;
    }
    // With record_image off, records keep no snapshot.
    let (status, body) = support::call(
        dev.client
            .post(format!("{}/v1/device/functions", dev.api))
            .json(&json!({"record": true, "record_image": false, "alarm_record": true})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for _ in 0..3 {
        dev.trigger_one().await;
    }
    let (status, page) = dev.records(&json!({})).await;
    assert_eq!(status, 200, "{page}");
    // API 1.2: a page of 20 by default, 25 at most, integer ids, no groups.
    assert_eq!(page["data"]["limit"], 20);
    let items = page["data"]["items"].as_array().unwrap();
    let kept: Vec<bool> = items
        .iter()
        .map(|i| !i["rgb_image"].as_str().unwrap().is_empty())
        .collect();
    assert_eq!(kept, [true, true, true, false, false, false]);
    for item in items {
        assert!(item["user"]["user_id"].is_i64(), "{item}");
        assert!(item.get("groups").is_none() && item.get("uuid").is_none());
    }
    let (status, body) = dev.records(&json!({"limit": 26})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(dev.records(&json!({"limit": 25})).await.0, 200);
    dev.stop().await;

    // Before 1.2 there is no history.
    let dir = tempfile::tempdir().unwrap();
    let dev = support::device(config(dir.path(), ApiVersion::V1_1, clock)).await;
    let (status, body) = dev.records(&json!({})).await;
    assert_eq!((status, &body["code"]), (404, &json!(404)), "{body}");
    assert!(body["msg"].as_str().unwrap().contains("1.2"), "{body}");
    dev.stop().await;
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

pub(crate) type Feed =
    tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<TcpStream>>;

/// Opens the live feed over TLS, trusting only the device's certificate.
pub(crate) async fn connect(addr: SocketAddr, cert_pem: &str) -> Result<Feed, tungstenite::Error> {
    let config =
        facesim::tls::client_config(&facesim::tls::Trust::Pinned(cert_pem.into())).unwrap();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .unwrap();
    // The upgrade needs credentials like every other route.
    let mut request = tungstenite::client::IntoClientRequest::into_client_request(format!(
        "wss://{addr}/v1/event"
    ))?;
    request.headers_mut().insert(
        tungstenite::http::header::AUTHORIZATION,
        tungstenite::http::HeaderValue::from_str(&support::basic_auth()).unwrap(),
    );
    let (feed, response) = tokio_tungstenite::client_async(request, tls).await?;
    assert_eq!(response.status(), 101);
    Ok(feed)
}

/// The next text message of a feed, as JSON.
async fn next_message(feed: &mut Feed) -> Value {
    loop {
        match feed.next().await.expect("the feed is open").unwrap() {
            tungstenite::Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            tungstenite::Message::Close(frame) => panic!("closed: {frame:?}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn the_live_feed_sends_each_record_to_three_clients_and_refuses_a_fourth() {
    let dir = tempfile::tempdir().unwrap();
    let (receiver, mut pushed) = support::receiver(receiver_config(ApiVersion::V1_3)).await;
    let clock = ManualClock::at(1_700_000_000);
    let dev = support::device(config(dir.path(), ApiVersion::V1_3, clock)).await;
    dev.point_at(receiver.addr).await;
    let mut feeds = Vec::new();
    for _ in 0..3 {
        feeds.push(connect(dev.addr, &dev.cert_pem).await.unwrap());
    }
    match connect(dev.addr, &dev.cert_pem).await {
        Err(tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503);
            let body: Value = serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
            assert_eq!(body["code"], 503, "{body}");
            assert!(
                body["msg"].as_str().unwrap().contains("at most 3"),
                "{body}"
            );
            assert_eq!(body["data"], Value::Null);
        }
        other => panic!(
            "a fourth client must be refused, got {:?}",
            other.map(|_| ())
        ),
    }

    let profile = ApiVersion::V1_3.profile();
    let push_only = ["entry_mode", "abnormal_type", "pin"];
    for _ in 0..3 {
        let report = dev.trigger_one().await;
        let pushed = pushed.recv().await.expect("the push");
        let pushed = serde_json::to_value(pushed.event.as_record().unwrap()).unwrap();
        for feed in &mut feeds {
            let message = next_message(feed).await;
            assert_eq!(message["type"], 0, "{message}");
            let data = message["data"].as_object().unwrap();
            // The push's fields without the push-only ones, the same values.
            let mut expected: Vec<&str> = profile
                .record_fields()
                .into_iter()
                .filter(|f| !push_only.contains(f))
                .filter(|f| *f != "user" || pushed.get("user").is_some())
                .collect();
            expected.sort_unstable();
            let mut got: Vec<&str> = data.keys().map(String::as_str).collect();
            got.sort_unstable();
            assert_eq!(got, expected, "{report}");
            assert_eq!(data["uuid"], pushed["uuid"]);
            assert_eq!(data["rgb_image"], pushed["rgb_image"]);
            if let Some(user) = data.get("user") {
                assert!(user.get("pin").is_none() && user.get("groups").is_some());
            }
        }
    }
    let (_, stats) = call(dev.client.get(format!("{}/sim/history", dev.api))).await;
    let live = &stats["data"]["live"];
    assert_eq!(
        (&live["clients"], &live["sent"], &live["refused"]),
        (&json!(3), &json!(9), &json!(1)),
        "{stats}"
    );

    // A client that leaves frees its place.
    let mut leaving = feeds.pop().unwrap();
    leaving.close(None).await.unwrap();
    drop(leaving);
    let mut fourth = None;
    dev.until("a place on the feed frees up", async || {
        fourth = connect(dev.addr, &dev.cert_pem).await.ok();
        fourth.is_some()
    })
    .await;
    let mut fourth = fourth.unwrap();
    dev.trigger_one().await;
    assert_eq!(next_message(&mut fourth).await["type"], 0);
    dev.stop().await;
}

#[tokio::test]
async fn a_client_that_never_reads_does_not_hold_the_device_up() {
    let dir = tempfile::tempdir().unwrap();
    let (receiver, _pushed) = support::receiver(receiver_config(ApiVersion::V1_3)).await;
    let clock = ManualClock::at(1_700_000_000);
    let mut cfg = config(dir.path(), ApiVersion::V1_3, clock);
    // Large snapshots fill the socket's buffers quickly.
    cfg.synth.width = 640;
    cfg.synth.height = 640;
    let dev = support::device(cfg).await;
    dev.point_at(receiver.addr).await;
    let _silent = connect(dev.addr, &dev.cert_pem).await.unwrap();
    let mut reader = connect(dev.addr, &dev.cert_pem).await.unwrap();
    // Well past the per-client queue: every trigger still completes.
    for n in 0..(facesim::live::QUEUE + 20) {
        dev.trigger_one().await;
        // The reading client keeps up and misses nothing.
        let message = next_message(&mut reader).await;
        assert_eq!(message["type"], 0, "record {n}");
    }
    let (_, stats) = call(dev.client.get(format!("{}/sim/history", dev.api))).await;
    let live = &stats["data"]["live"];
    assert_eq!(live["clients"], 2, "{stats}");
    let sent = live["sent"].as_u64().unwrap();
    assert!(sent >= (facesim::live::QUEUE + 20) as u64, "{stats}");
    dev.stop().await;
}

fn any_method() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
}

fn any_event_path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/v1/event/records".to_string()),
        Just("/v1/event/records/".to_string()),
        Just("/v1/event".to_string()),
        Just("/sim/history".to_string()),
        "/v1/event/[a-z0-9/._-]{0,20}",
    ]
}

fn any_query_body() -> impl Strategy<Value = Vec<u8>> {
    let value = "(-?[0-9]{1,12}|\"[ -~]{0,12}\"|null|true|\\[\\]|1\\.5)";
    let field = "(begin_time|end_time|user_id|job_number|ic_number|offset|limit|sort|x)";
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        prop::collection::vec((field, value), 0..5).prop_map(|pairs| {
            let fields: Vec<String> = pairs.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            format!("{{{}}}", fields.join(",")).into_bytes()
        }),
    ]
}

fn any_event_headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let pair = prop_oneof![
        Just(("connection".to_string(), "upgrade".to_string())),
        Just(("upgrade".to_string(), "websocket".to_string())),
        Just(("sec-websocket-version".to_string(), "13".to_string())),
        Just((
            "sec-websocket-key".to_string(),
            "dGhlIHNhbXBsZSBub25jZQ==".to_string()
        )),
        ("content-type|accept|x-[a-z]{1,8}", "[ -~]{0,60}"),
    ];
    prop::collection::vec(pair, 0..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Whatever arrives at the event routes, the answer is the JSON envelope with `code`
    /// equal to the HTTP status (or a WebSocket upgrade), nothing is logged, no place on
    /// the live feed is kept, and a query is answered exactly when it parses.
    #[test]
    fn hostile_requests_to_the_event_routes_get_the_envelope(
        method in any_method(),
        path in any_event_path(),
        headers in any_event_headers(),
        body in any_query_body(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let mut cfg = support::device_config(dir.path(), 0.0);
            cfg.synth.api = ApiVersion::V1_3;
            let device = Device::open(cfg).unwrap();
            let routes = facesim::api::routes(device.clone());
            let mut request = warp::test::request()
                .method(method)
                .path(&path)
                .header("authorization", support::basic_auth());
            for (name, value) in &headers {
                request = request.header(name.as_str(), value.as_str());
            }
            let resp = request.body(body.clone()).reply(&routes).await;
            let status = resp.status().as_u16();
            if status != 101 {
                let envelope: Value = serde_json::from_slice(resp.body()).expect("answer is JSON");
                prop_assert_eq!(envelope["code"].as_u64(), Some(u64::from(status)));
            } else {
                prop_assert_eq!(path.as_str(), "/v1/event");
            }
            let is_query = method == "POST" && path.starts_with("/v1/event/records")
                && path.trim_end_matches('/') == "/v1/event/records";
            let parses = facesim_proto::wire::parse_record_query(
                &body,
                ApiVersion::V1_3.profile().history().unwrap(),
            )
            .is_ok();
            prop_assert_eq!(status == 200 && is_query, is_query && parses);
            prop_assert_eq!(device.with_history(|log| log.len()), 0);
            prop_assert_eq!(device.live().clients(), 0);
            Ok(())
        })?;
    }
}
