//! The settings routes' field tables, one [`Layout`] per API version as the guide's
//! pages had them at that version (`/v1/device/recognize`, `/access`, `/system`, `/time`,
//! `/custom`, `/antiepidemic`): which fields exist, their types and ranges, which are
//! required and their factory values. The profile names the layout of its version; the
//! validator in `wire::settings` applies it.
//!
//! What changed, by the guide's history: 1.0 (2022-09) marks every recognition field
//! optional and lets `recognition_distance` reach 3 m; its access page requires
//! `gpio_b`, `gpio_c` and `wigan_input` but not `keep_door_open_duration`. 1.1 makes the
//! recognition thresholds and `keep_door_open_duration` required, frees the GPIO inputs
//! and adds `/v1/device/antiepidemic` (S8 only). 1.2 bounds the custom tips to 64 bytes.
//! 1.3 replaces `wigan_input` with `wiegand_settings`, narrows `open_door_type` to 0–2,
//! adds `resign_interval`, `rfid_settings` and the serial port, turns `show_custom_logo`
//! into an int and `custom_picture_for_idle` into `custom_screensavers`.

use super::settings::{Field, Kind, MAX_PICTURE_TEXT};

/// The settings routes of one API version.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layout {
    pub recognize: &'static [Field],
    pub access: &'static [Field],
    pub system: &'static [Field],
    pub time: &'static [Field],
    pub custom: &'static [Field],
    /// `None` where the version has no such route (before 1.1).
    pub antiepidemic: Option<&'static [Field]>,
}

const fn f(name: &'static str, kind: Kind, required: bool, default: &'static str) -> Field {
    Field {
        name,
        kind,
        required,
        default,
    }
}

/// The same field, required.
const fn req(field: Field) -> Field {
    Field {
        required: true,
        ..field
    }
}

const UNIT: Kind = Kind::Float {
    lo: 0.0,
    hi: 1.0,
    lo_inclusive: false,
    hi_inclusive: false,
};

/// `recognition_distance` in metres, `0.5 < x ≤ hi` (the factory value 2 sits on the
/// guide's open bound, so the bound is taken as inclusive).
const fn distance(hi: f64) -> Kind {
    Kind::Float {
        lo: 0.5,
        hi,
        lo_inclusive: false,
        hi_inclusive: true,
    }
}

/// `/v1/device/recognize`: every field optional, as the 1.0 page has it, with the
/// distance bound given.
const fn recognize(distance_max: f64) -> [Field; 12] {
    [
        f("use_mode", Kind::OneOf(&[3, 4]), false, "3"),
        f("multi_auth_mode", Kind::Bool, false, "false"),
        f("multi_auth_timeout", Kind::Int(1, 60), false, "3"),
        f("liveness", Kind::Bool, false, "true"),
        f("liveness_threshold", UNIT, false, "0.995"),
        f("verify_threshold", UNIT, false, "0.9"),
        f("certificate_threshold", UNIT, false, "0.6"),
        f("recognition_distance", distance(distance_max), false, "2"),
        f("open_interval", Kind::Int(0, 3600), false, "5"),
        f("mask_detect", Kind::Bool, false, "true"),
        f("no_access_without_mask", Kind::Bool, false, "false"),
        f("no_access_with_mask", Kind::Bool, false, "false"),
    ]
}

/// `/v1/device/recognize` under 1.0: all optional, distance up to 3 m.
const RECOGNIZE_1_0: &[Field] = &recognize(3.0);

/// `/v1/device/recognize` from 1.1: the mode, liveness, thresholds, distance, interval
/// and mask detection required; distance up to 2 m.
const RECOGNIZE_1_1: &[Field] = &{
    let mut fields = recognize(2.0);
    let mut i = 0;
    while i < fields.len() {
        // use_mode, liveness … mask_detect; the multi-factor and mask refusals stay optional.
        if !matches!(i, 1 | 2 | 10 | 11) {
            fields[i] = req(fields[i]);
        }
        i += 1;
    }
    fields
};

