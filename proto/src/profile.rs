//! The API versions of the terminal as data: one [`Profile`] per version decides which
//! record fields exist and how they are typed, the codes they take, the headers a push
//! carries, which event types there are, and how a receiver's answer is judged. Nothing
//! outside this module asks which version is in force; it asks the profile. No I/O.
//!
//! The facts are the vendor's guide, version by version (`firmware-profiles.md` in the
//! project's spec summary); where the guide is silent, the choice is documented in the
//! README's section on versions.

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::time::Duration;

use crate::wire::layouts::{self, Layout};
use crate::wire::{AnswerRule, ItemLayout, PageLimits};

use crate::wire::{Answer, FunctionsRules, IdKind, Outcome, RecordHead};
mod auth;
pub use auth::AuthProfile;

/// How long a terminal waits for a receiver's or an auth server's answer before it counts
/// the exchange as lost (the guide never says; see README, "Choices where the guide is
/// silent"). Every version waits the same, and every default of the workspace (the
/// device, `push`, `load`, facecert's timeout and P-01) is this one value.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(3);

/// An API version of the terminal's web API and push protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum ApiVersion {
    /// 1.0 (S7 firmware V1.0.8, 2022-09): the push answer decides the door.
    #[default]
    V1_0,
    /// 1.1 (2022-10): `recognitionType`, `bodyTemperature`; the answer is an acknowledgement.
    V1_1,
    /// 1.2 (2022-11): card and job numbers.
    V1_2,
    /// 1.2.1 (2023-03): `uuid`, string user ids, groups, identity headers.
    V1_2_1,
    /// 1.3 (2023-05): `entry_mode`, `abnormal_type`, PINs, alarms.
    V1_3,
}

impl ApiVersion {
    /// Every version, oldest first.
    pub const ALL: [ApiVersion; 5] = [
        ApiVersion::V1_0,
        ApiVersion::V1_1,
        ApiVersion::V1_2,
        ApiVersion::V1_2_1,
        ApiVersion::V1_3,
    ];

    /// The version as the guide and the command line spell it.
    pub fn as_str(self) -> &'static str {
        self.profile().name
    }

    /// The profile of this version.
    pub fn profile(self) -> &'static Profile {
        &PROFILES[self as usize]
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A version name that is not one of the guide's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown API version `{0}`; use 1.0, 1.1, 1.2, 1.2.1 or 1.3")]
pub struct UnknownVersion(pub String);

impl FromStr for ApiVersion {
    type Err = UnknownVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().trim_start_matches(['v', 'V']);
        // "1.2.0" and "1.3.0" are how `/v1/device/info` spells them.
        let wanted = wanted
            .strip_suffix(".0")
            .filter(|w| w.contains('.'))
            .unwrap_or(wanted);
        ApiVersion::ALL
            .into_iter()
            .find(|v| v.as_str() == wanted)
            .ok_or_else(|| UnknownVersion(s.to_string()))
    }
}

/// How user ids travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserIds {
    /// An integer below this bound (1.0: 999999; 1.1 and 1.2: 99999999).
    Integer(i64),
    /// A string of at most 128 bytes (from 1.2.1).
    Text,
}

/// What a person is, whatever number a version gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PersonKind {
    Employee,
    Visitor,
    Blacklisted,
}

/// Everything that differs between API versions.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub version: ApiVersion,
    pub name: &'static str,
    /// The earliest terminal firmware that speaks it.
    pub firmware: &'static str,
    /// The record carries `recognizeStatus` and `livenessScore` (1.0 only).
    pub recognize_status: bool,
    /// The record carries `recognitionType` and `bodyTemperature` (from 1.1).
    pub recognition_type: bool,
    /// The user carries `ic_number` and `job_number` (from 1.2).
    pub card_numbers: bool,
    /// The record carries `uuid`; the user `id_number`, `guest_time_*`, `remark` and
    /// `groups` (from 1.2.1).
    pub record_ids: bool,
    /// The record carries `entry_mode` and `abnormal_type`; the user `pin` (1.3).
    pub entry_details: bool,
    pub user_ids: UserIds,
    /// The `mode` values this version defines.
    pub modes: RangeInclusive<u8>,
    /// What each `mode` means, by value.
    pub mode_names: &'static [&'static str],
    /// The user `type` of a blacklisted person (none in 1.0).
    pub blacklist_type: Option<i64>,
    /// Longest user name, in bytes.
    pub max_name_bytes: usize,
    /// How a receiver's answer to a push is judged.
    pub answer: AnswerRule,
    /// Pushes and device answers carry `model`, `sn`, `timestamp` and `account` headers.
    pub identity_headers: bool,
    /// The device pushes alarms (event `type` 1).
    pub alarms: bool,
    /// Remote authentication: the callback, its fields, the `auth_mode` values.
    pub auth: AuthProfile,
    /// The settings routes' fields (`wire::layouts`): which exist, their ranges, which
    /// are required, their factory values.
    pub settings: Layout,
    /// `/v1/device/info` has `api_ver` and `model_ver` (from 1.1).
    pub model_versions: bool,
    /// `/v1/ai/recognitionquality` and `/v1/ai/feature` exist (from 1.1).
    pub ai_routes: bool,
    /// `/v1/auth/certificate` exists (from 1.2.0).
    pub certificate_api: bool,
    /// `GET /v2/device/logs` exists (1.3.0).
    pub device_logs: bool,
}

