//! The `facesim` command line: exit codes, one-line errors, the demo, and a device process
//! that stops cleanly on SIGTERM.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{self, facesim, facesim_async, text};

#[tokio::test]
async fn push_reports_each_event_and_exits_zero() {
    let (receiver, _events) = support::receiver(Default::default()).await;
    let to = format!("http://{}/eventRcv", receiver.addr);
    let out = facesim_async(
        [
            "push",
            "--to",
            &to,
            "--count",
            "6",
            "--devices",
            "2",
            "--width",
            "64",
            "--height",
            "80",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("PS")).count(),
        6,
        "{stdout}"
    );
    assert!(stdout.contains("sent 6  ok 6  failed 0"), "{stdout}");
}

#[tokio::test]
async fn push_at_a_rate_spreads_the_events_over_the_schedule() {
    let (receiver, mut events) = support::receiver(Default::default()).await;
    let to = format!("http://{}/eventRcv", receiver.addr);
    let started = std::time::Instant::now();
    let args = ["push", "--to", &to, "--count", "4", "--devices", "2"];
    let sizes = ["--width", "64", "--height", "80", "--rate", "20", "--quiet"];
    let out = facesim_async(args.iter().chain(&sizes).map(|s| s.to_string()).collect()).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    // At 20 events per second the first is due at once and the fourth 150 ms later.
    assert!(started.elapsed() >= Duration::from_millis(150));
    let mut traces = Vec::new();
    for _ in 0..4 {
        let event = events.recv().await.expect("four events arrive");
        traces.push(event.trace.expect("a trace comment"));
    }
    traces.sort();
    let sns: std::collections::BTreeSet<_> = traces.iter().map(|(sn, _)| sn.clone()).collect();
    assert_eq!(sns.len(), 2, "two devices: {traces:?}");
    assert!(
        traces.iter().all(|(_, seq)| *seq == 1 || *seq == 2),
        "{traces:?}"
    );
}

#[tokio::test]
async fn push_speaks_every_api_version_to_a_receiver_of_the_same_version() {
    for api in ["1.0", "1.1", "1.2", "1.2.1", "1.3"] {
        let config = facesim::receiver::ReceiverConfig {
            api: api.parse().unwrap(),
            ..Default::default()
        };
        let (receiver, _events) = support::receiver(config).await;
        let to = format!("http://{}/eventRcv", receiver.addr);
        let args = [
            "push",
            "--to",
            &to,
            "--count",
            "4",
            "--api-version",
            api,
            "--width",
            "64",
            "--height",
            "80",
            "--alarm-share",
            "50",
        ];
        let out = facesim_async(args.map(String::from).to_vec()).await;
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{api}: {stdout}{}", text(&out.stderr));
        assert!(stdout.contains("sent 4  ok 4  failed 0"), "{api}: {stdout}");
    }
}