const GPIO_A: Kind = Kind::Int(1, 3);
const GPIO_IN: Kind = Kind::Int(1, 4);

/// `/v1/device/access` before 1.3 (1.0's requirements): `open_door_type` 0–6 with the
/// Wiegand formats, and `wigan_input` 1 none, 2 W26 8+16, 3 W26 24, 4 W32, 5 W34.
const ACCESS_1_0: &[Field] = &[
    f("open_door_type", Kind::Int(0, 6), true, "0"),
    f("keep_door_open_duration", Kind::Int(1, 30), false, "6"),
    f("gpio_a", GPIO_A, false, "1"),
    f("gpio_b", GPIO_IN, true, "1"),
    f("gpio_c", GPIO_IN, true, "1"),
    f("wigan_input", Kind::Int(1, 5), true, "1"),
    f("tamper", Kind::Bool, true, "false"),
    f("force_open", Kind::Bool, true, "false"),
    f("network_relay_address", Kind::Text(128), true, "\"\""),
    f("door_sensor_timeout", Kind::Int(0, 3600), true, "3"),
];

/// `/v1/device/access` from 1.1 to 1.2.1: `keep_door_open_duration` required, the GPIO
/// inputs optional.
const ACCESS_1_1: &[Field] = &[
    f("open_door_type", Kind::Int(0, 6), true, "0"),
    f("keep_door_open_duration", Kind::Int(1, 30), true, "6"),
    f("gpio_a", GPIO_A, false, "1"),
    f("gpio_b", GPIO_IN, false, "1"),
    f("gpio_c", GPIO_IN, false, "1"),
    f("wigan_input", Kind::Int(1, 5), true, "1"),
    f("tamper", Kind::Bool, true, "false"),
    f("force_open", Kind::Bool, true, "false"),
    f("network_relay_address", Kind::Text(128), true, "\"\""),
    f("door_sensor_timeout", Kind::Int(0, 3600), true, "3"),
];

const WIEGAND: &[Field] = &[
    f("mode", Kind::Int(0, 2), false, "0"),
    f("type", Kind::Int(0, 3), false, "0"),
    f("card_number", Kind::Text(128), false, "\"12345678\""),
    f("pulse_width", Kind::Int(50, 1000), false, "180"),
    f("pulse_cycle", Kind::Int(500, 10_000), false, "2000"),
    f("reverse_card_number", Kind::BoolOrBit, false, "false"),
];

const RFID: &[Field] = &[f("type", Kind::Int(0, 4), false, "0")];

/// `/v1/device/access` in 1.3: `open_door_type` 0 local relay, 1 network relay, 2 Wiegand
/// output; Wiegand, RFID and serial-port settings.
const ACCESS_1_3: &[Field] = &[
    f("open_door_type", Kind::Int(0, 2), true, "0"),
    f("keep_door_open_duration", Kind::Int(1, 30), true, "6"),
    f("gpio_a", GPIO_A, false, "1"),
    f("gpio_b", GPIO_IN, false, "1"),
    f("gpio_c", GPIO_IN, false, "1"),
    f("wiegand_settings", Kind::Object(WIEGAND), false, "{}"),
    f("tamper", Kind::Bool, true, "false"),
    f("force_open", Kind::Bool, true, "false"),
    f("network_relay_address", Kind::Text(128), true, "\"\""),
    f("door_sensor_timeout", Kind::Int(0, 3600), true, "3"),
    // "Required" in the guide, yet new in 1.3: older clients omit it (§7 #21).
    f("resign_interval", Kind::Int(0, 1800), false, "0"),
    f("rfid_settings", Kind::Object(RFID), false, "{}"),
    f("serial_port", Kind::Int(0, 3), false, "0"),
    f(
        "serial_port_baudrate",
        Kind::Int(1, 4_000_000),
        false,
        "115200",
    ),
];

