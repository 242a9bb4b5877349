//! The catalog of checks: a stable ID, a level (MUST, SHOULD, INFO), the requirement in
//! one sentence, the spec section it comes from, and the faulty receivers of the zoo that
//! each check is aimed at. The catalog is data; `run` executes it and `verdict` judges it.
//! IDs never change meaning: a check that changes gets a new ID.

use std::fmt;

use facesim::zoo::Fault;
use serde::Serialize;

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

/// The area a check belongs to; its letter starts the check's ID.
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
}

impl Group {
    /// Every group, in report order.
    pub const ALL: [Group; 7] = [
        Group::Transport,
        Group::Answer,
        Group::Records,
        Group::Compatibility,
        Group::Decisions,
        Group::Robustness,
        Group::Timing,
    ];

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
        }
    }
}

/// One check of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
    /// The faulty receivers that must fail (or, for INFO, be flagged by) this check.
    #[serde(serialize_with = "fault_names")]
    pub aimed: &'static [Fault],
}

fn fault_names<S: serde::Serializer>(faults: &&'static [Fault], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(faults.iter().map(|f| f.name()))
}

const RECEIVING: &str = "Event Push Protocol › Receiving method";
const DEST: &str = "Set third-party server push configuration › event_dest";
const RESPOND: &str = "Event Push Protocol › Respond structure";
const RECORD: &str = "Event Push Protocol › Record event field attributes";
const EXAMPLE: &str = "Event Push Protocol › Event push example";
const NOTES: &str = "device-notes › Facts about the device side";

