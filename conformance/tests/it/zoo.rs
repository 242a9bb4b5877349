//! Every faulty receiver of the zoo is found out by exactly the checks aimed at it (the
//! conformance matrix), and by no other: the proof that the suite's verdicts mean what
//! they say. The receivers run a few at a time to keep the test short on two cores.

use std::sync::Arc;
use std::time::Duration;

use facecert::catalog::{Level, aimed_at};
use facesim::zoo::{Fault, ZooOptions};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::support::{Kind, aimed, config, explain, findings, run, start};

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
        _ => (ZooOptions::default(), Duration::from_millis(1000), 4, 40),
    }
}

/// Runs the suite against each fault and reports every mismatch at once.
async fn check_faults(faults: &[Fault], https: bool) {
    let gate = Arc::new(Semaphore::new(PARALLEL));
    let mut runs = JoinSet::new();
    // The slowest runs start first, so they do not end up alone at the end.
    let mut faults = faults.to_vec();
    faults.sort_by_key(|f| {
        !matches!(
            f,
            Fault::SlowAnswer | Fault::NeverAnswers | Fault::SlowUnderLoad
        )
    });
    for fault in faults {
        let gate = gate.clone();
        runs.spawn(async move {
            let _permit = gate.acquire_owned().await.expect("semaphore open");
            let (options, timeout, concurrency, events) = settings(fault);
            let server = start(Kind::Faulty(fault, options), https).await;
            let mut cfg = config(&server);
            cfg.timeout = timeout;
            cfg.concurrency = concurrency;
            cfg.load_events = events;
            let started = std::time::Instant::now();
            let report = run(cfg).await;
            eprintln!("{fault}: {:.1} s", started.elapsed().as_secs_f64());
            (
                fault,
                findings(&report),
                explain(&report),
                report.exit_code(),
            )
        });
    }
    let mut problems = Vec::new();
    while let Some(done) = runs.join_next().await {
        let (fault, found, text, code) = done.expect("a suite run does not panic");
        let want = aimed(fault);
        if found != want {
            problems.push(format!(
                "{fault}: expected {want:?}, found {found:?}\n{text}"
            ));
        }
        let must = aimed_at(fault).iter().any(|c| c.level == Level::Must);
        if code != u8::from(must) {
            problems.push(format!(
                "{fault}: exit code {code}, expected {}",
                u8::from(must)
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_faulty_receiver_fails_exactly_the_checks_aimed_at_it() {
    check_faults(Fault::ALL, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_found_out_inside_tls_too() {
    check_faults(
        &[
            Fault::TruncatedAnswer,
            Fault::ResetMidRequest,
            Fault::CodeAsString,
            Fault::SmallBacklog,
            Fault::NagleDelay,
        ],
        true,
    )
    .await;
}
