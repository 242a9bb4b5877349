//! `facesim fleet` in process: three full terminals on their own loopback addresses, each
//! reached through the manifest (login, subscribe, trigger) and pushing on its own; one
//! taken offline queues its records and catches up when it comes back; a fleet started
//! again on the same directory resumes every terminal where it was.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use facesim::fleet::{Addressing, Fleet, FleetConfig, Members};
use facesim::host::{HostConfig, Phase};
use facesim::receiver::{Received, ReceiverConfig};
use facesim::remote::AuthTiming;
use facesim::synth::{Caller, Method};
use facesim_proto::profile::ApiVersion;
use facesim_proto::wire::{Manifest, ManifestDevice};
use tokio::sync::{mpsc, oneshot};

use crate::support::{self, call, device_config, receiver};

const TERMINALS: u32 = 3;
/// The fleet's fixed clock in these tests (`support::device_config`'s).
pub(crate) const FIXED_CLOCK: i64 = 1_660_625_866;

/// A fleet of `TERMINALS` on their own loopback addresses, over HTTPS, in `dir`.
pub(crate) fn config(dir: &std::path::Path, rate: f64) -> FleetConfig {
    let mut device = device_config(dir, rate);
    // The fleet names its terminals from the seed and places each in its own directory.
    device.sn = String::new();
    FleetConfig {
        devices: TERMINALS,
        state: dir.to_path_buf(),
        addressing: Addressing::Loopback { port: 0 },
        control: "127.0.0.1:0".parse().unwrap(),
        terminal: HostConfig {
            device,
            api: None,
            https: true,
            cert: None,
            reboot_time: Duration::from_millis(50),
            initial: None,
        },
        faults: Vec::new(),
        mdns: None,
        shard: facesim::load::Shard::default(),
        versions: facesim::fleet::Versions::Given,
    }
}

/// A started fleet running until `stop` is sent.
struct Running {
    members: Members,
    manifest: Manifest,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), facesim::fleet::FleetError>>,
}

async fn start(config: FleetConfig) -> Running {
    facesim::tls::install_crypto_provider();
    let fleet = Fleet::start(config).await.unwrap();
    let members = fleet.members();
    // What a platform reads: the file, not the in-process value.
    let manifest = facesim::fleet::manifest::read(fleet.manifest_path()).unwrap();
    assert_eq!(&manifest, fleet.manifest());
    let (stop, wait) = oneshot::channel::<()>();
    let task = tokio::spawn(fleet.run(async move {
        let _ = wait.await;
    }));
    members.wait_up().await;
    Running {
        members,
        manifest,
        stop,
        task,
    }
}

impl Running {
    async fn stop(self) {
        drop(self.stop);
        self.task.await.unwrap().unwrap();
    }

    /// Waits until `check` holds for terminal `sn`, checking at every change its device
    /// reports, never on a timer (bounded at 10 s).
    async fn until(&self, sn: &str, what: &str, mut check: impl FnMut(&serde_json::Value) -> bool) {
        let device = self.members.device(sn).expect("terminal up");
        let mut changes = device.activity();
        let wait = async {
            loop {
                changes.borrow_and_update();
                let stats = serde_json::to_value(device.stats().await).unwrap();
                if check(&stats) {
                    return;
                }
                changes.changed().await.expect("the device is gone");
            }
        };
        if tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .is_err()
        {
            panic!("timed out waiting for {sn}: {what}");
        }
    }
}

