//! The terminal's remote authentication (API 1.1 and later): its `/v1/device/functions`
//! settings, persisted in the state directory; the callback to
//! `remote_authentication_address` for exactly the callers the guide's table names, its
//! answer judged by the push's classifier and acted on; the heartbeat, and the fallback
//! to `auth_mode` 0 when the server stays unreachable. The device calls
//! [`RemoteAuth::prepare`] and [`RemoteAuth::decide`] before it stores a record, so the
//! callback always comes first and the pushed record carries the final decision.
//!
//! Choices the guide leaves open, made here (README, "Remote authentication"):
//!
//! - One callback gets the push's timeout (3 s by default), no retry: a person is waiting.
//! - A timeout, a refused connection, a non-200 status, a `code` other than 200 or a body
//!   that is not a conforming answer keeps the door shut, with "No access" on the screen.
//! - Under `auth_mode` 3 a stranger's face opens the door only with `pass: true` and
//!   `verify_code` 2; everywhere else `pass` decides, whatever `verify_code` says.
//! - The fallback clock runs from the moment remote authentication was configured (or
//!   the device started) and restarts at every HTTP 200 heartbeat and every successful
//!   callback. The fallback is not reversed when the server returns: the guide says the
//!   terminal sets `auth_mode` 0, and an operator sets it back.
//! - Heartbeats run from API 1.2 (where the guide documents them) while `auth_mode` is not
//!   0 and an address is set.
//! - Callbacks go on their own line and heartbeats on theirs ([`crate::lines`]), beside
//!   the pushes: a person at the door never waits behind a backlog of records, and a dead
//!   receiver never delays the heartbeat that decides the fallback.

pub(crate) mod routes;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::lines::{CallbackLine, HeartbeatLine, Network};
use crate::profile::{PersonKind, Profile, UserIds};
use crate::push::Pusher;
use crate::stats::{self, Recorder, Sample};
use crate::stop::Stop;
use crate::store::{StoreError, write_atomic};
use crate::synth::{Caller, Generator, Method, Reaction};
use crate::wire::{
    self, AuthMode, AuthRequest, AuthSummary, DeviceFunctions, Event, EventData, FunctionsError,
    Identity, RecognitionType, RecognizeStatus, User, UserId, VerifyCode,
};
use crate::wire::{AuthAnswer, Outcome};

/// The file in the state directory that holds the settings.
pub const FUNCTIONS_FILE: &str = "functions.json";
/// The screen text when the server did not let the person in (or could not be asked).
pub const NO_ACCESS: &str = "No access";
/// `device_run_type` of a terminal whose recognition is stopped.
const DEVICE_STOPPED: u8 = 2;

/// The intervals of remote authentication. The defaults are the guide's; tests may
/// shorten them without changing their meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthTiming {
    /// Between two heartbeats (30 s).
    pub heartbeat: Duration,
    /// The length of one of `remote_auth_timeout_to_local_auth`'s minutes (60 s).
    pub minute: Duration,
}

impl Default for AuthTiming {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(30),
            minute: Duration::from_secs(60),
        }
    }
}

/// Why new settings were not taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetFunctionsError {
    /// The body was refused; nothing changed.
    #[error(transparent)]
    Refused(#[from] FunctionsError),
    /// The settings could not be saved; the old ones stay in force.
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Default)]
struct Counters {
    opened: AtomicU64,
    refused: AtomicU64,
    heartbeats_ok: AtomicU64,
    heartbeats_failed: AtomicU64,
    fallbacks: AtomicU64,
}

/// A record about to be stored, with the callback it may need.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub event: Event,
    /// Who stood at the door, the callback body, and the local verdict.
    pub caller: Option<(Caller, AuthRequest, bool)>,
}

