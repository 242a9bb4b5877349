//! What a run is given: the validated configuration, the selection of checks, the default
//! limits, and the errors that stop a run before it judges anything.

use std::path::PathBuf;
use std::time::Duration;

use facesim::tls::Trust;
use facesim_proto::profile::ApiVersion;
use url::Url;

use crate::check::{CheckId, Suite};
use crate::client::ClientError;

/// The default p99 limit under load: a person at the door expects it to open within
/// about a second of being recognised, and the terminal's own recognition takes part of
/// that second.
pub const DEFAULT_P99_MS: u64 = 500;
/// The default p99 limit for an auth server: the terminal waits for its answer before it
/// opens the door, after its own recognition (a few hundred milliseconds) and before the
/// relay and the screen, so the server gets less of the second than a push receiver.
pub const DEFAULT_AUTH_P99_MS: u64 = 300;

/// Why the suite could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SuiteError {
    /// The target does not accept connections.
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The target or its TLS settings are unusable.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// `--only` or `--skip` names a check that does not exist.
    #[error("unknown check `{0}` (see `facecert list`)")]
    UnknownCheck(String),
    /// The selection leaves no check to run.
    #[error("no check selected")]
    NothingSelected,
    /// A report or artifact could not be written.
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    /// The request bodies could not be built (a bug: it should never happen).
    #[error("cannot build the requests: {0}")]
    Requests(String),
    /// The run was interrupted.
    #[error("interrupted")]
    Interrupted,
}

/// Which checks to run: all, or those in `--only`, minus those in `--skip`.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    only: Option<Vec<CheckId>>,
    skip: Vec<CheckId>,
}

impl Selection {
    /// Builds a selection from check IDs (case-insensitive).
    ///
    /// # Errors
    /// [`SuiteError::UnknownCheck`] for an ID not in the catalog.
    pub fn new(only: &[String], skip: &[String]) -> Result<Self, SuiteError> {
        let resolve = |ids: &[String]| -> Result<Vec<CheckId>, SuiteError> {
            ids.iter()
                .map(|id| {
                    CheckId::parse(id.trim()).ok_or_else(|| SuiteError::UnknownCheck(id.clone()))
                })
                .collect()
        };
        Ok(Self {
            only: if only.is_empty() {
                None
            } else {
                Some(resolve(only)?)
            },
            skip: resolve(skip)?,
        })
    }

    pub fn includes(&self, id: CheckId) -> bool {
        self.only.as_ref().is_none_or(|only| only.contains(&id)) && !self.skip.contains(&id)
    }
}

/// Everything a run needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub target: Url,
    pub trust: Trust,
    /// The curl option matching the trust (`--cacert FILE`, `--insecure`), for
    /// reproduction lines.
    pub curl_tls: Option<String>,
    /// Longest an answer may take (P-01), and the load phase's per-request timeout: the
    /// terminal's own push timeout, past which it gives the answer up.
    pub timeout: Duration,
    /// Highest p99 latency allowed in the load phase (P-02).
    pub p99: Duration,
    pub load_events: usize,
    pub concurrency: usize,
    pub seed: u64,
    /// Which server is certified: the push receiver or the remote-authentication server.
    pub suite: Suite,
    /// The API version whose terminal the suite plays: its records, its headers, the
    /// checks that apply to it.
    pub api: ApiVersion,
    pub selection: Selection,
    /// Where the bodies of requests behind findings are saved.
    pub artifacts: Option<PathBuf>,
}

impl Config {
    /// How long the suite waits for an answer before it gives up on it: well past the
    /// timeout, so that a late answer is measured (and judged by P-01) rather than lost.
    pub fn answer_limit(&self) -> Duration {
        self.timeout + self.timeout.max(Duration::from_secs(2))
    }
}
