//! The command line: clap structures whose doc comments are the `--help` text, validated
//! once into a [`Mode`] the library runs. Only the binary holds this module: the library
//! never sees a clap type.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use facesim::tls::{TlsError, Trust};
use facesim_cli::TrustArgs;
use facesim_proto::profile::ApiVersion;
use url::Url;

use facecert::check::Suite;
use facecert::report::Outputs;
use facecert::run::{Config, DEFAULT_AUTH_P99_MS, DEFAULT_P99_MS, Selection, SuiteError};
use facecert::verdict::quote;

/// Certifies a receiver of face-terminal recognition pushes (the server at a terminal's
/// `event_dest`) against the push protocol. Exit status: 0 when no MUST check failed, 1
/// when one did, 2 when the suite could not run or judged nothing; with
/// `--api-version all`, 0 only when every version passes, else the worst version's.
#[derive(Debug, Parser)]
#[command(name = "facecert", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the suite against the receiver at URL.
    Run(Box<RunArgs>),
    /// Certifies the remote-authentication server at URL (a terminal's
    /// `remote_authentication_address`): its answers to every kind of caller, the
    /// heartbeat, bad input, and its latency at the door. Same options and reports as
    /// `run`; the API version defaults to 1.3 (the callback came with 1.1) and the p99
    /// limit to 300 ms.
    Auth(Box<RunArgs>),
    /// Lists the checks: ID, level and requirement.
    List,
    /// Prints the conformance matrix (requirement, check, faulty receivers) as Markdown.
    Matrix,
    /// Writes the exact body of one of the suite's requests to standard output, for
    /// bodies too large to save with --artifacts (the reproduce lines pipe it to curl).
    Body(BodyArgs),
    /// Prints the JSON Schemas (draft 2020-12) of what a terminal of the API version sends
    /// and expects: the push event (record, user, alarm), the receiver's answer, and from
    /// 1.1 the remote-authentication callback and its answer, as one document whose `$defs`
    /// name each, for receiver developers who validate in their own tests.
    Schema(SchemaArgs),
    /// Prints the completion script of a shell (bash, zsh, fish, …) for facecert.
    Completions(facesim_cli::CompletionsArgs),
    /// Prints facecert's man page, or writes one per command into a directory (`--out DIR`).
    Man(facesim_cli::ManArgs),
}

/// Options of `facecert schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The API version: 1.0, 1.1, 1.2, 1.2.1 or 1.3.
    #[arg(long, value_name = "V", default_value_t = ApiVersion::V1_0)]
    pub api_version: ApiVersion,
}

/// Options of `facecert body`.
#[derive(Debug, Args)]
pub struct BodyArgs {
    /// The request's name, as a report's `request` line gives it (such as huge-body).
    pub name: String,
    /// The seed of the run that sent it.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// The API version of the run that sent it.
    #[arg(long, value_name = "V", default_value_t = ApiVersion::V1_0)]
    pub api_version: ApiVersion,
}

/// Which API versions a run plays a terminal of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiChoice {
    One(ApiVersion),
    All,
}

impl std::str::FromStr for ApiChoice {
    type Err = facesim_proto::profile::UnknownVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("all") {
            Ok(ApiChoice::All)
        } else {
            s.parse().map(ApiChoice::One)
        }
    }
}

