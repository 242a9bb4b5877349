//! A trigger's overrides: patching a record as JSON, and the status they ask for.

use serde_json::{Map, Value};

use super::Event;

use super::{RecognitionType, RecognizeStatus, field};
/// Applies JSON overrides to an event's record: each key of `overrides` replaces the field
/// of the same name in `data` (a `null` `user` is kept as an explicit null). The result is
/// JSON, since overrides may deliberately step outside the schema.
pub fn apply_overrides(event: &Event, overrides: &Map<String, Value>) -> Value {
    let mut value = serde_json::to_value(event).unwrap_or(Value::Null);
    if let Some(Value::Object(data)) = value.get_mut(field::DATA) {
        for (k, v) in overrides {
            data.insert(k.clone(), v.clone());
        }
    }
    value
}

/// The status a `/sim/trigger` override asks for: `recognizeStatus` where records carry
/// it (API 1.0), `recognitionType` where they carry that (from 1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusOverride {
    Status(RecognizeStatus),
    Type(RecognitionType),
}

/// Reads the status a trigger's overrides ask for, in the field the version's records
/// have (`recognize_status`: they carry `recognizeStatus`, else `recognitionType`).
///
/// # Errors
/// Why the override cannot make a consistent record: the other version's status field,
/// a value outside the codes, or `pass: true` with a status that never passes.
pub fn status_override(
    overrides: &Map<String, Value>,
    recognize_status: bool,
) -> Result<Option<StatusOverride>, String> {
    let (ours, theirs) = if recognize_status {
        (field::RECOGNIZE_STATUS, field::RECOGNITION_TYPE)
    } else {
        (field::RECOGNITION_TYPE, field::RECOGNIZE_STATUS)
    };
    if overrides.contains_key(theirs) {
        return Err(format!(
            "records of this API version have no {theirs}; override {ours} instead"
        ));
    }
    let Some(value) = overrides.get(ours) else {
        return Ok(None);
    };
    let code = value
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("{ours} must be an integer code, got {value}"))?;
    let (wanted, may_pass) = if recognize_status {
        let s = RecognizeStatus::try_from(code).map_err(|e| format!("{ours}: {e}"))?;
        (StatusOverride::Status(s), s.may_pass() && s.has_user())
    } else {
        let t = RecognitionType::try_from(code).map_err(|e| format!("{ours}: {e}"))?;
        let may = matches!(t, RecognitionType::Employee | RecognitionType::Visitor);
        (StatusOverride::Type(t), may)
    };
    if !may_pass && overrides.get(field::PASS) == Some(&Value::Bool(true)) {
        return Err(format!(
            "{ours} {code} never opens the door, so pass cannot be true"
        ));
    }
    Ok(Some(wanted))
}
