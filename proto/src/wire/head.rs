//! The parts of a stored record a device reads without decoding it: who it names and how
//! it went.

use serde::Deserialize;
use serde_json::Value;

use super::Event;

use super::{EVENT_TYPE_ALARM, RecognitionType, RecognizeStatus};
/// The `user_id` of a recognition record, as text, when it names a person.
pub fn record_user(event: &Event) -> Option<String> {
    let user = event.as_record()?.user.as_ref()?;
    Some(match serde_json::to_value(&user.user_id).ok()? {
        Value::String(s) => s,
        other => other.to_string(),
    })
}

/// The parts of a stored record body a device shows in logs: read without decoding the
/// snapshot, and tolerant of bodies that overrides took outside the schema.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RecordHead {
    #[serde(rename = "type", default)]
    pub kind: Option<i64>,
    #[serde(default)]
    pub data: Option<RecordHeadData>,
}

/// See [`RecordHead`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RecordHeadData {
    #[serde(rename = "recognizeStatus", default)]
    pub recognize_status: Option<i64>,
    #[serde(rename = "recognitionType", default)]
    pub recognition_type: Option<i64>,
    #[serde(default)]
    pub pass: Option<bool>,
    #[serde(default)]
    pub trace_id: Option<String>,
    #[serde(default)]
    pub user: Option<UserHead>,
}

/// See [`RecordHead`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UserHead {
    #[serde(default)]
    pub name: Option<String>,
}

impl RecordHead {
    /// Reads the head of a record body; `None` when it is not a JSON object of that shape.
    pub fn read(body: &[u8]) -> Option<Self> {
        serde_json::from_slice(body).ok()
    }

    /// The record's status, when it is a known one.
    pub fn status(&self) -> Option<RecognizeStatus> {
        let code = self.data.as_ref()?.recognize_status?;
        RecognizeStatus::try_from(u32::try_from(code).ok()?).ok()
    }

    /// Who was seen (API 1.1 and later), when the record says it.
    pub fn recognition_type(&self) -> Option<RecognitionType> {
        let code = self.data.as_ref()?.recognition_type?;
        RecognitionType::try_from(u32::try_from(code).ok()?).ok()
    }

    /// The record's own door decision.
    pub fn pass(&self) -> Option<bool> {
        self.data.as_ref()?.pass
    }

    /// Whether the event is an alarm (type 1).
    pub fn is_alarm(&self) -> bool {
        self.kind == Some(EVENT_TYPE_ALARM)
    }

    /// What the log says of the event: the status label, or "alarm".
    pub fn label(&self) -> &'static str {
        if self.is_alarm() {
            return "alarm";
        }
        self.status()
            .map(RecognizeStatus::label)
            .or_else(|| self.recognition_type().map(RecognitionType::label))
            .unwrap_or("-")
    }

    /// The person's name, when the record names one.
    pub fn name(&self) -> Option<&str> {
        self.data.as_ref()?.user.as_ref()?.name.as_deref()
    }
}
