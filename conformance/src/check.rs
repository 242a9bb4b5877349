//! What a check is: its stable ID ([`CheckId`]), its level, its group and suite, the API
//! versions it applies to, and the faults of the zoo it is aimed at ([`Check`]). These are
//! the types every other part of the suite speaks in; they depend on nothing else in the
//! crate, so that the catalog (the table of checks and how each runs), the runner, the
//! verdicts and the reports can all name them without naming each other.

use std::fmt;

use facesim::zoo::Fault;
use facesim_proto::profile::ApiVersion;
use serde::Serialize;

/// Defines [`CheckId`] from the list of IDs, so that each is spelled once: the catalog's
/// rows name checks by variant, which the compiler checks.
macro_rules! check_ids {
    ($($variant:ident = $id:literal,)+) => {
        /// A check's stable identifier, such as `A-03`. The catalog lists one row per
        /// variant, in this order (the order reports list them).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum CheckId {
            $(#[doc = $id] $variant,)+
        }

        impl CheckId {
            /// Every ID, in catalog order.
            pub const ALL: &[CheckId] = &[$(CheckId::$variant,)+];

            /// The ID as reports spell it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(CheckId::$variant => $id,)+
                }
            }
        }
    };
}

check_ids! {
    T01 = "T-01",
    T02 = "T-02",
    T03 = "T-03",
    T04 = "T-04",
    T05 = "T-05",
    T06 = "T-06",
    T07 = "T-07",
    A01 = "A-01",
    A02 = "A-02",
    A03 = "A-03",
    A04 = "A-04",
    A05 = "A-05",
    A06 = "A-06",
    A07 = "A-07",
    A08 = "A-08",
    A09 = "A-09",
    A10 = "A-10",
    A11 = "A-11",
    R01 = "R-01",
    R02 = "R-02",
    R03 = "R-03",
    R04 = "R-04",
    R05 = "R-05",
    R06 = "R-06",
    R07 = "R-07",
    R08 = "R-08",
    R09 = "R-09",
    R10 = "R-10",
    R11 = "R-11",
    R12 = "R-12",
    R13 = "R-13",
    R14 = "R-14",
    R15 = "R-15",
    C01 = "C-01",
    C02 = "C-02",
    D01 = "D-01",
    D02 = "D-02",
    B01 = "B-01",
    B02 = "B-02",
    B03 = "B-03",
    B04 = "B-04",
    B05 = "B-05",
    P01 = "P-01",
    P02 = "P-02",
    AH01 = "AH-01",
    AU01 = "AU-01",
    AU02 = "AU-02",
    AU03 = "AU-03",
    AU04 = "AU-04",
    AU05 = "AU-05",
    AU06 = "AU-06",
    AU07 = "AU-07",
    AC01 = "AC-01",
    AC02 = "AC-02",
    AC03 = "AC-03",
    AC04 = "AC-04",
    AC05 = "AC-05",
    AB01 = "AB-01",
    AB02 = "AB-02",
    AB03 = "AB-03",
    AP01 = "AP-01",
    AP02 = "AP-02",
}

impl CheckId {
    /// The check spelled `id`, ignoring case (`a-03` is `A-03`).
    pub fn parse(id: &str) -> Option<CheckId> {
        CheckId::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(id))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_back_ignoring_case() {
        for &id in CheckId::ALL {
            assert_eq!(CheckId::parse(id.as_str()), Some(id));
            assert_eq!(CheckId::parse(&id.as_str().to_lowercase()), Some(id));
        }
        assert_eq!(CheckId::parse("Z-99"), None);
    }

    /// The types here are what every other module speaks in, so this file names no other
    /// module of the crate (a path from `crate::`, `super::` or `self::`), or a circle of
    /// files would come back through it. The whole file is read except this test module,
    /// which is its last item.
    #[test]
    fn the_check_types_are_a_leaf() {
        let source = include_str!("check.rs");
        let end = source
            .find("#[cfg(test)]\nmod tests {")
            .expect("a test module");
        let code = &source[..end];
        for path in ["crate::", "super::", "self::"] {
            assert!(!code.contains(path), "check.rs names `{path}`");
        }
    }
}
