//! The device API over HTTPS: the subscription round trip, every class of bad request,
//! persistence across restarts, and hostile bytes.

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support::{self, call};

#[tokio::test]
async fn subscription_round_trip_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let dev = support::device(support::device_config(dir.path(), 0.0)).await;
    let url = format!("{}/v1/event/subscribe", dev.api);

    let (status, body) = call(dev.client.get(&url)).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"code": 200, "msg": "OK", "data": {"event_dest": "", "enabled": false}})
    );

    let config = json!({"event_dest": "http://127.0.0.1:9/eventRcv", "enabled": true});
    let (status, body) = call(dev.client.post(&url).json(&config)).await;
    assert_eq!(
        (status, body),
        (200, json!({"code": 200, "msg": "OK", "data": null}))
    );
    let (_, body) = call(dev.client.get(&url)).await;
    assert_eq!(body["data"], config);

    // Without `enabled`, naming a destination turns pushing on.
    let (status, _) = call(
        dev.client
            .post(&url)
            .json(&json!({"event_dest": "https://h.example/x"})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, body) = call(dev.client.get(&url)).await;
    assert_eq!(
        body["data"],
        json!({"event_dest": "https://h.example/x", "enabled": true})
    );
    dev.stop().await;
}

#[tokio::test]
async fn paths_may_end_with_a_slash_as_the_guide_writes_some() {
    let dir = tempfile::tempdir().unwrap();
    let dev = support::device(support::device_config(dir.path(), 0.0)).await;
    for path in [
        "/v1/event/subscribe/",
        "/v1/device/info/",
        "/v1/device/functions/",
    ] {
        let (status, body) = call(dev.client.get(format!("{}{path}", dev.api))).await;
        assert_eq!(
            (status, &body["code"]),
            (200, &json!(200)),
            "{path}: {body}"
        );
    }
    let (status, body) = call(dev.client.get(format!("{}/v1/device/info//", dev.api))).await;
    assert_eq!(
        (status, &body["code"]),
        (404, &json!(404)),
        "only one slash: {body}"
    );
    dev.stop().await;
}

#[tokio::test]
async fn every_bad_request_gets_the_envelope_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dev = support::device(support::device_config(dir.path(), 0.0)).await;
    let url = format!("{}/v1/event/subscribe", dev.api);
    let good = json!({"event_dest": "http://127.0.0.1:9/eventRcv", "enabled": false});
    assert_eq!(call(dev.client.post(&url).json(&good)).await.0, 200);

    let long = format!("http://h/{}", "a".repeat(1020));
    let cases: Vec<(&str, &str, Vec<u8>, u16)> = vec![
        ("POST", "/v1/event/subscribe", b"{not json".to_vec(), 400),
        ("POST", "/v1/event/subscribe", b"".to_vec(), 400),
        ("POST", "/v1/event/subscribe", b"[1,2]".to_vec(), 400),
        (
            "POST",
            "/v1/event/subscribe",
            br#"{"enabled":true}"#.to_vec(),
            400,
        ),
        (
            "POST",
            "/v1/event/subscribe",
            br#"{"event_dest":5}"#.to_vec(),
            400,
        ),
        (
            "POST",
            "/v1/event/subscribe",
            br#"{"event_dest":"http://h/","enabled":"yes"}"#.to_vec(),
            400,
        ),
        (
            "POST",
            "/v1/event/subscribe",
            br#"{"event_dest":"ftp://h/x"}"#.to_vec(),
            400,
        ),
        (
            "POST",
            "/v1/event/subscribe",
            br#"{"event_dest":"eventRcv"}"#.to_vec(),
            400,
        ),
        (
            "POST",
            "/v1/event/subscribe",
            json!({"event_dest": long}).to_string().into_bytes(),
            400,
        ),
        ("POST", "/v1/event/subscribe", vec![b' '; 100 * 1024], 413),
        ("GET", "/v1/event/nope", vec![], 404),
        ("GET", "/", vec![], 404),
        (
            "PUT",
            "/v1/event/subscribe",
            br#"{"event_dest":"http://h/"}"#.to_vec(),
            405,
        ),
        ("DELETE", "/v1/event/subscribe", vec![], 405),
        ("POST", "/sim/trigger", b"[]".to_vec(), 400),
    ];
    for (method, path, body, expected) in cases {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let req = dev
            .client
            .request(method.clone(), format!("{}{path}", dev.api))
            .body(body);
        let (status, envelope) = call(req).await;
        assert_eq!(status, expected, "{method} {path}: {envelope}");
        assert_eq!(envelope["code"], json!(expected), "{method} {path}");
        assert!(
            envelope["msg"].as_str().is_some_and(|m| !m.is_empty()),
            "{envelope}"
        );
        let (_, now) = call(dev.client.get(&url)).await;
        assert_eq!(
            now["data"], good,
            "{method} {path} changed the configuration"
        );
    }
    dev.stop().await;
}

