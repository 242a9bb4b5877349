//! Check 6: each module and item of a library has one public path. A module reachable
//! through a chain of `pub mod` and also through a `pub use` has two, and a glob `pub use`
//! of a public module gives every item in it a second one.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use crate::model::{ModId, TreeId, Vis, Workspace};
use crate::resolve::{Resolver, Target};
use crate::violation::Violation;

/// What has a public path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Module(ModId),
    Item(ModId, String),
}

/// A public path and the declaration that makes it.
#[derive(Debug, Clone)]
struct Place {
    path: String,
    file: PathBuf,
    line: usize,
}

/// Every module or item of a library with more than one public path, and every glob
/// `pub use` of a public module.
pub fn one_public_path(ws: &Workspace) -> Vec<Violation> {
    let mut out = Vec::new();
    for lib in ws.libraries() {
        let mut walk = Walk::new(ws, lib);
        walk.run(false);
        let public: BTreeSet<ModId> = walk
            .places
            .keys()
            .filter_map(|k| match k {
                Key::Module(m) => Some(*m),
                Key::Item(..) => None,
            })
            .collect();
        let mut walk = Walk::new(ws, lib);
        walk.globs = Some(public);
        walk.run(true);
        out.append(&mut walk.violations);
        for (key, places) in &walk.places {
            let [first, second, ..] = places.as_slice() else {
                continue;
            };
            let (what, fix) = match key {
                Key::Module(_) => (
                    "module",
                    "make the `pub mod` pub(crate) or drop the `pub use`",
                ),
                Key::Item(..) => ("item", "drop the `pub use` or make the module pub(crate)"),
            };
            out.push(Violation {
                check: "paths",
                file: second.file.clone(),
                line: second.line,
                message: format!(
                    "{what} `{}` is public as `{}` and as `{}`; keep one path ({fix})",
                    first.path.rsplit("::").next().unwrap_or_default(),
                    first.path,
                    second.path
                ),
            });
        }
    }
    out
}

/// A breadth-first walk of a library's public paths from its root.
struct Walk<'a> {
    ws: &'a Workspace,
    resolver: Resolver<'a>,
    lib: TreeId,
    places: BTreeMap<Key, Vec<Place>>,
    queue: VecDeque<(ModId, String)>,
    /// In the second walk, the modules public without globs: a glob of one is a violation.
    globs: Option<BTreeSet<ModId>>,
    violations: Vec<Violation>,
}

impl<'a> Walk<'a> {
    fn new(ws: &'a Workspace, lib: TreeId) -> Self {
        Walk {
            ws,
            resolver: Resolver::new(ws),
            lib,
            places: BTreeMap::new(),
            queue: VecDeque::new(),
            globs: None,
            violations: Vec::new(),
        }
    }

    fn run(&mut self, globs: bool) {
        let name = self.ws.packages[self.ws.trees[self.lib].package]
            .lib_name
            .clone();
        self.queue.push_back((0, name));
        while let Some((module, prefix)) = self.queue.pop_front() {
            self.members(module, &prefix, globs, 0);
        }
    }

    /// Records a public path; a module is walked from its first path only, so a second
    /// path is reported once and not again for everything below it.
    fn reach(&mut self, key: Key, path: String, file: &Path, line: usize) {
        let places = self.places.entry(key.clone()).or_default();
        if places.iter().any(|p| p.path == path) {
            return;
        }
        places.push(Place {
            path: path.clone(),
            file: file.to_path_buf(),
            line,
        });
        if let (Key::Module(m), 1) = (key, places.len()) {
            self.queue.push_back((m, path));
        }
    }

