//! The JSON replies every facesim server writes: a body with a status, the device's error
//! envelope, and every warp rejection turned into that envelope.

use std::convert::Infallible;

use warp::reply::Response;

/// A JSON reply with the given HTTP status.
pub fn json_reply<T: serde::Serialize>(status: http::StatusCode, body: &T) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(bytes.into());
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// The device's error envelope: `{"code": <status>, "msg": .., "data": null}`, with the
/// HTTP status matching `code`, so clients that read either agree.
pub fn error_reply(status: http::StatusCode, msg: impl Into<String>) -> Response {
    let envelope = crate::wire::Envelope::<Option<crate::wire::Empty>> {
        code: i64::from(status.as_u16()),
        msg: msg.into(),
        data: None,
    };
    json_reply(status, &envelope)
}

/// Turns every warp rejection (unknown path, wrong method, oversized or missing body,
/// bad headers) into the JSON error envelope, so no request ever gets a bare text error.
pub async fn recover(rejection: warp::Rejection) -> Result<Response, Infallible> {
    use warp::reject;
    let (status, msg) = if let Some(e) = rejection.find::<super::read_body::BodyError>() {
        match e {
            super::read_body::BodyError::TooLarge => (
                http::StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large".to_string(),
            ),
            super::read_body::BodyError::Unreadable => (
                http::StatusCode::BAD_REQUEST,
                "request body ended before it was complete".to_string(),
            ),
        }
    } else if rejection.is_not_found() {
        (http::StatusCode::NOT_FOUND, "no such path".to_string())
    } else if rejection.find::<reject::PayloadTooLarge>().is_some() {
        (
            http::StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large".into(),
        )
    } else if rejection.find::<reject::LengthRequired>().is_some() {
        (
            http::StatusCode::LENGTH_REQUIRED,
            "request body needs a Content-Length".into(),
        )
    } else if rejection.find::<reject::MethodNotAllowed>().is_some() {
        (
            http::StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed on this path".into(),
        )
    } else if rejection.find::<reject::UnsupportedMediaType>().is_some() {
        (
            http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json".into(),
        )
    } else if let Some(e) = rejection.find::<reject::InvalidHeader>() {
        (http::StatusCode::BAD_REQUEST, e.to_string())
    } else if let Some(e) = rejection.find::<reject::MissingHeader>() {
        (http::StatusCode::BAD_REQUEST, e.to_string())
    } else {
        tracing::debug!(?rejection, "unhandled rejection");
        (http::StatusCode::BAD_REQUEST, "bad request".into())
    };
    Ok(error_reply(status, msg))
}
