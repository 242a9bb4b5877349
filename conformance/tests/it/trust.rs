//! Verdicts a vendor can trust, against receivers as the usual frameworks make them: a
//! correct receiver behind a small listen backlog passes with the default settings (its
//! terminals connect one after another, and a connect that waited for a SYN
//! retransmission is reported on its own, never as a late answer), one that is really
//! slow under concurrency still fails P-02, and a receiver that refuses the baseline
//! still gets every check that can be judged without it.

use std::time::Duration;

use bytes::Bytes;
use facecert::run::Selection;
use facecert::verdict::Verdict;
use facesim::receiver::{self, ReceiverConfig};
use facesim::zoo::{Fault, ZooOptions};
use tokio::sync::oneshot;
use url::Url;
use warp::Filter;

use crate::support::{Kind, config, explain, run, start};

/// The documented defaults of `facecert run`, against `server`.
fn defaults(server: &crate::support::Server) -> facecert::run::Config {
    let mut cfg = config(server);
    cfg.timeout = facesim_proto::profile::ANSWER_TIMEOUT;
    cfg.p99 = Duration::from_millis(facecert::run::DEFAULT_P99_MS);
    cfg.load_events = 300;
    cfg.concurrency = 8;
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correct_receiver_behind_a_listen_backlog_of_5_passes_with_the_defaults() {
    for https in [false, true] {
        let server = start(Kind::Backlog(5), https).await;
        let report = run(defaults(&server)).await;
        let scheme = server.url.scheme();
        assert_eq!(report.exit_code(), 0, "{scheme}:\n{}", explain(&report));
        for id in ["P-01", "P-02", "T-01", "T-04"] {
            let check = report.check(id).expect("ran");
            assert_eq!(
                check.verdict,
                Verdict::Pass,
                "{scheme} {id}: {}",
                check.summary
            );
        }
        let load = report.load.as_ref().expect("the load phase ran");
        assert_eq!(load.stats.ok, 300, "{scheme}");
        // Every terminal connected: the load phase spread its starts, it did not shrink.
        assert!(
            load.connections.attempts >= 8,
            "{scheme}: {:?}",
            load.connections
        );
    }
}

/// Starts a receiver that answers HTTP 500 to records with a `user` and as the reference
/// receiver does to the rest.
async fn start_failing_with_user() -> (Url, oneshot::Sender<()>) {
    let (listener, url) = crate::support::hand_made_listener().await;
    let route = warp::post()
        .and(warp::header::optional::<String>("content-type"))
        .and(warp::body::bytes())
        .map(move |ct: Option<String>, body: Bytes| {
            let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let (status, answer) = if value["data"]["user"].is_object() {
                (
                    500,
                    br#"{"code":500,"msg":"user lookup failed","data":{}}"#.to_vec(),
                )
            } else {
                receiver::answer(&ReceiverConfig::default(), ct.as_deref(), &body)
            };
            crate::support::json_answer(status, answer)
        });
    let (stop, stopped) = crate::support::stopper();
    tokio::spawn(facesim::server::serve(
        listener,
        None,
        warp::service(route),
        stopped,
    ));
    (url, stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_really_slow_under_concurrency_still_fails_p02() {
    // The zoo's `one-at-a-time`: 150 ms per answer, one at a time, so eight terminals
    // wait about 1.2 s each.
    let server = start(
        Kind::Faulty(Fault::OneAtATime, ZooOptions::default()),
        false,
    )
    .await;
    let mut cfg = defaults(&server);
    cfg.load_events = 24;
    cfg.selection = Selection::new(&["T-01".into(), "P-02".into()], &[]).expect("ids");
    let report = run(cfg).await;
    let p02 = report.check("P-02").expect("ran");
    assert_eq!(p02.verdict, Verdict::Fail, "{}", explain(&report));
    assert!(p02.summary.contains("over the limit"), "{}", p02.summary);
    assert_eq!(report.exit_code(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_baseline_leaves_every_check_that_can_be_judged_running() {
    let (url, _stop) = start_failing_with_user().await;
    let server = crate::support::Server::at(url);
    let report = run(config(&server)).await;
    let verdict = |id: &str| report.check(id).expect("in the report").verdict;
    assert_eq!(verdict("T-01"), Verdict::Fail, "{}", explain(&report));
    // Records without a user are compared with the first valid event that was taken.
    for id in ["R-04", "R-05", "R-09"] {
        let check = report.check(id).expect("ran");
        assert_eq!(check.verdict, Verdict::Pass, "{id}: {}", check.summary);
        assert!(
            check.summary.contains("baseline was refused"),
            "{}",
            check.summary
        );
    }
    // Records with a user fail, which is what shows where the receiver breaks.
    for id in ["R-06", "R-07"] {
        assert_eq!(verdict(id), Verdict::Fail, "{id}\n{}", explain(&report));
    }
    // Answers with HTTP 200 are judged, and so are the bad requests.
    for id in ["A-01", "A-07", "B-01", "B-02"] {
        assert_eq!(verdict(id), Verdict::Pass, "{id}\n{}", explain(&report));
    }
    // A skip names what it depends on.
    for check in report.checks.iter().filter(|c| c.verdict == Verdict::Skip) {
        assert!(
            check.summary.contains("depends on") || check.id.as_str() == "T-02",
            "{} {}",
            check.id,
            check.summary
        );
    }
}
