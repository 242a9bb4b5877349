//! `GET` and `POST /v1/device/functions`: the settings as the device answers them, and
//! new settings validated like `/v1/event/subscribe` (the envelope and HTTP 400 on bad
//! input, nothing changed), saved atomically before they apply.

use bytes::Bytes;
use http::StatusCode;
use warp::Filter;

use super::SetFunctionsError;
use crate::device::Device;
use crate::server::{Response, error_reply, json_reply};
use crate::wire::{Empty, Envelope};

/// The routes, for `api::routes` to join with one `.or(..)`.
pub fn routes(
    device: Device,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone + Send + Sync + 'static {
    let with_device = warp::any().map(move || device.clone());
    let at = warp::path!("v1" / "device" / "functions");
    let get = at
        .and(warp::get())
        .and(with_device.clone())
        .map(|d: Device| json_reply(StatusCode::OK, &Envelope::ok(d.remote_auth().functions())));
    let post = at
        .and(warp::post())
        .and(warp::body::content_length_limit(
            crate::limits::MAX_BODY_BYTES,
        ))
        .and(warp::body::bytes())
        .and(with_device)
        .map(|body: Bytes, d: Device| match d.remote_auth().set(&body) {
            Ok(_) => json_reply(StatusCode::OK, &Envelope::ok(None::<Empty>)),
            Err(e @ SetFunctionsError::Refused(_)) => {
                error_reply(StatusCode::BAD_REQUEST, e.to_string())
            }
            Err(e) => error_reply(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        });
    get.or(post).unify()
}
