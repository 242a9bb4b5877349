//! Faults at the HTTP level: the reference receiver's behaviour (checks, door policy,
//! answers) with exactly one deviation each. The answer is built as JSON, as the reference
//! builds it, and then bent by the fault, so a fault changes one thing and nothing else.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use rustls::ServerConfig;
use serde_json::{Map, Value};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use warp::Filter;

use super::fault::{Fault, ZooOptions};
use crate::receiver::{self, Policy, Refusal, fit_tips, taken_answer};
use crate::server::{self, Response};
use crate::wire::{self, AnswerBody, RecognizeStatus, field};

/// Body limit of `fails-large-bodies`: below real snapshots at full frame.
const SMALL_BODY_LIMIT: u64 = 256 * 1024;
/// Body limit of `accepts-garbage`: it takes anything a test could reasonably send.
const GARBAGE_BODY_LIMIT: u64 = 64 * 1024 * 1024;
/// Longest name `rejects-long-names` takes, in bytes (a common `VARCHAR(64)`).
const SHORT_NAME_BYTES: usize = 64;
/// Screen text of `long-customtips`: 29 characters, far over the recommended 10.
const LONG_TIPS: &str = "Welcome back, have a nice day";
/// Work time of `slow-under-load` per request, which makes overlapping requests certain
/// under concurrency while a lone request stays fast.
const BACKEND_TIME: std::time::Duration = std::time::Duration::from_millis(5);

/// How long `small-backlog` stops accepting: longer than the window over which terminals
/// start, so that those connecting meanwhile overflow its backlog, and shorter than the
/// initial SYN retransmission timeout (1 s), so that their retransmission gets in.
const ACCEPT_STALL: std::time::Duration = std::time::Duration::from_millis(600);
/// The least time between two stalls of `small-backlog`.
const STALL_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// How long a dead receiver keeps a request that slipped in waiting before it gives up.
const DEAD_SILENCE: std::time::Duration = std::time::Duration::from_secs(60);

struct State {
    fault: Fault,
    options: ZooOptions,
    policy: Policy,
    /// Held by the request `one-at-a-time` is working on.
    line: tokio::sync::Mutex<()>,
    /// The `uuid`s taken so far, for `duplicate-uuid-500`.
    seen: std::sync::Mutex<std::collections::HashSet<String>>,
    in_flight: AtomicUsize,
    answered: AtomicUsize,
    /// Set when a dying fault has gone away.
    dead: AtomicBool,
    /// Woken when a dying fault (`refuses-after-n`, `dies-after-bad-input`) goes away.
    death: Notify,
}

/// Counts a request as in flight for as long as it lives.
struct InFlight(Arc<State>);

impl InFlight {
    fn enter(state: &Arc<State>) -> Self {
        state.in_flight.fetch_add(1, Ordering::SeqCst);
        Self(state.clone())
    }

