//! Verdicts: how a finding about a check becomes PASS, FAIL, WARN, INFO or SKIP, and the
//! evidence that goes with it. A failed MUST is a FAIL, a failed SHOULD a WARN, a flagged
//! INFO an INFO; a check that could not be judged is a SKIP, never a PASS. Every verdict
//! other than PASS and SKIP carries the requirement, what was expected, what came back,
//! and how to send the same request again.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::check::{Check, CheckId, Group, Level, Versions};
use crate::probe::Probe;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    Pass,
    Fail,
    Warn,
    Info,
    Skip,
}

impl Verdict {
    /// Every verdict, in summary order.
    pub const ALL: [Verdict; 5] = [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::Warn,
        Verdict::Info,
        Verdict::Skip,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Warn => "WARN",
            Verdict::Info => "INFO",
            Verdict::Skip => "SKIP",
        }
    }

    /// Whether the check found something: a failure, a warning or a flagged fact.
    pub fn is_finding(self) -> bool {
        matches!(self, Verdict::Fail | Verdict::Warn | Verdict::Info)
    }
}

/// What a check found, before the level turns it into a verdict.
#[derive(Debug, Clone)]
pub enum Finding {
    /// The requirement holds; the note says what was seen.
    Met(String),
    /// The requirement does not hold.
    Unmet {
        expected: String,
        actual: String,
        /// The request whose answer shows it.
        probe: Option<Arc<Probe>>,
        /// How to fix it, in one line, when the cause is known.
        fix: Option<String>,
    },
    /// The check could not be judged, and why.
    NotRun(String),
}

impl Finding {
    pub fn unmet(
        expected: impl Into<String>,
        actual: impl Into<String>,
        probe: Option<Arc<Probe>>,
    ) -> Self {
        Finding::Unmet {
            expected: expected.into(),
            actual: actual.into(),
            probe,
            fix: None,
        }
    }

    /// Adds the one-line fix to an unmet finding.
    #[must_use]
    pub fn with_fix(self, how: impl Into<String>) -> Self {
        match self {
            Finding::Unmet {
                expected,
                actual,
                probe,
                ..
            } => Finding::Unmet {
                expected,
                actual,
                probe,
                fix: Some(how.into()),
            },
            other => other,
        }
    }

    /// A check that could not be judged because another check's condition does not hold:
    /// the reason names that check, so a skip never looks like missing coverage.
    pub fn depends(on: CheckId, why: impl std::fmt::Display) -> Self {
        Finding::NotRun(format!("not run: depends on {on} ({why})"))
    }
}

/// Why a verdict was reached, in enough detail to act on.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub requirement: &'static str,
    pub expected: String,
    pub actual: String,
    /// How to fix it, when the cause is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The name of the request that shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// Where its body was saved (with `--artifacts`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_file: Option<String>,
    /// A command that sends the same request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reproduce: Option<String>,
}

/// The result of one check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub id: CheckId,
    pub level: Level,
    pub group: Group,
    pub requirement: &'static str,
    pub section: &'static str,
    /// The API versions the check applies to.
    pub versions: Versions,
    pub verdict: Verdict,
    /// One short line: what was seen, or what went wrong.
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// Requests whose answers the check judged.
    pub requests: usize,
    /// Time spent sending this check's own requests.
    pub duration_ms: f64,
    /// The request to save with `--artifacts`.
    #[serde(skip)]
    pub probe: Option<Arc<Probe>>,
}

/// How to write a reproduction command for the target.
#[derive(Debug, Clone)]
pub struct Reproduction {
    pub url: String,
    /// `--cacert FILE` or `--insecure`, as the run was told.
    pub tls_option: Option<String>,
    /// Where bodies are saved, if anywhere.
    pub artifacts: Option<PathBuf>,
    /// The run's seed, with which `facecert body` regenerates a body too large to save.
    pub seed: u64,
    /// The run's API version, which `facecert body` needs too.
    pub api: facesim_proto::profile::ApiVersion,
    /// The identity headers the run's requests carried (from API 1.2.1).
    pub headers: Vec<(&'static str, String)>,
}

/// Bodies larger than this are not saved with `--artifacts`: the reproduction line
/// regenerates them with `facecert body` instead (the 16 MiB body of B-04 would otherwise
/// land in every artifact directory whose receiver accepts it).
pub const MAX_SAVED_BODY: usize = 1024 * 1024;

impl Reproduction {
    /// Whether `probe`'s body is saved as a file; a larger one is regenerated.
    pub fn saves(probe: &Probe) -> bool {
        probe.body.len() <= MAX_SAVED_BODY
    }

    /// A `curl` command that sends `probe` exactly as the suite did.
    pub fn curl(&self, probe: &Probe) -> String {
        if probe.method == crate::client::Method::Get {
            let mut line = format!("curl -sS -i {}", quote(&self.url));
            if let Some(tls) = &self.tls_option {
                line.push(' ');
                line.push_str(tls);
            }
            return line;
        }
        let (source, data) = if Self::saves(probe) {
            let file = self.body_path(probe);
            (
                String::new(),
                format!("@{}", quote(&file.display().to_string())),
            )
        } else {
            (
                format!(
                    "facecert body {} --seed {} --api-version {} | ",
                    quote(&probe.name),
                    self.seed,
                    self.api
                ),
                "@-".to_string(),
            )
        };
        let content_type = match &probe.content_type {
            Some(ct) => format!("Content-Type: {ct}"),
            // An empty header value makes curl drop its own Content-Type.
            None => "Content-Type:".to_string(),
        };
        let headers: String = self
            .headers
            .iter()
            .filter(|_| probe.identity)
            .map(|(name, value)| format!(" -H {}", quote(&format!("{name}: {value}"))))
            .collect();
        let mut line = format!(
            "{source}curl -sS -i -X POST -H {}{headers} --data-binary {} {}",
            quote(&content_type),
            data,
            quote(&self.url)
        );
        if let Some(tls) = &self.tls_option {
            line.push(' ');
            line.push_str(tls);
        }
        line
    }