/// Defines [`CheckId`] and [`CATALOG`] from one table, so that an ID is spelled once and
/// code names checks by a variant the compiler checks.
macro_rules! catalog {
    ($($variant:ident = $id:literal, $level:ident, $group:ident, $section:expr, $requirement:literal, [$($fault:ident),*];)+) => {
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
                aimed: &[$(Fault::$fault),*],
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
        "A valid event sent as POST application/json on a fresh connection is answered with HTTP 200.",
        [
            Http500,
            NeverAnswers,
            ResetMidRequest,
            CloseWithoutAnswer,
            TruncatedAnswer,
            GarbageAnswer
        ];
    T02 = "T-02",
        Must,
        Transport,
        DEST,
        "An https receiver completes the TLS handshake with a certificate the terminal trusts.",
        [];
    T03 = "T-03",
        Info,
        Transport,
        RECEIVING,
        "The connection stays open for a second event (closing is allowed; it costs a handshake per event).",
        [NoKeepAlive];
    T04 = "T-04",
        Must,
        Transport,
        RECEIVING,
        "Twenty valid events in a row, each on a fresh connection, are all answered with HTTP 200.",
        [RefusesAfterN];
    // SHOULD, not MUST: a SYN the receiver's kernel dropped is sent again a second later,
    // so the event is late, not lost; but a door that opens a second late is noticed.
    T05 = "T-05",
        Should,
        Transport,
        NOTES,
        "Terminals connecting at once are all accepted without waiting for a SYN retransmission (the listen backlog holds them).",
        [SmallBacklog];
    // INFO: nothing breaks, but a terminal draining its offline queue one record at a
    // time goes about 40 times slower, which an integrator wants to know.
    T06 = "T-06",
        Info,
        Transport,
        RECEIVING,
        "Answers on a kept-alive connection come as fast as on a fresh one (no ~40 ms stall from Nagle's algorithm meeting the terminal's delayed ACK).",
        [NagleDelay];
    A01 = "A-01",
        Must,
        Answer,
        RESPOND,
        "The answer to a valid event is a JSON object.",
        [NotJson];
    A02 = "A-02",
        Must,
        Answer,
        RESPOND,
        "The answer has `code`, an integer.",
        [CodeAsString];
    A03 = "A-03",
        Must,
        Answer,
        RESPOND,
        "The answer's `code` is 200 for a valid event.",
        [CodeNot200];
    A04 = "A-04",
        Must,
        Answer,
        RESPOND,
        "The answer has a text field named `msg` or `message`, a string.",
        [MissingMsg];
    A05 = "A-05",
        Info,
        Answer,
        RESPOND,
        "The text field is named `msg` as in every example; `message`, the table's name, conforms too and is reported.",
        [MessageField];
    A06 = "A-06",
        Must,
        Answer,
        RESPOND,
        "The answer has `data`, an object.",
        [DataMissing];
    A07 = "A-07",
        Must,
        Answer,
        RESPOND,
        "The answer's `data` has `pass`.",
        [PassMissing];
    A08 = "A-08",
        Must,
        Answer,
        RESPOND,
        "The answer's `data.pass` is a boolean.",
        [PassAsString];
    A09 = "A-09",
        Must,
        Answer,
        RESPOND,
        "The answer's `data.customtips`, when present, is a string.",
        [CustomtipsNumber];
    A10 = "A-10",
        Should,
        Answer,
        RESPOND,
        "The answer's `data.customtips` has at most 10 characters (characters, not bytes).",
        [LongCustomtips];
    A11 = "A-11",
        Should,
        Answer,
        RECEIVING,
        "The answer's Content-Type is application/json (parameters such as charset are fine).",
        [HtmlContentType];
    R01 = "R-01",
        Must,
        Records,
        RECORD,
        "Records with every recognizeStatus from 0 to 6 get a conforming answer.",
        [RejectsRareStatus, RequiresUser];
    R02 = "R-02",
        Must,
        Records,
        RECORD,
        "Records with every mask value from 0 to 2 get a conforming answer.",
        [];
    R03 = "R-03",
        Must,
        Records,
        RECORD,
        "Records with every mode from 0 to 6 get a conforming answer.",
        [RejectsNewModes];
    R04 = "R-04",
        Must,
        Records,
        RECORD,
        "A record without `user` (a stranger) gets a conforming answer.",
        [RequiresUser];
    R05 = "R-05",
        Must,
        Records,
        RECORD,
        "A record with `\"user\": null` gets a conforming answer.",
        [RequiresUser, RejectsUserNull];
    R06 = "R-06",
        Must,
        Records,
        NOTES,
        "Records whose user names are in CJK and other non-ASCII scripts get a conforming answer.",
        [FailsNonAscii];
    R07 = "R-07",
        Must,
        Records,
        NOTES,
        "A record whose user name is at the device's 128-byte limit gets a conforming answer.",
        [RejectsLongNames];
    R08 = "R-08",
        Must,
        Records,
        NOTES,
        "An event with a large snapshot (a body of at least 512 KiB) gets a conforming answer.",
        [FailsLargeBodies];
    R09 = "R-09",
        Must,
        Records,
        RECORD,
        "The smallest valid record (no user, zero scores, a tiny snapshot) gets a conforming answer.",
        [RequiresUser];
    C01 = "C-01",
        Should,
        Compatibility,
        NOTES,
        "Unknown extra fields in the event, the record and the user are ignored.",
        [RejectsUnknownFields];
    C02 = "C-02",
        Should,
        Compatibility,
        EXAMPLE,
        "An event whose `type` is not 0 gets HTTP 200 and a well-formed answer.",
        [RejectsTypeNonzero];
    D01 = "D-01",
        Info,
        Decisions,
        RECORD,
        "A stranger (recognizeStatus 3) is not let through; `pass: true` is reported as failing open.",
        [FailsOpen];
    D02 = "D-02",
        Info,
        Decisions,
        RECORD,
        "A non-live face (recognizeStatus 1) is not let through; `pass: true` is reported as failing open.",
        [FailsOpen];
    B01 = "B-01",
        Should,
        Robustness,
        RESPOND,
        "Malformed JSON is refused with an HTTP status of 400 to 599 or a `code` other than 200.",
        [AcceptsGarbage];
    B02 = "B-02",
        Should,
        Robustness,
        RESPOND,
        "An empty body is refused with an HTTP status of 400 to 599 or a `code` other than 200.",
        [AcceptsGarbage];
    B03 = "B-03",
        Should,
        Robustness,
        RECEIVING,
        "A body sent with a Content-Type other than JSON is refused with an HTTP status of 400 to 599 or a `code` other than 200.",
        [AcceptsGarbage];
    B04 = "B-04",
        Should,
        Robustness,
        RESPOND,
        "A 16 MiB body, far larger than any real event, is refused with an HTTP status of 400 to 599 or a `code` other than 200.",
        [AcceptsGarbage];
    B05 = "B-05",
        Must,
        Robustness,
        RECEIVING,
        "After each bad request the receiver still answers a valid event with HTTP 200.",
        [DiesAfterBadInput];
    P01 = "P-01",
        Must,
        Timing,
        NOTES,
        "Every answer arrives within the terminal's push timeout (--timeout-ms, from the first byte sent).",
        [SlowAnswer];
    P02 = "P-02",
        Must,
        Timing,
        NOTES,
        "Under load (--concurrency devices, --load-events events) no event fails and the p99 answer time stays within --p99-ms.",
        [RequiresUser, SlowAnswer, SlowUnderLoad];
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
    let mut out = format!("{:<5} {:<6} {}\n", "ID", "LEVEL", "REQUIREMENT");
    for check in CATALOG {
        out.push_str(&format!(
            "{:<5} {:<6} {}\n",
            check.id.as_str(),
            check.level.to_string(),
            check.requirement
        ));
    }
    out
}

/// The checks aimed at `fault`, in catalog order.
pub fn aimed_at(fault: Fault) -> Vec<&'static Check> {
    CATALOG
        .iter()
        .filter(|c| c.aimed.contains(&fault))
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
            let letter = match check.group {
                Group::Transport => 'T',
                Group::Answer => 'A',
                Group::Records => 'R',
                Group::Compatibility => 'C',
                Group::Decisions => 'D',
                Group::Robustness => 'B',
                Group::Timing => 'P',
            };
            assert!(
                check.id.as_str().starts_with(letter) && check.id.as_str().len() == 4,
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
    fn find_ignores_case() {
        assert_eq!(find("a-03").map(|c| c.id), Some(CheckId::A03));
        for (i, c) in CATALOG.iter().enumerate() {
            assert_eq!(c.id as usize, i);
            assert_eq!(check(c.id).id, c.id);
        }
        assert!(find("Z-99").is_none());
    }
}
