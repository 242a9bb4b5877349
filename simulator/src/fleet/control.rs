//! The fleet's control API, on its own address (plain HTTP, like every `/sim/` route a
//! test drives): `GET /sim/fleet/stats` (every terminal and the total),
//! `GET /sim/fleet/{sn}/stats`, and `POST /sim/fleet/{sn}/offline` and `/online`, which
//! take a terminal's network down and bring it back; a building's routes
//! (`building::routes`) come first. Answers are the device API's envelope.

use std::convert::Infallible;
use std::future::Future;

use http::StatusCode;
use tokio::net::TcpListener;
use warp::Filter;
use warp::reply::Response;

use super::building::{self, Building};
use super::members::{Members, SwitchError};
use crate::server::{self, error_reply, json_reply};
use crate::wire::Envelope;

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
    let switch = warp::path!("sim" / "fleet" / String / String)
        .and(warp::post())
        .and(with)
        .map(|sn: String, to: String, m: Members| {
            let online = match to.as_str() {
                "online" => true,
                "offline" => false,
                _ => return error_reply(StatusCode::NOT_FOUND, "no such path"),
            };
            match m.set_online(&sn, online) {
                Ok(()) => json_reply(
                    StatusCode::OK,
                    &Envelope::ok(serde_json::json!({ "sn": sn, "online": online })),
                ),
                Err(e @ SwitchError::Unknown(_)) => {
                    error_reply(StatusCode::NOT_FOUND, e.to_string())
                }
                Err(e) => error_reply(StatusCode::CONFLICT, e.to_string()),
            }
        });
    all.or(one)
        .unify()
        .or(switch)
        .unify()
        .recover(server::recover)
        .unify()
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
        for path in ["/sim/fleet/PS1/offline", "/sim/fleet/PS1/online"] {
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
            .path("/sim/fleet/PS1/stats")
            .reply(&routes)
            .await;
        assert_eq!(r.status(), 404);
    }
}
