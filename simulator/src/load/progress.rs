//! Live progress on stderr while a load runs: an indicatif bar redrawn twice a second when
//! stderr is a terminal, a plain line every few seconds otherwise (CI logs). Each shows the
//! current rate against the target, events in flight and queued, errors and the p99 so
//! far, so a receiver falling behind is visible before the run ends.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::oneshot;

use super::aggregate::Recorder;
use super::source::Source;

/// Counters the workers keep for the progress display and the achieved rate.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub in_flight: AtomicU64,
    /// Events written to a connection (or attempted).
    pub sent: AtomicU64,
    /// Events expired unsent.
    pub unsent: AtomicU64,
    /// Offset of the latest send, µs from the start.
    pub last_send_us: AtomicU64,
}

/// How often the bar is redrawn on a terminal.
const TERMINAL_TICK: Duration = Duration::from_millis(500);
/// How often a plain line is printed otherwise.
const PLAIN_TICK: Duration = Duration::from_secs(5);

/// What the display reads from.
pub(crate) struct Feed {
    pub recorder: Recorder,
    pub counters: Arc<Counters>,
    pub source: Source,
    pub start: Instant,
    pub duration: Option<Duration>,
    pub count: Option<u64>,
    /// The schedule's rate over time for this process (`None` in the closed loop): the
    /// display shows the rate due now, so a ramp is judged against where it is, not
    /// against its average.
    pub target: Option<crate::schedule::RateProfile>,
    pub enabled: bool,
}

/// The running display.
pub(crate) struct Display {
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Display {
    /// Stops the display and clears the bar; its hold on the aggregator ends here.
    pub(crate) async fn finish(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Starts the display (or nothing, when disabled).
pub(crate) fn spawn(feed: Feed) -> Display {
    if !feed.enabled {
        return Display {
            stop: None,
            task: None,
        };
    }
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(run(feed, stopped));
    Display {
        stop: Some(stop),
        task: Some(task),
    }
}

async fn run(feed: Feed, mut stopped: oneshot::Receiver<()>) {
    let terminal = std::io::stderr().is_terminal();
    let bar = terminal.then(|| new_bar(&feed));
    let tick = if terminal { TERMINAL_TICK } else { PLAIN_TICK };
    let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + tick, tick);
    let mut last = (Instant::now(), 0u64);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = &mut stopped => break,
        }
        let progress = feed.recorder.progress().await;
        let now = Instant::now();
        let sent = feed.counters.sent.load(Ordering::Relaxed);
        let rate = (sent - last.1) as f64 / (now - last.0).as_secs_f64().max(1e-9);
        last = (now, sent);
        let elapsed = feed.start.elapsed().as_secs_f64();
        let target = feed
            .target
            .as_ref()
            .map(|p| format!(" (target {:.0}/s)", p.rate_at(elapsed)))
            .unwrap_or_default();
        let line = format!(
            "sent {sent}  {rate:.0}/s{target}  in flight {}  queued {}  errors {}  p99 {:.2} ms",
            feed.counters.in_flight.load(Ordering::Relaxed),
            feed.source.queued(),
            progress.sent - progress.ok,
            progress.p99_ms,
        );
        match &bar {
            Some(bar) => {
                match feed.count {
                    Some(_) => bar.set_position(sent),
                    None => bar.set_position(feed.start.elapsed().as_secs()),
                }
                bar.set_message(line);
            }
            None => eprintln!("[{elapsed:>7.1}s] {line}"),
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

fn new_bar(feed: &Feed) -> ProgressBar {
    let (len, unit) = match (feed.count, feed.duration) {
        (Some(c), _) => (Some(c), "events"),
        (None, Some(d)) => (Some(d.as_secs().max(1)), "s"),
        (None, None) => (None, ""),
    };
    let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
    let template =
        format!("{{spinner}} {{elapsed_precise}} [{{bar:24}}] {{pos}}/{{len}} {unit}  {{msg}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}
