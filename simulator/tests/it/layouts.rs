//! Every settings route's layout follows the API version: what a GET answers can be
//! POSTed back under every version (200, `data: null`, nothing changes), the vendor
//! client's own 1.2 bodies are taken and read back, routes a version or model lacks
//! answer the 404 envelope. (That `docs/device-api-versions.md` is what the code says is
//! checked with the other published documents, in facecert's `it::docs`.)

use facesim_proto::profile::ApiVersion;
use serde_json::{Value, json};

use crate::support::{self, TestDevice, call};

/// The guide's S8 serial number: the model with `/v1/device/antiepidemic`.
const S8: &str = "PSC800C0MC22G00025";

async fn device(dir: &std::path::Path, api: ApiVersion, sn: &str) -> TestDevice {
    let mut config = support::versioned_config(dir, api);
    config.sn = sn.into();
    support::device(config).await
}

async fn get(dev: &TestDevice, path: &str) -> (u16, Value) {
    call(dev.client.get(format!("{}{path}", dev.api))).await
}

async fn post(dev: &TestDevice, path: &str, body: &Value) -> (u16, Value) {
    call(dev.client.post(format!("{}{path}", dev.api)).json(body)).await
}

const ROUTES: [&str; 8] = [
    "/v1/device/functions",
    "/v1/device/recognize",
    "/v1/device/access",
    "/v1/device/system",
    "/v1/device/time",
    "/v1/device/custom",
    "/v1/device/antiepidemic",
    "/v1/event/subscribe",
];

fn keys(data: &Value) -> Vec<String> {
    let mut keys: Vec<String> = data.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn what_a_get_answers_posts_back_unchanged_under_every_version() {
    for api in ApiVersion::ALL {
        let dir = tempfile::tempdir().unwrap();
        let dev = device(dir.path(), api, S8).await;
        dev.configure("http://127.0.0.1:9/events", false).await;
        for route in ROUTES {
            let (status, first) = get(&dev, route).await;
            if route.ends_with("antiepidemic") && api == ApiVersion::V1_0 {
                assert_eq!(status, 404, "{api} {route}: {first}");
                assert_eq!(first["code"], 404);
                assert_eq!(first["data"], Value::Null);
                let (status, _) = post(&dev, route, &json!({})).await;
                assert_eq!(status, 404, "{api} {route}");
                continue;
            }
            assert_eq!(status, 200, "{api} {route}: {first}");
            let data = first["data"].clone();
            assert!(data.is_object(), "{api} {route}: {first}");
            let (status, answer) = post(&dev, route, &data).await;
            assert_eq!(status, 200, "{api} {route}: {answer}");
            assert_eq!(
                answer,
                json!({"code": 200, "msg": answer["msg"], "data": null}),
                "{api} {route}"
            );
            let (_, again) = get(&dev, route).await;
            assert_eq!(again["data"], data, "{api} {route}");
        }
        // The fields each version has, and only those.
        let (_, access) = get(&dev, "/v1/device/access").await;
        let (_, custom) = get(&dev, "/v1/device/custom").await;
        let access = keys(&access["data"]);
        let custom = &custom["data"];
        let before_1_3 = api < ApiVersion::V1_3;
        assert_eq!(access.contains(&"wigan_input".to_string()), before_1_3);
        for only_1_3 in [
            "resign_interval",
            "rfid_settings",
            "serial_port",
            "serial_port_baudrate",
            "wiegand_settings",
        ] {
            assert_eq!(access.contains(&only_1_3.to_string()), !before_1_3, "{api}");
        }
        assert_eq!(custom["show_custom_logo"].is_boolean(), before_1_3, "{api}");
        assert_eq!(
            custom.get("custom_picture_for_idle").is_some(),
            before_1_3,
            "{api}"
        );
        assert_eq!(
            custom.get("custom_screensavers").is_some(),
            !before_1_3,
            "{api}"
        );
        let (_, info) = get(&dev, "/v1/device/info").await;
        let has_versions = api > ApiVersion::V1_0;
        assert_eq!(info["data"].get("api_ver").is_some(), has_versions, "{api}");
        assert_eq!(
            info["data"].get("model_ver").is_some(),
            has_versions,
            "{api}"
        );
        let (_, functions) = get(&dev, "/v1/device/functions").await;
        assert_eq!(
            functions["data"]
                .get("remote_authentication_address")
                .is_some(),
            has_versions,
            "{api}"
        );
        dev.stop().await;
    }
}

#[tokio::test]
async fn the_vendor_clients_1_2_layouts_are_taken_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let dev = device(dir.path(), ApiVersion::V1_2, "PS71HD01MC22C00014").await;
    // ModelsDevice.kt's DeviceAccess and DeviceCustom, as the client serialises them.
    let access = json!({
        "open_door_type": 4, "keep_door_open_duration": 9, "gpio_a": 2, "gpio_b": 3,
        "gpio_c": 1, "wigan_input": 5, "tamper": true, "force_open": false,
        "network_relay_address": "127.0.0.1", "door_sensor_timeout": 7
    });
    let custom = json!({
        "welcome_tip": "hello", "verify_success_tip": "ok", "verify_fault_tip": "no",
        "unauthorized_user_tip": "watch", "show_custom_logo": true,
        "custom_picture_for_logo": "", "custom_picture_for_idle": "aWRsZQ==",
        "voice_broadcast": false
    });
    for (route, body) in [
        ("/v1/device/access", &access),
        ("/v1/device/custom", &custom),
    ] {
        let (status, answer) = post(&dev, route, body).await;
        assert_eq!(status, 200, "{route}: {answer}");
        assert_eq!(answer["data"], Value::Null);
        let (_, read) = get(&dev, route).await;
        assert_eq!(&read["data"], body, "{route}");
    }
    // 1.3's fields are not 1.2's: ignored, never answered; 1.3's ranges do not apply.
    let (status, _) = post(
        &dev,
        "/v1/device/access",
        &json!({"open_door_type": 6, "keep_door_open_duration": 6, "wigan_input": 1,
                "tamper": false, "force_open": false, "network_relay_address": "",
                "door_sensor_timeout": 3, "resign_interval": 9}),
    )
    .await;
    assert_eq!(status, 200);
    let (_, read) = get(&dev, "/v1/device/access").await;
    assert_eq!(read["data"]["open_door_type"], 6);
    assert!(read["data"].get("resign_interval").is_none());
    // `wigan_input` is required until 1.3, with values 1 to 5.
    let mut without = access.clone();
    without.as_object_mut().unwrap().remove("wigan_input");
    let (status, answer) = post(&dev, "/v1/device/access", &without).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["msg"].as_str().unwrap().contains("wigan_input"));
    let mut six = access.clone();
    six["wigan_input"] = json!(6);
    assert_eq!(post(&dev, "/v1/device/access", &six).await.0, 400);
    // An int logo is 1.3's: refused under 1.2, as the client would choke on reading it.
    let mut int_logo = custom.clone();
    int_logo["show_custom_logo"] = json!(2);
    assert_eq!(post(&dev, "/v1/device/custom", &int_logo).await.0, 400);
    // The antiepidemic route is the S8's: this S7 answers 404 under every version.
    let (status, answer) = get(&dev, "/v1/device/antiepidemic").await;
    assert_eq!(status, 404, "{answer}");
    assert!(answer["msg"].as_str().unwrap().contains("S8"), "{answer}");
    dev.stop().await;
}

