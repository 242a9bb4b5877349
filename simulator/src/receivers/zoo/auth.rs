//! Faulty remote-authentication servers: the zoo's `/auth` is the reference auth server
//! (`receiver::auth`), and each auth fault bends exactly one thing of it. The answer is
//! built as the reference builds it, then changed by the fault, so a fault changes one
//! rule and nothing else. Under a push fault `/auth` stays the reference.

use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use serde_json::{Map, Value};
use warp::Filter;

use super::fault::{Fault, ZooOptions};
use crate::profile::{ApiVersion, UserIds};
use crate::receiver::auth::{self as reference, AuthPolicy};
use crate::server::{self, Response};
use crate::wire::{AuthAnswer, VerifyCode, auth_field, field};

/// The `verify_code` of `auth-verify-code-range`: outside the documented 1 to 5.
const BAD_VERIFY_CODE: i64 = 7;

/// The routes at `/auth` under `fault`: `POST` decides, `GET` is the heartbeat.
pub(super) fn routes(
    fault: Fault,
    options: ZooOptions,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone + Send + Sync + 'static {
    let at = warp::path("auth").and(warp::path::end());
    let beat = at.and(warp::get()).map(move || {
        if fault == Fault::AuthHeartbeat405 {
            return server::error_reply(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        }
        server::json_reply(StatusCode::OK, &reference::heartbeat())
    });
    let max_body = options.max_body;
    let call = at
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(warp::body::content_length_limit(max_body))
        .and(warp::body::bytes())
        .then(move |headers: HeaderMap, body: Bytes| {
            let options = options.clone();
            async move {
                if fault == Fault::AuthSlow {
                    tokio::time::sleep(options.slow_delay).await;
                }
                decide(fault, options.api, &headers, &body)
            }
        });
    beat.or(call).unify()
}

/// The reference answer, bent by `fault`.
fn decide(fault: Fault, api: ApiVersion, headers: &HeaderMap, body: &[u8]) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let (status, answer, request) =
        reference::answer(&AuthPolicy::default(), api, content_type, body);
    if status != StatusCode::OK {
        return server::json_reply(status, &answer);
    }
    if fault == Fault::AuthCrashStranger && request.is_some_and(|r| r.user.is_none()) {
        // The code read `body["user"]["name"]` and assumed a user was always there.
        return server::error_reply(StatusCode::INTERNAL_SERVER_ERROR, "KeyError: 'user'");
    }
    let mut value = serde_json::to_value(&answer).unwrap_or(Value::Null);
    if let Value::Object(top) = &mut value {
        bend(fault, api, &answer, top);
    }
    server::json_reply(StatusCode::OK, &value)
}

/// Changes one thing of an answer object the way `fault` says.
fn bend(fault: Fault, api: ApiVersion, answer: &AuthAnswer, top: &mut Map<String, Value>) {
    if fault == Fault::AuthNoEnvelope {
        top.clear();
        top.insert(field::PASS.into(), Value::Bool(answer.data.pass));
        return;
    }
    let Some(Value::Object(data)) = top.get_mut(field::DATA) else {
        return;
    };
    match fault {
        Fault::AuthNoPass => {
            data.remove(field::PASS);
        }
        Fault::AuthPassString => {
            data.insert(
                field::PASS.into(),
                Value::String(answer.data.pass.to_string()),
            );
        }
        Fault::AuthVerifyCodeRange => {
            data.insert(auth_field::VERIFY_CODE.into(), Value::from(BAD_VERIFY_CODE));
        }
        Fault::AuthVerifyContradicts if answer.data.pass => {
            data.insert(
                auth_field::VERIFY_CODE.into(),
                Value::from(VerifyCode::NoMatch.code()),
            );
        }
        Fault::AuthUserIdType => {
            // The zoo knows the version it answers for, so the id is always of the other
            // type: a number where strings are due (digits drawn from the id), a string
            // where numbers are.
            if let Some(id) = data.get(field::USER_ID).cloned() {
                let other = match api.profile().user_ids {
                    UserIds::Text => {
                        let digits: String = id
                            .as_str()
                            .unwrap_or_default()
                            .chars()
                            .filter(char::is_ascii_digit)
                            .take(9)
                            .collect();
                        Value::from(digits.parse::<i64>().unwrap_or(1))
                    }
                    UserIds::Integer(_) => Value::String(match &id {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    }),
                };
                data.insert(field::USER_ID.into(), other);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{AuthDecision, UserId, decode_auth_answer, decode_auth_answer_as};

    fn admitted() -> AuthAnswer {
        AuthAnswer::ok(AuthDecision {
            pass: true,
            customtips: Some("Hi".into()),
            user_id: Some(UserId::Text("u-1234".into())),
            user_name: Some("Li".into()),
            verify_score: Some(0.9),
            verify_code: Some(VerifyCode::Recognised),
            ic_number: None,
        })
    }

    fn bent(fault: Fault, api: ApiVersion) -> Vec<u8> {
        let answer = admitted();
        let mut value = serde_json::to_value(&answer).unwrap();
        bend(fault, api, &answer, value.as_object_mut().unwrap());
        serde_json::to_vec(&value).unwrap()
    }

    #[test]
    fn each_auth_fault_breaks_its_rule() {
        let api = ApiVersion::V1_3;
        assert!(decode_auth_answer(&bent(Fault::Http500, api)).is_ok());
        for fault in [
            Fault::AuthNoPass,
            Fault::AuthPassString,
            Fault::AuthVerifyCodeRange,
            Fault::AuthNoEnvelope,
        ] {
            assert!(decode_auth_answer(&bent(fault, api)).is_err(), "{fault}");
        }
        let contradicts = decode_auth_answer(&bent(Fault::AuthVerifyContradicts, api)).unwrap();
        assert!(contradicts.data.pass);
        assert_eq!(contradicts.data.verify_code, Some(VerifyCode::NoMatch));
        let ids = bent(Fault::AuthUserIdType, api);
        assert!(decode_auth_answer_as(&ids, api.profile().auth_ids()).is_err());
        assert!(decode_auth_answer(&ids).is_ok());
    }
}
