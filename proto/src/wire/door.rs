//! The door request and what a device says of itself (`/v1/device/door`, `/v1/device/info`),
//! and the names of the recognition settings the device acts on.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `POST /v1/device/door`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DoorRequest {
    /// 0 open for `keep_door_open_duration`, 1 stay open, 2 stay closed.
    pub open_mode: Option<i64>,
    #[serde(default)]
    pub card_number: Option<String>,
}

/// `GET /v1/device/info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeviceInfo {
    pub model: String,
    pub device_sn: String,
    pub mac_wired: String,
    pub mac_wlan: String,
    pub sw_ver: String,
    pub hw_ver: String,
    pub app_ver: String,
    /// From 1.1.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_ver: Option<String>,
    /// From 1.1.0: algorithm versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_ver: Option<Map<String, Value>>,
}

/// The algorithm names `model_ver` lists.
pub const MODEL_VERSIONS: [(&str, &str); 8] = [
    ("hunter", "KM_Hunter_3.2.1"),
    ("august", "KM_August_2.8.0"),
    ("aligner", "KM_Aligner_1.9.4"),
    ("headpose", "KM_Headpose_1.2.0"),
    ("blur", "KM_Blur_1.1.2"),
    ("liveness", "KM_Liveness_4.0.3"),
    ("feature", "KM_Feature_5.1.0"),
    ("attribute", "KM_Attribute_2.3.1"),
];

/// The settings' fields that the device acts on.
pub mod recognize_field {
    pub const LIVENESS: &str = "liveness";
    pub const LIVENESS_THRESHOLD: &str = "liveness_threshold";
    pub const VERIFY_THRESHOLD: &str = "verify_threshold";
    pub const MASK_DETECT: &str = "mask_detect";
    pub const NO_ACCESS_WITHOUT_MASK: &str = "no_access_without_mask";
    pub const NO_ACCESS_WITH_MASK: &str = "no_access_with_mask";
    pub const OPEN_DOOR_TYPE: &str = "open_door_type";
    pub const TIME_ZONE: &str = "time_zone";
    pub const LOCAL_TIME: &str = "local_time";
    pub const MANUAL_MODE: &str = "manual_mode";
    pub const CERTIFICATE_THRESHOLD: &str = "certificate_threshold";
    pub const OPEN_INTERVAL: &str = "open_interval";
    pub const KEEP_DOOR_OPEN_DURATION: &str = "keep_door_open_duration";
    pub const RESIGN_INTERVAL: &str = "resign_interval";
}
