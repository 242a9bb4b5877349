//! The one request-body filter of the device's routes: a body of at most `limit` bytes,
//! with or without a `Content-Length`. A body without one (a bodiless `POST` as
//! `curl -X POST` sends it, a chunked upload, an HTTP/2 stream) is read up to the limit;
//! a declared length over the limit is refused before a byte of the body is read.

use bytes::{Buf, Bytes, BytesMut};
use futures_util::StreamExt;
use warp::Filter;

/// Why a body without a declared length was refused (a declared length over the limit is
/// warp's own `PayloadTooLarge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// It grew past the limit while it was read: answered 413, like a declared one.
    TooLarge,
    /// The connection broke before it ended: answered 400, if the client still listens.
    Unreadable,
}

impl warp::reject::Reject for BodyError {}

/// The request's body, at most `limit` bytes.
pub fn limited(limit: u64) -> impl Filter<Extract = (Bytes,), Error = warp::Rejection> + Clone {
    let declared = warp::body::content_length_limit(limit).and(warp::body::bytes());
    let undeclared = warp::header::optional::<String>("content-length")
        .and_then(|length: Option<String>| async move {
            match length {
                None => Ok(()),
                // A declared length is the other branch's to judge.
                Some(_) => Err(warp::reject::not_found()),
            }
        })
        .untuple_one()
        .and(warp::body::stream())
        .and_then(move |stream| read_at_most(stream, limit));
    declared.or(undeclared).unify()
}

async fn read_at_most<S, B>(stream: S, limit: u64) -> Result<Bytes, warp::Rejection>
where
    S: futures_util::Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut body = BytesMut::new();
    let mut stream = std::pin::pin!(stream);
    while let Some(chunk) = stream.next().await {
        let mut chunk = chunk.map_err(|_| warp::reject::custom(BodyError::Unreadable))?;
        if body.len() + chunk.remaining() > limit {
            return Err(warp::reject::custom(BodyError::TooLarge));
        }
        while chunk.has_remaining() {
            let piece = chunk.chunk();
            body.extend_from_slice(piece);
            let n = piece.len();
            chunk.advance(n);
        }
    }
    Ok(body.freeze())
}
