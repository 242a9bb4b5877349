//! Settings that act, each through HTTP on an injected clock: liveness off, the ID-card
//! threshold, `open_interval`, `resign_interval` and `keep_door_open_duration`; and
//! `/sim/trigger` status overrides, which yield records consistent in every field or a
//! 400 saying why.

use std::sync::Arc;

use facesim::clock::ManualClock;
use facesim::receiver::Received;
use facesim_proto::profile::ApiVersion;
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::support::{self, Running, TestDevice, call};

const START: i64 = 1_660_625_866;

struct Rig {
    dev: TestDevice,
    clock: Arc<ManualClock>,
    events: UnboundedReceiver<Received>,
    _receiver: Running,
    _dir: tempfile::TempDir,
}

async fn rig(api: ApiVersion, people: usize, mix: &str) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let (receiver, events) = support::receiver(Default::default()).await;
    let clock = ManualClock::at(START);
    let mut config = support::device_config(dir.path(), 0.0);
    config.synth.api = api;
    config.push.api = api;
    config.synth.people = people;
    config.synth.status_mix = mix.parse().unwrap();
    config.synth.alarm_share = Some(0.0);
    config.clock = clock.clone();
    let dev = support::device(config).await;
    dev.configure(&format!("http://{}/eventRcv", receiver.addr), false)
        .await;
    Rig {
        dev,
        clock,
        events,
        _receiver: receiver,
        _dir: dir,
    }
}

impl Rig {
    async fn post(&self, path: &str, body: Value) {
        let (status, answer) = call(
            self.dev
                .client
                .post(format!("{}{path}", self.dev.api))
                .json(&body),
        )
        .await;
        assert_eq!(status, 200, "{path}: {answer}");
    }

    /// Triggers a record; its pushed body when one was made, else the refusal's status.
    async fn record(&mut self, overrides: Value) -> Result<Value, (u16, Value)> {
        let (status, answer) = self.dev.trigger(&overrides).await;
        if status != 200 {
            return Err((status, answer));
        }
        let got = self.events.recv().await.unwrap();
        Ok(serde_json::to_value(&got.event).unwrap()["data"].clone())
    }

    async fn door(&self) -> Value {
        self.dev.stats().await["door"].clone()
    }
}

