//! How the catalog's table is written: a [`Row`] is a check ([`Check`], the data reports
//! and the matrix read) and how it runs ([`How`], which the runner reads), and the
//! [`rows!`] macro turns a group's lines of the table into rows. The spec sections the
//! rows cite are named here once, since rows of several groups cite the same section.

use crate::check::Check;
use crate::run::how::How;

/// One row of the catalog: the check, and how it runs (its phase and the function that
/// sends and judges its requests).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    pub check: Check,
    pub run: How,
}

pub(super) const RECEIVING: &str = "Event Push Protocol › Receiving method";
pub(super) const DEST: &str = "Set third-party server push configuration › event_dest";
pub(super) const RESPOND: &str = "Event Push Protocol › Respond structure";
pub(super) const RECORD: &str = "Event Push Protocol › Record event field attributes";
pub(super) const EXAMPLE: &str = "Event Push Protocol › Event push example";
pub(super) const NOTES: &str = "device-notes › Facts about the device side";
pub(super) const ALARM: &str = "firmware-profiles › Device alarm push (1.3)";
pub(super) const HEADERS: &str = "firmware-profiles › Identity headers (1.2.1)";
pub(super) const AUTH_CONFIG: &str =
    "firmware-profiles › Remote authentication › Configuration fields";
pub(super) const AUTH_REQUEST: &str =
    "firmware-profiles › Remote authentication › Request the device sends";
pub(super) const AUTH_ANSWER: &str =
    "firmware-profiles › Remote authentication › Answer the auth service must return";
pub(super) const AUTH_WHEN: &str =
    "firmware-profiles › Remote authentication › When the callback fires";
pub(super) const AUTH_EFFECT: &str =
    "firmware-profiles › Remote authentication › What the device does with the answer";

/// A version range of the catalog table: `all`, `only V`, `from V`.
macro_rules! versions {
    (all) => {
        $crate::check::Versions::ALL
    };
    (only $v:ident) => {
        $crate::check::Versions {
            from: ::facesim_proto::profile::ApiVersion::$v,
            to: ::facesim_proto::profile::ApiVersion::$v,
        }
    };
    (from $v:ident) => {
        $crate::check::Versions {
            from: ::facesim_proto::profile::ApiVersion::$v,
            to: ::facesim_proto::profile::ApiVersion::V1_3,
        }
    };
}

/// The versions of an aim: its own when given, else (`None`) the check's.
macro_rules! aim_versions {
    () => {
        None
    };
    ($own:tt) => {
        Some($crate::catalog::table::versions! $own)
    };
}

/// Turns lines of the table into rows. A line is the check's variant of
/// [`CheckId`](crate::check::CheckId) (whose ID string is spelled there, once), its level,
/// group, spec section, versions, requirement, the faults aimed at it (with their own
/// versions after `@` where narrower), and last how it runs (`Push::…` or `Auth::…`, see
/// `run::how`), so that the runner finds it there and in no list of its own.
macro_rules! rows {
    ($($variant:ident, $level:ident, $group:ident, $section:expr, $vers:tt, $requirement:literal, [$($fault:ident $(@ $fv:tt)?),*], $suite:ident :: $how:ident $(($($arg:tt)*))?;)+) => {
        &[$($crate::catalog::table::Row {
            check: $crate::check::Check {
                id: $crate::check::CheckId::$variant,
                level: $crate::check::Level::$level,
                group: $crate::check::Group::$group,
                requirement: $requirement,
                section: $section,
                versions: $crate::catalog::table::versions! $vers,
                aimed: &[$($crate::check::Aim {
                    fault: ::facesim::zoo::Fault::$fault,
                    versions: $crate::catalog::table::aim_versions!($($fv)?),
                }),*],
            },
            run: $crate::run::how::How::$suite($suite::$how $(($($arg)*))?),
        },)+]
    };
}

pub(super) use {aim_versions, rows, versions};
