//! Growing the module trees: each target's tree from its root file through `mod x;`
//! declarations (and `#[path]`), inline `mod x { … }` blocks included. In the libraries and
//! binaries the items under `#[cfg(test)]` are skipped, and nothing else is; integration
//! tests and benches are compiled with `cfg(test)`, so there nothing is skipped.

use std::collections::HashMap;
use std::path::Path;

use syn::Item;
use syn::visit::Visit;

use crate::collect::{Collect, MacroDefs, definition, is_cfg_test, item_attrs, path_attribute};
use crate::model::{ModId, Module, Tree, Vis, Workspace};
use crate::sources::Sources;
use crate::workspace::{self, Error};

impl Workspace {
    /// Reads the workspace whose root manifest is `Cargo.toml` in `sources`.
    ///
    /// # Errors
    /// A missing manifest or module file, or a file that does not parse.
    pub fn load(sources: &Sources) -> Result<Self, Error> {
        let packages = workspace::packages(sources)?;
        let mut trees = Vec::new();
        for (index, package) in packages.iter().enumerate() {
            for target in &package.targets {
                let mut tree = Tree {
                    package: index,
                    kind: target.kind,
                    modules: vec![Module {
                        file: target.root.clone(),
                        ..Module::default()
                    }],
                };
                let dir = target.root.parent().unwrap_or(Path::new("")).to_path_buf();
                let mut loader = Loader {
                    sources,
                    tree: &mut tree,
                    skip_tests: target.kind.is_product(),
                    macros: HashMap::new(),
                };
                loader.file(0, &target.root, &dir)?;
                trees.push(tree);
            }
        }
        Ok(Workspace { packages, trees })
    }
}

/// A workspace of one member, `a` (library `a`), holding `files` besides the manifests:
/// the small trees the checks' unit tests plant violations in.
#[cfg(test)]
pub(crate) fn one_crate(files: &[(&str, &str)]) -> Workspace {
    let manifests = [
        ("Cargo.toml", "[workspace]\nmembers = [\"a\"]\n"),
        ("a/Cargo.toml", "[package]\nname = \"a\"\n"),
    ];
    let sources = Sources::memory(manifests.iter().chain(files).copied());
    Workspace::load(&sources).unwrap()
}

/// Grows one tree.
struct Loader<'a> {
    sources: &'a Sources,
    tree: &'a mut Tree,
    skip_tests: bool,
    /// The tree's `macro_rules!` macros by name, with the items they define.
    macros: HashMap<String, MacroDefs>,
}