/// The terminal's remote authentication: settings, callbacks, heartbeat and fallback.
pub struct RemoteAuth {
    path: PathBuf,
    profile: &'static Profile,
    timing: AuthTiming,
    functions: watch::Sender<DeviceFunctions>,
    /// When the server last answered (heartbeat 200 or a successful callback), or when
    /// remote authentication was configured.
    last_ok: Mutex<Instant>,
    counters: Counters,
    recorder: Recorder,
    screen: Mutex<Option<String>>,
    /// Told of every heartbeat and fallback.
    activity: crate::activity::Activity,
    /// The line callbacks go on, one at a time.
    callback: CallbackLine,
    /// The line heartbeats go on, held by the one heartbeat loop for its whole life.
    heartbeat: tokio::sync::Mutex<HeartbeatLine>,
}

impl std::fmt::Debug for RemoteAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteAuth")
            .field("functions", &*self.functions.borrow())
            .finish_non_exhaustive()
    }
}

impl RemoteAuth {
    /// Loads the settings from `state_dir` (the defaults when none were saved, with the
    /// verification `mode` the device was started with); every heartbeat and fallback is
    /// told to `activity`. Callbacks and heartbeats go on lines of their own over clones of
    /// `pusher`, out through the terminal's `network`: while it is down they fail as when
    /// the server is unreachable, and nothing is sent.
    ///
    /// # Errors
    /// [`StoreError`] when the file exists but cannot be read or does not parse.
    pub fn open(
        state_dir: &Path,
        profile: &'static Profile,
        timing: AuthTiming,
        mode: wire::Mode,
        activity: crate::activity::Activity,
        pusher: &Pusher,
        network: &Network,
    ) -> Result<Self, StoreError> {
        let path = state_dir.join(FUNCTIONS_FILE);
        let functions = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
                path: path.clone(),
                reason: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => DeviceFunctions {
                mode,
                ..DeviceFunctions::defaults(&profile.functions_rules())
            },
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        let (recorder, _aggregator) = stats::spawn_aggregator();
        Ok(Self {
            path,
            profile,
            timing,
            functions: watch::Sender::new(functions),
            last_ok: Mutex::new(Instant::now()),
            counters: Counters::default(),
            recorder,
            screen: Mutex::new(None),
            activity,
            callback: CallbackLine::new(pusher.clone(), network.clone()),
            heartbeat: tokio::sync::Mutex::new(HeartbeatLine::new(pusher.clone(), network.clone())),
        })
    }

    /// The settings in force.
    pub fn functions(&self) -> DeviceFunctions {
        self.functions.borrow().clone()
    }

    /// Whether recognition is stopped (`device_run_type` 2): the terminal then recognises
    /// nobody, though its alarms still go off.
    pub fn recognition_stopped(&self) -> bool {
        self.functions.borrow().device_run_type == DEVICE_STOPPED
    }

    /// Parses, saves and applies a `POST /v1/device/functions` body.
    ///
    /// # Errors
    /// [`SetFunctionsError`]; nothing changed.
    pub fn set(&self, body: &[u8]) -> Result<DeviceFunctions, SetFunctionsError> {
        let next = wire::parse_functions(body, &self.profile.functions_rules(), &self.functions())?;
        self.save(&next)?;
        // A new configuration gives the server a fresh chance before any fallback.
        self.mark_alive();
        tracing::info!(auth_mode = next.auth_mode.code(), address = %next.address().map_or("", |d| d.as_str()), "functions set");
        self.functions.send_replace(next.clone());
        Ok(next)
    }

