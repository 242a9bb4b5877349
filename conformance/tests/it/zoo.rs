//! Every faulty receiver of the zoo is found out by exactly the checks aimed at it under
//! the API version played (the conformance matrix), and by no other: the proof that the
//! suite's verdicts mean what they say. Every fault runs under 1.0 and 1.3; the faults
//! whose findings change between versions also run under every version in between. The
//! receivers run a few at a time to keep the test short on two cores.

use std::sync::Arc;
use std::time::Duration;

use facecert::catalog::CATALOG;
use facesim::zoo::{Fault, ZooOptions};
use facesim_proto::profile::ApiVersion;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::support::{Kind, against_matrix, aimed, config, run, start_api};

/// Suite runs at once.
const PARALLEL: usize = 6;

/// The zoo's options, the answer timeout and the load phase's terminals for a fault's
/// run. `slow-answer` gets a short timeout and a delay well over it, so its run (every
/// answer late) stays short; nothing but the timing checks depends on the timeout.
/// `small-backlog` meets the default load phase (eight terminals, 300 events): its stall
/// overflows the backlog only when more than four terminals push at once.
fn settings(fault: Fault) -> (ZooOptions, Duration, usize, usize) {
    match fault {
        Fault::SlowAnswer => (
            ZooOptions {
                slow_delay: Duration::from_millis(150),
                ..ZooOptions::default()
            },
            Duration::from_millis(60),
            4,
            40,
        ),
        Fault::SmallBacklog => (ZooOptions::default(), Duration::from_millis(1000), 8, 300),
        // Eight terminals behind 100 ms turns wait about 0.7 s: over the 500 ms p99.
        Fault::OneAtATime => (
            ZooOptions {
                serial_work: Duration::from_millis(100),
                ..ZooOptions::default()
            },
            Duration::from_millis(1000),
            8,
            24,
        ),
        // Its answers held 600 ms are over the 500 ms p99 and under the timeout, so P-02
        // fails on its p99 alone; four events per terminal are the first and the three
        // bursts.
        Fault::SlowWhenConcurrent => (
            ZooOptions {
                crowd_hold: Duration::from_millis(600),
                ..ZooOptions::default()
            },
            Duration::from_millis(1000),
            4,
            16,
        ),
        _ => (ZooOptions::default(), Duration::from_millis(1000), 4, 40),
    }
}

/// Runs the suite against each fault under each version and reports every mismatch at
/// once.
async fn check_faults(runs_of: &[(Fault, ApiVersion)], https: bool) {
    let gate = Arc::new(Semaphore::new(PARALLEL));
    let mut runs = JoinSet::new();
    // The slowest runs start first, so they do not end up alone at the end.
    let mut faults = runs_of.to_vec();
    faults.sort_by_key(|(f, _)| {
        !matches!(
            f,
            Fault::SlowAnswer
                | Fault::NeverAnswers
                | Fault::SlowUnderLoad
                | Fault::OneAtATime
                | Fault::SlowWhenConcurrent
        )
    });
    for (fault, api) in faults {
        let gate = gate.clone();
        runs.spawn(async move {
            let _permit = gate.acquire_owned().await.expect("semaphore open");
            let (options, timeout, concurrency, events) = settings(fault);
            let server = start_api(Kind::Faulty(fault, options), https, api).await;
            let mut cfg = config(&server);
            cfg.api = api;
            cfg.timeout = timeout;
            cfg.concurrency = concurrency;
            cfg.load_events = events;
            let started = std::time::Instant::now();
            let report = run(cfg).await;
            eprintln!("{fault} {api}: {:.1} s", started.elapsed().as_secs_f64());
            against_matrix(fault, api, &report)
        });
    }
    let mut problems = Vec::new();
    while let Some(done) = runs.join_next().await {
        problems.extend(done.expect("a suite run does not panic"));
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n\n"));
}

/// Whether the checks that find `fault` differ between versions: then it runs under
/// every version, else under the first and the last only.
fn version_sensitive(fault: Fault) -> bool {
    let first = aimed(fault, ApiVersion::V1_0);
    ApiVersion::ALL.iter().any(|&v| aimed(fault, v) != first)
        || CATALOG.iter().any(|c| {
            c.aimed
                .iter()
                .any(|a| a.fault == fault && a.versions.is_some())
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_faulty_receiver_fails_exactly_the_checks_aimed_at_it_under_each_version() {
    let mut runs = Vec::new();
    for &fault in Fault::ALL {
        if fault.is_auth() {
            // Auth servers answer pushes correctly: tests/it/auth.rs certifies them.
            continue;
        }
        let versions: &[ApiVersion] = if version_sensitive(fault) {
            &ApiVersion::ALL
        } else {
            &[ApiVersion::V1_0, ApiVersion::V1_3]
        };
        runs.extend(versions.iter().map(|&v| (fault, v)));
    }
    check_faults(&runs, false).await;
}

#[test]
fn the_new_faults_are_found_under_their_versions_only() {
    use ApiVersion::*;
    let ids = |fault, v| aimed(fault, v).into_iter().collect::<Vec<_>>();
    assert!(ids(Fault::RequiresRecognizeStatus, V1_0).is_empty());
    assert_eq!(ids(Fault::RequiresRecognizeStatus, V1_1), ["T-01"]);
    assert!(ids(Fault::ParsesUserIdInt, V1_2).is_empty());
    assert_eq!(ids(Fault::ParsesUserIdInt, V1_2_1), ["R-12"]);
    assert_eq!(ids(Fault::RejectsAlarms, V1_0), ["C-02"]);
    assert_eq!(ids(Fault::RejectsAlarms, V1_3), ["C-02", "R-14"]);
    assert!(ids(Fault::DuplicateUuid500, V1_2).is_empty());
    assert_eq!(ids(Fault::DuplicateUuid500, V1_2_1), ["R-15"]);
    assert!(ids(Fault::CrashesOnClearWithoutCode, V1_2_1).is_empty());
    assert_eq!(ids(Fault::CrashesOnClearWithoutCode, V1_3), ["R-14"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_found_out_inside_tls_too() {
    check_faults(
        &[
            (Fault::TruncatedAnswer, ApiVersion::V1_0),
            (Fault::ResetMidRequest, ApiVersion::V1_3),
            (Fault::CodeAsString, ApiVersion::V1_0),
            (Fault::SmallBacklog, ApiVersion::V1_0),
            (Fault::NagleDelay, ApiVersion::V1_3),
        ],
        true,
    )
    .await;
}
