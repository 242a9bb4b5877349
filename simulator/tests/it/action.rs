//! The GitHub composite action (`action.yml`) and the GitLab snippet run
//! `scripts/facecert-action.sh`: run here as a workflow runs it, against `facesim receiver`
//! started by the script itself, with the facecert the workspace built.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::text;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The facecert binary `cargo test --workspace` builds beside facesim.
fn facecert() -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_facesim")).with_file_name("facecert");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p facecert` (or `cargo test --workspace`)",
        path.display()
    );
    path
}

/// A loopback port nobody listens on now (the kernel's choice of an ephemeral one).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn action(dir: &Path, env: &[(&str, String)]) -> Output {
    let mut command = Command::new(root().join("scripts/facecert-action.sh"));
    command.current_dir(dir).env_remove("GITHUB_OUTPUT");
    for key in [
        "URL", "SUITE", "API", "RECEIVER", "WAIT", "ARGS", "REPORTS", "BIN",
    ] {
        command.env_remove(format!("FACECERT_{key}"));
    }
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

#[test]
fn the_action_starts_the_receiver_certifies_it_and_keeps_the_reports() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let github_output = dir.path().join("github-output");
    std::fs::write(&github_output, "").unwrap();
    let receiver = format!(
        "exec {} receiver --listen 127.0.0.1:{port}",
        env!("CARGO_BIN_EXE_facesim")
    );
    let out = action(
        dir.path(),
        &[
            ("FACECERT_URL", format!("http://127.0.0.1:{port}/eventRcv")),
            ("FACECERT_RECEIVER", receiver),
            ("FACECERT_BIN", facecert().display().to_string()),
            ("FACECERT_ARGS", "--load-events 40".to_owned()),
            ("FACECERT_REPORTS", "out".to_owned()),
            ("GITHUB_OUTPUT", github_output.display().to_string()),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("result: PASS"));
    for report in [
        "facecert.xml",
        "facecert.html",
        "facecert.json",
        "facecert.txt",
    ] {
        let path = dir.path().join("out").join(report);
        assert!(path.metadata().unwrap().len() > 0, "{report}");
    }
    let junit = std::fs::read_to_string(dir.path().join("out/facecert.xml")).unwrap();
    assert!(junit.contains("<testsuite"), "{junit}");
    let outputs = std::fs::read_to_string(&github_output).unwrap();
    assert!(outputs.contains("exit-code=0"), "{outputs}");
    // The receiver the script started is stopped again.
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn a_failing_receiver_fails_the_step_with_its_reports() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let out = action(
        dir.path(),
        &[
            ("FACECERT_URL", format!("http://127.0.0.1:{port}/eventRcv")),
            (
                "FACECERT_RECEIVER",
                format!(
                    "exec {} receiver --listen 127.0.0.1:{port} --fault pass-as-string",
                    env!("CARGO_BIN_EXE_facesim")
                ),
            ),
            ("FACECERT_BIN", facecert().display().to_string()),
            ("FACECERT_ARGS", "--load-events 40".to_owned()),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let junit = std::fs::read_to_string(dir.path().join("facecert-reports/facecert.xml")).unwrap();
    assert!(junit.contains("<failure"), "{junit}");
}

#[test]
fn bad_settings_stop_the_step_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = action(dir.path(), &[]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(
        text(&missing.stderr).trim(),
        "facecert-action: error: FACECERT_URL (the action's url input) is required"
    );
    let port = free_port();
    let dead = action(
        dir.path(),
        &[
            ("FACECERT_URL", format!("http://127.0.0.1:{port}/eventRcv")),
            ("FACECERT_RECEIVER", "exit 3".to_owned()),
            ("FACECERT_BIN", facecert().display().to_string()),
        ],
    );
    assert_eq!(dead.status.code(), Some(2));
    assert!(
        text(&dead.stderr).contains("the receiver command exited before"),
        "{}",
        text(&dead.stderr)
    );
}

#[test]
fn the_action_passes_every_input_to_the_script() {
    let yml = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let script = std::fs::read_to_string(root().join("scripts/facecert-action.sh")).unwrap();
    assert!(yml.contains("run: ${{ github.action_path }}/scripts/facecert-action.sh"));
    let mut mapped = 0;
    for line in yml.lines() {
        let line = line.trim();
        if let Some((key, value)) = line.split_once(": ${{ inputs.") {
            let input = value.trim_end_matches(" }}");
            assert!(
                yml.contains(&format!("\n  {input}:\n")),
                "{key} maps an input the action does not declare: {input}"
            );
            if key.starts_with("FACECERT_") {
                assert!(
                    script.contains(&format!("${{{key}")),
                    "the script never reads {key}"
                );
                mapped += 1;
            }
        }
    }
    assert_eq!(mapped, 7, "{yml}");
}
