//! Test support: in-process receivers on `127.0.0.1:0` (the reference receiver and the
//! zoo's faulty ones, over http or https with a pinned self-signed certificate), and run
//! configurations sized for tests.

use std::collections::BTreeSet;
use std::time::Duration;

use facecert::catalog::aimed_under;
use facecert::report::RunReport;
use facecert::run::{Config, Selection};
use facecert::verdict::Verdict;
use facesim::receiver::{self, ReceiverConfig};
use facesim::tls::{CertPair, Trust};
use facesim::zoo::{self, Fault, ZooOptions};
use facesim_proto::profile::ApiVersion;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use url::Url;

/// A receiver running in the test's runtime; stopped when dropped.
pub struct Server {
    pub url: Url,
    /// The certificate to pin, for https.
    pub cert_pem: Option<String>,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Server {
    /// A server the test started itself, at `url`; the test keeps its stop handle.
    pub fn at(url: Url) -> Self {
        Self {
            url,
            cert_pem: None,
            stop: None,
        }
    }
}

/// What to run on a test server.
#[derive(Debug, Clone)]
pub enum Kind {
    Reference,
    /// The reference receiver on a listener with this backlog, as `listen(5)` makes it in
    /// Python's standard library.
    Backlog(i32),
    Faulty(Fault, ZooOptions),
}

/// Starts a receiver of API 1.0 on a fresh loopback port.
pub async fn start(kind: Kind, https: bool) -> Server {
    start_api(kind, https, ApiVersion::V1_0).await
}

/// Starts a receiver that answers as API `api` prescribes, on a fresh loopback port.
pub async fn start_api(kind: Kind, https: bool, api: ApiVersion) -> Server {
    let receiver_config = ReceiverConfig {
        api,
        ..ReceiverConfig::default()
    };
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let port = listener.local_addr().expect("local address").port();
    let pair = https.then(|| CertPair::self_signed(&[]).expect("self-signed certificate"));
    let tls = pair
        .as_ref()
        .map(|p| p.server_config().expect("TLS configuration"));
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stopped.await;
    };
    match kind {
        Kind::Backlog(backlog) => {
            socket2::SockRef::from(&listener)
                .listen(backlog)
                .expect("shrink the backlog");
            tokio::spawn(receiver::serve(
                listener,
                tls,
                receiver_config,
                None,
                shutdown,
            ));
        }
        Kind::Reference => {
            tokio::spawn(receiver::serve(
                listener,
                tls,
                receiver_config,
                None,
                shutdown,
            ));
        }
        Kind::Faulty(fault, options) => {
            let options = ZooOptions { api, ..options };
            tokio::spawn(zoo::serve_faulty_with(
                listener, tls, fault, options, shutdown,
            ));
        }
    }
    let scheme = if https { "https" } else { "http" };
    Server {
        url: Url::parse(&format!("{scheme}://127.0.0.1:{port}/eventRcv")).expect("a URL"),
        cert_pem: pair.map(|p| p.cert_pem),
        stop: Some(stop),
    }
}

/// A run configuration for tests: the documented defaults, except a small load phase so
/// that many runs fit in a test's time.
pub fn config(server: &Server) -> Config {
    Config {
        target: server.url.clone(),
        trust: server.cert_pem.clone().map_or(Trust::System, Trust::Pinned),
        curl_tls: None,
        timeout: Duration::from_millis(1000),
        p99: Duration::from_millis(500),
        load_events: 40,
        concurrency: 4,
        seed: 7,
        suite: facecert::check::Suite::Push,
        api: ApiVersion::V1_0,
        selection: Selection::default(),
        artifacts: None,
    }
}

/// Runs the suite in-process.
pub async fn run(config: Config) -> RunReport {
    facecert::certify(config, std::future::pending())
        .await
        .expect("the suite runs")
}

/// The IDs of the checks that found something (FAIL, WARN or INFO).
pub fn findings(report: &RunReport) -> BTreeSet<&'static str> {
    report
        .checks
        .iter()
        .filter(|c| c.verdict.is_finding())
        .map(|c| c.id.as_str())
        .collect()
}

/// The IDs of the checks aimed at a fault under a version.
pub fn aimed(fault: Fault, api: ApiVersion) -> BTreeSet<&'static str> {
    aimed_under(fault, api)
        .iter()
        .map(|c| c.id.as_str())
        .collect()
}

/// How a run against `fault` under `api` differs from the matrix: checks that found
/// something other than those aimed at it, or an exit code other than a MUST's.
pub fn against_matrix(fault: Fault, api: ApiVersion, report: &RunReport) -> Vec<String> {
    let mut problems = Vec::new();
    let (found, want) = (findings(report), aimed(fault, api));
    if found != want {
        problems.push(format!(
            "{fault} under {api}: expected {want:?}, found {found:?}\n{}",
            explain(report)
        ));
    }
    let must = aimed_under(fault, api)
        .iter()
        .any(|c| c.level == facecert::check::Level::Must);
    let code = report.exit_code();
    if code != u8::from(must) {
        problems.push(format!(
            "{fault} under {api}: exit code {code}, expected {}",
            u8::from(must)
        ));
    }
    problems
}

/// One line per check that found something, for assertion messages.
pub fn explain(report: &RunReport) -> String {
    report
        .checks
        .iter()
        .filter(|c| c.verdict != Verdict::Pass)
        .map(|c| format!("    {} {} {}", c.verdict.label(), c.id, c.summary))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A JSON answer with this status, as a hand-made test receiver writes it.
pub fn json_answer(status: u16, body: Vec<u8>) -> facesim::server::Response {
    let status = http::StatusCode::from_u16(status).expect("a status");
    warp::Reply::into_response(warp::reply::with_status(
        warp::reply::with_header(body, "content-type", "application/json"),
        status,
    ))
}

/// A fresh loopback listener for a hand-made test receiver, and its event URL.
pub async fn hand_made_listener() -> (TcpListener, Url) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = Url::parse(&format!(
        "http://{}/eventRcv",
        listener.local_addr().expect("address")
    ))
    .expect("url");
    (listener, url)
}

/// A shutdown future for a hand-made receiver, resolved when the sender is dropped.
pub fn stopper() -> (
    oneshot::Sender<()>,
    impl Future<Output = ()> + Send + 'static,
) {
    let (stop, stopped) = oneshot::channel::<()>();
    (stop, async move {
        let _ = stopped.await;
    })
}
