//! The event routes of the device API: `POST /v1/event/records` (history, from API 1.2),
//! `GET /v1/event` (the live feed, a WebSocket; see `crate::live`) and the simulator's
//! `GET /sim/history` figures. Every failure is the JSON envelope with a matching status.

use bytes::Bytes;
use http::StatusCode;
use warp::Filter;

use crate::device::Device;
use crate::limits::MAX_BODY_BYTES;
use crate::server::{Response, error_reply, json_reply};
use crate::wire::{self, Envelope};

/// The event routes, to be joined to the API's with one `.or(..)`.
pub fn routes(
    device: Device,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone + Send + Sync + 'static {
    let with_device = {
        let device = device.clone();
        warp::any().map(move || device.clone())
    };
    let records = warp::path!("v1" / "event" / "records")
        .and(warp::post())
        .and(crate::server::read_body::limited(MAX_BODY_BYTES))
        .and(with_device.clone())
        .map(|body: Bytes, d: Device| records(&d, &body));
    let stats = warp::path!("sim" / "history")
        .and(warp::get())
        .and(with_device)
        .map(|d: Device| json_reply(StatusCode::OK, &Envelope::ok(stats(&d))));
    records
        .or(stats)
        .unify()
        .or(crate::live::route(device.live().clone()))
        .unify()
}

/// `POST /v1/event/records`.
fn records(device: &Device, body: &[u8]) -> Response {
    let profile = device.api().profile();
    // A version without history never gets here: the route table's gate answers its 404
    // (with the reason). The limits are the profile's, hence the `else`.
    let Some(limits) = profile.history() else {
        return error_reply(StatusCode::NOT_FOUND, "no such path");
    };
    let query = match wire::parse_record_query(body, limits) {
        Ok(q) => q,
        Err(e) => return error_reply(StatusCode::BAD_REQUEST, e.to_string()),
    };
    match device.with_history(|log| log.query(&query, profile.history_layout())) {
        Ok(page) => json_reply(StatusCode::OK, &Envelope::ok(page)),
        Err(e) => {
            tracing::error!(error = %e, "history query failed");
            error_reply(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        }
    }
}

/// The `/sim/history` figures.
fn stats(device: &Device) -> wire::HistoryStats {
    let (records, capacity, dropped, range, images, image_capacity) = device.with_history(|log| {
        (
            log.len() as u64,
            log.limits().records as u64,
            log.dropped(),
            log.seq_range(),
            log.images() as u64,
            log.limits().images as u64,
        )
    });
    wire::HistoryStats {
        records,
        capacity,
        dropped,
        oldest_seq: range.map(|r| r.0),
        newest_seq: range.map(|r| r.1),
        images,
        image_capacity,
        live: device.live().stats(),
    }
}
