//! The command line of `facesim load` and `facesim merge`: clap arguments whose doc
//! comments are the `--help` text, validated once into a [`LoadConfig`], and the entry
//! points the binary calls. Exit codes: 0 success, 1 a threshold was violated (or the run
//! failed), 2 bad usage, reported in one line.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use facesim::load::html;
use facesim::load::{LoadConfig, LoadError, LoadResult, Mode, Shard, Thresholds, pool};
use facesim::schedule::{Arrival, RateProfile, parse_duration};
use facesim::tls::Trust;

/// Load-test a receiver with realistic recognition events from many simulated devices.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// The receiver's event URL (http or https).
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// API version of the simulated terminals: decides the records sent and the answer a
    /// receiver must give (see `facesim device --help`). Default 1.0 for `--target push`,
    /// 1.3 for `--target auth`.
    #[arg(long, value_name = "VERSION")]
    pub api_version: Option<facesim_proto::profile::ApiVersion>,
    /// What to load: `push` (records to a receiver's event URL) or `auth` (remote-
    /// authentication callbacks to an auth server's URL, from API 1.1; every kind of caller
    /// the guide's table sends under auth_mode 1 or 3; answers judged as auth answers).
    #[arg(long, value_name = "TARGET", default_value = "push")]
    pub target: facesim::load::Target,
    /// Target rate in events per second over all shards (open model: events are sent on
    /// schedule whatever the receiver does). Default 10 when neither --ramp nor --max.
    #[arg(long, value_name = "R")]
    pub rate: Option<f64>,
    /// Closed loop: every connection sends its next event as soon as the previous answer
    /// is in, as fast as the receiver allows.
    #[arg(long)]
    pub max: bool,
    /// A rate changing over time, linear between TIME:RATE points and held after the last,
    /// for example 0s:100,60s:2000,120s:2000. The default duration is the last point's.
    #[arg(long, value_name = "SPEC")]
    pub ramp: Option<String>,
    /// How long to send (500ms, 30s, 5m, 1h). Default 10s, or the ramp's length.
    #[arg(long, value_name = "D")]
    pub duration: Option<String>,
    /// Stop after this many events in total (with --duration, whichever comes first).
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Simulated devices in total, each with its own serial number and people.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub devices: u32,
    /// People registered per device (default: 200, fewer for large fleets so that the
    /// fleet holds about 200,000 people).
    #[arg(long, value_name = "N")]
    pub people: Option<usize>,
    /// Connections to the receiver, each carrying one event at a time (HTTP/1.1
    /// keep-alive). In the open model, events due while all are busy wait in a queue and
    /// the wait counts in their latency.
    #[arg(long, value_name = "C", default_value_t = 32)]
    pub connections: usize,
    /// How arrivals are spaced in the open model: constant gaps hit the target rate
    /// exactly; Poisson gaps model people walking up independently (the count then varies
    /// by chance, about 1/sqrt(n)). One of constant, poisson.
    #[arg(long, value_name = "constant|poisson", default_value = "constant")]
    pub arrival: Arrival,
    /// Snapshots rendered before the run and reused (each event still gets its own trace
    /// comment), so that synthesis never limits the rate.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub image_pool: usize,
    #[command(flatten)]
    pub outputs: Outputs,
    /// Be shard I of N (I from 0) of a load spread over N processes: this process takes
    /// its share of the rate, count and devices. Merge the results with `facesim merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// How receivers' certificates are checked, and the answer timeout: the same flags as
    /// every other command that pushes.
    #[command(flatten)]
    pub trust: facesim_cli::TrustArgs,
    /// Seed of serial numbers, people and arrivals; the same seed gives the same events.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Write the body of the first event to FILE before the run, to replay it with other
    /// tools.
    #[arg(long, value_name = "FILE")]
    pub save_body: Option<PathBuf>,
    /// Serve the run's live figures (events by outcome, latency histogram, in flight,
    /// queued, target rate) in the Prometheus text format at http://ADDR/metrics while the
    /// run goes on, e.g. 127.0.0.1:9464.
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// No live progress on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Merge the JSON results of several `facesim load` processes (shards) exactly.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// Result files written by `facesim load --json`.
    #[arg(value_name = "RESULT", required = true)]
    pub inputs: Vec<PathBuf>,
    #[command(flatten)]
    pub outputs: Outputs,
}