    fn save(&self, functions: &DeviceFunctions) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec_pretty(functions).unwrap_or_default();
        write_atomic(&self.path, &bytes)
    }

    fn mark_alive(&self) {
        if let Ok(mut t) = self.last_ok.lock() {
            *t = Instant::now();
        }
    }

    /// Whether a callback can fire at all: the version has one, `auth_mode` is 1 or 3, and
    /// an address is set.
    fn remote(&self) -> Option<(AuthMode, wire::Destination)> {
        let f = self.functions.borrow();
        let mode = f.auth_mode;
        let on = self.profile.auth.callback && (mode.code() == 1 || mode.code() == 3);
        on.then(|| f.address().cloned().map(|d| (mode, d)))
            .flatten()
    }

    /// Makes record `seq` (blocking: it renders the snapshot). With a caller, the record
    /// and callback body are the caller's; without one, the scheduled draw, which under a
    /// remote `auth_mode` is a face at the door: a library person the terminal let in
    /// locally, or a stranger (non-live faces and local failures are never reported).
    pub fn prepare(
        &self,
        generator: &Generator,
        caller: Option<Caller>,
        seq: u64,
        timestamp: i64,
        make: impl FnOnce() -> Event,
    ) -> Prepared {
        if let Some(caller) = caller {
            let (event, request) = generator.caller_event(caller, seq, timestamp);
            let local = caller.reaction(AuthMode::LOCAL) == Reaction::Admit;
            return Prepared {
                event,
                caller: Some((caller, request, local)),
            };
        }
        // The record is made as without a server (from the library when people are
        // enrolled); the callback then describes the same person and the same snapshot.
        let event = make();
        let record = match &event.data {
            EventData::Record(record) if self.remote().is_some() => record,
            _ => {
                return Prepared {
                    event,
                    caller: None,
                };
            }
        };
        let draw = generator.draw(seq);
        let face = match draw.status {
            RecognizeStatus::NonLiveness | RecognizeStatus::AuthFailed => None,
            _ if record.user.is_some() => record.pass.then_some(Caller::library(Method::Face)),
            _ => Some(Caller::stranger(Method::Face)),
        };
        let caller = face.map(|caller| {
            let mut request =
                generator.auth_request_for_draw(caller, &draw, record.rgb_image.clone(), timestamp);
            if let (Some(user), Some(into)) = (&record.user, request.user.as_mut()) {
                adopt(user, into);
            }
            (caller, request, record.pass)
        });
        Prepared { event, caller }
    }

    /// Decides the door for a prepared record: locally, or by the callback when the
    /// guide's table says so, and writes the decision into the record (`pass`, and under
    /// mode 3 the person the server names). `None` when the record needed no decision
    /// (no caller, or a scheduled record under `auth_mode` 0).
    pub async fn decide(
        &self,
        identity: (&Identity, i64),
        prepared: &mut Prepared,
    ) -> Option<AuthSummary> {
        let (caller, request, local) = prepared.caller.as_ref()?;
        let (caller, local) = (*caller, *local);
        let mode = self.functions.borrow().auth_mode;
        let remote = self.remote();
        // Under 1.0, or without an address, nothing goes to a server: the local column.
        let reaction = match remote {
            Some(_) => caller.reaction(mode),
            None => caller.reaction(AuthMode::LOCAL),
        };
        let mut summary = AuthSummary {
            caller: caller.name(),
            auth_mode: mode.code(),
            called: false,
            outcome: None,
            detail: None,
            latency_ms: None,
            pass: local,
            screen: String::new(),
            user_id: None,
            user_name: None,
            verify_code: None,
            verify_score: None,
        };
        match (reaction, remote) {
            (Reaction::Callback, Some((mode, dest))) => {
                let body = Bytes::from(serde_json::to_vec(request).unwrap_or_default());
                let delivery = self
                    .callback
                    .authenticate(&dest, body, Some(identity), self.profile.auth_ids())
                    .await;
                let pass = self.judge(mode, caller, &delivery.outcome, &mut summary);
                summary.called = true;
                summary.outcome = Some(delivery.outcome.class().label().to_string());
                summary.detail = Some(delivery.outcome.describe());
                summary.latency_ms = Some(delivery.latency.as_secs_f64() * 1000.0);
                summary.pass = pass;
                let counter = if pass {
                    &self.counters.opened
                } else {
                    &self.counters.refused
                };
                counter.fetch_add(1, Ordering::Relaxed);
                self.recorder
                    .record(Sample {
                        latency: delivery.latency,
                        class: delivery.outcome.class(),
                        pass: Some(pass),
                    })
                    .await;
                if delivery.outcome.class() == wire::OutcomeClass::Success {
                    self.mark_alive();
                } else {
                    self.check_fallback();
                }
            }
            (Reaction::Refuse(tips), _) => {
                summary.pass = false;
                summary.screen = tips.to_string();
            }
            (Reaction::Admit | Reaction::Callback, _) => summary.pass = local,
        }
        tracing::info!(caller = %caller, called = summary.called, pass = summary.pass, screen = %summary.screen, "door decided");
        if let Ok(mut screen) = self.screen.lock() {
            *screen = Some(summary.screen.clone());
        }
        apply(self.profile, &mut prepared.event, &summary);
        Some(summary)
    }

    /// The door decision from a callback's outcome, filling the summary's screen and named
    /// person.
    fn judge(
        &self,
        mode: AuthMode,
        caller: Caller,
        outcome: &Outcome<AuthAnswer>,
        summary: &mut AuthSummary,
    ) -> bool {
        let Some(d) = outcome.decision() else {
            // No usable answer: the door stays shut (the conservative choice).
            summary.screen = NO_ACCESS.into();
            return false;
        };
        let stranger_face = mode == AuthMode::STRANGERS_TO_SERVER
            && !caller.library
            && caller.method == Method::Face;
        // A stranger's face needs the server's recognition as well as its yes.
        let pass = if stranger_face {
            d.pass && d.verify_code == Some(VerifyCode::Recognised)
        } else {
            d.pass
        };
        summary.screen = d.customtips.clone().unwrap_or_else(|| {
            if pass {
                String::new()
            } else {
                NO_ACCESS.into()
            }
        });
        summary.verify_code = d.verify_code;
        summary.verify_score = d.verify_score;
        if stranger_face && pass {
            summary.user_id = d.user_id.clone();
            summary.user_name = d.user_name.clone();
        }
        pass
    }

    /// Falls back to `auth_mode` 0 when the server has been unreachable for the configured
    /// number of minutes (never when that number is 0).
    fn check_fallback(&self) {
        let f = self.functions();
        let minutes = u32::from(f.fallback_minutes());
        if minutes == 0 || !f.auth_mode.is_remote() {
            return;
        }
        let silent = self.last_ok.lock().map(|t| t.elapsed()).unwrap_or_default();
        if silent < self.timing.minute * minutes {
            return;
        }
        let next = DeviceFunctions {
            auth_mode: AuthMode::LOCAL,
            ..f
        };
        if let Err(e) = self.save(&next) {
            tracing::error!(error = %e, "cannot save the fallback to local authentication");
        }
        self.counters.fallbacks.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            minutes,
            "auth server unreachable: falling back to local authentication (auth_mode 0)"
        );
        self.functions.send_replace(next);
    }

    /// Sends heartbeats while remote authentication is on (from API 1.2), and falls back
    /// when the server stays away, until `stop`. The loop holds the heartbeat line for its
    /// whole life, so beats never overlap.
    pub async fn heartbeat_loop(&self, mut stop: Stop) {
        if !self.profile.auth.fallback {
            return;
        }
        let Some(mut line) = stop.unless(self.heartbeat.lock()).await else {
            return;
        };
        let mut changes = self.functions.subscribe();
        loop {
            let on = changes.wait_for(|f| f.auth_mode.is_remote() && f.address().is_some());
            if stop.unless(on).await.is_none() {
                return;
            }
            let interval = async {
                tokio::select! {
                    () = tokio::time::sleep(self.timing.heartbeat) => true,
                    // A new configuration restarts the interval.
                    _ = changes.changed() => false,
                }
            };
            match stop.unless(interval).await {
                None => return,
                Some(false) => continue,
                Some(true) => {}
            }
            let Some(dest) = self.functions().address().cloned() else {
                continue;
            };
            let Some(beat) = stop.unless(line.beat(&dest)).await else {
                return;
            };
            match beat {
                Ok(200) => {
                    self.counters.heartbeats_ok.fetch_add(1, Ordering::Relaxed);
                    self.mark_alive();
                }
                other => {
                    self.counters
                        .heartbeats_failed
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(answer = ?other, "auth server heartbeat failed");
                }
            }
            self.check_fallback();
            self.activity.bump();
        }
    }

    /// The `callbacks` section of `/sim/stats`.
    pub async fn stats(&self) -> wire::CallbackStats {
        let c = &self.counters;
        let calls = self.recorder.snapshot().await.report();
        wire::CallbackStats {
            auth_mode: self.functions.borrow().auth_mode.code(),
            calls,
            opened: c.opened.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            heartbeats_ok: c.heartbeats_ok.load(Ordering::Relaxed),
            heartbeats_failed: c.heartbeats_failed.load(Ordering::Relaxed),
            fallbacks: c.fallbacks.load(Ordering::Relaxed),
            last_screen: self.screen.lock().ok().and_then(|s| s.clone()),
        }
    }
}

