//! The command-line pieces both binaries share, so that each flag and each default is
//! declared once: how an `https` server's certificate is checked and how long an answer
//! may take (`TrustArgs`), and one readable line out of a parser's usage error
//! (`one_line`), output for a reader that may stop early (`print_to_reader`), and the
//! shell completions and man pages made from a binary's command
//! line (`pages`). The libraries never see these types: only the binaries parse the
//! command line, and this crate is theirs.

mod pages;

pub use pages::{CompletionsArgs, ManArgs, write_completions, write_man_pages};

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// The default answer timeout in milliseconds: the terminal's own
/// (`facesim_proto::profile::ANSWER_TIMEOUT`), written once there.
pub const DEFAULT_TIMEOUT_MS: u64 = {
    let ms = facesim_proto::profile::ANSWER_TIMEOUT.as_millis();
    assert!(ms <= u64::MAX as u128);
    ms as u64
};

/// How servers' certificates are checked, and the answer timeout.
#[derive(Debug, Clone, Args)]
pub struct TrustArgs {
    /// Do not verify an `https` server's certificate (testing only).
    #[arg(long, conflicts_with = "ca_cert")]
    pub insecure: bool,
    /// Trust this CA or self-signed certificate (PEM) for `https` servers, such as a
    /// receiver's own self-signed one.
    #[arg(long, value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,
    /// Time allowed for an answer, in milliseconds from its first byte sent. The default
    /// is the terminal's own push timeout: a later answer is lost, and the terminal sends
    /// the record again. In facecert it is also the longest an answer may take (P-01) and
    /// the load phase's timeout. `--timeout` and `--timeout-ms` are the same flag.
    #[arg(
        long,
        visible_alias = "timeout-ms",
        value_name = "MS",
        default_value_t = DEFAULT_TIMEOUT_MS
    )]
    pub timeout: u64,
}

impl TrustArgs {
    /// The answer timeout; `None` when it is zero, which no caller can use.
    pub fn timeout(&self) -> Option<Duration> {
        (self.timeout > 0).then(|| Duration::from_millis(self.timeout))
    }
}

/// Writes `text` to standard output. A reader that stops early (`… | head`) closes the
/// pipe, and that is not an error: the rest is dropped quietly, where `print!` would panic.
pub fn print_to_reader(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// The one line a binary prints for a usage error rendered as `rendered`: what the parser
/// says before its usage block (the problem, the missing arguments, a tip), joined, with a
/// pointer to `--help`.
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