/// A client of one terminal, trusting only the certificate the manifest names.
fn client(device: &ManifestDevice) -> reqwest::Client {
    let pem = std::fs::read(&device.cert).unwrap();
    reqwest::Client::builder()
        .tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Logs in with the manifest's account and subscribes the terminal to `dest`.
async fn log_in_and_subscribe(device: &ManifestDevice, dest: &str) -> reqwest::Client {
    let http = client(device);
    let (status, body) = call(http.post(format!("{}/v1/auth/login", device.url)).json(
        &serde_json::json!({"username": device.username, "password": device.password, "validTime": 60}),
    ))
    .await;
    assert_eq!(status, 200, "{} login: {body}", device.sn);
    let token = body["data"]["token"].as_str().unwrap().to_string();
    let (status, body) = call(
        http.post(format!("{}/v1/event/subscribe", device.url))
            .bearer_auth(&token)
            .json(&serde_json::json!({"event_dest": dest, "enabled": true})),
    )
    .await;
    assert_eq!(status, 200, "{} subscribe: {body}", device.sn);
    http
}

/// Makes one record on terminal `sn`, whose network is down, and returns its number.
async fn queue_one(fleet: &Running, sn: &str) -> u64 {
    let report = fleet
        .members
        .device(sn)
        .unwrap()
        .trigger(None)
        .await
        .unwrap();
    assert!(report.queued, "{report:?}");
    report.seq
}

/// Takes what the receiver has so far, as record numbers per terminal.
fn drain(rx: &mut mpsc::UnboundedReceiver<Received>, seen: &mut BTreeMap<String, Vec<u64>>) {
    while let Ok(r) = rx.try_recv() {
        let (sn, seq) = r.trace.expect("every snapshot carries its trace");
        seen.entry(sn).or_default().push(seq);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_is_reached_through_its_manifest_queues_offline_and_resumes_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (rcv, mut rx) = receiver(ReceiverConfig::default()).await;
    let dest = format!("http://{}/eventRcv", rcv.addr);

    // Start: every terminal in the manifest, each on its own loopback address.
    let fleet = start(config(dir.path(), 0.0)).await;
    let manifest = fleet.manifest.clone();
    let m = &manifest;
    assert_eq!(m.devices.len(), TERMINALS as usize);
    let sns: Vec<String> = m.devices.iter().map(|d| d.sn.clone()).collect();
    for (i, d) in m.devices.iter().enumerate() {
        assert_eq!(d.sn, facesim::synth::device_sn(42, i as u32));
        let host = format!("https://127.0.1.{}:", i + 1);
        assert!(d.url.starts_with(&host), "{} is not on {host}", d.url);
        assert_eq!(d.api_version, "1.0");
        assert!(d.cert.starts_with(dir.path().join(&d.sn)));
    }

    // Each terminal through the manifest: log in, subscribe, trigger; the receiver sees
    // each terminal's own record.
    for d in &m.devices {
        let http = log_in_and_subscribe(d, &dest).await;
        let (status, body) = call(
            http.post(format!("{}/sim/trigger", d.url))
                .basic_auth(&d.username, Some(&d.password)),
        )
        .await;
        assert_eq!(status, 200, "{}: {body}", d.sn);
        assert_eq!(body["data"]["outcome"], "success", "{}: {body}", d.sn);
        let got = rx.recv().await.unwrap();
        assert_eq!(got.trace, Some((d.sn.clone(), 1)));
    }

    // Offline: the terminal refuses connections and its records queue; the others push.
    let control = reqwest::Client::new();
    let off = &m.devices[0];
    let (status, body) = call(control.post(format!("{}/{}/offline", m.control, off.sn))).await;
    assert_eq!(status, 200, "{body}");
    let refused = client(off)
        .get(format!("{}/v1/event/subscribe", off.url))
        .send()
        .await;
    assert!(
        refused.is_err(),
        "an offline terminal answered: {refused:?}"
    );
    let device = fleet.members.device(&off.sn).unwrap();
    let queued: Vec<u64> = {
        let mut made = Vec::new();
        for _ in 0..3 {
            // Made as on the terminal (a person at the door), not through its closed API.
            let report = device.trigger(None).await.unwrap();
            assert!(report.queued, "{report:?}");
            made.push(report.seq);
        }
        made
    };
    // Taking it offline again wakes its delivery loop, which must still push nothing;
    // the other terminal's push below gives it every chance to.
    let (status, _) = call(control.post(format!("{}/{}/offline", m.control, off.sn))).await;
    assert_eq!(status, 200);
    let other = &m.devices[1];
    let http = client(other);
    let (status, body) = call(
        http.post(format!("{}/sim/trigger", other.url))
            .basic_auth(&other.username, Some(&other.password)),
    )
    .await;
    assert_eq!(body["data"]["outcome"], "success", "{status} {body}");
    let (_, stats) = call(control.get(format!("{}/stats", m.control))).await;
    let total = &stats["data"]["total"];
    assert_eq!(total["terminals"], TERMINALS);
    assert_eq!(total["online"], TERMINALS - 1);
    assert_eq!(total["queued"], queued.len());
    assert_eq!(stats["data"]["terminals"][0]["online"], false);
    assert_eq!(
        stats["data"]["terminals"][0]["stats"]["pushes"]["sent"], 1,
        "{stats}"
    );
    // The same figures at the control address's /metrics, one series per terminal.
    let metrics_url = format!("{}/metrics", m.control.trim_end_matches("/sim/fleet"));
    let text = control
        .get(metrics_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let online = format!(
        "facesim_fleet_terminals{{state=\"online\"}} {}.0",
        TERMINALS - 1
    );
    assert!(text.lines().any(|l| l == online), "{text}");
    let depths = text
        .lines()
        .filter(|l| l.starts_with("facesim_queue_depth{sn="))
        .count();
    assert_eq!(depths, TERMINALS as usize, "{text}");

    // Online again: the backlog arrives, oldest first, and the API answers.
    let (status, _) = call(control.post(format!("{}/{}/online", m.control, off.sn))).await;
    assert_eq!(status, 200);
    fleet
        .until(&off.sn, "the backlog delivered", |s| {
            s["queue"]["depth"] == 0
        })
        .await;
    let mut seen = BTreeMap::new();
    drain(&mut rx, &mut seen);
    assert_eq!(seen.get(&off.sn), Some(&queued), "{seen:?}");
    let (status, _) = call(
        client(off)
            .get(format!("{}/v1/event/subscribe", off.url))
            .basic_auth(&off.username, Some(&off.password)),
    )
    .await;
    assert_eq!(status, 200);

    // Restart on the same directory: same terminals, configuration and numbering.
    let (status, _) = call(control.post(format!("{}/{}/offline", m.control, other.sn))).await;
    assert_eq!(status, 200);
    let left = queue_one(&fleet, &other.sn).await;
    fleet.stop().await;
    let fleet = start(config(dir.path(), 0.0)).await;
    let again: Vec<String> = fleet
        .manifest
        .devices
        .iter()
        .map(|d| d.sn.clone())
        .collect();
    assert_eq!(again, sns);
    // The record queued before the restart is delivered after it, and numbering goes on.
    fleet
        .until(
            &other.sn,
            "the queued record delivered after the restart",
            |s| s["queue"]["depth"] == 0 && s["last_seq"] == left,
        )
        .await;
    let got = rx.recv().await.unwrap();
    assert_eq!(got.trace, Some((other.sn.clone(), left)));
    for d in &fleet.manifest.devices {
        let device = fleet.members.device(&d.sn).unwrap();
        assert_eq!(device.subscription().event_dest_str(), dest);
    }
    let next = fleet
        .members
        .device(&off.sn)
        .unwrap()
        .trigger(None)
        .await
        .unwrap()
        .seq;
    assert_eq!(next, queued.last().unwrap() + 1);
    fleet.stop().await;
    println!(
        "fleet: {TERMINALS} terminals reached through the manifest, {} records queued offline and caught up, resumed after restart",
        queued.len()
    );
}

/// The binary: `facesim fleet` announces itself once its manifest is written, serves
/// every terminal and its control API, and on SIGTERM stops every terminal and prints
/// the fleet's summary.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleet_process_writes_its_manifest_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_facesim"))
        .args(support::SMALL_FLEET)
        .args(["--devices", "2"])
        .arg("--state")
        .arg(dir.path())
        .env("RUST_LOG", "facesim=info")
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    // The announcement is read on a thread; the rest of the log drains there too.
    let (ready_tx, ready) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut ready_tx = Some(ready_tx);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("fleet ready") {
                if let Some(tx) = ready_tx.take() {
                    let _ = tx.send(line);
                }
            }
        }
    });
    let line = ready
        .recv_timeout(Duration::from_secs(30))
        .expect("the fleet announces itself");
    let manifest =
        facesim::fleet::manifest::read(&dir.path().join(facesim_proto::wire::MANIFEST_FILE))
            .unwrap();
    assert!(line.contains(&manifest.control), "{line}");
    assert_eq!(manifest.devices.len(), 2);
    let (status, stats) =
        call(reqwest::Client::new().get(format!("{}/stats", manifest.control))).await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["data"]["total"]["terminals"], 2);
    for d in &manifest.devices {
        let (status, body) = call(
            client(d)
                .get(format!("{}/v1/device/info", d.url))
                .basic_auth(&d.username, Some(&d.password)),
        )
        .await;
        assert_eq!(status, 200, "{}: {body}", d.sn);
    }
    support::sigterm(&child);
    let mut stdout = child.stdout.take().unwrap();
    let (exited_tx, exited) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        let _ = exited_tx.send((child.wait(), text));
    });
    let (status, text) = exited
        .recv_timeout(Duration::from_secs(20))
        .expect("the fleet did not stop on SIGTERM");
    assert!(status.unwrap().success());
    assert!(
        text.contains("fleet: 2 terminals (2 up, 2 online)"),
        "{text}"
    );
}

