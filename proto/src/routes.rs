//! The device web API's route table: every operation a terminal serves (method, path
//! template, who may call it, which versions have it, what it reads and answers). The
//! device's router asks it which requests to hand to its handlers ([`find`]) and which
//! paths need no credentials ([`is_open`]); the OpenAPI document (`openapi`) is written
//! from it. So the routes a device answers and the routes its document lists are one list.

use std::sync::LazyLock;

use crate::profile::Profile;
use crate::wire;

/// An HTTP method the device serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    /// The method as HTTP spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    /// The method as OpenAPI's path items name it.
    pub fn key(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Delete => "delete",
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the login itself, the error table, the sync ping, the simulator's own routes.
    Open,
    /// A bearer token from `POST /v1/auth/login`.
    Token,
}

/// The part of the API a route belongs to (the document's tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tag {
    Login,
    Device,
    Library,
    Events,
    Ai,
    Maintenance,
    Simulator,
}

impl Tag {
    /// Every tag, in the document's order.
    pub const ALL: [Tag; 7] = [
        Tag::Login,
        Tag::Device,
        Tag::Library,
        Tag::Events,
        Tag::Ai,
        Tag::Maintenance,
        Tag::Simulator,
    ];

    /// The tag's name in the document.
    pub fn name(self) -> &'static str {
        match self {
            Tag::Login => "login",
            Tag::Device => "device",
            Tag::Library => "library",
            Tag::Events => "events",
            Tag::Ai => "ai",
            Tag::Maintenance => "maintenance",
            Tag::Simulator => "simulator",
        }
    }

    /// What the tag's routes are for.
    pub fn description(self) -> &'static str {
        match self {
            Tag::Login => "Logging in, and the table of error codes.",
            Tag::Device => "Settings, remote authentication, the door and device information.",
            Tag::Library => "The person library: users, groups, access rules, batches, data sync.",
            Tag::Events => "Push configuration, history and the live feed.",
            Tag::Ai => "Picture quality and face features (from API 1.1).",
            Tag::Maintenance => "Certificates, restarts, firmware and the system log.",
            Tag::Simulator => {
                "The simulator's own routes (not on a real terminal): triggers, figures, this document."
            }
        }
    }
}

/// What a route reads from the request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// Nothing.
    None,
    /// A JSON body of this shape.
    Json(Shape),
    /// A `multipart/form-data` body with these file parts.
    Multipart(&'static [&'static str]),
}

/// What a route answers with on success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The JSON envelope, its `data` of this shape.
    Envelope(Shape),
    /// The switch to a WebSocket (HTTP 101), or the envelope when it is refused.
    WebSocket,
    /// The Prometheus/OpenMetrics text.
    Metrics,
    /// A JSON document that is not in an envelope (this route table as OpenAPI).
    Document,
}

/// The shape of a JSON body or `data`, named for the schema the document gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shape {
    /// Nothing (`data: null`).
    Null,
    /// Any JSON value (the simulator's own figures).
    Any,
    Login,
    LoginToken,
    ErrorCodes,
    Functions,
    /// A settings section's fields, by the section's name.
    Settings(&'static str),
    Door,
    DeviceInfo,
    Subscription,
    UserInput,
    User,
    GroupInput,
    Group,
    RuleInput,
    Rule,
    Search,
    IdList,
    UserPage,
    GroupPage,
    RulePage,
    UserBatch,
    GroupBatch,
    RuleBatch,
    IdBatch,
    BatchErrors,
    SyncInfo,
    RecordQuery,
    RecordPage,
    Overrides,
    Quality,
    Feature,
    Certificate,
    LogEntries,
}

/// One operation of the device's web API.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: Method,
    /// The path, parameters in braces as OpenAPI writes them: `/v1/user/id/{id}`.
    pub path: &'static str,
    /// The document's `operationId`, unique in the table.
    pub id: &'static str,
    pub summary: &'static str,
    pub tag: Tag,
    pub access: Access,
    pub body: Body,
    pub answer: Answer,
    /// Whether a terminal of this version has the route.
    pub present: Present,
    /// Why a version without it has none, for the 404 (`"history comes with API 1.2"`).
    pub absent: &'static str,
}

fn always(_: &Profile) -> bool {
    true
}

/// The settings sections in the routes' order, and whether a version has each.
/// Whether a terminal of a version has a route.
type Present = fn(&Profile) -> bool;

const SECTIONS: [(&str, &str, Present); 6] = [
    ("recognize", "Recognition thresholds and options", always),
    ("access", "Door timing and access options", always),
    ("system", "System options", always),
    ("time", "The clock and time zone", always),
    ("custom", "The screen's tips, logo and screensavers", always),
    (
        "antiepidemic",
        "Temperature and mask checks (the S8 only; other models answer 404)",
        |p| p.settings.antiepidemic.is_some(),
    ),
];

