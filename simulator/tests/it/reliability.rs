//! Reliability: the device never loses a record whatever its receiver does (faults from
//! the zoo, refused connections, untrusted certificates), whatever happens to the device
//! (`kill -9`, SIGTERM mid-push, a full queue), and hostile input to its API changes
//! nothing. The `kill -9` tests run the real binary; the rest run in-process.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use facesim::device::Device;
use facesim::receiver::Received;
use facesim::tls::{CertPair, Trust};
use facesim::zoo::{self, Fault, ZooOptions};
use facesim_proto::wire::Subscription;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use crate::support::{self, TestDevice, call, eventually};

/// A small, quick device: tiny snapshots and a short answer timeout.
fn small_config(dir: &Path, rate: f64) -> facesim::device::DeviceConfig {
    let mut config = support::device_config(dir, rate);
    config.synth.width = 64;
    config.synth.height = 80;
    config.push.timeout = Duration::from_millis(300);
    config
}

async fn subscribe(dev: &TestDevice, dest: &str, enabled: bool) {
    let body = json!({"event_dest": dest, "enabled": enabled});
    let (status, body) = call(
        dev.client
            .post(format!("{}/v1/event/subscribe", dev.api))
            .json(&body),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn trigger(dev: &TestDevice) -> Value {
    let (status, body) = call(dev.client.post(format!("{}/sim/trigger", dev.api))).await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

async fn stats(dev: &TestDevice) -> Value {
    let (status, body) = call(dev.client.get(format!("{}/sim/stats", dev.api))).await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

/// A port nothing listens on (just released).
async fn dead_addr() -> std::net::SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Receives `n` events and returns their trace seqs, in arrival order.
async fn seqs(events: &mut mpsc::UnboundedReceiver<Received>, n: usize) -> Vec<u64> {
    let mut out = Vec::new();
    for _ in 0..n {
        let got = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("an event in time")
            .unwrap();
        out.push(got.trace.unwrap().1);
    }
    out
}

/// Starts a zoo receiver; it stops when the returned sender is dropped.
async fn faulty(fault: Fault, tls: Option<&CertPair>) -> (String, oneshot::Sender<()>) {
    facesim::tls::install_crypto_provider();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let options = ZooOptions {
        // Well beyond the test device's 300 ms timeout.
        slow_delay: Duration::from_millis(1500),
        ..ZooOptions::default()
    };
    let server_tls = tls.map(|c| c.server_config().unwrap());
    tokio::spawn(zoo::serve_faulty_with(
        listener,
        server_tls,
        fault,
        options,
        async move {
            let _ = rx.await;
        },
    ));
    let scheme = if tls.is_some() { "https" } else { "http" };
    (format!("{scheme}://{addr}/eventRcv"), tx)
}

#[derive(Debug, Clone, Copy)]
enum Bad {
    Zoo(Fault),
    /// Nothing listening.
    Refused,
    /// The reference receiver over HTTPS with a self-signed certificate the device does not
    /// trust.
    Untrusted,
}

#[tokio::test]
async fn every_receiver_fault_is_classified_kept_and_delivered_after_recovery() {
    let cases = [
        (Bad::Zoo(Fault::NeverAnswers), "timeout"),
        (Bad::Zoo(Fault::SlowAnswer), "timeout"),
        (Bad::Zoo(Fault::ResetMidRequest), "transport_error"),
        (Bad::Zoo(Fault::CloseWithoutAnswer), "transport_error"),
        (Bad::Zoo(Fault::TruncatedAnswer), "transport_error"),
        (Bad::Zoo(Fault::GarbageAnswer), "transport_error"),
        (Bad::Zoo(Fault::Http500), "http_status"),
        (Bad::Zoo(Fault::NotJson), "malformed"),
        (Bad::Zoo(Fault::CodeNot200), "code_not_ok"),
        (Bad::Refused, "connect_error"),
        (Bad::Untrusted, "connect_error"),
    ];
    let (good, mut events) = support::receiver(Default::default()).await;
    let good = format!("http://{}/eventRcv", good.addr);
    for (bad, class) in cases {
        let dir = tempfile::tempdir().unwrap();
        let dev = support::device(small_config(dir.path(), 0.0)).await;
        let (dest, _stop) = match bad {
            Bad::Zoo(fault) => {
                let (dest, stop) = faulty(fault, None).await;
                (dest, Some(stop))
            }
            Bad::Refused => (format!("http://{}/eventRcv", dead_addr().await), None),
            Bad::Untrusted => {
                let cert = CertPair::self_signed(&[]).unwrap();
                let (dest, stop) = tls_receiver(&cert).await;
                (dest, Some(stop))
            }
        };
        // Disabled: only triggers push, so every attempt is counted exactly.
        subscribe(&dev, &dest, false).await;
        for _ in 0..2 {
            let report = trigger(&dev).await;
            assert_eq!(report["outcome"], class, "{bad:?}: {report}");
            assert_eq!(report["queued"], true, "{bad:?}");
        }
        let s = stats(&dev).await;
        assert_eq!(s["pushes"]["errors"][class], 2, "{bad:?}: {s}");
        assert_eq!(s["pushes"]["ok"], 0, "{bad:?}: {s}");
        assert_eq!(s["queue"]["depth"], 2, "{bad:?}: {s}");

        // The receiver recovers (here: the destination is switched to a healthy one).
        subscribe(&dev, &good, true).await;
        assert_eq!(seqs(&mut events, 2).await, vec![1, 2], "{bad:?}");
        dev.until("an empty queue", async || {
            stats(&dev).await["queue"]["depth"] == 0
        })
        .await;
        dev.stop().await;
    }
}

/// The reference receiver over HTTPS with `cert`.
async fn tls_receiver(cert: &CertPair) -> (String, oneshot::Sender<()>) {
    facesim::tls::install_crypto_provider();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(facesim::receiver::serve(
        listener,
        Some(cert.server_config().unwrap()),
        Default::default(),
        None,
        async move {
            let _ = rx.await;
        },
    ));
    (format!("https://localhost:{}/eventRcv", addr.port()), tx)
}

#[tokio::test]
async fn https_receivers_are_verified_unless_pinned_or_insecure() {
    let cert = CertPair::self_signed(&[]).unwrap();
    let (dest, _stop) = tls_receiver(&cert).await;
    for (trust, class) in [
        (Trust::System, "connect_error"),
        (Trust::Pinned(cert.cert_pem.clone()), "success"),
        (Trust::Insecure, "success"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut config = small_config(dir.path(), 0.0);
        config.push.trust = trust.clone();
        let dev = support::device(config).await;
        subscribe(&dev, &dest, false).await;
        let report = trigger(&dev).await;
        assert_eq!(report["outcome"], class, "{trust:?}: {report}");
        dev.stop().await;
    }
}

#[tokio::test]
async fn at_the_queue_cap_the_oldest_are_dropped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = small_config(dir.path(), 0.0);
    config.queue_cap = 3;
    let dev = support::device(config).await;
    subscribe(
        &dev,
        &format!("http://{}/eventRcv", dead_addr().await),
        false,
    )
    .await;
    for _ in 0..5 {
        assert_eq!(trigger(&dev).await["outcome"], "connect_error");
    }
    let s = stats(&dev).await;
    assert_eq!(s["queue"]["depth"], 3, "{s}");
    assert_eq!(s["queue"]["cap"], 3, "{s}");
    assert_eq!(s["queue"]["dropped"], 2, "{s}");
    assert_eq!(s["generated"], 5, "{s}");

    let (receiver, mut events) = support::receiver(Default::default()).await;
    subscribe(&dev, &format!("http://{}/eventRcv", receiver.addr), true).await;
    assert_eq!(seqs(&mut events, 3).await, vec![3, 4, 5]);
    dev.until("an empty queue", async || {
        stats(&dev).await["queue"]["depth"] == 0
    })
    .await;
    dev.stop().await;
}

#[tokio::test]
async fn a_receiver_that_never_answers_leaves_the_backlog_on_disk() {
    let (dest, _stop) = faulty(Fault::NeverAnswers, None).await;
    let dir = tempfile::tempdir().unwrap();
    let dev = support::device(small_config(dir.path(), 50.0)).await;
    subscribe(&dev, &dest, true).await;
    dev.until("a backlog of 20", async || {
        stats(&dev).await["queue"]["depth"].as_u64().unwrap() >= 20
    })
    .await;
    let s = stats(&dev).await;
    let depth = s["queue"]["depth"].as_u64().unwrap();
    // Every waiting record is a file in the state directory, not something held in memory
    // (the device keeps only the set of queued numbers).
    let files = std::fs::read_dir(dir.path().join("queue"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .count() as u64;
    assert!(
        files + 2 >= depth && files <= depth + 2,
        "files {files} depth {depth}"
    );
    assert!(
        s["pushes"]["errors"]["timeout"].as_u64().unwrap() >= 1,
        "{s}"
    );
    assert_eq!(s["pushes"]["ok"], 0);
    dev.stop().await;
}

// ---------------------------------------------------------------------------------------
// The real binary: kill -9, SIGTERM.

/// A `facesim device` child process; killed (SIGKILL) when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_device(state: &Path, rate: f64, dest: &str, extra: &[&str]) -> Proc {
    let rate = rate.to_string();
    let child = Command::new(env!("CARGO_BIN_EXE_facesim"))
        .args([
            "device",
            "--plain-http",
            "--listen",
            "127.0.0.1:0",
            "--state",
        ])
        .arg(state)
        .args([
            "--rate",
            &rate,
            "--arrival",
            "constant",
            "--width",
            "64",
            "--height",
            "80",
            "--event-dest",
            dest,
        ])
        .args(extra)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    Proc(child)
}

/// Reads the device's stderr until it announces its API, and returns `http://HOST:PORT`.
/// The rest of stderr is drained in the background so the child never blocks on it.
fn api_address(proc: &mut Proc) -> String {
    let stderr = proc.0.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut tx = Some(tx);
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(at) = line.find("api=http://") {
                let rest = &line[at + 4..];
                let end = rest.find("/v1").unwrap_or(rest.len());
                if let Some(tx) = tx.take() {
                    let _ = tx.send(rest[..end].to_string());
                }
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the device announces its API address")
}

fn seq_file(state: &Path) -> u64 {
    std::fs::read_to_string(state.join("seq"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// Waits (bounded) for a child to exit. A blocking thread waits for the exit itself
/// (`waitid` with `WNOWAIT`, which leaves the child for `try_wait` to reap), so the test
/// takes the event instead of polling for it.
async fn wait_exit(proc: &mut Proc) -> std::process::ExitStatus {
    use rustix::process::{Pid, WaitId, WaitIdOptions, waitid};
    let pid = Pid::from_child(&proc.0);
    let exited = tokio::task::spawn_blocking(move || {
        waitid(
            WaitId::Pid(pid),
            WaitIdOptions::EXITED | WaitIdOptions::NOWAIT,
        )
    });
    tokio::time::timeout(Duration::from_secs(10), exited)
        .await
        .expect("the device did not exit")
        .unwrap()
        .unwrap();
    proc.0
        .try_wait()
        .unwrap()
        .expect("a child that has exited can be reaped")
}

/// Receives events until every seq in `1..=last` has arrived; returns the seqs in order of
/// first arrival.
async fn collect_all(events: &mut mpsc::UnboundedReceiver<Received>, last: u64) -> Vec<u64> {
    let mut seen = BTreeSet::new();
    let mut order = Vec::new();
    while (1..=last).any(|s| !seen.contains(&s)) {
        let got = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .unwrap_or_else(|_| panic!("missing seqs; have {seen:?} of 1..={last}"))
            .unwrap();
        let seq = got.trace.unwrap().1;
        if seen.insert(seq) {
            order.push(seq);
        }
    }
    order
}

/// The seqs of the records waiting in a state directory's queue.
fn queued_seqs(state: &Path) -> BTreeSet<u64> {
    std::fs::read_dir(state.join("queue"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| p.file_stem()?.to_str()?.parse().ok())
        .collect()
}

/// Checks that a device killed while its receiver was unreachable kept every record it
/// made, with no gap: `1..=top`, where the counter names `top`, or `top - 1` when the kill
/// came between storing the record and its counter. Returns the highest stored seq.
fn assert_backlog_complete(state: &Path) -> u64 {
    let last = seq_file(state);
    let queued = queued_seqs(state);
    let top = queued.last().copied().unwrap_or(0);
    assert!(
        top == last || top == last + 1,
        "last {last}, queued {queued:?}"
    );
    assert_eq!(
        queued,
        (1..=top).collect::<BTreeSet<_>>(),
        "a gap in the backlog"
    );
    top
}

#[tokio::test]
async fn kill_9_loses_nothing_and_seq_keeps_counting() {
    let state = tempfile::tempdir().unwrap();
    let dead = format!("http://{}/eventRcv", dead_addr().await);
    let mut first = spawn_device(state.path(), 20.0, &dead, &[]);
    let _ = api_address(&mut first);
    eventually("records piling up", async || seq_file(state.path()) >= 10).await;
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    let stored = assert_backlog_complete(state.path());

    let (receiver, mut events) = support::receiver(Default::default()).await;
    let live = format!("http://{}/eventRcv", receiver.addr);
    let mut second = spawn_device(state.path(), 20.0, &live, &[]);
    let _ = api_address(&mut second);
    let order = collect_all(&mut events, stored).await;
    let backlog: Vec<u64> = order.iter().copied().filter(|&s| s <= stored).collect();
    assert_eq!(
        backlog,
        (1..=stored).collect::<Vec<_>>(),
        "backlog out of order"
    );
    // Records made after the restart continue the numbering rather than reusing it.
    let next = loop {
        let s = seqs(&mut events, 1).await[0];
        if s > stored {
            break s;
        }
    };
    assert_eq!(next, stored + 1, "numbering after the restart");
    drop(second);
}

/// Waits until the device's first push reaches the receiver, sends SIGTERM while it is in
/// flight, and checks that the device exits 0.
async fn sigterm_once_a_push_arrives(dev: &mut Proc, arrived: &mut mpsc::UnboundedReceiver<()>) {
    let _ = api_address(dev);
    tokio::time::timeout(Duration::from_secs(10), arrived.recv())
        .await
        .expect("a push in flight")
        .unwrap();
    support::sigterm(&dev.0);
    let exit = wait_exit(dev).await;
    assert!(exit.success(), "exit status {exit:?}");
}

#[tokio::test]
async fn sigterm_mid_push_exits_0_and_keeps_the_record() {
    // Takes each request and never answers, telling the test when one is in flight.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let (arrived_tx, mut arrived) = mpsc::unbounded_channel::<()>();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut s, _)) = silent.accept().await {
            let mut buf = [0u8; 1024];
            use tokio::io::AsyncReadExt;
            if s.read(&mut buf).await.unwrap_or(0) > 0 {
                let _ = arrived_tx.send(());
            }
            held.push(s);
        }
    });
    let state = tempfile::tempdir().unwrap();
    let mut dev = spawn_device(
        state.path(),
        5.0,
        &format!("http://{silent_addr}/eventRcv"),
        &["--timeout", "1500"],
    );
    sigterm_once_a_push_arrives(&mut dev, &mut arrived).await;
    // The silent receiver took nothing, so every record made is still queued.
    let last = assert_backlog_complete(state.path());
    assert!(last >= 1);
    holder.abort();

    // Nothing was lost: a restart delivers every record made so far.
    let (receiver, mut events) = support::receiver(Default::default()).await;
    let live = format!("http://{}/eventRcv", receiver.addr);
    let mut again = spawn_device(state.path(), 0.0, &live, &[]);
    let _ = api_address(&mut again);
    let order = collect_all(&mut events, last).await;
    assert_eq!(order, (1..=last).collect::<Vec<_>>());
}

#[tokio::test]
async fn sigterm_lets_the_push_in_flight_finish() {
    use warp::Filter as _;
    // Answers every push with a success, but only after a pause, and says when a push has
    // arrived, so that SIGTERM comes while one is in flight.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (arrived_tx, mut arrived) = mpsc::unbounded_channel::<()>();
    let route = warp::post()
        .and(warp::body::bytes())
        .then(move |_body: bytes::Bytes| {
            let arrived_tx = arrived_tx.clone();
            async move {
                let _ = arrived_tx.send(());
                tokio::time::sleep(Duration::from_millis(700)).await;
                facesim::server::json_reply(
                    http::StatusCode::OK,
                    &facesim_proto::wire::AnswerBody::decision(true, Some("Hi".into())),
                )
            }
        });
    let (_stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(facesim::server::serve(
        listener,
        None,
        warp::service(route),
        async {
            let _ = stopped.await;
        },
    ));
    let state = tempfile::tempdir().unwrap();
    let mut dev = spawn_device(state.path(), 2.0, &format!("http://{addr}/eventRcv"), &[]);
    sigterm_once_a_push_arrives(&mut dev, &mut arrived).await;
    // The push under way was answered and acknowledged before the device stopped.
    assert!(
        !queued_seqs(state.path()).contains(&1),
        "record 1 is still queued: the push in flight was cut off"
    );
}

#[tokio::test]
async fn kill_9_during_config_writes_never_corrupts_the_config() {
    let dead = format!("http://{}/eventRcv", dead_addr().await);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let mut rng_state = 0x2545_f491_4f6c_dd1du64;
    for round in 0..20u32 {
        let state = tempfile::tempdir().unwrap();
        let mut dev = spawn_device(state.path(), 0.0, &dead, &[]);
        let api = api_address(&mut dev);
        let initial = Subscription {
            event_dest: Some(dead.parse().unwrap()),
            enabled: true,
        };
        let posted: Vec<Subscription> = (0..200)
            .map(|i| Subscription {
                event_dest: Some(
                    format!("http://127.0.0.1:{}/r{round}-{i}", 1000 + i)
                        .parse()
                        .unwrap(),
                ),
                enabled: i % 2 == 0,
            })
            .collect();
        let writer = {
            let client = client.clone();
            let api = api.clone();
            let posted = posted.clone();
            tokio::spawn(async move {
                for sub in posted {
                    if client
                        .post(format!("{api}/v1/event/subscribe"))
                        .json(&sub)
                        .send()
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
            })
        };
        // xorshift: a different kill moment each round, reproducibly.
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        tokio::time::sleep(Duration::from_millis(5 + rng_state % 60)).await;
        dev.0.kill().unwrap();
        dev.0.wait().unwrap();
        let _ = writer.await;
        let store = facesim::store::Store::open(state.path(), 10).unwrap();
        let sub = store
            .subscription()
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert!(
            sub == initial || sub == Subscription::default() || posted.contains(&sub),
            "round {round}: unexpected {sub:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Hostile HTTP, below what a well-behaved client can send.

/// Serves the device API over plain HTTP, in-process.
async fn plain_api(dir: &Path) -> (std::net::SocketAddr, Device, oneshot::Sender<()>) {
    let device = Device::open(small_config(dir, 0.0)).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(facesim::api::serve(
        listener,
        None,
        device.clone(),
        async move {
            let _ = rx.await;
        },
    ));
    (addr, device, tx)
}

/// Sends raw bytes and returns whatever comes back before the connection closes (or a
/// short timeout passes).
fn raw_exchange(addr: std::net::SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    // The server may close before reading everything (that is one valid answer).
    let _ = stream.write_all(request);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    out
}

#[tokio::test]
async fn hostile_http_gets_an_error_or_a_closed_connection_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, device, _stop) = plain_api(dir.path()).await;
    let sub = Subscription {
        event_dest: Some("http://127.0.0.1:9/eventRcv".parse().unwrap()),
        enabled: false,
    };
    device.set_subscription(sub.clone()).unwrap();

    let huge = "a".repeat(70 * 1024);
    let many: String = (0..2000).map(|i| format!("X-H{i}: v\r\n")).collect();
    let long_path = "/v1/".to_string() + &"x".repeat(20_000);
    let set = r#"{"event_dest":"http://127.0.0.1:1/evil","enabled":true}"#;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "huge header value",
            format!("GET /v1/event/subscribe HTTP/1.1\r\nHost: x\r\nX-Big: {huge}\r\n\r\n")
                .into_bytes(),
        ),
        (
            "many headers",
            format!("GET /v1/event/subscribe HTTP/1.1\r\nHost: x\r\n{many}\r\n").into_bytes(),
        ),
        (
            "invalid content-length",
            format!(
                "POST /v1/event/subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{set}"
            )
            .into_bytes(),
        ),
        (
            "negative content-length",
            format!(
                "POST /v1/event/subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{set}"
            )
            .into_bytes(),
        ),
        (
            "conflicting content-lengths",
            format!(
                "POST /v1/event/subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: {}\r\n\r\n{set}",
                set.len()
            )
            .into_bytes(),
        ),
        (
            "content-length beyond the body",
            format!(
                "POST /v1/event/subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n{set}"
            )
            .into_bytes(),
        ),
        (
            "very long path",
            format!("GET {long_path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .into_bytes(),
        ),
        ("odd bytes in the path", {
            let mut r = b"GET /v1/\xff\x00\x80%zz/subscribe HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
            r.extend_from_slice(b"Connection: close\r\n\r\n");
            r
        }),
        (
            "percent-encoded odd bytes",
            b"GET /v1/%FF%00%C0%AF/subscribe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                .to_vec(),
        ),
        (
            "unknown method",
            format!(
                "FROB /v1/event/subscribe HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{set}",
                set.len()
            )
            .into_bytes(),
        ),
        (
            "wrong method",
            format!(
                "PUT /v1/event/subscribe HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{set}",
                set.len()
            )
            .into_bytes(),
        ),
        (
            "not HTTP at all",
            b"\x16\x03\x01\x02\x00garbage\r\n\r\n".to_vec(),
        ),
        (
            "bad chunked body",
            b"POST /v1/event/subscribe HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n".to_vec(),
        ),
    ];
    for (name, request) in cases {
        let answer = tokio::task::spawn_blocking(move || raw_exchange(addr, &request))
            .await
            .unwrap();
        if !answer.is_empty() {
            let text = String::from_utf8_lossy(&answer);
            assert!(text.starts_with("HTTP/1."), "{name}: {text}");
            let code: u16 = text[9..12].parse().unwrap();
            assert!(code >= 400, "{name}: {text}");
            // A body, if any, is the JSON error envelope.
            if let Some(at) = text.find("\r\n\r\n") {
                let body = text[at + 4..].trim();
                if !body.is_empty() {
                    let v: Value = serde_json::from_str(body)
                        .unwrap_or_else(|e| panic!("{name}: body not JSON ({e}): {body}"));
                    assert_ne!(v["code"], 200, "{name}: {v}");
                }
            }
        }
        // The API still answers, and nothing changed.
        let ok = reqwest::Client::new()
            .get(format!("http://{addr}/v1/event/subscribe"))
            .header("authorization", support::basic_auth())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: the API stopped answering: {e}"));
        assert_eq!(ok.status(), 200, "{name}");
        assert_eq!(device.subscription(), sub, "{name}");
        assert_eq!(
            device.with_store(|s| s.subscription()).unwrap(),
            sub,
            "{name}"
        );
    }
}
