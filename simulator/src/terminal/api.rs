//! The device's HTTP API: `GET`/`POST /v1/event/subscribe` as on the real terminal, plus the
//! simulator's control endpoints under `/sim/` (its OpenAPI document among them) and its
//! Prometheus figures at `/metrics`, joined to the rest of the web API behind the
//! credentials check and the route table's gate ([`gate`]). Every failure answers with the
//! JSON error envelope and a matching non-200 status; a refused request changes nothing.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::StatusCode;
use rustls::ServerConfig;
use serde_json::{Map, Value};
use tokio::net::TcpListener;
use warp::Filter;

use facesim_proto::routes::{self, Lookup};

use crate::device::{Device, DeviceError};
use crate::limits::MAX_BODY_BYTES;
use crate::server::{self, Response, error_reply, json_reply};
use crate::wire::{self, Empty, Envelope};

/// Serves the device API on `listener` until `shutdown`, with a terminal's limits on slow
/// and greedy clients ([`server::ServeOptions::terminal`]).
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    device: Device,
    shutdown: impl Future<Output = ()>,
) {
    server::serve_with(
        listener,
        tls,
        warp::service(routes(device)),
        server::ServeOptions::terminal(),
        shutdown,
    )
    .await;
}

/// The API's routes, usable without a socket through `warp::test`.
pub fn routes(
    device: Device,
) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static {
    let identity = device.clone();
    let functions = crate::remote::routes::routes(device.clone());
    let events = crate::history::routes::routes(device.clone());
    let guarded = device.clone();
    let web = device.clone();
    let with_device = warp::any().map(move || device.clone());
    let subscribe = warp::path!("v1" / "event" / "subscribe");
    let get_subscription = subscribe
        .and(warp::get())
        .and(with_device.clone())
        .map(|d: Device| json_reply(StatusCode::OK, &Envelope::ok(d.subscription())));
    let set_subscription = subscribe
        .and(warp::post())
        .and(body())
        .and(with_device.clone())
        .map(|body: Bytes, d: Device| set_subscription(&d, &body));
    let trigger = warp::path!("sim" / "trigger")
        .and(warp::post())
        .and(body())
        .and(with_device.clone())
        .then(|body: Bytes, d: Device| async move { trigger(&d, &body).await });
    let stats = warp::path!("sim" / "stats")
        .and(warp::get())
        .and(with_device.clone())
        .then(
            |d: Device| async move { json_reply(StatusCode::OK, &Envelope::ok(d.stats().await)) },
        );
    let document = warp::path!("sim" / "openapi.json")
        .and(warp::get())
        .and(with_device.clone())
        .map(|d: Device| {
            json_reply(
                StatusCode::OK,
                &facesim_proto::openapi::document(d.api().profile().version),
            )
        });
    let logins = Arc::new(Logins::default());
    let counted = logins.clone();
    let metrics = warp::path!("metrics")
        .and(warp::get())
        .and(with_device)
        .then(move |d: Device| {
            let logins = counted.clone();
            async move { metrics(&d, &logins).await }
        });
    let tree = get_subscription
        .or(set_subscription)
        .unify()
        .or(trigger)
        .unify()
        .or(stats)
        .unify()
        .or(document)
        .unify()
        .or(metrics)
        .unify()
        .or(functions)
        .unify()
        .or(events)
        .unify()
        .or(crate::webapi::routes(web))
        .unify()
        .recover(server::recover)
        .unify();
    let logged = identity.clone();
    // One credentials check in front of every route, present and future; behind it the
    // route table decides which requests reach a handler at all.
    let gated = gate(guarded.clone()).or(tree).unify();
    let guarded = crate::access::routes::guard(guarded, gated);
    warp::method()
        .and(warp::path::full())
        .and(guarded)
        .map(
            move |method: http::Method, path: warp::path::FullPath, reply: Response| {
                note(&logged, &logins, &method, path.as_str(), reply.status());
                reply
            },
        )
        .map(move |mut reply: Response| {
            // From API 1.2.1 every answer names the device, failures included.
            for (name, value) in identity.identity_headers().into_iter().flatten() {
                if let Ok(value) = http::HeaderValue::from_str(&value) {
                    reply.headers_mut().insert(name, value);
                }
            }
            reply
        })
}

