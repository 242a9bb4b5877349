//! The `facecert` binary: exit codes 0, 1 and 2, report files that parse, artifacts the
//! reproduction lines point at, and one readable line on stderr when the suite cannot run.

use std::process::{Command, Output};

use facesim::zoo::{Fault, ZooOptions};

use crate::support::{Kind, start};

/// Runs the binary with `args` off the async runtime, which keeps serving the receiver.
pub(crate) async fn facecert(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_facecert"))
            .args(&args)
            .env_remove("RUST_LOG")
            .output()
            .expect("the binary runs")
    })
    .await
    .expect("the blocking task finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Small load phase options, so each run is quick.
fn quick(url: &str) -> Vec<String> {
    ["run", url, "--load-events", "20", "--concurrency", "2"]
        .map(String::from)
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conforming_receiver_exits_0_and_gets_all_three_reports() {
    let server = start(Kind::Reference, true).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let pem = dir.path().join("receiver.pem");
    std::fs::write(&pem, server.cert_pem.as_deref().expect("https"))
        .expect("write the certificate");
    let (json, junit, html) = (
        dir.path().join("r.json"),
        dir.path().join("r.xml"),
        dir.path().join("r.html"),
    );
    let mut args = quick(server.url.as_str());
    for (flag, path) in [
        ("--ca-cert", &pem),
        ("--json", &json),
        ("--junit", &junit),
        ("--html", &html),
    ] {
        args.extend([flag.to_string(), path.display().to_string()]);
    }
    let out = facecert(args).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("result: PASS"));

    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json written")).expect("json parses");
    assert_eq!(report["suite"], "facecert");
    // The run plays API 1.0: every check of 1.0, each with its versions.
    let of_1_0 = facecert::catalog::CATALOG
        .iter()
        .filter(|c| {
            c.runs_in(
                facecert::check::Suite::Push,
                facesim_proto::profile::ApiVersion::V1_0,
            )
        })
        .count();
    assert_eq!(report["checks"].as_array().map(Vec::len), Some(of_1_0));
    assert_eq!(report["api"], "1.0");
    assert_eq!(report["checks"][0]["versions"][4], "1.3");
    assert!(
        report["load"]["stats"]["histogram_us"]
            .as_array()
            .is_some_and(|h| !h.is_empty())
    );

    let xml = std::fs::read_to_string(&junit).expect("junit written");
    let parsed = quick_junit::Report::deserialize_from_str(&xml).expect("junit parses");
    assert_eq!(parsed.test_suites[0].test_cases.len(), of_1_0);
    assert_eq!(parsed.test_suites[0].failures, 0);

    let page = std::fs::read_to_string(&html).expect("html written");
    assert!(page.starts_with("<!doctype html>") && page.contains("<svg"));
    // Browsers break lines at a hyphen, so an ID cell that may wrap shows "T-" above "01"
    // in a narrow column: the verdict, ID and level cells never wrap.
    assert!(page.contains(".nowrap{white-space:nowrap}"));
    let rows: Vec<&str> = page.split("<tr id=").skip(1).collect();
    assert!(rows.len() > 30, "{} rows", rows.len());
    for row in rows {
        let cells: Vec<&str> = row.split("<td").skip(1).take(3).collect();
        assert_eq!(cells.len(), 3, "{row}");
        assert!(
            cells
                .iter()
                .all(|cell| cell.starts_with(" class=\"nowrap\">")),
            "{row}"
        );
    }
    assert!(
        !page.contains("<script") && !page.contains("src=") && !page.contains("<link"),
        "self-contained"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_must_failure_exits_1_with_evidence_and_a_saved_body() {
    let server = start(
        Kind::Faulty(Fault::CodeAsString, ZooOptions::default()),
        false,
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let junit = dir.path().join("r.xml");
    let artifacts = dir.path().join("bodies");
    let mut args = quick(server.url.as_str());
    args.extend(
        [
            "--junit",
            &junit.display().to_string(),
            "--artifacts",
            &artifacts.display().to_string(),
        ]
        .map(String::from),
    );
    let out = facecert(args).await;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(stdout.contains("FAIL  A-02"), "{stdout}");
    assert!(
        stdout.contains("reproduce    curl") && stdout.contains("curl -sS -i -X POST"),
        "{stdout}"
    );
    assert!(artifacts.join("baseline.json").is_file(), "{stdout}");
    let parsed =
        quick_junit::Report::deserialize_from_str(&std::fs::read_to_string(&junit).expect("junit"))
            .expect("parses");
    assert_eq!(parsed.test_suites[0].failures, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_should_failure_warns_but_exits_0() {
    let server = start(
        Kind::Faulty(Fault::LongCustomtips, ZooOptions::default()),
        false,
    )
    .await;
    let out = facecert(quick(server.url.as_str())).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("WARN  A-10") && stdout.contains("PASS with warnings"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_target_exits_2_with_one_line() {
    // A port that was just free: nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let out = facecert(vec![
        "run".into(),
        format!("http://127.0.0.1:{port}/eventRcv"),
    ])
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("facecert: cannot reach") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_exit_2() {
    for args in [
        vec!["run", "ftp://127.0.0.1/x"],
        vec!["run", "http://127.0.0.1:9/", "--only", "Z-99"],
        vec![
            "run",
            "http://127.0.0.1:9/",
            "--skip",
            "T-01,T-02,T-03,T-04,A-01,A-02,A-03,A-04,A-05,A-06,A-07,A-08,A-09,A-10,A-11,R-01,R-02,R-03,R-04,R-05,R-06,R-07,R-08,R-09,C-01,C-02,D-01,D-02,B-01,B-02,B-03,B-04,B-05,P-01,P-02",
        ],
        vec![
            "run",
            "https://127.0.0.1:9/",
            "--ca-cert",
            "/no/such/file.pem",
        ],
        vec!["run"],
    ] {
        let out = facecert(args.iter().map(|s| s.to_string()).collect()).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_reader_that_stops_early_is_no_error() {
    // `facecert list | head -n 1`: the pipe closes before the list ends.
    let mut child = Command::new(env!("CARGO_BIN_EXE_facecert"))
        .arg("list")
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_and_matrix_print_the_catalog() {
    let list = text(&facecert(vec!["list".into()]).await.stdout);
    for check in facecert::catalog::CATALOG {
        assert!(list.contains(check.id.as_str()), "{}", check.id);
    }
    let matrix = text(&facecert(vec!["matrix".into()]).await.stdout);
    assert_eq!(matrix, facecert::matrix::markdown());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_body_is_not_saved_but_regenerated_byte_for_byte() {
    let server = start(
        Kind::Faulty(Fault::AcceptsGarbage, ZooOptions::default()),
        false,
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let artifacts = dir.path().join("bodies");
    let mut args = quick(server.url.as_str());
    args.extend(["--only", "B-04", "--artifacts"].map(String::from));
    args.push(artifacts.display().to_string());
    let out = facecert(args).await;
    let stdout = text(&out.stdout);
    assert!(stdout.contains("WARN  B-04"), "{stdout}");
    assert!(
        stdout.contains("not saved (16 MiB)")
            && stdout.contains("facecert body huge-body --seed 1 --api-version 1.0 | curl"),
        "{stdout}"
    );
    let saved: Vec<_> = std::fs::read_dir(&artifacts)
        .expect("artifacts dir")
        .map(|e| e.expect("entry").metadata().expect("metadata").len())
        .collect();
    assert!(saved.iter().all(|&len| len <= 1024 * 1024), "{saved:?}");

    let body = facecert(
        ["body", "huge-body", "--seed", "1"]
            .map(String::from)
            .to_vec(),
    )
    .await;
    assert_eq!(body.status.code(), Some(0), "{}", text(&body.stderr));
    let expected =
        facecert::probe::Factory::new(1, facesim_proto::profile::ApiVersion::V1_0).huge();
    assert!(body.stdout == expected.body, "the regenerated body differs");

    let unknown = facecert(["body", "no-such-request"].map(String::from).to_vec()).await;
    assert_eq!(unknown.status.code(), Some(2));
    let err = text(&unknown.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no request named `no-such-request`"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_version_ends_with_the_table_of_versions_taken() {
    let server = start(
        Kind::Faulty(Fault::RequiresRecognizeStatus, ZooOptions::default()),
        false,
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("r.json");
    let mut args = quick(server.url.as_str());
    args.extend(["--api-version", "all", "--only", "T-01,R-15", "--json"].map(String::from));
    args.push(json.display().to_string());
    let out = facecert(args).await;
    let stdout = text(&out.stdout);
    // 1.0 is taken; from 1.1 every record lacks `recognizeStatus` and is refused.
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let table = stdout.split("API versions").nth(1).expect("the table");
    assert!(table.contains("1.0    V1.0.8    conforms"), "{table}");
    for v in ["1.1", "1.2", "1.2.1", "1.3"] {
        let line = table
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{v} ")))
            .unwrap_or_else(|| panic!("{v} in {table}"));
        assert!(line.contains("FAIL      FAIL T-01 MUST"), "{line}");
    }
    assert!(
        table.contains("conforms to: 1.0 (1 of 5 versions)"),
        "{table}"
    );
    for v in ["1.0", "1.3"] {
        assert!(dir.path().join(format!("r-{v}.json")).exists(), "{v}");
    }
    // R-15 applies from 1.2.1 only: the 1.0 run does not list it.
    let first = stdout.split("API 1.1").next().expect("the 1.0 run");
    assert!(!first.contains("R-15"), "{first}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facecert_auth_certifies_the_reference_auth_server_and_refuses_api_1_0() {
    let server = crate::support::start_api(
        Kind::Reference,
        false,
        facesim_proto::profile::ApiVersion::V1_3,
    )
    .await;
    let mut url = server.url.clone();
    url.set_path("/auth");
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("auth.json");
    let args: Vec<String> = [
        "auth",
        url.as_str(),
        "--load-events",
        "20",
        "--concurrency",
        "2",
        "--json",
        &json.display().to_string(),
    ]
    .map(String::from)
    .to_vec();
    let out = facecert(args).await;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(stdout.contains("auth server, API 1.3"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with("PASS") && l.contains("AH-01")),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json written")).expect("json parses");
    assert_eq!(report["certifies"], "auth");
    assert_eq!(report["settings"]["p99_ms"], 300);

    let out = facecert(
        ["auth", url.as_str(), "--api-version", "1.0"]
            .map(String::from)
            .to_vec(),
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("no remote-authentication callback"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_and_man_pages_cover_every_subcommand() {
    for shell in ["bash", "zsh", "fish"] {
        let out = facecert(vec!["completions".into(), shell.into()]).await;
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        for word in ["run", "auth", "junit", "api-version"] {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let out = facecert(vec![
        "man".into(),
        "--out".into(),
        dir.path().display().to_string(),
    ])
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    for page in ["facecert.1", "facecert-run.1", "facecert-auth.1"] {
        let roff = std::fs::read_to_string(dir.path().join(page)).expect(page);
        assert!(roff.contains(".TH"), "{page}");
    }
    let run = std::fs::read_to_string(dir.path().join("facecert-run.1")).expect("run page");
    assert!(run.contains("junit"), "{run}");
}
