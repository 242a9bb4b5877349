//! Shared fixtures: in-process receivers and devices on `127.0.0.1:0`.

use std::path::Path;
use std::time::Duration;

use facesim::clock::ManualClock;
use facesim::device::{Backoff, Device, DeviceConfig};
use facesim::push::PushOptions;
use facesim::receiver::{self, Received, ReceiverConfig};
use facesim::schedule::Arrival;
use facesim::synth::SynthConfig;
use facesim::tls::CertPair;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

/// A server running until dropped.
pub struct Running {
    pub addr: std::net::SocketAddr,
    _stop: oneshot::Sender<()>,
}

fn stop_pair() -> (
    oneshot::Sender<()>,
    impl Future<Output = ()> + Send + 'static,
) {
    let (tx, rx) = oneshot::channel::<()>();
    (tx, async move {
        let _ = rx.await;
    })
}

/// Starts the reference receiver; events it takes arrive on the returned channel.
pub async fn receiver(config: ReceiverConfig) -> (Running, mpsc::UnboundedReceiver<Received>) {
    facesim::tls::install_crypto_provider();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    let (stop, wait) = stop_pair();
    tokio::spawn(receiver::serve(listener, None, config, Some(tx), wait));
    (Running { addr, _stop: stop }, rx)
}

/// A running device: its API address, the device itself and its certificate.
pub struct TestDevice {
    pub api: String,
    pub addr: std::net::SocketAddr,
    /// The device's certificate, for clients of its own (the live feed's).
    pub cert_pem: String,
    /// The device itself, for what only a process sees (its activity).
    pub device: Device,
    /// Sends the default account's Basic credentials with every request.
    pub client: reqwest::Client,
    /// Sends no credentials.
    pub bare: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestDevice {
    /// Sets the destination through the API; with `enabled: false` only triggers push.
    pub async fn configure(&self, dest: &str, enabled: bool) {
        let body = serde_json::json!({"event_dest": dest, "enabled": enabled});
        let (status, _) = call(
            self.client
                .post(format!("{}/v1/event/subscribe", self.api))
                .json(&body),
        )
        .await;
        assert_eq!(status, 200);
    }

    /// `POST /sim/trigger` with `overrides`: the HTTP status and the whole envelope.
    pub async fn trigger(&self, overrides: &serde_json::Value) -> (u16, serde_json::Value) {
        call(
            self.client
                .post(format!("{}/sim/trigger", self.api))
                .json(overrides),
        )
        .await
    }

    /// `GET /sim/stats`: the figures.
    pub async fn stats(&self) -> serde_json::Value {
        let (status, body) = call(self.client.get(format!("{}/sim/stats", self.api))).await;
        assert_eq!(status, 200);
        body["data"].clone()
    }

    /// Waits until `check` holds, checking again at every change the device reports
    /// (a record made, a delivery attempted, a live client gone), never on a timer. For
    /// tests on the real clock: the 10 s bound is tokio's.
    pub async fn until(&self, what: &str, mut check: impl AsyncFnMut() -> bool) {
        let mut changes = self.device.activity();
        let wait = async {
            loop {
                changes.borrow_and_update();
                if check().await {
                    return;
                }
                changes.changed().await.expect("the device is gone");
            }
        };
        if tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .is_err()
        {
            panic!("timed out waiting for {what}");
        }
    }

    /// Stops the device and waits until it has.
    pub async fn stop(mut self) {
        drop(self.stop.take());
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }
}

/// The default test device settings: no automatic records (rate 0), a fixed clock, small
/// snapshots, short timeouts.
pub fn device_config(dir: &Path, rate: f64) -> DeviceConfig {
    DeviceConfig {
        sn: "PS71HD01MC22C00014".into(),
        state_dir: dir.to_path_buf(),
        synth: SynthConfig {
            seed: 42,
            width: 96,
            height: 128,
            ..SynthConfig::default()
        },
        rate,
        arrival: Arrival::Constant,
        push: PushOptions {
            timeout: Duration::from_millis(500),
            ..PushOptions::default()
        },
        queue_cap: 1000,
        backoff: Backoff {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(200),
        },
        clock: ManualClock::at(1_660_625_866),
        auth_timing: facesim::remote::AuthTiming::default(),
        account: facesim::access::AccountConfig::default(),
    }
}

/// [`device_config`] for a terminal of API version `api` (records and pushes alike).
pub fn versioned_config(dir: &Path, api: facesim_proto::profile::ApiVersion) -> DeviceConfig {
    let mut config = device_config(dir, 0.0);
    config.synth.api = api;
    config.push.api = api;
    config
}

/// A device of API version `api` with the default test settings ([`versioned_config`]).
pub async fn device_of(dir: &Path, api: facesim_proto::profile::ApiVersion) -> TestDevice {
    device(versioned_config(dir, api)).await
}

/// Starts a device with its API over HTTPS (its own self-signed certificate, pinned by
/// the returned client).
pub async fn device(config: DeviceConfig) -> TestDevice {
    facesim::tls::install_crypto_provider();
    let device = Device::open(config).unwrap();
    let cert = device.with_store(|s| s.certificate()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, wait) = stop_pair();
    let tls = cert.server_config().unwrap();
    let task = tokio::spawn({
        let device = device.clone();
        async move {
            let (tx, rx) = tokio::sync::watch::channel(false);
            let api_stop = {
                let mut rx = rx.clone();
                async move {
                    let _ = rx.wait_for(|v| *v).await;
                }
            };
            let run_stop = {
                let mut rx = rx;
                async move {
                    let _ = rx.wait_for(|v| *v).await;
                }
            };
            let forward = async move {
                wait.await;
                let _ = tx.send(true);
            };
            tokio::join!(
                forward,
                facesim::api::serve(listener, Some(tls), device.clone(), api_stop),
                device.run(run_stop)
            );
        }
    });
    let client = authed_client(&cert);
    TestDevice {
        api: format!("https://{addr}"),
        addr,
        cert_pem: cert.cert_pem.clone(),
        device,
        client,
        bare: pinned_client(&cert),
        stop: Some(stop),
        task: Some(task),
    }
}

/// An HTTPS client that trusts only this certificate.
pub fn pinned_client(cert: &CertPair) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only(reqwest::Certificate::from_pem_bundle(cert.cert_pem.as_bytes()).unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The default account's `Authorization: Basic` value.
pub fn basic_auth() -> String {
    use base64::Engine;
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        facesim::access::DEFAULT_USERNAME,
        facesim::access::DEFAULT_PASSWORD
    ));
    format!("Basic {credentials}")
}

