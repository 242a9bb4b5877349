//! The AI helper routes (from API 1.1): `POST /v1/ai/recognitionquality` (where the face
//! is, its pose and its quality code) and `POST /v1/ai/feature` (the face's feature
//! blob, exactly what enrolment stores for the same photo). Both take one JPEG of at most
//! 4 MB in the multipart field `image` and run the simulator's one face analysis
//! (`synth::face_find`) on the blocking pool.

use bytes::Bytes;
use http::StatusCode;
use warp::Filter;

use crate::server::{Response, error_reply, json_reply};
use crate::synth::face_find;
use crate::synth::quality::FaceError;
use crate::wire::{AI_IMAGE_PART, Envelope, QualityEntry, QualityRect, QualityResult};

/// Largest JPEG the routes take.
pub const MAX_IMAGE_BYTES: usize = 4 * 1024 * 1024;
/// Largest request body: the JPEG and the multipart framing around it.
const MAX_BODY_BYTES: u64 = MAX_IMAGE_BYTES as u64 + 64 * 1024;

/// Which of the two routes.
#[derive(Debug, Clone, Copy)]
enum Helper {
    Quality,
    Feature,
}

/// Both routes, to be joined to the web API's tree.
pub fn routes()
-> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone + Send + Sync + 'static {
    let helper = warp::path("recognitionquality")
        .map(|| Helper::Quality)
        .or(warp::path("feature").map(|| Helper::Feature))
        .unify();
    warp::path("v1")
        .and(warp::path("ai"))
        .and(helper)
        .and(warp::path::end())
        .and(warp::post())
        .and(warp::header::optional::<String>("content-type"))
        .and(crate::server::read_body::limited(MAX_BODY_BYTES))
        .then(
            |helper: Helper, content_type: Option<String>, body: Bytes| async move {
                answer(helper, content_type, body).await
            },
        )
}

/// Checks the body, then analyses the picture on the blocking pool. Versions without the
/// helpers never get here: the route table's gate answers 404.
async fn answer(helper: Helper, content_type: Option<String>, body: Bytes) -> Response {
    let image = match image_part(content_type.as_deref(), body).await {
        Ok(image) => image,
        Err((status, msg)) => return error_reply(status, msg),
    };
    let work = move || match helper {
        Helper::Quality => quality(&image),
        Helper::Feature => feature(&image),
    };
    match tokio::task::spawn_blocking(work).await {
        Ok(response) => response,
        Err(e) => error_reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("face analysis failed: {e}"),
        ),
    }
}

/// The JPEG in the `image` part of a `multipart/form-data` body, or the refusal.
async fn image_part(
    content_type: Option<&str>,
    body: Bytes,
) -> Result<Vec<u8>, (StatusCode, String)> {
    let bad = |msg: String| (StatusCode::BAD_REQUEST, msg);
    let content_type = content_type
        .ok_or_else(|| bad("the body must be multipart/form-data with an image part".into()))?;
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        bad(format!(
            "the body must be multipart/form-data with a boundary, not {content_type:?}"
        ))
    })?;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    loop {
        let field = form
            .next_field()
            .await
            .map_err(|e| bad(format!("the multipart body does not parse: {e}")))?
            .ok_or_else(|| bad(format!("the multipart body has no {AI_IMAGE_PART:?} part")))?;
        // The part's own Content-Type is not checked: the vendor's client labels the
        // picture multipart/form-data.
        if field.name() != Some(AI_IMAGE_PART) {
            continue;
        }
        let bytes = field
            .bytes()
            .await
            .map_err(|e| bad(format!("the {AI_IMAGE_PART:?} part does not parse: {e}")))?;
        if bytes.len() > MAX_IMAGE_BYTES {
            return Err((
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the image is {} bytes; at most {MAX_IMAGE_BYTES} (4 MB) are accepted",
                    bytes.len()
                ),
            ));
        }
        if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Err(bad(format!("the {AI_IMAGE_PART:?} part is not a JPEG")));
        }
        return Ok(bytes.to_vec());
    }
}

/// The 400 answer to a picture that yields no face.
fn refused(e: &FaceError) -> Response {
    error_reply(StatusCode::BAD_REQUEST, e.to_string())
}

/// `/v1/ai/recognitionquality`: one entry per face found (none: an empty array).
fn quality(image: &[u8]) -> Response {
    let faces = match face_find::faces(image) {
        Ok(faces) => faces,
        Err(e) => return refused(&e),
    };
    let entries: Vec<QualityEntry> = faces
        .iter()
        .map(|face| {
            let q = face.quality();
            QualityEntry {
                rect: QualityRect {
                    left: face.rect.left.round() as i64,
                    top: face.rect.top.round() as i64,
                    right: face.rect.right.round() as i64,
                    bottom: face.rect.bottom.round() as i64,
                },
                yaw: round(face.yaw),
                pitch: round(face.pitch),
                roll: round(face.roll),
                result: QualityResult {
                    code: q.code(),
                    info: q.info().to_string(),
                },
            }
        })
        .collect();
    json_reply(StatusCode::OK, &Envelope::ok(entries))
}

/// An angle to one decimal, as a device would report it.
fn round(degrees: f32) -> f64 {
    (f64::from(degrees) * 10.0).round() / 10.0
}

/// `/v1/ai/feature`: the base64 feature blob enrolment would store for this photo.
fn feature(image: &[u8]) -> Response {
    match crate::library::derive_feature(image) {
        Ok(blob) => json_reply(StatusCode::OK, &Envelope::ok(blob)),
        Err(e) => refused(&e),
    }
}
