//! The fleet's control API, on its own address (plain HTTP, like every `/sim/` route a
//! test drives): `GET /sim/fleet/stats` (every terminal and the total),
//! `GET /sim/fleet/{sn}/stats`, and the faults: `POST /sim/fleet/{sn}/offline` and
//! `/online`, which take a terminal's network down and bring it back, `/reboot`, and
//! `/drift` (body `{"seconds": 90}`), which sets its clock that far off; a building's
//! routes (`building::routes`) come first. Answers are the device API's envelope.

use std::convert::Infallible;
use std::future::Future;

use http::StatusCode;
use tokio::net::TcpListener;
use warp::Filter;
use warp::reply::Response;

use super::building::{self, Building};
use super::members::{Members, SwitchError};
use crate::server::{self, error_reply, json_reply};
use crate::wire::{Envelope, FleetDrift};

/// The path every control route starts with.
pub(super) const BASE: &str = "/sim/fleet";

/// Serves the control API on `listener` until `shutdown`.
pub(super) async fn serve(
    listener: TcpListener,
    members: Members,
    building: Option<Building>,
    shutdown: impl Future<Output = ()>,
) {
    // The building's routes first: what they do not match falls through to the fleet's.
    let routes = building::routes::routes(building)
        .or(routes(members))
        .unify();
    server::serve(listener, None, warp::service(routes), shutdown).await;
}

/// The control routes, usable without a socket through `warp::test`.
fn routes(
    members: Members,
) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static {
    let with = warp::any().map(move || members.clone());
    let all = warp::path!("sim" / "fleet" / "stats")
        .and(warp::get())
        .and(with.clone())
        .then(
            |m: Members| async move { json_reply(StatusCode::OK, &Envelope::ok(m.stats().await)) },
        );
    let one = warp::path!("sim" / "fleet" / String / "stats")
        .and(warp::get())
        .and(with.clone())
        .then(|sn: String, m: Members| async move {
            match m.terminal(&sn).await {
                Ok(stats) => json_reply(StatusCode::OK, &Envelope::ok(stats)),
                Err(e) => error_reply(StatusCode::NOT_FOUND, e.to_string()),
            }
        });
    let drift = warp::path!("sim" / "fleet" / String / "drift")
        .and(warp::post())
        .and(warp::body::content_length_limit(BODY_LIMIT))
        .and(warp::body::bytes())
        .and(with.clone())
        .map(|sn: String, body: bytes::Bytes, m: Members| {
            // Read here rather than by a body filter, whose refusal would let the next
            // route answer 404 for a path that exists.
            let body: FleetDrift = match serde_json::from_slice(&body) {
                Ok(body) => body,
                Err(e) => {
                    return error_reply(
                        StatusCode::BAD_REQUEST,
                        format!("drift wants {{\"seconds\": N}}: {e}"),
                    );
                }
            };
            answer(
                m.set_drift(&sn, body.seconds),
                || serde_json::json!({ "sn": sn, "drift": body.seconds }),
            )
        });
    let metrics = warp::path!("metrics")
        .and(warp::get())
        .and(with.clone())
        .then(|m: Members| async move { metrics(&m.stats().await) });
    // Only the switches' own names match here, so that a drift the drift route refused
    // (a body too large: 413) is not answered 404 by this route instead.
    let switch = warp::path!("sim" / "fleet" / String / String)
        .and(warp::post())
        .and_then(|sn: String, to: String| async move {
            match to.as_str() {
                "online" | "offline" | "reboot" => Ok((sn, to)),
                _ => Err(warp::reject::not_found()),
            }
        })
        .untuple_one()
        .and(with)
        .map(|sn: String, to: String, m: Members| {
            let done = match to.as_str() {
                "online" => m.set_online(&sn, true),
                "offline" => m.set_online(&sn, false),
                _ => m.reboot(&sn),
            };
            answer(done, || match to.as_str() {
                "reboot" => serde_json::json!({ "sn": sn, "rebooting": true }),
                _ => serde_json::json!({ "sn": sn, "online": to == "online" }),
            })
        });
    all.or(one)
        .unify()
        .or(metrics)
        .unify()
        .or(drift)
        .unify()
        .or(switch)
        .unify()
        .recover(server::recover)
        .unify()
}

/// `GET /metrics`: every terminal's families, one series per terminal (`sn`), and how
/// many terminals are up and online.
fn metrics(stats: &crate::wire::FleetStats) -> Response {
    let mut scrape = crate::metrics::Scrape::default();
    for terminal in &stats.terminals {
        if let Some(figures) = &terminal.stats {
            scrape.terminal(&vec![("sn".to_owned(), terminal.sn.clone())], figures);
        }
    }
    for (state, n) in [
        ("total", stats.total.terminals),
        ("up", stats.total.up),
        ("online", stats.total.online),
    ] {
        scrape.gauge(
            "facesim_fleet_terminals",
            "The fleet's terminals: all of them, those up (not rebooting), those online.",
            vec![("state".to_owned(), state.to_owned())],
            n as f64,
        );
    }
    scrape.into_reply()
}

/// The largest body a control route takes.
const BODY_LIMIT: u64 = 4096;

/// The envelope for a fault's result: `data` when it was applied, 404 for an unknown
/// terminal, 409 when the terminal is in no state to take it.
fn answer(done: Result<(), SwitchError>, data: impl FnOnce() -> serde_json::Value) -> Response {
    match done {
        Ok(()) => json_reply(StatusCode::OK, &Envelope::ok(data())),
        Err(e @ SwitchError::Unknown(_)) => error_reply(StatusCode::NOT_FOUND, e.to_string()),
        Err(e) => error_reply(StatusCode::CONFLICT, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_empty_fleet_totals_zero_and_unknown_terminals_are_404() {
        let routes = routes(Members::new(Vec::new()));
        let stats = warp::test::request()
            .path("/sim/fleet/stats")
            .reply(&routes)
            .await;
        assert_eq!(stats.status(), 200);
        let body: serde_json::Value = serde_json::from_slice(stats.body()).unwrap();
        assert_eq!(body["data"]["total"]["terminals"], 0);
        for path in [
            "/sim/fleet/PS1/offline",
            "/sim/fleet/PS1/online",
            "/sim/fleet/PS1/reboot",
        ] {
            let r = warp::test::request()
                .method("POST")
                .path(path)
                .reply(&routes)
                .await;
            assert_eq!(r.status(), 404, "{path}");
        }
        let r = warp::test::request()
            .method("POST")
            .path("/sim/fleet/PS1/sideways")
            .reply(&routes)
            .await;
        assert_eq!(r.status(), 404);
        let r = warp::test::request()
            .method("POST")
            .path("/sim/fleet/PS1/drift")
            .json(&FleetDrift { seconds: 90 })
            .reply(&routes)
            .await;
        assert_eq!(r.status(), 404);
        let r = warp::test::request()
            .method("POST")
            .path("/sim/fleet/PS1/drift")
            .body("{\"seconds\": \"soon\"}")
            .reply(&routes)
            .await;
        assert_eq!(r.status(), 400);
        let r = warp::test::request()
            .method("POST")
            .path("/sim/fleet/PS1/drift")
            .body(format!(
                "{{\"seconds\": 1{}}}",
                " ".repeat(BODY_LIMIT as usize)
            ))
            .reply(&routes)
            .await;
        assert_eq!(r.status(), 413, "a drift body over the limit");
        let r = warp::test::request()
            .path("/sim/fleet/PS1/stats")
            .reply(&routes)
            .await;
        assert_eq!(r.status(), 404);
    }
}
