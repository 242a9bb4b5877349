//! The zoo's faults as one table (a stable name and a one-sentence description each) and
//! the knobs every faulty server reads. A leaf: the servers of the zoo name it, it names
//! none of them.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Defines [`Fault`] with its stable name and description in one table, so that the
/// name, the description and the list of all faults cannot drift apart.
macro_rules! faults {
    ($($(#[$meta:meta])* $variant:ident = $name:literal : $description:literal,)+) => {
        /// One way a receiver can be broken. Each fault has a stable kebab-case name (used
        /// on command lines, in reports and in the conformance matrix) and a one-sentence
        /// description of what the receiver does wrong.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Fault {
            $($(#[$meta])* $variant,)+
        }

        impl Fault {
            /// Every fault, in the order the matrix lists them.
            pub const ALL: &'static [Fault] = &[$(Fault::$variant),+];

            /// The stable kebab-case name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Fault::$variant => $name,)+
                }
            }

            /// What the receiver does wrong, in one sentence.
            pub fn description(self) -> &'static str {
                match self {
                    $(Fault::$variant => $description,)+
                }
            }
        }
    };
}

faults! {
    /// Transport: HTTP 500 to everything.
    Http500 = "http-500":
        "Answers every request with HTTP 500 and a JSON error body.",
    /// Transport: silence.
    NeverAnswers = "never-answers":
        "Accepts the connection, reads the request and never answers.",
    /// Transport: RST while the request is being read.
    ResetMidRequest = "reset-mid-request":
        "Resets the connection after reading the request head, before answering.",
    /// Transport: FIN without an answer.
    CloseWithoutAnswer = "close-without-answer":
        "Reads the whole request and closes the connection without answering.",
    /// Transport: the body ends before its Content-Length.
    TruncatedAnswer = "truncated-answer":
        "Answers HTTP 200 but closes the connection halfway through the announced body.",
    /// Transport: not HTTP at all.
    GarbageAnswer = "garbage-answer":
        "Answers with bytes that are not an HTTP response, then closes the connection.",
    /// Transport: goes away after a few requests.
    RefusesAfterN = "refuses-after-n":
        "Answers the first few requests correctly, then stops accepting connections.",
    /// Transport: a listen backlog that overflows when terminals connect together.
    SmallBacklog = "small-backlog":
        "Conforms (answering in 5 ms), but listens with a backlog of 2 and stalls its accept loop for 600 ms once three connections are open, so terminals connecting together wait for SYN retransmissions.",
    /// Transport: Nagle's algorithm meets the client's delayed ACK.
    NagleDelay = "nagle-delay":
        "Conforms, but writes each answer's head and body separately with Nagle's algorithm on, so answers on a kept-alive connection wait ~40 ms for the terminal's delayed ACK.",
    /// Transport: slow only while several requests are in flight, as a threaded server
    /// with a slow handler is.
    SlowWhenConcurrent = "slow-when-concurrent":
        "Conforms one request at a time (2 ms of work, each answer's head and body written apart with Nagle's algorithm on), but holds each answer 1.5 s while more than two requests are in flight, as Python's ThreadingHTTPServer with a slow handler does.",
    /// Transport: `Connection: close` on every answer.
    NoKeepAlive = "no-keep-alive":
        "Conforms, but closes the connection after every answer (reported, not failed).",
    /// Answer: the body is not JSON.
    NotJson = "not-json":
        "Answers a valid event with HTTP 200 and the plain text `OK` instead of JSON.",
    /// Answer: `"code": "200"`.
    CodeAsString = "code-as-string":
        "Sends `code` as the string \"200\" instead of the integer 200.",
    /// Answer: `"code": 0` for success, as many other APIs do.
    CodeNot200 = "code-not-200":
        "Signals success with `code` 0 instead of 200.",
    /// Answer: neither `msg` nor `message`.
    MissingMsg = "missing-msg":
        "Leaves out the text field (neither `msg` nor `message`).",
    /// Answer: `message` instead of `msg`; conforming, reported as INFO.
    MessageField = "message-field":
        "Conforms, but names the text field `message` (the spec's table) instead of `msg`.",
    /// Answer: no `data`.
    DataMissing = "data-missing":
        "Leaves out the `data` object.",
    /// Answer: `data` without `pass`.
    PassMissing = "pass-missing":
        "Leaves out `data.pass`.",
    /// Answer: `"pass": "true"`.
    PassAsString = "pass-as-string":
        "Sends `data.pass` as a string (\"true\"/\"false\") instead of a boolean.",
    /// Answer: `"customtips": 42`.
    CustomtipsNumber = "customtips-number":
        "Sends `data.customtips` as a number.",
    /// Answer: customtips longer than the recommended 10 characters.
    LongCustomtips = "long-customtips":
        "Sends `data.customtips` longer than the recommended 10 characters.",
    /// Answer: `Content-Type: text/html`.
    HtmlContentType = "html-content-type":
        "Labels its JSON answers `Content-Type: text/html`.",
    /// Records: rejects statuses 4 and 5.
    RejectsRareStatus = "rejects-rare-status":
        "Answers HTTP 400 to records with `recognizeStatus` 4 or 5, which default terminals rarely send.",
    /// Records: rejects ID-card modes.
    RejectsNewModes = "rejects-new-modes":
        "Answers HTTP 400 to records with a `mode` above 3 (the ID-card modes).",
    /// Records: requires a `user`.
    RequiresUser = "requires-user":
        "Answers HTTP 400 to records without a `user` object (absent or null).",
    /// Records: rejects an explicit `user: null`.
    RejectsUserNull = "rejects-user-null":
        "Answers HTTP 400 to records with `\"user\": null`, accepting only an absent `user`.",
    /// Records: fails on non-ASCII names.
    FailsNonAscii = "fails-non-ascii":
        "Answers HTTP 500 when the user's name contains non-ASCII characters.",
    /// Records: rejects names over 64 bytes.
    RejectsLongNames = "rejects-long-names":
        "Answers HTTP 400 when the user's name is longer than 64 bytes (the device allows 128).",
    /// Records: fails on bodies over 256 KiB.
    FailsLargeBodies = "fails-large-bodies":
        "Answers HTTP 413 to event bodies larger than 256 KiB, which real snapshots exceed.",
    /// Forward compatibility: rejects unknown fields.
    RejectsUnknownFields = "rejects-unknown-fields":
        "Answers HTTP 400 to events carrying fields the spec does not list.",
    /// Forward compatibility: rejects other event types.
    RejectsTypeNonzero = "rejects-type-nonzero":
        "Answers events whose `type` is not 0 with HTTP 400 and a plain-text body.",
    /// Decisions: lets everyone in.
    FailsOpen = "fails-open":
        "Lets strangers and non-live faces through (`pass: true` for every record).",
    /// Robustness: says yes to anything.
    AcceptsGarbage = "accepts-garbage":
        "Answers HTTP 200 with `code` 200 to anything: malformed, empty, mislabelled or huge bodies.",
    /// Robustness: dies after the first bad request.
    DiesAfterBadInput = "dies-after-bad-input":
        "Refuses the first malformed request correctly, then stops accepting connections.",
    /// Versions: a 1.0 receiver meeting later firmware.
    RequiresRecognizeStatus = "requires-recognize-status":
        "Answers HTTP 400 to records without `recognizeStatus`, as a receiver written for API 1.0 does to later firmware.",
    /// Versions: integer user ids only.
    ParsesUserIdInt = "parses-user-id-int":
        "Answers HTTP 500 to records whose `user_id` is not an integer (string ids come with API 1.2.1).",
    /// Versions: no alarms.
    RejectsAlarms = "rejects-alarms":
        "Answers HTTP 400 to alarm events (`type` 1, API 1.3), and to any event whose `type` is not 0.",
    /// Versions: a unique key on `uuid` that errors on a redelivery.
    DuplicateUuid500 = "duplicate-uuid-500":
        "Answers HTTP 500 to a record whose `uuid` it has already taken, so a terminal retries it forever.",
    /// Versions: an alarm clear without `code` crashes it.
    CrashesOnClearWithoutCode = "crashes-on-clear-without-code":
        "Answers HTTP 500 to an alarm clear (status 2 or 3) that leaves out `code`, which the guide allows.",
    /// Timing: slow on every answer.
    SlowAnswer = "slow-answer":
        "Answers correctly but only after a delay longer than the terminal's timeout.",
    /// Timing: answers one request at a time, slowly.
    OneAtATime = "one-at-a-time":
        "Answers correctly, but one request at a time after 150 ms of work each, so terminals pushing together wait for each other.",
    /// Timing: fails under concurrency only.
    SlowUnderLoad = "slow-under-load":
        "Answers one request at a time correctly, but HTTP 503 after a pause when requests overlap.",
    /// Auth: `data` without `pass`.
    AuthNoPass = "auth-no-pass":
        "Answers remote-authentication callbacks with a `data` object that lacks `pass`.",
    /// Auth: `"pass": "true"`.
    AuthPassString = "auth-pass-string":
        "Answers callbacks with `data.pass` as a string (\"true\"/\"false\") instead of a boolean.",
    /// Auth: `verify_code` 7.
    AuthVerifyCodeRange = "auth-verify-code-range":
        "Answers callbacks with `data.verify_code` 7, outside the documented 1 to 5.",
    /// Auth: `pass: true` with `verify_code` 4.
    AuthVerifyContradicts = "auth-verify-contradicts":
        "Answers every admitted callback with `verify_code` 4 (no match), contradicting its `pass: true`.",
    /// Auth: the heartbeat answers 405.
    AuthHeartbeat405 = "auth-heartbeat-405":
        "Decides callbacks correctly but answers the heartbeat (`GET` on the same URL) with HTTP 405.",
    /// Auth: slow answers.
    AuthSlow = "auth-slow":
        "Answers callbacks correctly but only after a delay longer than the terminal's timeout.",
    /// Auth: crashes on a stranger.
    AuthCrashStranger = "auth-crash-stranger":
        "Answers HTTP 500 to a callback body without `user` (a stranger), as code that assumed one does.",
    /// Auth: a bare answer without the envelope.
    AuthNoEnvelope = "auth-no-envelope":
        "Answers callbacks with a bare `{\"pass\": ..}`, without `code`, `msg` and `data`.",
    /// Auth: `user_id` of the other type.
    AuthUserIdType = "auth-user-id-type":
        "Answers `data.user_id` as a JSON number where the API version wants a string, and as a string where it wants a number.",
}