/// Answers every request the route table does not hand to a handler under this device's
/// API version (`facesim_proto::routes::find`): 404 for a path the version lacks or no
/// version has, 405 for a path served with other methods. A request the table serves is
/// passed on. So the device answers exactly the routes its OpenAPI document lists.
fn gate(
    device: Device,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone + Send + Sync + 'static {
    warp::method().and(warp::path::full()).and_then(
        move |method: http::Method, path: warp::path::FullPath| {
            let profile = device.api().profile();
            let refusal = match routes::find(profile, method.as_str(), path.as_str()) {
                Lookup::Served(_) => None,
                Lookup::WrongMethod => Some(error_reply(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method not allowed on this path",
                )),
                Lookup::NotInVersion(route) => Some(error_reply(
                    StatusCode::NOT_FOUND,
                    format!("no such path under API {}: {}", profile.name, route.absent),
                )),
                Lookup::Unknown => Some(error_reply(StatusCode::NOT_FOUND, "no such path")),
            };
            // Rejecting hands the request on to the routes.
            std::future::ready(refusal.ok_or_else(warp::reject::not_found))
        },
    )
}

/// Logins since this boot, for `/metrics`.
#[derive(Debug, Default)]
struct Logins {
    ok: AtomicU64,
    refused: AtomicU64,
}

/// `GET /metrics`: the figures of `/sim/stats`, the logins and the live feed's clients,
/// in the Prometheus text format.
async fn metrics(device: &Device, logins: &Logins) -> Response {
    let stats = device.stats().await;
    let labels = vec![("sn".to_owned(), stats.sn.clone())];
    let mut scrape = crate::metrics::Scrape::default();
    scrape.terminal(&labels, &stats);
    for (result, n) in [("ok", &logins.ok), ("refused", &logins.refused)] {
        scrape.counter(
            "facesim_logins",
            "Logins to the web API (POST /v1/auth/login) since the terminal started, by result.",
            crate::metrics::with(&labels, "result", result),
            n.load(Ordering::Relaxed),
        );
    }
    scrape.gauge(
        "facesim_live_clients",
        "Clients of the live feed (GET /v1/event) now.",
        labels,
        device.live().clients() as f64,
    );
    scrape.into_reply()
}

/// Writes what the web API changed to the system log: logins (and refused ones) and
/// every request that changed something (the maintenance routes write their own).
fn note(device: &Device, logins: &Logins, method: &http::Method, path: &str, status: StatusCode) {
    let log = device.maintenance().log();
    let path = path.trim_end_matches('/');
    if path == "/v1/auth/login" {
        match status {
            StatusCode::OK => {
                logins.ok.fetch_add(1, Ordering::Relaxed);
                log.info("web", "login");
            }
            _ => {
                logins.refused.fetch_add(1, Ordering::Relaxed);
                log.warn("web", format!("login refused ({})", status.as_u16()));
            }
        }
        return;
    }
    let changes = !matches!(*method, http::Method::GET | http::Method::HEAD);
    let own_entry = path.starts_with("/v1/auth/certificate") || path == "/v1/device/upgrade";
    let api = path.starts_with("/v1/") || path.starts_with("/v2/");
    if changes && status.is_success() && api && !own_entry {
        log.info("web", format!("{method} {path}"));
    }
}

fn body() -> impl Filter<Extract = (Bytes,), Error = warp::Rejection> + Clone {
    crate::server::read_body::limited(MAX_BODY_BYTES)
}

fn set_subscription(device: &Device, body: &[u8]) -> Response {
    let sub = match wire::parse_subscription(body) {
        Ok(sub) => sub,
        Err(e) => return error_reply(StatusCode::BAD_REQUEST, e.to_string()),
    };
    match device.set_subscription(sub) {
        Ok(()) => json_reply(StatusCode::OK, &Envelope::ok(None::<Empty>)),
        Err(e) => error_reply(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn trigger(device: &Device, body: &[u8]) -> Response {
    // An empty body means "no overrides"; otherwise it must be a JSON object whose keys
    // replace fields of the generated record.
    let overrides: Option<Map<String, Value>> = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Some(map),
            Ok(other) => {
                return error_reply(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "overrides must be a JSON object, got {}",
                        wire::json_type(&other)
                    ),
                );
            }
            Err(e) => {
                return error_reply(
                    StatusCode::BAD_REQUEST,
                    format!("body is not valid JSON: {e}"),
                );
            }
        }
    };
    match device.trigger(overrides.as_ref()).await {
        Ok(report) => json_reply(StatusCode::OK, &Envelope::ok(report)),
        Err(
            e @ (DeviceError::NotConfigured | DeviceError::Stopped | DeviceError::TooSoon { .. }),
        ) => error_reply(StatusCode::CONFLICT, e.to_string()),
        Err(
            e @ (DeviceError::NoAlarms(_) | DeviceError::BadCaller(_) | DeviceError::Override(_)),
        ) => error_reply(StatusCode::BAD_REQUEST, e.to_string()),
        Err(e) => error_reply(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
