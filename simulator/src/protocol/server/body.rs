//! The bodies between hyper and a server's routes: the request body, which keeps reading
//! (and discarding) what a client still sends after the routes have answered without
//! reading it, and the answer body, which tells the connection's idle clock when the answer
//! has been wholly written.
//!
//! Without the first, an early answer (401 before the credentials, 413 on the length
//! alone) is lost: over HTTP/2 the dropped body resets the stream while the answer is still
//! queued, and over HTTP/1.1 hyper closes the connection with unread bytes in it, which
//! makes the kernel answer with a reset that can overtake the answer.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};

use super::limits::Slot;

/// How much of a body nobody reads is drained before the stream is reset (or, over
/// HTTP/1.1, the connection closed). Above every body a route accepts in one piece, so
/// that an oversized upload still gets its 413 whole.
pub(super) const DRAIN_MAX_BYTES: u64 = 80 * 1024 * 1024;
/// How long a body nobody reads is drained before the stream is reset: a client that
/// trickles what it still has to send does not hold the connection for longer.
pub(super) const DRAIN_MAX_TIME: Duration = Duration::from_secs(10);

/// A request body as the routes see it.
#[derive(Debug)]
pub struct RequestBody {
    inner: Option<Incoming>,
}

impl RequestBody {
    pub(super) fn new(inner: Incoming) -> Self {
        Self { inner: Some(inner) }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.inner.as_mut() {
            Some(inner) => Pin::new(inner).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Body::size_hint)
    }
}

impl Drop for RequestBody {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        if inner.is_end_stream() {
            return;
        }
        // Dropping `inner` now would reset the stream (HTTP/2) or close the connection
        // (HTTP/1.1) under an answer not yet sent. Holding it in a task that reads it to
        // its end lets the answer go first and the exchange end cleanly.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(drain(inner));
        }
    }
}

/// Reads and discards the rest of a body, up to [`DRAIN_MAX_BYTES`] and
/// [`DRAIN_MAX_TIME`].
async fn drain(mut body: Incoming) {
    let read_all = async {
        let mut read: u64 = 0;
        loop {
            let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
            match frame {
                Some(Ok(frame)) => {
                    let len = frame.data_ref().map_or(0, Bytes::len);
                    read = read.saturating_add(u64::try_from(len).unwrap_or(u64::MAX));
                    if read > DRAIN_MAX_BYTES {
                        tracing::debug!(read, "unread request body too long to drain");
                        return;
                    }
                }
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "unread request body ended badly");
                    return;
                }
                None => return,
            }
        }
    };
    if tokio::time::timeout(DRAIN_MAX_TIME, read_all)
        .await
        .is_err()
    {
        tracing::debug!("unread request body still arriving after {DRAIN_MAX_TIME:?}");
    }
}

/// An answer body that counts its request as in progress on its connection until it has
/// been wholly written (or dropped).
#[derive(Debug)]
pub(super) struct AnswerBody<B> {
    inner: B,
    _busy: Busy,
}

impl<B> AnswerBody<B> {
    pub(super) fn new(inner: B, busy: Busy) -> Self {
        Self { inner, _busy: busy }
    }
}

impl<B: Body + Unpin> Body for AnswerBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A request counted as in progress on its connection while this lives.
#[derive(Debug)]
pub(super) struct Busy(Arc<Slot>);

impl Busy {
    pub(super) fn begin(slot: Arc<Slot>) -> Self {
        slot.begin();
        Self(slot)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.end();
    }
}