/// `mode` names of API 1.0.
const MODES_1_0: &[&str] = &[
    "face",
    "face or card",
    "face or card or QR code",
    "face and card",
    "ID card",
    "face or ID card",
    "face and ID card",
];
/// `mode` names of API 1.1 and 1.2: 2 and 3 swap.
const MODES_1_1: &[&str] = &[
    "face",
    "face or card",
    "face and card",
    "face or card or QR code",
    "ID card",
    "face or ID card",
    "face and ID card",
];
/// `mode` names from API 1.2.1: PIN modes 7 to 9.
const MODES_1_2_1: &[&str] = &[
    "face",
    "face or card",
    "face and card",
    "face or card or QR code or PIN",
    "ID card",
    "face or ID card",
    "face and ID card",
    "face and PIN",
    "face and card and PIN",
    "card and PIN",
];

/// The profiles, in the order of [`ApiVersion::ALL`].
static PROFILES: [Profile; 5] = [
    Profile {
        version: ApiVersion::V1_0,
        name: "1.0",
        firmware: "V1.0.8",
        recognize_status: true,
        recognition_type: false,
        card_numbers: false,
        record_ids: false,
        entry_details: false,
        user_ids: UserIds::Integer(999_999),
        modes: 0..=6,
        mode_names: MODES_1_0,
        blacklist_type: None,
        max_name_bytes: 32,
        answer: AnswerRule::Decision,
        identity_headers: false,
        alarms: false,
        auth: auth::AUTH_1_0,
        settings: layouts::LAYOUT_1_0,
        model_versions: false,
        ai_routes: false,
        certificate_api: false,
        device_logs: false,
    },
    Profile {
        version: ApiVersion::V1_1,
        name: "1.1",
        firmware: "V1.1.0",
        recognize_status: false,
        recognition_type: true,
        card_numbers: false,
        record_ids: false,
        entry_details: false,
        user_ids: UserIds::Integer(99_999_999),
        modes: 0..=6,
        mode_names: MODES_1_1,
        blacklist_type: Some(3),
        max_name_bytes: 32,
        answer: AnswerRule::Acknowledgement,
        identity_headers: false,
        alarms: false,
        auth: auth::AUTH_1_1,
        settings: layouts::LAYOUT_1_1,
        model_versions: true,
        ai_routes: true,
        certificate_api: false,
        device_logs: false,
    },
    Profile {
        version: ApiVersion::V1_2,
        name: "1.2",
        firmware: "V1.2.1",
        recognize_status: false,
        recognition_type: true,
        card_numbers: true,
        record_ids: false,
        entry_details: false,
        user_ids: UserIds::Integer(99_999_999),
        modes: 0..=6,
        mode_names: MODES_1_1,
        blacklist_type: Some(3),
        max_name_bytes: 128,
        answer: AnswerRule::Acknowledgement,
        identity_headers: false,
        alarms: false,
        auth: auth::AUTH_1_2,
        settings: layouts::LAYOUT_1_2,
        model_versions: true,
        ai_routes: true,
        certificate_api: true,
        device_logs: false,
    },
    Profile {
        version: ApiVersion::V1_2_1,
        name: "1.2.1",
        firmware: "V1.2.3",
        recognize_status: false,
        recognition_type: true,
        card_numbers: true,
        record_ids: true,
        entry_details: false,
        user_ids: UserIds::Text,
        modes: 0..=9,
        mode_names: MODES_1_2_1,
        blacklist_type: Some(3),
        max_name_bytes: 128,
        answer: AnswerRule::Acknowledgement,
        identity_headers: true,
        alarms: false,
        auth: auth::AUTH_1_2_1,
        settings: layouts::LAYOUT_1_2,
        model_versions: true,
        ai_routes: true,
        certificate_api: true,
        device_logs: false,
    },
    Profile {
        version: ApiVersion::V1_3,
        name: "1.3",
        firmware: "V1.3.0",
        recognize_status: false,
        recognition_type: true,
        card_numbers: true,
        record_ids: true,
        entry_details: true,
        user_ids: UserIds::Text,
        modes: 0..=9,
        mode_names: MODES_1_2_1,
        blacklist_type: Some(5),
        max_name_bytes: 128,
        answer: AnswerRule::Acknowledgement,
        identity_headers: true,
        alarms: true,
        auth: auth::AUTH_1_3,
        settings: layouts::LAYOUT_1_3,
        model_versions: true,
        ai_routes: true,
        certificate_api: true,
        device_logs: true,
    },
];

