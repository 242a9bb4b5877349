//! The structural invariants of ARCHITECTURE.md that a test can read off the sources of
//! both crates: where HTTP is framed, where the command line is parsed, what of the
//! library is public, and that the protocol core depends on nothing above it.

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
    let net = root.join("src/protocol/net");
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
    let declared = |source: &str| -> Vec<String> {
        source
            .lines()
            .filter_map(|l| Some(l.strip_prefix("pub mod ")?.strip_suffix(';')?.to_string()))
            .collect()
    };
    // A folder (`protocol`, `terminal`, `receivers`) is only a path: the crate root
    // re-exports its modules by their short names. Its public modules are the ones its
    // `mod.rs` declares `pub`; the root's own are the others.
    let mut public = Vec::new();
    for name in declared(&lib) {
        if lib.contains(&format!("use {name}::{{")) {
            let folder = std::fs::read_to_string(root.join(format!("src/{name}/mod.rs")));
            public.extend(declared(&folder.unwrap()));
        } else {
            public.push(name);
        }
    }
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

/// The invariant of ARCHITECTURE.md: the protocol core (`src/protocol/`) uses no module
/// of the crate outside it, so the terminal, the receivers and the load engine all sit on
/// one core and none of them can leak into it.
#[test]
fn the_protocol_core_uses_nothing_above_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/protocol");
    let core: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_string()))
        .filter(|name| name != "mod")
        .collect();
    assert!(core.len() >= 4, "protocol modules not found: {core:?}");
    let mut files = Vec::new();
    sources(&root, &mut files);
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        let code = &source[..source.find("#[cfg(test)]").unwrap_or(source.len())];
        for (at, _) in code.match_indices("crate::") {
            let name: String = code[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            assert!(
                name == "protocol"
                    || ["wire", "profile", "histogram", "seed"].contains(&name.as_str())
                    || core.contains(&name),
                "{} uses crate::{name}: the protocol core must not depend on it",
                file.display()
            );
        }
    }
}
