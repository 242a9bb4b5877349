//! Delivery of one event to a receiver, and the classification of what came back. Both the
//! simulated device and the push and load commands send through a [`Pusher`].

use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use crate::profile::ApiVersion;
use crate::tls::{self, Trust};
use crate::wire::{self, Answer, AnswerError, AnswerRule, Destination, Identity, Judged};

/// The class of an outcome lives with the wire types (it is spelled in `/sim/stats` and
/// every report); it is re-exported here, where callers of the pusher look for it.
pub use crate::wire::OutcomeClass;

/// Largest answer body read from a receiver; real answers are well under a kilobyte.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;
/// The default time a device waits for an answer before it counts the push as lost.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// How to push.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Time allowed for the whole exchange: connect, send, answer.
    pub timeout: Duration,
    /// How `https` receivers are verified.
    pub trust: Trust,
    /// Idle connections kept per receiver host; 0 opens a fresh connection for every event.
    pub idle_per_host: usize,
    /// The API version whose answer rule judges what comes back.
    pub api: ApiVersion,
}

impl Default for PushOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            trust: Trust::System,
            idle_per_host: 64,
            api: ApiVersion::default(),
        }
    }
}

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The TLS configuration was refused.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// What one push came to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// HTTP 200 with a well-formed answer; its `code` may still say failure.
    Answered(Answer),
    /// An HTTP status other than 200.
    HttpStatus(u16),
    /// HTTP 200 but the body is not a conforming answer.
    Malformed(AnswerError),
    /// No complete answer within the timeout.
    Timeout,
    /// The connection could not be made (refused, unreachable, TLS handshake failed).
    Connect(String),
    /// The connection broke during the exchange (reset, truncated answer, oversized answer).
    Transport(String),
}

impl Outcome {
    /// The class this outcome is counted in.
    pub fn class(&self) -> OutcomeClass {
        match self {
            Outcome::Answered(a) if a.is_success() => OutcomeClass::Success,
            Outcome::Answered(_) => OutcomeClass::CodeNotOk,
            Outcome::HttpStatus(_) => OutcomeClass::HttpStatus,
            Outcome::Malformed(_) => OutcomeClass::Malformed,
            Outcome::Timeout => OutcomeClass::Timeout,
            Outcome::Connect(_) => OutcomeClass::ConnectError,
            Outcome::Transport(_) => OutcomeClass::TransportError,
        }
    }

    /// Whether the receiver took the event: HTTP 200 and a well-formed answer with `code`
    /// 200. Anything else counts as "no answer" and a device keeps the record.
    pub fn is_success(&self) -> bool {
        self.class() == OutcomeClass::Success
    }

    /// The door decision, when the receiver gave one successfully.
    pub fn answer(&self) -> Option<&Answer> {
        match self {
            Outcome::Answered(a) if a.is_success() => Some(a),
            _ => None,
        }
    }

    /// One line describing the outcome, for logs and console output.
    pub fn describe(&self) -> String {
        match self {
            Outcome::Answered(a) if a.is_success() => match a.pass {
                Some(pass) => format!(
                    "pass={pass} tips={:?}",
                    a.customtips.as_deref().unwrap_or("")
                ),
                None => "acknowledged".into(),
            },
            Outcome::Answered(a) => format!("code {} ({})", a.code, a.message),
            Outcome::HttpStatus(s) => format!("HTTP {s}"),
            Outcome::Malformed(e) => e.to_string(),
            Outcome::Timeout => "timeout".into(),
            Outcome::Connect(e) => format!("connect error: {e}"),
            Outcome::Transport(e) => format!("transport error: {e}"),
        }
    }
}

impl wire::RecordHead {
    /// The door decision after this push (none for an alarm or a failed push): the
    /// answer's under API 1.0, the record's own later, as the profile says.
    pub fn door(&self, profile: &crate::profile::Profile, outcome: &Outcome) -> Option<bool> {
        outcome
            .answer()
            .filter(|_| !self.is_alarm())
            .and_then(|a| profile.door(a, self.pass()))
    }
}

