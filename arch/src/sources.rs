//! Where the analyser reads files from: the disk under a workspace root, or a map of paths to
//! texts, so that a unit test can plant a violation in a tree that exists only in memory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A read-only view of a workspace's files, by paths relative to its root.
#[derive(Debug, Clone)]
pub enum Sources {
    /// Files on disk below this directory.
    Disk(PathBuf),
    /// Files held in memory, keyed by their path relative to the workspace root.
    Memory(BTreeMap<PathBuf, String>),
}

impl Sources {
    /// A workspace in memory, from `(path, text)` pairs.
    pub fn memory<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Sources::Memory(
            files
                .into_iter()
                .map(|(path, text)| (PathBuf::from(path), text.to_string()))
                .collect(),
        )
    }

    /// The text of the file at `path`, if there is one.
    pub fn read(&self, path: &Path) -> Option<String> {
        match self {
            Sources::Disk(root) => std::fs::read_to_string(root.join(path)).ok(),
            Sources::Memory(files) => files.get(path).cloned(),
        }
    }

    /// Whether a file exists at `path`.
    pub fn exists(&self, path: &Path) -> bool {
        match self {
            Sources::Disk(root) => root.join(path).is_file(),
            Sources::Memory(files) => files.contains_key(path),
        }
    }

    /// The paths of the files directly in `dir` and of the `main.rs` files one folder below
    /// it, sorted: what cargo looks at when it discovers test, bench and binary targets.
    pub fn targets_in(&self, dir: &Path) -> Vec<PathBuf> {
        let mut found = Vec::new();
        match self {
            Sources::Disk(root) => {
                let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                    return found;
                };
                for entry in entries.flatten() {
                    let name = PathBuf::from(entry.file_name());
                    let path = dir.join(&name);
                    if entry.path().is_dir() {
                        if self.exists(&path.join("main.rs")) {
                            found.push(path.join("main.rs"));
                        }
                    } else if name.extension().is_some_and(|e| e == "rs") {
                        found.push(path);
                    }
                }
            }
            Sources::Memory(files) => {
                for path in files.keys() {
                    let Ok(rest) = path.strip_prefix(dir) else {
                        continue;
                    };
                    let parts: Vec<_> = rest.components().collect();
                    let direct = parts.len() == 1 && rest.extension().is_some_and(|e| e == "rs");
                    let folder = parts.len() == 2 && rest.ends_with("main.rs");
                    if direct || folder {
                        found.push(path.clone());
                    }
                }
            }
        }
        found.sort();
        found
    }
}
