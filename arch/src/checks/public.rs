//! Check 5: a module is `pub` only when something outside its crate's library names it: the
//! crate's binaries, another workspace crate, the integration tests or the benches. Names
//! are resolved, so `facesim::wire::Record` names `wire` (wherever `wire` lives) but not
//! the folder the crate root re-exports it from.

use std::collections::BTreeSet;

use crate::model::{ModId, TreeId, Vis, Workspace};
use crate::resolve::Resolver;
use crate::violation::Violation;

/// Every `pub mod` of a library that no other tree names.
pub fn public_only_when_used_outside(ws: &Workspace) -> Vec<Violation> {
    let named = named_from_outside(ws);
    let mut out = Vec::new();
    for lib in ws.libraries() {
        let tree = &ws.trees[lib];
        for (id, module) in tree.modules.iter().enumerate() {
            if module.vis != Some(Vis::Pub) || named.contains(&(lib, id)) {
                continue;
            }
            let parent = module.parent.unwrap_or(0);
            out.push(Violation {
                check: "public",
                file: tree.modules[parent].file.clone(),
                line: module.line,
                message: format!(
                    "`pub mod {}` ({}): nothing outside the library names it; make it pub(crate)",
                    module.name,
                    tree.path_of(id)
                ),
            });
        }
    }
    out
}

/// The modules of every tree that some other tree's code names, by the modules its paths'
/// segments land on.
fn named_from_outside(ws: &Workspace) -> BTreeSet<(TreeId, ModId)> {
    let resolver = Resolver::new(ws);
    let mut named = BTreeSet::new();
    for (outside, tree) in ws.trees.iter().enumerate() {
        for (id, module) in tree.modules.iter().enumerate() {
            let mut steps = Vec::new();
            for name in &module.names {
                steps.extend(resolver.resolve_steps(outside, id, &name.path).1);
            }
            for index in 0..module.imports.len() {
                steps.extend(resolver.import_steps(outside, id, index).1);
            }
            named.extend(steps.into_iter().filter(|&(t, _)| t != outside));
        }
    }
    named
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::one_crate;

    const LIB: &str = "mod core;\npub mod load;\npub mod report;\npub use core::wire;\n";

    fn check(main: &str) -> Vec<Violation> {
        let ws = one_crate(&[
            ("a/src/lib.rs", LIB),
            ("a/src/core/mod.rs", "pub mod wire;\n"),
            ("a/src/core/wire.rs", "pub struct Record;\n"),
            ("a/src/load.rs", "pub fn run() {}\n"),
            ("a/src/report.rs", "pub fn write() {}\n"),
            ("a/src/main.rs", main),
            ("a/tests/it.rs", "#[test]\nfn t() { a::load::run(); }\n"),
        ]);
        public_only_when_used_outside(&ws)
    }

    #[test]
    fn a_pub_module_no_other_tree_names_is_reported_and_a_substring_does_not_count() {
        let found = check("fn main() { let _ = \"a::report\"; let _: a::wire::Record; }\n");
        let said: Vec<&str> = found.iter().map(|v| v.message.as_str()).collect();
        assert_eq!(
            said,
            [
                "`pub mod report` (crate::report): nothing outside the library names it; make it pub(crate)"
            ]
        );
        assert_eq!(found[0].line, 3);
        // Named through an import of the binary, it may stay public; and `wire`, named
        // only through the root's re-export, does not make `core::wire`'s folder public.
        let found = check("use a::report as r;\nfn main() { r::write(); a::wire::Record; }\n");
        assert_eq!(found, []);
    }
}