/// One push and how long it took, from the start of the request to the end of the answer.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub latency: Duration,
    pub outcome: Outcome,
}

/// An HTTP client that pushes event bodies to receivers. Cheap to clone; clones share
/// their connection pool.
#[derive(Debug, Clone)]
pub struct Pusher {
    client: reqwest::Client,
    timeout: Duration,
    rule: AnswerRule,
    identity_headers: bool,
}

impl Pusher {
    /// Builds a client.
    ///
    /// # Errors
    /// [`PushError::Client`] when the TLS trust cannot be set up.
    pub fn new(options: &PushOptions) -> Result<Self, PushError> {
        tls::install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .pool_max_idle_per_host(options.idle_per_host)
            .tcp_nodelay(true)
            .user_agent(concat!("facesim/", env!("CARGO_PKG_VERSION")));
        match &options.trust {
            Trust::System => {}
            Trust::Pinned(pem) => {
                let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                    .map_err(|e| PushError::Client(e.to_string()))?;
                builder = builder.tls_certs_only(certs);
            }
            Trust::Insecure => {
                tracing::warn!("receiver certificates are not verified (--insecure)");
                builder = builder.danger_accept_invalid_certs(true);
            }
        }
        let client = builder
            .build()
            .map_err(|e| PushError::Client(error_chain(&e)))?;
        let profile = options.api.profile();
        Ok(Self {
            client,
            timeout: options.timeout,
            rule: profile.answer,
            identity_headers: profile.identity_headers,
        })
    }

    /// The answer timeout this client applies.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// POSTs one JSON event body and classifies what came back. Never fails: every kind of
    /// failure is an [`Outcome`].
    pub async fn push(&self, dest: &Destination, body: Bytes) -> Delivery {
        self.push_as(dest, body, None).await
    }

    /// [`Pusher::push`] from the device `identity` at Unix time `now`: the push carries its
    /// headers when the API version has them (from 1.2.1).
    pub async fn push_as(
        &self,
        dest: &Destination,
        body: Bytes,
        identity: Option<(&Identity, i64)>,
    ) -> Delivery {
        // tokio's clock, like every timer of the device, so that under a test's paused time
        // latencies follow the virtual clock the timeouts run on.
        let start = Instant::now();
        let headers = identity
            .filter(|_| self.identity_headers)
            .map(|(identity, now)| identity.headers(now));
        let outcome = self.exchange(dest.url(), body, headers).await;
        Delivery {
            latency: start.elapsed(),
            outcome,
        }
    }

