//! The live feed, `GET /v1/event` upgraded to a WebSocket: every recognition record the
//! device makes is sent to every connected client as a JSON text message
//! `{"type": 0, "data": record}` (the guide's WebSocket layout, `wire::live_event`).
//!
//! Choices, where the guide is silent:
//!
//! - At most [`MAX_CLIENTS`] (3, the guide's limit) at once. A further client is refused
//!   before the upgrade with HTTP 503 and the error envelope, so it learns why and may
//!   retry; the refusal is counted.
//! - A slow client never holds the device up. Records are handed to clients through a
//!   broadcast ring of [`QUEUE`] messages: the device only writes into it, never waits.
//!   A client that falls more than that far behind loses the oldest messages it had not
//!   yet been sent (counted as `dropped`) and goes on with the newer ones. A client whose
//!   socket takes no message within [`SEND_TIMEOUT`] is disconnected (counted as
//!   `stalled`), which frees its place.
//! - Alarms are not sent: the guide's feed carries recognition records only.
//! - Messages from clients are read (so pings are answered and a close is noticed) and
//!   otherwise ignored.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http::StatusCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast};
use warp::Filter;
use warp::Reply;
use warp::filters::ws::{Message, WebSocket, Ws};

use crate::server::{Response, error_reply};
use crate::wire::{self, Record};

/// The most clients at once, as the guide says (since 0.0.6).
pub const MAX_CLIENTS: usize = 3;
/// How many messages a client may fall behind before it loses the oldest.
pub const QUEUE: usize = 64;
/// How long one message may take to go out before its client is cut off.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Default)]
struct Counters {
    sent: AtomicU64,
    dropped: AtomicU64,
    refused: AtomicU64,
    stalled: AtomicU64,
}

/// The device's side of the feed: where records are published and clients admitted.
#[derive(Debug, Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<str>>,
    places: Arc<Semaphore>,
    counters: Arc<Counters>,
    /// Told when a client leaves and its place is free again.
    activity: crate::activity::Activity,
    /// Set when the terminal goes down: every client is closed.
    closing: Arc<tokio::sync::watch::Sender<bool>>,
}

impl Hub {
    /// A feed with no clients, telling `activity` whenever a place frees up.
    pub fn new(activity: crate::activity::Activity) -> Self {
        Self {
            tx: broadcast::channel(QUEUE).0,
            places: Arc::new(Semaphore::new(MAX_CLIENTS)),
            counters: Arc::default(),
            activity,
            closing: Arc::new(tokio::sync::watch::Sender::new(false)),
        }
    }

    /// Closes every client's socket (the terminal reboots): each gets a close frame and
    /// its place is freed; clients admitted afterwards are closed at once.
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    /// Sends a record to every connected client; never waits. Without clients nothing is
    /// even serialised.
    pub fn publish(&self, record: &Record) {
        if self.tx.receiver_count() == 0 {
            return;
        }
        match serde_json::to_string(&wire::live_event(record)) {
            Ok(text) => {
                let _ = self.tx.send(text.into());
            }
            Err(e) => tracing::error!(error = %e, "cannot serialise a live record"),
        }
    }

    /// Clients connected now.
    pub fn clients(&self) -> usize {
        MAX_CLIENTS - self.places.available_permits()
    }

    /// The feed's figures.
    pub fn stats(&self) -> wire::LiveStats {
        let c = &self.counters;
        wire::LiveStats {
            clients: self.clients() as u64,
            max_clients: MAX_CLIENTS as u64,
            sent: c.sent.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            stalled: c.stalled.load(Ordering::Relaxed),
        }
    }

    /// A place for one more client, with its subscription taken at once, so that it
    /// misses nothing made after its upgrade was answered; `None` when the feed is full.
    fn admit(&self) -> Option<(OwnedSemaphorePermit, broadcast::Receiver<Arc<str>>)> {
        match self.places.clone().try_acquire_owned() {
            Ok(permit) => Some((permit, self.tx.subscribe())),
            Err(_) => {
                self.counters.refused.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Serves one client until it leaves, stalls, or the feed closes.
    async fn serve(
        self,
        mut socket: WebSocket,
        mut rx: broadcast::Receiver<Arc<str>>,
        place: OwnedSemaphorePermit,
    ) {
        let c = &self.counters;
        let mut closing = self.closing.subscribe();
        loop {
            tokio::select! {
                // The guard `wait_for` returns is dropped at once: it must not be held
                // across the loop's awaits (the task is sent between threads).
                () = async { let _ = closing.wait_for(|closing| *closing).await; } => break,
                incoming = socket.next() => match incoming {
                    Some(Ok(msg)) if !msg.is_close() => {}
                    _ => break,
                },
                next = rx.recv() => match next {
                    Ok(text) => {
                        let send = socket.send(Message::text(text.as_ref()));
                        match tokio::time::timeout(SEND_TIMEOUT, send).await {
                            Ok(Ok(())) => {
                                c.sent.fetch_add(1, Ordering::Relaxed);
                            }
                            Ok(Err(e)) => {
                                tracing::debug!(error = %e, "live client went away");
                                break;
                            }
                            Err(_) => {
                                c.stalled.fetch_add(1, Ordering::Relaxed);
                                tracing::warn!("live client took no message for {SEND_TIMEOUT:?}; disconnected");
                                break;
                            }
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        c.dropped.fetch_add(missed, Ordering::Relaxed);
                        tracing::warn!(missed, "live client fell behind; oldest records skipped");
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            }
        }
        let _ = socket.close().await;
        // The place is free before anyone watching hears of it.
        drop(place);
        self.activity.bump();
    }
}

/// `GET /v1/event`: the upgrade to the live feed, or 503 when it is full.
pub fn route(
    hub: Hub,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone + Send + Sync + 'static {
    warp::path!("v1" / "event")
        .and(warp::get())
        .and(warp::ws())
        .map(move |ws: Ws| {
            let hub = hub.clone();
            match hub.admit() {
                Some((place, rx)) => ws
                    .on_upgrade(move |socket| hub.serve(socket, rx, place))
                    .into_response(),
                None => error_reply(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "the live feed serves at most {MAX_CLIENTS} clients at once; try again when one has left"
                    ),
                ),
            }
        })
}