/// The library's three collections: name, the ids a member lists (if any), and shapes.
struct Collection {
    name: &'static str,
    related: Option<&'static str>,
    input: Shape,
    output: Shape,
    page: Shape,
    batch: Shape,
    /// What a batch delete answers: the refusals, or for rules (the guide's choice)
    /// nothing.
    deleted: Shape,
}

const COLLECTIONS: [Collection; 3] = [
    Collection {
        name: "user",
        related: None,
        input: Shape::UserInput,
        output: Shape::User,
        page: Shape::UserPage,
        batch: Shape::UserBatch,
        deleted: Shape::BatchErrors,
    },
    Collection {
        name: "group",
        related: Some("users"),
        input: Shape::GroupInput,
        output: Shape::Group,
        page: Shape::GroupPage,
        batch: Shape::GroupBatch,
        deleted: Shape::BatchErrors,
    },
    Collection {
        name: "rule",
        related: Some("groups"),
        input: Shape::RuleInput,
        output: Shape::Rule,
        page: Shape::RulePage,
        batch: Shape::RuleBatch,
        deleted: Shape::Null,
    },
];

/// Leaks a string made once for the table (the table lives as long as the process).
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// A route every version has, answered with the envelope.
#[allow(clippy::too_many_arguments)]
fn route(
    method: Method,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    tag: Tag,
    access: Access,
    body: Body,
    data: Shape,
) -> Route {
    Route {
        method,
        path,
        id,
        summary,
        tag,
        access,
        body,
        answer: Answer::Envelope(data),
        present: always,
        absent: "",
    }
}

/// The same route, only where `present` says so.
fn only(route: Route, present: Present, absent: &'static str) -> Route {
    Route {
        present,
        absent,
        ..route
    }
}

