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
//!
//! The types a check is made of live in `check`, which depends on nothing else in the
//! crate; the table itself is written one group per file (`catalog/*.rs`), in report
//! order, and joined here into [`CATALOG`] (what reports, the matrix and the tests read)
//! and the rows the runner walks.

use facesim::zoo::Fault;
use facesim_proto::profile::ApiVersion;

use crate::check::{Check, CheckId};
use table::Row;

mod answer;
mod auth;
mod records;
mod robustness;
mod table;
mod timing;
mod transport;

/// The groups' rows, in report order.
const GROUPS: [&[Row]; 6] = [
    transport::ROWS,
    answer::ROWS,
    records::ROWS,
    robustness::ROWS,
    timing::ROWS,
    auth::ROWS,
];

/// How many checks the catalog holds.
const LEN: usize = {
    let mut n = 0;
    let mut g = 0;
    while g < GROUPS.len() {
        n += GROUPS[g].len();
        g += 1;
    }
    n
};

/// Every row, in the order reports list them (which is [`CheckId`](crate::check::CheckId)'s
/// order, so that a check's row is at its variant's index).
pub(crate) const ROWS: [Row; LEN] = {
    let mut rows = [GROUPS[0][0]; LEN];
    let (mut g, mut n) = (0, 0);
    while g < GROUPS.len() {
        let mut i = 0;
        while i < GROUPS[g].len() {
            rows[n] = GROUPS[g][i];
            n += 1;
            i += 1;
        }
        g += 1;
    }
    rows
};

const CHECKS: [Check; LEN] = {
    let mut checks = [ROWS[0].check; LEN];
    let mut i = 0;
    while i < LEN {
        checks[i] = ROWS[i].check;
        i += 1;
    }
    checks
};

/// Every check, in the order reports list them.
pub const CATALOG: &[Check] = &CHECKS;

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
    use crate::check::CheckId;
    use facesim_proto::profile::ApiVersion;

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
    fn every_id_has_one_row_at_its_index() {
        assert_eq!(CATALOG.len(), CheckId::ALL.len());
        for (row, &id) in ROWS.iter().zip(CheckId::ALL) {
            assert_eq!(row.check.id, id);
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
