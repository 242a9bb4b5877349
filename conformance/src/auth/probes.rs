//! The auth suite's requests, built deterministically from the seed and the API version:
//! the terminal's callback bodies for every kind of caller the guide lists (the
//! simulator's `Generator::auth_request`, the same bodies `facesim device` sends), the
//! heartbeat, and requests a terminal never sends.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use facesim::synth::{Caller, Generator, Method, Reaction, SynthConfig, TRIGGERS, device_sn};
use facesim_proto::profile::{ApiVersion, PersonKind, Profile};
use facesim_proto::wire::AuthMode;
use serde_json::Value;

use crate::client::Method as HttpMethod;
use crate::probe::Probe;

const JSON: &str = "application/json";

/// Record numbers of the probes, apart so no two bodies coincide.
const SEQ_BASELINE: u64 = 1;
const SEQ_CALLERS: u64 = 100;
const SEQ_BLACKLIST: u64 = 1_000;
const SEQ_LOAD: u64 = 10_000;
/// How far the search for a blacklisted caller goes: a population holds a few percent of
/// them, so a few hundred draws find one.
const BLACKLIST_SEARCH: u64 = 5_000;

/// A caller whose callback the terminal sends, and under which `auth_mode`.
#[derive(Debug, Clone)]
pub struct CallerProbe {
    pub caller: Caller,
    /// The mode that makes the terminal call for this caller (1 before 3 when both do).
    pub mode: AuthMode,
    pub probe: Arc<Probe>,
}

/// Builds every request of the auth suite from a seed.
#[derive(Debug)]
pub struct AuthFactory {
    api: ApiVersion,
    generator: Generator,
    /// A few rendered snapshots, reused: rendering one per request would dominate the
    /// suite's run time in debug builds.
    pool: Vec<String>,
    base_timestamp: i64,
}

impl AuthFactory {
    /// The requests of API version `api`, built from `seed`.
    pub fn new(seed: u64, api: ApiVersion) -> Self {
        let cfg = SynthConfig {
            seed,
            api,
            ..SynthConfig::default()
        };
        let generator = Generator::new(&cfg, device_sn(seed, 0));
        let pool = (1..=4)
            .map(|seq| STANDARD.encode(generator.snapshot(&generator.draw(seq))))
            .collect();
        Self {
            api,
            generator,
            pool,
            base_timestamp: 1_672_531_200 + i64::try_from(seed % 31_536_000).unwrap_or(0),
        }
    }