/// `/v1/device/system`, the same in every version.
const SYSTEM: &[Field] = &[
    f("language_type", Kind::Int(1, 3), false, "1"),
    f("sound_volume", Kind::Int(0, 100), false, "80"),
    f("screen_brightness", Kind::Int(0, 100), false, "80"),
    f("auto_reboot", Kind::Bool, false, "true"),
    f("reboot_time", Kind::Clock, false, "\"02:00:00\""),
    f("standby_open", Kind::Bool, false, "true"),
    f("standby_touch_wakeup", Kind::Bool, false, "false"),
    f("wait_time", Kind::Int(1, 10), false, "1"),
    f("sleep_time", Kind::Int(3, 30), false, "3"),
    f("touch_recognition", Kind::Bool, false, "false"),
    f(
        "touch_recognition_return_time",
        Kind::Int(3, 30),
        false,
        "5",
    ),
    f("touch_recognition_timeout", Kind::Int(3, 30), false, "5"),
    f("short_exposure", Kind::OneOf(&[0, 50, 60]), false, "0"),
];

/// `/v1/device/time`, the same in every version. `local_time` is answered from the clock
/// unless manual.
const TIME: &[Field] = &[
    f(
        "local_time",
        Kind::LooseInt(0, 4_102_415_999_000),
        false,
        "0",
    ),
    f("manual_mode", Kind::Bool, false, "false"),
    f("time_zone", Kind::LooseInt(-11, 12), false, "8"),
    f(
        "server_address",
        Kind::Text(1024),
        false,
        "\"ntp.aliyun.com\"",
    ),
];

const PICTURE: Kind = Kind::Text(MAX_PICTURE_TEXT);

/// Longest custom tip before 1.2, whose pages give no bound (1.2 sets 64 bytes).
const MAX_TIP_BEFORE_1_2: usize = 1024;

/// `/v1/device/custom` before 1.3: `show_custom_logo` a bool, `custom_picture_for_idle`.
const fn custom_bool_logo(tip: usize) -> [Field; 8] {
    [
        f("welcome_tip", Kind::Text(tip), false, "\"\""),
        f("verify_success_tip", Kind::Text(tip), false, "\"\""),
        f("verify_fault_tip", Kind::Text(tip), false, "\"\""),
        f("unauthorized_user_tip", Kind::Text(tip), false, "\"\""),
        f("show_custom_logo", Kind::Bool, false, "false"),
        f("custom_picture_for_logo", PICTURE, false, "\"\""),
        f("custom_picture_for_idle", PICTURE, false, "\"\""),
        f("voice_broadcast", Kind::Bool, false, "true"),
    ]
}

const CUSTOM_1_0: &[Field] = &custom_bool_logo(MAX_TIP_BEFORE_1_2);
const CUSTOM_1_2: &[Field] = &custom_bool_logo(64);

const SCREENSAVER: &[Field] = &[
    f("picture_id", Kind::Int(1, 5), true, "1"),
    f("picture_data", PICTURE, false, "\"\""),
];

const SCREENSAVERS: &[Field] = &[
    f("interval", Kind::Int(1, 255), false, "10"),
    f("screensaver_list", Kind::List(5, SCREENSAVER), false, "[]"),
];

/// `/v1/device/custom` in 1.3: `show_custom_logo` 0 default logo, 1 custom, 2 none;
/// screensavers instead of one idle picture.
const CUSTOM_1_3: &[Field] = &[
    f("welcome_tip", Kind::Text(64), false, "\"\""),
    f("verify_success_tip", Kind::Text(64), false, "\"\""),
    f("verify_fault_tip", Kind::Text(64), false, "\"\""),
    f("unauthorized_user_tip", Kind::Text(64), false, "\"\""),
    f("show_custom_logo", Kind::Int(0, 2), false, "2"),
    f("custom_picture_for_logo", PICTURE, false, "\"\""),
    f(
        "custom_screensavers",
        Kind::Object(SCREENSAVERS),
        false,
        "{}",
    ),
    f("voice_broadcast", Kind::Bool, false, "true"),
];

