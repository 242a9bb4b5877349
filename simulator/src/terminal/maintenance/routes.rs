//! The maintenance routes: `/v1/auth/certificate` (GET, POST, DELETE; from API 1.2),
//! `GET /v1/device/reboot`, `GET /v1/device/restore`, `POST /v1/device/upgrade` and
//! `GET /v2/device/logs` (API 1.3). Each validates, keeps what must survive the restart,
//! answers `data: null`, and asks the host for the restart; a refused request changes
//! nothing.

use bytes::Buf;
use futures_util::StreamExt;
use http::StatusCode;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::multipart::FormData;

use super::Restart;
use super::firmware::{self, Firmware};
use crate::device::Device;
use crate::server::{Response, error_reply, json_reply};
use crate::wire::{self, CertificateAnswer, Empty, Envelope};

/// Largest certificate upload (both parts and their multipart framing).
pub const MAX_CERTIFICATE_BODY: u64 = 256 * 1024;
/// What the multipart framing around a package may add to it.
const FRAMING: u64 = 64 * 1024;

/// One part of a multipart upload: its name and file name, its first bytes, its length.
struct Upload {
    name: String,
    filename: Option<String>,
    head: Vec<u8>,
    len: u64,
}

/// Why an upload was not read.
enum ReadError {
    /// A part is longer than allowed (413).
    TooLarge(String),
    /// The body is not a well-formed multipart form (400).
    Malformed(String),
}

/// Reads every part, keeping the first `keep` bytes of each and refusing a part longer
/// than `max` as soon as it is.
async fn read_parts(mut form: FormData, keep: usize, max: u64) -> Result<Vec<Upload>, ReadError> {
    let mut parts = Vec::new();
    while let Some(part) = form.next().await {
        let part = part.map_err(|e| ReadError::Malformed(format!("not a multipart form: {e}")))?;
        let mut upload = Upload {
            name: part.name().to_string(),
            filename: part.filename().map(str::to_string),
            head: Vec::new(),
            len: 0,
        };
        let mut stream = Box::pin(part.stream());
        while let Some(chunk) = stream.next().await {
            let mut chunk =
                chunk.map_err(|e| ReadError::Malformed(format!("not a multipart form: {e}")))?;
            while chunk.has_remaining() {
                let bytes = chunk.chunk();
                let n = bytes.len();
                upload.len += n as u64;
                if upload.len > max {
                    return Err(ReadError::TooLarge(format!(
                        "{} is larger than {max} bytes",
                        upload.name
                    )));
                }
                let room = keep.saturating_sub(upload.head.len());
                upload.head.extend_from_slice(&bytes[..n.min(room)]);
                chunk.advance(n);
            }
        }
        parts.push(upload);
    }
    Ok(parts)
}

fn read_error(e: ReadError) -> Response {
    match e {
        ReadError::TooLarge(msg) => error_reply(StatusCode::PAYLOAD_TOO_LARGE, msg),
        ReadError::Malformed(msg) => error_reply(StatusCode::BAD_REQUEST, msg),
    }
}

fn ok() -> Response {
    json_reply(StatusCode::OK, &Envelope::ok(None::<Empty>))
}

