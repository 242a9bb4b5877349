//! One answer classifier: the same table of receiver answers (the golden answers in
//! `fixtures/answers/`, plus an HTTP 500) goes through the simulated device, `facesim push`
//! and `facesim load`, under a decision-era (1.0) and an acknowledgement-era (1.3)
//! version, and every path counts each answer in the same outcome class, the one
//! `Profile::judge` gives.

use std::path::Path;

use bytes::Bytes;
use facesim_proto::profile::ApiVersion;
use facesim_proto::wire;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use warp::Filter;

use crate::support::{self, facesim_async, text};

/// Serves `body` with `status` to every POST until the returned sender is dropped.
async fn answering(status: u16, body: Bytes) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let route = warp::post().and(warp::body::bytes()).map(move |_: Bytes| {
        let mut reply = warp::reply::Response::new(body.clone().into());
        *reply.status_mut() = http::StatusCode::from_u16(status).unwrap();
        reply.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        reply
    });
    let (stop, wait) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(facesim::server::serve(
        listener,
        None,
        warp::service(route),
        async move {
            let _ = wait.await;
        },
    ));
    (format!("http://{addr}/eventRcv"), stop)
}

/// The table: every golden answer with HTTP 200, and a JSON error with HTTP 500.
fn answers() -> Vec<(String, u16, Bytes)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/answers");
    let mut table: Vec<(String, u16, Bytes)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| !n.to_string_lossy().starts_with("expected"))
        })
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, 200, Bytes::from(std::fs::read(&p).unwrap()))
        })
        .collect();
    table.sort();
    table.push((
        "http-500".into(),
        500,
        Bytes::from_static(br#"{"code":500,"msg":"boom","data":{}}"#),
    ));
    table
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_path_classifies_every_answer_alike() {
    let mut problems = Vec::new();
    let mut classes = std::collections::BTreeSet::new();
    for api in [ApiVersion::V1_0, ApiVersion::V1_3] {
        for (name, status, body) in answers() {
            let want = wire::judge_answer(status, &body, api.profile().answer)
                .class()
                .label();
            classes.insert(want);
            let (url, _stop) = answering(status, body).await;

            // The device.
            let dir = tempfile::tempdir().unwrap();
            let mut config = support::device_config(dir.path(), 0.0);
            config.synth.api = api;
            config.synth.alarm_share = Some(0.0);
            config.push.api = api;
            let dev = support::device(config).await;
            dev.configure(&url, false).await;
            let (_, got) = dev.trigger(&json!({})).await;
            dev.stop().await;
            let device = got["data"]["outcome"].as_str().unwrap_or("?").to_string();

            // `facesim push`.
            let version = api.to_string();
            let out = facesim_async(
                [
                    "push",
                    "--to",
                    &url,
                    "--count",
                    "1",
                    "--quiet",
                    "--api-version",
                    &version,
                    "--alarm-share",
                    "0",
                    "--width",
                    "48",
                    "--height",
                    "64",
                ]
                .map(String::from)
                .to_vec(),
            )
            .await;
            let stdout = text(&out.stdout);
            let push = if stdout.contains("ok 1  failed 0") {
                "success".to_string()
            } else {
                stdout
                    .lines()
                    .find_map(|l| l.strip_prefix("failures: "))
                    .and_then(|f| f.split_whitespace().next())
                    .unwrap_or("?")
                    .to_string()
            };

            // `facesim load`.
            let json_file = dir.path().join("load.json");
            let out = facesim_async(
                [
                    "load",
                    "--to",
                    &url,
                    "--max",
                    "--count",
                    "2",
                    "--connections",
                    "1",
                    "--quiet",
                    "--api-version",
                    &version,
                    "--json",
                ]
                .map(String::from)
                .into_iter()
                .chain([json_file.display().to_string()])
                .collect(),
            )
            .await;
            let report: Value = std::fs::read(&json_file)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_else(|| panic!("{name}: no load report: {}", text(&out.stderr)));
            let failed = report["errors"]
                .as_object()
                .and_then(|errors| errors.iter().find(|(_, n)| n.as_u64() > Some(0)))
                .map(|(class, _)| class.clone());
            let load = match failed {
                Some(class) => class,
                None if report["ok"] == 2 => "success".to_string(),
                None => format!("? {report}"),
            };

            for (path, got) in [("device", &device), ("push", &push), ("load", &load)] {
                if got != want {
                    problems.push(format!(
                        "{api} {name}: {path} says {got}, the classifier {want}"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
    // The table covers more than one class, or the test would prove little.
    assert!(classes.len() >= 4, "{classes:?}");
}
