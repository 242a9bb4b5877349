//! Check 3: only `net` frames HTTP. Outside the framer's folders no product code uses
//! another HTTP client (reqwest, httparse, hyper's or hyper-util's client), opens a TLS
//! client stream, decodes a chunk size, or holds the blank line that ends a head.

use std::path::Path;

use crate::model::{Module, TreeId, Workspace};
use crate::resolve::{Resolver, Target};
use crate::violation::Violation;

/// The folders (or, without `.rs`, files) where HTTP/1.1 is framed: the pure framer of
/// the core crate (`http1`) and the simulator's `net`, which drives it over sockets.
pub const FRAMERS: &[&str] = &["simulator/src/protocol/net", "proto/src/http1"];

/// Crates whose use outside the framers means HTTP is framed or sent another way.
const CLIENT_CRATES: &[&[&str]] = &[
    &["reqwest"],
    &["httparse"],
    &["hyper", "client"],
    &["hyper_util", "client"],
];

/// Names that mean a TLS client stream or a chunk size read by hand, whatever crate they
/// come from.
const WORDS: &[&str] = &["TlsConnector", "TlsStream", "from_str_radix"];

/// The end of a request or response head. Spelled byte by byte: as a literal it would be
/// the very thing this check reports in the analyser's own library.
#[allow(clippy::byte_char_slices)]
const END_OF_HEAD: &[u8] = &[b'\r', b'\n', b'\r', b'\n'];

/// HTTP framed outside [`FRAMERS`].
pub fn only_net_frames_http(ws: &Workspace) -> Vec<Violation> {
    only_framers_frame_http(ws, FRAMERS)
}

/// HTTP framed outside `framers`, in every product tree.
pub fn only_framers_frame_http(ws: &Workspace, framers: &[&str]) -> Vec<Violation> {
    let resolver = Resolver::new(ws);
    let mut out = Vec::new();
    for tree in ws.product_trees() {
        for (id, module) in ws.trees[tree].modules.iter().enumerate() {
            if framers.iter().any(|f| is_under(&module.file, f)) {
                continue;
            }
            for (line, what) in findings(&resolver, tree, id, module) {
                out.push(Violation {
                    check: "http",
                    file: module.file.clone(),
                    line,
                    message: format!(
                        "{what}: only net frames HTTP and opens client streams; call net's client or framer instead"
                    ),
                });
            }
        }
    }
    out
}

/// Whether `file` is the framer `framer` (`x` stands for `x.rs` and `x/**`).
fn is_under(file: &Path, framer: &str) -> bool {
    file.starts_with(framer) || file == Path::new(&format!("{framer}.rs"))
}

/// What framing one module does, by line.
fn findings(
    resolver: &Resolver<'_>,
    tree: TreeId,
    id: usize,
    module: &Module,
) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut path = |written: &[String], target: Target, line: usize| {
        if let Target::External(segments) = target
            && let Some(client) = CLIENT_CRATES.iter().find(|c| {
                segments.starts_with(&c.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            })
        {
            out.push((
                line,
                format!("`{}` uses {}", written.join("::"), client.join("::")),
            ));
        } else if let Some(word) = written.iter().find(|s| WORDS.contains(&s.as_str())) {
            out.push((line, format!("`{}` names {word}", written.join("::"))));
        }
    };
    for name in &module.names {
        path(
            &name.path,
            resolver.resolve(tree, id, &name.path),
            name.line,
        );
    }
    for (index, import) in module.imports.iter().enumerate() {
        path(&import.path, resolver.import(tree, id, index), import.line);
    }
    for word in module
        .words
        .iter()
        .filter(|w| WORDS.contains(&w.text.as_str()))
    {
        out.push((word.line, format!("`{}` is named", word.text)));
    }
    for literal in &module.literals {
        if literal
            .value
            .windows(END_OF_HEAD.len())
            .any(|w| w == END_OF_HEAD)
        {
            out.push((
                literal.line,
                "a literal holds the blank line that ends an HTTP head".to_string(),
            ));
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::one_crate;

    fn check(file: &str) -> Vec<Violation> {
        let ws = one_crate(&[
            ("a/src/lib.rs", "mod net;\nmod push;\n"),
            (
                "a/src/net.rs",
                "pub fn head() -> &'static [u8] { b\"\\r\\n\\r\\n\" }\npub use tokio_rustls::TlsConnector;\n",
            ),
            ("a/src/push.rs", file),
        ]);
        only_framers_frame_http(&ws, &["a/src/net"])
    }

    #[test]
    fn every_spelling_of_the_end_of_a_head_is_found_outside_net_only() {
        for planted in [
            "fn f() -> &'static str { \"HTTP/1.1 200 OK\\r\\n\\r\\n\" }",
            "fn f() -> &'static [u8] { b\"\\r\\n\\r\\n\" }",
            "fn f() -> &'static std::ffi::CStr { c\"\\r\\n\\r\\n\" }",
            "fn f(w: &mut String) { let _ = write!(w, \"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n\"); }",
            "fn f() -> String { format!(\"{}\\r\\n\\r\\n\", 1) }",
            "fn f() -> bool { matches!(b\"\\r\\n\\r\\n\", [13, ..]) }",
        ] {
            let found = check(planted);
            assert_eq!(found.len(), 1, "{planted}: {found:?}");
            assert_eq!(found[0].file, Path::new("a/src/push.rs"));
            assert!(
                found[0]
                    .message
                    .starts_with("a literal holds the blank line"),
                "{}",
                found[0]
            );
        }
        assert_eq!(check("fn f() -> &'static str { \"\\r\\n\" }"), []);
        assert_eq!(
            check("#[cfg(test)]\nmod tests { const H: &str = \"\\r\\n\\r\\n\"; }"),
            []
        );
    }

    #[test]
    fn client_libraries_tls_streams_and_chunk_sizes_are_found_through_imports() {
        for (planted, said) in [
            ("use reqwest::Client;", "uses reqwest"),
            ("fn f() { let _ = reqwest::get(\"x\"); }", "uses reqwest"),
            ("use hyper::client::conn::http1;", "uses hyper::client"),
            (
                "use hyper_util::client::legacy as c;\nfn f() -> c::Client { c::Client::new() }",
                "uses hyper_util::client",
            ),
            (
                "use httparse as parse;\nfn f() { let _ = parse::Request::new(&mut []); }",
                "uses httparse",
            ),
            (
                "fn f(s: &str) -> u32 { u32::from_str_radix(s, 16).unwrap_or(0) }",
                "names from_str_radix",
            ),
            ("fn f(c: crate::net::TlsConnector) {}", "names TlsConnector"),
            ("use tokio_rustls::client::TlsStream;", "names TlsStream"),
        ] {
            let found = check(planted);
            assert!(
                !found.is_empty() && found[0].message.contains(said),
                "{planted}: {found:?}"
            );
        }
        assert_eq!(
            check("use hyper::server::conn::http1;\nuse crate::net::head;"),
            []
        );
    }
}
