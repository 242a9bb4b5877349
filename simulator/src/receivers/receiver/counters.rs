//! What the reference receiver has taken since it started, for its `GET /metrics`:
//! events by kind, refusals by HTTP status, door decisions, the auth server's callbacks
//! and heartbeats, and snapshots whose picture came before with another record (a
//! simulator that draws every record's snapshot afresh makes none).

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
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
    /// Each picture taken (a digest of its JPEG scan) and the record it came with (a
    /// digest of its trace): 16 bytes a snapshot, a million snapshots in tens of MB.
    pictures: Mutex<HashMap<u64, u64>>,
    duplicate_snapshots: AtomicU64,
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

    /// Notes a record's snapshot: a duplicate when the same picture came before with
    /// another record (a redelivery of the same record, same trace, is not one; without a
    /// trace every repeat is). The picture is the JPEG from its scan on (the `SOS`
    /// marker), so the comment, which names the record, does not make two equal
    /// pictures differ.
    pub(crate) fn snapshot(&self, jpeg: &[u8], trace: Option<&(String, u64)>) {
        let scan = jpeg
            .windows(2)
            .position(|w| w == [0xFF, 0xDA])
            .map_or(jpeg, |at| &jpeg[at..]);
        let picture = digest(scan);
        let record = trace.map_or(0, digest);
        let mut pictures = self.pictures.lock().unwrap_or_else(|e| e.into_inner());
        match pictures.insert(picture, record) {
            Some(before) if before != record || record == 0 => bump(&self.duplicate_snapshots),
            _ => {}
        }
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
            "facesim_receiver_duplicate_snapshots",
            "Record snapshots whose picture (the JPEG scan) came before with another record.",
            labels.clone(),
            read(&self.duplicate_snapshots),
        );
        scrape.counter(
            "facesim_receiver_heartbeats",
            "Heartbeats (GET /auth) answered.",
            labels,
            read(&self.heartbeats),
        );
        scrape
    }
}

/// A 64-bit digest of `value`, for telling pictures and records apart in this process.
fn digest(value: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duplicates(c: &Counters) -> u64 {
        read(&c.duplicate_snapshots)
    }

    #[test]
    fn the_same_picture_with_another_record_is_a_duplicate_a_redelivery_is_not() {
        let c = Counters::default();
        let jpeg = |comment: &[u8], scan: &[u8]| {
            let mut j = vec![0xFF, 0xD8, 0xFF, 0xFE];
            j.extend_from_slice(comment);
            j.extend_from_slice(&[0xFF, 0xDA]);
            j.extend_from_slice(scan);
            j
        };
        let trace = |seq| ("PS71".to_string(), seq);
        c.snapshot(&jpeg(b"seq=1", b"face one"), Some(&trace(1)));
        c.snapshot(&jpeg(b"seq=2", b"face two"), Some(&trace(2)));
        assert_eq!(duplicates(&c), 0);
        // Record 1 delivered again: the same record, no duplicate.
        c.snapshot(&jpeg(b"seq=1", b"face one"), Some(&trace(1)));
        assert_eq!(duplicates(&c), 0);
        // Record 3 with record 1's picture under its own comment: a duplicate.
        c.snapshot(&jpeg(b"seq=3", b"face one"), Some(&trace(3)));
        assert_eq!(duplicates(&c), 1);
        // Without a trace, a picture seen before is a duplicate.
        c.snapshot(&jpeg(b"", b"face two"), None);
        c.snapshot(&jpeg(b"", b"face two"), None);
        assert_eq!(duplicates(&c), 3);
        let text = c.scrape("1.0").render();
        assert!(
            text.contains("facesim_receiver_duplicate_snapshots_total{api=\"1.0\"} 3"),
            "{text}"
        );
    }
}
