//! Pushed events: the recognition record (type 0) of every API version, as one type whose
//! version-specific fields are optional (the profile decides which are set), the user it
//! names, and the alarm (type 1, API 1.3).

use serde::{Deserialize, Serialize};

/// One pushed event: `{"type": 0, "data": {..}}` (a recognition record) or, from API 1.3,
/// `{"type": 1, "data": {..}}` (an alarm).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: i64,
    pub data: EventData,
}

/// The `data` of an event, by its `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EventData {
    Record(Box<Record>),
    Alarm(Alarm),
}

impl Event {
    /// A recognition event.
    pub fn record(record: Record) -> Self {
        Self {
            kind: super::EVENT_TYPE_RECOGNITION,
            data: EventData::Record(Box::new(record)),
        }
    }

    /// An alarm event.
    pub fn alarm(alarm: Alarm) -> Self {
        Self {
            kind: super::EVENT_TYPE_ALARM,
            data: EventData::Alarm(alarm),
        }
    }

    /// The recognition record, when this is one.
    pub fn as_record(&self) -> Option<&Record> {
        match &self.data {
            EventData::Record(r) => Some(r),
            EventData::Alarm(_) => None,
        }
    }

    /// The recognition record, for changing it.
    pub fn as_record_mut(&mut self) -> Option<&mut Record> {
        match &mut self.data {
            EventData::Record(r) => Some(r),
            EventData::Alarm(_) => None,
        }
    }

    /// The alarm, when this is one.
    pub fn as_alarm(&self) -> Option<&Alarm> {
        match &self.data {
            EventData::Alarm(a) => Some(a),
            EventData::Record(_) => None,
        }
    }
}

/// A recognition record of any API version, with exactly the guide's field names. Fields
/// that only some versions have are optional and left out when absent; which are set is
/// the profile's decision (the `profile` module), never the reader's guess.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// 1.0 only.
    #[serde(
        rename = "recognizeStatus",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub recognize_status: Option<RecognizeStatus>,
    /// From 1.1.
    #[serde(
        rename = "recognitionType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub recognition_type: Option<RecognitionType>,
    #[serde(rename = "deviceSN")]
    pub device_sn: String,
    /// From 1.2.1: one per record, the same on every redelivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(rename = "recognizeScore")]
    pub recognize_score: f64,
    /// 1.0 only.
    #[serde(
        rename = "livenessScore",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub liveness_score: Option<f64>,
    pub mask: Mask,
    /// Base64 (standard alphabet, padded) of a JPEG snapshot.
    pub rgb_image: String,
    pub pass: bool,
    pub mode: Mode,
    /// Present for people in the library; absent for strangers and non-live faces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// Recognition time, Unix seconds.
    pub timestamp: i64,
    /// From 1.1: degrees Celsius, 0 where temperature detection is off.
    #[serde(
        rename = "bodyTemperature",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub body_temperature: Option<f64>,
    /// 1.3: how the door was opened (1 to 12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_mode: Option<u8>,
    /// 1.3: what was wrong (0: nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abnormal_type: Option<u32>,
}

/// The `user` object of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub user_id: UserId,
    #[serde(rename = "type")]
    pub kind: i64,
    /// From 1.2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ic_number: Option<String>,
    /// From 1.2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_number: Option<String>,
    /// From 1.2.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// From 1.2.1: Unix milliseconds; 0 for people who are not visitors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_time_start: Option<i64>,
    /// From 1.2.1: Unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_time_end: Option<i64>,
    /// From 1.2.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// 1.3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// From 1.2.1; may be empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<Group>>,
}

impl User {
    /// A user with only the fields of API 1.0.
    pub fn basic(name: impl Into<String>, user_id: UserId, kind: i64) -> Self {
        Self {
            name: name.into(),
            user_id,
            kind,
            ic_number: None,
            job_number: None,
            id_number: None,
            guest_time_start: None,
            guest_time_end: None,
            remark: None,
            pin: None,
            groups: None,
        }
    }
}

/// A user id: an integer up to API 1.2, a string from 1.2.1.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum UserId {
    Int(i64),
    Text(String),
}

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserId::Int(n) => write!(f, "{n}"),
            UserId::Text(s) => f.write_str(s),
        }
    }
}

/// One of a user's groups (from 1.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub name: String,
}

/// A device alarm (API 1.3, event `type` 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alarm {
    /// The alarm's unique id; a clear carries the id of the alarm it clears.
    pub trace_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Required when the alarm is raised; a clear may leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<AlarmCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    /// Unix milliseconds: when the alarm happened, or when it was handled.
    pub event_time: i64,
    pub status: AlarmStatus,
    /// Base64 JPEG.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_photo: Option<String>,
}

/// `mode`: the verification mode the terminal is set to. What each value means depends on
/// the API version (2 and 3 swap after 1.0; 7 to 9 come with 1.2.1): see
/// `Profile::mode_name`. On the wire any value from 0 to 9 is a mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub struct Mode(u8);

impl schemars::JsonSchema for Mode {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Mode".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "integer", "minimum": 0, "maximum": Mode::MAX })
    }
}