impl Profile {
    /// The user `type` a person of this kind has (`None`: the version has no such type).
    pub fn user_type(&self, kind: PersonKind) -> Option<i64> {
        match kind {
            PersonKind::Employee => Some(1),
            PersonKind::Visitor => Some(2),
            PersonKind::Blacklisted => self.blacklist_type,
        }
    }

    /// What a user `type` means in this version.
    pub fn person_kind(&self, user_type: i64) -> Option<PersonKind> {
        match user_type {
            1 => Some(PersonKind::Employee),
            2 => Some(PersonKind::Visitor),
            t if Some(t) == self.blacklist_type => Some(PersonKind::Blacklisted),
            _ => None,
        }
    }

    /// What `mode` means in this version (`None` when it does not define it).
    pub fn mode_name(&self, mode: u8) -> Option<&'static str> {
        self.mode_names.get(usize::from(mode)).copied()
    }

    /// The fields a recognition record of this version has (`user` included).
    pub fn record_fields(&self) -> Vec<&'static str> {
        use crate::wire::field as f;
        let mut fields = vec![
            f::DEVICE_SN,
            f::RECOGNIZE_SCORE,
            f::MASK,
            f::RGB_IMAGE,
            f::PASS,
            f::MODE,
            f::USER,
            f::TIMESTAMP,
        ];
        let optional: [(bool, &[&'static str]); 4] = [
            (
                self.recognize_status,
                &[f::RECOGNIZE_STATUS, f::LIVENESS_SCORE],
            ),
            (
                self.recognition_type,
                &[f::RECOGNITION_TYPE, f::BODY_TEMPERATURE],
            ),
            (self.record_ids, &[f::UUID]),
            (self.entry_details, &[f::ENTRY_MODE, f::ABNORMAL_TYPE]),
        ];
        for (on, names) in optional {
            if on {
                fields.extend_from_slice(names);
            }
        }
        fields
    }

    /// The fields the `user` of a record of this version has.
    pub fn user_fields(&self) -> Vec<&'static str> {
        use crate::wire::field as f;
        let mut fields = vec![f::USER_NAME, f::USER_ID, f::USER_TYPE];
        let optional: [(bool, &[&'static str]); 3] = [
            (self.card_numbers, &[f::IC_NUMBER, f::JOB_NUMBER]),
            (
                self.record_ids,
                &[
                    f::ID_NUMBER,
                    f::GUEST_TIME_START,
                    f::GUEST_TIME_END,
                    f::REMARK,
                    f::GROUPS,
                ],
            ),
            (self.entry_details, &[f::PIN]),
        ];
        for (on, names) in optional {
            if on {
                fields.extend_from_slice(names);
            }
        }
        fields
    }

    /// The share of pushes that are alarms by default, in percent.
    pub fn default_alarm_share(&self) -> f64 {
        if self.alarms { 1.0 } else { 0.0 }
    }

    /// The door decision once a push succeeded: the answer's under API 1.0, where the
    /// receiver decides; from 1.1 the record's own, which the terminal decided (until a
    /// remote-authentication server decides instead).
    pub fn door(&self, answer: &Answer, record_pass: Option<bool>) -> Option<bool> {
        match self.answer {
            AnswerRule::Decision => answer.pass,
            AnswerRule::Acknowledgement => record_pass,
        }
    }

    /// The door decision after a push of the record `head` came to `outcome` (none for an
    /// alarm or a failed push): the answer's under API 1.0, the record's own later.
    pub fn door_after(&self, head: &RecordHead, outcome: &Outcome<Answer>) -> Option<bool> {
        outcome
            .answer()
            .filter(|_| !head.is_alarm())
            .and_then(|a| self.door(a, head.pass()))
    }
}

/// History (`POST /v1/event/records`) by version, in the order of [`ApiVersion::ALL`]:
/// it came with 1.2 with a default page of 20 and at most 25 (the English pages), and
/// 1.2.1 raised them to 100 and 200 (the Chinese pages).
static HISTORY: [Option<PageLimits>; 5] = [
    None,
    None,
    Some(PageLimits {
        default: 20,
        max: 25,
    }),
    Some(PageLimits {
        default: 100,
        max: 200,
    }),
    Some(PageLimits {
        default: 100,
        max: 200,
    }),
];

impl Profile {
    /// The paging limits of `POST /v1/event/records`, or `None` where the version has
    /// no history (before 1.2).
    pub fn history(&self) -> Option<PageLimits> {
        HISTORY[self.version as usize]
    }

    /// Which `user` fields a history item carries and how its ids travel.
    pub fn history_layout(&self) -> ItemLayout {
        ItemLayout {
            text_ids: self.user_ids == UserIds::Text,
            card_numbers: self.card_numbers,
            record_ids: self.record_ids,
        }
    }
}

impl Profile {
    /// What `/v1/device/functions` accepts under this version.
    pub fn functions_rules(&self) -> FunctionsRules {
        FunctionsRules {
            modes: self.modes.clone(),
            auth_modes: self.auth.auth_modes,
            refused_auth_modes: self.auth.refused_auth_modes,
            auth_mode_required: self.auth.auth_mode_required,
            address: self.auth.callback,
            fallback: self.auth.fallback,
            // Modes 7 and 8 (face and PIN, face and card and PIN) exist from 1.2.1.
            modes_without_server: if *self.modes.end() >= 8 { &[7, 8] } else { &[] },
        }
    }

    /// How an auth answer's `data.user_id` is typed under this version.
    pub fn auth_ids(&self) -> IdKind {
        match self.user_ids {
            UserIds::Integer(_) => IdKind::Integer,
            UserIds::Text => IdKind::Text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_back_and_accept_the_device_spelling() {
        for v in ApiVersion::ALL {
            assert_eq!(v.as_str().parse::<ApiVersion>(), Ok(v));
            assert_eq!(v.profile().version, v);
        }
        assert_eq!("1.2.0".parse::<ApiVersion>(), Ok(ApiVersion::V1_2));
        assert_eq!("v1.3".parse::<ApiVersion>(), Ok(ApiVersion::V1_3));
        assert!("1.4".parse::<ApiVersion>().is_err());
        assert!("2".parse::<ApiVersion>().is_err());
    }

    #[test]
    fn the_tables_follow_the_guide() {
        let p = |v: ApiVersion| v.profile();
        assert_eq!(
            p(ApiVersion::V1_0).mode_name(2),
            Some("face or card or QR code")
        );
        assert_eq!(p(ApiVersion::V1_1).mode_name(2), Some("face and card"));
        assert_eq!(p(ApiVersion::V1_1).mode_name(7), None);
        assert_eq!(p(ApiVersion::V1_3).mode_name(9), Some("card and PIN"));
        assert_eq!(p(ApiVersion::V1_0).user_type(PersonKind::Blacklisted), None);
        assert_eq!(
            p(ApiVersion::V1_2_1).user_type(PersonKind::Blacklisted),
            Some(3)
        );
        assert_eq!(
            p(ApiVersion::V1_3).user_type(PersonKind::Blacklisted),
            Some(5)
        );
        assert_eq!(p(ApiVersion::V1_3).person_kind(3), None);
        for v in ApiVersion::ALL {
            let profile = p(v);
            assert_eq!(
                profile.mode_names.len(),
                usize::from(*profile.modes.end()) + 1
            );
            assert_ne!(profile.recognize_status, profile.recognition_type);
            assert_eq!(profile.default_alarm_share() > 0.0, v == ApiVersion::V1_3);
        }
    }
}
