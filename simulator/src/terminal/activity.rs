//! The one signal that a device's observable state changed (a record made, a delivery
//! attempted, a heartbeat answered, a fallback taken, a live client gone), so that whoever
//! watches the device (its tests, a dashboard) wakes on the change instead of polling on
//! a timer.

use std::sync::Arc;

use tokio::sync::watch;

/// A counter of changes; clones share it.
#[derive(Debug, Clone)]
pub struct Activity(Arc<watch::Sender<u64>>);

impl Default for Activity {
    fn default() -> Self {
        Self::new()
    }
}

impl Activity {
    pub fn new() -> Self {
        Self(Arc::new(watch::Sender::new(0)))
    }

    /// Says that something changed; never waits.
    pub fn bump(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver whose `changed()` resolves at the next [`bump`](Self::bump).
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_bump_wakes_every_watcher() {
        let activity = Activity::new();
        let (mut a, mut b) = (activity.watch(), activity.watch());
        activity.clone().bump();
        a.changed().await.unwrap();
        b.changed().await.unwrap();
        assert_eq!(*a.borrow_and_update(), 1);
        assert!(!a.has_changed().unwrap());
    }
}
