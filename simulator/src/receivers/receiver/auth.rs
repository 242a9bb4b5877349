//! The reference remote-authentication server: what a terminal under `auth_mode` 1 or 3
//! calls at `remote_authentication_address`, done right and small enough to read as an
//! example. `facesim receiver` serves it at `/auth` next to the push receiver:
//!
//! - `POST /auth` with a callback body ([`AuthRequest`]) is decided by an [`AuthPolicy`]
//!   and answered `{"code": 200, "msg": "OK", "data": {"pass", "customtips", …}}`.
//! - `GET /auth` is the terminal's heartbeat: HTTP 200 with the same envelope.
//!
//! A body that is not a callback gets an HTTP 4xx with an answer that still says
//! `pass: false`, so that a terminal that reads it anyway keeps the door shut.

use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;
use tokio::sync::mpsc;
use warp::Filter;

use super::text::{fit_tips, is_json_content_type};
use crate::profile::{ApiVersion, PersonKind, Profile, UserIds};
use crate::server::{self, Response};
use crate::synth::jpeg;
use crate::wire::{AuthAnswer, AuthDecision, AuthRequest, RecognizeStatus, UserId, VerifyCode};

/// The score the reference server reports for a face it recognises from its own list.
pub const KNOWN_FACE_SCORE: f64 = 0.93;

/// A face the server "recognises" although the terminal did not: a stranger's snapshot,
/// named by the `facesim sn=.. seq=..` trace every synthetic snapshot carries (a real
/// server would match the face against its own gallery).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownFace {
    /// The terminal's serial number; `None` matches every terminal.
    pub sn: Option<String>,
    /// The record number of the snapshot.
    pub seq: u64,
    /// Who the server says it is.
    pub user_id: String,
    pub user_name: String,
}

impl std::str::FromStr for KnownFace {
    type Err = String;

    /// `[SN/]SEQ=USER_ID:NAME`, e.g. `7=u-42:Li Wei` or `PS71HD01MC22C00014/7=42:Li Wei`.
    fn from_str(s: &str) -> Result<Self, String> {
        let usage = || format!("known face `{s}` must read [SN/]SEQ=USER_ID:NAME");
        let (trace, who) = s.split_once('=').ok_or_else(usage)?;
        let (sn, seq) = match trace.split_once('/') {
            Some((sn, seq)) => (Some(sn.to_string()), seq),
            None => (None, trace),
        };
        let seq = seq.trim().parse().map_err(|_| usage())?;
        let (user_id, user_name) = who.split_once(':').ok_or_else(usage)?;
        if user_id.is_empty() || user_name.is_empty() {
            return Err(usage());
        }
        Ok(Self {
            sn,
            seq,
            user_id: user_id.into(),
            user_name: user_name.into(),
        })
    }
}

/// How the reference auth server decides.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthPolicy {
    /// Lowest `recognizeScore` that lets a library person in (when the version sends a
    /// score; before 1.2 the terminal's own recognition is trusted).
    pub min_score: f64,
    /// QR codes whose content starts with this are valid.
    pub qr_prefix: String,
    /// Strangers' faces the server recognises.
    pub known_faces: Vec<KnownFace>,
    /// Screen text when the door stays shut.
    pub deny_tips: String,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        Self {
            min_score: 0.75,
            qr_prefix: "facesim-qr-".into(),
            known_faces: Vec::new(),
            deny_tips: "No access".into(),
        }
    }
}

impl AuthPolicy {
    /// Decides one callback under `profile` (which types the `user_id` it answers). Every
    /// answer says `pass`, a `verify_code` and `customtips`; it names the person
    /// (`user_id`, `user_name`, `verify_score`) whenever the server knows who it is.
    pub fn decide(&self, request: &AuthRequest, profile: &Profile) -> AuthDecision {
        let deny = |code: VerifyCode| AuthDecision {
            pass: false,
            customtips: Some(fit_tips(&self.deny_tips)),
            verify_code: Some(code),
            ..AuthDecision::default()
        };
        // A photo or a screen held up to the camera never opens the door, whoever it shows.
        if request.recognize_status == RecognizeStatus::NonLiveness {
            return deny(VerifyCode::NoMatch);
        }
        // A QR code is the server's own credential: valid codes open, whoever holds them,
        // and the person is named when the terminal knows them.
        if let Some(code) = request.qrcode_content.as_deref().filter(|c| !c.is_empty()) {
            if !code.starts_with(&self.qr_prefix) {
                return deny(VerifyCode::NoPermission);
            }
            let mut decision = AuthDecision {
                pass: true,
                customtips: Some(fit_tips("Welcome")),
                verify_code: Some(VerifyCode::Recognised),
                ..AuthDecision::default()
            };
            if let Some(user) = &request.user {
                decision.user_id = Some(user.user_id.clone());
                decision.user_name = Some(user.name.clone());
                decision.customtips = Some(fit_tips(&format!("Hi {}", user.name)));
            }
            return decision;
        }
        match &request.user {
            // A library person (mode 1): the server has the last word on access.
            Some(user) => {
                let named = |mut d: AuthDecision| {
                    d.user_id = Some(user.user_id.clone());
                    d.user_name = Some(user.name.clone());
                    d.verify_score = request.recognize_score;
                    d
                };
                match profile.person_kind(user.kind) {
                    // The blacklisted are never let in.
                    Some(PersonKind::Blacklisted) => named(deny(VerifyCode::NoPermission)),
                    // A type the version does not define is nobody the server knows.
                    None => named(deny(VerifyCode::NoMatch)),
                    Some(PersonKind::Employee | PersonKind::Visitor) => {
                        // A visitor's pass must cover the moment of the visit (the times
                        // are Unix milliseconds; 0 means unset).
                        let now_ms = request.timestamp.saturating_mul(1000);
                        let outside = match (user.guest_time_start, user.guest_time_end) {
                            (Some(start), Some(end)) if start > 0 || end > 0 => {
                                now_ms < start || now_ms > end
                            }
                            _ => false,
                        };
                        // A weak face match is not enough to open the door.
                        let weak = request.recognize_score.is_some_and(|s| s < self.min_score);
                        if outside {
                            named(deny(VerifyCode::OutsideHours))
                        } else if weak {
                            named(deny(VerifyCode::NoMatch))
                        } else {
                            named(AuthDecision {
                                pass: true,
                                customtips: Some(fit_tips(&format!("Hi {}", user.name))),
                                verify_code: Some(VerifyCode::Recognised),
                                ..AuthDecision::default()
                            })
                        }
                    }
                }
            }
            // A stranger's face (mode 3): the server recognises it only when it is in its
            // own list, and then names the person with its own score.
            None => match self.recognise(request) {
                Some(face) => AuthDecision {
                    pass: true,
                    customtips: Some(fit_tips(&format!("Hi {}", face.user_name))),
                    user_id: Some(answer_id(&face.user_id, profile)),
                    user_name: Some(face.user_name.clone()),
                    verify_score: Some(KNOWN_FACE_SCORE),
                    verify_code: Some(VerifyCode::Recognised),
                    ic_number: None,
                },
                None => deny(VerifyCode::NoMatch),
            },
        }
    }