fn recognize(changes: Value) -> Value {
    let mut body = json!({
        "use_mode": 3, "liveness": true, "liveness_threshold": 0.995, "verify_threshold": 0.9,
        "certificate_threshold": 0.6, "recognition_distance": 2, "open_interval": 0,
        "mask_detect": true
    });
    for (k, v) in changes.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

#[tokio::test]
async fn with_liveness_off_no_record_is_not_live() {
    let mut rig = rig(ApiVersion::V1_0, 20, "non-live=1").await;
    for _ in 0..3 {
        assert_eq!(rig.record(json!({})).await.unwrap()["recognizeStatus"], 1);
    }
    rig.post(
        "/v1/device/recognize",
        recognize(json!({"liveness": false})),
    )
    .await;
    for _ in 0..5 {
        let record = rig.record(json!({})).await.unwrap();
        assert_eq!(record["recognizeStatus"], 3, "{record}");
        assert_eq!(record["pass"], false);
        assert!(record["user"].is_null());
        assert!(record["recognizeScore"].as_f64().unwrap() < 0.9);
    }
    rig.dev.stop().await;
}

#[tokio::test]
async fn a_raised_id_card_threshold_fails_the_id_card_check() {
    let mut rig = rig(ApiVersion::V1_3, 20, "recognized=1").await;
    rig.post(
        "/v1/device/functions",
        json!({"record": true, "record_image": true, "alarm_record": true, "mode": 6}),
    )
    .await;
    rig.post("/v1/device/recognize", recognize(json!({}))).await;
    let mut passed = 0;
    for _ in 0..8 {
        let record = rig.record(json!({})).await.unwrap();
        passed += usize::from(record["pass"] == true);
    }
    assert!(passed > 0, "factory threshold: somebody passes");
    // Past the last pass's keep_door_open_duration (6 s by default).
    rig.clock.set(START + 100);
    let shut_before = rig.door().await["kept_shut"].as_u64().unwrap();
    rig.post(
        "/v1/device/recognize",
        recognize(json!({"certificate_threshold": 0.9999})),
    )
    .await;
    let mut failed = 0;
    for _ in 0..8 {
        let record = rig.record(json!({})).await.unwrap();
        assert_eq!(record["pass"], false, "{record}");
        failed += usize::from(record["abnormal_type"] == 10001);
    }
    assert!(failed > 0);
    let door = rig.door().await;
    assert_eq!(door["kept_shut"].as_u64().unwrap(), shut_before + 8);
    assert_eq!(door["state"], "closed");
    rig.dev.stop().await;
}

#[tokio::test]
async fn the_same_person_is_not_recognised_again_within_open_interval() {
    let mut rig = rig(ApiVersion::V1_3, 1, "recognized=1").await;
    rig.post(
        "/v1/device/recognize",
        recognize(json!({"open_interval": 30})),
    )
    .await;
    let first = rig.record(json!({})).await.unwrap();
    assert!(first["user"].is_object(), "{first}");
    let made = rig.dev.stats().await["generated"].clone();
    rig.clock.set(START + 29);
    let (status, answer) = rig.record(json!({})).await.unwrap_err();
    assert_eq!(status, 409, "{answer}");
    assert!(answer["msg"].as_str().unwrap().contains("open_interval"));
    assert_eq!(answer["data"], Value::Null);
    assert_eq!(rig.dev.stats().await["generated"], made, "no new record");
    rig.clock.set(START + 30);
    let again = rig.record(json!({})).await.unwrap();
    assert_eq!(again["user"]["user_id"], first["user"]["user_id"]);
    rig.dev.stop().await;
}

#[tokio::test]
async fn a_pass_opens_the_door_for_its_duration_and_resign_interval_holds_repeats() {
    let mut rig = rig(ApiVersion::V1_3, 1, "recognized=1").await;
    rig.post(
        "/v1/device/access",
        json!({"open_door_type": 0, "keep_door_open_duration": 10, "tamper": false,
               "force_open": false, "network_relay_address": "", "door_sensor_timeout": 3,
               "resign_interval": 60}),
    )
    .await;
    assert_eq!(rig.door().await["state"], "closed");
    let first = rig.record(json!({})).await.unwrap();
    assert_eq!(first["pass"], true, "{first}");
    let door = rig.door().await;
    assert_eq!(door["state"], "open");
    assert_eq!(door["open_until"], START + 10);
    rig.clock.set(START + 9);
    assert_eq!(rig.door().await["state"], "open");
    rig.clock.set(START + 10);
    assert_eq!(rig.door().await["state"], "closed");
    // Within resign_interval the same user is recorded but does not pass.
    rig.clock.set(START + 59);
    let again = rig.record(json!({})).await.unwrap();
    assert_eq!(again["user"]["user_id"], first["user"]["user_id"]);
    assert_eq!(again["pass"], false, "{again}");
    assert_eq!(rig.door().await["state"], "closed");
    rig.clock.set(START + 60);
    assert_eq!(rig.record(json!({})).await.unwrap()["pass"], true);
    rig.dev.stop().await;
}

/// Every status a version's records carry, forced through `/sim/trigger`.
#[tokio::test]
async fn status_overrides_yield_consistent_records_under_every_version() {
    for api in ApiVersion::ALL {
        let profile = api.profile();
        let mut rig = rig(api, 200, "recognized=1").await;
        let (field, codes): (&str, Vec<u64>) = if profile.recognize_status {
            ("recognizeStatus", (0..=6).collect())
        } else {
            ("recognitionType", (1..=5).collect())
        };
        for code in codes {
            let record = rig.record(json!({ field: code })).await.unwrap();
            assert_eq!(record[field], code, "{api}");
            let (named, may_pass) = if profile.recognize_status {
                (matches!(code, 2 | 4 | 5 | 6), matches!(code, 2 | 4 | 5))
            } else {
                (matches!(code, 1 | 2 | 5), matches!(code, 1 | 2))
            };
            assert_eq!(record["user"].is_object(), named, "{api} {code}: {record}");
            let score = record["recognizeScore"].as_f64().unwrap();
            if !named {
                assert_eq!(record["pass"], false, "{api} {code}");
                assert!(score < 0.9, "{api} {code}: {score}");
            }
            if !may_pass {
                assert_eq!(record["pass"], false, "{api} {code}");
            }
            if named && !may_pass && !profile.recognize_status {
                // A blacklisted person: their type is the version's blacklist type.
                assert_eq!(
                    record["user"]["type"],
                    profile.blacklist_type.unwrap(),
                    "{api}"
                );
            }
            if code == 1 && profile.recognize_status {
                assert!(record["livenessScore"].as_f64().unwrap() < 0.5);
            }
            if profile.entry_details && !named {
                assert_eq!(record["abnormal_type"], 0);
            }
        }
        // Refused, with the reason, and nothing made.
        let made = rig.dev.stats().await["generated"].clone();
        let other = if profile.recognize_status {
            "recognitionType"
        } else {
            "recognizeStatus"
        };
        // 3 is a stranger in both fields.
        let stranger = 3;
        for bad in [
            json!({ other: 1 }),
            json!({ field: 99 }),
            json!({ field: stranger, "pass": true }),
        ] {
            let (status, answer) = rig.record(bad.clone()).await.unwrap_err();
            assert_eq!(status, 400, "{api} {bad}: {answer}");
            assert_eq!(answer["data"], Value::Null);
        }
        assert_eq!(rig.dev.stats().await["generated"], made);
        rig.dev.stop().await;
    }
}
