//! The login routes (`POST /v1/auth/login`, `GET /v1/auth/errors`) and [`guard`], the one
//! filter that puts the credentials check in front of the whole route tree.

use std::convert::Infallible;

use bytes::Bytes;
use http::StatusCode;
use warp::Filter;

use super::{LoginError, is_open_path};
use crate::device::Device;
use crate::server::{Response, error_reply, json_reply};
use crate::wire::{self, Empty, Envelope, LoginToken};

/// Largest login body read; a login is a few dozen bytes.
const MAX_LOGIN_BYTES: u64 = 16 * 1024;

/// `POST /v1/auth/login` and `GET /v1/auth/errors`.
pub fn routes(
    device: Device,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone + Send + Sync + 'static {
    let with_device = warp::any().map(move || device.clone());
    let login = warp::path!("v1" / "auth" / "login")
        .and(warp::post())
        .and(crate::server::read_body::limited(MAX_LOGIN_BYTES))
        .and(with_device)
        .then(|body: Bytes, device: Device| async move { login(&device, &body).await });
    let errors = warp::path!("v1" / "auth" / "errors")
        .and(warp::get())
        .map(|| json_reply(StatusCode::OK, &Envelope::ok(wire::error_codes())));
    login.or(errors).unify()
}

async fn login(device: &Device, body: &[u8]) -> Response {
    match device.access().login(body, device.now()) {
        Ok(token) => json_reply(StatusCode::OK, &Envelope::ok(LoginToken { token })),
        Err(LoginError::Invalid(msg)) => error_reply(StatusCode::BAD_REQUEST, msg),
        Err(e) => {
            if let LoginError::WrongPassword { attack: true } = e {
                tracing::warn!("repeated wrong passwords: password attack");
                match device
                    .raise_alarm(crate::wire::AlarmCode::PasswordAttack)
                    .await
                {
                    Ok(seq) => tracing::info!(seq, "password-attack alarm raised"),
                    // Before API 1.3 there are no alarms: the failure is only logged.
                    Err(err) => tracing::debug!(error = %err, "no password-attack alarm"),
                }
            }
            let envelope = Envelope::<Option<Empty>> {
                code: e.code(),
                msg: e.to_string(),
                data: None,
            };
            json_reply(StatusCode::UNAUTHORIZED, &envelope)
        }
    }
}

/// Wraps `inner` (the whole route tree) in the credentials check: a request to a path
/// that is not open and whose credentials are missing, wrong or expired is answered
/// 401 with the envelope before any route sees it. Routes added to `inner` later are
/// therefore protected without doing anything.
pub fn guard<F>(
    device: Device,
    inner: F,
) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static
where
    F: Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static,
{
    let deny = warp::path::full()
        .and(warp::header::headers_cloned())
        .and_then(
            move |path: warp::path::FullPath, headers: http::HeaderMap| {
                let device = device.clone();
                async move {
                    if is_open_path(path.as_str()) {
                        return Err(warp::reject());
                    }
                    let auth = headers
                        .get(http::header::AUTHORIZATION)
                        .map(http::HeaderValue::as_bytes);
                    match device.access().check(auth, device.now()) {
                        // Rejecting here hands the request on to the routes.
                        Ok(()) => Err(warp::reject()),
                        Err(denied) => Ok::<Response, warp::Rejection>(error_reply(
                            StatusCode::UNAUTHORIZED,
                            denied.to_string(),
                        )),
                    }
                }
            },
        );
    deny.or(inner).unify()
}
