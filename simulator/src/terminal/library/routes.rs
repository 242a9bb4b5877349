//! The library's routes: `/v1/user`, `/v1/group`, `/v1/rule` (upsert, by id, search,
//! pages, members), the `/v2` batches and `/v2/datasync`. Library work touches the disk,
//! so it runs on the blocking pool, never on the threads that serve connections.
//!
//! Body limits: a single user may carry a 10 MB avatar (13.4 MB of base64), so user
//! routes read up to [`MAX_USER_BODY`]; a batch up to [`MAX_BATCH_BODY`] (and at most
//! [`MAX_BATCH_ITEMS`](super::state::MAX_BATCH_ITEMS) items); everything else [`MAX_SMALL_BODY`].

use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use warp::Filter;
use warp::filters::BoxedFilter;

use super::state::{Library, LibraryError};
use crate::server::{Response, error_reply, json_reply};
use crate::wire::{
    BatchErrors, Empty, Envelope, GroupBatch, IdBatch, IdList, Page, RuleBatch, SearchRequest,
    UserBatch, UserInput,
};

/// Largest body of a single-user route.
pub const MAX_USER_BODY: u64 = 16 * 1024 * 1024;
/// Largest body of a `/v2` batch.
pub const MAX_BATCH_BODY: u64 = 64 * 1024 * 1024;
/// Largest body of the other library routes.
pub const MAX_SMALL_BODY: u64 = 1024 * 1024;

type Route = BoxedFilter<(Response,)>;

/// The answer to a library result: the envelope around `data`, or the error's.
fn reply<T: Serialize>(result: Result<T, LibraryError>) -> Response {
    match result {
        Ok(data) => json_reply(StatusCode::OK, &Envelope::ok(data)),
        Err(e) => error(&e),
    }
}

fn error(e: &LibraryError) -> Response {
    let status = match e {
        LibraryError::Invalid(_) => StatusCode::BAD_REQUEST,
        LibraryError::NotFound(_) => StatusCode::NOT_FOUND,
        LibraryError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %e, "library failed");
    }
    error_reply(status, e.to_string())
}

/// `data: null` on success (deletes, clear, ping).
fn reply_null(result: Result<(), LibraryError>) -> Response {
    reply(result.map(|()| None::<Empty>))
}

/// A JSON object body as `T`, or why not (answered 400).
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => {
            serde_json::from_value(value).map_err(|e| format!("body: {e}"))
        }
        Ok(other) => Err(format!(
            "body must be a JSON object, got {}",
            crate::wire::json_type(&other)
        )),
        Err(e) => Err(format!("body is not valid JSON: {e}")),
    }
}

/// The 400 answer to a body or path that does not parse.
fn bad(msg: String) -> Response {
    error_reply(StatusCode::BAD_REQUEST, msg)
}

/// A change's answer, once it is durable ([`Library::sync`]).
fn synced<T: Serialize>(library: &Library, result: Result<T, LibraryError>) -> Response {
    reply(result.and_then(|data| library.sync().map(|()| data).map_err(LibraryError::from)))
}

/// [`synced`] with `data: null`.
fn synced_null(library: &Library, result: Result<(), LibraryError>) -> Response {
    synced(library, result.map(|()| None::<Empty>))
}

/// A read with a JSON body of type `T` (a search): parsed (400 when it does not parse)
/// and answered.
fn query<T: DeserializeOwned, R: Serialize>(
    body: &[u8],
    read: impl FnOnce(T) -> Result<R, LibraryError>,
) -> Response {
    match parse::<T>(body) {
        Ok(input) => reply(read(input)),
        Err(msg) => bad(msg),
    }
}

/// A change with a JSON body of type `T`: parsed (400 when it does not parse), applied
/// on the blocking pool, answered once durable.
async fn change<T, R>(
    library: Arc<Library>,
    body: Bytes,
    apply: impl FnOnce(&Library, T) -> Result<R, LibraryError> + Send + 'static,
) -> Response
where
    T: DeserializeOwned + Send + 'static,
    R: Serialize,
{
    match parse::<T>(&body) {
        Ok(input) => blocking(library, move |l| synced(l, apply(l, input))).await,
        Err(msg) => bad(msg),
    }
}

/// Runs `work` on the blocking pool.
async fn blocking(
    library: Arc<Library>,
    work: impl FnOnce(&Library) -> Response + Send + 'static,
) -> Response {
    match tokio::task::spawn_blocking(move || work(&library)).await {
        Ok(response) => response,
        Err(e) => error_reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("library task failed: {e}"),
        ),
    }
}

fn page_args(offset: &str, limit: &str) -> Result<(u64, u64), String> {
    match (offset.parse::<u64>(), limit.parse::<u64>()) {
        (Ok(o), Ok(l)) => Ok((o, l)),
        _ => Err(format!(
            "offset and limit must be whole numbers, got {offset:?} and {limit:?}"
        )),
    }
}

fn body(limit: u64) -> impl Filter<Extract = (Bytes,), Error = warp::Rejection> + Clone {
    crate::server::read_body::limited(limit)
}