/// Options of `facecert run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The receiver's URL, as a terminal's `event_dest` would hold it (http or https).
    pub url: String,
    /// Writes the whole run as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Writes a JUnit XML report to FILE, for CI.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Writes a self-contained HTML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Saves the body of every request behind a finding in DIR, for the curl lines.
    #[arg(long, value_name = "DIR")]
    pub artifacts: Option<PathBuf>,
    /// Runs only these checks (comma-separated IDs such as ).
    #[arg(long, value_name = "ID,..", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Skips these checks (comma-separated IDs).
    #[arg(long, value_name = "ID,..", value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Highest p99 answer time allowed under load, in milliseconds (P-02, AP-02). The
    /// default for `run` (500) leaves the server half a second of the second a person at
    /// the door waits; for `auth` (300) the callback is on the door's critical path, after
    /// the terminal's own recognition and before the relay.
    #[arg(long, value_name = "MS")]
    pub p99_ms: Option<u64>,
    /// Events sent in the load phase.
    #[arg(long, value_name = "N", default_value_t = 300)]
    pub load_events: usize,
    /// Simulated terminals sending at once in the load phase.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub concurrency: usize,
    /// Seed of the generated events: the same seed sends the same requests.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// The terminal's API version (1.0, 1.1, 1.2, 1.2.1, 1.3): the records, headers and
    /// answer rule of that firmware, and only the checks that apply to it. `all` runs
    /// every version, one after the other, and ends with a table of the versions the
    /// receiver conforms to and, for the others, the first failing check; it exits 0
    /// only when every version passes, and report files get the version in their names
    /// (report.json: report-1.3.json). Default: 1.0 for `run`, 1.3 for `auth` (whose
    /// `all` means 1.1 to 1.3, the versions with a callback).
    #[arg(long, value_name = "V|all")]
    pub api_version: Option<ApiChoice>,
    /// How the server's certificate is checked, and the answer timeout.
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// What the binary is asked to do, validated.
#[derive(Debug)]
pub enum Mode {
    Run(Box<Config>, Outputs),
    /// Run every API version, one after the other (`config.api` is set per run).
    RunAll(Box<Config>, Outputs),
    List,
    Matrix,
    /// Print the JSON Schemas of a version.
    Schema(ApiVersion),
    /// Print the completion script of a shell.
    Completions(facesim_cli::CompletionsArgs),
    /// Print the man page, or write them all into a directory.
    Man(facesim_cli::ManArgs),
    /// Print the body of the named request built from the seed.
    Body {
        name: String,
        seed: u64,
        api: ApiVersion,
    },
}

