//! The catalog of checks: a stable ID, a level (MUST, SHOULD, INFO), the requirement in
//! one sentence, the spec section it comes from, the faulty receivers of the zoo that
//! each check is aimed at, and how it runs (its phase and the function that sends and
//! judges its requests, `run::how`). The catalog is data; `run` executes it, row by row,
//! and `verdict` judges it. IDs never change meaning: a check that changes gets a new ID.
//!
//! Each check also names the API versions it applies to (a run of another version does not
//! run or list it), and each aim the versions under which the check must find its fault
//! when they are narrower: `rejects-rare-status` shows only where records carry
//! `recognizeStatus` (1.0), `requires-recognize-status` only where they do not. A check
//! whose probes follow the version keeps its ID, since what it requires,
//! that every value the version defines is taken, stays the same.

use std::fmt;

use facesim::zoo::Fault;
use facesim_proto::profile::ApiVersion;
use facesim_proto::wire::RecognizeStatus;
use serde::Serialize;

use crate::auth::{self, answer, probes::AuthFactory};
use crate::probe::Factory;
use crate::run::Runner;
use crate::run::how::{Auth, How, Over, Phase, Push};
use crate::{connection, rules};

/// The API versions a check applies to, or a fault is aimed at under: a range, oldest
/// to newest, since every difference between versions so far starts at one version and
/// stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Versions {
    pub from: ApiVersion,
    pub to: ApiVersion,
}

impl Versions {
    /// Every version.
    pub const ALL: Versions = Versions {
        from: ApiVersion::V1_0,
        to: ApiVersion::V1_3,
    };

    pub fn contains(self, version: ApiVersion) -> bool {
        self.from <= version && version <= self.to
    }

    /// The versions in it, oldest first.
    pub fn list(self) -> impl Iterator<Item = ApiVersion> {
        ApiVersion::ALL
            .into_iter()
            .filter(move |&v| self.contains(v))
    }
}

impl fmt::Display for Versions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = ApiVersion::ALL[ApiVersion::ALL.len() - 1];
        match (self.from, self.to) {
            (ApiVersion::V1_0, to) if to == last => f.write_str("all"),
            (from, to) if from == to => write!(f, "{from}"),
            (from, to) if to == last => write!(f, "{from}+"),
            (from, to) => write!(f, "{from}–{to}"),
        }
    }
}

impl Serialize for Versions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.list().map(ApiVersion::as_str))
    }
}

/// A fault a check is aimed at, and the versions under which the check finds it (a
/// fault can hide from a check under a version whose records never trigger it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aim {
    pub fault: Fault,
    /// `None`: every version the check applies to.
    pub versions: Option<Versions>,
}

/// How binding a requirement is. A failed MUST is a FAIL, a failed SHOULD a WARN; an
/// INFO check reports a notable fact and never fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    Must,
    Should,
    Info,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::Info => "INFO",
        })
    }
}

/// Which server a check certifies: the push receiver at `event_dest` (`facecert run`) or
/// the remote-authentication server at `remote_authentication_address`
/// (`facecert auth`). One catalog holds both, so IDs, verdicts and reports are shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Suite {
    Push,
    Auth,
}

impl Suite {
    /// The command that runs it, for reports.
    pub fn command(self) -> &'static str {
        match self {
            Suite::Push => "facecert run",
            Suite::Auth => "facecert auth",
        }
    }
}

/// The area a check belongs to; its letter (two for the auth suite's, which all start
/// with `A`) starts the check's ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Transport,
    Answer,
    Records,
    Compatibility,
    Decisions,
    Robustness,
    Timing,
    AuthHeartbeat,
    AuthAnswer,
    AuthCallers,
    AuthRobustness,
    AuthTiming,
}

impl Group {
    /// Every group, in report order.
    pub const ALL: [Group; 12] = [
        Group::Transport,
        Group::Answer,
        Group::Records,
        Group::Compatibility,
        Group::Decisions,
        Group::Robustness,
        Group::Timing,
        Group::AuthHeartbeat,
        Group::AuthAnswer,
        Group::AuthCallers,
        Group::AuthRobustness,
        Group::AuthTiming,
    ];

