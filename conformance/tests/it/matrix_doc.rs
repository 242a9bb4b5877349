//! `docs/conformance-matrix.md` is exactly what `facecert matrix` prints. Run with
//! `UPDATE_EXPECT=1` to refresh the file after changing the catalog or the zoo.

use std::path::PathBuf;

#[test]
fn the_published_matrix_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/conformance-matrix.md");
    let expected = facecert::matrix::markdown();
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::create_dir_all(path.parent().expect("docs directory")).expect("create docs/");
        std::fs::write(&path, &expected).expect("write the matrix");
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
            "{} is out of date; run `UPDATE_EXPECT=1 cargo test -p facecert` to refresh it\n{}",
            path.display(),
            diff.join("\n")
        );
    }
}
