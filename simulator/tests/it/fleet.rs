//! `facesim fleet` in process: three full terminals on their own loopback addresses, each
//! reached through the manifest (login, subscribe, trigger) and pushing on its own; one
//! taken offline queues its records and catches up when it comes back; a fleet started
//! again on the same directory resumes every terminal where it was.

use std::collections::BTreeMap;
use std::time::Duration;

use facesim::fleet::{Addressing, Fleet, FleetConfig, Members};
use facesim::host::HostConfig;
use facesim::receiver::{Received, ReceiverConfig};
use facesim_proto::wire::{Manifest, ManifestDevice};
use tokio::sync::{mpsc, oneshot};

use crate::support::{self, call, device_config, receiver};

const TERMINALS: u32 = 3;

fn config(dir: &std::path::Path, rate: f64) -> FleetConfig {
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
        .args([
            "fleet",
            "--devices",
            "2",
            "--ports",
            "0",
            "--control",
            "127.0.0.1:0",
        ])
        .args([
            "--rate",
            "0",
            "--progress",
            "0",
            "--width",
            "96",
            "--height",
            "128",
        ])
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