#[tokio::test]
async fn configuration_persists_across_restart_and_pushing_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let (receiver, mut events) = support::receiver(Default::default()).await;
    let dest = format!("http://{}/eventRcv", receiver.addr);
    let dev = support::device(support::device_config(dir.path(), 0.0)).await;
    let url = format!("{}/v1/event/subscribe", dev.api);
    let config = json!({"event_dest": dest, "enabled": true});
    assert_eq!(call(dev.client.post(&url).json(&config)).await.0, 200);
    dev.stop().await;

    // The restarted device serves the stored configuration and pushes on its own.
    let dev = support::device(support::device_config(dir.path(), 20.0)).await;
    let (_, body) = call(dev.client.get(format!("{}/v1/event/subscribe", dev.api))).await;
    assert_eq!(body["data"], config);
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), events.recv())
        .await
        .expect("no push after restart")
        .unwrap();
    assert_eq!(first.trace, Some(("PS71HD01MC22C00014".into(), 1)));
    dev.stop().await;
}

fn any_method() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS",
    ])
}

fn any_path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/v1/event/subscribe".to_string()),
        Just("/sim/trigger".to_string()),
        Just("/sim/stats".to_string()),
        "/[a-z0-9/._-]{0,40}",
    ]
}

fn any_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        "\\{\"event_dest\":(\"[ -~]{0,60}\"|[0-9]+|null|true),\"enabled\":(true|false|1|\"x\"|null)\\}"
            .prop_map(String::into_bytes),
    ]
}

fn any_headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        Just("content-type".to_string()),
        Just("accept".to_string()),
        Just("transfer-encoding".to_string()),
        Just("expect".to_string()),
        "x-[a-z]{1,12}",
    ];
    prop::collection::vec((name, "[ -~]{0,120}"), 0..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Whatever arrives, the answer is the JSON envelope, its `code` matches the HTTP
    /// status, and only a well-formed subscription changes the stored configuration.
    #[test]
    fn hostile_requests_always_get_the_envelope(
        method in any_method(),
        path in any_path(),
        headers in any_headers(),
        body in any_body(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let device = facesim::device::Device::open(support::device_config(dir.path(), 0.0)).unwrap();
            let routes = facesim::api::routes(device.clone());
            let before = device.subscription();
            let mut request = warp::test::request()
                .method(method)
                .path(&path)
                .header("authorization", support::basic_auth());
            for (name, value) in &headers {
                request = request.header(name.as_str(), value.as_str());
            }
            let resp = request.body(body.clone()).reply(&routes).await;
            let status = resp.status().as_u16();
            if method != "HEAD" {
                let envelope: Value = serde_json::from_slice(resp.body()).expect("answer is JSON");
                prop_assert_eq!(envelope["code"].as_u64(), Some(u64::from(status)));
            }
            let accepted = method == "POST" && path == "/v1/event/subscribe" && status == 200;
            if !accepted {
                prop_assert_eq!(device.subscription(), before);
            }
            prop_assert_eq!(accepted, facesim_proto::wire::parse_subscription(&body).is_ok() && method == "POST" && path == "/v1/event/subscribe");
            Ok(())
        })?;
    }
}
