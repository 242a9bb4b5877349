//! The reference receiver: the server at `event_dest` done right, small enough for a
//! vendor to read as an example. It checks each event, decides the door by a simple
//! policy, answers with `customtips`, and can save the snapshots. It also serves the
//! reference remote-authentication server at `/auth` ([`auth`]), and its figures at
//! `GET /metrics` ([`counters`]).

pub mod auth;
mod counters;
mod text;

use counters::{Callback, Counters, Push};

pub use text::{fit_tips, is_json_content_type};

use std::convert::Infallible;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http::StatusCode;
use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use warp::Filter;

use crate::profile::ApiVersion;
use crate::server::{self, Response};
use crate::synth::jpeg;
use crate::wire::{self, AnswerBody, AnswerRule, Event, RecognitionType, RecognizeStatus, Record};

/// The door policy: who is let through.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Lowest `recognizeScore` that opens the door for a known person.
    pub min_score: f64,
    /// Lowest `livenessScore` that opens the door.
    pub min_liveness: f64,
    /// Let strangers through too (a "fail open" door, for testing how systems react).
    pub admit_strangers: bool,
    /// Screen text when the door stays shut.
    pub deny_tips: String,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            min_score: 0.75,
            min_liveness: 0.5,
            admit_strangers: false,
            deny_tips: "No access".into(),
        }
    }
}

impl Policy {
    /// Decides the door and the screen text for one record, of any API version. Only
    /// people from the library with good scores pass (employees and visitors, never the
    /// blacklisted); non-live faces never do, whatever the settings.
    pub fn decide(&self, record: &Record) -> (bool, String) {
        let status = record.recognize_status;
        let seen = record.recognition_type;
        let live = record.liveness_score.is_none_or(|l| l >= self.min_liveness)
            && status != Some(RecognizeStatus::NonLiveness)
            && seen != Some(RecognitionType::NonLiveness);
        let library = matches!(
            status,
            Some(
                RecognizeStatus::InLibrary
                    | RecognizeStatus::Recognized
                    | RecognizeStatus::AuthPassed
            )
        ) || matches!(
            seen,
            Some(RecognitionType::Employee | RecognitionType::Visitor)
        );
        let known = library && record.user.is_some() && record.recognize_score >= self.min_score;
        let stranger =
            status == Some(RecognizeStatus::Stranger) || seen == Some(RecognitionType::Stranger);
        let stranger_ok = self.admit_strangers && stranger;
        if live && (known || stranger_ok) {
            let name = record.user.as_ref().map_or("guest", |u| u.name.as_str());
            (true, fit_tips(&format!("Hi {name}")))
        } else {
            (false, fit_tips(&self.deny_tips))
        }
    }
}

/// How the reference receiver runs.
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    pub policy: Policy,
    /// Where snapshots are saved as `.jpg`, if anywhere.
    pub save_dir: Option<PathBuf>,
    /// Largest request body taken, in bytes; larger ones get 413.
    pub max_body: u64,
    /// The API version answered for: a door decision under 1.0, an acknowledgement later.
    pub api: ApiVersion,
    /// How `/auth` decides remote-authentication callbacks.
    pub auth: auth::AuthPolicy,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        Self {
            policy: Policy::default(),
            save_dir: None,
            max_body: 8 * 1024 * 1024,
            api: ApiVersion::default(),
            auth: auth::AuthPolicy::default(),
        }
    }
}

/// One event the receiver took, with the answer it gave.
#[derive(Debug, Clone)]
pub struct Received {
    pub event: Event,
    pub answer: AnswerBody,
    /// The device and record number from the snapshot's trace comment.
    pub trace: Option<(String, u64)>,
}

struct State {
    config: ReceiverConfig,
    events: Option<mpsc::UnboundedSender<Received>>,
    counters: Arc<Counters>,
}

/// Serves the reference receiver on `listener` until `shutdown`. Every event taken is sent
/// to `events`, when given, for the caller to print or check.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    config: ReceiverConfig,
    events: Option<mpsc::UnboundedSender<Received>>,
    shutdown: impl Future<Output = ()>,
) {
    serve_with_auth(listener, tls, config, events, None, shutdown).await;
}

/// [`serve`], also sending every remote-authentication callback decided at `/auth` to
/// `decided`, when given.
pub async fn serve_with_auth(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    config: ReceiverConfig,
    events: Option<mpsc::UnboundedSender<Received>>,
    decided: Option<mpsc::UnboundedSender<auth::AuthDecided>>,
    shutdown: impl Future<Output = ()>,
) {
    let state = Arc::new(State {
        config,
        events,
        counters: Arc::default(),
    });
    server::serve(
        listener,
        tls,
        warp::service(routes(state, decided)),
        shutdown,
    )
    .await;
}