/// An auth server that answers every request with HTTP 200 and the envelope, and counts
/// them: callbacks and heartbeats alike.
async fn counting_auth_server() -> (String, Arc<AtomicU64>, oneshot::Sender<()>) {
    use warp::Filter;
    let count = Arc::new(AtomicU64::new(0));
    let seen = count.clone();
    let routes = warp::any().map(move || {
        seen.fetch_add(1, Ordering::SeqCst);
        warp::reply::json(&serde_json::json!({"code": 200, "msg": "OK", "data": {"pass": true}}))
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(facesim::server::serve(
        listener,
        None,
        warp::service(routes),
        async move {
            let _ = stopped.await;
        },
    ));
    (format!("http://{addr}/auth"), count, stop)
}

/// Waits until terminal `sn` is up in boot `boot` (bounded at 10 s).
async fn until_boot(fleet: &Running, sn: &str, boot: u64) {
    let mut phase = fleet.members.phase(sn).unwrap();
    let up = phase.wait_for(|p| matches!(p, Phase::Up(b) if b.boot == boot));
    tokio::time::timeout(Duration::from_secs(10), up)
        .await
        .expect("the terminal boots again")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_sends_nothing_on_any_line_and_a_reboot_keeps_the_network_down() {
    let dir = tempfile::tempdir().unwrap();
    let (rcv, mut rx) = receiver(ReceiverConfig::default()).await;
    let dest = format!("http://{}/eventRcv", rcv.addr);
    let (auth, requests, _auth) = counting_auth_server().await;
    let mut config = config(dir.path(), 0.0);
    config.devices = 1;
    config.terminal.device.synth.api = ApiVersion::V1_2;
    config.terminal.device.push.api = ApiVersion::V1_2;
    // Heartbeats come quickly, and the fallback after 40 of them unanswered.
    config.terminal.device.auth_timing = AuthTiming {
        heartbeat: Duration::from_millis(10),
        minute: Duration::from_millis(400),
    };
    let fleet = start(config).await;
    let d = fleet.manifest.devices[0].clone();
    let control = reqwest::Client::new();
    log_in_and_subscribe(&d, &dest).await;
    let device = fleet.members.device(&d.sn).unwrap();
    let functions = serde_json::json!({
        "record": true, "record_image": true, "alarm_record": true, "auth_mode": 1,
        "remote_authentication_address": auth, "remote_auth_timeout_to_local_auth": 1,
    });
    device
        .remote_auth()
        .set(functions.to_string().as_bytes())
        .unwrap();
    fleet
        .until(&d.sn, "a heartbeat answered", |s| {
            s["callbacks"]["heartbeats_ok"].as_u64() >= Some(1)
        })
        .await;

    // Offline: the heartbeats fail without a request sent, a person's callback fails as
    // when the server is unreachable (the door stays shut, the record is queued), and the
    // silence ends in the fallback to local authentication.
    let (status, _) =
        call(control.post(format!("{}/{}/offline", fleet.manifest.control, d.sn))).await;
    assert_eq!(status, 200);
    fleet
        .until(&d.sn, "a heartbeat failed", |s| {
            s["callbacks"]["heartbeats_failed"].as_u64() >= Some(1)
        })
        .await;
    let before = requests.load(Ordering::SeqCst);
    let caller = Caller::library(Method::Face).name();
    let overrides = serde_json::json!({ "caller": caller });
    let report = device.trigger(overrides.as_object()).await.unwrap();
    assert!(report.queued, "{report:?}");
    let auth_summary = report.auth.expect("the record needed a decision");
    assert!(auth_summary.called, "{auth_summary:?}");
    assert_eq!(auth_summary.outcome.as_deref(), Some("connect_error"));
    assert!(!auth_summary.pass);
    fleet
        .until(&d.sn, "the fallback to local authentication", |s| {
            s["callbacks"]["fallbacks"] == 1
        })
        .await;
    let stats = serde_json::to_value(device.stats().await).unwrap();
    assert!(
        stats["callbacks"]["heartbeats_failed"].as_u64() >= Some(2),
        "{stats}"
    );
    assert_eq!(
        requests.load(Ordering::SeqCst),
        before,
        "an offline terminal sent a callback or a heartbeat"
    );

    // A reboot through the fleet keeps the network down: the API refuses connections and
    // a record made after the reboot is queued too.
    let (status, body) =
        call(control.post(format!("{}/{}/reboot", fleet.manifest.control, d.sn))).await;
    assert_eq!(status, 200, "{body}");
    until_boot(&fleet, &d.sn, 2).await;
    let device = fleet.members.device(&d.sn).unwrap();
    assert!(!*device.online().borrow());
    let refused = client(&d)
        .get(format!("{}/v1/device/info", d.url))
        .send()
        .await;
    assert!(refused.is_err(), "a rebooted offline terminal answered");
    let report = device.trigger(None).await.unwrap();
    assert!(report.queued, "{report:?}");
    let (_, stats) = call(control.get(format!("{}/stats", fleet.manifest.control))).await;
    assert_eq!(stats["data"]["total"]["online"], 0, "{stats}");
    assert_eq!(stats["data"]["total"]["queued"], 2, "{stats}");

    // Back online, both records go out in order and the API answers.
    let (status, _) =
        call(control.post(format!("{}/{}/online", fleet.manifest.control, d.sn))).await;
    assert_eq!(status, 200);
    fleet
        .until(&d.sn, "the backlog delivered", |s| s["queue"]["depth"] == 0)
        .await;
    let mut seen = BTreeMap::new();
    drain(&mut rx, &mut seen);
    assert_eq!(seen.get(&d.sn).map(Vec::len), Some(2), "{seen:?}");
    let (status, _) = call(
        client(&d)
            .get(format!("{}/v1/device/info", d.url))
            .basic_auth(&d.username, Some(&d.password)),
    )
    .await;
    assert_eq!(status, 200);
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drifting_clock_stamps_its_records_off_and_keeps_drifting_after_a_reboot() {
    let dir = tempfile::tempdir().unwrap();
    let (rcv, mut rx) = receiver(ReceiverConfig::default()).await;
    let dest = format!("http://{}/eventRcv", rcv.addr);
    let mut config = config(dir.path(), 0.0);
    config.devices = 2;
    let fleet = start(config).await;
    let m = fleet.manifest.clone();
    let control = reqwest::Client::new();
    for d in &m.devices {
        log_in_and_subscribe(d, &dest).await;
    }
    let drifting = &m.devices[0].sn;
    let (status, body) = call(
        control
            .post(format!("{}/{drifting}/drift", m.control))
            .json(&serde_json::json!({"seconds": 90})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let stamp = |fleet: &Running, sn: &str| {
        let device = fleet.members.device(sn).unwrap();
        async move { device.trigger(None).await.unwrap() }
    };
    let mut timestamps = BTreeMap::new();
    for d in &m.devices {
        let report = stamp(&fleet, &d.sn).await;
        assert_eq!(report.outcome, "success", "{report:?}");
        let got = rx.recv().await.unwrap();
        let record = got.event.as_record().expect("a record").clone();
        timestamps.insert(got.trace.unwrap().0, record.timestamp);
    }
    // The fleet's clock is fixed in these tests: the drift is exact.
    assert_eq!(timestamps[drifting], FIXED_CLOCK + 90, "{timestamps:?}");
    assert_eq!(timestamps[&m.devices[1].sn], FIXED_CLOCK, "{timestamps:?}");
    let (_, stats) = call(control.get(format!("{}/{drifting}/stats", m.control))).await;
    assert_eq!(stats["data"]["drift"], 90, "{stats}");

    // A bad clock stays bad through a reboot.
    let (status, _) = call(control.post(format!("{}/{drifting}/reboot", m.control))).await;
    assert_eq!(status, 200);
    until_boot(&fleet, drifting, 2).await;
    stamp(&fleet, drifting).await;
    let got = rx.recv().await.unwrap();
    assert_eq!(got.event.as_record().unwrap().timestamp, FIXED_CLOCK + 90);
    fleet.stop().await;
}

/// One terminal's receiver hangs (it takes the connection and never answers); the other
/// terminals' pushes all complete meanwhile, while the hung push is still in flight: the
/// count, not a clock, shows that nobody waited for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_terminals_hung_receiver_never_slows_the_others() {
    use tokio::io::AsyncReadExt;
    let dir = tempfile::tempdir().unwrap();
    let (rcv, mut rx) = receiver(ReceiverConfig::default()).await;
    let dest = format!("http://{}/eventRcv", rcv.addr);
    let hung = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hung_dest = format!("http://{}/eventRcv", hung.local_addr().unwrap());
    let mut config = config(dir.path(), 0.0);
    // Long enough that the hung push cannot time out while the others run.
    config.terminal.device.push.timeout = Duration::from_secs(120);
    let fleet = start(config).await;
    let m = fleet.manifest.clone();
    log_in_and_subscribe(&m.devices[0], &hung_dest).await;
    for d in &m.devices[1..] {
        log_in_and_subscribe(d, &dest).await;
    }
    let stuck = fleet.members.device(&m.devices[0].sn).unwrap();
    let stuck_push = tokio::spawn(async move { stuck.trigger(None).await });
    // The hung receiver has the request: the push is in flight.
    let (mut conn, _) = hung.accept().await.unwrap();
    let mut head = [0u8; 64];
    let n = conn.read(&mut head).await.unwrap();
    assert!(head[..n].starts_with(b"POST "));

    const EACH: u64 = 5;
    for d in &m.devices[1..] {
        let device = fleet.members.device(&d.sn).unwrap();
        for seq in 1..=EACH {
            let report = device.trigger(None).await.unwrap();
            assert_eq!(report.outcome, "success", "{report:?}");
            assert_eq!(report.seq, seq);
        }
    }
    let mut seen = BTreeMap::new();
    while seen.values().map(Vec::len).sum::<usize>() < 2 * EACH as usize {
        let got = rx.recv().await.unwrap();
        let (sn, seq) = got.trace.unwrap();
        seen.entry(sn).or_insert_with(Vec::new).push(seq);
    }
    assert!(!stuck_push.is_finished(), "the hung push ended early");
    let (_, stats) = call(reqwest::Client::new().get(format!("{}/stats", m.control))).await;
    let terminals = &stats["data"]["terminals"];
    assert_eq!(terminals[0]["stats"]["pushes"]["sent"], 0, "{stats}");
    for t in 1..3 {
        assert_eq!(terminals[t]["stats"]["pushes"]["sent"], EACH, "{stats}");
    }
    // The hung receiver lets go: the push fails and its record stays queued.
    drop(conn);
    let report = stuck_push.await.unwrap().unwrap();
    assert!(report.queued, "{report:?}");
    fleet.stop().await;
}

/// Two shards of one fleet in one directory: disjoint serial numbers and addresses that
/// together are the whole fleet's, a manifest each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shards_of_a_fleet_are_disjoint_and_together_the_whole_fleet() {
    let dir = tempfile::tempdir().unwrap();
    let mut manifests = Vec::new();
    let mut running = Vec::new();
    for index in 0..2 {
        let mut config = config(dir.path(), 0.0);
        config.devices = 4;
        config.shard = facesim::load::Shard { index, count: 2 };
        let fleet = start(config).await;
        let file = dir.path().join(format!("fleet-{index}-of-2.json"));
        assert_eq!(
            facesim::fleet::manifest::read(&file).unwrap(),
            fleet.manifest
        );
        manifests.push(fleet.manifest.clone());
        running.push(fleet);
    }
    let mut sns: Vec<String> = Vec::new();
    let mut urls: Vec<String> = Vec::new();
    for (index, m) in manifests.iter().enumerate() {
        assert_eq!(m.devices.len(), 2);
        for (k, d) in m.devices.iter().enumerate() {
            // Terminal k of shard `index` is terminal index + 2k of the whole fleet.
            let global = index + 2 * k;
            assert_eq!(d.sn, facesim::synth::device_sn(42, global as u32));
            let host = format!("https://127.0.1.{}:", global + 1);
            assert!(d.url.starts_with(&host), "{} is not on {host}", d.url);
            sns.push(d.sn.clone());
            urls.push(d.url.clone());
        }
    }
    sns.sort();
    sns.dedup();
    urls.sort();
    urls.dedup();
    assert_eq!((sns.len(), urls.len()), (4, 4));
    for fleet in running {
        fleet.stop().await;
    }
}

/// A `facesim fleet` process and what it has logged so far.
struct FleetProcess {
    child: std::process::Child,
    log: Arc<std::sync::Mutex<Vec<String>>>,
}

/// A `facesim fleet` process on free ports in `dir`, with `args` after the common ones;
/// returns it once it says it is ready, with its manifest as the file has it.
fn spawn_fleet(dir: &std::path::Path, args: &[&str]) -> (FleetProcess, Manifest) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_facesim"))
        .args(support::SMALL_FLEET)
        .args(["--seed", "7"])
        .args(args)
        .arg("--state")
        .arg(dir)
        .env("RUST_LOG", "facesim=info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (ready_tx, ready) = std::sync::mpsc::channel();
    let kept = log.clone();
    std::thread::spawn(move || {
        let mut ready_tx = Some(ready_tx);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("fleet ready") {
                if let Some(tx) = ready_tx.take() {
                    let _ = tx.send(());
                }
            }
            kept.lock().unwrap().push(line);
        }
    });
    ready
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("the fleet announces itself: {:?}", log.lock().unwrap()));
    let manifest =
        facesim::fleet::manifest::read(&dir.join(facesim_proto::wire::MANIFEST_FILE)).unwrap();
    (FleetProcess { child, log }, manifest)
}

/// Stops a fleet process with SIGTERM and waits (bounded) for its clean exit.
fn stop_fleet(fleet: FleetProcess) {
    let FleetProcess { mut child, log } = fleet;
    support::sigterm(&child);
    let (exited_tx, exited) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = exited_tx.send(child.wait());
    });
    let status = exited
        .recv_timeout(Duration::from_secs(20))
        .expect("the fleet did not stop on SIGTERM")
        .unwrap();
    assert!(
        status.success(),
        "{status}:\n{}",
        log.lock().unwrap().join("\n")
    );
}

