//! The library's routes: `/v1/user`, `/v1/group`, `/v1/rule` (upsert, by id, search,
//! pages, members), the `/v2` batches and `/v2/datasync`. Library work touches the disk,
//! so it runs on the blocking pool, never on the threads that serve connections.
//!
//! Body limits: a single user may carry a 10 MB avatar (13.4 MB of base64), so user
//! routes read up to [`MAX_USER_BODY`]; a batch up to [`MAX_BATCH_BODY`] (and at most
//! [`super::MAX_BATCH_ITEMS`] items); everything else [`MAX_SMALL_BODY`].

use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use warp::Filter;
use warp::filters::BoxedFilter;

use super::{Library, LibraryError};
use crate::server::{Response, error_reply, json_reply};
use crate::wire::{
    Empty, Envelope, GroupBatch, GroupInput, IdBatch, RuleBatch, RuleInput, SearchRequest,
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
    warp::body::content_length_limit(limit).and(warp::body::bytes())
}

/// Every library route.
pub fn routes(library: Arc<Library>) -> Route {
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

    // Groups.
    let group_upsert = warp::path!("v1" / "group")
        .and(warp::post())
        .and(body(MAX_SMALL_BODY))
        .and(lib())
        .then(|b: Bytes, l: Arc<Library>| {
            change(l, b, move |l: &Library, input: GroupInput| {
                l.upsert_group(&input)
            })
        })
        .boxed();
    let group_get = warp::path!("v1" / "group" / "id" / String)
        .and(warp::get())
        .and(lib())
        .map(|id: String, l: Arc<Library>| reply(l.get_group(&id)))
        .boxed();
    let group_users = warp::path!("v1" / "group" / "id" / String / "users")
        .and(warp::get())
        .and(lib())
        .map(|id: String, l: Arc<Library>| reply(l.group_users(&id)))
        .boxed();
    let group_put = warp::path!("v1" / "group" / "id" / String)
        .and(warp::put())
        .and(body(MAX_SMALL_BODY))
        .and(lib())
        .then(|id: String, b: Bytes, l: Arc<Library>| {
            change(l, b, move |l: &Library, input: GroupInput| {
                l.put_group(&id, &input)
            })
        })
        .boxed();
    let group_delete = warp::path!("v1" / "group" / "id" / String)
        .and(warp::delete())
        .and(lib())
        .then(|id: String, l: Arc<Library>| {
            blocking(l, move |l| synced_null(l, l.delete_group(&id)))
        })
        .boxed();
    let group_search = warp::path!("v1" / "group" / "search")
        .and(warp::post())
        .and(body(MAX_SMALL_BODY))
        .and(lib())
        .map(|b: Bytes, l: Arc<Library>| {
            query(&b, |req: SearchRequest| {
                Ok(l.search_groups(req.name.as_deref()))
            })
        })
        .boxed();
    let group_page = warp::path!("v1" / "group" / "offset" / String / "limit" / String)
        .and(warp::get())
        .and(lib())
        .map(
            |o: String, n: String, l: Arc<Library>| match page_args(&o, &n) {
                Ok((o, n)) => reply(l.page_groups(o, n)),
                Err(msg) => bad(msg),
            },
        )
        .boxed();
    let groups_batch = warp::path!("v2" / "group")
        .and(warp::post())
        .and(body(MAX_BATCH_BODY))
        .and(lib())
        .then(|b: Bytes, l: Arc<Library>| {
            change(l, b, move |l: &Library, batch: GroupBatch| {
                l.batch_groups(&batch.group_list)
            })
        })
        .boxed();
    let groups_delete = warp::path!("v2" / "group")
        .and(warp::delete())
        .and(body(MAX_SMALL_BODY))
        .and(lib())
        .then(|b: Bytes, l: Arc<Library>| {
            change(l, b, move |l: &Library, batch: IdBatch| {
                l.delete_groups(&batch.ids)
            })
        })
        .boxed();

    // Rules.
    let rule_upsert = warp::path!("v1" / "rule")
        .and(warp::post())
        .and(body(MAX_SMALL_BODY))
        .and(lib())
        .then(|b: Bytes, l: Arc<Library>| {
            change(l, b, move |l: &Library, input: RuleInput| {
                l.upsert_rule(&input)
            })
        })
        .boxed();
    let rule_get = warp::path!("v1" / "rule" / "id" / String)
        .and(warp::get())
        .and(lib())
        .map(|id: String, l: Arc<Library>| reply(l.get_rule(&id)))
        .boxed();
    let rule_groups = warp::path!("v1" / "rule" / "id" / String / "groups")
        .and(warp::get())
        .and(lib())
        .map(|id: String, l: Arc<Library>| reply(l.rule_groups(&id)))
        .boxed();
    let rule_put = warp::path!("v1" / "rule" / "id" / String)
        .and(warp::put())
        .and(body(MAX_SMALL_BODY))
        .and(lib())
        .then(|id: String, b: Bytes, l: Arc<Library>| {
            change(l, b, move |l: &Library, input: RuleInput| {
                l.put_rule(&id, &input)
            })
        })
        .boxed();
    let rule_delete = warp::path!("v1" / "rule" / "id" / String)
        .and(warp::delete())
        .and(lib())
        .then(|id: String, l: Arc<Library>| {
            blocking(l, move |l| synced_null(l, l.delete_rule(&id)))
        })
        .boxed();
    let rule_search = warp::path!("v1" / "rule" / "search")
        .and(warp::post())
        .and(body(MAX_SMALL_BODY))
        .and(lib())
        .map(|b: Bytes, l: Arc<Library>| {
            query(&b, |req: SearchRequest| {
                Ok(l.search_rules(req.name.as_deref()))
            })
        })
        .boxed();
    let rule_page = warp::path!("v1" / "rule" / "offset" / String / "limit" / String)
        .and(warp::get())
        .and(lib())
        .map(
            |o: String, n: String, l: Arc<Library>| match page_args(&o, &n) {
                Ok((o, n)) => reply(l.page_rules(o, n)),
                Err(msg) => bad(msg),
            },
        )
        .boxed();
    let rules_batch = warp::path!("v2" / "rule")
        .and(warp::post())
        .and(body(MAX_BATCH_BODY))
        .and(lib())
        .then(|b: Bytes, l: Arc<Library>| {
            change(l, b, move |l: &Library, batch: RuleBatch| {
                l.batch_rules(&batch.rule_list)
            })
        })
        .boxed();
    // The guide answers this one with `data: null` (sic), unlike the other batch deletes;
    // refused ids are then only in the log.
    let rules_delete = warp::path!("v2" / "rule")
        .and(warp::delete())
        .and(body(MAX_SMALL_BODY))
        .and(lib())
        .then(|b: Bytes, l: Arc<Library>| {
            change(l, b, move |l: &Library, batch: IdBatch| {
                l.delete_rules(&batch.ids).map(|refused| {
                    for e in refused.errors {
                        tracing::info!(id = %e.id, msg = %e.msg, "rule not deleted");
                    }
                    None::<Empty>
                })
            })
        })
        .boxed();

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
    let groups = group_upsert
        .or(group_get)
        .unify()
        .or(group_users)
        .unify()
        .or(group_put)
        .unify()
        .or(group_delete)
        .unify()
        .or(group_search)
        .unify()
        .or(group_page)
        .unify()
        .or(groups_batch)
        .unify()
        .or(groups_delete)
        .unify()
        .boxed();
    let rules = rule_upsert
        .or(rule_get)
        .unify()
        .or(rule_groups)
        .unify()
        .or(rule_put)
        .unify()
        .or(rule_delete)
        .unify()
        .or(rule_search)
        .unify()
        .or(rule_page)
        .unify()
        .or(rules_batch)
        .unify()
        .or(rules_delete)
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