    /// The suite the group's checks belong to.
    pub fn suite(self) -> Suite {
        match self {
            Group::AuthHeartbeat
            | Group::AuthAnswer
            | Group::AuthCallers
            | Group::AuthRobustness
            | Group::AuthTiming => Suite::Auth,
            _ => Suite::Push,
        }
    }

    /// The prefix of its checks' IDs.
    pub fn prefix(self) -> &'static str {
        match self {
            Group::Transport => "T",
            Group::Answer => "A",
            Group::Records => "R",
            Group::Compatibility => "C",
            Group::Decisions => "D",
            Group::Robustness => "B",
            Group::Timing => "P",
            Group::AuthHeartbeat => "AH",
            Group::AuthAnswer => "AU",
            Group::AuthCallers => "AC",
            Group::AuthRobustness => "AB",
            Group::AuthTiming => "AP",
        }
    }

    /// The snake_case name used in JSON and as the JUnit class name.
    pub fn slug(self) -> &'static str {
        match self {
            Group::Transport => "transport",
            Group::Answer => "answer",
            Group::Records => "records",
            Group::Compatibility => "compatibility",
            Group::Decisions => "decisions",
            Group::Robustness => "robustness",
            Group::Timing => "timing",
            Group::AuthHeartbeat => "auth_heartbeat",
            Group::AuthAnswer => "auth_answer",
            Group::AuthCallers => "auth_callers",
            Group::AuthRobustness => "auth_robustness",
            Group::AuthTiming => "auth_timing",
        }
    }

    /// A short title for reports.
    pub fn title(self) -> &'static str {
        match self {
            Group::Transport => "Transport",
            Group::Answer => "Answer to a valid event",
            Group::Records => "Real records",
            Group::Compatibility => "Forward compatibility",
            Group::Decisions => "Door decisions",
            Group::Robustness => "Robustness",
            Group::Timing => "Timing",
            Group::AuthHeartbeat => "Heartbeat",
            Group::AuthAnswer => "Answer to a callback",
            Group::AuthCallers => "Every kind of caller",
            Group::AuthRobustness => "Robustness of the auth server",
            Group::AuthTiming => "Timing at the door",
        }
    }
}

/// One check of the catalog.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Check {
    /// Stable identifier such as `A-03`.
    pub id: CheckId,
    pub level: Level,
    pub group: Group,
    /// The requirement, in one sentence.
    pub requirement: &'static str,
    /// Where the requirement comes from: a section of the push protocol page, or the notes
    /// on the real terminals.
    pub section: &'static str,
    /// The API versions the check applies to; under the others it is not run.
    pub versions: Versions,
    /// The faulty receivers that must fail (or, for INFO, be flagged by) this check, and
    /// under which versions.
    #[serde(serialize_with = "fault_names")]
    pub aimed: &'static [Aim],
    /// How the check runs: its phase, and what sends and judges its requests.
    #[serde(skip)]
    pub(crate) run: How,
}

fn fault_names<S: serde::Serializer>(aims: &&'static [Aim], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(aims.iter().map(|a| a.fault.name()))
}

impl Check {
    /// Whether the check runs under `version`.
    pub fn applies(&self, version: ApiVersion) -> bool {
        self.versions.contains(version)
    }

    /// The suite the check belongs to.
    pub fn suite(&self) -> Suite {
        self.group.suite()
    }

    /// Whether a run of `suite` under `version` runs the check.
    pub fn runs_in(&self, suite: Suite, version: ApiVersion) -> bool {
        self.suite() == suite && self.applies(version)
    }

    /// Whether the check must find `fault` under `version`.
    pub fn aims_at(&self, fault: Fault, version: ApiVersion) -> bool {
        self.applies(version)
            && self
                .aimed
                .iter()
                .any(|a| a.fault == fault && a.versions.is_none_or(|v| v.contains(version)))
    }

    /// The faults the check is aimed at, with their versions where narrower than the
    /// check's, for the matrix: `` `rejects-long-names` (1.2+) ``.
    pub fn aimed_text(&self) -> Vec<String> {
        self.aimed
            .iter()
            .map(|a| match a.versions {
                Some(v) if v != self.versions => format!("`{}` ({v})", a.fault),
                _ => format!("`{}`", a.fault),
            })
            .collect()
    }
}

