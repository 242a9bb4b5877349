//! The bodies of the person-library routes (`/v1/user`, `/v1/group`, `/v1/rule`, their
//! searches, pages and `/v2` batches, `/v2/datasync`). Inputs keep ids as raw JSON
//! (a number or a string, normalised by `library`); answers carry them as [`UserId`],
//! an integer or a string as the API version says. Unknown fields are ignored, as the
//! vendor's client sends some (`user_id` and `type` on a PUT).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::UserId;

/// Reads a field that may be absent (`None`), `null` (`Some(None)`) or a value.
fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A user as a client sends it (`POST /v1/user`, `PUT /v1/user/id/{id}`, `/v2/user`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, schemars::JsonSchema)]
pub struct UserInput {
    #[serde(default)]
    pub user_id: Option<Value>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<i64>,
    /// Absent: keep; `null` or `""`: remove the face; else base64 JPEG or PNG.
    #[serde(default, deserialize_with = "nullable")]
    pub avatar: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub feature: Option<Option<String>>,
    #[serde(default)]
    pub ic_number: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub job_number: Option<String>,
    #[serde(default)]
    pub pin: Option<String>,
    #[serde(default)]
    pub guest_time_start: Option<i64>,
    #[serde(default)]
    pub guest_time_end: Option<i64>,
    #[serde(default)]
    pub groups: Option<Vec<Value>>,
    #[serde(default)]
    pub is_admin: Option<bool>,
    #[serde(default)]
    pub remark: Option<String>,
}

/// A stored user as the device answers it (and as the library keeps it on disk, with
/// `avatar` in a file of its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UserOutput {
    pub user_id: UserId,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: i64,
    pub avatar: String,
    pub feature: String,
    pub ic_number: String,
    pub id_number: String,
    pub job_number: String,
    pub pin: String,
    pub guest_time_start: i64,
    pub guest_time_end: i64,
    pub groups: Vec<UserId>,
    pub is_admin: bool,
    pub remark: String,
    pub create_at: i64,
    pub update_at: i64,
}

/// A group as a client sends it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, schemars::JsonSchema)]
pub struct GroupInput {
    #[serde(default)]
    pub group_id: Option<Value>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<i64>,
    /// Absent: keep (on update); `null`, `0` or `""`: no rule.
    #[serde(default, deserialize_with = "nullable")]
    pub rule_id: Option<Option<Value>>,
}

/// A stored group. `rule_id` is `0` (integer ids) or `""` (string ids) when unbound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GroupOutput {
    pub group_id: UserId,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: i64,
    pub rule_id: UserId,
    pub create_at: i64,
    pub update_at: i64,
}

/// A time of day.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct TimeOfDay {
    #[serde(default)]
    pub hour: i64,
    #[serde(default)]
    pub min: i64,
    #[serde(default)]
    pub sec: i64,
}

/// A period of a day, both ends included.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Period {
    #[serde(default)]
    pub start_time: TimeOfDay,
    #[serde(default)]
    pub end_time: TimeOfDay,
}

/// A special day; 0 in a field means every year, month or day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SpecialDay {
    #[serde(default)]
    pub year: i64,
    #[serde(default)]
    pub month: i64,
    #[serde(default)]
    pub day: i64,
    #[serde(default)]
    pub today_period: Vec<Period>,
}

/// A rule's schedule (`the_period` is Tuesday, as the guide spells it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Schedule {
    #[serde(default)]
    pub onset_point: Option<i64>,
    #[serde(default)]
    pub expire_point: Option<i64>,
    #[serde(default)]
    pub mon_period: Vec<Period>,
    #[serde(default)]
    pub the_period: Vec<Period>,
    #[serde(default)]
    pub wed_period: Vec<Period>,
    #[serde(default)]
    pub thur_period: Vec<Period>,
    #[serde(default)]
    pub fri_period: Vec<Period>,
    #[serde(default)]
    pub sat_period: Vec<Period>,
    #[serde(default)]
    pub sun_period: Vec<Period>,
    #[serde(default)]
    pub special_days: Vec<SpecialDay>,
}

impl Schedule {
    /// The weekday periods, Sunday first (index = days since Sunday).
    pub fn weekdays(&self) -> [&Vec<Period>; 7] {
        [
            &self.sun_period,
            &self.mon_period,
            &self.the_period,
            &self.wed_period,
            &self.thur_period,
            &self.fri_period,
            &self.sat_period,
        ]
    }
}

/// A rule as a client sends it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, schemars::JsonSchema)]
pub struct RuleInput {
    #[serde(default)]
    pub rule_id: Option<Value>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub schedule: Option<Schedule>,
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RuleOutput {
    pub rule_id: UserId,
    pub name: String,
    pub schedule: Schedule,
    pub create_at: i64,
    pub update_at: i64,
}

/// `POST /v1/{user,group,rule}/search`; empty strings are "not given".
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
pub struct SearchRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub ic_number: Option<String>,
    #[serde(default)]
    pub job_number: Option<String>,
}

/// `{"items": [id, …]}`: search results, a group's users, a rule's groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IdList {
    pub items: Vec<UserId>,
}

/// One page of `GET /v1/{user,group,rule}/offset/{o}/limit/{l}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "{T}Page")]
pub struct Page<T> {
    pub offset: u64,
    pub limit: u64,
    pub count: u64,
    pub total: u64,
    pub items: Vec<T>,
}

/// `POST /v2/user`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
pub struct UserBatch {
    pub user_list: Vec<Value>,
}

/// `POST /v2/group`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
pub struct GroupBatch {
    pub group_list: Vec<Value>,
}

/// `POST /v2/rule`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
pub struct RuleBatch {
    pub rule_list: Vec<Value>,
}

/// `DELETE /v2/{user,group,rule}`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
pub struct IdBatch {
    pub ids: Vec<Value>,
}

/// One refused item of a batch: its id as sent (`null` when it had none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BatchError {
    pub id: Value,
    pub code: i64,
    pub msg: String,
}

/// The answer of a batch: the items that were not applied.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BatchErrors {
    pub errors: Vec<BatchError>,
}

/// A user in `GET /v2/datasync/info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SyncUser {
    pub id: UserId,
    pub update_at: i64,
    pub groups: Vec<UserId>,
}

/// A group or rule in `GET /v2/datasync/info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SyncItem {
    pub id: UserId,
    pub update_at: i64,
}

/// `GET /v2/datasync/info`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SyncInfo {
    pub users: Vec<SyncUser>,
    pub groups: Vec<SyncItem>,
    pub rules: Vec<SyncItem>,
}