fn routes(
    state: Arc<State>,
    decided: Option<mpsc::UnboundedSender<auth::AuthDecided>>,
) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static {
    let max_body = state.config.max_body;
    let callbacks = auth::routes(
        Arc::new(state.config.auth.clone()),
        state.config.api,
        max_body,
        decided,
        state.counters.clone(),
    );
    let counted = state.clone();
    let metrics = warp::path!("metrics").and(warp::get()).map(move || {
        counted
            .counters
            .scrape(counted.config.api.as_str())
            .into_reply()
    });
    let pushes = warp::post()
        .and(warp::header::optional::<String>("content-type"))
        .and(warp::body::content_length_limit(max_body))
        .and(warp::body::bytes())
        .map(move |content_type: Option<String>, body: Bytes| {
            handle(&state, content_type.as_deref(), &body)
        });
    callbacks
        .or(metrics)
        .unify()
        .or(pushes)
        .unify()
        .recover(server::recover)
        .unify()
}

/// The reference receiver's answer to one request, as its status and JSON body, for
/// servers that write their own HTTP (the zoo's socket-level faults).
pub fn answer(config: &ReceiverConfig, content_type: Option<&str>, body: &[u8]) -> (u16, Vec<u8>) {
    let (status, answer) = match judge(config, content_type, body) {
        Judged::Refused(status, answer) | Judged::Acknowledged(status, answer) => (status, answer),
        Judged::Taken(taken) => (StatusCode::OK, taken.answer),
    };
    (
        status.as_u16(),
        serde_json::to_vec(&answer).unwrap_or_default(),
    )
}

/// The reference receiver's answer to a body over its limit.
pub fn too_large() -> (u16, Vec<u8>) {
    let status = StatusCode::PAYLOAD_TOO_LARGE;
    let answer = AnswerBody::failure(i64::from(status.as_u16()), "body too large");
    (
        status.as_u16(),
        serde_json::to_vec(&answer).unwrap_or_default(),
    )
}

/// What the receiver made of a request.
enum Judged {
    /// Not an event: the status and the failure answer.
    Refused(StatusCode, AnswerBody),
    /// An event of another type, acknowledged without opening the door.
    Acknowledged(StatusCode, AnswerBody),
    /// A recognition event, decided.
    Taken(Box<Received>),
}

/// Why a request is not an event: the status and the message of the failure answer.
pub(crate) struct Refusal(pub StatusCode, pub String);

impl Refusal {
    fn bad(msg: impl Into<String>) -> Self {
        Refusal(StatusCode::BAD_REQUEST, msg.into())
    }
}

/// The first step of every receiver's pipeline (the reference's and the zoo's): a JSON
/// body under a JSON Content-Type.
pub(crate) fn read_event(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<serde_json::Value, Refusal> {
    if !content_type.is_some_and(is_json_content_type) {
        return Err(Refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json".into(),
        ));
    }
    if body.is_empty() {
        return Err(Refusal::bad("empty body"));
    }
    serde_json::from_slice(body).map_err(|e| Refusal::bad(format!("body is not JSON: {e}")))
}

/// The event's type when it is not a recognition record (later firmware adds alarms).
pub(crate) fn other_type(value: &serde_json::Value) -> Option<i64> {
    value
        .get(wire::field::TYPE)
        .and_then(serde_json::Value::as_i64)
        .filter(|&k| k != wire::EVENT_TYPE_RECOGNITION)
}

/// The answer to an event of another type: acknowledged without opening the door, so a
/// device does not retry it forever.
pub(crate) fn other_type_answer(rule: AnswerRule, kind: i64) -> AnswerBody {
    match rule {
        AnswerRule::Decision => AnswerBody {
            msg: format!("event type {kind} ignored"),
            ..AnswerBody::decision(false, None)
        },
        AnswerRule::Acknowledgement => AnswerBody::ack(),
    }
}

/// The recognition record in an event's `data`.
pub(crate) fn read_record(value: &serde_json::Value) -> Result<Record, Refusal> {
    match value
        .get(wire::field::DATA)
        .map(|data| serde_json::from_value(data.clone()))
    {
        Some(Ok(r)) => Ok(r),
        Some(Err(e)) => Err(Refusal::bad(format!("not a recognition record: {e}"))),
        None => Err(Refusal::bad("no `data` in the event")),
    }
}

/// The answer to a record taken, by the version's rule: the decision under API 1.0, an
/// acknowledgement later.
pub(crate) fn taken_answer(rule: AnswerRule, pass: bool, tips: Option<String>) -> AnswerBody {
    match rule {
        AnswerRule::Decision => AnswerBody::decision(pass, tips),
        AnswerRule::Acknowledgement => AnswerBody::ack(),
    }
}

