//! Faults in how correct answers reach the socket: a listen backlog too small for
//! terminals that connect together (`small-backlog`, served by the HTTP-level zoo on a
//! shrunken listener), answers written in two pieces with Nagle's algorithm on
//! (`nagle-delay`, served here over raw TCP, since an HTTP server library writes its
//! answers in one piece), and the same answers held back while a crowd of requests is in
//! flight (`slow-when-concurrent`, a threaded server whose slow handler slows down further
//! under contention).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::net::{ReadError, RequestReader, http1};
use crate::receiver::{self, ReceiverConfig};

/// The backlog of `small-backlog`: room for a few connections not yet accepted, as a
/// default `listen(5)` gives, but fewer than a door's worth of terminals. (A backlog of 0
/// would also shrink the SYN queue to nothing and turn every connect into a SYN-cookie
/// exchange, which breaks connections instead of delaying them.)
const BACKLOG: i32 = 2;

/// Sets `listener`'s backlog to [`BACKLOG`]: the kernel then holds that many connections
/// (plus one) that are not yet accepted and drops the SYNs of any more. Calling `listen`
/// again on a listening socket only changes its backlog.
pub(super) fn shrink_backlog(listener: &TcpListener) {
    if let Err(e) = socket2::SockRef::from(listener).listen(BACKLOG) {
        tracing::warn!(error = %e, "cannot shrink the listen backlog");
    }
}

/// How long `slow-when-concurrent` works on each request before it answers: long enough
/// for requests sent at the same instant to be in flight together, short enough that
/// terminals pushing each at its own pace, their answers spaced by Nagle's ~40 ms step,
/// seldom have three requests in it at once (which is how the real one escapes a load
/// test without bursts).
const CROWD_WORK: Duration = Duration::from_millis(2);
/// More requests in flight than this, and `slow-when-concurrent` holds its answers.
const CROWD_LIMIT: usize = 2;

/// The requests `slow-when-concurrent` is working on, over all its connections, and how
/// long it holds an answer while they are more than [`CROWD_LIMIT`].
#[derive(Debug)]
pub(super) struct Crowd {
    in_flight: AtomicUsize,
    hold: Duration,
}

/// One request counted in the [`Crowd`] for as long as it lives.
struct InCrowd<'c>(&'c Crowd);

impl Drop for InCrowd<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Crowd {
    pub(super) fn new(hold: Duration) -> Self {
        Self {
            in_flight: AtomicUsize::new(0),
            hold,
        }
    }

    /// Counts a request in; it stays counted until the guard is dropped.
    fn enter(&self) -> InCrowd<'_> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InCrowd(self)
    }

    /// The handler's work on one request: a few milliseconds alone, and the hold on top
    /// when, the work done, more than [`CROWD_LIMIT`] requests are in flight (this one
    /// included).
    async fn work(&self) {
        tokio::time::sleep(CROWD_WORK).await;
        if self.in_flight.load(Ordering::SeqCst) > CROWD_LIMIT {
            tokio::time::sleep(self.hold).await;
        }
    }
}

/// Serves the reference receiver's answers on one kept-alive connection, writing each
/// answer's head and body with two writes. Nagle's algorithm is on (the accept loop never
/// sets TCP_NODELAY), so the body waits until the client ACKs the head, which a client in
/// delayed-ACK mode does only after ~40 ms. With a `crowd`, each request is counted in it
/// from the moment it has been read until its answer is written, and worked on (and held)
/// as [`Crowd::work`] says.
pub(super) async fn answer_in_two_writes<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    crowd: Option<&Crowd>,
) {
    let config = ReceiverConfig::default();
    let mut reader = RequestReader::new();
    loop {
        let (content_type, body, close) = match reader.next(&mut stream, config.max_body).await {
            Ok(Some(request)) => (
                request.header("content-type"),
                Some(request.body().to_vec()),
                request.wants_close(),
            ),
            // Too large to read: answered, and the connection closed, as hyper does.
            Err(ReadError::BodyTooLarge { .. }) => (None, None, true),
            Ok(None) | Err(_) => return,
        };
        let _counted = crowd.map(Crowd::enter);
        if let Some(crowd) = crowd {
            crowd.work().await;
        }
        let (status, answer) = match body {
            Some(body) => receiver::answer(&config, content_type.as_deref(), &body),
            None => receiver::too_large(),
        };
        let reason = http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let connection = if close { "close" } else { "keep-alive" };
        let mut head = Vec::new();
        http1::write_response_head(
            &mut head,
            status,
            reason,
            &[
                ("Content-Type", "application/json"),
                ("Connection", connection),
            ],
            answer.len(),
        );
        if stream.write_all(&head).await.is_err()
            || stream.flush().await.is_err()
            || stream.write_all(&answer).await.is_err()
            || stream.flush().await.is_err()
            || close
        {
            let _ = stream.shutdown().await;
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How long one request takes in `crowd`, counted in it from start to end.
    async fn handled(crowd: &Crowd) -> Duration {
        let _counted = crowd.enter();
        let start = tokio::time::Instant::now();
        crowd.work().await;
        start.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn the_crowd_holds_answers_only_while_more_than_two_requests_are_in_flight() {
        let hold = Duration::from_millis(1500);
        let crowd = Crowd::new(hold);
        assert_eq!(handled(&crowd).await, CROWD_WORK);
        let two = tokio::join!(handled(&crowd), handled(&crowd));
        assert_eq!(two, (CROWD_WORK, CROWD_WORK));
        let three = tokio::join!(handled(&crowd), handled(&crowd), handled(&crowd));
        let held = CROWD_WORK + hold;
        assert_eq!(three, (held, held, held));
        // Every request left the crowd: a lone one is fast again.
        assert_eq!(handled(&crowd).await, CROWD_WORK);
    }
}