/// The table, one line per route (rustfmt would spread each over ten).
#[rustfmt::skip]
fn build() -> Vec<Route> {
    use Access::{Open, Token};
    use Method::{Delete, Get, Post, Put};
    let json = Body::Json;
    let mut t = vec![
        route(Post, "/v1/auth/login", "login", "Log in: a bearer token for the other routes", Tag::Login, Open, json(Shape::Login), Shape::LoginToken),
        route(Get, "/v1/auth/errors", "errorCodes", "The table of the API's error codes", Tag::Login, Open, Body::None, Shape::ErrorCodes),
    ];
    let cert = |method, id, summary, body, data| {
        only(route(method, "/v1/auth/certificate", id, summary, Tag::Maintenance, Token, body, data), |p: &Profile| p.certificate_api, "the certificate routes come with API 1.2")
    };
    t.push(cert(Get, "getCertificate", "The certificate the API is served with (PEM)", Body::None, Shape::Certificate));
    t.push(cert(Post, "setCertificate", "Install a certificate and key (PEM files); applies at the next restart", Body::Multipart(&[wire::PART_CRT, wire::PART_KEY]), Shape::Null));
    t.push(cert(Delete, "deleteCertificate", "Go back to the factory certificate at the next restart", Body::None, Shape::Null));
    t.push(route(Get, "/v1/device/functions", "getFunctions", "Remote authentication and the other functions", Tag::Device, Token, Body::None, Shape::Functions));
    t.push(route(Post, "/v1/device/functions", "setFunctions", "Change the functions (validated whole; nothing changes on a refusal)", Tag::Device, Token, json(Shape::Functions), Shape::Null));
    for (name, what, present) in SECTIONS {
        let path = leak(format!("/v1/device/{name}"));
        let title = capitalised(name);
        let absent = leak(format!("/v1/device/{name} comes with API 1.1"));
        t.push(only(route(Get, path, leak(format!("get{title}")), what, Tag::Device, Token, Body::None, Shape::Settings(name)), present, absent));
        t.push(only(route(Post, path, leak(format!("set{title}")), leak(format!("Change: {what}")), Tag::Device, Token, json(Shape::Settings(name)), Shape::Null), present, absent));
    }
    t.push(route(Post, "/v1/device/door", "openDoor", "Open the door, hold it open or hold it shut", Tag::Device, Token, json(Shape::Door), Shape::Null));
    t.push(route(Get, "/v1/device/info", "deviceInfo", "Model, serial number and versions", Tag::Device, Token, Body::None, Shape::DeviceInfo));
    t.push(route(Get, "/v1/device/reboot", "reboot", "Restart the terminal", Tag::Maintenance, Token, Body::None, Shape::Null));
    t.push(route(Get, "/v1/device/restore", "restore", "Restore the factory state and restart", Tag::Maintenance, Token, Body::None, Shape::Null));
    t.push(route(Post, "/v1/device/upgrade", "upgrade", "Install a firmware package and restart", Tag::Maintenance, Token, Body::Multipart(&[wire::PART_FIRMWARE]), Shape::Null));
    t.push(only(route(Get, "/v2/device/logs", "deviceLogs", "The system log", Tag::Maintenance, Token, Body::None, Shape::LogEntries), |p| p.device_logs, "the system log comes with API 1.3"));
    for c in &COLLECTIONS {
        let n = c.name;
        let title = capitalised(n);
        let v1 = leak(format!("/v1/{n}"));
        let by_id = leak(format!("/v1/{n}/id/{{id}}"));
        t.push(route(Post, v1, leak(format!("upsert{title}")), leak(format!("Add a {n}, or replace the one with its id")), Tag::Library, Token, json(c.input), c.output));
        t.push(route(Get, by_id, leak(format!("get{title}")), leak(format!("One {n}")), Tag::Library, Token, Body::None, c.output));
        t.push(route(Put, by_id, leak(format!("put{title}")), leak(format!("Replace a {n}")), Tag::Library, Token, json(c.input), c.output));
        t.push(route(Delete, by_id, leak(format!("delete{title}")), leak(format!("Delete a {n}")), Tag::Library, Token, Body::None, Shape::Null));
        if let Some(related) = c.related {
            t.push(route(Get, leak(format!("/v1/{n}/id/{{id}}/{related}")), leak(format!("{n}{}", capitalised(related))), leak(format!("The ids of a {n}'s {related}")), Tag::Library, Token, Body::None, Shape::IdList));
        }
        t.push(route(Post, leak(format!("/v1/{n}/search")), leak(format!("search{title}s")), leak(format!("The ids of the {n}s whose name matches")), Tag::Library, Token, json(Shape::Search), Shape::IdList));
        t.push(route(Get, leak(format!("/v1/{n}/offset/{{offset}}/limit/{{limit}}")), leak(format!("page{title}s")), leak(format!("A page of {n}s")), Tag::Library, Token, Body::None, c.page));
        let v2 = leak(format!("/v2/{n}"));
        t.push(route(Post, v2, leak(format!("batch{title}s")), leak(format!("Add or replace many {n}s")), Tag::Library, Token, json(c.batch), Shape::BatchErrors));
        t.push(route(Delete, v2, leak(format!("delete{title}s")), leak(format!("Delete many {n}s")), Tag::Library, Token, json(Shape::IdBatch), c.deleted));
    }
    t.push(route(Get, "/v2/datasync/ping", "syncPing", "Whether the terminal is up", Tag::Library, Open, Body::None, Shape::Null));
    t.push(route(Get, "/v2/datasync/info", "syncInfo", "What the library holds, for a platform's sync", Tag::Library, Token, Body::None, Shape::SyncInfo));
    t.push(route(Get, "/v2/datasync/clear", "syncClear", "Empty the library", Tag::Library, Token, Body::None, Shape::Null));
    t.push(only(route(Post, "/v1/event/records", "records", "Recognition history, newest first", Tag::Events, Token, json(Shape::RecordQuery), Shape::RecordPage), |p| p.history().is_some(), "history comes with API 1.2"));
    t.push(Route { answer: Answer::WebSocket, ..route(Get, "/v1/event", "liveFeed", "The live feed: a WebSocket of every record as it is made", Tag::Events, Token, Body::None, Shape::Null) });
    t.push(route(Get, "/v1/event/subscribe", "getSubscription", "Where records are pushed", Tag::Events, Token, Body::None, Shape::Subscription));
    t.push(route(Post, "/v1/event/subscribe", "subscribe", "Set where records are pushed", Tag::Events, Token, json(Shape::Subscription), Shape::Null));
    let ai = |path, id, summary, data| {
        only(route(Post, path, id, summary, Tag::Ai, Token, Body::Multipart(&[wire::AI_IMAGE_PART]), data), |p: &Profile| p.ai_routes, "the AI helpers come with API 1.1")
    };
    t.push(ai("/v1/ai/recognitionquality", "recognitionQuality", "Whether a photo is good enough to enrol", Shape::Quality));
    t.push(ai("/v1/ai/feature", "feature", "A photo's face feature", Shape::Feature));
    t.push(route(Post, "/sim/trigger", "trigger", "Make a record now (a JSON object of overrides, or nothing)", Tag::Simulator, Open, json(Shape::Overrides), Shape::Any));
    t.push(route(Get, "/sim/stats", "simStats", "The terminal's figures", Tag::Simulator, Open, Body::None, Shape::Any));
    t.push(route(Get, "/sim/history", "simHistory", "The history's and live feed's figures", Tag::Simulator, Open, Body::None, Shape::Any));
    t.push(Route { answer: Answer::Document, ..route(Get, "/sim/openapi.json", "openapi", "This document, for the terminal's API version", Tag::Simulator, Open, Body::None, Shape::Any) });
    t.push(Route { answer: Answer::Metrics, ..route(Get, "/metrics", "metrics", "The terminal's figures for Prometheus", Tag::Simulator, Open, Body::None, Shape::Any) });
    t
}