    async fn exchange(
        &self,
        url: &url::Url,
        body: Bytes,
        headers: Option<[(&'static str, String); 4]>,
    ) -> Outcome {
        let (status, answer) = match self.post_json(url, body, headers).await {
            Ok(answered) => answered,
            Err(outcome) => return outcome,
        };
        match wire::judge_answer(status, &answer, self.rule) {
            Judged::Success(a) | Judged::CodeNotOk(a) => Outcome::Answered(a),
            Judged::HttpStatus(status) => Outcome::HttpStatus(status),
            Judged::Malformed(e) => Outcome::Malformed(e),
        }
    }

    /// POSTs a JSON body and reads the whole answer (bounded): its status and bytes, or
    /// the failure as an [`Outcome`] (timeout, connect or transport error).
    async fn post_json(
        &self,
        url: &url::Url,
        body: Bytes,
        headers: Option<[(&'static str, String); 4]>,
    ) -> Result<(u16, Vec<u8>), Outcome> {
        let mut request = self
            .client
            .post(url.clone())
            .header(http::header::CONTENT_TYPE, "application/json");
        for (name, value) in headers.into_iter().flatten() {
            request = request.header(name, value);
        }
        read_answer(request.body(body).send().await).await
    }

    /// POSTs a remote-authentication callback body to `dest` (with the identity headers
    /// where the version has them) and judges the answer by the same classifier as a push
    /// answer, `data.user_id` typed as `ids` says. Never fails: every failure is an
    /// [`AuthOutcome`].
    pub async fn authenticate(
        &self,
        dest: &Destination,
        body: Bytes,
        identity: Option<(&Identity, i64)>,
        ids: wire::IdKind,
    ) -> AuthDelivery {
        let start = Instant::now();
        let headers = identity
            .filter(|_| self.identity_headers)
            .map(|(identity, now)| identity.headers(now));
        let outcome = match self.post_json(dest.url(), body, headers).await {
            Ok((status, answer)) => {
                AuthOutcome::Judged(wire::judge_auth_answer(status, &answer, ids))
            }
            Err(Outcome::Timeout) => AuthOutcome::Timeout,
            Err(Outcome::Connect(e)) => AuthOutcome::Connect(e),
            Err(Outcome::Transport(e)) => AuthOutcome::Transport(e),
            Err(other) => AuthOutcome::Transport(other.describe()),
        };
        AuthDelivery {
            latency: start.elapsed(),
            outcome,
        }
    }

    /// The remote-authentication heartbeat: `GET` on `dest`; the HTTP status, or why none
    /// came.
    ///
    /// # Errors
    /// One line saying why there was no answer (timeout, refused, reset).
    pub async fn heartbeat(&self, dest: &Destination) -> Result<u16, String> {
        match read_answer(self.client.get(dest.url().clone()).send().await).await {
            Ok((status, _)) => Ok(status),
            Err(outcome) => Err(outcome.describe()),
        }
    }
}

/// Reads a whole answer, at most [`MAX_ANSWER_BYTES`].
async fn read_answer(
    sent: Result<reqwest::Response, reqwest::Error>,
) -> Result<(u16, Vec<u8>), Outcome> {
    let mut response = sent.map_err(|e| classify(&e))?;
    let status = response.status().as_u16();
    let mut answer = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if answer.len() + chunk.len() > MAX_ANSWER_BYTES {
                    return Err(Outcome::Transport(format!(
                        "answer larger than {MAX_ANSWER_BYTES} bytes"
                    )));
                }
                answer.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Err(classify(&e)),
        }
    }
    Ok((status, answer))
}

/// What one remote-authentication callback came to.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AuthOutcome {
    /// An HTTP answer, judged like a push answer.
    Judged(Judged<wire::AuthAnswer>),
    /// No complete answer within the timeout.
    Timeout,
    /// The connection could not be made.
    Connect(String),
    /// The connection broke during the exchange.
    Transport(String),
}

impl AuthOutcome {
    /// The class this outcome is counted in (the push's classes).
    pub fn class(&self) -> OutcomeClass {
        match self {
            AuthOutcome::Judged(j) => j.class(),
            AuthOutcome::Timeout => OutcomeClass::Timeout,
            AuthOutcome::Connect(_) => OutcomeClass::ConnectError,
            AuthOutcome::Transport(_) => OutcomeClass::TransportError,
        }
    }

    /// The server's decision, when it answered successfully.
    pub fn decision(&self) -> Option<&wire::AuthDecision> {
        match self {
            AuthOutcome::Judged(j) => j.decision(),
            _ => None,
        }
    }

    /// One line describing the outcome.
    pub fn describe(&self) -> String {
        match self {
            AuthOutcome::Judged(j) => j.describe(),
            AuthOutcome::Timeout => "timeout".into(),
            AuthOutcome::Connect(e) => format!("connect error: {e}"),
            AuthOutcome::Transport(e) => format!("transport error: {e}"),
        }
    }
}

/// One callback and how long it took.
#[derive(Debug, Clone)]
pub struct AuthDelivery {
    pub latency: Duration,
    pub outcome: AuthOutcome,
}

fn classify(e: &reqwest::Error) -> Outcome {
    if e.is_timeout() {
        Outcome::Timeout
    } else if e.is_connect() {
        Outcome::Connect(error_chain(e))
    } else {
        Outcome::Transport(error_chain(e))
    }
}

/// Joins an error and its sources, since reqwest's top-level message alone ("error sending
/// request") hides the cause a user needs (refused, certificate, reset).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
