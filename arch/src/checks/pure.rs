//! Check 7: the core does no I/O and reads no clock. The core crate's library (`CORE`)
//! names nothing of the file system, the network, processes, threads, the environment or
//! the wall and monotonic clocks, and no async runtime: its functions are pure, so every
//! layer above can run them anywhere and tests need neither sockets nor time. (That the
//! core uses nothing of the crates above it is the compiler's to hold: it depends on none
//! of them.)

use crate::model::Workspace;
use crate::resolve::{Resolver, Target};
use crate::violation::Violation;

/// The core crates, by library name.
pub const CORE: &[&str] = &["facesim_proto"];

/// What the core may not name: the prefixes of paths that do I/O or read a clock.
const IMPURE: &[&[&str]] = &[
    &["std", "fs"],
    &["std", "net"],
    &["std", "io"],
    &["std", "process"],
    &["std", "env"],
    &["std", "thread"],
    &["std", "time", "SystemTime"],
    &["std", "time", "Instant"],
    &["std", "time", "UNIX_EPOCH"],
    &["tokio"],
];

/// Every path of a core library that does I/O or reads a clock.
pub fn the_core_is_pure(ws: &Workspace) -> Vec<Violation> {
    the_crates_are_pure(ws, CORE)
}

/// Every path of the libraries named in `core` that does I/O or reads a clock.
pub fn the_crates_are_pure(ws: &Workspace, core: &[&str]) -> Vec<Violation> {
    let resolver = Resolver::new(ws);
    let mut out = Vec::new();
    let trees = ws
        .libraries()
        .filter(|&t| core.contains(&ws.packages[ws.trees[t].package].lib_name.as_str()));
    for tree in trees {
        for (id, module) in ws.trees[tree].modules.iter().enumerate() {
            let mut found = Vec::new();
            let impure = |target: Target| match target {
                Target::External(segments) => IMPURE
                    .iter()
                    .find(|prefix| {
                        segments.len() >= prefix.len()
                            && segments.iter().zip(prefix.iter()).all(|(s, p)| s == p)
                    })
                    .map(|prefix| prefix.join("::")),
                _ => None,
            };
            for name in &module.names {
                if let Some(what) = impure(resolver.resolve(tree, id, &name.path)) {
                    found.push((name.line, format!("`{}` is {what}", name.path.join("::"))));
                }
            }
            for (index, import) in module.imports.iter().enumerate() {
                if let Some(what) = impure(resolver.import(tree, id, index)) {
                    found.push((
                        import.line,
                        format!("`use {}` is {what}", import.path.join("::")),
                    ));
                }
            }
            found.sort();
            found.dedup_by(|a, b| a.0 == b.0);
            for (line, what) in found {
                out.push(Violation {
                    check: "pure",
                    file: module.file.clone(),
                    line,
                    message: format!(
                        "{what}: the core does no I/O and reads no clock; take the bytes or the time as an argument from the layer above"
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
        let ws = one_crate(&[("a/src/lib.rs", "pub mod wire;\n"), ("a/src/wire.rs", file)]);
        the_crates_are_pure(&ws, &["a"])
    }

    #[test]
    fn files_sockets_clocks_and_runtimes_in_the_core_are_found_in_each_form() {
        for planted in [
            "pub fn f() -> Vec<u8> { std::fs::read(\"x\").unwrap() }",
            "use std::net::TcpStream;\npub fn f(_: TcpStream) {}",
            "use std::time::{Duration, SystemTime};\npub fn f() -> Duration { SystemTime::now().elapsed().unwrap() }",
            "use std::time as t;\npub fn f() -> t::Instant { t::Instant::now() }",
            "pub async fn f() { tokio::task::yield_now().await }",
            "use std::io::Read;\npub fn f(mut r: impl Read) { let _ = r.read(&mut []); }",
        ] {
            let found = check(planted);
            assert!(!found.is_empty(), "{planted}: nothing found");
        }
        assert_eq!(
            check(
                "use std::time::Duration;\npub fn f(d: Duration) -> u128 { d.as_millis() }\n#[cfg(test)]\nmod tests { use std::fs; }"
            ),
            []
        );
        // Another crate than the core may do I/O.
        let ws = one_crate(&[(
            "a/src/lib.rs",
            "pub fn f() { let _ = std::fs::read(\"x\"); }",
        )]);
        assert_eq!(the_crates_are_pure(&ws, &["b"]), []);
    }
}