/// Every maintenance route.
pub fn routes(device: Device) -> BoxedFilter<(Response,)> {
    let cert_path = warp::path!("v1" / "auth" / "certificate");
    // Versions without these routes never reach them: the route table's gate answers 404.
    let with_cert = {
        let device = device.clone();
        warp::any().map(move || device.clone())
    };
    let get_cert = cert_path
        .and(warp::get())
        .and(with_cert.clone())
        .map(|d: Device| match d.maintenance().in_force() {
            Some(crt) => json_reply(StatusCode::OK, &Envelope::ok(CertificateAnswer { crt })),
            None => error_reply(
                StatusCode::NOT_FOUND,
                "the API is served over plain HTTP: there is no certificate",
            ),
        });
    let post_cert = cert_path
        .and(warp::post())
        .and(with_cert.clone())
        .and(warp::multipart::form().max_length(MAX_CERTIFICATE_BODY))
        .then(|d: Device, form: FormData| async move { post_certificate(&d, form).await });
    let delete_cert = cert_path
        .and(warp::delete())
        .and(with_cert)
        .map(|d: Device| delete_certificate(&d));
    let with_device = {
        let device = device.clone();
        warp::any().map(move || device.clone())
    };
    let reboot = warp::path!("v1" / "device" / "reboot")
        .and(warp::get())
        .and(with_device.clone())
        .map(|d: Device| restart(&d, Restart::Reboot));
    let restore = warp::path!("v1" / "device" / "restore")
        .and(warp::get())
        .and(with_device.clone())
        .map(|d: Device| restart(&d, Restart::Restore));
    let upgrade = warp::path!("v1" / "device" / "upgrade")
        .and(warp::post())
        .and(with_device)
        .and(warp::multipart::form().max_length(firmware::MAX_PACKAGE_BYTES + FRAMING))
        .then(|d: Device, form: FormData| async move { upgrade(&d, form).await });
    let logs = warp::path!("v2" / "device" / "logs")
        .and(warp::get())
        .and(warp::any().map(move || device.clone()))
        .map(|d: Device| {
            json_reply(
                StatusCode::OK,
                &Envelope::ok(d.maintenance().log().entries()),
            )
        });
    get_cert
        .or(post_cert)
        .unify()
        .or(delete_cert)
        .unify()
        .or(reboot)
        .unify()
        .or(restore)
        .unify()
        .or(upgrade)
        .unify()
        .or(logs)
        .unify()
        .boxed()
}

fn restart(device: &Device, restart: Restart) -> Response {
    let what = restart.describe();
    if device.maintenance().request(restart) {
        device
            .maintenance()
            .log()
            .info("system", format!("{what} requested through the API"));
        ok()
    } else {
        error_reply(StatusCode::CONFLICT, "a restart is already under way")
    }
}

async fn post_certificate(device: &Device, form: FormData) -> Response {
    let keep = MAX_CERTIFICATE_BODY as usize;
    let parts = match read_parts(form, keep, MAX_CERTIFICATE_BODY).await {
        Ok(parts) => parts,
        Err(e) => return read_error(e),
    };
    let part = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.head.as_slice())
    };
    let (Some(crt), Some(key)) = (part(wire::PART_CRT), part(wire::PART_KEY)) else {
        return error_reply(StatusCode::BAD_REQUEST, "crt and key are both required");
    };
    let pair = match super::certificate::validate(crt, key) {
        Ok(pair) => pair,
        Err(msg) => return error_reply(StatusCode::BAD_REQUEST, msg),
    };
    let dir = device.state_dir();
    match super::certificate::save_uploaded(dir, &pair) {
        Ok(()) => {
            device.maintenance().log().info(
                "web",
                "certificate uploaded; in force after the next reboot",
            );
            ok()
        }
        Err(e) => error_reply(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn delete_certificate(device: &Device) -> Response {
    match super::certificate::remove_uploaded(device.state_dir()) {
        Ok(()) => {
            device.maintenance().log().info(
                "web",
                "certificate reset; the factory one is in force after the next reboot",
            );
            ok()
        }
        Err(e) => error_reply(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn upgrade(device: &Device, form: FormData) -> Response {
    let parts = match read_parts(form, firmware::HEAD_BYTES, firmware::MAX_PACKAGE_BYTES).await {
        Ok(parts) => parts,
        Err(e) => return read_error(e),
    };
    let bad = |msg: String| error_reply(StatusCode::BAD_REQUEST, msg);
    let Some(package) = parts
        .iter()
        .find(|p| p.name == wire::PART_FIRMWARE && p.len > 0)
    else {
        return bad("firmware is required".into());
    };
    let complete = package.len == package.head.len() as u64;
    if let Err(msg) = firmware::check_package(&package.head, complete) {
        return bad(msg);
    }
    let name = package.filename.as_deref().unwrap_or_default();
    let Some(version) = Firmware::in_file_name(name) else {
        return bad(format!(
            "the package name {name:?} carries no firmware version (expected e.g. SensePassS7_V1.3.0_20230601_update.tgz)"
        ));
    };
    let current = device.api();
    let Some(api) = version.api().filter(|api| *api >= current) else {
        return bad(format!(
            "firmware {version} is older than the {} in force (API {current}); there is no downgrade",
            Firmware::of(current)
        ));
    };
    restart(
        device,
        Restart::Upgrade {
            firmware: version,
            api,
        },
    )
}
