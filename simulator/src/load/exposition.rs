//! `facesim load --metrics-listen ADDR`: the run's live figures at `GET /metrics` while it
//! runs, read from the same aggregator and counters the progress display reads, for a
//! Prometheus that watches a long run.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use warp::Filter;

use super::LoadError;
use super::aggregate::Recorder;
use super::progress::Counters;
use super::source::Source;
use crate::metrics::{Scrape, with};
use crate::schedule::RateProfile;

/// What the exposition reads.
#[derive(Clone)]
pub(crate) struct Figures {
    pub recorder: Recorder,
    pub counters: Arc<Counters>,
    pub source: Source,
    pub start: Instant,
    pub target: Option<RateProfile>,
    /// The receiver's URL, as a label.
    pub to: String,
}

/// The listener of `--metrics-listen`, bound before the run starts so that a port in
/// use is a usage error, not a surprise half-way through.
pub(crate) async fn bind(addr: SocketAddr) -> Result<TcpListener, LoadError> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| LoadError::Usage(format!("--metrics-listen {addr}: {e}")))
}

/// The running endpoint.
pub(crate) struct Exposition {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Exposition {
    /// Stops the endpoint at once. Its routes hold a handle to the run's aggregator, which
    /// hands its totals back only once every handle is gone, so the task is ended rather
    /// than left to wait for a scraper's kept connection to close.
    pub(crate) async fn finish(self) {
        let _ = self.stop.send(());
        self.task.abort();
        let _ = self.task.await;
    }
}

/// Serves `/metrics` on `listener` until [`Exposition::finish`].
pub(crate) fn spawn(listener: TcpListener, figures: Figures) -> Exposition {
    let (stop, stopped) = oneshot::channel::<()>();
    let route = warp::path!("metrics").and(warp::get()).then(move || {
        let figures = figures.clone();
        async move { scrape(&figures).await.into_reply() }
    });
    let routes = route.recover(crate::server::recover).unify();
    let task = tokio::spawn(crate::server::serve(
        listener,
        None,
        warp::service(routes),
        async move {
            let _ = stopped.await;
        },
    ));
    Exposition { stop, task }
}

async fn scrape(figures: &Figures) -> Scrape {
    let progress = figures.recorder.progress().await;
    let report = progress.stats.report();
    let labels = vec![("to".to_owned(), figures.to.clone())];
    let mut scrape = Scrape::default();
    scrape.attempts(
        (
            "facesim_load_events",
            "Events answered (or given up), by outcome class.",
        ),
        (
            "facesim_load_latency_seconds",
            "Answer time from the scheduled send time (open model) or the send (closed loop).",
        ),
        &labels,
        &report,
    );
    let counters = &figures.counters;
    scrape.counter(
        "facesim_load_sent",
        "Events written to a connection.",
        labels.clone(),
        counters.sent.load(Ordering::Relaxed),
    );
    scrape.counter(
        "facesim_load_unsent",
        "Events that expired before a connection was free.",
        labels.clone(),
        counters.unsent.load(Ordering::Relaxed),
    );
    scrape.gauge(
        "facesim_load_in_flight",
        "Events sent and not yet answered.",
        labels.clone(),
        counters.in_flight.load(Ordering::Relaxed) as f64,
    );
    scrape.gauge(
        "facesim_load_queued",
        "Events due and waiting for a free connection.",
        labels.clone(),
        figures.source.queued() as f64,
    );
    let elapsed = figures.start.elapsed().as_secs_f64();
    if let Some(target) = &figures.target {
        scrape.gauge(
            "facesim_load_target_rate",
            "The schedule's rate now, events per second.",
            labels.clone(),
            target.rate_at(elapsed),
        );
    }
    for (decision, n) in [("pass", report.passed), ("deny", report.denied)] {
        scrape.counter(
            "facesim_load_door_decisions",
            "Door decisions in the success answers.",
            with(&labels, "decision", decision),
            n,
        );
    }
    scrape.gauge(
        "facesim_load_elapsed_seconds",
        "Seconds since the run started.",
        labels,
        elapsed,
    );
    scrape
}