/// `/v1/device/antiepidemic` (from 1.1, S8 only): temperature and health-code checks.
const ANTIEPIDEMIC: &[Field] = &[
    f("temperature_detect", Kind::Bool, true, "false"),
    f(
        "fever_temperature",
        Kind::Float {
            lo: 36.0,
            hi: 40.0,
            lo_inclusive: true,
            hi_inclusive: true,
        },
        true,
        "37.3",
    ),
    f("fast_measurement", Kind::Bool, false, "false"),
    f("measurement_range", Kind::Int(0, 1), false, "0"),
    f("health_code_mode", Kind::Bool, true, "false"),
    f("health_code_fast_check", Kind::Bool, false, "false"),
    f("health_code_server_url", Kind::Text(1024), true, "\"\""),
    f("health_code_timeout", Kind::Int(2, 30), true, "15"),
    f("show_nuclein", Kind::Bool, false, "true"),
    f("show_id_number", Kind::Bool, false, "true"),
    f("show_vaccine", Kind::Bool, false, "true"),
    f("show_antigen", Kind::Bool, false, "true"),
    f("identify_popup_timeout", Kind::Int(2, 15), false, "2"),
    f("show_mode_button", Kind::Bool, false, "false"),
    f("nuclein_strategy", Kind::Int(0, 3), false, "0"),
];

/// API 1.0.
pub const LAYOUT_1_0: Layout = Layout {
    recognize: RECOGNIZE_1_0,
    access: ACCESS_1_0,
    system: SYSTEM,
    time: TIME,
    custom: CUSTOM_1_0,
    antiepidemic: None,
};

/// API 1.1.
pub const LAYOUT_1_1: Layout = Layout {
    recognize: RECOGNIZE_1_1,
    access: ACCESS_1_1,
    antiepidemic: Some(ANTIEPIDEMIC),
    ..LAYOUT_1_0
};

/// API 1.2 and 1.2.1.
pub const LAYOUT_1_2: Layout = Layout {
    custom: CUSTOM_1_2,
    ..LAYOUT_1_1
};

/// API 1.3.
pub const LAYOUT_1_3: Layout = Layout {
    access: ACCESS_1_3,
    custom: CUSTOM_1_3,
    ..LAYOUT_1_2
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::settings::defaults;

    #[test]
    fn every_factory_value_is_valid_under_its_own_table() {
        for layout in [LAYOUT_1_0, LAYOUT_1_1, LAYOUT_1_2, LAYOUT_1_3] {
            let sections = [
                Some(layout.recognize),
                Some(layout.access),
                Some(layout.system),
                Some(layout.time),
                Some(layout.custom),
                layout.antiepidemic,
            ];
            for fields in sections.into_iter().flatten() {
                let factory = defaults(fields);
                let body = serde_json::to_vec(&factory).unwrap();
                let merged = crate::wire::settings::merge(fields, &factory, &body).unwrap();
                assert_eq!(merged, factory);
                assert_eq!(factory.len(), fields.len());
            }
        }
    }

    #[test]
    fn the_tables_differ_where_the_guide_changed() {
        let names = |fields: &[Field]| fields.iter().map(|f| f.name).collect::<Vec<_>>();
        assert!(names(LAYOUT_1_2.access).contains(&"wigan_input"));
        assert!(!names(LAYOUT_1_2.access).contains(&"resign_interval"));
        assert!(!names(LAYOUT_1_3.access).contains(&"wigan_input"));
        assert!(names(LAYOUT_1_2.custom).contains(&"custom_picture_for_idle"));
        assert!(!names(LAYOUT_1_2.custom).contains(&"custom_screensavers"));
        assert!(names(LAYOUT_1_3.custom).contains(&"custom_screensavers"));
        assert!(LAYOUT_1_0.antiepidemic.is_none() && LAYOUT_1_1.antiepidemic.is_some());
        assert!(LAYOUT_1_0.recognize.iter().all(|f| !f.required));
        assert_eq!(
            RECOGNIZE_1_1
                .iter()
                .filter(|f| f.required)
                .map(|f| f.name)
                .collect::<Vec<_>>(),
            [
                "use_mode",
                "liveness",
                "liveness_threshold",
                "verify_threshold",
                "certificate_threshold",
                "recognition_distance",
                "open_interval",
                "mask_detect"
            ]
        );
    }
}
