//! The workspace as cargo sees it: its members, each member's package name, library name
//! and targets (library, binaries, integration tests, benches), read from the manifests the
//! way cargo reads them, including the targets it discovers without a manifest entry.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::sources::Sources;

/// Why a workspace could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A manifest the workspace names is missing.
    #[error("no manifest at {0}")]
    NoManifest(PathBuf),
    /// The root manifest has no `[workspace]` members.
    #[error("{0} lists no workspace members")]
    NoMembers(PathBuf),
    /// A source file of the module tree is missing.
    #[error("{file}: module `{module}` has no file (looked for {looked})")]
    NoModuleFile {
        /// The file that declares the module.
        file: PathBuf,
        /// The module's name.
        module: String,
        /// The paths tried, joined.
        looked: String,
    },
    /// A source file is not Rust that syn can parse.
    #[error("{file}: {message}")]
    Parse {
        /// The file.
        file: PathBuf,
        /// syn's message, with its line.
        message: String,
    },
}

/// What a target is for; the library and the binaries are the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// The package's library.
    Lib,
    /// A binary.
    Bin,
    /// An integration-test binary.
    Test,
    /// A bench binary.
    Bench,
}

impl Kind {
    /// Whether the target ships: libraries and binaries do, tests and benches do not.
    pub fn is_product(self) -> bool {
        matches!(self, Kind::Lib | Kind::Bin)
    }
}

/// One compiled target: its kind and the file its module tree grows from.
#[derive(Debug, Clone)]
pub struct Target {
    /// What the target is for.
    pub kind: Kind,
    /// Its root file, relative to the workspace root.
    pub root: PathBuf,
}

/// A workspace member.
#[derive(Debug, Clone)]
pub struct Package {
    /// The package name (`facesim-arch`).
    pub name: String,
    /// The name its library is used by from other crates (`facesim_arch`).
    pub lib_name: String,
    /// The member's folder, relative to the workspace root.
    pub dir: PathBuf,
    /// Every target, the library first.
    pub targets: Vec<Target>,
}

/// The members of the workspace whose root manifest is `Cargo.toml` in `sources`.
///
/// # Errors
/// A missing manifest or a root manifest without members.
pub fn packages(sources: &Sources) -> Result<Vec<Package>, Error> {
    let root = Path::new("Cargo.toml");
    let text = sources
        .read(root)
        .ok_or_else(|| Error::NoManifest(root.into()))?;
    let tables = tables(&text);
    let members = tables
        .iter()
        .find(|t| t.header == "workspace")
        .and_then(|t| t.entries.get("members"))
        .map(|v| strings(v))
        .filter(|m| !m.is_empty())
        .ok_or_else(|| Error::NoMembers(root.into()))?;
    members
        .iter()
        .map(|dir| package(sources, Path::new(dir)))
        .collect()
}

/// One member, from its manifest and the files cargo would discover in its folder.
fn package(sources: &Sources, dir: &Path) -> Result<Package, Error> {
    let path = dir.join("Cargo.toml");
    let text = sources.read(&path).ok_or(Error::NoManifest(path))?;
    let tables = tables(&text);
    let value = |header: &str, key: &str| {
        tables
            .iter()
            .find(|t| t.header == header)
            .and_then(|t| t.entries.get(key))
            .map(|v| unquote(v))
    };
    let name = value("package", "name").unwrap_or_else(|| dir.display().to_string());
    let lib_name = value("lib", "name").unwrap_or_else(|| name.replace('-', "_"));
    let mut targets = Vec::new();
    let lib = value("lib", "path").map_or_else(|| dir.join("src/lib.rs"), |p| dir.join(p));
    if sources.exists(&lib) {
        targets.push(Target {
            kind: Kind::Lib,
            root: lib,
        });
    }
    let declared = [
        ("bin", Kind::Bin),
        ("test", Kind::Test),
        ("bench", Kind::Bench),
    ];
    for (header, kind) in declared {
        for table in tables.iter().filter(|t| t.header == header) {
            if let Some(p) = table.entries.get("path") {
                targets.push(Target {
                    kind,
                    root: dir.join(unquote(p)),
                });
            }
        }
    }
    // The targets cargo discovers by their place, beside those the manifest declares.
    let mut discovered = Vec::new();
    if sources.exists(&dir.join("src/main.rs")) {
        discovered.push((Kind::Bin, dir.join("src/main.rs")));
    }
    for (folder, kind) in [
        ("src/bin", Kind::Bin),
        ("tests", Kind::Test),
        ("benches", Kind::Bench),
    ] {
        for root in sources.targets_in(&dir.join(folder)) {
            discovered.push((kind, root));
        }
    }
    for (kind, root) in discovered {
        if !targets.iter().any(|t| t.root == root) {
            targets.push(Target { kind, root });
        }
    }
    Ok(Package {
        name,
        lib_name,
        dir: dir.to_path_buf(),
        targets,
    })
}

