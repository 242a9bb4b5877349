//! `facecert auth`: the reference auth server (`facesim receiver`'s `/auth`) passes every
//! version with a callback, and each of the zoo's faulty auth servers is found out by
//! exactly the checks aimed at it, and by no other.

use std::sync::Arc;
use std::time::Duration;

use facecert::catalog::{CATALOG, aimed_under};
use facecert::check::Suite;
use facecert::verdict::Verdict;
use facesim::zoo::{Fault, ZooOptions};
use facesim_proto::profile::ApiVersion;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::support::{Kind, Server, against_matrix, config, explain, findings, run, start_api};

/// The versions with a remote-authentication callback.
const CALLBACK_VERSIONS: [ApiVersion; 4] = [
    ApiVersion::V1_1,
    ApiVersion::V1_2,
    ApiVersion::V1_2_1,
    ApiVersion::V1_3,
];

/// The auth server of `server` (the same server answers pushes and callbacks).
fn auth_config(server: &Server, api: ApiVersion) -> facecert::run::Config {
    let mut cfg = config(server);
    let mut url = server.url.clone();
    url.set_path("/auth");
    cfg.target = url;
    cfg.suite = Suite::Auth;
    cfg.api = api;
    cfg.p99 = Duration::from_millis(300);
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_auth_server_passes_every_version_with_only_its_checks() {
    for api in CALLBACK_VERSIONS {
        let server = start_api(Kind::Reference, false, api).await;
        let report = run(auth_config(&server, api)).await;
        assert!(
            findings(&report).is_empty(),
            "reference auth server under {api}:\n{}",
            explain(&report)
        );
        assert_eq!(report.exit_code(), 0, "under {api}");
        assert_eq!(report.certifies, Suite::Auth);
        let skipped: Vec<_> = report
            .checks
            .iter()
            .filter(|c| c.verdict == Verdict::Skip)
            .map(|c| c.id.as_str())
            .collect();
        assert!(skipped.is_empty(), "under {api}: {}", explain(&report));
        let listed: Vec<_> = report.checks.iter().map(|c| c.id).collect();
        let applicable: Vec<_> = CATALOG
            .iter()
            .filter(|c| c.runs_in(Suite::Auth, api))
            .map(|c| c.id)
            .collect();
        assert_eq!(listed, applicable, "under {api}");
        // The heartbeat exists from 1.2 on.
        assert_eq!(
            listed.iter().any(|id| id.as_str() == "AH-01"),
            api >= ApiVersion::V1_2,
            "under {api}"
        );
        // The load phase ran with real figures.
        let load = report.load.as_ref().expect("the load phase ran");
        assert_eq!(load.events, 40);
        assert!(load.stats.latency_ms.p99 > 0.0, "{load:?}");
    }
}

/// The zoo's options and the answer timeout for an auth fault's run: `auth-slow` gets a
/// short timeout and a delay well over it, so that its run stays short.
fn settings(fault: Fault) -> (ZooOptions, Duration) {
    match fault {
        Fault::AuthSlow => (
            ZooOptions {
                slow_delay: Duration::from_millis(150),
                ..ZooOptions::default()
            },
            Duration::from_millis(60),
        ),
        _ => (ZooOptions::default(), Duration::from_millis(1000)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_faulty_auth_server_fails_exactly_the_checks_aimed_at_it() {
    let faults: Vec<Fault> = Fault::ALL
        .iter()
        .copied()
        .filter(|f| {
            aimed_under(*f, ApiVersion::V1_3)
                .iter()
                .any(|c| c.suite() == Suite::Auth)
        })
        .collect();
    assert!(faults.len() >= 9, "{faults:?}");
    let gate = Arc::new(Semaphore::new(4));
    let mut runs = JoinSet::new();
    for fault in faults {
        // The heartbeat fault hides under 1.1, which has no heartbeat.
        for api in [ApiVersion::V1_1, ApiVersion::V1_3] {
            let gate = gate.clone();
            runs.spawn(async move {
                let _permit = gate.acquire_owned().await.expect("semaphore open");
                let (options, timeout) = settings(fault);
                let server = start_api(Kind::Faulty(fault, options), false, api).await;
                let mut cfg = auth_config(&server, api);
                cfg.timeout = timeout;
                let report = run(cfg).await;
                against_matrix(fault, api, &report)
            });
        }
    }
    let mut problems = Vec::new();
    while let Some(done) = runs.join_next().await {
        problems.extend(done.expect("a suite run does not panic"));
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_receiver_that_is_no_auth_server_fails_with_a_clear_reason() {
    // The push receiver's own path answers a callback as a malformed push: the suite says
    // what came back instead of a decision.
    let server = start_api(Kind::Reference, false, ApiVersion::V1_3).await;
    let mut cfg = auth_config(&server, ApiVersion::V1_3);
    cfg.target = server.url.clone();
    let report = run(cfg).await;
    assert_eq!(report.exit_code(), 1, "{}", explain(&report));
    let au01 = report
        .checks
        .iter()
        .find(|c| c.id.as_str() == "AU-01")
        .expect("AU-01 ran");
    assert_eq!(au01.verdict, Verdict::Fail, "{}", explain(&report));
    assert!(au01.summary.contains("HTTP 400"), "{}", au01.summary);
}