    /// The public members of `module`, reached as `prefix::name`.
    fn members(&mut self, module: ModId, prefix: &str, globs: bool, depth: usize) {
        let ws = self.ws;
        let m = &ws.trees[self.lib].modules[module];
        for (name, &child) in &m.children {
            let c = &ws.trees[self.lib].modules[child];
            if c.vis == Some(Vis::Pub) {
                self.reach(
                    Key::Module(child),
                    format!("{prefix}::{name}"),
                    &m.file,
                    c.line,
                );
            }
        }
        for def in m.defs.iter().filter(|d| d.vis == Vis::Pub && !d.is_macro) {
            let key = Key::Item(module, def.name.clone());
            self.reach(key, format!("{prefix}::{}", def.name), &m.file, def.line);
        }
        for (index, import) in m.imports.iter().enumerate() {
            if import.vis != Vis::Pub {
                continue;
            }
            let target = self.resolver.import(self.lib, module, index);
            match (&import.name, target) {
                (Some(name), Target::Module(t, c)) if t == self.lib => {
                    self.reach(
                        Key::Module(c),
                        format!("{prefix}::{name}"),
                        &m.file,
                        import.line,
                    );
                }
                (Some(name), Target::Item(t, d, item)) if t == self.lib => {
                    self.reach(
                        Key::Item(d, item),
                        format!("{prefix}::{name}"),
                        &m.file,
                        import.line,
                    );
                }
                (None, Target::Module(t, g)) if t == self.lib && globs && depth < 8 => {
                    if self
                        .globs
                        .as_ref()
                        .is_some_and(|public| public.contains(&g))
                    {
                        let tree = &ws.trees[self.lib];
                        self.violations.push(Violation {
                            check: "paths",
                            file: m.file.clone(),
                            line: import.line,
                            message: format!(
                                "`pub use {}::*` re-exports the public module {} by glob, giving each of its items a second path; name the items, or make the module pub(crate)",
                                import.path.join("::"),
                                tree.path_of(g)
                            ),
                        });
                    } else {
                        self.members(g, prefix, globs, depth + 1);
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::one_crate;

    #[test]
    fn a_module_public_through_pub_mod_and_pub_use_is_reported_once() {
        let found = one_public_path(&one_crate(&[
            (
                "a/src/lib.rs",
                "pub mod core;\npub use core::wire;\npub use core::seed::Seed;\n",
            ),
            ("a/src/core/mod.rs", "pub mod wire;\npub(crate) mod seed;\n"),
            ("a/src/core/wire.rs", "pub struct Record;\n"),
            ("a/src/core/seed.rs", "pub struct Seed;\n"),
        ]));
        let said: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            said,
            [
                "[paths] a/src/core/mod.rs:1: module `wire` is public as `a::wire` and as `a::core::wire`; keep one path (make the `pub mod` pub(crate) or drop the `pub use`)"
            ]
        );
    }

    #[test]
    fn a_glob_re_export_of_a_public_module_is_reported_and_of_a_private_one_is_not() {
        let found = one_public_path(&one_crate(&[
            ("a/src/lib.rs", "pub mod wire;\n"),
            (
                "a/src/wire/mod.rs",
                "pub mod record;\nmod auth;\npub use record::*;\npub use auth::*;\n",
            ),
            ("a/src/wire/record.rs", "pub struct Record;\n"),
            ("a/src/wire/auth.rs", "pub struct Login;\n"),
        ]));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].file.to_str(), found[0].line),
            (Some("a/src/wire/mod.rs"), 3)
        );
        assert!(
            found[0].message.starts_with(
                "`pub use record::*` re-exports the public module crate::wire::record"
            ),
            "{}",
            found[0]
        );
    }

    #[test]
    fn an_item_re_exported_beside_its_public_module_has_two_paths() {
        let found = one_public_path(&one_crate(&[
            (
                "a/src/lib.rs",
                "pub mod report;\npub use report::RunReport;\n",
            ),
            ("a/src/report.rs", "pub struct RunReport;\n"),
        ]));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.starts_with(
                "item `RunReport` is public as `a::RunReport` and as `a::report::RunReport`"
            ),
            "{}",
            found[0]
        );
    }
}
