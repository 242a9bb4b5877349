//! The OpenAPI document against the device that serves it, per API version: the device
//! serves the document of its version at `/sim/openapi.json` (the copy in `docs/openapi/`
//! is the same), every operation the document lists reaches a handler, with or without
//! credentials as the document's `security` says, and every route it does not list (other
//! versions' routes, other methods, removed or made-up paths) is refused with the envelope.

use std::path::Path;

use facesim_proto::openapi;
use facesim_proto::profile::ApiVersion;
use facesim_proto::routes::{self, Access, Body, Route};
use serde_json::Value;

use crate::support::{self, call};

/// The route's path with its parameters filled in.
fn concrete(route: &Route) -> String {
    route
        .path
        .replace("{id}", "1")
        .replace("{offset}", "0")
        .replace("{limit}", "10")
}

/// Sends `route`'s method to `path` with a body of the route's kind (an empty JSON object,
/// or a multipart form without its parts), through `client`.
async fn send(
    client: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    body: Body,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let req = client.request(method, format!("{base}{path}"));
    let req = match body {
        Body::None => req,
        Body::Json(_) => req.json(&serde_json::json!({})),
        Body::Multipart(_) => req
            .header("content-type", "multipart/form-data; boundary=x")
            .body("--x--\r\n"),
    };
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Whether an answer is the router's refusal (no handler saw the request) rather than a
/// handler's own answer.
fn refused_by_router(status: u16, body: &Value) -> bool {
    let msg = body["msg"].as_str().unwrap_or("");
    (status == 404 && msg.starts_with("no such path")) || status == 405
}

/// Every operation of `doc` as (method, path template).
fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            ops.push((method.to_uppercase(), path.clone()));
        }
    }
    ops.sort();
    ops
}

#[tokio::test]
async fn the_device_answers_exactly_the_routes_of_its_document() {
    for api in ApiVersion::ALL {
        let dir = tempfile::tempdir().unwrap();
        let d = support::device_of(dir.path(), api).await;
        let want = openapi::document(api);

        // The document served is the version's, and docs/ holds the same.
        let (status, served) = call(d.bare.get(format!("{}/sim/openapi.json", d.api))).await;
        assert_eq!(status, 200, "API {api:?}");
        assert_eq!(served, want, "API {api:?}: the served document");
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../docs/openapi")
            .join(format!("api-{}.json", api.as_str()));
        crate::golden::expect_file(
            &file,
            &format!("{}\n", serde_json::to_string_pretty(&want).unwrap()),
        );

        // The document lists the route table's routes of this version, nothing more.
        let profile = api.profile();
        let mut table: Vec<(String, String)> = routes::served(profile)
            .map(|r| (r.method.as_str().to_owned(), r.path.to_owned()))
            .collect();
        table.sort();
        assert_eq!(operations(&want), table, "API {api:?}: document vs table");

        // Every listed operation reaches a handler; open ones without credentials,
        // the others only with them.
        for route in routes::served(profile) {
            let path = concrete(route);
            let method = route.method.as_str();
            let (status, body) = send(&d.client, &d.api, method, &path, route.body).await;
            assert!(
                !refused_by_router(status, &body),
                "API {api:?}: {method} {path} is in the document but the device answers {status} {body}"
            );
            let (status, body) = send(&d.bare, &d.api, method, &path, route.body).await;
            match route.access {
                Access::Open => assert_ne!(
                    status, 401,
                    "API {api:?}: {method} {path} is open in the document: {body}"
                ),
                Access::Token => assert_eq!(
                    status, 401,
                    "API {api:?}: {method} {path} needs a token in the document: {body}"
                ),
            }
        }

        // Routes of other versions are refused, with the reason.
        for route in routes::all().iter().filter(|r| !(r.present)(profile)) {
            let path = concrete(route);
            let method = route.method.as_str();
            let (status, body) = send(&d.client, &d.api, method, &path, route.body).await;
            assert_eq!(
                status, 404,
                "API {api:?}: {method} {path} is not in the document: {body}"
            );
            let msg = body["msg"].as_str().unwrap_or("");
            assert!(
                msg.starts_with(&format!("no such path under API {}", profile.name)),
                "API {api:?}: {method} {path}: {msg}"
            );
        }

        // Methods the document does not list are refused on every path it lists.
        for route in routes::served(profile) {
            let path = concrete(route);
            let (status, body) = send(&d.client, &d.api, "PATCH", &path, Body::None).await;
            assert_eq!(status, 405, "API {api:?}: PATCH {path}: {body}");
            assert_eq!(body["code"], 405, "API {api:?}: PATCH {path}: {body}");
        }

        // Paths no version has: removed, misspelt, too long, made up.
        for path in [
            "/",
            "/v1/user/all",
            "/v1/users",
            "/v1/user/id/1/extra",
            "/v3/user",
            "/v1/device",
            "/sim/nothing",
            "/v1/auth/nothing",
            "/metrics/extra",
        ] {
            for method in ["GET", "POST"] {
                let (status, body) = send(&d.client, &d.api, method, path, Body::None).await;
                assert_eq!(status, 404, "API {api:?}: {method} {path}: {body}");
                assert_eq!(body["code"], 404, "API {api:?}: {method} {path}: {body}");
            }
        }
        d.stop().await;
    }
}

#[test]
fn every_document_is_openapi_3_1_with_the_versions_webhooks() {
    for api in ApiVersion::ALL {
        let doc = openapi::document(api);
        let profile = api.profile();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["info"]["version"], profile.name);
        assert!(doc["webhooks"]["push"]["post"]["requestBody"].is_object());
        assert_eq!(
            doc["webhooks"].get("remoteAuthentication").is_some(),
            profile.auth.callback,
            "API {api:?}: the callback is a webhook exactly when the version has one"
        );
        // Every reference points at a schema the document holds.
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        assert!(!refs.is_empty());
        for r in refs {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("API {api:?}: reference {r} outside the components"));
            assert!(schemas.contains_key(name), "API {api:?}: {r} is missing");
        }
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(s)) => out.push(s.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
