//! History and the live feed on the wire: the `POST /v1/event/records` query and its
//! answer (items in the guide's history layout, `groups` beside `user`), the line format
//! of the on-device record log, the live feed's message, and the `/sim/history` figures.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Event, Group, Record, UserId};

/// The query's field names.
pub(crate) mod query_field {
    pub const BEGIN_TIME: &str = "begin_time";
    pub const END_TIME: &str = "end_time";
    pub const USER_ID: &str = "user_id";
    pub const JOB_NUMBER: &str = "job_number";
    pub const IC_NUMBER: &str = "ic_number";
    pub const OFFSET: &str = "offset";
    pub const LIMIT: &str = "limit";
    pub const SORT: &str = "sort";
}

/// Who a history query asks about: one filter, by the guide's priority
/// `user_id` > `job_number` > `ic_number`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    UserId(String),
    JobNumber(String),
    IcNumber(String),
}

/// A validated history query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordQuery {
    /// Unix seconds, inclusive; `None` is unbounded (the guide's absent or 0).
    pub begin: Option<i64>,
    pub end: Option<i64>,
    pub who: Option<Who>,
    pub offset: usize,
    pub limit: usize,
    /// `sort` 1: newest first.
    pub descending: bool,
}

/// The paging limits a version allows (the profile's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimits {
    /// When `limit` is absent or 0.
    pub default: usize,
    /// The largest `limit` accepted; above it the query is refused.
    pub max: usize,
}

/// Why a history query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    #[error("body is not valid JSON: {0}")]
    NotJson(String),
    #[error("body must be a JSON object, got {0}")]
    NotObject(&'static str),
    #[error("`{field}` must be {expected}, got {found}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
        found: String,
    },
    #[error("`{field}` must not be negative, got {value}")]
    Negative { field: &'static str, value: i64 },
    #[error("`end_time` {end} is before `begin_time` {begin}")]
    EndBeforeBegin { begin: i64, end: i64 },
    #[error("`limit` {limit} is above the maximum of {max}")]
    LimitTooLarge { limit: i64, max: usize },
    #[error("`sort` must be 0 (oldest first) or 1 (newest first), got {0}")]
    Sort(i64),
}

/// Parses a `POST /v1/event/records` body. An empty body is the empty query; `null` is
/// the same as an absent field; unknown fields are ignored, as the terminal does.
///
/// # Errors
/// [`QueryError`] naming the field at fault.
pub fn parse_record_query(body: &[u8], limits: PageLimits) -> Result<RecordQuery, QueryError> {
    use query_field as q;
    let map: Map<String, Value> = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => map,
            Ok(other) => return Err(QueryError::NotObject(super::json_type(&other))),
            Err(e) => return Err(QueryError::NotJson(e.to_string())),
        }
    };
    let int = |field: &'static str| -> Result<Option<i64>, QueryError> {
        match map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or(QueryError::WrongType {
                field,
                expected: "an integer",
                found: n.to_string(),
            }),
            Some(other) => Err(QueryError::WrongType {
                field,
                expected: "an integer",
                found: super::json_type(other).into(),
            }),
        }
    };
    let text = |field: &'static str, numbers: bool| -> Result<Option<String>, QueryError> {
        match map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            // Ids were numbers up to API 1.2; a client of that era may send one.
            Some(Value::Number(n)) if numbers => Ok(Some(n.to_string())),
            Some(other) => Err(QueryError::WrongType {
                field,
                expected: "a string",
                found: super::json_type(other).into(),
            }),
        }
    };
    let time = |field: &'static str| -> Result<Option<i64>, QueryError> {
        match int(field)? {
            Some(v) if v < 0 => Err(QueryError::Negative { field, value: v }),
            Some(0) | None => Ok(None),
            Some(v) => Ok(Some(v)),
        }
    };
    let begin = time(q::BEGIN_TIME)?;
    let end = time(q::END_TIME)?;
    if let (Some(begin), Some(end)) = (begin, end)
        && end < begin
    {
        return Err(QueryError::EndBeforeBegin { begin, end });
    }
    // Every filter is type-checked, even those the priority then ignores.
    let user_id = text(q::USER_ID, true)?;
    let job_number = text(q::JOB_NUMBER, false)?;
    let ic_number = text(q::IC_NUMBER, false)?;
    let who = user_id
        .map(Who::UserId)
        .or(job_number.map(Who::JobNumber))
        .or(ic_number.map(Who::IcNumber));
    let offset = match int(q::OFFSET)? {
        Some(v) if v < 0 => {
            return Err(QueryError::Negative {
                field: q::OFFSET,
                value: v,
            });
        }
        v => usize::try_from(v.unwrap_or(0)).unwrap_or(usize::MAX),
    };
    let limit = match int(q::LIMIT)? {
        Some(v) if v < 0 => {
            return Err(QueryError::Negative {
                field: q::LIMIT,
                value: v,
            });
        }
        Some(v) if v > limits.max as i64 => {
            return Err(QueryError::LimitTooLarge {
                limit: v,
                max: limits.max,
            });
        }
        // 0 means "not given", as it does for the times.
        Some(0) | None => limits.default,
        Some(v) => v as usize,
    };
    let descending = match int(q::SORT)? {
        None | Some(0) => false,
        Some(1) => true,
        Some(other) => return Err(QueryError::Sort(other)),
    };
    Ok(RecordQuery {
        begin,
        end,
        who,
        offset,
        limit,
        descending,
    })
}