/// Writes the decision into the record: its `pass`, and the person the server named
/// (mode 3), who the record then names as an employee with the version's id type.
fn apply(profile: &Profile, event: &mut Event, summary: &AuthSummary) {
    let Some(record) = event.as_record_mut() else {
        return;
    };
    record.pass = summary.pass;
    if summary.pass && record.abnormal_type.is_some() {
        record.abnormal_type = Some(0);
    }
    if let (Some(id), Some(name)) = (&summary.user_id, &summary.user_name) {
        let id = match (profile.user_ids, id) {
            (UserIds::Integer(_), UserId::Text(t)) => t
                .parse()
                .map_or_else(|_| UserId::Text(t.clone()), UserId::Int),
            (UserIds::Text, UserId::Int(n)) => UserId::Text(n.to_string()),
            (_, id) => id.clone(),
        };
        let kind = profile.user_type(PersonKind::Employee).unwrap_or(1);
        let mut user = User::basic(name.clone(), id, kind);
        // The record's user has its version's fields; the server said nothing of the
        // person's cards or groups, so they are empty.
        let empty = || Some(String::new());
        if profile.card_numbers {
            (user.ic_number, user.job_number) = (empty(), empty());
        }
        if profile.record_ids {
            (user.id_number, user.remark) = (empty(), empty());
            (user.guest_time_start, user.guest_time_end) = (Some(0), Some(0));
            user.groups = Some(Vec::new());
        }
        if profile.entry_details {
            user.pin = empty();
        }
        record.user = Some(user);
        if record.recognition_type.is_some() {
            record.recognition_type = Some(RecognitionType::Employee);
        }
    }
}

/// Gives the callback's `user` the record's person (an enrolled one, say), keeping the
/// callback's own set of fields, which the version decides.
fn adopt(from: &User, into: &mut User) {
    into.name.clone_from(&from.name);
    into.user_id = from.user_id.clone();
    into.kind = from.kind;
    let keep = |field: &mut Option<String>, value: &Option<String>| {
        if field.is_some() {
            *field = Some(value.clone().unwrap_or_default());
        }
    };
    keep(&mut into.ic_number, &from.ic_number);
    keep(&mut into.job_number, &from.job_number);
    keep(&mut into.id_number, &from.id_number);
    keep(&mut into.remark, &from.remark);
    keep(&mut into.pin, &from.pin);
    if into.guest_time_start.is_some() {
        into.guest_time_start = Some(from.guest_time_start.unwrap_or(0));
        into.guest_time_end = Some(from.guest_time_end.unwrap_or(0));
    }
    if into.groups.is_some() {
        into.groups = Some(from.groups.clone().unwrap_or_default());
    }
}