impl Fault {
    /// Whether the fault lives below HTTP and is served by the raw TCP loop.
    pub fn is_transport(self) -> bool {
        matches!(
            self,
            Fault::NeverAnswers
                | Fault::ResetMidRequest
                | Fault::CloseWithoutAnswer
                | Fault::TruncatedAnswer
                | Fault::GarbageAnswer
                | Fault::NagleDelay
                | Fault::SlowWhenConcurrent
        )
    }
}

impl Fault {
    /// Whether the fault breaks the remote-authentication endpoint (`/auth`) rather than
    /// the push receiver; its push path is the reference's.
    pub fn is_auth(self) -> bool {
        self.name().starts_with("auth-")
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fault name that is not in the zoo.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault `{0}` (see the receiver zoo for the list)")]
pub struct UnknownFault(pub String);

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFault(s.to_string()))
    }
}

/// The knobs of the zoo. The defaults suit the conformance suite's defaults (a 1 s answer
/// timeout); tests with shorter timeouts shorten the delay to keep their runs short.
#[derive(Debug, Clone)]
pub struct ZooOptions {
    /// How long `slow-answer` waits before each answer.
    pub slow_delay: Duration,
    /// How many requests `refuses-after-n` answers before it goes away.
    pub refuse_after: usize,
    /// How long `slow-under-load` pauses before its 503 when requests overlap.
    pub overload_pause: Duration,
    /// How long `one-at-a-time` works on each request, holding every other one back.
    pub serial_work: Duration,
    /// How long `slow-when-concurrent` holds each answer while more than two requests are
    /// in flight.
    pub crowd_hold: Duration,
    /// Largest body the reference behaviour reads; larger ones get HTTP 413.
    pub max_body: u64,
    /// The API version the receiver answers for, as the reference receiver does.
    pub api: crate::profile::ApiVersion,
}

impl Default for ZooOptions {
    fn default() -> Self {
        Self {
            // Past the terminal's push timeout (3 s), which is facecert's default too.
            slow_delay: Duration::from_millis(3500),
            refuse_after: 5,
            overload_pause: Duration::from_millis(100),
            serial_work: Duration::from_millis(150),
            crowd_hold: Duration::from_millis(1500),
            max_body: crate::receiver::ReceiverConfig::default().max_body,
            api: crate::profile::ApiVersion::default(),
        }
    }
}
