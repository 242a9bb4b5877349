//! JSON Schemas (draft 2020-12) of what a terminal of each API version sends and expects,
//! made from the version's profile and the wire enums, so that they say exactly what the
//! simulator sends: the push (an event holding a record or, from 1.3, an alarm) and the
//! answer it wants, and from 1.1 the remote-authentication callback and its answer.
//! Receiver developers validate against them in their own tests (`facecert schema`).

use serde_json::{Value, json};

use crate::profile::{ApiVersion, Profile, UserIds};
use crate::wire::field as f;
use crate::wire::{AlarmCode, AlarmStatus, Mask, RecognitionType, RecognizeStatus, VerifyCode};

/// Every schema of `api` in one document: `$defs` holds `event`, `record`, `user`,
/// `alarm` (1.3), `answer`, and from 1.1 `callback` and `callback_answer`.
pub fn document(api: ApiVersion) -> Value {
    let p = api.profile();
    let mut defs = serde_json::Map::new();
    defs.insert("event".into(), event(p));
    defs.insert("record".into(), record(p));
    defs.insert("user".into(), user(p));
    if p.alarms {
        defs.insert("alarm".into(), alarm());
    }
    defs.insert("answer".into(), answer(p));
    if p.auth.callback {
        defs.insert("callback".into(), callback(p));
        defs.insert("callback_answer".into(), callback_answer(p));
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("https://facesim.invalid/schema/api-{}.json", p.name),
        "title": format!("Face terminal push and callback, API {} (firmware {} and later)", p.name, p.firmware),
        "$ref": "#/$defs/event",
        "$defs": defs,
    })
}

fn codes<T: Copy>(all: &[T], code: impl Fn(T) -> u32) -> Value {
    json!({ "type": "integer", "enum": all.iter().map(|v| code(*v)).collect::<Vec<_>>() })
}

fn object(properties: Vec<(&'static str, Value)>, required: &[&'static str]) -> Value {
    let properties: serde_json::Map<String, Value> = properties
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    json!({ "type": "object", "properties": properties, "required": required })
}

fn user_id(p: &Profile) -> Value {
    match p.user_ids {
        UserIds::Integer(bound) => {
            json!({ "type": "integer", "minimum": 0, "exclusiveMaximum": bound })
        }
        UserIds::Text => json!({ "type": "string", "maxLength": 128 }),
    }
}

fn score() -> Value {
    json!({ "type": "number", "minimum": 0, "maximum": 1 })
}

fn base64() -> Value {
    json!({ "type": "string", "contentEncoding": "base64", "contentMediaType": "image/jpeg" })
}

fn text(max_bytes: usize) -> Value {
    json!({ "type": "string", "description": format!("at most {max_bytes} bytes of UTF-8") })
}

/// `{"type": 0, "data": record}`, or from 1.3 `{"type": 1, "data": alarm}`.
fn event(p: &Profile) -> Value {
    let recognition = object(
        vec![
            (
                f::TYPE,
                json!({ "const": crate::wire::EVENT_TYPE_RECOGNITION }),
            ),
            (f::DATA, json!({ "$ref": "#/$defs/record" })),
        ],
        &[f::TYPE, f::DATA],
    );
    if !p.alarms {
        return recognition;
    }
    let alarm = object(
        vec![
            (f::TYPE, json!({ "const": crate::wire::EVENT_TYPE_ALARM })),
            (f::DATA, json!({ "$ref": "#/$defs/alarm" })),
        ],
        &[f::TYPE, f::DATA],
    );
    json!({ "oneOf": [recognition, alarm] })
}

