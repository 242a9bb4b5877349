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
}