/// Which `user` fields a version's history items carry, and how ids travel (the
/// profile's; `wire` does not know versions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemLayout {
    /// Ids are strings (from 1.2.1); integers before.
    pub text_ids: bool,
    /// `ic_number` and `job_number` (from 1.2).
    pub card_numbers: bool,
    /// `id_number` and `groups` (from 1.2.1).
    pub record_ids: bool,
}

/// One `items` entry of the history answer: the record as it was pushed, with `groups`
/// moved out of `user` to beside it, `user` always present (nulls for somebody unknown),
/// and no `livenessScore` (the history never shows one). The record's fields are the
/// record's own type, flattened, so the schema of a record is spelled once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryItem {
    /// The record's fields; its own `user` and `livenessScore` are always left out, and
    /// `rgb_image` is the snapshot's base64 or `""` when the snapshot was not kept.
    #[serde(flatten)]
    pub record: Record,
    pub user: HistoryUser,
    /// From 1.2.1; `[]` for somebody unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<Group>>,
}

/// The `user` of a history item. For somebody not in the library `user_id` is `""`
/// (0 where ids are integers) and every other field is `null`, as the guide's example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryUser {
    pub name: Option<String>,
    pub user_id: UserId,
    #[serde(rename = "type")]
    pub kind: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ic_number: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_number: Option<Option<String>>,
}

impl HistoryItem {
    /// The item of a logged record, with `rgb_image` as given (base64 or `""`).
    pub fn of(record: &Record, rgb_image: String, layout: ItemLayout) -> Self {
        let field = |on: bool, value: Option<&String>| on.then(|| value.cloned());
        let (user, groups) = match &record.user {
            Some(u) => (
                HistoryUser {
                    name: Some(u.name.clone()),
                    user_id: u.user_id.clone(),
                    kind: Some(u.kind),
                    ic_number: field(layout.card_numbers, u.ic_number.as_ref()),
                    id_number: field(layout.record_ids, u.id_number.as_ref()),
                    job_number: field(layout.card_numbers, u.job_number.as_ref()),
                },
                layout
                    .record_ids
                    .then(|| u.groups.clone().unwrap_or_default()),
            ),
            None => (
                HistoryUser {
                    name: None,
                    user_id: if layout.text_ids {
                        UserId::Text(String::new())
                    } else {
                        UserId::Int(0)
                    },
                    kind: None,
                    ic_number: layout.card_numbers.then_some(None),
                    id_number: layout.record_ids.then_some(None),
                    job_number: layout.card_numbers.then_some(None),
                },
                layout.record_ids.then(Vec::new),
            ),
        };
        let record = Record {
            user: None,
            liveness_score: None,
            rgb_image,
            ..record.clone()
        };
        Self {
            record,
            user,
            groups,
        }
    }
}

/// The answer `data` of `POST /v1/event/records`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordPage {
    pub offset: usize,
    pub limit: usize,
    /// Items in this page.
    pub count: usize,
    /// Records matching the query, over all pages.
    pub total: usize,
    pub items: Vec<HistoryItem>,
}

/// One line of the on-device record log: the record (its `rgb_image` emptied; the
/// snapshot is kept in a file of its own) and its sequence number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    pub seq: u64,
    /// Whether the snapshot was kept (`record_image` was on).
    pub image: bool,
    pub record: Record,
}

/// The fields of a log line that the log's index needs, read without the rest.
#[derive(Debug, Clone, Deserialize)]
pub struct LogLineHead {
    pub seq: u64,
    #[serde(default)]
    pub image: bool,
    pub record: LogRecordHead,
}

/// The record fields the history filters on.
#[derive(Debug, Clone, Deserialize)]
pub struct LogRecordHead {
    pub timestamp: i64,
    #[serde(default)]
    pub user: Option<LogUserHead>,
}

/// The user fields the history filters on.
#[derive(Debug, Clone, Deserialize)]
pub struct LogUserHead {
    pub user_id: UserId,
    #[serde(default)]
    pub job_number: Option<String>,
    #[serde(default)]
    pub ic_number: Option<String>,
}

/// The live feed's message of a record: `{"type": 0, "data": record}` with the fields of
/// the guide's WebSocket page, which are the push's without `entry_mode`,
/// `abnormal_type` and `user.pin`.
pub fn live_event(record: &Record) -> Event {
    let mut record = record.clone();
    record.entry_mode = None;
    record.abnormal_type = None;
    if let Some(user) = record.user.as_mut() {
        user.pin = None;
    }
    Event::record(record)
}

/// The `/sim/history` figures: the record log and the live feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryStats {
    /// Records in the log now.
    pub records: u64,
    /// The most records the log keeps.
    pub capacity: u64,
    /// Oldest records dropped to make room, since the log was created.
    pub dropped: u64,
    pub oldest_seq: Option<u64>,
    pub newest_seq: Option<u64>,
    /// Snapshots kept now, and the most kept.
    pub images: u64,
    pub image_capacity: u64,
    pub live: LiveStats,
}

/// Figures of the live feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveStats {
    pub clients: u64,
    pub max_clients: u64,
    /// Messages handed to clients.
    pub sent: u64,
    /// Messages a slow client missed because it fell too far behind.
    pub dropped: u64,
    /// Clients refused because the feed was full.
    pub refused: u64,
    /// Clients cut off because their socket took no message for too long.
    pub stalled: u64,
}