/// The recognition record: exactly the version's fields.
fn record(p: &Profile) -> Value {
    let fields = p.record_fields();
    let mut properties = Vec::new();
    for name in &fields {
        let schema = match *name {
            f::DEVICE_SN => json!({ "type": "string", "minLength": 1 }),
            f::RECOGNIZE_SCORE | f::LIVENESS_SCORE => score(),
            f::MASK => codes(Mask::ALL, |v| u32::from(v.code())),
            f::RGB_IMAGE => base64(),
            f::PASS => json!({ "type": "boolean" }),
            f::MODE => {
                json!({ "type": "integer", "minimum": p.modes.start(), "maximum": p.modes.end() })
            }
            f::USER => {
                json!({ "$ref": "#/$defs/user", "description": "absent (or null) for strangers, unknown and non-live faces" })
            }
            f::TIMESTAMP => json!({ "type": "integer", "description": "Unix seconds" }),
            f::RECOGNIZE_STATUS => codes(RecognizeStatus::ALL, |v| u32::from(v.code())),
            f::RECOGNITION_TYPE => codes(RecognitionType::ALL, |v| u32::from(v.code())),
            f::BODY_TEMPERATURE => {
                json!({ "type": "number", "description": "degrees Celsius; 0 where the sensor is off" })
            }
            f::UUID => {
                json!({ "type": "string", "minLength": 1, "description": "the same on every redelivery" })
            }
            f::ENTRY_MODE => json!({ "type": "integer", "minimum": 1, "maximum": 12 }),
            f::ABNORMAL_TYPE => {
                json!({ "type": "integer", "minimum": 0, "description": "0: none; 10001… 70002 the guide's anomaly codes" })
            }
            other => json!({ "description": format!("{other}") }),
        };
        properties.push((*name, schema));
    }
    let required: Vec<&'static str> = fields.iter().copied().filter(|n| *n != f::USER).collect();
    let mut schema = object(properties, &required);
    // A later firmware may add fields: receivers must ignore what they do not know.
    schema["additionalProperties"] = json!(true);
    schema["properties"][f::USER] = json!({
        "oneOf": [{ "$ref": "#/$defs/user" }, { "type": "null" }],
        "description": "absent (or null) for strangers, unknown and non-live faces",
    });
    schema
}

/// The `user` of a record: exactly the version's fields.
fn user(p: &Profile) -> Value {
    let fields = p.user_fields();
    let mut properties = Vec::new();
    let mut kinds: Vec<i64> = vec![1, 2];
    kinds.extend(p.blacklist_type);
    for name in &fields {
        let schema = match *name {
            f::USER_NAME => text(p.max_name_bytes),
            f::USER_ID => user_id(p),
            f::USER_TYPE => json!({ "type": "integer", "enum": kinds }),
            f::GUEST_TIME_START | f::GUEST_TIME_END => {
                json!({ "type": "integer", "description": "Unix milliseconds; 0: no window" })
            }
            f::GROUPS => json!({ "type": "array", "items": object(
                vec![(f::GROUP_ID, json!({ "type": "string" })), (f::USER_NAME, json!({ "type": "string" }))],
                &[f::GROUP_ID, f::USER_NAME],
            ) }),
            f::REMARK => text(256),
            _ => text(128),
        };
        properties.push((*name, schema));
    }
    let mut schema = object(properties, &fields);
    schema["additionalProperties"] = json!(true);
    schema
}

/// An alarm (API 1.3).
fn alarm() -> Value {
    object(
        vec![
            (f::TRACE_ID, json!({ "type": "string", "minLength": 1 })),
            (f::DESCRIPTION, json!({ "type": "string" })),
            (f::CODE, codes(AlarmCode::ALL, |v| u32::from(v.code()))),
            (f::USER_ID, json!({ "type": "integer" })),
            (
                f::EVENT_TIME,
                json!({ "type": "integer", "description": "Unix milliseconds" }),
            ),
            (f::STATUS, codes(AlarmStatus::ALL, |v| u32::from(v.code()))),
            (f::ALARM_PHOTO, base64()),
        ],
        &[f::TRACE_ID, f::EVENT_TIME, f::STATUS],
    )
}