    /// The known face whose trace the snapshot carries, if any.
    fn recognise(&self, request: &AuthRequest) -> Option<&KnownFace> {
        use base64::Engine as _;
        let jpeg = base64::engine::general_purpose::STANDARD
            .decode(request.rgb_image.as_bytes())
            .ok()?;
        let (sn, seq) = jpeg::read_comment(&jpeg).and_then(|c| jpeg::parse_trace(&c))?;
        self.known_faces
            .iter()
            .find(|f| f.seq == seq && f.sn.as_ref().is_none_or(|s| *s == sn))
    }
}

/// A server-side id in the type the version wants: an integer up to 1.2 (when it is one),
/// a string from 1.2.1.
fn answer_id(id: &str, profile: &Profile) -> UserId {
    match (profile.user_ids, id.parse::<i64>()) {
        (UserIds::Integer(_), Ok(n)) => UserId::Int(n),
        _ => UserId::Text(id.to_string()),
    }
}

/// One callback the server decided, for the console or a test.
#[derive(Debug, Clone)]
pub struct AuthDecided {
    pub request: AuthRequest,
    pub answer: AuthAnswer,
}

/// The reference auth server's answer to one request: its HTTP status and JSON body. The
/// zoo's auth faults bend this answer.
pub fn answer(
    policy: &AuthPolicy,
    api: ApiVersion,
    content_type: Option<&str>,
    body: &[u8],
) -> (StatusCode, AuthAnswer, Option<AuthRequest>) {
    let refuse = |status: StatusCode, msg: String| {
        let answer = AuthAnswer {
            code: i64::from(status.as_u16()),
            msg,
            data: AuthDecision::default(),
        };
        (status, answer, None)
    };
    if !content_type.is_some_and(is_json_content_type) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json".into(),
        );
    }
    let request: AuthRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, format!("not a callback body: {e}")),
    };
    let decision = policy.decide(&request, api.profile());
    (StatusCode::OK, AuthAnswer::ok(decision), Some(request))
}

/// The heartbeat's answer: HTTP 200 and the envelope.
pub fn heartbeat() -> AuthAnswer {
    AuthAnswer::ok(AuthDecision::default())
}

/// The routes at `/auth`: `POST` decides, `GET` answers the heartbeat.
pub(super) fn routes(
    policy: Arc<AuthPolicy>,
    api: ApiVersion,
    max_body: u64,
    decided: Option<mpsc::UnboundedSender<AuthDecided>>,
    counters: Arc<super::Counters>,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone + Send + Sync + 'static {
    let at = warp::path("auth").and(warp::path::end());
    let beats = counters.clone();
    let beat = at.and(warp::get()).map(move || {
        beats.callback(super::Callback::Heartbeat);
        server::json_reply(StatusCode::OK, &heartbeat())
    });
    let call = at
        .and(warp::post())
        .and(warp::header::optional::<String>("content-type"))
        .and(warp::body::content_length_limit(max_body))
        .and(warp::body::bytes())
        .map(move |content_type: Option<String>, body: Bytes| {
            let (status, answer, request) = answer(&policy, api, content_type.as_deref(), &body);
            counters.callback(match request {
                Some(_) => super::Callback::Decided {
                    pass: answer.data.pass,
                },
                None => super::Callback::Refused,
            });
            let reply = server::json_reply(status, &answer);
            if let (Some(tx), Some(request)) = (&decided, request) {
                let _ = tx.send(AuthDecided { request, answer });
            }
            reply
        });
    beat.or(call).unify()
}