#[tokio::test]
async fn push_to_nothing_exits_one() {
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let to = format!("http://{dead}/eventRcv");
    let out = facesim_async(
        ["push", "--to", &to, "--count", "2"]
            .map(String::from)
            .to_vec(),
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("connect_error 2"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn bad_usage_exits_two_with_one_line() {
    for args in [
        vec!["push", "--to", "ftp://127.0.0.1/x"],
        vec![
            "push",
            "--to",
            "http://127.0.0.1:9/",
            "--status-mix",
            "bogus=3",
        ],
        vec!["push", "--to", "http://127.0.0.1:9/", "--mode", "9"],
        vec![
            "push",
            "--to",
            "http://127.0.0.1:9/",
            "--api-version",
            "2.0",
        ],
        vec![
            "push",
            "--to",
            "http://127.0.0.1:9/",
            "--api-version",
            "1.3",
            "--mode",
            "10",
        ],
        vec![
            "push",
            "--to",
            "http://127.0.0.1:9/",
            "--api-version",
            "1.3",
            "--alarm-share",
            "101",
        ],
        vec![
            "push",
            "--to",
            "http://127.0.0.1:9/",
            "--ca-cert",
            "/nonexistent.pem",
        ],
        vec!["device", "--rate=-1"],
        // facecert's name of the answer timeout is facesim's too.
        vec!["push", "--to", "http://127.0.0.1:9/", "--timeout-ms", "0"],
        vec!["load", "--to", "http://127.0.0.1:9/", "--timeout-ms", "0"],
        vec!["push", "--to"],
        vec!["demo", "--rate", "0"],
        vec![
            "receiver",
            "--listen",
            "127.0.0.1:0",
            "--fault",
            "no-such-fault",
        ],
    ] {
        let out = facesim(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error:"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn demo_runs_end_to_end() {
    let out = facesim(&["demo", "--events", "4", "--rate", "8"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("POST /v1/event/subscribe -> code 200"),
        "{stdout}"
    );
    assert!(
        stdout.contains("4 events watched, 4 answered with success"),
        "{stdout}"
    );
}

#[cfg(unix)]
#[test]
fn device_process_serves_its_api_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_facesim"))
        .args([
            "device",
            "--listen",
            "127.0.0.1:0",
            "--plain-http",
            "--rate",
            "0",
            "--state",
        ])
        .arg(dir.path())
        .env("RUST_LOG", "facesim=info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let api = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.split("api=")
                .nth(1)
                .map(|s| s.split_whitespace().next().unwrap_or("").to_string())
        })
        .expect("device announces its API address");
    let body = blocking_get(&api);
    assert!(body.contains("\"code\":200"), "{body}");
    support::sigterm(&child);
    // The exit is waited for on a thread and the test waits (bounded) for that event,
    // instead of polling the child.
    let (exited_tx, exited) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = exited_tx.send(child.wait());
    });
    let status = exited
        .recv_timeout(Duration::from_secs(15))
        .expect("device did not stop on SIGTERM")
        .unwrap();
    assert!(status.success(), "exit {status:?}");
    assert!(dir.path().join("seq").exists() || dir.path().join("queue").exists());
}

/// A plain GET from a synchronous test.
fn blocking_get(url: &str) -> String {
    facesim::tls::install_crypto_provider();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        reqwest::Client::new()
            .get(url)
            .header("authorization", crate::support::basic_auth())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    })
}

#[test]
fn a_reader_that_stops_early_is_no_error() {
    // `facesim receiver --list-faults | head -n 1`: the pipe closes before the list ends.
    let mut child = Command::new(env!("CARGO_BIN_EXE_facesim"))
        .args(["receiver", "--list-faults"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn receiver_lists_the_zoo() {
    let out = facesim(&["receiver", "--list-faults"]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.lines().count() >= 15, "{stdout}");
    assert!(stdout.contains("never-answers"), "{stdout}");
}

#[test]
fn completions_and_man_pages_cover_every_subcommand() {
    for shell in ["bash", "zsh", "fish"] {
        let out = facesim(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        for word in ["device", "fleet", "load", "api-version", "event-dest"] {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
    }
    let out = facesim(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).lines().count(),
        1,
        "{}",
        text(&out.stderr)
    );

    let main_page = facesim(&["man"]);
    assert!(main_page.status.success());
    assert!(text(&main_page.stdout).contains(".TH facesim"));
    let dir = tempfile::tempdir().unwrap();
    let out = facesim(&["man", "--out", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for page in [
        "facesim.1",
        "facesim-device.1",
        "facesim-fleet.1",
        "facesim-load.1",
    ] {
        let roff = std::fs::read_to_string(dir.path().join(page)).unwrap();
        assert!(roff.contains(".TH"), "{page}");
    }
    let device = std::fs::read_to_string(dir.path().join("facesim-device.1")).unwrap();
    assert!(device.contains("reboot\\-time"), "{device}");
}
