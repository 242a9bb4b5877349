//! How each catalog row runs, and the phases a run goes through. A row's [`How`] says in
//! which phase its requests go out and what judges their answers; a suite's plan runs its
//! phases in a fixed order, and each phase walks its rows in catalog order. There are
//! phases at all because checks share requests and what earlier requests showed: every
//! record is compared with the baseline's answer, the records settle the reference when the
//! baseline was refused, and the answer rules judge every answer gathered. So adding a
//! check is adding its ID (`check::CheckId`) and its row (and the function the row names);
//! no other list names it.

use std::sync::Arc;

use facesim_proto::wire::RecognizeStatus;

use crate::auth::answer::{AuthRule, Over};
use crate::auth::checks::{BadRequests, Callbacks};
use crate::auth::probes::AuthFactory;
use crate::check::CheckId;
use crate::probe::{Factory, Probe};
use crate::rules::Rule;
use crate::verdict::Finding;

use super::runner::{Judge, Runner, Step};

/// Where a run is when a row's requests go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Before the baseline: requests that need nothing from it (the auth server's heartbeat).
    Opening,
    /// The baseline request, sent whatever is selected since later checks compare with its
    /// answer, and the checks judged from it.
    Baseline,
    /// Connections kept open and opened one after another, before the records.
    Connections,
    /// Records (or callbacks), each compared with the reference answer.
    Records,
    /// Checks that need the reference, which the records settle when the baseline was
    /// refused.
    Compared,
    /// The sustained phase, many terminals at once.
    Load,
    /// Requests a terminal never sends, each followed by a valid one.
    Robust,
    /// The answer rules, over the answers gathered so far.
    Answers,
    /// Checks judged over everything the run sent; they send nothing.
    Judged,
}

/// How a catalog row runs: as a check on the push receiver or on the auth server.
#[derive(Debug, Clone, Copy)]
pub(crate) enum How {
    Push(Push),
    Auth(Auth),
}

/// How a push receiver's check runs (`facecert run`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Push {
    /// Judged from the baseline event that opens the run (T-01, T-02), given its place
    /// in the requests sent: the finding, and how many requests it judged.
    Baseline(fn(&Runner, usize) -> (Finding, usize)),
    /// Sends its own requests in the phase and judges their answers, under the ID it is
    /// handed.
    Own(Phase, fn(&mut Runner, CheckId) -> Step<'_>),
    /// As `Own`, and the check named judges its requests too (T-03's answers on a kept
    /// connection time T-06), so it runs when either check is wanted; it is handed both IDs.
    Feeds(
        Phase,
        CheckId,
        fn(&mut Runner, CheckId, CheckId) -> Step<'_>,
    ),
    /// Real records, each answered like the reference; they are judged once every record
    /// was answered, since a record taken may have to stand in for a refused baseline.
    Records(fn(&Factory) -> Vec<Arc<Probe>>),
    /// A record that must not open the door, read after the records (R-01 may have sent
    /// it already).
    Decision(RecognizeStatus, &'static str),
    /// A bad request that must be refused; a valid event follows it (see `Survives`).
    Bad(fn(&Factory) -> Arc<Probe>),
    /// A bad request too large to time: it gets extra time for its upload, and P-01 leaves
    /// its answer out.
    Huge(fn(&Factory) -> Arc<Probe>),
    /// Judged from the valid events sent after the bad requests before it (B-05).
    Survives,
    /// An answer rule, over every answer to a valid event.
    Rule(&'static Rule),
    /// Judged over everything the run sent.
    Judged(Judge),
}

/// How an auth server's check runs (`facecert auth`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Auth {
    /// Sends its own requests in the phase and judges their answers; it gets the suite's
    /// requests and the baseline callback's answer.
    Own(
        Phase,
        for<'r> fn(&'r mut Runner, &'r Callbacks, CheckId) -> Step<'r>,
    ),
    /// Callbacks, each answered like the baseline callback.
    Callers(fn(&AuthFactory) -> Vec<Arc<Probe>>),
    /// An answer rule, over the answers it is about.
    Rule(&'static AuthRule, Over),
    /// Judged from the requests that are not callbacks, sent once for every check that
    /// judges them, each followed by a valid callback.
    Refuses(fn(&BadRequests) -> Finding),
    /// Judged over everything the run sent.
    Judged(Judge),
}

impl Push {
    pub(crate) fn phase(self) -> Phase {
        match self {
            Push::Baseline(_) => Phase::Baseline,
            Push::Own(phase, _) | Push::Feeds(phase, ..) => phase,
            Push::Records(_) => Phase::Records,
            Push::Decision(..) => Phase::Compared,
            Push::Bad(_) | Push::Huge(_) | Push::Survives => Phase::Robust,
            Push::Rule(_) => Phase::Answers,
            Push::Judged(_) => Phase::Judged,
        }
    }
}

impl Auth {
    pub(crate) fn phase(self) -> Phase {
        match self {
            Auth::Own(phase, _) => phase,
            Auth::Callers(_) => Phase::Records,
            Auth::Rule(..) => Phase::Answers,
            Auth::Refuses(_) => Phase::Robust,
            Auth::Judged(_) => Phase::Judged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ROWS;
    use crate::check::{Group, Suite};

    #[test]
    fn every_row_runs_in_its_suite_and_only_answer_checks_are_rules() {
        for row in ROWS {
            let check = row.check;
            let (suite, rule) = match row.run {
                How::Push(how) => (Suite::Push, matches!(how, Push::Rule(_))),
                How::Auth(how) => (Suite::Auth, matches!(how, Auth::Rule(..))),
            };
            assert_eq!(suite, check.suite(), "{}", check.id);
            let answer = matches!(check.group, Group::Answer | Group::AuthAnswer);
            assert_eq!(rule, answer, "{}", check.id);
        }
    }
}
