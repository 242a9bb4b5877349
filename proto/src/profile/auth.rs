//! Remote authentication by API version, as data: whether the callback exists, the
//! `auth_mode` values each version accepts, which `/v1/device/functions` fields exist and
//! are required, and exactly which fields the callback body carries (§6 of the spec
//! summary). The callback and its answer are typed in `wire::auth`; this says which parts
//! of them a version has.

use crate::wire::field as f;

/// What differs in remote authentication between versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthProfile {
    /// The terminal calls an auth server (from 1.1; under 1.0 `auth_mode` 1 is "local +
    /// remote door opening", which the push answer already does, and there is no callback).
    pub callback: bool,
    /// The `auth_mode` values accepted by `/v1/device/functions`.
    pub auth_modes: &'static [u8],
    /// `auth_mode` values the version names but the simulator refuses, with the reason.
    pub refused_auth_modes: &'static [(u8, &'static str)],
    /// `auth_mode` is required in a POST (1.0 and 1.1).
    pub auth_mode_required: bool,
    /// `remote_auth_timeout_to_local_auth` and the heartbeat exist (from 1.2).
    pub fallback: bool,
    /// The callback carries `recognizeScore` and the user's `ic_number`, `job_number`,
    /// `remark` and `guest_time_*` (from 1.2).
    pub details: bool,
    /// The callback's user carries `id_number` (from 1.2.1).
    pub id_number: bool,
    /// The callback carries `entry_mode` and `qrcode_content`, its user `pin` and
    /// `groups` (1.3).
    pub entry: bool,
}

/// Why `auth_mode` 2 is refused from 1.1 to 1.2.1: the guide names it and never says what
/// it does, so no terminal behaviour can be simulated for it.
const MODE_2_UNDESCRIBED: &str =
    "\"server authentication\" is never described by the guide; use 1 or 3";
/// Why `auth_mode` 2 is refused in 1.3: the guide marks it reserved.
const MODE_2_RESERVED: &str = "reserved in API 1.3; use 1 or 3";

pub(super) const AUTH_1_0: AuthProfile = AuthProfile {
    callback: false,
    auth_modes: &[0, 1],
    refused_auth_modes: &[],
    auth_mode_required: true,
    fallback: false,
    details: false,
    id_number: false,
    entry: false,
};
pub(super) const AUTH_1_1: AuthProfile = AuthProfile {
    callback: true,
    auth_modes: &[0, 1, 3],
    refused_auth_modes: &[(2, MODE_2_UNDESCRIBED)],
    auth_mode_required: true,
    ..AUTH_1_0
};
pub(super) const AUTH_1_2: AuthProfile = AuthProfile {
    auth_mode_required: false,
    fallback: true,
    details: true,
    ..AUTH_1_1
};
pub(super) const AUTH_1_2_1: AuthProfile = AuthProfile {
    id_number: true,
    ..AUTH_1_2
};
pub(super) const AUTH_1_3: AuthProfile = AuthProfile {
    refused_auth_modes: &[(2, MODE_2_RESERVED)],
    entry: true,
    ..AUTH_1_2_1
};

impl AuthProfile {
    /// The fields of this version's callback body (`user` included; it is absent for
    /// strangers). Empty when the version has no callback.
    pub fn callback_fields(&self) -> Vec<&'static str> {
        if !self.callback {
            return Vec::new();
        }
        let mut fields = vec![
            f::DEVICE_SN,
            f::RECOGNIZE_STATUS,
            f::MASK,
            f::RGB_IMAGE,
            f::TIMESTAMP,
            f::BODY_TEMPERATURE,
            f::USER,
        ];
        if self.details {
            fields.push(f::RECOGNIZE_SCORE);
        }
        if self.entry {
            fields.extend([f::ENTRY_MODE, crate::wire::auth_field::QRCODE_CONTENT]);
        }
        fields
    }

    /// The fields of the callback's `user` under this version.
    pub fn callback_user_fields(&self) -> Vec<&'static str> {
        if !self.callback {
            return Vec::new();
        }
        let mut fields = vec![f::USER_NAME, f::USER_ID, f::USER_TYPE];
        if self.details {
            fields.extend([
                f::IC_NUMBER,
                f::JOB_NUMBER,
                f::REMARK,
                f::GUEST_TIME_START,
                f::GUEST_TIME_END,
            ]);
        }
        if self.id_number {
            fields.push(f::ID_NUMBER);
        }
        if self.entry {
            fields.extend([f::PIN, f::GROUPS]);
        }
        fields
    }
}

#[cfg(test)]
mod tests {
    use crate::profile::ApiVersion;

    #[test]
    fn auth_modes_and_fields_follow_the_guide() {
        let p = |v: ApiVersion| v.profile();
        assert!(!p(ApiVersion::V1_0).auth.callback);
        assert!(p(ApiVersion::V1_0).auth.callback_fields().is_empty());
        assert_eq!(p(ApiVersion::V1_0).auth.auth_modes, &[0, 1]);
        assert!(p(ApiVersion::V1_1).auth.auth_mode_required);
        assert!(!p(ApiVersion::V1_2).auth.auth_mode_required);
        assert!(!p(ApiVersion::V1_1).functions_rules().fallback);
        assert!(p(ApiVersion::V1_2).functions_rules().fallback);
        assert!(
            p(ApiVersion::V1_3).auth.refused_auth_modes[0]
                .1
                .contains("reserved")
        );
        assert!(
            !p(ApiVersion::V1_1)
                .auth
                .callback_fields()
                .contains(&"recognizeScore")
        );
        assert!(
            p(ApiVersion::V1_2)
                .auth
                .callback_fields()
                .contains(&"recognizeScore")
        );
        assert!(
            p(ApiVersion::V1_3)
                .auth
                .callback_fields()
                .contains(&"qrcode_content")
        );
        assert!(
            !p(ApiVersion::V1_2)
                .auth
                .callback_user_fields()
                .contains(&"id_number")
        );
        assert!(
            p(ApiVersion::V1_2_1)
                .auth
                .callback_user_fields()
                .contains(&"id_number")
        );
        assert_eq!(
            p(ApiVersion::V1_2_1).functions_rules().modes_without_server,
            &[7, 8]
        );
        assert!(
            p(ApiVersion::V1_2)
                .functions_rules()
                .modes_without_server
                .is_empty()
        );
    }
}