/// A version range of the catalog table: `all`, `only V`, `from V`, `until V`.
macro_rules! versions {
    (all) => {
        Versions::ALL
    };
    (only $v:ident) => {
        Versions {
            from: ApiVersion::$v,
            to: ApiVersion::$v,
        }
    };
    (from $v:ident) => {
        Versions {
            from: ApiVersion::$v,
            to: ApiVersion::V1_3,
        }
    };
}

const RECEIVING: &str = "Event Push Protocol › Receiving method";
const DEST: &str = "Set third-party server push configuration › event_dest";
const RESPOND: &str = "Event Push Protocol › Respond structure";
const RECORD: &str = "Event Push Protocol › Record event field attributes";
const EXAMPLE: &str = "Event Push Protocol › Event push example";
const NOTES: &str = "device-notes › Facts about the device side";
const ALARM: &str = "firmware-profiles › Device alarm push (1.3)";
const HEADERS: &str = "firmware-profiles › Identity headers (1.2.1)";
const AUTH_CONFIG: &str = "firmware-profiles › Remote authentication › Configuration fields";
const AUTH_REQUEST: &str = "firmware-profiles › Remote authentication › Request the device sends";
const AUTH_ANSWER: &str =
    "firmware-profiles › Remote authentication › Answer the auth service must return";
const AUTH_WHEN: &str = "firmware-profiles › Remote authentication › When the callback fires";
const AUTH_EFFECT: &str =
    "firmware-profiles › Remote authentication › What the device does with the answer";

/// The versions of an aim: its own when given, else (`None`) the check's.
macro_rules! aim_versions {
    () => {
        None
    };
    ($own:tt) => {
        Some(versions! $own)
    };
}

/// Defines [`CheckId`] and [`CATALOG`] from one table, so that an ID is spelled once and
/// code names checks by a variant the compiler checks. A row ends with how the check runs
/// (`Push::…` or `Auth::…`, see `run::how`), so that the runner finds it there and in no
/// list of its own.
macro_rules! catalog {
    ($($variant:ident = $id:literal, $level:ident, $group:ident, $section:expr, $vers:tt, $requirement:literal, [$($fault:ident $(@ $fv:tt)?),*], $suite:ident :: $how:ident $(($($arg:tt)*))?;)+) => {
        /// A check's stable identifier, such as `A-03`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum CheckId {
            $(#[doc = $requirement] $variant,)+
        }

        impl CheckId {
            /// The ID as reports spell it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(CheckId::$variant => $id,)+
                }
            }
        }

        /// Every check, in the order reports list them.
        pub const CATALOG: &[Check] = &[
            $(Check {
                id: CheckId::$variant,
                level: Level::$level,
                group: Group::$group,
                requirement: $requirement,
                section: $section,
                versions: versions! $vers,
                aimed: &[$(Aim {
                    fault: Fault::$fault,
                    versions: aim_versions!($($fv)?),
                }),*],
                run: How::$suite($suite::$how $(($($arg)*))?),
            },)+
        ];
    };
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CheckId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

