//! One readable line out of a command-line parser's error text, for both binaries: what
//! the parser says before its usage block (the problem, the missing arguments, a tip),
//! joined, with a pointer to `--help`. Plain text in, plain text out: the library never
//! sees the parser's types.

/// The one line a binary prints for a usage error rendered as `rendered`.
pub fn one_line(rendered: &str) -> String {
    let mut line = String::new();
    for part in rendered
        .lines()
        .take_while(|l| !l.starts_with("Usage:"))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
    {
        if !line.is_empty() {
            line.push_str(if line.ends_with(':') { " " } else { "; " });
        }
        line.push_str(part);
    }
    let line = line.strip_prefix("error: ").unwrap_or(&line);
    format!("{line} (see --help)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_problem_and_the_tip_make_one_line() {
        let rendered = "error: unexpected argument '--rat' found\n\n  tip: a similar argument exists: '--rate'\n\nUsage: facesim device [OPTIONS]\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(rendered),
            "unexpected argument '--rat' found; tip: a similar argument exists: '--rate' (see --help)"
        );
        let missing = "error: the following required arguments were not provided:\n  --to <URL>\n\nUsage: x\n";
        assert_eq!(
            one_line(missing),
            "the following required arguments were not provided: --to <URL> (see --help)"
        );
    }

    /// Every `.rs` file below `dir`.
    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The invariant of ARCHITECTURE.md: in both crates only the binary (`main.rs` and
    /// `app/`) names the command-line parser.
    #[test]
    fn only_the_binaries_see_clap() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for krate in [root.join("src"), root.join("../conformance/src")] {
            let mut files = Vec::new();
            sources(&krate, &mut files);
            assert!(
                files.len() > 10,
                "sources not found under {}",
                krate.display()
            );
            for file in files {
                let binary = file.starts_with(krate.join("app")) || file.ends_with("main.rs");
                let source = std::fs::read_to_string(&file).unwrap();
                let code = &source[..source.find("#[cfg(test)]").unwrap_or(source.len())];
                assert!(
                    binary || !code.contains("clap"),
                    "{} names clap: only the binary parses the command line",
                    file.display()
                );
            }
        }
    }
}
