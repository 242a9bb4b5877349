//! The reference receiver passes: no FAIL, no WARN, and no INFO, over http and over https
//! with its self-signed certificate pinned, under every API version.

use facecert::verdict::Verdict;
use facesim_proto::profile::ApiVersion;

use crate::support::{Kind, config, explain, findings, run, start, start_api};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_receiver_passes_every_version_with_only_its_checks() {
    for api in ApiVersion::ALL {
        let server = start_api(Kind::Reference, false, api).await;
        let mut cfg = config(&server);
        cfg.api = api;
        let report = run(cfg).await;
        assert!(
            findings(&report).is_empty(),
            "reference under {api}:\n{}",
            explain(&report)
        );
        assert_eq!(report.exit_code(), 0);
        assert_eq!(report.api, api.as_str());
        let skipped: Vec<_> = report
            .checks
            .iter()
            .filter(|c| c.verdict == Verdict::Skip)
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(skipped, ["T-02"], "under {api}: {}", explain(&report));
        // Exactly the checks of the version are reported.
        let listed: Vec<_> = report.checks.iter().map(|c| c.id).collect();
        let applicable: Vec<_> = facecert::catalog::CATALOG
            .iter()
            .filter(|c| c.runs_in(facecert::check::Suite::Push, api))
            .map(|c| c.id)
            .collect();
        assert_eq!(listed, applicable, "under {api}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_receiver_passes_over_http_and_https() {
    for https in [false, true] {
        let server = start(Kind::Reference, https).await;
        let report = run(config(&server)).await;
        assert!(
            findings(&report).is_empty(),
            "reference over {}:\n{}",
            server.url.scheme(),
            explain(&report)
        );
        assert_eq!(report.exit_code(), 0);
        let skipped: Vec<_> = report
            .checks
            .iter()
            .filter(|c| c.verdict == Verdict::Skip)
            .map(|c| c.id.as_str())
            .collect();
        // Only the TLS check is inapplicable, and only over http.
        assert_eq!(
            skipped,
            if https { vec![] } else { vec!["T-02"] },
            "{}",
            explain(&report)
        );
        let load = report.load.as_ref().expect("the load phase ran");
        assert_eq!(load.stats.ok, 40);
        // Ten events per terminal: the first, three bursts, and six as fast as answered.
        assert_eq!(load.bursts, 3);
        // Never more in flight than terminals. How many overlap depends on the scheduler:
        // on a starved machine each terminal's request was answered before the next one
        // was sent (a peak of 1), so the lower bound is the one that must always hold.
        assert!(
            (1..=4).contains(&load.peak_in_flight),
            "peak {} of 4 terminals",
            load.peak_in_flight
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_fails_the_tls_check_and_stops_the_run() {
    let server = start(Kind::Reference, true).await;
    let mut cfg = config(&server);
    cfg.trust = facesim::tls::Trust::System;
    let report = run(cfg).await;
    let tls = report.check("T-02").expect("T-02 ran");
    assert_eq!(tls.verdict, Verdict::Fail, "{}", explain(&report));
    assert!(tls.summary.contains("--ca-cert"), "{}", tls.summary);
    assert_eq!(report.exit_code(), 1);
    let others = report.checks.iter().filter(|c| c.id.as_str() != "T-02");
    assert!(
        others.clone().all(|c| c.verdict == Verdict::Skip),
        "{}",
        explain(&report)
    );
}
