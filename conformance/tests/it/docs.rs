//! The documents the workspace publishes are exactly what the code generates:
//! `docs/conformance-matrix.md` (`facecert matrix`, from the catalog and the zoo) and
//! `docs/device-api-versions.md` (the settings layouts of every API version). Run with
//! `UPDATE_EXPECT=1 cargo test -p facecert --test it docs` to refresh them.

use std::path::PathBuf;

#[test]
fn the_published_matrix_is_current() {
    current("conformance-matrix.md", &facecert::matrix::markdown());
}

#[test]
fn the_published_layout_table_is_current() {
    current(
        "device-api-versions.md",
        &facesim::settings::doc::markdown(),
    );
}

/// Checks that `docs/<name>` holds `expected` (or writes it, under `UPDATE_EXPECT`), and
/// shows the first lines that differ.
fn current(name: &str, expected: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../docs")
        .join(name);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::create_dir_all(path.parent().expect("docs directory")).expect("create docs/");
        std::fs::write(&path, expected).expect("write the document");
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    if actual != expected {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines().chain(std::iter::repeat("")))
            .enumerate()
            .filter(|(_, (e, a))| e != a)
            .take(5)
            .map(|(n, (e, a))| format!("line {}:\n  expected: {e}\n  found:    {a}", n + 1))
            .collect();
        panic!(
            "{} is out of date; run `UPDATE_EXPECT=1 cargo test -p facecert --test it docs` \
             to refresh it\n{}",
            path.display(),
            diff.join("\n")
        );
    }
}
