//! The command line: clap structures whose doc comments are the `--help` text, and their
//! validation into the configurations the library takes. Nothing else sees clap types.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use facesim::push::PushOptions;
use facesim::schedule::Arrival;
use facesim::synth::{StatusMix, SynthConfig};
use facesim::tls::Trust;
use facesim_cli::TrustArgs;
use facesim_proto::profile::ApiVersion;
use facesim_proto::wire::Mode;

/// A simulated face-recognition access terminal and its tools.
///
/// facesim serves the terminal's device API, generates realistic recognition events with
/// synthetic JPEG face snapshots, and pushes them to a third-party receiver.
#[derive(Debug, Parser)]
#[command(
    name = "facesim",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a simulated terminal: the HTTPS device API, and pushes to the configured receiver.
    Device(DeviceArgs),
    /// Run a fleet of full terminals in one process, each on its own address, with a
    /// manifest (`DIR/fleet.json`) and a control API.
    Fleet(Box<FleetArgs>),
    /// Push events straight to a receiver and report each answer.
    Push(PushArgs),
    /// Run the reference receiver (the server at `event_dest`).
    Receiver(ReceiverArgs),
    /// Run a receiver and a terminal on loopback and watch the door decisions.
    Demo(DemoArgs),
    /// Load-test a receiver: open-model arrivals from many devices, HDR latency, thresholds.
    Load(Box<crate::app::load_cli::LoadArgs>),
    /// Merge the JSON results of several load shards exactly (histograms added, not averaged).
    Merge(crate::app::load_cli::MergeArgs),
    /// Print the completion script of a shell (bash, zsh, fish, …) for facesim.
    Completions(facesim_cli::CompletionsArgs),
    /// Print facesim's man page, or write one per command into a directory (`--out DIR`).
    Man(facesim_cli::ManArgs),
}

/// What the events look like.
#[derive(Debug, Clone, Args)]
pub struct SynthArgs {
    /// Seed of every random choice: the same seed gives the same events. The default, 1,
    /// is every command's (`load`, `demo` and `facecert` too).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// People in each device's library.
    #[arg(long, default_value_t = 200)]
    pub people: usize,
    /// Share of each recognition status, e.g. `in-library=80,stranger=10,non-live=5,auth-failed=5`
    /// (labels: unknown, non-live, in-library, stranger, recognized, auth-passed, auth-failed; or codes 0-6).
    #[arg(long)]
    pub status_mix: Option<String>,
    /// Turn the device's mask detection off (every record then has `mask: 0`).
    #[arg(long)]
    pub no_mask_detection: bool,
    /// Verification mode, by the API version's table: under 1.0 0 face, 1 face or card, 2
    /// face/card/QR, 3 face and card, 4 ID card, 5 face or ID card, 6 face and ID card; from
    /// 1.1 2 and 3 swap; from 1.2.1 also 7 face and PIN, 8 face, card and PIN, 9 card and PIN.
    #[arg(long, default_value_t = 0)]
    pub mode: u8,
    /// Snapshot width in pixels.
    #[arg(long, default_value_t = 360)]
    pub width: u32,
    /// Snapshot height in pixels.
    #[arg(long, default_value_t = 480)]
    pub height: u32,
    /// Snapshot JPEG quality (1-100).
    #[arg(long, default_value_t = 85)]
    pub quality: u8,
    /// API version of the terminal's firmware: 1.0, 1.1, 1.2, 1.2.1 or 1.3. It decides the
    /// record's fields and codes, the headers, alarms, and the answer a receiver must give
    /// (a door decision under 1.0, an acknowledgement from 1.1). [default: 1.0; for
    /// `facesim device` and `facesim fleet`, the state directory's version, which an older
    /// directory is migrated from and a newer one refuses] `facesim fleet` also takes
    /// `mix`: terminals of every version, dealt by --seed and the terminal's index (each
    /// keeps its state directory's version across restarts).
    #[arg(long, value_name = "VERSION")]
    pub api_version: Option<ApiChoice>,
    /// Share of pushes that are alarms, in percent (API 1.3 only; default 1 there).
    #[arg(long, value_name = "PCT")]
    pub alarm_share: Option<f64>,
    /// Turn the device's temperature detection off (from API 1.1 `bodyTemperature` is then 0).
    #[arg(long)]
    pub no_temperature: bool,
}