/// `name` with its first letter in capitals, for operation ids.
fn capitalised(name: &str) -> &'static str {
    leak(format!("{}{}", name[..1].to_uppercase(), &name[1..]))
}

static TABLE: LazyLock<Vec<Route>> = LazyLock::new(build);

/// Every route of every version.
pub fn all() -> &'static [Route] {
    &TABLE
}

/// The routes a terminal of `profile`'s version serves, in the table's order.
pub fn served(profile: &Profile) -> impl Iterator<Item = &'static Route> + '_ {
    all().iter().filter(move |r| (r.present)(profile))
}

/// Whether `path` matches `template` (`{name}` matches one non-empty segment). A trailing
/// slash is ignored, as the router ignores it.
pub fn matches(template: &str, path: &str) -> bool {
    let path = match path.strip_suffix('/') {
        Some(rest) if !rest.is_empty() => rest,
        _ => path,
    };
    let mut want = template.split('/');
    let mut got = path.split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return true,
            (Some(w), Some(g)) => {
                let param = w.starts_with('{') && w.ends_with('}');
                if !(if param { !g.is_empty() } else { w == g }) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// What the table says of one request.
#[derive(Debug, Clone, Copy)]
pub enum Lookup {
    /// The version serves it: the router hands it to the route's handler.
    Served(&'static Route),
    /// The path is served, with other methods.
    WrongMethod,
    /// The path exists in other versions only; the route says why it is absent.
    NotInVersion(&'static Route),
    /// No version has such a path.
    Unknown,
}

/// Looks a request up for a terminal of `profile`'s version.
pub fn find(profile: &Profile, method: &str, path: &str) -> Lookup {
    let mut other_method = false;
    let mut elsewhere = None;
    for route in all().iter().filter(|r| matches(r.path, path)) {
        if !(route.present)(profile) {
            elsewhere.get_or_insert(route);
        } else if route.method.as_str() == method {
            return Lookup::Served(route);
        } else {
            other_method = true;
        }
    }
    match (other_method, elsewhere) {
        (true, _) => Lookup::WrongMethod,
        (false, Some(route)) => Lookup::NotInVersion(route),
        (false, None) => Lookup::Unknown,
    }
}

/// Whether `path` may be called without credentials: it is the path of an open route.
/// Paths no route has are not open, so a stranger learns nothing of them.
pub fn is_open(path: &str) -> bool {
    all()
        .iter()
        .any(|r| r.access == Access::Open && matches(r.path, path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ApiVersion;

    #[test]
    fn templates_match_their_paths_only() {
        assert!(matches("/v1/user/id/{id}", "/v1/user/id/7"));
        assert!(matches("/v1/user/id/{id}", "/v1/user/id/7/"));
        assert!(!matches("/v1/user/id/{id}", "/v1/user/id/"));
        assert!(!matches("/v1/user/id/{id}", "/v1/user/id/7/x"));
        assert!(!matches("/v1/user", "/v1/users"));
        assert!(matches("/metrics", "/metrics"));
    }

    #[test]
    fn operation_ids_and_method_paths_are_unique() {
        let mut ids = std::collections::HashSet::new();
        let mut ops = std::collections::HashSet::new();
        for r in all() {
            assert!(ids.insert(r.id), "operationId {} twice", r.id);
            assert!(
                ops.insert((r.method, r.path)),
                "{} {} twice",
                r.method.as_str(),
                r.path
            );
        }
    }

    #[test]
    fn lookups_tell_method_version_and_unknown_apart() {
        let v10 = ApiVersion::V1_0.profile();
        let v13 = ApiVersion::V1_3.profile();
        assert!(
            matches!(find(v13, "GET", "/v1/user/id/3"), Lookup::Served(r) if r.id == "getUser")
        );
        assert!(matches!(
            find(v13, "PATCH", "/v1/user/id/3"),
            Lookup::WrongMethod
        ));
        assert!(
            matches!(find(v10, "POST", "/v1/event/records"), Lookup::NotInVersion(r) if r.absent.contains("1.2"))
        );
        assert!(matches!(
            find(v13, "POST", "/v1/event/records"),
            Lookup::Served(_)
        ));
        assert!(matches!(find(v13, "GET", "/v1/user/all"), Lookup::Unknown));
        assert!(
            is_open("/v1/auth/login") && is_open("/sim/stats") && is_open("/v2/datasync/ping/")
        );
        assert!(
            !is_open("/v1/auth/certificate")
                && !is_open("/sim/nothing")
                && !is_open("/v2/datasync/info")
        );
    }
}
