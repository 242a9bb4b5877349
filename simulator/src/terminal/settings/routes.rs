//! The settings routes (`GET`/`POST
//! /v1/device/{recognize,access,system,time,custom,antiepidemic}`), `POST
//! /v1/device/door` and `GET /v1/device/info`. A route the version lacks, and
//! `/antiepidemic` on a model other than the S8, answer the 404 envelope.
//!
//! A remote opening is acted on like a `pass`: `open_mode` 0 opens the door (for
//! `keep_door_open_duration`), 1 holds it open and 2 holds it shut until the next call;
//! each call is counted in `/sim/stats` (`door.remote`, and `opened`/`kept_shut`). It
//! makes no record: `entry_mode` has no value for a remote opening.

use bytes::Bytes;
use http::StatusCode;
use serde_json::{Map, Value};
use warp::Filter;
use warp::filters::BoxedFilter;

use super::{Section, SettingsError};
use crate::device::Device;
use crate::profile::Profile;
use crate::server::{Response, error_reply, json_reply};
use crate::wire::{self, DeviceInfo, DoorRequest, Empty, Envelope, Identity};

/// Largest settings body: `/custom` may carry a logo and five screensavers of 4 MB each.
pub const MAX_SETTINGS_BODY: u64 = 32 * 1024 * 1024;

fn section_routes(device: Device, section: Section) -> BoxedFilter<(Response,)> {
    let name = section.name();
    let with_device = warp::any().map(move || device.clone());
    let path = warp::path("v1")
        .and(warp::path("device"))
        .and(warp::path(name))
        .and(warp::path::end());
    let get = path
        .and(warp::get())
        .and(with_device.clone())
        .map(move |d: Device| {
            match present(&d, section).and_then(|()| d.settings().get(section, d.now())) {
                Ok(data) => json_reply(StatusCode::OK, &Envelope::ok(data)),
                Err(e) => refusal(&e),
            }
        });
    let post = path
        .and(warp::post())
        .and(warp::body::content_length_limit(MAX_SETTINGS_BODY))
        .and(warp::body::bytes())
        .and(with_device)
        .map(move |body: Bytes, d: Device| {
            match present(&d, section).and_then(|()| d.settings().set(section, &body)) {
                Ok(()) => json_reply(StatusCode::OK, &Envelope::ok(None::<Empty>)),
                Err(e) => refusal(&e),
            }
        });
    get.or(post).unify().boxed()
}

/// Whether the device has `section` at all: `/antiepidemic` is the S8's alone (the
/// version's layout decides the rest).
fn present(device: &Device, section: Section) -> Result<(), SettingsError> {
    if section == Section::Antiepidemic && !wire::is_s8(device.sn()) {
        return Err(SettingsError::NotOnModel {
            section: section.name(),
        });
    }
    Ok(())
}

fn refusal(e: &SettingsError) -> Response {
    let status = match e {
        SettingsError::Invalid(_) => StatusCode::BAD_REQUEST,
        SettingsError::Absent { .. } | SettingsError::NotOnModel { .. } => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error_reply(status, e.to_string())
}

/// The settings, door and information routes.
pub fn routes(device: Device) -> BoxedFilter<(Response,)> {
    let mut all = section_routes(device.clone(), Section::Recognize);
    for section in &Section::ALL[1..] {
        all = all
            .or(section_routes(device.clone(), *section))
            .unify()
            .boxed();
    }
    let with_device = warp::any().map(move || device.clone());
    let door = warp::path!("v1" / "device" / "door")
        .and(warp::post())
        .and(warp::body::content_length_limit(64 * 1024))
        .and(warp::body::bytes())
        .and(with_device.clone())
        .map(|body: Bytes, d: Device| door(&d, &body));
    let info = warp::path!("v1" / "device" / "info")
        .and(warp::get())
        .and(with_device)
        .map(|d: Device| json_reply(StatusCode::OK, &Envelope::ok(info(&d))));
    all.or(door).unify().or(info).unify().boxed()
}

fn door(device: &Device, body: &[u8]) -> Response {
    let bad = |msg: String| error_reply(StatusCode::BAD_REQUEST, msg);
    let req: DoorRequest = match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => match serde_json::from_value(v) {
            Ok(req) => req,
            Err(e) => return bad(format!("body: {e}")),
        },
        Ok(other) => {
            return bad(format!(
                "body must be a JSON object, got {}",
                wire::json_type(&other)
            ));
        }
        Err(e) => return bad(format!("body is not valid JSON: {e}")),
    };
    match req.open_mode {
        Some(mode @ 0..=2) => {
            device.remote_door(mode);
            json_reply(StatusCode::OK, &Envelope::ok(None::<Empty>))
        }
        Some(other) => bad(format!(
            "open_mode must be 0 (open), 1 (stay open) or 2 (stay closed), got {other}"
        )),
        None => bad("open_mode is required".into()),
    }
}

/// `GET /v1/device/info` for the device's SN and API version.
pub fn info(device: &Device) -> DeviceInfo {
    device_info(
        device.api().profile(),
        device.sn(),
        device.access().username(),
    )
}

/// `GET /v1/device/info` of a device with serial number `sn` and web account `account`
/// under `profile`.
pub fn device_info(profile: &Profile, sn: &str, account: &str) -> DeviceInfo {
    let h = crate::seed::fnv1a(sn.as_bytes());
    let mac = format!(
        "AC:1D:DF:{:02X}:{:02X}:{:02X}",
        h >> 16 & 0xff,
        h >> 8 & 0xff,
        h & 0xff
    );
    // "1.2.0" and "1.3.0", as the device spells them; "1.2.1" stays.
    let api_ver = if profile.name.matches('.').count() == 1 {
        format!("{}.0", profile.name)
    } else {
        profile.name.to_string()
    };
    DeviceInfo {
        model: Identity::of(sn, account).model,
        device_sn: sn.to_string(),
        mac_wired: mac,
        mac_wlan: String::new(),
        sw_ver: profile.firmware.to_string(),
        hw_ver: "V1".into(),
        app_ver: format!("V3.{}.0(3)", profile.version as u8 + 1),
        api_ver: profile.model_versions.then_some(api_ver),
        model_ver: profile.model_versions.then(|| {
            wire::MODEL_VERSIONS
                .iter()
                .map(|(k, v)| ((*k).to_string(), Value::String((*v).into())))
                .collect::<Map<String, Value>>()
        }),
    }
}