#[tokio::test]
async fn the_antiepidemic_settings_are_validated_and_persisted_on_an_s8() {
    let dir = tempfile::tempdir().unwrap();
    let dev = device(dir.path(), ApiVersion::V1_3, S8).await;
    let (status, factory) = get(&dev, "/v1/device/antiepidemic").await;
    assert_eq!(status, 200);
    assert_eq!(factory["data"]["fever_temperature"], 37.29999923706055);
    assert_eq!(factory["data"]["health_code_timeout"], 15);
    let body = json!({
        "temperature_detect": true, "fever_temperature": 37.5, "health_code_mode": false,
        "health_code_server_url": "http://127.0.0.1:9015", "health_code_timeout": 20,
        "nuclein_strategy": 2
    });
    assert_eq!(post(&dev, "/v1/device/antiepidemic", &body).await.0, 200);
    for bad in [
        json!({"temperature_detect": true, "fever_temperature": 40.5, "health_code_mode": false,
               "health_code_server_url": "", "health_code_timeout": 15}),
        json!({"temperature_detect": true, "fever_temperature": 37.0, "health_code_mode": false,
               "health_code_server_url": "", "health_code_timeout": 1}),
        json!({"fever_temperature": 37.0}),
    ] {
        let (status, answer) = post(&dev, "/v1/device/antiepidemic", &bad).await;
        assert_eq!(status, 400, "{bad}: {answer}");
        assert_eq!(answer["data"], Value::Null);
    }
    let (_, read) = get(&dev, "/v1/device/antiepidemic").await;
    assert_eq!(read["data"]["fever_temperature"], 37.5);
    assert_eq!(read["data"]["health_code_timeout"], 20);
    assert_eq!(read["data"]["nuclein_strategy"], 2);
    dev.stop().await;
    // Persisted across a restart.
    let dev = device(dir.path(), ApiVersion::V1_3, S8).await;
    let (_, read) = get(&dev, "/v1/device/antiepidemic").await;
    assert_eq!(read["data"]["health_code_timeout"], 20);
    dev.stop().await;
}
