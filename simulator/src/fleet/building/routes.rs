//! The building's routes of the control API: `GET /sim/fleet/people` (who to enrol),
//! `GET /sim/fleet/people/{id}/photo` (their enrolment photo, a JPEG),
//! `GET /sim/fleet/plan` (which terminal guards which door) and
//! `GET /sim/fleet/occupancy` (who is inside). A fleet without a building answers them
//! with 404.

use http::StatusCode;
use warp::Filter;
use warp::reply::Response;

use super::model::Building;
use crate::server::{error_reply, json_reply};
use crate::wire::Envelope;

const NO_BUILDING: &str = "this fleet runs no building: start it with --profile building";

/// The routes, over the fleet's building if it has one.
pub(crate) fn routes(
    building: Option<Building>,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone + Send + Sync + 'static {
    let with = warp::any().map(move || building.clone());
    let people = warp::path!("sim" / "fleet" / "people")
        .and(warp::get())
        .and(with.clone())
        .map(|b: Option<Building>| match b {
            Some(b) => json_reply(StatusCode::OK, &Envelope::ok(b.people())),
            None => error_reply(StatusCode::NOT_FOUND, NO_BUILDING),
        });
    let photo = warp::path!("sim" / "fleet" / "people" / i64 / "photo")
        .and(warp::get())
        .and(with.clone())
        .then(|id: i64, b: Option<Building>| async move {
            let Some(b) = b else {
                return error_reply(StatusCode::NOT_FOUND, NO_BUILDING);
            };
            // A portrait takes milliseconds to draw: off the threads that serve.
            let photo = tokio::task::spawn_blocking(move || b.photo(id)).await;
            match photo {
                Ok(Some(jpeg)) => {
                    let mut r = Response::new(jpeg.to_vec().into());
                    r.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("image/jpeg"),
                    );
                    r
                }
                _ => error_reply(StatusCode::NOT_FOUND, format!("no person {id}")),
            }
        });
    let plan = warp::path!("sim" / "fleet" / "plan")
        .and(warp::get())
        .and(with.clone())
        .map(|b: Option<Building>| match b {
            Some(b) => json_reply(StatusCode::OK, &Envelope::ok(b.plan())),
            None => error_reply(StatusCode::NOT_FOUND, NO_BUILDING),
        });
    let occupancy = warp::path!("sim" / "fleet" / "occupancy")
        .and(warp::get())
        .and(with)
        .map(|b: Option<Building>| match b {
            Some(b) => json_reply(StatusCode::OK, &Envelope::ok(b.occupancy())),
            None => error_reply(StatusCode::NOT_FOUND, NO_BUILDING),
        });
    people
        .or(photo)
        .unify()
        .or(plan)
        .unify()
        .or(occupancy)
        .unify()
}
