//! `facecert schema`: the JSON Schemas a receiver developer validates against, checked
//! with a JSON Schema validator on what the simulator really sends: the golden event
//! streams of every version, and the callback bodies facecert sends.

use std::path::PathBuf;

use facesim_proto::profile::ApiVersion;
use serde_json::Value;

use crate::binary::facecert;

/// The events of a golden stream as they went on the wire. The golden files keep each
/// snapshot as its size and trace (`snapshot (golden file only)`) rather than its base64,
/// so the snapshot goes back in as base64.
fn golden(name: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/events")
        .join(name);
    let mut events: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for event in &mut events {
        if let Some(data) = event["data"].as_object_mut()
            && data.remove("snapshot (golden file only)").is_some()
        {
            data.insert("rgb_image".into(), Value::String("/9j/4AAQSkZJRg==".into()));
        }
    }
    events
}

/// The document `facecert schema --api-version V` prints.
async fn printed(api: ApiVersion) -> Value {
    let out = facecert(vec![
        "schema".into(),
        "--api-version".into(),
        api.to_string(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A validator of the `$defs` entry `def` of `document`.
fn validator(document: &Value, def: &str) -> jsonschema::Validator {
    let mut schema = document.clone();
    schema["$ref"] = Value::String(format!("#/$defs/{def}"));
    jsonschema::draft202012::new(&schema).unwrap()
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

fn rank(api: ApiVersion) -> usize {
    ApiVersion::ALL.iter().position(|v| *v == api).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_golden_event_fits_its_versions_schema_and_no_earlier_one() {
    let streams = [
        (ApiVersion::V1_0, "api-1.0-records.json"),
        (ApiVersion::V1_1, "api-1.1-records.json"),
        (ApiVersion::V1_2, "api-1.2-records.json"),
        (ApiVersion::V1_2_1, "api-1.2.1-records.json"),
        (ApiVersion::V1_3, "api-1.3-records.json"),
        (ApiVersion::V1_3, "api-1.3-alarms.json"),
    ];
    let mut documents = Vec::new();
    for api in ApiVersion::ALL {
        documents.push((api, printed(api).await));
    }
    for (api, file) in streams {
        let events = golden(file);
        assert!(!events.is_empty(), "{file}");
        for (other, document) in &documents {
            let event = validator(document, "event");
            let fitting = events
                .iter()
                .filter(|e| errors(&event, e).is_empty())
                .count();
            if *other == api {
                for e in &events {
                    assert_eq!(
                        errors(&event, e),
                        Vec::<String>::new(),
                        "{file} under {api}"
                    );
                }
            } else if !file.contains("alarms") && (rank(*other) > rank(api) || rank(api) == 0) {
                // A record lacks fields a later version requires (and 1.0's status is
                // not a later record's type); a later record still fits an earlier
                // schema, as a receiver must ignore fields it does not know.
                assert!(
                    fitting < events.len(),
                    "every event of {file} fits API {other}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_and_callbacks_fit_their_schemas() {
    let v10 = printed(ApiVersion::V1_0).await;
    let answer = validator(&v10, "answer");
    let decision = serde_json::json!({"code": 200, "msg": "success", "data": {"pass": true, "customtips": "Hi"}});
    assert_eq!(errors(&answer, &decision), Vec::<String>::new());
    let ack = serde_json::json!({"code": 200, "msg": "success", "data": {}});
    assert!(!errors(&answer, &ack).is_empty(), "1.0 wants a decision");
    assert!(v10["$defs"].get("callback").is_none());

    let v13 = printed(ApiVersion::V1_3).await;
    assert!(errors(&validator(&v13, "answer"), &ack).is_empty());
    let callback = validator(&v13, "callback");
    let factory = facecert::auth::probes::AuthFactory::new(1, ApiVersion::V1_3);
    for name in ["auth-baseline", "auth-stranger-face", "auth-library-qr"] {
        let body = factory
            .named(name)
            .unwrap_or_else(|| panic!("no request {name}"));
        let value: Value = serde_json::from_slice(&body.body).unwrap();
        assert_eq!(errors(&callback, &value), Vec::<String>::new(), "{name}");
    }
    let auth_answer = validator(&v13, "callback_answer");
    let pass = serde_json::json!({"code": 200, "msg": "OK", "data": {"pass": true, "verify_code": 2, "user_id": "u-1"}});
    assert_eq!(errors(&auth_answer, &pass), Vec::<String>::new());
    let bad = serde_json::json!({"code": 200, "msg": "OK", "data": {"pass": "yes"}});
    assert!(!errors(&auth_answer, &bad).is_empty());
}
