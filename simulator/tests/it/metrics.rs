//! `GET /metrics` on the device and the reference receiver, read back with a Prometheus
//! text parser: the series exist, carry the terminal's serial number, and move with the
//! traffic.

use prometheus_parse::{Sample, Scrape, Value};

use crate::support::{self, call, device, device_config, receiver};
use facesim::receiver::ReceiverConfig;

async fn scrape(client: &reqwest::Client, url: &str) -> (String, Vec<Sample>) {
    let answer = client.get(url).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let content_type = answer.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = answer.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let samples = Scrape::parse(lines).unwrap().samples;
    (text, samples)
}

/// Every metric family the Grafana dashboard (`scripts/grafana/facesim-dashboard.json`)
/// queries whose name starts with `prefix`, by the name its `# TYPE` line gives.
fn dashboard_families(prefix: &str, except: &[&str]) -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scripts/grafana/facesim-dashboard.json"
    );
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut names = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            for token in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if !token.starts_with(prefix) || except.iter().any(|e| token.starts_with(e)) {
                    continue;
                }
                let base = ["_bucket", "_total", "_sum", "_count"]
                    .iter()
                    .find_map(|suffix| token.strip_suffix(suffix))
                    .unwrap_or(token);
                if !names.iter().any(|n| n == base) {
                    names.push(base.to_owned());
                }
            }
        }
    }
    assert!(
        !names.is_empty(),
        "the dashboard queries nothing of {prefix}"
    );
    names
}

/// Checks that the exposition `text` has every family of `names`.
fn exposes(text: &str, names: &[String]) {
    for name in names {
        assert!(
            text.contains(&format!("# TYPE {name} ")),
            "the dashboard queries {name}, which /metrics does not expose"
        );
    }
}

/// The value of the one series of `metric` whose labels include every pair of `labels`.
fn value(samples: &[Sample], metric: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.metric == metric)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .collect();
    assert_eq!(found.len(), 1, "{metric} {labels:?}: {found:?}");
    match &found[0].value {
        Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
        other => panic!("{metric} is not a number: {other:?}"),
    }
}

/// The `+Inf` bucket of a histogram: its count.
fn histogram_count(samples: &[Sample], metric: &str) -> f64 {
    let found = samples.iter().find(|s| s.metric == metric).expect(metric);
    match &found.value {
        Value::Histogram(buckets) => buckets.last().expect("buckets").count,
        other => panic!("{metric} is not a histogram: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_and_the_receiver_expose_their_figures_as_they_move() {
    let (recv, _events) = receiver(ReceiverConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let dev = device(device_config(dir.path(), 0.0)).await;
    dev.configure(&format!("http://{}/eventRcv", recv.addr), false)
        .await;
    let metrics = format!("{}/metrics", dev.api);
    let sn = [("sn", "PS71HD01MC22C00014")];

    // Before any traffic: every family is there, at zero, without credentials.
    let (_, before) = scrape(&dev.bare, &metrics).await;
    assert_eq!(value(&before, "facesim_records_generated_total", &sn), 0.0);
    assert_eq!(value(&before, "facesim_queue_depth", &sn), 0.0);
    let success = [sn[0], ("outcome", "success")];
    assert_eq!(value(&before, "facesim_pushes_total", &success), 0.0);
    assert_eq!(
        histogram_count(&before, "facesim_push_latency_seconds"),
        0.0
    );
    assert_eq!(value(&before, "facesim_live_clients", &sn), 0.0);

    // Two records pushed, a login and a refused one.
    for _ in 0..2 {
        let (status, _) = dev.trigger(&serde_json::json!({})).await;
        assert_eq!(status, 200);
    }
    let login = |password: &str| {
        dev.bare
            .post(format!("{}/v1/auth/login", dev.api))
            .json(&serde_json::json!({"username": "admin", "password": password}))
    };
    assert_eq!(call(login("facesim-admin")).await.0, 200);
    assert_eq!(call(login("wrong")).await.0, 401);

    let (text, after) = scrape(&dev.bare, &metrics).await;
    exposes(
        &text,
        &dashboard_families("facesim_", &["facesim_receiver_", "facesim_load_"]),
    );
    assert_eq!(value(&after, "facesim_records_generated_total", &sn), 2.0);
    assert_eq!(value(&after, "facesim_pushes_total", &success), 2.0);
    assert_eq!(histogram_count(&after, "facesim_push_latency_seconds"), 2.0);
    let opened = value(
        &after,
        "facesim_door_decisions_total",
        &[("decision", "opened")],
    );
    let shut = value(
        &after,
        "facesim_door_decisions_total",
        &[("decision", "kept_shut")],
    );
    assert_eq!(opened + shut, 2.0);
    assert_eq!(
        value(&after, "facesim_logins_total", &[("result", "ok")]),
        1.0
    );
    assert_eq!(
        value(&after, "facesim_logins_total", &[("result", "refused")]),
        1.0
    );

    // The receiver counted the same two records, and a refused request.
    let bare = reqwest::Client::new();
    let refused = bare
        .post(format!("http://{}/eventRcv", recv.addr))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 415);
    let receiver_metrics = format!("http://{}/metrics", recv.addr);
    let (text, taken) = scrape(&bare, &receiver_metrics).await;
    exposes(&text, &dashboard_families("facesim_receiver_", &[]));
    let records = [("kind", "record"), ("api", "1.0")];
    assert_eq!(
        value(&taken, "facesim_receiver_events_total", &records),
        2.0
    );
    let pass = value(
        &taken,
        "facesim_receiver_door_decisions_total",
        &[("decision", "pass")],
    );
    let deny = value(
        &taken,
        "facesim_receiver_door_decisions_total",
        &[("decision", "deny")],
    );
    assert_eq!((pass, deny), (opened, shut));
    assert_eq!(
        value(
            &taken,
            "facesim_receiver_refused_total",
            &[("status", "415")]
        ),
        1.0
    );
    dev.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_run_exposes_its_live_figures_while_it_runs() {
    let (recv, _events) = receiver(ReceiverConfig::default()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_facesim"))
        .args(["load", "--to", &format!("http://{}/eventRcv", recv.addr)])
        .args(["--rate", "50", "--duration", "4s", "--quiet"])
        .args(["--metrics-listen", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/metrics");
    let mut seen = Vec::new();
    support::eventually("the run's figures at /metrics", async || {
        let Ok(answer) = client.get(&url).send().await else {
            return false;
        };
        let text = answer.text().await.unwrap();
        exposes(&text, &dashboard_families("facesim_load_", &[]));
        let samples = Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
            .unwrap()
            .samples;
        let ok = value(
            &samples,
            "facesim_load_events_total",
            &[("outcome", "success")],
        );
        seen.push(ok);
        assert_eq!(value(&samples, "facesim_load_target_rate", &[]), 50.0);
        seen.len() >= 2 && ok > seen[0] && ok > 0.0
    })
    .await;
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success());
    // The run is over: so is its endpoint.
    assert!(client.get(&url).send().await.is_err());
}
