//! `facesim load` and `facesim merge` against small in-process receivers: the open model
//! keeps its schedule, latency counts from the scheduled time (a stalled receiver shows),
//! the closed loop, ramps, answer classes, the JSON and HTML results, thresholds and exit
//! codes, shards merged exactly across processes, and a fleet of 10,000 devices.
//! Rates are modest and every run is bounded to a few seconds.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use facesim::load::{LoadConfig, LoadResult, Mode, run_load};
use facesim::schedule::{Arrival, RateProfile};
use facesim::tls::Trust;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use warp::{Filter, Reply};

use crate::support::{facesim, facesim_async, text};

/// What the test receiver does with its `n`th request (from 0).
#[derive(Debug, Clone)]
enum Answer {
    Pass(bool),
    Code(i64),
    Status(u16),
    Garbage,
    After(Duration, Box<Answer>),
}

type Behaviour = Arc<dyn Fn(u64) -> Answer + Send + Sync>;

struct Receiver {
    url: String,
    hits: Arc<AtomicU64>,
    serials: Arc<Mutex<HashSet<String>>>,
    _stop: oneshot::Sender<()>,
}

/// Starts a receiver on `127.0.0.1:0`; with `read_serials`, it parses every event and
/// keeps the `deviceSN`s it saw.
async fn receiver(behaviour: Behaviour, read_serials: bool) -> Receiver {
    receiver_with_tls(behaviour, read_serials, None).await
}

