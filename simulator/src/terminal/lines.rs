//! The terminal's three lines to the outside, one type each: the push line (records and
//! alarms to `event_dest`, one at a time, the backlog oldest first), the callback line
//! (remote authentication, one at a time, since people are recognised one at a time) and
//! the heartbeat line (a `GET` on the auth server every interval). The lines run beside
//! each other: a person at the door never waits behind a backlog of pushes, and the
//! heartbeat that decides the fallback never waits behind a dead receiver.
//!
//! Each line owns its client; nothing else in the terminal can send, so "one request at a
//! time" per line is held by the types: a push needs a [`PushTurn`], which only
//! [`PushLine::turn`] hands out, one at a time.
//!
//! All three lines go out through the terminal's [`Network`]: while it is down nothing
//! leaves on any of them, and each one fails at once as it would on a terminal whose
//! cable is pulled (a refused connection), without a packet sent.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{Mutex, MutexGuard, watch};

use crate::push::{AuthDelivery, Delivery, Pusher};
use crate::wire::{Destination, IdKind, Identity, Outcome};

/// What a line says when the terminal's network is down.
const NETWORK_DOWN: &str = "the terminal's network is down";

/// The terminal's network switch, shared by its lines, its API's listener and the host that
/// outlives each boot (a reboot does not plug a pulled cable back in). Cheap to clone;
/// clones share the switch. Up when made.
#[derive(Debug, Clone)]
pub struct Network {
    up: Arc<watch::Sender<bool>>,
}

impl Default for Network {
    fn default() -> Self {
        Self {
            up: Arc::new(watch::Sender::new(true)),
        }
    }
}

impl Network {
    /// Takes the network down (`false`) or brings it back.
    pub fn set(&self, up: bool) {
        self.up.send_replace(up);
    }

    /// Whether the network is up now.
    pub fn is_up(&self) -> bool {
        *self.up.borrow()
    }

    /// The network's state, and every change of it.
    pub fn watch(&self) -> watch::Receiver<bool> {
        self.up.subscribe()
    }
}

/// The line to `event_dest`: one push at a time.
#[derive(Debug)]
pub struct PushLine {
    pusher: Pusher,
    network: Network,
    turn: Mutex<()>,
}

/// The right to push, held for the whole of one delivery (send, answer, bookkeeping). While
/// a turn is held no other push starts.
#[derive(Debug)]
pub struct PushTurn<'a> {
    pusher: &'a Pusher,
    network: &'a Network,
    _held: MutexGuard<'a, ()>,
}

impl PushLine {
    /// The push line over `pusher`, out through `network`.
    pub fn new(pusher: Pusher, network: Network) -> Self {
        Self {
            pusher,
            network,
            turn: Mutex::new(()),
        }
    }

    /// Waits for the line (turns are handed out in the order asked for).
    pub async fn turn(&self) -> PushTurn<'_> {
        PushTurn {
            _held: self.turn.lock().await,
            pusher: &self.pusher,
            network: &self.network,
        }
    }
}

impl PushTurn<'_> {
    /// Pushes one event body, from `identity` at Unix time `now`.
    pub async fn push(
        &self,
        dest: &Destination,
        body: Bytes,
        identity: Option<(&Identity, i64)>,
    ) -> Delivery {
        if !self.network.is_up() {
            return Delivery {
                latency: Duration::ZERO,
                outcome: Outcome::Connect(NETWORK_DOWN.into()),
            };
        }
        self.pusher.push_as(dest, body, identity).await
    }
}

/// The line to `remote_authentication_address` for callbacks: one at a time, never behind
/// a push.
#[derive(Debug)]
pub struct CallbackLine {
    pusher: Pusher,
    network: Network,
    turn: Mutex<()>,
}

impl CallbackLine {
    /// The callback line over `pusher` (a clone of the push line's client: same timeout and
    /// trust, its own connections since the address differs), out through `network`.
    pub fn new(pusher: Pusher, network: Network) -> Self {
        Self {
            pusher,
            network,
            turn: Mutex::new(()),
        }
    }

    /// Sends one callback and waits for its answer, holding the line meanwhile.
    pub async fn authenticate(
        &self,
        dest: &Destination,
        body: Bytes,
        identity: Option<(&Identity, i64)>,
        ids: IdKind,
    ) -> AuthDelivery {
        let _held = self.turn.lock().await;
        if !self.network.is_up() {
            // As when the server cannot be reached: the caller then keeps the door shut
            // and counts towards the fallback.
            return AuthDelivery {
                latency: Duration::ZERO,
                outcome: Outcome::Connect(NETWORK_DOWN.into()),
            };
        }
        self.pusher.authenticate(dest, body, identity, ids).await
    }
}

/// The line the heartbeat goes on. One loop owns it, so beats never overlap.
#[derive(Debug)]
pub struct HeartbeatLine {
    pusher: Pusher,
    network: Network,
}

impl HeartbeatLine {
    /// The heartbeat line over `pusher`, out through `network`.
    pub fn new(pusher: Pusher, network: Network) -> Self {
        Self { pusher, network }
    }

    /// One heartbeat: the HTTP status, or why none came.
    ///
    /// # Errors
    /// One line saying why there was no answer.
    pub async fn beat(&mut self, dest: &Destination) -> Result<u16, String> {
        if !self.network.is_up() {
            return Err(NETWORK_DOWN.into());
        }
        self.pusher.heartbeat(dest).await
    }
}
