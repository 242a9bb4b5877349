//! What the reference receiver has taken since it started, for its `GET /metrics`:
//! events by kind, refusals by HTTP status, door decisions, and the auth server's
//! callbacks and heartbeats.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use http::StatusCode;

use crate::metrics::{Scrape, with};

/// The receiver's counters; each request adds to them once.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    records: AtomicU64,
    alarms: AtomicU64,
    other_types: AtomicU64,
    passed: AtomicU64,
    denied: AtomicU64,
    refused: Mutex<BTreeMap<u16, u64>>,
    callbacks_passed: AtomicU64,
    callbacks_denied: AtomicU64,
    callbacks_refused: AtomicU64,
    heartbeats: AtomicU64,
}

/// What one push request was, as the counters see it.
pub(crate) enum Push {
    /// A record, with the door decision the answer carried (API 1.0), if any.
    Record {
        pass: Option<bool>,
    },
    Alarm,
    OtherType,
    Refused(StatusCode),
}

/// What one `/auth` request was.
pub(crate) enum Callback {
    Decided { pass: bool },
    Refused,
    Heartbeat,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

fn read(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

impl Counters {
    pub(crate) fn push(&self, push: Push) {
        match push {
            Push::Record { pass } => {
                bump(&self.records);
                match pass {
                    Some(true) => bump(&self.passed),
                    Some(false) => bump(&self.denied),
                    None => {}
                }
            }
            Push::Alarm => bump(&self.alarms),
            Push::OtherType => bump(&self.other_types),
            Push::Refused(status) => {
                let mut refused = self.refused.lock().unwrap_or_else(|e| e.into_inner());
                *refused.entry(status.as_u16()).or_default() += 1;
            }
        }
    }

    pub(crate) fn callback(&self, callback: Callback) {
        bump(match callback {
            Callback::Decided { pass: true } => &self.callbacks_passed,
            Callback::Decided { pass: false } => &self.callbacks_denied,
            Callback::Refused => &self.callbacks_refused,
            Callback::Heartbeat => &self.heartbeats,
        });
    }

    /// The exposition of every counter.
    pub(crate) fn scrape(&self, api: &str) -> Scrape {
        let mut scrape = Scrape::default();
        let labels = vec![("api".to_owned(), api.to_owned())];
        const EVENTS: &str = "Events taken at the push URL, by type (record, alarm, other).";
        for (kind, n) in [
            ("record", read(&self.records)),
            ("alarm", read(&self.alarms)),
            ("other", read(&self.other_types)),
        ] {
            scrape.counter(
                "facesim_receiver_events",
                EVENTS,
                with(&labels, "kind", kind),
                n,
            );
        }
        const REFUSED: &str = "Push requests refused, by HTTP status.";
        let refused = self
            .refused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for (status, n) in refused {
            let labels = with(&labels, "status", &status.to_string());
            scrape.counter("facesim_receiver_refused", REFUSED, labels, n);
        }
        const DOOR: &str = "Door decisions on the records taken (API 1.0 answers them; later versions only acknowledge).";
        for (decision, n) in [("pass", read(&self.passed)), ("deny", read(&self.denied))] {
            let labels = with(&labels, "decision", decision);
            scrape.counter("facesim_receiver_door_decisions", DOOR, labels, n);
        }
        const CALLBACKS: &str = "Remote-authentication callbacks at /auth, by decision.";
        for (decision, n) in [
            ("pass", read(&self.callbacks_passed)),
            ("deny", read(&self.callbacks_denied)),
            ("refused", read(&self.callbacks_refused)),
        ] {
            let labels = with(&labels, "decision", decision);
            scrape.counter("facesim_receiver_callbacks", CALLBACKS, labels, n);
        }
        scrape.counter(
            "facesim_receiver_heartbeats",
            "Heartbeats (GET /auth) answered.",
            labels,
            read(&self.heartbeats),
        );
        scrape
    }
}
