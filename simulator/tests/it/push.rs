//! Pushing: the device delivers to a receiver and acts on its answers, times out on a
//! silent one, keeps what it could not deliver, is reproducible from its seed, and traces
//! every snapshot with a JPEG comment.

use std::time::Duration;

use base64::Engine as _;
use facesim::synth::jpeg;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::support::{self, TestDevice};

async fn subscribe(dev: &TestDevice, dest: &str) {
    dev.configure(dest, true).await;
}

async fn configure(dev: &TestDevice, dest: &str, enabled: bool) {
    dev.configure(dest, enabled).await;
}

/// Triggers a record, which must be answered with the envelope's 200.
async fn trigger(dev: &TestDevice, overrides: Value) -> Value {
    let (status, body) = dev.trigger(&overrides).await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

async fn stats(dev: &TestDevice) -> Value {
    dev.stats().await
}

#[tokio::test]
async fn device_pushes_and_acts_on_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let (receiver, mut events) = support::receiver(Default::default()).await;
    let dev = support::device(support::device_config(dir.path(), 0.0)).await;
    subscribe(&dev, &format!("http://{}/eventRcv", receiver.addr)).await;

    let known = trigger(
        &dev,
        json!({"recognizeStatus": 2, "recognizeScore": 0.97, "livenessScore": 0.95}),
    )
    .await;
    assert_eq!(known["outcome"], "success");
    assert_eq!(known["queued"], false);
    let answer = &known["answer"];
    assert_eq!(answer["pass"], true, "{known}");
    assert!(answer["customtips"].as_str().unwrap().starts_with("Hi"));

    let stranger = trigger(
        &dev,
        json!({"recognizeStatus": 3, "user": null, "pass": false}),
    )
    .await;
    assert_eq!(stranger["answer"]["pass"], false);
    assert_eq!(stranger["answer"]["customtips"], "No access");

    let got = events.recv().await.unwrap();
    assert_eq!(
        got.event.as_record().expect("a record").device_sn,
        "PS71HD01MC22C00014"
    );
    assert_eq!(got.answer.data.pass, Some(true));

    let s = stats(&dev).await;
    assert_eq!(s["door"]["opened"], 1);
    assert_eq!(s["door"]["kept_shut"], 1);
    assert_eq!(s["door"]["last_screen"], "No access");
    assert_eq!(s["pushes"]["ok"], 2);
    assert_eq!(s["queue"]["depth"], 0);
    dev.stop().await;
}

#[tokio::test]
async fn a_silent_receiver_times_out_and_the_record_is_kept() {
    // Accepts connections and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let mut config = support::device_config(dir.path(), 0.0);
    config.push.timeout = Duration::from_millis(300);
    let dev = support::device(config).await;
    configure(&dev, &format!("http://{addr}/eventRcv"), false).await;
    let report = trigger(&dev, json!({})).await;
    assert_eq!(report["outcome"], "timeout");
    assert_eq!(report["queued"], true);
    let latency = report["latency_ms"].as_f64().unwrap();
    assert!((250.0..5000.0).contains(&latency), "latency {latency}");
    let s = stats(&dev).await;
    assert_eq!(s["pushes"]["errors"]["timeout"], 1);
    assert_eq!(s["queue"]["depth"], 1);
    dev.stop().await;
    holder.abort();
}

#[tokio::test]
async fn backlog_is_delivered_in_order_once_the_receiver_is_up() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on a port just released.
    let dead = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let dev = support::device(support::device_config(dir.path(), 0.0)).await;
    subscribe(&dev, &format!("http://{dead}/eventRcv")).await;
    for _ in 0..3 {
        assert_eq!(trigger(&dev, json!({})).await["outcome"], "connect_error");
    }
    assert_eq!(stats(&dev).await["queue"]["depth"], 3);

    let (receiver, mut events) = support::receiver(Default::default()).await;
    subscribe(&dev, &format!("http://{}/eventRcv", receiver.addr)).await;
    let mut seqs = Vec::new();
    for _ in 0..3 {
        let got = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .unwrap()
            .unwrap();
        seqs.push(got.trace.unwrap().1);
    }
    assert_eq!(seqs, vec![1, 2, 3]);
    dev.until("an empty queue", async || {
        stats(&dev).await["queue"]["depth"] == 0
    })
    .await;
    dev.stop().await;
}

#[tokio::test]
async fn same_seed_same_events_and_the_trace_counts_across_restarts() {
    let (receiver, mut events) = support::receiver(Default::default()).await;
    let dest = format!("http://{}/eventRcv", receiver.addr);
    let mut bodies = Vec::new();
    for _ in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let dev = support::device(support::device_config(dir.path(), 0.0)).await;
        subscribe(&dev, &dest).await;
        for _ in 0..3 {
            trigger(&dev, json!({})).await;
        }
        dev.stop().await;
        let mut these = Vec::new();
        for _ in 0..3 {
            these.push(events.recv().await.unwrap().event);
        }
        bodies.push(these);
    }
    assert_eq!(bodies[0], bodies[1], "same seed, different events");
    let image = |e: &facesim_proto::wire::Event| e.as_record().expect("a record").rgb_image.clone();
    assert_ne!(image(&bodies[0][0]), image(&bodies[0][1]));

    // The trace comment names the device and the record number, which goes on counting
    // after a restart with the same state directory.
    let dir = tempfile::tempdir().unwrap();
    let dev = support::device(support::device_config(dir.path(), 0.0)).await;
    subscribe(&dev, &dest).await;
    trigger(&dev, json!({})).await;
    trigger(&dev, json!({})).await;
    dev.stop().await;
    let dev = support::device(support::device_config(dir.path(), 0.0)).await;
    assert_eq!(trigger(&dev, json!({})).await["seq"], 3);
    dev.stop().await;
    let mut last = None;
    for _ in 0..3 {
        last = Some(events.recv().await.unwrap());
    }
    let last = last.unwrap();
    let jpeg_bytes = base64::engine::general_purpose::STANDARD
        .decode(&last.event.as_record().expect("a record").rgb_image)
        .unwrap();
    assert_eq!(
        jpeg::read_comment(&jpeg_bytes).as_deref(),
        Some("facesim sn=PS71HD01MC22C00014 seq=3")
    );
}

#[tokio::test]
async fn pushing_at_a_rate_while_enabled_and_not_while_disabled() {
    // Virtual time: the 300 ms of being disabled pass at once, and the device's schedule,
    // timeouts and latencies all run on the same paused clock.
    tokio::time::pause();
    let dir = tempfile::tempdir().unwrap();
    let (receiver, mut events) = support::receiver(Default::default()).await;
    let dev = support::device(support::device_config(dir.path(), 25.0)).await;
    // Disabled with a destination: no records are made.
    configure(&dev, &format!("http://{}/eventRcv", receiver.addr), false).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(stats(&dev).await["generated"], 0);
    subscribe(&dev, &format!("http://{}/eventRcv", receiver.addr)).await;
    for expected in 1..=5 {
        let got = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.trace.unwrap().1, expected);
    }
    dev.stop().await;
}