/// [`pinned_client`] sending the default account's Basic credentials on every request.
pub fn authed_client(cert: &CertPair) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&basic_auth()).unwrap(),
    );
    reqwest::Client::builder()
        .tls_certs_only(reqwest::Certificate::from_pem_bundle(cert.cert_pem.as_bytes()).unwrap())
        .default_headers(headers)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Sends a request and returns (HTTP status, JSON body).
pub async fn call(req: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.bytes().await.unwrap();
    let json = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&body)));
    (status, json)
}

/// Waits (bounded) until `check` holds, polling: for what no in-process signal reports
/// (a child process's files), and under paused time, where each poll's 25 ms of virtual
/// time is what lets the clock move, in small steps, while real I/O completes (waiting
/// on a signal alone would let the clock leap to the next timeout meanwhile).
pub async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Runs the `facesim` binary to completion (with `RUST_LOG` unset, so its output is what
/// a user sees by default).
pub fn facesim(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_facesim"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the facesim binary runs")
}

/// [`facesim`] from async tests, off the runtime's threads.
pub async fn facesim_async(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        facesim(&args)
    })
    .await
    .unwrap()
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Sends SIGTERM to a child process, as a service manager stops a server.
pub fn sigterm(child: &std::process::Child) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -TERM {}", child.id());
}

/// The arguments every `facesim fleet` process of the tests starts with: free ports for the
/// terminals and the control API, no records of their own, no progress lines, and small
/// snapshots.
pub const SMALL_FLEET: [&str; 13] = [
    "fleet",
    "--ports",
    "0",
    "--control",
    "127.0.0.1:0",
    "--rate",
    "0",
    "--progress",
    "0",
    "--width",
    "96",
    "--height",
    "128",
];
