//! How a running device is told to stop: one [`Stop`] signal that every loop of the device
//! (recognition, delivery, heartbeat) watches, so that "stopped" is told one way only.

use tokio::sync::watch;

/// Raises the stop signal; dropping it raises it too, so a loop never outlives its device.
#[derive(Debug)]
pub struct StopSender(watch::Sender<bool>);

/// A loop's view of the stop signal. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Stop(watch::Receiver<bool>);

/// A new stop signal, not yet raised.
pub fn signal() -> (StopSender, Stop) {
    let (tx, rx) = watch::channel(false);
    (StopSender(tx), Stop(rx))
}

impl StopSender {
    /// Tells every loop to stop.
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

impl Drop for StopSender {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Stop {
    /// Resolves once stop is asked for (at once if it already was).
    pub async fn requested(&mut self) {
        // An error means the sender is gone, which asked for stop when it was dropped.
        let _ = self.0.wait_for(|stop| *stop).await;
    }

    /// Runs `work` unless stop is asked for first; `None` means stop came first.
    pub async fn unless<F: std::future::Future>(&mut self, work: F) -> Option<F::Output> {
        tokio::select! {
            out = work => Some(out),
            () = self.requested() => None,
        }
    }
}
