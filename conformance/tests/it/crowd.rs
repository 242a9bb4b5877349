//! A receiver that is slow only while more than two requests are in flight (the zoo's
//! `slow-when-concurrent`, as Python's ThreadingHTTPServer with a slow handler is) fails
//! P-02 on every run, whatever the seed that staggers the terminals' starts: the load
//! phase's bursts show it the concurrency the phase claims. Every report says how many
//! requests were in flight at once.

use std::sync::Arc;
use std::time::Duration;

use facecert::report::RunReport;
use facecert::run::Selection;
use facecert::verdict::Verdict;
use facesim::zoo::{Fault, ZooOptions};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::support::{Kind, config, explain, run, start};

/// How many runs, each with its own seed and receiver.
const RUNS: u64 = 20;
/// Runs at once: the receiver mostly sleeps, so several fit on two cores.
const PARALLEL: usize = 10;
/// The terminals of each run: the fewest that can show the receiver more than the two
/// requests it takes in stride, and the fewest that are likely to escape it when they
/// push each at its own pace (without the bursts, about one run in four passed).
const TERMINALS: usize = 3;

/// One run of T-01 and P-02 against a fresh `slow-when-concurrent` receiver, whose hold
/// is shortened to stay over the 500 ms p99 limit and under the 1 s answer timeout.
async fn one_run(seed: u64) -> RunReport {
    let options = ZooOptions {
        crowd_hold: Duration::from_millis(600),
        ..ZooOptions::default()
    };
    let server = start(Kind::Faulty(Fault::SlowWhenConcurrent, options), false).await;
    let mut cfg = config(&server);
    cfg.seed = seed;
    cfg.concurrency = TERMINALS;
    // Four events per terminal: the first, then one for each of the three bursts.
    cfg.load_events = 4 * TERMINALS;
    cfg.selection = Selection::new(&["T-01".into(), "P-02".into()], &[]).expect("ids");
    run(cfg).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_slow_only_when_requests_crowd_fails_p02_on_every_run() {
    let gate = Arc::new(Semaphore::new(PARALLEL));
    let mut runs = JoinSet::new();
    for seed in 1..=RUNS {
        let gate = gate.clone();
        runs.spawn(async move {
            let _permit = gate.acquire_owned().await.expect("semaphore open");
            (seed, one_run(seed).await)
        });
    }
    let mut problems = Vec::new();
    let mut reports = Vec::new();
    while let Some(done) = runs.join_next().await {
        let (seed, report) = done.expect("a suite run does not panic");
        let p02 = report.check("P-02").expect("P-02 ran");
        let load = report.load.as_ref().expect("the load phase ran");
        if p02.verdict != Verdict::Fail || report.exit_code() != 1 {
            problems.push(format!("seed {seed}: P-02 passed\n{}", explain(&report)));
        }
        if load.bursts != 3 || load.peak_in_flight != TERMINALS {
            problems.push(format!(
                "seed {seed}: {} bursts, peak {} in flight, expected 3 and {TERMINALS}",
                load.bursts, load.peak_in_flight
            ));
        }
        reports.push(report);
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));

    // The evidence and every report say what concurrency the phase reached.
    let report = &reports[0];
    let p02 = report.check("P-02").expect("P-02 ran");
    let evidence = p02.evidence.as_ref().expect("a failure has evidence");
    let reached = format!("3 bursts, peak {TERMINALS} in flight");
    assert!(evidence.actual.contains(&reached), "{}", evidence.actual);
    let mut console = Vec::new();
    facecert::report::console::write(report, &mut console).expect("console report");
    let console = String::from_utf8(console).expect("utf-8");
    assert!(console.contains(&reached), "{console}");
    let mut json = Vec::new();
    facecert::report::json::write(report, &mut json).expect("json report");
    let json: serde_json::Value = serde_json::from_slice(&json).expect("json parses");
    assert_eq!(json["load"]["peak_in_flight"], TERMINALS);
    assert_eq!(json["load"]["bursts"], 3);
    let mut junit = Vec::new();
    facecert::report::junit::write(report, &mut junit).expect("junit report");
    let junit = String::from_utf8(junit).expect("utf-8");
    let parsed = quick_junit::Report::deserialize_from_str(&junit).expect("junit parses");
    let peak = parsed.test_suites[0]
        .properties
        .iter()
        .find(|p| p.name.as_str() == "load_peak_in_flight")
        .map(|p| p.value.to_string());
    assert_eq!(peak, Some(TERMINALS.to_string()), "{junit}");
    let page = facecert::report::html::render(report);
    assert!(page.contains(&reached), "html");
}
