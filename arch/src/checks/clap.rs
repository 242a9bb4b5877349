//! Check 4: only the binaries see clap. No file of a library tree names the command-line
//! parser: not in a path, a `use`, a derive or a clap attribute.

use crate::model::Workspace;
use crate::resolve::{Resolver, Target};
use crate::violation::Violation;

/// The attributes clap's derives read; no other derive of the workspace takes them.
const CLAP_ATTRIBUTES: &[&str] = &["clap", "command", "arg", "value"];

/// Every mention of clap in a library tree.
pub fn only_the_binaries_see_clap(ws: &Workspace) -> Vec<Violation> {
    let resolver = Resolver::new(ws);
    let mut out = Vec::new();
    for tree in ws.libraries() {
        for (id, module) in ws.trees[tree].modules.iter().enumerate() {
            let mut found = Vec::new();
            let is_clap = |target: Target| matches!(target, Target::External(s) if s[0] == "clap");
            for name in &module.names {
                if is_clap(resolver.resolve(tree, id, &name.path)) {
                    found.push((name.line, format!("`{}`", name.path.join("::"))));
                }
            }
            for (index, import) in module.imports.iter().enumerate() {
                if is_clap(resolver.import(tree, id, index)) {
                    found.push((import.line, format!("`use {}`", import.path.join("::"))));
                }
            }
            for attribute in &module.attributes {
                if CLAP_ATTRIBUTES.contains(&attribute.text.as_str()) {
                    found.push((attribute.line, format!("`#[{}]`", attribute.text)));
                }
            }
            for word in module.words.iter().filter(|w| w.text == "clap") {
                found.push((word.line, "`clap`".to_string()));
            }
            found.sort();
            found.dedup_by(|a, b| a.0 == b.0);
            for (line, what) in found {
                out.push(Violation {
                    check: "clap",
                    file: module.file.clone(),
                    line,
                    message: format!(
                        "{what} is clap in a library; parse the command line in the binary (main.rs, app/) and hand the library a config"
                    ),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::one_crate;

    fn check(file: &str) -> Vec<Violation> {
        let ws = one_crate(&[
            ("a/src/lib.rs", "pub mod config;\n"),
            ("a/src/config.rs", file),
            ("a/src/main.rs", "mod app;\nfn main() {}\n"),
            (
                "a/src/app.rs",
                "use clap::Parser;\n#[derive(Parser)]\n#[command(version)]\npub struct Cli { #[arg(long)] pub x: u8 }\n",
            ),
        ]);
        only_the_binaries_see_clap(&ws)
    }

    #[test]
    fn clap_in_a_library_is_found_in_each_form_and_the_binary_may_use_it() {
        for planted in [
            "use clap::Parser;",
            "use clap as c;\npub fn f() -> c::Command { c::Command::new(\"x\") }",
            "#[derive(Debug, clap::ValueEnum)]\npub enum Mode { A }",
            "#[derive(Debug)]\npub struct Config { #[arg(long)] pub x: u8 }",
            "pub struct Config;\nimpl Config { pub fn f() { clap::Command::new(\"x\"); } }",
            "pub fn f() { let _ = vec![clap::Command::new(\"x\")]; }",
            "pub fn f() { tracing::info!(x = ?clap::ColorChoice::Auto, \"x\"); }",
        ] {
            let found = check(planted);
            assert!(!found.is_empty(), "{planted}: nothing found");
            assert!(
                found.iter().all(|v| v.file.ends_with("config.rs")),
                "{planted}: {found:?}"
            );
        }
        assert_eq!(
            check(
                "/// Parsed by clap in the binary.\npub struct Config;\n#[cfg(test)]\nmod tests { use clap::Parser; }"
            ),
            []
        );
    }
}
