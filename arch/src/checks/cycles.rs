//! Check 1: no circle of files in any library or binary of the workspace.

use crate::graph;
use crate::model::Workspace;
use crate::violation::Violation;

/// Every circle of files in the product trees (each library and binary of every member):
/// one violation per strongly connected set of files, naming them all.
pub fn no_cycles(ws: &Workspace) -> Vec<Violation> {
    let mut out = Vec::new();
    for tree in ws.product_trees() {
        for cycle in graph::cycles(&graph::edges(ws, tree)) {
            let names: Vec<String> = cycle.iter().map(|f| f.display().to_string()).collect();
            out.push(Violation {
                check: "cycles",
                file: cycle[0].clone(),
                line: 0,
                message: format!(
                    "{} files use each other in a circle ({}); move what they share into a file that uses none of them",
                    cycle.len(),
                    names.join(", ")
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::one_crate;

    fn check(files: &[(&str, &str)]) -> Vec<Violation> {
        no_cycles(&one_crate(files))
    }

    #[test]
    fn a_child_using_its_parent_that_re_exports_it_is_a_circle() {
        let found = check(&[
            ("a/src/lib.rs", "mod wire;\npub use wire::Record;\n"),
            (
                "a/src/wire/mod.rs",
                "mod record;\npub use record::*;\npub struct Version;\n",
            ),
            (
                "a/src/wire/record.rs",
                "pub struct Record { v: super::Version }\n",
            ),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .message
                .contains("a/src/wire/mod.rs, a/src/wire/record.rs"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn a_circle_through_use_declarations_and_paths_is_found_and_tests_are_not_read() {
        let found = check(&[
            ("a/src/lib.rs", "mod a;\nmod b;\nmod c;\n"),
            ("a/src/a.rs", "use crate::b::B;\npub struct A(B);\n"),
            (
                "a/src/b.rs",
                "pub struct B;\nfn f() -> crate::c::C { crate::c::C }\n",
            ),
            (
                "a/src/c.rs",
                "pub struct C;\nimpl C { fn g() { let _ = super::a::A; } }\n",
            ),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.starts_with("3 files"), "{}", found[0]);
        let clean = check(&[
            ("a/src/lib.rs", "mod a;\nmod b;\n"),
            (
                "a/src/a.rs",
                "pub struct A;\n#[cfg(test)]\nmod tests { use crate::b::B; }\n",
            ),
            ("a/src/b.rs", "pub struct B(crate::a::A);\n"),
        ]);
        assert_eq!(clean, []);
    }
}