async fn receiver_with_tls(
    behaviour: Behaviour,
    read_serials: bool,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Receiver {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicU64::new(0));
    let serials = Arc::new(Mutex::new(HashSet::new()));
    let (h, s) = (hits.clone(), serials.clone());
    let route = warp::post()
        .and(warp::body::bytes())
        .then(move |body: Bytes| {
            let n = h.fetch_add(1, Ordering::SeqCst);
            if read_serials {
                let event: Value =
                    serde_json::from_slice(&body).expect("facesim sends JSON events");
                let sn = event["data"]["deviceSN"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                s.lock().unwrap().insert(sn);
            }
            let answer = behaviour(n);
            async move { reply(answer).await }
        });
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(facesim::server::serve(
        listener,
        tls,
        warp::service(route),
        async {
            let _ = stopped.await;
        },
    ));
    Receiver {
        url: format!("{scheme}://{addr}/event"),
        hits,
        serials,
        _stop: stop,
    }
}

async fn reply(mut answer: Answer) -> warp::reply::Response {
    while let Answer::After(pause, then) = answer {
        tokio::time::sleep(pause).await;
        answer = *then;
    }
    match answer {
        Answer::Pass(pass) => {
            warp::reply::json(&json!({"code": 200, "msg": "ok", "data": {"pass": pass}}))
                .into_response()
        }
        Answer::Code(code) => {
            warp::reply::json(&json!({"code": code, "msg": "busy", "data": {"pass": false}}))
                .into_response()
        }
        Answer::Status(status) => warp::reply::with_status(
            "unavailable",
            warp::http::StatusCode::from_u16(status).unwrap(),
        )
        .into_response(),
        Answer::Garbage => {
            warp::reply::with_header("{\"code\":", "content-type", "application/json")
                .into_response()
        }
        Answer::After(..) => unreachable!("unwrapped above"),
    }
}

fn always_pass() -> Behaviour {
    Arc::new(|_| Answer::Pass(true))
}

fn open(rate: f64, arrival: Arrival) -> Mode {
    Mode::Open {
        profile: RateProfile::fixed(rate).unwrap(),
        arrival,
        spec: rate.to_string(),
    }
}

fn config(url: &str, mode: Mode) -> LoadConfig {
    let mut c = LoadConfig::new(url.parse().unwrap(), mode);
    c.image_pool = 2;
    c.devices = 4;
    c.people = 10;
    c.connections = 4;
    c
}

async fn run(config: LoadConfig) -> LoadResult {
    run_load(config, std::future::pending())
        .await
        .expect("the run starts")
}

/// Events whose latency in `pairs` (`[µs, count]`) is at least `ms` milliseconds.
fn at_least(pairs: &[(u64, u64)], ms: u64) -> u64 {
    pairs.iter().filter(|p| p.0 >= ms * 1000).map(|p| p.1).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_model_achieves_the_target_rate() {
    let rx = receiver(always_pass(), false).await;
    let mut c = config(&rx.url, open(200.0, Arrival::Constant));
    c.duration = Some(Duration::from_secs(2));
    let r = run(c).await;
    assert_eq!(r.stats.sent, 400, "{}", r.summary());
    assert_eq!(r.stats.ok, 400);
    assert_eq!(rx.hits.load(Ordering::SeqCst), 400);
    assert!((r.achieved_rate - 200.0).abs() < 2.0, "{}", r.summary());
    assert_eq!(r.target_rate, Some(200.0));
    assert_eq!(r.stats.passed, 400);
    assert!(r.stats.latency_ms.p50 < 50.0, "{}", r.summary());
    assert!(r.duration_s < 3.5);
}

/// The events' `timestamp` comes from the run's wall clock, which the configuration
/// injects: a clock stopped in 2023 stamps the saved event with its time, not today's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_stamped_by_the_configured_clock() {
    let rx = receiver(always_pass(), false).await;
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("event.json");
    let mut c = config(&rx.url, open(50.0, Arrival::Constant));
    c.count = Some(3);
    c.save_body = Some(saved.clone());
    c.clock = facesim::clock::ManualClock::at(1_700_000_000);
    let r = run(c).await;
    assert_eq!(r.stats.ok, 3, "{}", r.summary());
    let event = read_json(&saved);
    assert_eq!(event["data"]["timestamp"], 1_700_000_000, "{event}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_is_measured_from_the_scheduled_time() {
    // One 200 ms stall at a constant 50/s on a single connection: the ten events due
    // during the stall wait in the queue. A closed-loop tool would report one slow event;
    // an honest one reports them all.
    let rx = receiver(
        Arc::new(|n| {
            if n == 20 {
                Answer::After(Duration::from_millis(200), Box::new(Answer::Pass(true)))
            } else {
                Answer::Pass(true)
            }
        }),
        false,
    )
    .await;
    let mut c = config(&rx.url, open(50.0, Arrival::Constant));
    c.connections = 1;
    c.count = Some(60);
    c.duration = None;
    let r = run(c).await;
    assert_eq!(r.stats.sent, 60, "{}", r.summary());
    let queued = at_least(&r.stats.histogram_us, 100);
    assert!(queued >= 5, "only {queued} slow events: {}", r.summary());
    assert!(
        at_least(&r.service_histogram_us, 100) <= 2,
        "{}",
        r.summary()
    );
    assert!(r.stats.latency_ms.p99 >= 150.0, "{}", r.summary());
    assert!(r.stats.latency_ms.p50 < 50.0, "{}", r.summary());
    assert!(r.service_ms.p90 < 50.0, "{}", r.summary());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_runs_a_closed_loop() {
    let rx = receiver(always_pass(), false).await;
    let mut c = config(&rx.url, Mode::Max);
    c.connections = 2;
    c.count = Some(300);
    c.duration = None;
    let r = run(c).await;
    assert_eq!((r.stats.sent, r.stats.ok), (300, 300), "{}", r.summary());
    assert_eq!(r.mode, "max");
    assert_eq!(r.target_rate, None);
    assert!(r.achieved_rate > 50.0, "{}", r.summary());
    // Two connections, each with one event at a time: the receiver never saw more.
    assert_eq!(rx.hits.load(Ordering::SeqCst), 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ramp_follows_the_profile() {
    let rx = receiver(always_pass(), false).await;
    let mode = Mode::Open {
        profile: "0s:0,2s:200".parse().unwrap(),
        arrival: Arrival::Constant,
        spec: "0s:0,2s:200".into(),
    };
    let mut c = config(&rx.url, mode);
    c.duration = Some(Duration::from_secs(2));
    let r = run(c).await;
    // The integral of a ramp from 0 to 200/s over 2 s.
    assert!((199..=200).contains(&r.stats.sent), "{}", r.summary());
    assert!((r.target_rate.unwrap() - 100.0).abs() < 1e-6);
    let first: u64 = r.series.iter().filter(|p| p.t == 0).map(|p| p.sent).sum();
    let second: u64 = r.series.iter().filter(|p| p.t >= 1).map(|p| p.sent).sum();
    assert!(
        first < 70 && second > 130,
        "first second {first}, second {second}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_classes_are_counted() {
    let rx = receiver(
        Arc::new(|n| match n % 6 {
            0 => Answer::Pass(true),
            1 => Answer::Pass(false),
            2 => Answer::Code(500),
            3 => Answer::Status(503),
            4 => Answer::Garbage,
            _ => Answer::After(Duration::from_millis(400), Box::new(Answer::Pass(true))),
        }),
        false,
    )
    .await;
    let mut c = config(&rx.url, Mode::Max);
    c.connections = 1;
    c.count = Some(30);
    c.duration = None;
    c.timeout = Duration::from_millis(100);
    let r = run(c).await;
    assert_eq!(r.stats.sent, 30, "{}", r.summary());
    assert_eq!(
        (r.stats.ok, r.stats.passed, r.stats.denied),
        (10, 5, 5),
        "{}",
        r.summary()
    );
    for class in ["code_not_ok", "http_status", "malformed", "timeout"] {
        assert_eq!(r.stats.errors[class], 5, "{class}: {}", r.summary());
    }
    assert_eq!(r.stats.errors["connect_error"], 0);
    assert!((r.error_rate_pct - 200.0 / 3.0).abs() < 1e-6);
    assert!(
        r.error_examples["http_status"].contains("503"),
        "{:?}",
        r.error_examples
    );

    // Nobody listens: every event is a connection error.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/event", closed.local_addr().unwrap());
    drop(closed);
    let mut c = config(&url, Mode::Max);
    c.count = Some(8);
    c.duration = None;
    let r = run(c).await;
    assert_eq!(r.stats.errors["connect_error"], 8, "{}", r.summary());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_devices_in_one_process() {
    let rx = receiver(always_pass(), true).await;
    let mut c = config(&rx.url, open(400.0, Arrival::Poisson));
    c.devices = 10_000;
    c.people = 20;
    c.duration = Some(Duration::from_secs(2));
    let r = run(c).await;
    assert_eq!(r.devices, 10_000);
    assert!((700..=900).contains(&r.stats.sent), "{}", r.summary());
    assert_eq!(r.stats.ok, r.stats.sent);
    // Round robin over the fleet: every event so far came from a different device.
    let serials = rx.serials.lock().unwrap().len() as u64;
    assert_eq!(serials, r.stats.sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_receivers_with_a_pinned_ca_or_insecure() {
    let pair = facesim::tls::CertPair::self_signed(&[]).unwrap();
    let rx = receiver_with_tls(always_pass(), false, Some(pair.server_config().unwrap())).await;
    for trust in [Trust::Pinned(pair.cert_pem.clone()), Trust::Insecure] {
        let mut c = config(&rx.url, Mode::Max);
        c.count = Some(20);
        c.duration = None;
        c.trust = trust.clone();
        let r = run(c).await;
        assert_eq!(r.stats.ok, 20, "{trust:?}: {}", r.summary());
    }
    // Pinned to another certificate: the handshake fails, as a connection error.
    let other = facesim::tls::CertPair::self_signed(&[]).unwrap();
    let mut c = config(&rx.url, Mode::Max);
    c.count = Some(4);
    c.duration = None;
    c.trust = Trust::Pinned(other.cert_pem);
    let r = run(c).await;
    assert_eq!(r.stats.errors["connect_error"], 4, "{}", r.summary());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_the_run_with_what_was_measured() {
    // Shutdown comes when the receiver answers its 60th event (0.6 s into the schedule),
    // said by the receiver itself rather than guessed with a sleep.
    let (reached_tx, reached) = oneshot::channel::<()>();
    let reached_tx = Mutex::new(Some(reached_tx));
    let behaviour: Behaviour = Arc::new(move |n| {
        if n == 59
            && let Some(tx) = reached_tx.lock().unwrap().take()
        {
            let _ = tx.send(());
        }
        Answer::Pass(true)
    });
    let rx = receiver(behaviour, false).await;
    let mut c = config(&rx.url, open(100.0, Arrival::Constant));
    c.duration = Some(Duration::from_secs(30));
    let started = std::time::Instant::now();
    let shutdown = async {
        let _ = reached.await;
    };
    let r = run_load(c, shutdown).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(r.interrupted);
    assert!((40..=80).contains(&r.stats.sent), "{}", r.summary());
    assert!(r.summary().contains("interrupted"));
}

// ----- through the binary -----

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_and_html_results_through_the_binary() {
    let rx = receiver(always_pass(), false).await;
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("r.json");
    let html_path = dir.path().join("r.html");
    let body_path = dir.path().join("body.json");
    let args = [
        "load",
        "--to",
        &rx.url,
        "--rate",
        "100",
        "--duration",
        "1s",
        "--image-pool",
        "2",
        "--devices",
        "3",
        "--json",
        json_path.to_str().unwrap(),
        "--html",
        html_path.to_str().unwrap(),
        "--save-body",
        body_path.to_str().unwrap(),
        "--quiet",
    ];
    let out = facesim_async(args.iter().map(ToString::to_string).collect()).await;
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("achieved"),
        "{}",
        text(&out.stdout)
    );
    let v = read_json(&json_path);
    for key in [
        "sent",
        "ok",
        "achieved_rate",
        "target_rate",
        "errors",
        "latency_ms",
        "histogram_us",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {v}");
    }
    for key in ["p50", "p90", "p99", "p999", "max"] {
        assert!(v["latency_ms"][key].is_number(), "missing latency_ms.{key}");
    }
    assert_eq!(v["target_rate"], 100.0);
    assert!(v["sent"].as_u64().unwrap() > 50);
    assert_eq!(v["ok"], v["sent"]);
    assert!(v["errors"]["timeout"].is_number());
    let body = std::fs::read(&body_path).unwrap();
    let event: facesim_proto::wire::Event =
        serde_json::from_slice(&body).expect("the saved body is an event");
    assert!(
        event.as_record().expect("a record").rgb_image.len() > 10_000,
        "a snapshot of the default size"
    );
    let page = std::fs::read_to_string(&html_path).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(
        page.matches("<svg").count() >= 2,
        "latency over time and distribution"
    );
    for external in ["<script", "<link", "src=", "href=", "url("] {
        assert!(
            !page.contains(external),
            "the page must not load {external}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thresholds_fail_with_exit_1() {
    let rx = receiver(
        Arc::new(|n| {
            if n % 2 == 0 {
                Answer::Pass(true)
            } else {
                Answer::Status(500)
            }
        }),
        false,
    )
    .await;
    let base = [
        "load",
        "--to",
        &rx.url,
        "--max",
        "--count",
        "40",
        "--image-pool",
        "1",
        "--quiet",
    ];
    let with = |extra: &[&str]| {
        base.iter()
            .chain(extra)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    };
    let out = facesim_async(with(&["--max-error-rate", "10"])).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("error rate"),
        "{}",
        text(&out.stdout)
    );
    let out = facesim_async(with(&["--max-error-rate", "60", "--max-p99", "5000"])).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let out = facesim_async(with(&["--max-p99", "0.001"])).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_in_which_nothing_succeeded_exits_1_without_thresholds() {
    // A port that refuses every connection: 20 of 20 connect errors.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let out = facesim_async(
        ["load", "--to", &url, "--max", "--count", "20", "--quiet"]
            .map(String::from)
            .to_vec(),
    )
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("no event succeeded: 0 of 20 sent (20 connect_error)"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ramp_shows_the_rate_due_now_and_its_average_as_such() {
    let rx = receiver(always_pass(), false).await;
    // Progress prints a plain line every 5 s when stderr is not a terminal: at 5 s this
    // ramp is due 168/s, while its average over the run is 105/s.
    let out = facesim_async(
        [
            "load",
            "--to",
            &rx.url,
            "--ramp",
            "0s:10,6s:200",
            "--image-pool",
            "1",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let progress = stderr
        .lines()
        .find(|l| l.contains("(target "))
        .unwrap_or_else(|| panic!("no progress line in:\n{stderr}"));
    let due: f64 = progress
        .split("(target ")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no target rate in {progress:?}"));
    assert!((150.0..=200.0).contains(&due), "{progress}");
    assert!(
        stdout.contains("/s on average over the ramp 0s:10,6s:200"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_auth_defaults_to_the_newest_version() {
    let config = facesim::receiver::ReceiverConfig {
        api: facesim_proto::profile::ApiVersion::V1_3,
        ..facesim::receiver::ReceiverConfig::default()
    };
    let (rx, _events) = crate::support::receiver(config).await;
    let url = format!("http://{}/auth", rx.addr);
    let out = facesim_async(
        [
            "load", "--to", &url, "--target", "auth", "--max", "--count", "10", "--quiet",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("ok 10 (100.00%)"), "{stdout}");
}

#[test]
fn bad_usage_exits_2_with_one_line() {
    for args in [
        &[
            "load",
            "--to",
            "http://127.0.0.1:9/e",
            "--rate",
            "5",
            "--max",
        ][..],
        &["load", "--to", "http://127.0.0.1:9/e", "--ramp", "10s:5"],
        &["load", "--to", "http://127.0.0.1:9/e", "--shard", "3/3"],
        &["load", "--to", "not a url"],
        &[
            "load",
            "--to",
            "http://127.0.0.1:9/e",
            "--duration",
            "forever",
        ],
        &["merge", "/nonexistent/a.json"],
    ] {
        let out = facesim(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let err = text(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error:"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shards_in_separate_processes_merge_exactly() {
    let rx = receiver(always_pass(), true).await;
    let dir = tempfile::tempdir().unwrap();
    let shards: Vec<_> = (0..3)
        .map(|i| {
            let path = dir.path().join(format!("shard-{i}.json"));
            let args: Vec<String> = [
                "load",
                "--to",
                &rx.url,
                "--rate",
                "150",
                "--count",
                "90",
                "--devices",
                "6",
                "--arrival",
                "constant",
                "--image-pool",
                "1",
                "--quiet",
                "--shard",
                &format!("{i}/3"),
                "--json",
                path.to_str().unwrap(),
            ]
            .iter()
            .map(ToString::to_string)
            .collect();
            (path, tokio::spawn(facesim_async(args)))
        })
        .collect();
    let mut inputs = Vec::new();
    for (path, process) in shards {
        let out = process.await.unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        inputs.push(path);
    }
    let parts: Vec<Value> = inputs.iter().map(|p| read_json(p)).collect();
    for (i, part) in parts.iter().enumerate() {
        assert_eq!(part["sent"], 30, "shard {i} takes a third");
        assert_eq!(part["shard"], format!("{i}/3"));
        assert!((part["target_rate"].as_f64().unwrap() - 50.0).abs() < 1e-9);
    }
    // Each shard has its own third of the fleet.
    assert_eq!(rx.serials.lock().unwrap().len(), 6);

    let merged_path = dir.path().join("merged.json");
    let mut args = vec!["merge".to_string()];
    args.extend(inputs.iter().map(|p| p.to_str().unwrap().to_string()));
    args.extend([
        "--json".to_string(),
        merged_path.to_str().unwrap().to_string(),
    ]);
    let out = facesim_async(args).await;
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let merged: LoadResult = serde_json::from_value(read_json(&merged_path)).unwrap();
    assert_eq!(merged.stats.sent, 90);
    assert_eq!(merged.stats.ok, 90);
    assert_eq!(merged.parts.len(), 3);
    assert!((merged.target_rate.unwrap() - 150.0).abs() < 1e-9);

    // The merged histogram is the bucket-by-bucket sum of the shards' histograms, and its
    // percentiles are read from that sum.
    let mut expected = std::collections::BTreeMap::<u64, u64>::new();
    let mut all = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).unwrap();
    for part in &parts {
        for pair in part["histogram_us"].as_array().unwrap() {
            let (us, n) = (pair[0].as_u64().unwrap(), pair[1].as_u64().unwrap());
            *expected.entry(us).or_default() += n;
            all.record_n(us, n).unwrap();
        }
    }
    let merged_pairs: std::collections::BTreeMap<u64, u64> =
        merged.stats.histogram_us.iter().copied().collect();
    assert_eq!(merged_pairs, expected);
    let p99 = all.value_at_quantile(0.99) as f64 / 1000.0;
    assert!(
        (merged.stats.latency_ms.p99 - p99).abs() < 1e-9,
        "{} vs {p99}",
        merged.stats.latency_ms.p99
    );
}
