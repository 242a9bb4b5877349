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

use bytes::Bytes;
use tokio::sync::{Mutex, MutexGuard};

use crate::push::{AuthDelivery, Delivery, Pusher};
use crate::wire::{Destination, IdKind, Identity};

/// The line to `event_dest`: one push at a time.
#[derive(Debug)]
pub struct PushLine {
    pusher: Pusher,
    turn: Mutex<()>,
}

/// The right to push, held for the whole of one delivery (send, answer, bookkeeping). While
/// a turn is held no other push starts.
#[derive(Debug)]
pub struct PushTurn<'a> {
    pusher: &'a Pusher,
    _held: MutexGuard<'a, ()>,
}

impl PushLine {
    /// The push line over `pusher`.
    pub fn new(pusher: Pusher) -> Self {
        Self {
            pusher,
            turn: Mutex::new(()),
        }
    }

    /// Waits for the line (turns are handed out in the order asked for).
    pub async fn turn(&self) -> PushTurn<'_> {
        PushTurn {
            _held: self.turn.lock().await,
            pusher: &self.pusher,
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
        self.pusher.push_as(dest, body, identity).await
    }
}

/// The line to `remote_authentication_address` for callbacks: one at a time, never behind
/// a push.
#[derive(Debug)]
pub struct CallbackLine {
    pusher: Pusher,
    turn: Mutex<()>,
}

impl CallbackLine {
    /// The callback line over `pusher` (a clone of the push line's client: same timeout and
    /// trust, its own connections since the address differs).
    pub fn new(pusher: Pusher) -> Self {
        Self {
            pusher,
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
        self.pusher.authenticate(dest, body, identity, ids).await
    }
}

/// The line the heartbeat goes on. One loop owns it, so beats never overlap.
#[derive(Debug)]
pub struct HeartbeatLine {
    pusher: Pusher,
}

impl HeartbeatLine {
    /// The heartbeat line over `pusher`.
    pub fn new(pusher: Pusher) -> Self {
        Self { pusher }
    }

    /// One heartbeat: the HTTP status, or why none came.
    ///
    /// # Errors
    /// One line saying why there was no answer.
    pub async fn beat(&mut self, dest: &Destination) -> Result<u16, String> {
        self.pusher.heartbeat(dest).await
    }
}
