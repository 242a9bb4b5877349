//! Check 2: layers by path. A layer is a set of files (a folder, or every module of a given
//! name wherever it lives) that may use nothing of its crate outside itself; the layers are
//! data, so that moving the core into a crate of its own changes one line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::graph;
use crate::model::{TreeId, Workspace};
use crate::violation::Violation;

/// Which files a layer holds.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// Every file below this folder (relative to the workspace root).
    Dir(&'static str),
    /// Every file of every module with this name, and of the modules below it, in any tree.
    Module(&'static str),
}

/// A set of files that uses nothing of its crate outside itself.
#[derive(Debug, Clone, Copy)]
pub struct Layer {
    /// The files.
    pub scope: Scope,
    /// What the layer is, for the messages (`the protocol core`).
    pub what: &'static str,
}

/// The layers of ARCHITECTURE.md: the protocol core sits under everything else of its
/// crate, and `wire` under everything else of the core.
pub const LAYERS: &[Layer] = &[
    Layer {
        scope: Scope::Dir("simulator/src/protocol"),
        what: "the protocol core (simulator/src/protocol/)",
    },
    Layer {
        scope: Scope::Module("wire"),
        what: "the wire module",
    },
];

/// The edges leaving each of [`LAYERS`].
pub fn layers(ws: &Workspace) -> Vec<Violation> {
    layers_of(ws, LAYERS)
}

/// The edges leaving each of `layers`, in every product tree: one violation per pair of
/// files, at the first line that shows it.
pub fn layers_of(ws: &Workspace, layers: &[Layer]) -> Vec<Violation> {
    let mut out = Vec::new();
    for tree in ws.product_trees() {
        let edges = graph::edges(ws, tree);
        for layer in layers {
            let inside = files(ws, tree, layer.scope);
            if inside.is_empty() {
                continue;
            }
            for edge in edges
                .iter()
                .filter(|e| inside.contains(&e.from) && !inside.contains(&e.to))
            {
                out.push(Violation {
                    check: "layers",
                    file: edge.from.clone(),
                    line: edge.line,
                    message: format!(
                        "`{}` reaches {} outside {}, which uses nothing of its crate outside itself; move what it needs into it or hand it in from above",
                        edge.name,
                        edge.to.display(),
                        layer.what,
                    ),
                });
            }
        }
    }
    out
}

/// The files of `tree` a scope holds.
fn files(ws: &Workspace, tree: TreeId, scope: Scope) -> BTreeSet<PathBuf> {
    let modules = &ws.trees[tree].modules;
    match scope {
        Scope::Dir(dir) => modules
            .iter()
            .map(|m| m.file.clone())
            .filter(|f| f.starts_with(Path::new(dir)))
            .collect(),
        Scope::Module(name) => {
            let roots: Vec<usize> = (0..modules.len())
                .filter(|&m| modules[m].name == name)
                .collect();
            (0..modules.len())
                .filter(|&m| roots.iter().any(|&r| ws.trees[tree].is_within(m, r)))
                .map(|m| modules[m].file.clone())
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::one_crate;

    const PLANTED: &[Layer] = &[
        Layer {
            scope: Scope::Dir("a/src/core"),
            what: "core",
        },
        Layer {
            scope: Scope::Module("wire"),
            what: "wire",
        },
    ];

    #[test]
    fn a_core_file_naming_a_file_above_the_core_is_reported_by_path_not_name() {
        let found = layers_of(
            &one_crate(&[
                (
                    "a/src/lib.rs",
                    "mod core;\nmod device;\npub use core::wire;\n",
                ),
                ("a/src/core/mod.rs", "pub mod wire;\npub mod seed;\n"),
                (
                    "a/src/core/seed.rs",
                    "pub fn seed() -> u64 { crate::device::ID }\n",
                ),
                ("a/src/core/wire.rs", "pub struct Record;\n"),
                (
                    "a/src/device.rs",
                    "pub const ID: u64 = 1;\npub use crate::wire::Record;\n",
                ),
            ]),
            PLANTED,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].file, PathBuf::from("a/src/core/seed.rs"));
        assert!(
            found[0]
                .message
                .starts_with("`crate::device::ID` reaches a/src/device.rs outside core"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn the_wire_module_naming_its_sibling_through_a_re_export_is_reported_wherever_it_lives() {
        let found = layers_of(
            &one_crate(&[
                ("a/src/lib.rs", "mod core;\npub use core::{seed, wire};\n"),
                ("a/src/core/mod.rs", "pub mod wire;\npub mod seed;\n"),
                ("a/src/core/seed.rs", "pub fn seed() -> u64 { 1 }\n"),
                ("a/src/core/wire/mod.rs", "mod record;\n"),
                (
                    "a/src/core/wire/record.rs",
                    "use crate::seed::seed;\npub fn id() -> u64 { seed() }\n",
                ),
            ]),
            PLANTED,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].file, PathBuf::from("a/src/core/wire/record.rs"));
        assert!(found[0].message.contains("outside wire"), "{}", found[0]);
    }
}