impl Mode {
    /// 0: face only, in every version.
    pub const FACE: Mode = Mode(0);
    /// The highest value any version defines.
    pub const MAX: u8 = 9;

    /// The number this value travels as.
    pub fn code(self) -> u8 {
        self.0
    }
}

impl From<Mode> for u8 {
    fn from(m: Mode) -> u8 {
        m.0
    }
}

impl TryFrom<u8> for Mode {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, String> {
        if v <= Mode::MAX {
            Ok(Mode(v))
        } else {
            Err(format!("{v} is not a valid Mode"))
        }
    }
}

/// Defines a small integer enum that travels as its number and rejects unknown numbers.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident: $repr:ident { $($(#[$vmeta:meta])* $variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(into = "u32", try_from = "u32")]
        #[repr($repr)]
        pub enum $name { $($(#[$vmeta])* $variant = $value),+ }

        impl $name {
            /// Every value, in numeric order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The number this value travels as.
            pub fn code(self) -> $repr {
                self as $repr
            }
        }

        impl From<$name> for u32 {
            fn from(v: $name) -> u32 {
                v as u32
            }
        }

        impl TryFrom<$repr> for $name {
            type Error = String;
            fn try_from(v: $repr) -> Result<Self, String> {
                Self::try_from(u32::from(v))
            }
        }

        impl TryFrom<u32> for $name {
            type Error = String;
            fn try_from(v: u32) -> Result<Self, String> {
                match v {
                    $($value => Ok($name::$variant),)+
                    other => Err(format!("{} is not a valid {}", other, stringify!($name))),
                }
            }
        }
    };
}

wire_enum! {
    /// `recognizeStatus`: how the terminal classified the face in front of it.
    RecognizeStatus: u8 {
        /// 0: unknown.
        Unknown = 0,
        /// 1: not a live face (photo, screen, mask attack).
        NonLiveness = 1,
        /// 2: a person in the library.
        InLibrary = 2,
        /// 3: a stranger.
        Stranger = 3,
        /// 4: recognized.
        Recognized = 4,
        /// 5: authentication passed.
        AuthPassed = 5,
        /// 6: authentication failed.
        AuthFailed = 6,
    }
}

wire_enum! {
    /// `mask`: whether mask detection is on and whether the person wears one.
    Mask: u8 {
        /// 0: mask detection not enabled.
        NotEnabled = 0,
        /// 1: no mask worn.
        NotWorn = 1,
        /// 2: mask worn.
        Worn = 2,
    }
}

wire_enum! {
    /// `recognitionType` (from API 1.1): who the terminal saw.
    RecognitionType: u8 {
        /// 1: an employee.
        Employee = 1,
        /// 2: a visitor.
        Visitor = 2,
        /// 3: a stranger.
        Stranger = 3,
        /// 4: not a live face.
        NonLiveness = 4,
        /// 5: a blacklisted person.
        Blacklisted = 5,
    }
}

wire_enum! {
    /// `code` of an alarm (API 1.3).
    AlarmCode: u16 {
        /// 10001: the device was opened or removed.
        Tamper = 10001,
        /// 10002: the door was forced open.
        ForcedOpen = 10002,
        /// 10003: the door stayed open past the sensor's timeout.
        DoorSensorTimeout = 10003,
        /// 10004: too many wrong passwords.
        PasswordAttack = 10004,
        /// 20003: a fire signal.
        Fire = 20003,
    }
}

wire_enum! {
    /// `status` of an alarm (API 1.3).
    AlarmStatus: u8 {
        /// 1: the alarm was raised.
        Raised = 1,
        /// 2: clearing the alarm failed.
        ClearFailed = 2,
        /// 3: the alarm was cleared.
        Cleared = 3,
    }
}

impl RecognitionType {
    /// Lower-case label for logs and reports.
    pub fn label(self) -> &'static str {
        match self {
            Self::Employee => "employee",
            Self::Visitor => "visitor",
            Self::Stranger => "stranger",
            Self::NonLiveness => "non-live",
            Self::Blacklisted => "blacklisted",
        }
    }

    /// Whether records of this type name a person from the library.
    pub fn has_user(self) -> bool {
        matches!(self, Self::Employee | Self::Visitor | Self::Blacklisted)
    }
}

impl RecognizeStatus {
    /// Whether a record with this status may carry `pass: true`. Non-live faces, strangers
    /// and failed authentications never open the door.
    pub fn may_pass(self) -> bool {
        !matches!(self, Self::NonLiveness | Self::Stranger | Self::AuthFailed)
    }

    /// Whether records with this status name a person from the library (`user` present).
    pub fn has_user(self) -> bool {
        matches!(
            self,
            Self::InLibrary | Self::Recognized | Self::AuthPassed | Self::AuthFailed
        )
    }

    /// Lower-case label for logs and reports.
    pub fn label(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::NonLiveness => "non-live",
            Self::InLibrary => "in-library",
            Self::Stranger => "stranger",
            Self::Recognized => "recognized",
            Self::AuthPassed => "auth-passed",
            Self::AuthFailed => "auth-failed",
        }
    }
}