/// `--api-version mix` as a platform meets it: a fleet of six with more than one version,
/// each terminal dealt its version by seed and index, saying it in the manifest and the
/// fleet's statistics, answering its own version's routes only and pushing its own
/// version's record; started again without `--api-version`, every terminal keeps its
/// version (its state directory's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_fleet_speaks_every_version_each_terminal_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (rcv, mut rx) = receiver(ReceiverConfig::default()).await;
    let dest = format!("http://{}/eventRcv", rcv.addr);
    let (child, manifest) = spawn_fleet(
        dir.path(),
        &[
            "--devices",
            "6",
            "--api-version",
            "mix",
            "--event-dest",
            &dest,
        ],
    );
    let versions: Vec<ApiVersion> = manifest
        .devices
        .iter()
        .map(|d| d.api_version.parse().unwrap())
        .collect();
    let dealt: Vec<ApiVersion> = (0..6)
        .map(|i| facesim::fleet::mixed_version(7, i))
        .collect();
    assert_eq!(versions, dealt);
    let distinct: std::collections::BTreeSet<_> = versions.iter().collect();
    assert!(distinct.len() > 1, "{versions:?}");

    let (status, stats) =
        call(reqwest::Client::new().get(format!("{}/stats", manifest.control))).await;
    assert_eq!(status, 200, "{stats}");
    for (d, t) in manifest
        .devices
        .iter()
        .zip(stats["data"]["terminals"].as_array().unwrap())
    {
        assert_eq!(t["sn"], d.sn.as_str());
        assert_eq!(t["api_version"], d.api_version.as_str(), "{t}");
    }

    let mut pending: BTreeMap<String, ApiVersion> = BTreeMap::new();
    for (d, api) in manifest.devices.iter().zip(&versions) {
        let http = client(d);
        let (status, body) = call(http.post(format!("{}/v1/auth/login", d.url)).json(
            &serde_json::json!({"username": d.username, "password": d.password, "validTime": 60}),
        ))
        .await;
        assert_eq!(status, 200, "{} login: {body}", d.sn);
        let token = body["data"]["token"].as_str().unwrap().to_string();
        // The history came with 1.2: older terminals do not have the route at all.
        let answer = http
            .post(format!("{}/v1/event/records", d.url))
            .bearer_auth(&token)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        let has_history = api.profile().history().is_some();
        assert_eq!(
            answer.status() != 404,
            has_history,
            "{} ({api}): /v1/event/records answered {}",
            d.sn,
            answer.status()
        );
        let (status, body) = call(
            http.post(format!("{}/sim/trigger", d.url))
                .basic_auth(&d.username, Some(&d.password)),
        )
        .await;
        assert_eq!(status, 200, "{}: {body}", d.sn);
        pending.insert(d.sn.clone(), *api);
    }
    // Each terminal's first record has its own version's fields (a stranger's has no
    // `user`).
    while !pending.is_empty() {
        let got = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("every terminal pushes")
            .unwrap();
        let (sn, _) = got.trace.expect("a trace");
        let Some(record) = got.event.as_record() else {
            continue;
        };
        let Some(api) = pending.remove(&sn) else {
            continue;
        };
        let record = serde_json::to_value(record).unwrap();
        let mut keys: Vec<&str> = record
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut fields: Vec<&str> = api
            .profile()
            .record_fields()
            .into_iter()
            .filter(|f| *f != "user" || record.get("user").is_some())
            .collect();
        fields.sort_unstable();
        assert_eq!(keys, fields, "{sn} ({api})");
    }
    stop_fleet(child);

    // Started again without --api-version: each terminal's directory keeps its version.
    let (child, again) = spawn_fleet(dir.path(), &["--devices", "6"]);
    let kept: Vec<&str> = again
        .devices
        .iter()
        .map(|d| d.api_version.as_str())
        .collect();
    let before: Vec<&str> = manifest
        .devices
        .iter()
        .map(|d| d.api_version.as_str())
        .collect();
    assert_eq!(kept, before);
    stop_fleet(child);
}
