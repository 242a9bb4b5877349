//! The structural invariants of ARCHITECTURE.md that a test can read off the sources of
//! both crates: where HTTP is framed, where the command line is parsed, and what of the
//! library is public.

use std::path::{Path, PathBuf};

/// Every `.rs` file below `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The invariant of ARCHITECTURE.md: no product code outside `net` frames HTTP/1.1 or
/// opens a TLS client stream by hand, and none uses another HTTP client library.
#[test]
fn only_net_frames_http() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    sources(&root.join("../conformance/src"), &mut files);
    assert!(
        files.len() > 50,
        "sources not found under {}",
        root.display()
    );
    let net = root.join("src/net");
    let forbidden = [
        "reqwest::",
        "httparse::",
        concat!("b\"", "\\r\\n\\r\\n", "\""),
        "TlsConnector",
        "TlsStream",
        "from_str_radix",
    ];
    // This file spells the forbidden words, to look for them.
    let this = root.join("src/invariants.rs");
    for file in files.iter().filter(|f| !f.starts_with(&net) && **f != this) {
        let source = std::fs::read_to_string(file).unwrap();
        let code = &source[..source.find("#[cfg(test)]").unwrap_or(source.len())];
        for word in forbidden {
            assert!(
                !code.contains(word),
                "{} uses {word}: HTTP framing and client streams belong to net",
                file.display()
            );
        }
    }
}

/// The invariant of ARCHITECTURE.md: in both crates only the binary (`main.rs` and
/// `app/`) names the command-line parser.
#[test]
fn only_the_binaries_see_clap() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for krate in [root.join("src"), root.join("../conformance/src")] {
        let mut files = Vec::new();
        sources(&krate, &mut files);
        assert!(
            files.len() > 10,
            "sources not found under {}",
            krate.display()
        );
        for file in files {
            // This file names clap, to look for it.
            let exempt = file.starts_with(krate.join("app"))
                || file.ends_with("main.rs")
                || file.ends_with("invariants.rs");
            let source = std::fs::read_to_string(&file).unwrap();
            let code = &source[..source.find("#[cfg(test)]").unwrap_or(source.len())];
            assert!(
                exempt || !code.contains("clap"),
                "{} names clap: only the binary parses the command line",
                file.display()
            );
        }
    }
}

/// The invariant of ARCHITECTURE.md: a module of the library is `pub` only when a user
/// outside it names it: the binary (`main.rs`, `app/`), facecert, an integration test or a
/// benchmark. Every other module is `pub(crate)`.
#[test]
fn a_module_is_public_only_when_used_outside_the_library() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut users = Vec::new();
    sources(&root.join("src/app"), &mut users);
    users.push(root.join("src/main.rs"));
    for dir in [
        "tests",
        "../conformance/src",
        "../conformance/tests",
        "../benches",
    ] {
        sources(&root.join(dir), &mut users);
    }
    let used: String = users
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let public: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod ")?.strip_suffix(';'))
        .collect();
    assert!(public.len() > 10, "no public modules read in lib.rs");
    for module in public {
        let path = format!("facesim::{module}");
        let named = used.match_indices(&path).any(|(at, _)| {
            let next = used[at + path.len()..].chars().next();
            next.is_none_or(|c| !c.is_alphanumeric() && c != '_')
        });
        assert!(
            named,
            "facesim::{module} is pub but nothing outside the library names it; make it pub(crate)"
        );
    }
}