/// A table of a manifest: `[header]` or one `[[header]]`, with its keys' raw values.
struct Table {
    header: String,
    entries: BTreeMap<String, String>,
}

/// The tables of a manifest. Manifests here are plain (keys, strings, booleans, inline
/// tables and arrays that may span lines), so a line reader is enough and costs no parser.
fn tables(text: &str) -> Vec<Table> {
    let mut out = vec![Table {
        header: String::new(),
        entries: BTreeMap::new(),
    }];
    let mut lines = text.lines().map(strip_comment);
    while let Some(line) = lines.next() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let header = header.trim_matches(|c| c == '[' || c == ']').trim();
            out.push(Table {
                header: header.to_string(),
                entries: BTreeMap::new(),
            });
        } else if let Some((key, value)) = line.split_once('=') {
            let mut value = value.trim().to_string();
            // An array goes on until its closing bracket.
            while value.starts_with('[') && value.matches('[').count() > value.matches(']').count()
            {
                let Some(next) = lines.next() else { break };
                value.push(' ');
                value.push_str(next.trim());
            }
            if let Some(table) = out.last_mut() {
                table.entries.insert(key.trim().to_string(), value);
            }
        }
    }
    out
}

/// The line without a `#` comment (a `#` inside a string stays).
fn strip_comment(line: &str) -> String {
    let mut quoted = false;
    for (at, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return line[..at].to_string(),
            _ => {}
        }
    }
    line.to_string()
}

/// A string value without its quotes.
fn unquote(value: &str) -> String {
    value.trim().trim_matches('"').to_string()
}

/// The strings of an array value.
fn strings(value: &str) -> Vec<String> {
    value
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_their_targets_are_read_and_discovered() {
        let sources = Sources::memory([
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\n  \"a\", # the first\n  \"b-c\",\n]\n",
            ),
            (
                "a/Cargo.toml",
                "[package]\nname = \"a\"\n[[test]]\nname = \"it\"\npath = \"tests/it/main.rs\"\n",
            ),
            ("a/src/lib.rs", ""),
            ("a/src/main.rs", ""),
            ("a/tests/it/main.rs", ""),
            ("a/tests/solo.rs", ""),
            (
                "b-c/Cargo.toml",
                "[package]\nname = \"b-c\"\n[lib]\npath = \"lib.rs\"\n",
            ),
            ("b-c/lib.rs", ""),
            ("b-c/benches/speed.rs", ""),
        ]);
        let packages = packages(&sources).unwrap();
        let a = &packages[0];
        let roots: Vec<_> = a.targets.iter().map(|t| (t.kind, t.root.clone())).collect();
        assert_eq!(
            roots,
            [
                (Kind::Lib, PathBuf::from("a/src/lib.rs")),
                (Kind::Test, PathBuf::from("a/tests/it/main.rs")),
                (Kind::Bin, PathBuf::from("a/src/main.rs")),
                (Kind::Test, PathBuf::from("a/tests/solo.rs")),
            ]
        );
        assert_eq!(packages[1].lib_name, "b_c");
        assert_eq!(packages[1].targets[0].root, PathBuf::from("b-c/lib.rs"));
        assert_eq!(packages[1].targets[1].kind, Kind::Bench);
    }
}