/// The group and rule collections, which the guide shapes alike: `POST /v1/{name}`
/// (upsert), `GET`/`PUT`/`DELETE /v1/{name}/id/{id}`, `GET /v1/{name}/id/{id}/{related}`,
/// `POST /v1/{name}/search`, `GET /v1/{name}/offset/{o}/limit/{l}`, and `POST`/`DELETE
/// /v2/{name}` (batches). Each route is one of the library's methods.
struct Collection<I, O, B, D> {
    name: &'static str,
    related: &'static str,
    upsert: fn(&Library, &I) -> Result<O, LibraryError>,
    put: fn(&Library, &str, &I) -> Result<O, LibraryError>,
    get: fn(&Library, &str) -> Result<O, LibraryError>,
    related_ids: fn(&Library, &str) -> Result<IdList, LibraryError>,
    delete: fn(&Library, &str) -> Result<(), LibraryError>,
    search: fn(&Library, Option<&str>) -> IdList,
    page: fn(&Library, u64, u64) -> Result<Page<O>, LibraryError>,
    batch: fn(&Library, &B) -> Result<BatchErrors, LibraryError>,
    delete_many: fn(&Library, &[Value]) -> Result<D, LibraryError>,
}

/// The routes of one [`Collection`].
fn collection<I, O, B, D>(library: Arc<Library>, c: Collection<I, O, B, D>) -> Route
where
    I: DeserializeOwned + Send + 'static,
    O: Serialize + 'static,
    B: DeserializeOwned + Send + 'static,
    D: Serialize + 'static,
{
    let lib = warp::any().map(move || library.clone());
    let lib = move || lib.clone();
    let v1 = move || warp::path("v1").and(warp::path(c.name));
    let by_id = move || {
        v1().and(warp::path("id"))
            .and(warp::path::param::<String>())
    };
    let end = warp::path::end;
    let upsert = v1()
        .and(end())
        .and(warp::post())
        .and(body(MAX_SMALL_BODY))
        .and(lib())
        .then(move |b: Bytes, l: Arc<Library>| {
            change(l, b, move |l: &Library, input: I| (c.upsert)(l, &input))
        })
        .boxed();
    let get = by_id()
        .and(end())
        .and(warp::get())
        .and(lib())
        .map(move |id: String, l: Arc<Library>| reply((c.get)(&l, &id)))
        .boxed();
    let related = by_id()
        .and(warp::path(c.related))
        .and(end())
        .and(warp::get())
        .and(lib())
        .map(move |id: String, l: Arc<Library>| reply((c.related_ids)(&l, &id)))
        .boxed();
    let put = by_id()
        .and(end())
        .and(warp::put())
        .and(body(MAX_SMALL_BODY))
        .and(lib())
        .then(move |id: String, b: Bytes, l: Arc<Library>| {
            change(l, b, move |l: &Library, input: I| (c.put)(l, &id, &input))
        })
        .boxed();
    let delete = by_id()
        .and(end())
        .and(warp::delete())
        .and(lib())
        .then(move |id: String, l: Arc<Library>| {
            blocking(l, move |l| synced_null(l, (c.delete)(l, &id)))
        })
        .boxed();
    let search = v1()
        .and(warp::path("search"))
        .and(end())
        .and(warp::post())
        .and(body(MAX_SMALL_BODY))
        .and(lib())
        .map(move |b: Bytes, l: Arc<Library>| {
            query(&b, |req: SearchRequest| {
                Ok((c.search)(&l, req.name.as_deref()))
            })
        })
        .boxed();
    let page = v1()
        .and(warp::path("offset"))
        .and(warp::path::param::<String>())
        .and(warp::path("limit"))
        .and(warp::path::param::<String>())
        .and(end())
        .and(warp::get())
        .and(lib())
        .map(
            move |o: String, n: String, l: Arc<Library>| match page_args(&o, &n) {
                Ok((o, n)) => reply((c.page)(&l, o, n)),
                Err(msg) => bad(msg),
            },
        )
        .boxed();
    let v2 = move || warp::path("v2").and(warp::path(c.name)).and(end());
    let batch = v2()
        .and(warp::post())
        .and(body(MAX_BATCH_BODY))
        .and(lib())
        .then(move |b: Bytes, l: Arc<Library>| {
            change(l, b, move |l: &Library, batch: B| (c.batch)(l, &batch))
        })
        .boxed();
    let delete_many = v2()
        .and(warp::delete())
        .and(body(MAX_SMALL_BODY))
        .and(lib())
        .then(move |b: Bytes, l: Arc<Library>| {
            change(l, b, move |l: &Library, batch: IdBatch| {
                (c.delete_many)(l, &batch.ids)
            })
        })
        .boxed();
    upsert
        .or(get)
        .unify()
        .or(related)
        .unify()
        .or(put)
        .unify()
        .or(delete)
        .unify()
        .or(search)
        .unify()
        .or(page)
        .unify()
        .or(batch)
        .unify()
        .or(delete_many)
        .unify()
        .boxed()
}