    pub fn profile(&self) -> &'static Profile {
        self.api.profile()
    }

    fn body(&self, generator: &Generator, caller: Caller, seq: u64) -> Value {
        let image = self.pool[usize::try_from(seq % 4).unwrap_or(0)].clone();
        let request = generator.auth_request_with_image(
            caller,
            seq,
            image,
            self.base_timestamp + i64::try_from(seq).unwrap_or(0),
        );
        serde_json::to_value(request).unwrap_or_default()
    }

    fn callback(&self, name: &str, caller: Caller, seq: u64) -> Arc<Probe> {
        json_probe(name, &self.body(&self.generator, caller, seq), true)
    }

    /// The baseline: a library person recognised by face, under `auth_mode` 1 the most
    /// common callback.
    pub fn baseline(&self) -> Arc<Probe> {
        self.callback("auth-baseline", Caller::library(Method::Face), SEQ_BASELINE)
    }

    /// Every other caller the terminal sends a callback for, under mode 1 or 3 (the
    /// guide's table, as the simulator's [`TRIGGERS`] holds it), library people first.
    pub fn callers(&self) -> Vec<CallerProbe> {
        TRIGGERS
            .iter()
            .enumerate()
            .filter(|(_, t)| t.caller != Caller::library(Method::Face))
            .filter_map(|(i, t)| {
                let mode = match (t.mode_1, t.mode_3) {
                    (Reaction::Callback, _) => AuthMode::LIBRARY_TO_SERVER,
                    (_, Reaction::Callback) => AuthMode::STRANGERS_TO_SERVER,
                    _ => return None,
                };
                let seq = SEQ_CALLERS + i as u64;
                let name = format!("auth-{}", t.caller.name());
                Some(CallerProbe {
                    caller: t.caller,
                    mode,
                    probe: self.callback(&name, t.caller, seq),
                })
            })
            .collect()
    }

    /// The callbacks of library people identified other than by QR code (AC-01).
    pub fn library_callers(&self) -> Vec<Arc<Probe>> {
        self.callers_where(|c| c.library && c.method != Method::QrCode)
    }

    /// The callbacks of strangers identified other than by QR code (AC-02).
    pub fn stranger_callers(&self) -> Vec<Arc<Probe>> {
        self.callers_where(|c| !c.library && c.method != Method::QrCode)
    }

    /// Every QR-code callback, library people's and strangers' (AC-03).
    pub fn qr_callers(&self) -> Vec<Arc<Probe>> {
        self.callers_where(|c| c.method == Method::QrCode)
    }

    fn callers_where(&self, pick: impl Fn(&Caller) -> bool) -> Vec<Arc<Probe>> {
        self.callers()
            .into_iter()
            .filter(|c| pick(&c.caller))
            .map(|c| c.probe)
            .collect()
    }

    /// A blacklisted library person's callback (by face, mode 1), when the version has
    /// a blacklist and the population a blacklisted person.
    pub fn blacklisted(&self) -> Option<Arc<Probe>> {
        let code = self.profile().user_type(PersonKind::Blacklisted)?;
        (SEQ_BLACKLIST..SEQ_BLACKLIST + BLACKLIST_SEARCH)
            .map(|seq| {
                (
                    seq,
                    self.body(&self.generator, Caller::library(Method::Face), seq),
                )
            })
            .find(|(_, body)| body["user"]["type"].as_i64() == Some(code))
            .map(|(_, body)| json_probe("auth-blacklisted", &body, true))
    }

    /// The baseline with fields a later firmware may add, at the top and in `user`.
    pub fn unknown_fields(&self) -> Arc<Probe> {
        let mut body = self.body(
            &self.generator,
            Caller::library(Method::Face),
            SEQ_BASELINE + 1,
        );
        if let Some(top) = body.as_object_mut() {
            top.insert("future_field".into(), Value::from("from a later firmware"));
            top.insert("future_flags".into(), serde_json::json!({"liveness": 2}));
        }
        if let Some(user) = body.get_mut("user").and_then(Value::as_object_mut) {
            user.insert("future_user_field".into(), Value::from(7));
        }
        json_probe("auth-unknown-fields", &body, true)
    }

    /// The heartbeat: a GET on the callback URL.
    pub fn heartbeat(&self, n: u64) -> Arc<Probe> {
        Arc::new(Probe {
            name: format!("auth-heartbeat-{n}"),
            method: HttpMethod::Get,
            content_type: None,
            body: Bytes::new(),
            valid: false,
            identity: true,
        })
    }

    /// A valid callback sent after each bad request, to see the server still decides.
    pub fn alive(&self, n: u64) -> Arc<Probe> {
        self.callback(
            &format!("auth-alive-{n}"),
            Caller::library(Method::Face),
            SEQ_BASELINE + 10 + n,
        )
    }

    /// Requests that are not callbacks: none of them may open the door.
    pub fn bad(&self) -> Vec<Arc<Probe>> {
        let push = self.generator.generate(1, self.base_timestamp);
        vec![
            other(
                "auth-not-json",
                Some(JSON),
                b"{\"deviceSN\": \"PS7".to_vec(),
            ),
            other("auth-empty-body", Some(JSON), Vec::new()),
            other("auth-json-array", Some(JSON), b"[]".to_vec()),
            other("auth-empty-object", Some(JSON), b"{}".to_vec()),
            other(
                "auth-push-record",
                Some(JSON),
                serde_json::to_vec(&push.event).unwrap_or_default(),
            ),
        ]
    }

    /// `count` callbacks from `devices` terminals for the load phase: each terminal's
    /// library people by face (the mode-1 traffic of a busy door) and every fifth caller a
    /// stranger's face (mode 3).
    pub fn load(&self, count: usize, devices: usize) -> Vec<Arc<Probe>> {
        let cfg = self.generator.config().clone();
        let generators: Vec<Generator> = (0..devices.max(1))
            .map(|k| Generator::new(&cfg, device_sn(cfg.seed, u32::try_from(k).unwrap_or(0))))
            .collect();
        (0..count)
            .map(|i| {
                let generator = &generators[i % generators.len()];
                let caller = if i % 5 == 4 {
                    Caller::stranger(Method::Face)
                } else {
                    Caller::library(Method::Face)
                };
                let seq = SEQ_LOAD + i as u64;
                json_probe(
                    &format!("auth-load-{i}"),
                    &self.body(generator, caller, seq),
                    true,
                )
            })
            .collect()
    }

    /// The request of this name, for `facecert body`.
    pub fn named(&self, name: &str) -> Option<Arc<Probe>> {
        let fixed = [self.baseline(), self.unknown_fields()];
        fixed
            .into_iter()
            .chain(self.callers().into_iter().map(|c| c.probe))
            .chain(self.blacklisted())
            .chain(self.bad())
            .find(|p| p.name == name)
    }
}

fn json_probe(name: &str, body: &Value, valid: bool) -> Arc<Probe> {
    Arc::new(Probe {
        name: name.into(),
        method: HttpMethod::Post,
        content_type: Some(JSON.into()),
        body: Bytes::from(serde_json::to_vec(body).unwrap_or_default()),
        valid,
        identity: true,
    })
}

fn other(name: &str, content_type: Option<&str>, body: Vec<u8>) -> Arc<Probe> {
    Arc::new(Probe {
        name: name.into(),
        method: HttpMethod::Post,
        content_type: content_type.map(str::to_string),
        body: Bytes::from(body),
        valid: false,
        identity: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_are_reproducible_and_follow_the_table() {
        let a = AuthFactory::new(3, ApiVersion::V1_3);
        let b = AuthFactory::new(3, ApiVersion::V1_3);
        assert_eq!(a.baseline().body, b.baseline().body);
        let callers = a.callers();
        let names: Vec<String> = callers.iter().map(|c| c.caller.name()).collect();
        // Library people by every method but face (the baseline) call under mode 1;
        // strangers' faces under mode 3; QR codes under both; strangers' cards never.
        assert!(names.contains(&"library-card".to_string()), "{names:?}");
        assert!(names.contains(&"stranger-face".to_string()), "{names:?}");
        assert!(names.contains(&"stranger-qr".to_string()), "{names:?}");
        assert!(!names.contains(&"stranger-card".to_string()), "{names:?}");
        let stranger: Value =
            serde_json::from_slice(&a.named("auth-stranger-face").expect("named").body)
                .expect("JSON");
        assert!(stranger.get("user").is_none());
        let blacklisted: Value =
            serde_json::from_slice(&a.blacklisted().expect("a blacklisted person").body)
                .expect("JSON");
        assert_eq!(blacklisted["user"]["type"], 5);
        assert_eq!(a.load(10, 3).len(), 10);
    }
}