/// What every simulated terminal is given: its recognitions, offline cache, first
/// subscription, web account, restart time, events and trust (`facesim device`, and each
/// terminal of `facesim fleet`).
#[derive(Debug, Clone, Args)]
pub struct TerminalArgs {
    /// Recognitions per second while pushing is enabled (0: only on `POST /sim/trigger`).
    #[arg(long, default_value_t = 1.0)]
    pub rate: f64,
    /// How recognitions are spaced in time: poisson (people walking up independently) or
    /// constant.
    #[arg(long, value_name = "poisson|constant", default_value = "poisson")]
    pub arrival: Arrival,
    /// Most undelivered records kept in the offline cache; at the cap the oldest is dropped.
    #[arg(long, default_value_t = facesim::store::DEFAULT_QUEUE_CAP)]
    pub queue_cap: usize,
    /// Configure pushing to this receiver at the first start, as `POST /v1/event/subscribe`
    /// would.
    #[arg(long, value_name = "URL")]
    pub event_dest: Option<String>,
    /// The web account's user name (`POST /v1/auth/login`, Basic credentials).
    #[arg(long, default_value = facesim::access::DEFAULT_USERNAME)]
    pub username: String,
    /// The web account's password [default: facesim-admin, printed at start].
    #[arg(long)]
    pub password: Option<String>,
    /// How long a terminal is down when it restarts (`/v1/device/reboot`, `restore`,
    /// `upgrade`), in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    pub reboot_time: u64,
    #[command(flatten)]
    pub synth: SynthArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// `facesim device`.
#[derive(Debug, Clone, Args)]
pub struct DeviceArgs {
    /// Address the device API listens on (the real terminal uses port 8000).
    #[arg(long, default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,
    /// State directory: configuration, certificate, record counter, offline queue.
    #[arg(long, value_name = "DIR", default_value = "facesim-state")]
    pub state: PathBuf,
    /// Serve the API over plain HTTP instead of HTTPS.
    #[arg(long)]
    pub plain_http: bool,
    /// Certificate (PEM) for the API, instead of the self-signed one in the state directory.
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Private key (PEM) for `--cert`.
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Serial number; by default a realistic one (an S7's) derived from the seed. The model
    /// follows it: `PSC8…` (e.g. PSC800C0MC22G00025) is an S8, which alone has
    /// `/v1/device/antiepidemic`.
    #[arg(long)]
    pub sn: Option<String>,
    /// Answer every route without credentials (login still works), for quick experiments.
    #[arg(long)]
    pub no_auth: bool,
    #[command(flatten)]
    pub terminal: TerminalArgs,
}

/// `facesim fleet`.
#[derive(Debug, Clone, Args)]
pub struct FleetArgs {
    /// How many terminals.
    #[arg(long, default_value_t = 3)]
    pub devices: u32,
    /// The fleet's directory: each terminal's state in `DIR/<sn>/`, the manifest in
    /// `DIR/fleet.json`. A fleet started again on the same directory resumes every terminal.
    #[arg(long, value_name = "DIR", default_value = "facesim-fleet")]
    pub state: PathBuf,
    /// Put every terminal on 127.0.0.1 at BASE, BASE+1, … instead of one loopback address
    /// each (127.0.1.1, 127.0.1.2, …); 0 gives each a free port (the manifest says which).
    #[arg(long, value_name = "BASE")]
    pub ports: Option<u16>,
    /// With --ports, put the terminals on this address instead of 127.0.0.1 (a pod's IP,
    /// so that other hosts reach them; the manifest and certificates name it).
    #[arg(long, value_name = "IP", requires = "ports")]
    pub bind: Option<std::net::IpAddr>,
    /// The port of every terminal on its own loopback address (the real terminal's is 8000).
    #[arg(long, default_value_t = 8000, conflicts_with = "ports")]
    pub port: u16,
    /// Address of the fleet's control API (`/sim/fleet/…`, plain HTTP).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
    pub control: SocketAddr,
    /// Seconds between progress lines (0: none).
    #[arg(long, value_name = "S", default_value_t = 10)]
    pub progress: u64,
    /// Start terminal SN with its network down (repeatable); `POST /sim/fleet/SN/online`
    /// brings it up.
    #[arg(long, value_name = "SN")]
    pub offline: Vec<String>,
    /// Start terminal SN with its clock SECONDS off (ahead; negative: behind; repeatable).
    #[arg(long, value_name = "SN=SECONDS", allow_hyphen_values = true)]
    pub drift: Vec<String>,
    /// Announce every terminal by mDNS (`_http._tcp.local.`, instance `sensetime`, TXT `sn`
    /// and `model`, every 3 s), on this interface address only. Off by default.
    #[arg(long, value_name = "ADDR")]
    pub mdns: Option<std::net::Ipv4Addr>,
    /// Be shard I of N (I from 0) of a fleet of --devices terminals spread over N
    /// processes: this one runs terminals I, I+N, I+2N, … with the serial numbers and
    /// addresses they have in the whole fleet, and writes `DIR/fleet-I-of-N.json`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// What the terminals see: `terminals` (each its own people, at --rate) or `building`
    /// (the terminals are the doors of one building, the first fifth the lobby's, and one
    /// population walks through them over the day: see /sim/fleet/plan, /people, /occupancy;
    /// the terminals then make no records of their own and --rate is not used).
    #[arg(long, value_name = "PROFILE", default_value = "terminals")]
    pub profile: FleetProfile,
    /// People in the building (--profile building): employees, visitors and strangers.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub occupants: usize,
    /// Floors of the building [default: one per three terminals off the lobby].
    #[arg(long, value_name = "N")]
    pub floors: Option<u32>,
    /// Run the building's day F times faster than real time (1440: a day in a minute).
    #[arg(long, value_name = "F", default_value_t = 1.0)]
    pub clock: f64,
    /// The building's time of day at start, HH:MM or HH:MM:SS [default: the clock's, UTC].
    #[arg(long, value_name = "HH:MM")]
    pub day_start: Option<String>,
    /// Days the building walks before it falls quiet [default: day after day].
    #[arg(long, value_name = "N")]
    pub days: Option<u64>,
    /// Enrol the building's employees and visitors (id, name, type and photo, as
    /// /sim/fleet/people lists them) on every terminal before the day begins, as a
    /// platform would through /v1/user (--profile building).
    #[arg(long)]
    pub enrol: bool,
    #[command(flatten)]
    pub terminal: TerminalArgs,
}

/// What a fleet's terminals see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FleetProfile {
    /// Independent terminals, each recognising its own people at --rate.
    Terminals,
    /// One building: one population through the lobby and the floors' doors.
    Building,
}

/// `facesim push`.
#[derive(Debug, Clone, Args)]
pub struct PushArgs {
    /// Receiver URL, e.g. `http://127.0.0.1:8080/eventRcv`.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Events to send in all.
    #[arg(long, default_value_t = 10)]
    pub count: u64,
    /// Total events per second across devices (default: as fast as each device's
    /// one-request-at-a-time allows).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Simulated devices, each with its own serial number and people, pushing concurrently.
    #[arg(long, default_value_t = 1)]
    pub devices: u32,
    /// Print only the summary.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub synth: SynthArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// `facesim receiver`.
#[derive(Debug, Clone, Args)]
pub struct ReceiverArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Save every snapshot here as `<SN>-<seq>.jpg`.
    #[arg(long, value_name = "DIR")]
    pub save_dir: Option<PathBuf>,
    /// Lowest recognition score that opens the door.
    #[arg(long, default_value_t = 0.75)]
    pub min_score: f64,
    /// Lowest liveness score that opens the door.
    #[arg(long, default_value_t = 0.5)]
    pub min_liveness: f64,
    /// Let strangers through too (a door that fails open, for testing).
    #[arg(long)]
    pub admit_strangers: bool,
    /// Serve HTTPS with a self-signed certificate written to this file (PEM), for devices to pin.
    #[arg(long, value_name = "PEM")]
    pub tls_cert_out: Option<PathBuf>,
    /// Misbehave on purpose: serve one of the receiver zoo's faults instead (see --list-faults),
    /// to see how a terminal or a tool copes with a broken receiver.
    #[arg(long, value_name = "NAME")]
    pub fault: Option<String>,
    /// List the receiver zoo's faults and exit.
    #[arg(long)]
    pub list_faults: bool,
    /// API version the receiver answers for: a door decision under 1.0, an acknowledgement
    /// (`{"code":200,"msg":"success","data":{}}`) from 1.1.
    #[arg(long, value_name = "VERSION", default_value = "1.0")]
    pub api_version: ApiVersion,
    /// Remote authentication (`/auth`): lowest `recognizeScore` that lets a library person in.
    #[arg(long, default_value_t = 0.75)]
    pub auth_min_score: f64,
    /// Remote authentication: QR codes whose content starts with this open the door.
    #[arg(long, value_name = "PREFIX", default_value = "facesim-qr-")]
    pub qr_prefix: String,
    /// Remote authentication: a stranger's face the server recognises, named by its
    /// snapshot's trace, as `[SN/]SEQ=USER_ID:NAME` (repeatable), e.g. `7=u-42:Li Wei`.
    #[arg(long, value_name = "FACE")]
    pub known_face: Vec<facesim::receiver::auth::KnownFace>,
}

/// `facesim demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Events to watch before stopping.
    #[arg(long, default_value_t = 20)]
    pub events: u64,
    /// Recognitions per second.
    #[arg(long, default_value_t = 5.0)]
    pub rate: f64,
    /// Seed of the simulated people and events.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// API version of the terminal and the receiver (1.0, 1.1, 1.2, 1.2.1, 1.3).
    #[arg(long, value_name = "VERSION", default_value = "1.0")]
    pub api_version: ApiVersion,
}