catalog! {
    T01 = "T-01",
        Must,
        Transport,
        RECEIVING,
        (all),
        "A valid event sent as POST application/json on a fresh connection is answered with HTTP 200.",
        [
            RequiresRecognizeStatus @ (from V1_1),
            Http500,
            NeverAnswers,
            ResetMidRequest,
            CloseWithoutAnswer,
            TruncatedAnswer,
            GarbageAnswer
        ],
        Push::Baseline;
    T02 = "T-02",
        Must,
        Transport,
        DEST,
        (all),
        "An https receiver completes the TLS handshake with a certificate the terminal trusts.",
        [],
        Push::Baseline;
    T03 = "T-03",
        Info,
        Transport,
        RECEIVING,
        (all),
        "The connection stays open for a second event (closing is allowed; it costs a handshake per event).",
        [NoKeepAlive],
        Push::Own(Phase::Connections, connection::keep_alive);
    T04 = "T-04",
        Must,
        Transport,
        RECEIVING,
        (all),
        "Twenty valid events in a row, each on a fresh connection, are all answered with HTTP 200.",
        [RefusesAfterN],
        Push::Own(Phase::Connections, connection::burst);
    // SHOULD, not MUST: a SYN the receiver's kernel dropped is sent again a second later,
    // so the event is late, not lost; but a door that opens a second late is noticed.
    T05 = "T-05",
        Should,
        Transport,
        NOTES,
        (all),
        "Terminals connecting at once are all accepted without waiting for a SYN retransmission (the listen backlog holds them).",
        [SmallBacklog],
        Push::Judged(connection::backlog);
    // INFO: nothing breaks, but a terminal draining its offline queue one record at a
    // time goes about 40 times slower, which an integrator wants to know.
    T06 = "T-06",
        Info,
        Transport,
        RECEIVING,
        (all),
        "Answers on a kept-alive connection come as fast as on a fresh one (no ~40 ms stall from Nagle's algorithm meeting the terminal's delayed ACK).",
        [NagleDelay, SlowWhenConcurrent],
        Push::Judged(connection::stall);
    // MUST: from 1.2.1 every push carries them, so a receiver that refuses them refuses
    // every event; the check tells that apart from a receiver that refuses the records.
    T07 = "T-07",
        Must,
        Transport,
        HEADERS,
        (from V1_2_1),
        "Events carrying the identity headers `model`, `sn`, `timestamp` and `account` are taken like events without them.",
        [],
        Push::Own(Phase::Baseline, Runner::identity_check);
    A01 = "A-01",
        Must,
        Answer,
        RESPOND,
        (all),
        "The answer to a valid event is a JSON object.",
        [NotJson],
        Push::Rule(&rules::OBJECT);
    A02 = "A-02",
        Must,
        Answer,
        RESPOND,
        (all),
        "The answer has `code`, an integer.",
        [CodeAsString],
        Push::Rule(&rules::CODE);
    A03 = "A-03",
        Must,
        Answer,
        RESPOND,
        (all),
        "The answer's `code` is 200 for a valid event.",
        [CodeNot200],
        Push::Rule(&rules::CODE_200);
    A04 = "A-04",
        Must,
        Answer,
        RESPOND,
        (all),
        "The answer has a text field named `msg` or `message`, a string.",
        [MissingMsg],
        Push::Rule(&rules::TEXT);
    A05 = "A-05",
        Info,
        Answer,
        RESPOND,
        (all),
        "The text field is named `msg` as in every example; `message`, the table's name, conforms too and is reported.",
        [MessageField],
        Push::Rule(&rules::MSG);
    A06 = "A-06",
        Must,
        Answer,
        RESPOND,
        (all),
        "The answer has `data`, an object.",
        [DataMissing],
        Push::Rule(&rules::DATA);
    A07 = "A-07",
        Must,
        Answer,
        RESPOND,
        (only V1_0),
        "The answer's `data` has `pass`.",
        [PassMissing],
        Push::Rule(&rules::PASS);
    A08 = "A-08",
        Must,
        Answer,
        RESPOND,
        (only V1_0),
        "The answer's `data.pass` is a boolean.",
        [PassAsString],
        Push::Rule(&rules::PASS_BOOL);
    A09 = "A-09",
        Must,
        Answer,
        RESPOND,
        (only V1_0),
        "The answer's `data.customtips`, when present, is a string.",
        [CustomtipsNumber],
        Push::Rule(&rules::TIPS);
    A10 = "A-10",
        Should,
        Answer,
        RESPOND,
        (only V1_0),
        "The answer's `data.customtips` has at most 10 characters (characters, not bytes).",
        [LongCustomtips],
        Push::Rule(&rules::TIPS_LENGTH);
    A11 = "A-11",
        Should,
        Answer,
        RECEIVING,
        (all),
        "The answer's Content-Type is application/json (parameters such as charset are fine).",
        [HtmlContentType],
        Push::Rule(&rules::CONTENT_TYPE);
    R01 = "R-01",
        Must,
        Records,
        RECORD,
        (all),
        "Records of every recognition outcome the version defines get a conforming answer (recognizeStatus 0 to 6 in 1.0, recognitionType 1 to 5 from 1.1).",
        [RejectsRareStatus @ (only V1_0), RequiresUser],
        Push::Records(Factory::outcomes);
    R02 = "R-02",
        Must,
        Records,
        RECORD,
        (all),
        "Records with every mask value from 0 to 2 get a conforming answer.",
        [],
        Push::Records(Factory::masks);
    R03 = "R-03",
        Must,
        Records,
        RECORD,
        (all),
        "Records with every mode the version defines get a conforming answer (0 to 6; 0 to 9 from 1.2.1).",
        [RejectsNewModes],
        Push::Records(Factory::modes);
    R04 = "R-04",
        Must,
        Records,
        RECORD,
        (all),
        "A record without `user` (a stranger) gets a conforming answer.",
        [RequiresUser],
        Push::Records(|f| vec![f.user_absent()]);
    R05 = "R-05",
        Must,
        Records,
        RECORD,
        (all),
        "A record with `\"user\": null` gets a conforming answer.",
        [RequiresUser, RejectsUserNull],
        Push::Records(|f| vec![f.user_null()]);
    R06 = "R-06",
        Must,
        Records,
        NOTES,
        (all),
        "Records whose user names are in CJK and other non-ASCII scripts get a conforming answer.",
        [FailsNonAscii],
        Push::Records(Factory::non_ascii_names);
    R07 = "R-07",
        Must,
        Records,
        NOTES,
        (all),
        "A record whose user name is at the version's byte limit gets a conforming answer (32 bytes before 1.2, 128 from 1.2).",
        [RejectsLongNames @ (from V1_2)],
        Push::Records(|f| vec![f.long_name()]);
    R08 = "R-08",
        Must,
        Records,
        NOTES,
        (all),
        "An event with a large snapshot (a body of at least 512 KiB) gets a conforming answer.",
        [FailsLargeBodies],
        Push::Records(|f| vec![f.large()]);
    R09 = "R-09",
        Must,
        Records,
        RECORD,
        (all),
        "The smallest valid record (no user, zero scores, a tiny snapshot) gets a conforming answer.",
        [RequiresUser],
        Push::Records(|f| vec![f.smallest()]);
    // MUST: a 1.3 terminal sends `entry_mode` on every record, and a record it cannot
    // deliver stays at the head of its queue, blocking every later one.
    R10 = "R-10",
        Must,
        Records,
        RECORD,
        (only V1_3),
        "Records with every entry_mode from 1 to 12 get a conforming answer.",
        [],
        Push::Records(Factory::entry_modes);
    // MUST: as R-10; `abnormal_type` is on every 1.3 record, and the rare codes come
    // exactly when something at the door went wrong.
    R11 = "R-11",
        Must,
        Records,
        RECORD,
        (only V1_3),
        "Records with every abnormal_type the guide lists get a conforming answer.",
        [],
        Push::Records(Factory::abnormal_types);
    // MUST: from 1.2.1 every record of a known person carries a string `user_id`, often
    // a UUID; a receiver that parses it as a number refuses them all.
    R12 = "R-12",
        Must,
        Records,
        RECORD,
        (from V1_2_1),
        "Records whose `user_id` is a non-numeric string (a UUID, letters, CJK) get a conforming answer.",
        [ParsesUserIdInt],
        Push::Records(Factory::text_user_ids);
    // MUST: `groups` is on every 1.2.1 record of a known person, empty for most.
    R13 = "R-13",
        Must,
        Records,
        RECORD,
        (from V1_2_1),
        "Records whose user has no groups (`[]`) and several groups get a conforming answer.",
        [],
        Push::Records(Factory::groups);
    // MUST, not SHOULD: a 1.3 terminal pushes alarms through the same queue as records,
    // one at a time, oldest first; an alarm it cannot deliver holds back every record
    // made after it. A clear may leave `code` out (the guide's table marks it optional).
    R14 = "R-14",
        Must,
        Records,
        ALARM,
        (only V1_3),
        "Alarms (`type` 1) of every code and status, including a clear without `code`, get a success answer.",
        [RejectsTypeNonzero, RejectsAlarms, CrashesOnClearWithoutCode],
        Push::Records(Factory::alarms);
    // MUST: a terminal that timed out on an answer sends the same record again, same
    // `uuid`; a receiver that answers the repeat with an error (a unique key on `uuid`)
    // makes the terminal retry that record forever, and the queue behind it never drains.
    R15 = "R-15",
        Must,
        Records,
        NOTES,
        (from V1_2_1),
        "A redelivered record (the same body and `uuid` sent again, as after a timeout) gets a success answer.",
        [DuplicateUuid500],
        Push::Records(Factory::redelivery);
    C01 = "C-01",
        Should,
        Compatibility,
        NOTES,
        (all),
        "Unknown extra fields in the event, the record and the user are ignored.",
        [RejectsUnknownFields],
        Push::Records(|f| vec![f.unknown_fields()]);
    C02 = "C-02",
        Should,
        Compatibility,
        EXAMPLE,
        (all),
        "An event of a `type` the version does not define gets HTTP 200 and a well-formed answer.",
        [RejectsTypeNonzero, RejectsAlarms],
        Push::Own(Phase::Compared, Runner::other_type);
    D01 = "D-01",
        Info,
        Decisions,
        RECORD,
        (only V1_0),
        "A stranger (recognizeStatus 3) is not let through; `pass: true` is reported as failing open.",
        [FailsOpen],
        Push::Decision(RecognizeStatus::Stranger, "stranger");
    D02 = "D-02",
        Info,
        Decisions,
        RECORD,
        (only V1_0),
        "A non-live face (recognizeStatus 1) is not let through; `pass: true` is reported as failing open.",
        [FailsOpen],
        Push::Decision(RecognizeStatus::NonLiveness, "non-live face");
    B01 = "B-01",
        Should,
        Robustness,
        RESPOND,
        (all),
        "Malformed JSON is refused with an HTTP status of 400 to 599 or a `code` other than 200.",
        [AcceptsGarbage],
        Push::Bad(Factory::malformed);
    B02 = "B-02",
        Should,
        Robustness,
        RESPOND,
        (all),
        "An empty body is refused with an HTTP status of 400 to 599 or a `code` other than 200.",
        [AcceptsGarbage],
        Push::Bad(Factory::empty);
    B03 = "B-03",
        Should,
        Robustness,
        RECEIVING,
        (all),
        "A body sent with a Content-Type other than JSON is refused with an HTTP status of 400 to 599 or a `code` other than 200.",
        [AcceptsGarbage],
        Push::Bad(Factory::mislabelled);
    B04 = "B-04",
        Should,
        Robustness,
        RESPOND,
        (all),
        "A 16 MiB body, far larger than any real event, is refused with an HTTP status of 400 to 599 or a `code` other than 200.",
        [AcceptsGarbage],
        Push::Huge(Factory::huge);
    B05 = "B-05",
        Must,
        Robustness,
        RECEIVING,
        (all),
        "After each bad request the receiver still answers a valid event with HTTP 200.",
        [DiesAfterBadInput],
        Push::Survives;
    P01 = "P-01",
        Must,
        Timing,
        NOTES,
        (all),
        "Every answer arrives within the terminal's push timeout (--timeout-ms, from the first byte sent).",
        [SlowAnswer],
        Push::Judged(Runner::timing);
    P02 = "P-02",
        Must,
        Timing,
        NOTES,
        (all),
        "Under load (--concurrency devices, --load-events events) no event fails and the p99 answer time stays within --p99-ms.",
        [RequiresUser, SlowAnswer, SlowUnderLoad, OneAtATime, SlowWhenConcurrent],
        Push::Own(Phase::Load, Runner::load_phase);
    AH01 = "AH-01",
        Must,
        AuthHeartbeat,
        AUTH_CONFIG,
        (from V1_2),
        "A GET on the callback URL (the terminal's heartbeat, every 30 s) is answered with HTTP 200.",
        [AuthHeartbeat405],
        Auth::Own(Phase::Opening, auth::heartbeat);
    AU01 = "AU-01",
        Must,
        AuthAnswer,
        AUTH_ANSWER,
        (from V1_1),
        "A valid callback (a library person recognised by face) is answered with HTTP 200 and a JSON object.",
        [],
        Auth::Rule(&answer::OBJECT, Over::Baseline);
    AU02 = "AU-02",
        Must,
        AuthAnswer,
        AUTH_ANSWER,
        (from V1_1),
        "The answer has `code` 200 and `msg`, a string.",
        [AuthNoEnvelope],
        Auth::Rule(&answer::ENVELOPE, Over::Taken);
    AU03 = "AU-03",
        Must,
        AuthAnswer,
        AUTH_ANSWER,
        (from V1_1),
        "The answer has `data`, an object, with `pass`.",
        [AuthNoPass, AuthNoEnvelope],
        Auth::Rule(&answer::PASS, Over::Taken);
    AU04 = "AU-04",
        Must,
        AuthAnswer,
        AUTH_ANSWER,
        (from V1_1),
        "The answer's `data.pass` is a boolean.",
        [AuthPassString],
        Auth::Rule(&answer::PASS_BOOL, Over::Taken);
    AU05 = "AU-05",
        Must,
        AuthAnswer,
        AUTH_ANSWER,
        (from V1_1),
        "The answer's `data.verify_code`, when present, is an integer from 1 to 5.",
        [AuthVerifyCodeRange],
        Auth::Rule(&answer::VERIFY_CODE, Over::Taken);
    AU06 = "AU-06",
        Must,
        AuthAnswer,
        AUTH_ANSWER,
        (from V1_1),
        "The answer's optional fields have their documented types: `user_id` an integer up to 1.2 and a string from 1.2.1, `user_name`, `customtips` and `ic_number` strings, `verify_score` a number.",
        [AuthUserIdType],
        Auth::Rule(&answer::FIELD_TYPES, Over::Taken);
    // SHOULD: the guide does not say which wins, and the terminal follows `pass`; but a
    // server whose two answers disagree has a bug one of them shows.
    AU07 = "AU-07",
        Should,
        AuthAnswer,
        AUTH_EFFECT,
        (from V1_1),
        "The answer's `verify_code` agrees with `pass`: 2 (recognised) when the door opens, another code when it stays shut.",
        [AuthVerifyContradicts],
        Auth::Rule(&answer::AGREES, Over::Taken);
    AC01 = "AC-01",
        Must,
        AuthCallers,
        AUTH_WHEN,
        (from V1_1),
        "Library people verified by card, ID card, PIN or a face-vs-ID-card check (auth_mode 1) are answered like the baseline.",
        [],
        Auth::Callers(AuthFactory::library_callers);
    AC02 = "AC-02",
        Must,
        AuthCallers,
        AUTH_WHEN,
        (from V1_1),
        "Strangers, whose callbacks carry no `user` (a face under auth_mode 3, a face-vs-ID-card check under 1), are answered like the baseline.",
        [AuthCrashStranger],
        Auth::Callers(AuthFactory::stranger_callers);
    AC03 = "AC-03",
        Must,
        AuthCallers,
        AUTH_WHEN,
        (from V1_1),
        "QR-code callbacks, from library people and from strangers, are answered like the baseline.",
        [AuthCrashStranger],
        Auth::Callers(AuthFactory::qr_callers);
    // SHOULD: the server decides, and a site may let a blacklisted type through on
    // purpose; but a reference-minded server keeps them out, and an integrator wants to know.
    AC04 = "AC-04",
        Should,
        AuthCallers,
        AUTH_EFFECT,
        (from V1_1),
        "A blacklisted person's callback is refused (`pass: false`).",
        [],
        Auth::Own(Phase::Compared, auth::blacklisted);
    AC05 = "AC-05",
        Must,
        AuthCallers,
        AUTH_REQUEST,
        (from V1_1),
        "A callback with fields a later firmware may add is answered like the baseline.",
        [],
        Auth::Callers(|f| vec![f.unknown_fields()]);
    AB01 = "AB-01",
        Must,
        AuthRobustness,
        AUTH_ANSWER,
        (from V1_1),
        "A request that is not a callback (not JSON, empty, a JSON array, an empty object, a push record) never opens the door.",
        [],
        Auth::Refuses(auth::opens_nothing);
    AB02 = "AB-02",
        Should,
        AuthRobustness,
        AUTH_ANSWER,
        (from V1_1),
        "A request that is not a callback is refused with an HTTP status from 400 to 499.",
        [],
        Auth::Refuses(auth::refused);
    AB03 = "AB-03",
        Must,
        AuthRobustness,
        AUTH_ANSWER,
        (from V1_1),
        "After each bad request the server still answers a valid callback like the baseline.",
        [],
        Auth::Refuses(auth::survived);
    AP01 = "AP-01",
        Must,
        AuthTiming,
        NOTES,
        (from V1_1),
        "Every answer arrives within the terminal's callback timeout (--timeout-ms, from the first byte sent); past it the door stays shut.",
        [AuthSlow],
        Auth::Judged(Runner::timing);
    AP02 = "AP-02",
        Must,
        AuthTiming,
        NOTES,
        (from V1_1),
        "Under load (--concurrency devices, --load-events callbacks, one in five a stranger's face) no callback fails and the p99 answer time stays within --p99-ms.",
        [AuthSlow, AuthCrashStranger],
        Auth::Own(Phase::Load, auth::load_phase);
}