/// The answer a receiver gives: the door decision under 1.0, an acknowledgement later.
fn answer(p: &Profile) -> Value {
    let data = match p.answer {
        crate::wire::AnswerRule::Decision => object(
            vec![
                (f::PASS, json!({ "type": "boolean" })),
                (f::CUSTOMTIPS, json!({ "type": "string" })),
            ],
            &[f::PASS],
        ),
        crate::wire::AnswerRule::Acknowledgement => json!({ "type": "object" }),
    };
    object(
        vec![
            (f::CODE, json!({ "const": crate::wire::CODE_OK })),
            (f::MSG, json!({ "type": "string" })),
            (f::DATA, data),
        ],
        &[f::CODE, f::DATA],
    )
}

/// The remote-authentication callback's body (from 1.1).
fn callback(p: &Profile) -> Value {
    let a = &p.auth;
    let mut properties = vec![
        (f::DEVICE_SN, json!({ "type": "string", "minLength": 1 })),
        (
            f::RECOGNIZE_STATUS,
            json!({ "type": "integer", "enum": [2, 3] }),
        ),
        (f::MASK, codes(Mask::ALL, |v| u32::from(v.code()))),
        (f::RGB_IMAGE, base64()),
        (
            f::TIMESTAMP,
            json!({ "type": "integer", "description": "Unix seconds" }),
        ),
        (f::BODY_TEMPERATURE, json!({ "type": "number" })),
        (
            f::USER,
            json!({ "type": "object", "properties": { f::USER_NAME: text(p.max_name_bytes), f::USER_ID: user_id(p) }, "description": "absent for strangers" }),
        ),
    ];
    let mut required = vec![
        f::DEVICE_SN,
        f::RECOGNIZE_STATUS,
        f::MASK,
        f::RGB_IMAGE,
        f::TIMESTAMP,
        f::BODY_TEMPERATURE,
    ];
    if a.details {
        properties.push((f::RECOGNIZE_SCORE, score()));
        required.push(f::RECOGNIZE_SCORE);
    }
    if a.entry {
        properties.push((
            f::ENTRY_MODE,
            json!({ "type": "integer", "minimum": 1, "maximum": 12 }),
        ));
        properties.push((f::QRCODE_CONTENT, json!({ "type": "string" })));
        required.extend([f::ENTRY_MODE, f::QRCODE_CONTENT]);
    }
    let mut schema = object(properties, &required);
    schema["additionalProperties"] = json!(true);
    schema
}

/// The auth server's answer to a callback.
fn callback_answer(p: &Profile) -> Value {
    let data = object(
        vec![
            (f::PASS, json!({ "type": "boolean" })),
            (f::CUSTOMTIPS, json!({ "type": "string" })),
            (f::USER_ID, user_id(p)),
            (f::AUTH_USER_NAME, json!({ "type": "string" })),
            (f::IC_NUMBER, json!({ "type": "string" })),
            (f::VERIFY_SCORE, score()),
            (
                f::VERIFY_CODE,
                codes(&VerifyCode::ALL, |v| u32::from(v.code())),
            ),
        ],
        &[f::PASS],
    );
    object(
        vec![
            (f::CODE, json!({ "const": crate::wire::CODE_OK })),
            (f::MSG, json!({ "type": "string" })),
            (f::DATA, data),
        ],
        &[f::CODE, f::DATA],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_version_names_exactly_its_record_and_user_fields() {
        for api in ApiVersion::ALL {
            let doc = document(api);
            let p = api.profile();
            let record = doc["$defs"]["record"]["properties"].as_object().unwrap();
            let mut named: Vec<&str> = record.keys().map(String::as_str).collect();
            let mut expected = p.record_fields();
            named.sort_unstable();
            expected.sort_unstable();
            assert_eq!(named, expected, "{api}");
            let user = doc["$defs"]["user"]["properties"].as_object().unwrap();
            assert_eq!(user.len(), p.user_fields().len(), "{api}");
            assert_eq!(doc["$defs"].get("alarm").is_some(), p.alarms, "{api}");
            assert_eq!(
                doc["$defs"].get("callback").is_some(),
                p.auth.callback,
                "{api}"
            );
        }
    }
}