fn judge(config: &ReceiverConfig, content_type: Option<&str>, body: &[u8]) -> Judged {
    let rule = config.api.profile().answer;
    let refuse = |Refusal(status, msg): Refusal| {
        Judged::Refused(
            status,
            AnswerBody::failure(i64::from(status.as_u16()), &msg),
        )
    };
    let value = match read_event(content_type, body) {
        Ok(value) => value,
        Err(refusal) => return refuse(refusal),
    };
    if let Some(kind) = other_type(&value) {
        let answer = other_type_answer(rule, kind);
        // An alarm (API 1.3) is taken like a record: printed, counted, acknowledged.
        let alarm = (kind == wire::EVENT_TYPE_ALARM)
            .then(|| value.get(wire::field::DATA))
            .flatten()
            .and_then(|data| serde_json::from_value::<wire::Alarm>(data.clone()).ok());
        return match alarm {
            Some(alarm) => Judged::Taken(Box::new(Received {
                event: Event::alarm(alarm),
                answer,
                trace: None,
            })),
            None => Judged::Acknowledged(StatusCode::OK, answer),
        };
    }
    let record = match read_record(&value) {
        Ok(record) => record,
        Err(refusal) => return refuse(refusal),
    };
    let (pass, tips) = config.policy.decide(&record);
    Judged::Taken(Box::new(Received {
        event: Event::record(record),
        answer: taken_answer(rule, pass, Some(tips)),
        trace: None,
    }))
}

fn handle(state: &State, content_type: Option<&str>, body: &[u8]) -> Response {
    let mut taken = match judge(&state.config, content_type, body) {
        Judged::Refused(status, answer) => {
            state.counters.push(Push::Refused(status));
            return server::json_reply(status, &answer);
        }
        Judged::Acknowledged(status, answer) => {
            state.counters.push(Push::OtherType);
            return server::json_reply(status, &answer);
        }
        Judged::Taken(taken) => taken,
    };
    state.counters.push(match taken.event.as_record() {
        Some(_) => Push::Record {
            pass: taken.answer.data.pass,
        },
        None => Push::Alarm,
    });
    let snapshot = taken.event.as_record().and_then(|r| {
        base64::engine::general_purpose::STANDARD
            .decode(r.rgb_image.as_bytes())
            .ok()
    });
    taken.trace = snapshot
        .as_deref()
        .and_then(jpeg::read_comment)
        .and_then(|c| jpeg::parse_trace(&c));
    if let Some(jpeg) = &snapshot {
        state.counters.snapshot(jpeg, taken.trace.as_ref());
    }
    if let (Some(dir), Some(jpeg)) = (&state.config.save_dir, &snapshot) {
        save_snapshot(dir, &taken.event, taken.trace.as_ref(), jpeg);
    }
    let reply = server::json_reply(StatusCode::OK, &taken.answer);
    if let Some(tx) = &state.events {
        let _ = tx.send(*taken);
    }
    reply
}

/// Saves a snapshot as `<sn>-<seq>.jpg` (or `<sn>-<timestamp>.jpg` without a trace). A
/// failure to save is logged, not answered: the door decision does not depend on disk.
fn save_snapshot(dir: &std::path::Path, event: &Event, trace: Option<&(String, u64)>, jpeg: &[u8]) {
    let Some(record) = event.as_record() else {
        return;
    };
    let sn: String = record
        .device_sn
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let name = match trace {
        Some((_, seq)) => format!("{sn}-{seq:08}.jpg"),
        None => format!("{sn}-{}.jpg", record.timestamp),
    };
    if let Err(e) = std::fs::write(dir.join(&name), jpeg) {
        tracing::warn!(file = %name, error = %e, "cannot save snapshot");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{Generator, SynthConfig};
    use crate::wire::RECOMMENDED_TIPS_CHARS;

    #[test]
    fn tips_count_characters_not_bytes() {
        assert_eq!(fit_tips("Hi 张伟张伟张伟张伟张伟"), "Hi 张伟张伟张伟张");
        assert_eq!(fit_tips("Hi Al"), "Hi Al");
    }

    #[test]
    fn strangers_and_non_live_faces_are_denied() {
        let generator = Generator::new(&SynthConfig::default(), "PS71HD01MC22C00014");
        let policy = Policy::default();
        for seq in 1..300 {
            let draw = generator.draw(seq);
            let event = generator.event(&draw, String::new(), 0);
            let (pass, tips) = policy.decide(event.as_record().expect("a record"));
            if !draw.status.may_pass() || draw.status == RecognizeStatus::Unknown {
                assert!(!pass, "{:?} passed", draw.status);
            }
            assert!(tips.chars().count() <= RECOMMENDED_TIPS_CHARS);
        }
    }

    #[test]
    fn content_types_with_parameters_are_json() {
        assert!(is_json_content_type("application/json; charset=utf-8"));
        assert!(is_json_content_type("Application/JSON"));
        assert!(!is_json_content_type("text/plain"));
    }
}