/// Why the command line cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The URL is not an http or https URL with a host.
    #[error("target `{0}` is not an http or https URL with a host")]
    BadUrl(String),
    /// A number that must be positive is not.
    #[error("--{0} must be at least 1")]
    Zero(&'static str),
    /// The concurrency is beyond what a door has terminals for.
    #[error("--concurrency must be at most {MAX_CONCURRENCY}")]
    Concurrency,
    /// The API version has no remote-authentication callback.
    #[error("API {0} has no remote-authentication callback (it came with API 1.1)")]
    NoCallback(ApiVersion),
    /// The CA certificate cannot be used.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// `--only` or `--skip` is wrong.
    #[error(transparent)]
    Selection(#[from] SuiteError),
}

/// The most simulated terminals the load phase runs at once.
pub const MAX_CONCURRENCY: usize = 256;

impl Cli {
    /// Validates the command line.
    ///
    /// # Errors
    /// A [`CliError`] naming the first problem.
    pub fn mode(self) -> Result<Mode, CliError> {
        match self.command {
            Command::List => Ok(Mode::List),
            Command::Matrix => Ok(Mode::Matrix),
            Command::Schema(args) => Ok(Mode::Schema(args.api_version)),
            Command::Completions(args) => Ok(Mode::Completions(args)),
            Command::Man(args) => Ok(Mode::Man(args)),
            Command::Body(args) => Ok(Mode::Body {
                name: args.name,
                seed: args.seed,
                api: args.api_version,
            }),
            Command::Run(args) => args.mode(Suite::Push),
            Command::Auth(args) => args.mode(Suite::Auth),
        }
    }
}

impl RunArgs {
    /// The mode of a run of `suite`: one version, or every version it has.
    fn mode(self, suite: Suite) -> Result<Mode, CliError> {
        let choice = self.api_version.unwrap_or(match suite {
            Suite::Push => ApiChoice::One(ApiVersion::V1_0),
            Suite::Auth => ApiChoice::One(ApiVersion::V1_3),
        });
        let (config, outputs) = self.validate(suite)?;
        Ok(match choice {
            ApiChoice::One(_) => Mode::Run(Box::new(config), outputs),
            ApiChoice::All => Mode::RunAll(Box::new(config), outputs),
        })
    }

    /// Validates the options into a run configuration of `suite` and report destinations.
    ///
    /// # Errors
    /// A [`CliError`] naming the first problem.
    pub fn validate(self, suite: Suite) -> Result<(Config, Outputs), CliError> {
        let p99_ms = self.p99_ms.unwrap_or(match suite {
            Suite::Push => DEFAULT_P99_MS,
            Suite::Auth => DEFAULT_AUTH_P99_MS,
        });
        let api = match (suite, self.api_version) {
            (Suite::Push, Some(ApiChoice::One(v))) | (Suite::Auth, Some(ApiChoice::One(v))) => v,
            (Suite::Push, _) => ApiVersion::V1_0,
            (Suite::Auth, _) => ApiVersion::V1_3,
        };
        if suite == Suite::Auth && !api.profile().auth.callback {
            return Err(CliError::NoCallback(api));
        }
        let target = Url::parse(&self.url)
            .ok()
            .filter(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some_and(|h| !h.is_empty())
            })
            .ok_or_else(|| CliError::BadUrl(self.url.clone()))?;
        for (name, value) in [
            ("timeout-ms", self.trust.timeout as usize),
            ("p99-ms", p99_ms as usize),
            ("load-events", self.load_events),
            ("concurrency", self.concurrency),
        ] {
            if value == 0 {
                return Err(CliError::Zero(name));
            }
        }
        if self.concurrency > MAX_CONCURRENCY {
            return Err(CliError::Concurrency);
        }
        let trust = Trust::from_flags(self.trust.insecure, self.trust.ca_cert.as_deref())?;
        let curl_tls = match (&trust, &self.trust.ca_cert) {
            (Trust::Insecure, _) => Some("--insecure".to_string()),
            (Trust::Pinned(_), Some(path)) => {
                Some(format!("--cacert {}", quote(&path.display().to_string())))
            }
            _ => None,
        };
        let config = Config {
            target,
            trust,
            curl_tls,
            timeout: Duration::from_millis(self.trust.timeout),
            p99: Duration::from_millis(p99_ms),
            load_events: self.load_events,
            concurrency: self.concurrency,
            seed: self.seed,
            suite,
            api,
            selection: Selection::new(&self.only, &self.skip)?,
            artifacts: self.artifacts,
        };
        let outputs = Outputs {
            json: self.json,
            junit: self.junit,
            html: self.html,
        };
        Ok((config, outputs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Mode, CliError> {
        let mut argv = vec!["facecert"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).expect("clap accepts it").mode()
    }

    #[test]
    fn defaults_match_the_documented_ones() {
        let Ok(Mode::Run(config, _)) = parse(&["run", "http://127.0.0.1:9/eventRcv"]) else {
            panic!("a run")
        };
        assert_eq!(config.timeout, Duration::from_millis(3000));
        assert_eq!(config.p99, Duration::from_millis(500));
        assert_eq!(
            (config.load_events, config.concurrency, config.seed),
            (300, 8, 1)
        );
        assert_eq!(config.trust, Trust::System);
        assert_eq!(config.api, ApiVersion::V1_0);
    }

    #[test]
    fn the_answer_timeout_has_facesims_name_too() {
        for flag in ["--timeout-ms", "--timeout"] {
            let Ok(Mode::Run(config, _)) = parse(&["run", "http://127.0.0.1:9/", flag, "750"])
            else {
                panic!("a run with {flag}")
            };
            assert_eq!(config.timeout, Duration::from_millis(750), "{flag}");
        }
    }

    #[test]
    fn api_versions_one_or_all() {
        let Ok(Mode::Run(config, _)) = parse(&["run", "http://x/", "--api-version", "1.2.1"])
        else {
            panic!("a run")
        };
        assert_eq!(config.api, ApiVersion::V1_2_1);
        let Ok(Mode::RunAll(_, outputs)) = parse(&[
            "run",
            "http://x/",
            "--api-version",
            "all",
            "--json",
            "out/report.json",
        ]) else {
            panic!("a run of every version")
        };
        assert_eq!(
            outputs.for_version(ApiVersion::V1_3).json,
            Some(PathBuf::from("out/report-1.3.json"))
        );
        let mut argv = vec!["facecert", "run", "http://x/", "--api-version", "1.4"];
        assert!(Cli::try_parse_from(argv.drain(..)).is_err());
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        assert!(matches!(
            parse(&["run", "ftp://x/"]),
            Err(CliError::BadUrl(_))
        ));
        assert!(matches!(
            parse(&["run", "http://x/", "--concurrency", "0"]),
            Err(CliError::Zero("concurrency"))
        ));
        assert!(matches!(
            parse(&["run", "http://x/", "--only", "Z-99"]),
            Err(CliError::Selection(_))
        ));
        let Ok(Mode::Run(config, _)) =
            parse(&["run", "https://x/", "--insecure", "--only", "a-01,T-01"])
        else {
            panic!("a run")
        };
        assert_eq!(config.curl_tls.as_deref(), Some("--insecure"));
        assert_eq!(
            facecert::catalog::CATALOG
                .iter()
                .filter(|c| config.selection.includes(c.id))
                .count(),
            2
        );
    }
}
