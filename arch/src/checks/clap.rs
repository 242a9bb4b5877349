//! Check 4: only the binaries see clap. No file of a library tree names the command-line
//! parser: not in a path, a `use`, a derive or a clap attribute. The one exception is the
//! crate of the binaries' shared flags (`COMMAND_LINE`), which is the binaries' own: no
//! other library may name it either, so clap still reaches only the binaries.

use crate::model::Workspace;
use crate::resolve::{Resolver, Target};
use crate::violation::Violation;

/// The attributes clap's derives read; no other derive of the workspace takes them.
const CLAP_ATTRIBUTES: &[&str] = &["clap", "command", "arg", "value"];

/// The libraries that hold the pieces of command line both binaries share: they may use
/// clap, and only binaries may use them.
pub const COMMAND_LINE: &[&str] = &["facesim_cli"];

/// Every mention of clap, or of a [`COMMAND_LINE`] crate, in a library tree.
pub fn only_the_binaries_see_clap(ws: &Workspace) -> Vec<Violation> {
    only_binaries_see_clap_and(ws, COMMAND_LINE)
}

/// Every mention of clap, or of a crate of `command_line`, in a library tree other than
/// those crates'.
pub fn only_binaries_see_clap_and(ws: &Workspace, command_line: &[&str]) -> Vec<Violation> {
    let resolver = Resolver::new(ws);
    let mut out = Vec::new();
    let libraries = ws
        .libraries()
        .filter(|&t| !command_line.contains(&ws.packages[ws.trees[t].package].lib_name.as_str()));
    for tree in libraries {
        for (id, module) in ws.trees[tree].modules.iter().enumerate() {
            let mut found = Vec::new();
            let is_clap = |target: Target| matches!(target, Target::External(s) if s[0] == "clap" || command_line.contains(&s[0].as_str()));
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
            for word in module
                .words
                .iter()
                .filter(|w| w.text == "clap" || command_line.contains(&w.text.as_str()))
            {
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
                        "{what} is the command line in a library; parse it in the binary (main.rs, app/) and hand the library a config"
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
            "use facesim_cli::TrustArgs;\npub struct Config { pub trust: TrustArgs }",
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

    #[test]
    fn the_crate_of_the_shared_flags_may_use_clap() {
        let ws = one_crate(&[
            ("a/src/lib.rs", "pub mod flags;\n"),
            (
                "a/src/flags.rs",
                "use clap::Args;\n#[derive(Args)]\npub struct Flags { #[arg(long)] pub x: u8 }\n",
            ),
        ]);
        assert_eq!(only_binaries_see_clap_and(&ws, &["a"]), []);
        assert_eq!(only_binaries_see_clap_and(&ws, &[]).len(), 3);
    }
}