/// Every library route.
pub fn routes(library: Arc<Library>) -> Route {
    let (groups, rules) = (library.clone(), library.clone());
    let lib = warp::any().map(move || library.clone());
    let lib = move || lib.clone();

    // Users.
    let user_upsert = warp::path!("v1" / "user")
        .and(warp::post())
        .and(body(MAX_USER_BODY))
        .and(lib())
        .then(|b: Bytes, l: Arc<Library>| {
            change(l, b, move |l: &Library, input: UserInput| {
                l.upsert_user(&input)
            })
        })
        .boxed();
    let user_get = warp::path!("v1" / "user" / "id" / String)
        .and(warp::get())
        .and(lib())
        .then(|id: String, l: Arc<Library>| blocking(l, move |l| reply(l.get_user(&id))))
        .boxed();
    let user_put = warp::path!("v1" / "user" / "id" / String)
        .and(warp::put())
        .and(body(MAX_USER_BODY))
        .and(lib())
        .then(|id: String, b: Bytes, l: Arc<Library>| {
            change(l, b, move |l: &Library, input: UserInput| {
                l.put_user(&id, &input)
            })
        })
        .boxed();
    let user_delete = warp::path!("v1" / "user" / "id" / String)
        .and(warp::delete())
        .and(lib())
        .then(|id: String, l: Arc<Library>| {
            blocking(l, move |l| synced_null(l, l.delete_user(&id)))
        })
        .boxed();
    let user_search = warp::path!("v1" / "user" / "search")
        .and(warp::post())
        .and(body(MAX_SMALL_BODY))
        .and(lib())
        .map(|b: Bytes, l: Arc<Library>| query(&b, |req: SearchRequest| Ok(l.search_users(&req))))
        .boxed();
    let user_page = warp::path!("v1" / "user" / "offset" / String / "limit" / String)
        .and(warp::get())
        .and(lib())
        .then(|o: String, n: String, l: Arc<Library>| async move {
            match page_args(&o, &n) {
                Ok((o, n)) => blocking(l, move |l| reply(l.page_users(o, n))).await,
                Err(msg) => bad(msg),
            }
        })
        .boxed();
    let users_batch = warp::path!("v2" / "user")
        .and(warp::post())
        .and(body(MAX_BATCH_BODY))
        .and(lib())
        .then(|b: Bytes, l: Arc<Library>| {
            change(l, b, move |l: &Library, batch: UserBatch| {
                l.batch_users(&batch.user_list)
            })
        })
        .boxed();
    let users_delete = warp::path!("v2" / "user")
        .and(warp::delete())
        .and(body(MAX_SMALL_BODY))
        .and(lib())
        .then(|b: Bytes, l: Arc<Library>| {
            change(l, b, move |l: &Library, batch: IdBatch| {
                l.delete_users(&batch.ids)
            })
        })
        .boxed();

    let groups = collection(
        groups,
        Collection {
            name: "group",
            related: "users",
            upsert: Library::upsert_group,
            put: Library::put_group,
            get: Library::get_group,
            related_ids: Library::group_users,
            delete: Library::delete_group,
            search: Library::search_groups,
            page: Library::page_groups,
            batch: |l, b: &GroupBatch| l.batch_groups(&b.group_list),
            delete_many: |l, ids| l.delete_groups(ids),
        },
    );
    let rules = collection(
        rules,
        Collection {
            name: "rule",
            related: "groups",
            upsert: Library::upsert_rule,
            put: Library::put_rule,
            get: Library::get_rule,
            related_ids: Library::rule_groups,
            delete: Library::delete_rule,
            search: Library::search_rules,
            page: Library::page_rules,
            batch: |l, b: &RuleBatch| l.batch_rules(&b.rule_list),
            // The guide answers this one with `data: null` (sic), unlike the other batch
            // deletes; refused ids are then only in the log.
            delete_many: |l, ids| {
                l.delete_rules(ids).map(|refused| {
                    for e in refused.errors {
                        tracing::info!(id = %e.id, msg = %e.msg, "rule not deleted");
                    }
                    None::<Empty>
                })
            },
        },
    );

    // Data sync.
    let ping = warp::path!("v2" / "datasync" / "ping")
        .and(warp::get())
        .map(|| reply_null(Ok(())))
        .boxed();
    let info = warp::path!("v2" / "datasync" / "info")
        .and(warp::get())
        .and(lib())
        .map(|l: Arc<Library>| reply(Ok(l.sync_info())))
        .boxed();
    let clear = warp::path!("v2" / "datasync" / "clear")
        .and(warp::get())
        .and(lib())
        .then(|l: Arc<Library>| {
            blocking(l, |l| synced_null(l, l.clear().map_err(LibraryError::from)))
        })
        .boxed();

    let users = user_upsert
        .or(user_get)
        .unify()
        .or(user_put)
        .unify()
        .or(user_delete)
        .unify()
        .or(user_search)
        .unify()
        .or(user_page)
        .unify()
        .or(users_batch)
        .unify()
        .or(users_delete)
        .unify()
        .boxed();
    users
        .or(groups)
        .unify()
        .or(rules)
        .unify()
        .or(ping)
        .unify()
        .or(info)
        .unify()
        .or(clear)
        .unify()
        .boxed()
}
