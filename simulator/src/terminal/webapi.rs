//! The terminal's web API beyond push configuration, gathered into one route tree for
//! `api::routes`: login (`access`), the person library (`library`), and the settings,
//! door and information routes (`settings`), the AI helpers (`ai`) and maintenance
//! (`maintenance`). Each module builds its own filters.

use warp::Filter;

use crate::device::Device;
use crate::server::Response;

/// Every route of this part of the API.
pub fn routes(
    device: Device,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone + Send + Sync + 'static {
    let library = crate::library::routes::routes(device.library().clone());
    let settings = crate::settings::routes::routes(device.clone());
    let ai = crate::ai::routes();
    let maintenance = crate::maintenance::routes::routes(device.clone());
    crate::access::routes::routes(device)
        .or(library)
        .unify()
        .or(settings)
        .unify()
        .or(ai)
        .unify()
        .or(maintenance)
        .unify()
}