    /// What the evidence says of the saved body: its path, or why it was not saved.
    pub fn body_note(&self, probe: &Probe) -> String {
        if Self::saves(probe) {
            self.body_path(probe).display().to_string()
        } else {
            format!(
                "not saved ({} MiB): the reproduce line regenerates it",
                probe.body.len() / (1024 * 1024)
            )
        }
    }

    /// Where the body of `probe` is (or would be) saved.
    pub fn body_path(&self, probe: &Probe) -> PathBuf {
        match &self.artifacts {
            Some(dir) => dir.join(probe.file_name()),
            None => Path::new(&probe.file_name()).to_path_buf(),
        }
    }
}

/// Quotes a word for a POSIX shell.
pub fn quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@=,+%".contains(c))
    {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Turns a finding about `check` into its result.
pub fn judge(
    check: &Check,
    finding: Finding,
    requests: usize,
    spent: Duration,
    repro: &Reproduction,
) -> CheckResult {
    let (verdict, summary, evidence, probe) = match finding {
        Finding::Met(note) => (Verdict::Pass, note, None, None),
        Finding::NotRun(reason) => (Verdict::Skip, reason, None, None),
        Finding::Unmet {
            expected,
            actual,
            probe,
            fix,
        } => {
            let verdict = match check.level {
                Level::Must => Verdict::Fail,
                Level::Should => Verdict::Warn,
                Level::Info => Verdict::Info,
            };
            let evidence = Evidence {
                requirement: check.requirement,
                expected,
                actual: actual.clone(),
                fix,
                request: probe.as_ref().map(|p| p.name.clone()),
                body_file: probe
                    .as_ref()
                    .filter(|_| repro.artifacts.is_some())
                    .map(|p| repro.body_note(p)),
                reproduce: probe.as_ref().map(|p| repro.curl(p)),
            };
            (verdict, first_line(&actual, 120), Some(evidence), probe)
        }
    };
    CheckResult {
        id: check.id,
        level: check.level,
        group: check.group,
        requirement: check.requirement,
        section: check.section,
        versions: check.versions,
        verdict,
        summary,
        evidence,
        requests,
        duration_ms: spent.as_secs_f64() * 1000.0,
        probe,
    }
}

/// The first line of a text, cut to `max` characters.
fn first_line(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > max {
        let mut cut: String = line.chars().take(max - 1).collect();
        cut.push('…');
        cut
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::find;

    fn repro() -> Reproduction {
        Reproduction {
            url: "http://127.0.0.1:9/eventRcv".into(),
            tls_option: None,
            artifacts: Some(PathBuf::from("out dir")),
            seed: 3,
            api: facesim_proto::profile::ApiVersion::V1_2_1,
            headers: vec![("sn", "PS71HD01MC2300001".into())],
        }
    }

    #[test]
    fn levels_map_to_verdicts() {
        let unmet = || Finding::unmet("x", "y", None);
        let verdict =
            |id: &str, f: Finding| judge(find(id).unwrap(), f, 1, Duration::ZERO, &repro()).verdict;
        assert_eq!(verdict("A-03", unmet()), Verdict::Fail);
        assert_eq!(verdict("A-10", unmet()), Verdict::Warn);
        assert_eq!(verdict("D-01", unmet()), Verdict::Info);
        assert_eq!(verdict("A-03", Finding::Met("ok".into())), Verdict::Pass);
        assert_eq!(verdict("A-03", Finding::NotRun("no".into())), Verdict::Skip);
    }

    #[test]
    fn curl_lines_quote_and_reference_the_body_file() {
        let probe = Probe {
            name: "status-3".into(),
            method: crate::client::Method::Post,
            content_type: Some("application/json".into()),
            body: bytes::Bytes::from_static(b"{}"),
            valid: true,
            identity: true,
        };
        let line = repro().curl(&probe);
        assert_eq!(
            line,
            "curl -sS -i -X POST -H 'Content-Type: application/json' -H 'sn: PS71HD01MC2300001' --data-binary @'out dir/status-3.json' http://127.0.0.1:9/eventRcv"
        );
        let bare = Probe {
            identity: false,
            ..probe
        };
        assert!(!repro().curl(&bare).contains("-H 'sn:"));
        assert_eq!(quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn bodies_too_large_to_save_are_regenerated_in_the_curl_line() {
        let probe = Probe {
            name: "huge-body".into(),
            method: crate::client::Method::Post,
            content_type: Some("application/json".into()),
            body: bytes::Bytes::from(vec![b' '; MAX_SAVED_BODY + 1]),
            valid: false,
            identity: true,
        };
        assert_eq!(
            repro().curl(&probe),
            "facecert body huge-body --seed 3 --api-version 1.2.1 | curl -sS -i -X POST -H 'Content-Type: application/json' -H 'sn: PS71HD01MC2300001' --data-binary @- http://127.0.0.1:9/eventRcv"
        );
        assert!(repro().body_note(&probe).starts_with("not saved (1 MiB)"));
    }
}