/// Parses the process's arguments. `--help` and `--version` are printed in full and end
/// the process with 0; a usage error is turned into one readable line
/// ([`facesim_cli::one_line`]) and returned for the caller to print and exit 2 with.
///
/// # Errors
/// The one-line usage error.
pub fn parse_args<T: Parser>() -> Result<T, UsageError> {
    match T::try_parse() {
        Ok(parsed) => Ok(parsed),
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            std::process::exit(0);
        }
        Err(e) => Err(UsageError(facesim_cli::one_line(&e.render().to_string()))),
    }
}

/// A command line that parses but makes no sense.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

fn usage(e: impl std::fmt::Display) -> UsageError {
    UsageError(e.to_string())
}

/// The `--api-version` asked for: one version, or (for a fleet) a mix of them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiChoice {
    /// Every terminal speaks this version.
    One(ApiVersion),
    /// A fleet's terminals speak every version (`facesim fleet --api-version mix`).
    Mix,
}

impl std::str::FromStr for ApiChoice {
    type Err = facesim_proto::profile::UnknownVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("mix") {
            Ok(Self::Mix)
        } else {
            s.parse().map(Self::One)
        }
    }
}

impl SynthArgs {
    /// The one version asked for, if any.
    ///
    /// # Errors
    /// [`UsageError`] for `mix`, which only a fleet takes.
    pub fn one_version(&self) -> Result<Option<ApiVersion>, UsageError> {
        match self.api_version {
            Some(ApiChoice::Mix) => Err(usage(
                "--api-version mix is for `facesim fleet`; name one version: 1.0, 1.1, 1.2, 1.2.1 or 1.3",
            )),
            Some(ApiChoice::One(v)) => Ok(Some(v)),
            None => Ok(None),
        }
    }