    fn others(&self) -> usize {
        self.0.in_flight.load(Ordering::SeqCst).saturating_sub(1)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Serves an HTTP-level fault until `shutdown`. A dying fault stops its server early and
/// then waits for `shutdown` with its listener closed, so connections are refused.
pub(super) async fn serve(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    fault: Fault,
    options: ZooOptions,
    shutdown: impl Future<Output = ()>,
) {
    let limit = match fault {
        Fault::AcceptsGarbage => GARBAGE_BODY_LIMIT,
        Fault::FailsLargeBodies => SMALL_BODY_LIMIT,
        _ => options.max_body,
    };
    let state = Arc::new(State {
        fault,
        options,
        policy: Policy::default(),
        seen: std::sync::Mutex::new(std::collections::HashSet::new()),
        line: tokio::sync::Mutex::new(()),
        in_flight: AtomicUsize::new(0),
        answered: AtomicUsize::new(0),
        dead: AtomicBool::new(false),
        death: Notify::new(),
    });
    let with_state = {
        let state = state.clone();
        warp::any().map(move || InFlight::enter(&state))
    };
    let route = warp::post()
        .and(with_state)
        .and(warp::header::headers_cloned())
        .and(warp::body::content_length_limit(limit))
        .and(warp::body::bytes())
        .then(
            |guard: InFlight, headers: HeaderMap, body: Bytes| async move {
                handle(&guard, &headers, &body).await
            },
        );
    // `/auth` is the remote-authentication endpoint: the reference's, bent by an auth
    // fault; every other path is the push receiver.
    let route = super::auth::routes(fault, state.options.clone())
        .or(route)
        .unify()
        .recover(server::recover)
        .unify();

    tokio::pin!(shutdown);
    let mut stopped = false;
    {
        let stop = async {
            tokio::select! {
                () = &mut shutdown => stopped = true,
                () = state.death.notified() => tracing::debug!(%fault, "zoo receiver goes away"),
            }
        };
        server::serve_paced(listener, tls, warp::service(route), pace(fault), stop).await;
    }
    if !stopped {
        shutdown.await;
    }
}

/// How the accept loop is paced: only `small-backlog` stalls, once three connections are
/// open at once (as when several terminals connect together), and at most once every
/// few seconds, so a terminal whose SYN was dropped gets in on its retransmission.
fn pace(fault: Fault) -> impl FnMut(usize) -> Option<std::time::Duration> {
    let mut last: Option<std::time::Instant> = None;
    move |open| {
        let due = last.is_none_or(|t| t.elapsed() >= STALL_EVERY);
        (fault == Fault::SmallBacklog && open >= 3 && due).then(|| {
            last = Some(std::time::Instant::now());
            ACCEPT_STALL
        })
    }
}

async fn handle(guard: &InFlight, headers: &HeaderMap, body: &[u8]) -> Response {
    let state = &guard.0;
    if state.dead.load(Ordering::SeqCst) {
        // A connection accepted in the instant between the death and the closing of the
        // listener gets no answer either: a dead receiver must not answer anything.
        tokio::time::sleep(DEAD_SILENCE).await;
        return server::error_reply(StatusCode::SERVICE_UNAVAILABLE, "gone");
    }
    match state.fault {
        Fault::Http500 => {
            return server::error_reply(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
        Fault::SlowAnswer => tokio::time::sleep(state.options.slow_delay).await,
        // A few milliseconds of work per answer keep terminals' connections open at
        // once, as a real backend's do; the backlog does the rest.
        Fault::SmallBacklog => tokio::time::sleep(BACKEND_TIME).await,
        Fault::OneAtATime => {
            // The turn is held for the work and the answer, so requests never overlap.
            let _turn = state.line.lock().await;
            tokio::time::sleep(state.options.serial_work).await;
            return answer(state, headers, body);
        }
        Fault::SlowUnderLoad => {
            tokio::time::sleep(BACKEND_TIME).await;
            if guard.others() > 0 {
                tokio::time::sleep(state.options.overload_pause).await;
                return server::error_reply(StatusCode::SERVICE_UNAVAILABLE, "busy");
            }
        }
        _ => {}
    }
    let response = answer(state, headers, body);
    let answered = state.answered.fetch_add(1, Ordering::SeqCst) + 1;
    let dies = match state.fault {
        Fault::RefusesAfterN => answered >= state.options.refuse_after,
        Fault::DiesAfterBadInput => response.status().is_client_error(),
        _ => false,
    };
    if dies {
        state.dead.store(true, Ordering::SeqCst);
        // notify_one keeps a permit, so the death is not lost if the server loop is not
        // waiting at this very moment.
        state.death.notify_one();
    }
    response
}

/// The reference behaviour with the fault's deviation.
fn answer(state: &State, headers: &HeaderMap, body: &[u8]) -> Response {
    let fault = state.fault;
    let rule = state.options.api.profile().answer;
    let lenient = fault == Fault::AcceptsGarbage;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    // A lenient receiver takes any Content-Type, and a body it cannot read too.
    let value = if lenient {
        match serde_json::from_slice::<Value>(body) {
            Ok(value) => value,
            Err(_) => return accept(fault, taken_answer(rule, false, None)),
        }
    } else {
        match receiver::read_event(content_type, body) {
            Ok(value) => value,
            Err(Refusal(status, msg)) => return refuse(status, &msg),
        }
    };
    if let Some(kind) = receiver::other_type(&value) {
        if matches!(fault, Fault::RejectsTypeNonzero | Fault::RejectsAlarms) {
            return plain(StatusCode::BAD_REQUEST, "unsupported event type");
        }
        let alarm = value.get(field::DATA);
        let clear_without_code = kind == wire::EVENT_TYPE_ALARM
            && alarm.is_some_and(|a| {
                a.get(field::STATUS).and_then(Value::as_i64) != Some(1)
                    && a.get(field::CODE).is_none()
            });
        if fault == Fault::CrashesOnClearWithoutCode && clear_without_code {
            // The code looked up `data.code` and assumed it was there.
            return server::error_reply(StatusCode::INTERNAL_SERVER_ERROR, "KeyError: 'code'");
        }
        return accept(fault, receiver::other_type_answer(rule, kind));
    }
    let data = value.get(field::DATA);
    let user = data.and_then(|d| d.get(field::USER));
    let refused = match fault {
        Fault::RejectsUnknownFields => has_unknown_fields(&value, state.options.api.profile()),
        Fault::RejectsUserNull => user.is_some_and(Value::is_null),
        Fault::RequiresUser => user.is_none_or(Value::is_null),
        Fault::RequiresRecognizeStatus => {
            data.is_none_or(|d| d.get(field::RECOGNIZE_STATUS).is_none())
        }
        _ => false,
    };
    // Like Python's int(): a numeric string such as "1024" parses, a UUID does not.
    if fault == Fault::ParsesUserIdInt
        && user.and_then(|u| u.get(field::USER_ID)).is_some_and(|id| {
            !id.is_i64() && id.as_str().is_none_or(|s| s.trim().parse::<i64>().is_err())
        })
    {
        return server::error_reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "invalid literal for int() with base 10",
        );
    }
    if refused {
        return refuse(StatusCode::BAD_REQUEST, "record not accepted");
    }
    let record = match receiver::read_record(&value) {
        Ok(record) => record,
        Err(_) if lenient => return accept(fault, taken_answer(rule, false, None)),
        Err(Refusal(status, msg)) => return refuse(status, &msg),
    };
    if fault == Fault::DuplicateUuid500 {
        if let Some(uuid) = &record.uuid {
            let fresh = state
                .seen
                .lock()
                .map(|mut seen| seen.insert(uuid.clone()))
                .unwrap_or(true);
            if !fresh {
                return server::error_reply(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "duplicate key value violates unique constraint \"records_uuid_key\"",
                );
            }
        }
    }
    let name = record.user.as_ref().map_or("", |u| u.name.as_str());
    match fault {
        Fault::RejectsRareStatus
            if matches!(
                record.recognize_status,
                Some(RecognizeStatus::Recognized | RecognizeStatus::AuthPassed)
            ) =>
        {
            return refuse(StatusCode::BAD_REQUEST, "unknown recognizeStatus");
        }
        Fault::RejectsNewModes if record.mode.code() > 3 => {
            return refuse(StatusCode::BAD_REQUEST, "unknown mode");
        }
        Fault::FailsNonAscii if !name.is_ascii() => {
            return server::error_reply(StatusCode::INTERNAL_SERVER_ERROR, "encoding error");
        }
        Fault::RejectsLongNames if name.len() > SHORT_NAME_BYTES => {
            return refuse(StatusCode::BAD_REQUEST, "name too long");
        }
        _ => {}
    }
    let (pass, tips) = match state.policy.decide(&record) {
        (false, _) if fault == Fault::FailsOpen => (true, fit_tips("Welcome")),
        decision => decision,
    };
    accept(fault, taken_answer(rule, pass, Some(tips)))
}

/// A success answer, bent by the answer-shape faults.
fn accept(fault: Fault, answer: AnswerBody) -> Response {
    if fault == Fault::NotJson {
        let mut response = plain(StatusCode::OK, "OK");
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return response;
    }
    let mut value = serde_json::to_value(&answer).unwrap_or(Value::Null);
    if let Value::Object(top) = &mut value {
        bend(fault, top);
    }
    let mut response = server::json_reply(StatusCode::OK, &value);
    match fault {
        Fault::HtmlContentType => {
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
        }
        Fault::NoKeepAlive => {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        _ => {}
    }
    response
}

/// Changes one field of an answer object the way `fault` says.
fn bend(fault: Fault, top: &mut Map<String, Value>) {
    let code = top.get(field::CODE).cloned().unwrap_or(Value::Null);
    match fault {
        Fault::CodeAsString => {
            top.insert(field::CODE.into(), Value::String(code.to_string()));
        }
        Fault::CodeNot200 => {
            top.insert(field::CODE.into(), Value::from(0));
        }
        Fault::MissingMsg => {
            top.remove(field::MSG);
        }
        Fault::MessageField => {
            if let Some(msg) = top.remove(field::MSG) {
                top.insert(field::MESSAGE.into(), msg);
            }
        }
        Fault::DataMissing => {
            top.remove(field::DATA);
        }
        _ => {}
    }
    let Some(Value::Object(data)) = top.get_mut(field::DATA) else {
        return;
    };
    match fault {
        Fault::PassMissing => {
            data.remove(field::PASS);
        }
        Fault::PassAsString => {
            let pass = data
                .get(field::PASS)
                .and_then(Value::as_bool)
                .unwrap_or(false);
            data.insert(field::PASS.into(), Value::String(pass.to_string()));
        }
        Fault::CustomtipsNumber => {
            data.insert(field::CUSTOMTIPS.into(), Value::from(42));
        }
        Fault::LongCustomtips => {
            data.insert(field::CUSTOMTIPS.into(), Value::from(LONG_TIPS));
        }
        _ => {}
    }
}

/// The reference receiver's refusal: the HTTP status, echoed as `code`.
fn refuse(status: StatusCode, msg: &str) -> Response {
    server::json_reply(
        status,
        &AnswerBody::failure(i64::from(status.as_u16()), msg),
    )
}

/// A plain-text answer, as hand-written receivers give when they reject something.
fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut response = Response::new(Bytes::from_static(text.as_bytes()).into());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Whether an event carries a field the spec does not list, at any level.
fn has_unknown_fields(event: &Value, profile: &crate::profile::Profile) -> bool {
    const TOP: &[&str] = &[field::TYPE, field::DATA];
    let (record, user) = (profile.record_fields(), profile.user_fields());
    let unknown = |value: Option<&Value>, known: &[&str]| {
        value
            .and_then(Value::as_object)
            .is_some_and(|o| o.keys().any(|k| !known.contains(&k.as_str())))
    };
    let data = event.get(field::DATA);
    unknown(Some(event), TOP)
        || unknown(data, &record)
        || unknown(data.and_then(|d| d.get(field::USER)), &user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_are_found_at_every_level() {
        use crate::profile::ApiVersion;
        let v1_0 = ApiVersion::V1_0.profile();
        let v1_3 = ApiVersion::V1_3.profile();
        let known = json!({"type": 0, "data": {"mask": 1, "user": {"name": "Q", "user_id": 1}}});
        assert!(!has_unknown_fields(&known, v1_0));
        assert!(has_unknown_fields(&json!({"type": 0, "extra": 1}), v1_0));
        // `uuid` is unknown to 1.0 and known from 1.2.1: the fields follow the version.
        let with_uuid = json!({"type": 0, "data": {"uuid": "x", "user": {"pin": ""}}});
        assert!(has_unknown_fields(&with_uuid, v1_0));
        assert!(!has_unknown_fields(&with_uuid, v1_3));
        assert!(has_unknown_fields(
            &json!({"data": {"user": {"card": "1"}}}),
            v1_3
        ));
    }

    #[test]
    fn bending_changes_one_field() {
        let answer = serde_json::to_value(AnswerBody::decision(true, Some("Hi".into()))).unwrap();
        let Value::Object(original) = answer else {
            unreachable!()
        };
        for (fault, changed) in [
            (Fault::CodeAsString, field::CODE),
            (Fault::CodeNot200, field::CODE),
            (Fault::MissingMsg, field::MSG),
            (Fault::DataMissing, field::DATA),
            (Fault::PassMissing, field::DATA),
            (Fault::CustomtipsNumber, field::DATA),
        ] {
            let mut bent = original.clone();
            bend(fault, &mut bent);
            for (key, value) in &original {
                if key != changed {
                    assert_eq!(bent.get(key), Some(value), "{fault} changed {key}");
                }
            }
            assert_ne!(
                bent.get(changed),
                original.get(changed),
                "{fault} changed nothing"
            );
        }
    }
}