/// Where results go and when they fail, for both `facesim load` and `facesim merge`
/// (whose thresholds apply to the merged figures; without them, the inputs' own).
#[derive(Debug, Clone, Args)]
pub struct Outputs {
    /// Write the result as JSON to FILE (for scripts and `facesim merge`).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a self-contained HTML report with latency plots to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Fail (exit 1) when the p99 latency exceeds MS milliseconds.
    #[arg(long, value_name = "MS")]
    pub max_p99: Option<f64>,
    /// Fail (exit 1) when more than PCT percent of events are not a success.
    #[arg(long, value_name = "PCT")]
    pub max_error_rate: Option<f64>,
}

impl LoadArgs {
    /// Validates the arguments into a configuration.
    ///
    /// # Errors
    /// [`LoadError::Usage`] naming the first bad argument, in one line.
    pub fn to_config(&self) -> Result<LoadConfig, LoadError> {
        let usage = |m: String| LoadError::Usage(m);
        let url = url::Url::parse(&self.to).map_err(|e| usage(format!("--to {}: {e}", self.to)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(usage(format!(
                "--to must be an http or https URL, got {}",
                self.to
            )));
        }
        let mode = match (self.rate, &self.ramp, self.max) {
            (Some(_), Some(_), _) | (Some(_), _, true) | (_, Some(_), true) => {
                return Err(usage("use only one of --rate, --ramp and --max".into()));
            }
            (_, None, true) => Mode::Max,
            (rate, None, false) => {
                let rate = rate.unwrap_or(10.0);
                let profile =
                    RateProfile::fixed(rate).map_err(|e| usage(format!("--rate: {e}")))?;
                Mode::Open {
                    profile,
                    arrival: self.arrival,
                    spec: rate.to_string(),
                }
            }
            (None, Some(spec), false) => {
                let profile: RateProfile =
                    spec.parse().map_err(|e| usage(format!("--ramp: {e}")))?;
                Mode::Open {
                    profile,
                    arrival: self.arrival,
                    spec: spec.clone(),
                }
            }
        };
        let duration = match &self.duration {
            Some(text) => {
                let d = parse_duration(text).map_err(|e| usage(format!("--duration: {e}")))?;
                if d.is_zero() {
                    return Err(usage("--duration must be longer than 0s".into()));
                }
                Some(d)
            }
            None if self.count.is_some() => None,
            None => Some(
                self.ramp
                    .as_deref()
                    .and_then(ramp_length)
                    .unwrap_or(Duration::from_secs(10)),
            ),
        };
        if self.count == Some(0) {
            return Err(usage("--count must be at least 1".into()));
        }
        let shard = match &self.shard {
            Some(text) => text.parse::<Shard>()?,
            None => Shard::default(),
        };
        if self.devices == 0 {
            return Err(usage("--devices must be at least 1".into()));
        }
        if self.devices < shard.count {
            return Err(usage(format!(
                "--devices {} is fewer than the {} shards; every shard needs a device",
                self.devices, shard.count
            )));
        }
        if self.connections == 0 || self.connections > 100_000 {
            return Err(usage("--connections must be between 1 and 100000".into()));
        }
        if self.image_pool == 0 || self.image_pool > 100_000 {
            return Err(usage("--image-pool must be between 1 and 100000".into()));
        }
        let people = self
            .people
            .unwrap_or_else(|| pool::default_people(self.devices as usize));
        if !(1..=facesim::synth::MAX_PEOPLE).contains(&people) {
            return Err(usage(format!(
                "--people must be between 1 and {}",
                facesim::synth::MAX_PEOPLE
            )));
        }
        let timeout = self
            .trust
            .timeout()
            .ok_or_else(|| usage("--timeout must be at least 1 ms".into()))?;
        let thresholds = thresholds(self.outputs.max_p99, self.outputs.max_error_rate)?;
        let trust = Trust::from_flags(self.trust.insecure, self.trust.ca_cert.as_deref())
            .map_err(|e| usage(e.to_string()))?;
        Ok(LoadConfig {
            url,
            mode,
            duration,
            count: self.count,
            devices: self.devices,
            people,
            connections: self.connections,
            image_pool: self.image_pool,
            shard,
            trust,
            seed: self.seed,
            timeout,
            thresholds,
            progress: !self.quiet,
            metrics_listen: self.metrics_listen,
            save_body: self.save_body.clone(),
            api: self
                .api_version
                .unwrap_or_else(|| self.target.default_api()),
            target: self.target,
            clock: facesim::clock::system(),
        })
    }
}

/// The time of a ramp's last point, when it has more than one.
fn ramp_length(spec: &str) -> Option<Duration> {
    let last = spec.split(',').map(str::trim).rfind(|p| !p.is_empty())?;
    let (t, _) = last.split_once(':')?;
    parse_duration(t).ok().filter(|d| !d.is_zero())
}

fn thresholds(max_p99: Option<f64>, max_error_rate: Option<f64>) -> Result<Thresholds, LoadError> {
    if max_p99.is_some_and(|v| !(v.is_finite() && v > 0.0)) {
        return Err(LoadError::Usage(
            "--max-p99 must be a positive number of milliseconds".into(),
        ));
    }
    if max_error_rate.is_some_and(|v| !(v.is_finite() && (0.0..=100.0).contains(&v))) {
        return Err(LoadError::Usage(
            "--max-error-rate must be a percentage from 0 to 100".into(),
        ));
    }
    Ok(Thresholds {
        max_p99_ms: max_p99,
        max_error_rate_pct: max_error_rate,
    })
}

/// `facesim load` as a library function: validates `args`, runs until the schedule is
/// done or `shutdown` resolves, prints the summary to stdout, writes the requested files.
/// Returns whether every threshold held (exit 0) or not (exit 1).
///
/// # Errors
/// A [`LoadError`]; [`LoadError::exit_code`] gives the process exit code (2 for usage).
pub async fn load_command(
    args: &LoadArgs,
    shutdown: impl Future<Output = ()>,
) -> Result<bool, LoadError> {
    let config = args.to_config()?;
    let result = facesim::load::run_load(config, shutdown).await?;
    finish(
        &result,
        args.outputs.json.as_deref(),
        args.outputs.html.as_deref(),
    )
}

/// `facesim merge` as a library function: merges the result files, prints the merged
/// summary, writes the requested files. Returns whether every threshold held.
///
/// # Errors
/// A [`LoadError`]; [`LoadError::exit_code`] gives the process exit code (2 for usage).
pub fn merge_command(args: &MergeArgs) -> Result<bool, LoadError> {
    let limits = thresholds(args.outputs.max_p99, args.outputs.max_error_rate)?;
    let result = facesim::load::run_merge(&args.inputs, limits.any().then_some(limits))?;
    finish(
        &result,
        args.outputs.json.as_deref(),
        args.outputs.html.as_deref(),
    )
}

fn finish(
    result: &LoadResult,
    json: Option<&Path>,
    page: Option<&Path>,
) -> Result<bool, LoadError> {
    print!("{}", result.summary());
    if let Some(path) = json {
        result.write_json(path)?;
    }
    if let Some(path) = page {
        html::write_html(result, path)?;
    }
    Ok(result.passed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        load: LoadArgs,
    }

    fn config(args: &[&str]) -> Result<LoadConfig, LoadError> {
        let mut all = vec!["facesim", "--to", "http://127.0.0.1:1/e"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all)
            .expect("clap accepts these")
            .load
            .to_config()
    }

    #[test]
    fn defaults_and_modes() {
        let c = config(&[]).unwrap();
        assert!(matches!(c.mode, Mode::Open { .. }));
        assert_eq!(c.duration, Some(Duration::from_secs(10)));
        assert_eq!(c.people, 200);
        assert!(matches!(
            config(&["--max", "--count", "5"]).unwrap().mode,
            Mode::Max
        ));
        assert_eq!(config(&["--count", "5"]).unwrap().duration, None);
        let ramp = config(&["--ramp", "0s:1,2m:5"]).unwrap();
        assert_eq!(ramp.duration, Some(Duration::from_secs(120)));
        assert_eq!(config(&["--devices", "10000"]).unwrap().people, 20);
    }

    #[test]
    fn bad_usage_is_one_line() {
        for args in [
            &["--rate", "5", "--max"][..],
            &["--rate", "0"],
            &["--ramp", "5s:1"],
            &["--duration", "soon"],
            &["--shard", "4/4"],
            &["--devices", "2", "--shard", "0/3"],
            &["--max-error-rate", "101"],
            &["--connections", "0"],
            &["--count", "0"],
            &["--ca-cert", "/nonexistent.pem"],
        ] {
            let e = config(args).expect_err(&format!("{args:?} must be refused"));
            assert_eq!(e.exit_code(), 2, "{args:?}");
            assert!(!e.to_string().contains('\n'), "{e}");
        }
        // The trust flags are the shared group's, whose conflict clap itself refuses.
        let both = [
            "facesim",
            "--to",
            "http://x/",
            "--insecure",
            "--ca-cert",
            "x.pem",
        ];
        assert!(Cli::try_parse_from(both).is_err());
        let mut all = vec!["facesim", "--to", "ftp://x/"];
        all.push("--max");
        assert!(Cli::try_parse_from(all).unwrap().load.to_config().is_err());
    }
}
