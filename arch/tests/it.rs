//! The architecture checks run on this workspace: each test fails with the list of
//! violations, one per line, each saying what to do.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use facesim_arch::{CHECKS, Sources, Violation, Workspace};

fn workspace() -> Workspace {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    Workspace::load(&Sources::Disk(root)).expect("the workspace loads")
}

/// The workspace, read once for all the checks.
fn shared() -> &'static Workspace {
    static WORKSPACE: OnceLock<Workspace> = OnceLock::new();
    WORKSPACE.get_or_init(workspace)
}

fn holds(name: &str) {
    let (_, check) = CHECKS
        .iter()
        .find(|(n, _)| *n == name)
        .expect("a check of that name");
    let found: Vec<Violation> = check(shared());
    let lines: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert!(
        found.is_empty(),
        "{} violation(s):\n{}",
        found.len(),
        lines.join("\n")
    );
}

#[test]
fn no_circle_of_files_in_any_library_or_binary() {
    holds("cycles");
}

#[test]
fn the_protocol_core_and_wire_use_nothing_above_them() {
    holds("layers");
}

#[test]
fn only_net_frames_http() {
    holds("http");
}

#[test]
fn only_the_binaries_see_clap() {
    holds("clap");
}

#[test]
fn a_module_is_public_only_when_used_outside_the_library() {
    holds("public");
}

#[test]
fn each_module_and_item_has_one_public_path() {
    holds("paths");
}

#[test]
fn the_core_does_no_io_and_reads_no_clock() {
    holds("pure");
}

/// The checks see every member, every target and the whole of every file: the products'
/// code after a file's first `#[cfg(test)]` is read too.
#[test]
fn the_analyser_reads_every_crate_and_whole_files_within_its_budget() {
    let started = Instant::now();
    let ws = workspace();
    for (_, check) in CHECKS {
        check(&ws);
    }
    let took = started.elapsed();
    let names: Vec<&str> = ws.packages.iter().map(|p| p.name.as_str()).collect();
    for member in [
        "facesim-proto",
        "facesim",
        "facesim-cli",
        "facecert",
        "facesim-benches",
        "facesim-arch",
    ] {
        assert!(names.contains(&member), "{member} not read: {names:?}");
    }
    let mut past_a_test_module = 0;
    for tree in ws.product_trees() {
        for module in &ws.trees[tree].modules {
            let text = std::fs::read_to_string(Path::new("..").join(&module.file)).unwrap();
            let Some(first) = text.lines().position(|l| l.trim() == "#[cfg(test)]") else {
                continue;
            };
            let last = module.names.iter().map(|n| n.line).max().unwrap_or(0);
            if last > first + 1 {
                past_a_test_module += 1;
            }
        }
    }
    assert!(
        past_a_test_module > 0,
        "no file read past its first #[cfg(test)]"
    );
    // A second is the budget on an idle machine; the bound leaves room for a busy one and
    // still catches a resolver that has gone exponential.
    assert!(took < Duration::from_secs(5), "the analyser took {took:?}");
}
