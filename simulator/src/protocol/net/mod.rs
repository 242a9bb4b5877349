//! The one HTTP/1.1 client layer of the workspace: a sans-IO framer ([`http1`]), one
//! stream type over TCP or rustls with the URL taken apart once ([`Origin`], [`Stream`]),
//! and the keep-alive [`Connection`] that the device's pusher, `facesim push`, `facesim
//! load` and the demo send through. facecert's exact-bytes client is a thin driver of its
//! own on the same framer, origin and stream, because it must write a request while it
//! reads the answer and name every way an answer breaks.
//!
//! Nothing here judges an answer: that is `wire::judge_answer`, the one classifier.

mod conn;
mod read;
pub(crate) use facesim_proto::http1;
mod stream;

pub use conn::{
    Connection, Endpoint, EndpointError, Failure, JSON_CONTENT_TYPE, MAX_ANSWER_BYTES, Request,
};
pub use read::{RawRequest, ReadError, RequestReader};
pub use stream::{Origin, OriginError, Stream, Tls};

/// Joins an error and its sources into one line, since the top-level message of a TLS or
/// I/O error alone ("error sending request") rarely says what went wrong.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}