    /// The generator configuration.
    ///
    /// Under `--api-version mix` it is the default version's, with `--mode` checked
    /// against every version, since every version is in the mix.
    ///
    /// # Errors
    /// [`UsageError`] for an unknown mode, a bad status mix or out-of-range sizes.
    pub fn config(&self) -> Result<SynthConfig, UsageError> {
        let status_mix = match &self.status_mix {
            Some(text) => text.parse::<StatusMix>().map_err(usage)?,
            None => StatusMix::default(),
        };
        let (api, max) = match self.api_version {
            Some(ApiChoice::One(api)) => (api, *api.profile().modes.end()),
            None => (
                ApiVersion::default(),
                *ApiVersion::default().profile().modes.end(),
            ),
            Some(ApiChoice::Mix) => (
                ApiVersion::default(),
                ApiVersion::ALL
                    .iter()
                    .map(|v| *v.profile().modes.end())
                    .min()
                    .unwrap_or_default(),
            ),
        };
        let mode = Mode::try_from(self.mode)
            .ok()
            .filter(|m| m.code() <= max)
            .ok_or_else(|| {
                usage(format!(
                    "--mode {} is not defined in API {}; use 0-{max}",
                    self.mode, api
                ))
            })?;
        let config = SynthConfig {
            seed: self.seed,
            people: self.people,
            status_mix,
            mask_detection: !self.no_mask_detection,
            mode,
            width: self.width,
            height: self.height,
            quality: self.quality,
            api,
            temperature_detection: !self.no_temperature,
            alarm_share: self.alarm_share,
        };
        config.validate().map_err(usage)?;
        Ok(config)
    }
}

/// The client options the trust and timeout flags choose.
///
/// # Errors
/// [`UsageError`] when the CA file is unusable or the timeout is zero.
pub fn push_options(trust: &TrustArgs) -> Result<PushOptions, UsageError> {
    let timeout = trust
        .timeout()
        .ok_or_else(|| usage("--timeout must be at least 1 ms"))?;
    Ok(PushOptions {
        timeout,
        trust: Trust::from_flags(trust.insecure, trust.ca_cert.as_deref()).map_err(usage)?,
        ..PushOptions::default()
    })
}

/// Checks a rate flag.
///
/// # Errors
/// [`UsageError`] unless the rate is finite and at least `min`.
pub fn check_rate(flag: &str, rate: f64, min: f64) -> Result<f64, UsageError> {
    if rate.is_finite() && rate >= min {
        Ok(rate)
    } else {
        Err(usage(format!(
            "{flag} must be a number of at least {min}, got {rate}"
        )))
    }
}