/// The check with this ID.
pub fn find(id: &str) -> Option<&'static Check> {
    CATALOG
        .iter()
        .find(|c| c.id.as_str().eq_ignore_ascii_case(id))
}

/// The catalog row of a check: the catalog lists every check in the enum's order.
pub fn check(id: CheckId) -> &'static Check {
    &CATALOG[id as usize]
}

/// The catalog as a plain-text table (`facecert list`).
pub fn listing() -> String {
    let mut out = format!(
        "{:<6} {:<6} {:<8} {}\n",
        "ID", "LEVEL", "VERSIONS", "REQUIREMENT"
    );
    for check in CATALOG {
        out.push_str(&format!(
            "{:<6} {:<6} {:<8} {}\n",
            check.id.as_str(),
            check.level.to_string(),
            check.versions.to_string(),
            check.requirement
        ));
    }
    out
}

/// The checks aimed at `fault` under any version, in catalog order.
pub fn aimed_at(fault: Fault) -> Vec<&'static Check> {
    CATALOG
        .iter()
        .filter(|c| c.aimed.iter().any(|a| a.fault == fault))
        .collect()
}

/// The checks that must find `fault` under `version`, in catalog order.
pub fn aimed_under(fault: Fault, version: ApiVersion) -> Vec<&'static Check> {
    CATALOG
        .iter()
        .filter(|c| c.aims_at(fault, version))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_well_formed_and_grouped() {
        let mut seen = std::collections::HashSet::new();
        for check in CATALOG {
            assert!(seen.insert(check.id), "duplicate {}", check.id);
            let prefix = check.group.prefix();
            assert!(
                check
                    .id
                    .as_str()
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.len() == 3
                        && rest.starts_with('-')
                        && rest[1..].bytes().all(|b| b.is_ascii_digit())),
                "{}",
                check.id
            );
            assert!(
                check.requirement.ends_with('.'),
                "{}: one sentence",
                check.id
            );
        }
    }

    #[test]
    fn every_fault_is_aimed_at_by_some_check() {
        for &fault in Fault::ALL {
            assert!(
                !aimed_at(fault).is_empty(),
                "{fault} is aimed at by no check"
            );
        }
    }

    #[test]
    fn aims_stay_inside_their_checks_versions() {
        for check in CATALOG {
            for aim in check.aimed {
                let v = aim.versions.unwrap_or(check.versions);
                assert!(
                    check.versions.contains(v.from) && check.versions.contains(v.to),
                    "{}: {} aimed outside the check's versions",
                    check.id,
                    aim.fault
                );
            }
        }
        assert!(check(CheckId::A07).applies(ApiVersion::V1_0));
        assert!(!check(CheckId::A07).applies(ApiVersion::V1_1));
        assert_eq!(check(CheckId::R15).versions.to_string(), "1.2.1+");
        assert_eq!(check(CheckId::T01).versions.to_string(), "all");
        assert_eq!(
            aimed_under(Fault::RequiresRecognizeStatus, ApiVersion::V1_0).len(),
            0
        );
        assert_eq!(
            aimed_under(Fault::RequiresRecognizeStatus, ApiVersion::V1_1)[0].id,
            CheckId::T01
        );
    }

    #[test]
    fn find_ignores_case() {
        assert_eq!(find("a-03").map(|c| c.id), Some(CheckId::A03));
        for (i, c) in CATALOG.iter().enumerate() {
            assert_eq!(c.id as usize, i);
            assert_eq!(check(c.id).id, c.id);
        }
        assert!(find("Z-99").is_none());
    }
}