impl Loader<'_> {
    /// Reads `file` as the body of `module`, whose child modules' files live in `dir`.
    fn file(&mut self, module: ModId, file: &Path, dir: &Path) -> Result<(), Error> {
        let text = self.sources.read(file).ok_or_else(|| Error::NoModuleFile {
            file: file.to_path_buf(),
            module: self.tree.modules[module].name.clone(),
            looked: file.display().to_string(),
        })?;
        let parsed = syn::parse_file(&text).map_err(|e| Error::Parse {
            file: file.to_path_buf(),
            message: format!("line {}: {e}", e.span().start().line),
        })?;
        self.items(module, &parsed.items, file, dir)
    }

    /// Records the items of `module` and reads its child modules.
    fn items(
        &mut self,
        module: ModId,
        items: &[Item],
        file: &Path,
        dir: &Path,
    ) -> Result<(), Error> {
        for item in items {
            if self.skip_tests && item_attrs(item).is_some_and(is_cfg_test) {
                continue;
            }
            match item {
                Item::Mod(m) => self.child(module, m, file, dir)?,
                Item::Macro(m) => {
                    // Items a macro defines are defined where it is invoked.
                    if let Some(name) = &m.ident {
                        self.macros
                            .insert(name.to_string(), MacroDefs::read(&m.mac.tokens));
                    } else if let Some(last) = m.mac.path.segments.last()
                        && let Some(defs) = self.macros.get(&last.ident.to_string())
                    {
                        let defs = defs.defs(&m.mac.tokens);
                        self.tree.modules[module].defs.extend(defs);
                    }
                    self.collect(module, item);
                }
                _ => self.collect(module, item),
            }
        }
        Ok(())
    }

    /// Records what a non-module item defines and names.
    fn collect(&mut self, module: ModId, item: &Item) {
        if let Some(def) = definition(item) {
            self.tree.modules[module].defs.push(def);
        }
        let mut collect = Collect {
            module: &mut self.tree.modules[module],
            skip_tests: self.skip_tests,
        };
        collect.visit_item(item);
    }

    /// Adds the child module `m` of `parent` and reads its items.
    fn child(
        &mut self,
        parent: ModId,
        m: &syn::ItemMod,
        file: &Path,
        dir: &Path,
    ) -> Result<(), Error> {
        let name = m.ident.to_string();
        let id = self.tree.modules.len();
        self.tree.modules.push(Module {
            name: name.clone(),
            parent: Some(parent),
            file: file.to_path_buf(),
            vis: Some(Vis::from(&m.vis)),
            line: m.ident.span().start().line,
            ..Module::default()
        });
        self.tree.modules[parent].children.insert(name.clone(), id);
        let mut collect = Collect {
            module: &mut self.tree.modules[id],
            skip_tests: self.skip_tests,
        };
        for attr in &m.attrs {
            collect.visit_attribute(attr);
        }
        let at = path_attribute(&m.attrs);
        if let Some((_, items)) = &m.content {
            let inner = at.map_or_else(|| dir.join(&name), |p| dir.join(p));
            return self.items(id, items, file, &inner);
        }
        let candidates = match at {
            Some(p) => vec![file.parent().unwrap_or(Path::new("")).join(p)],
            None => vec![
                dir.join(format!("{name}.rs")),
                dir.join(&name).join("mod.rs"),
            ],
        };
        let Some(found) = candidates.iter().find(|c| self.sources.exists(c)) else {
            return Err(Error::NoModuleFile {
                file: file.to_path_buf(),
                module: name,
                looked: candidates
                    .iter()
                    .map(|c| c.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        // A `mod.rs` keeps its children beside it; `x.rs` keeps them in `x/`.
        let child_dir = if found.ends_with("mod.rs") {
            found.parent().unwrap_or(Path::new("")).to_path_buf()
        } else {
            found.with_extension("")
        };
        self.tree.modules[id].file = found.clone();
        let found = found.clone();
        self.file(id, &found, &child_dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::Kind;

    #[test]
    fn only_the_items_under_cfg_test_are_skipped_and_module_files_are_found_every_way() {
        let ws = one_crate(&[
            (
                "a/src/lib.rs",
                "#[cfg(test)]\nmod tests;\n#[cfg(all(test, unix))]\nfn helper() { crate::gone(); }\nmod x;\n#[path = \"other/place.rs\"]\nmod y;\nmod z { pub mod w; }\npub fn after() { x::X; }\n",
            ),
            ("a/src/x/mod.rs", "pub struct X;\nmod inner;\n"),
            (
                "a/src/x/inner.rs",
                "#[cfg(test)]\nuse crate::y::Y;\nfn f() -> &'static str { \"kept\" }\n",
            ),
            ("a/src/other/place.rs", "pub struct Y;\n"),
            ("a/src/z/w.rs", "pub struct W;\n"),
            (
                "a/tests/it.rs",
                "#[cfg(test)]\nmod planted { fn t() { a::after(); } }\n",
            ),
        ]);
        let lib = &ws.trees[0];
        let files: Vec<&str> = lib
            .modules
            .iter()
            .map(|m| m.file.to_str().unwrap())
            .collect();
        assert_eq!(
            files,
            [
                "a/src/lib.rs",
                "a/src/x/mod.rs",
                "a/src/x/inner.rs",
                "a/src/other/place.rs",
                "a/src/lib.rs",
                "a/src/z/w.rs"
            ]
        );
        let root = &lib.modules[0];
        let named: Vec<String> = root.names.iter().map(|n| n.path.join("::")).collect();
        assert_eq!(
            named,
            ["x::X"],
            "the code after the test module is read, the test items are not"
        );
        assert_eq!(root.names[0].line, 9);
        let inner = &lib.modules[lib.module(&["x", "inner"]).unwrap()];
        assert!(inner.imports.is_empty());
        assert_eq!(inner.literals[0].value, b"kept");
        // An integration test is compiled with cfg(test): its test modules are its code.
        let it = &ws.trees[1];
        assert_eq!(it.kind, Kind::Test);
        assert_eq!(it.modules[1].names[0].path, ["a", "after"]);
    }
}
