//! The one send loop: a set of workers take jobs from a [`Source`], hand each to a
//! [`Sender`], and record what it returns through the one aggregator's
//! [`Recorder`](crate::stats::Recorder).
//!
//! `facesim load`, `facesim push` and facecert's load phase are this loop with their own
//! sender (what a job is sent as, on what connection, judged how) and their own tally
//! (what the aggregator counts). The load model (when a job is due, which worker takes
//! it, when the run is over) lives entirely in the [`Source`]; how one job is sent lives
//! entirely in the [`Sender`]; so a change to either is made once for all three.

use std::future::Future;
use std::sync::Arc;

use tokio::task::JoinSet;

use super::source::{Job, Source};
use crate::stats::{Recorder, Tally};

/// How a job is sent, and what the aggregator is told of it.
pub trait Sender: Send + Sync + 'static {
    /// A worker's own state: its connection, its memo of answers, its count of jobs.
    type Worker: Send;
    /// What the aggregator counts; the sender returns one of its samples per job.
    type Tally: Tally;

    /// Makes the state of worker `index` (from 0). It may wait, for a worker that starts
    /// later than the others.
    fn worker(&self, index: usize) -> impl Future<Output = Self::Worker> + Send;

    /// Sends one job (or accounts for one that expired unsent) and returns its sample.
    fn send(
        &self,
        worker: &mut Self::Worker,
        job: Job,
    ) -> impl Future<Output = <Self::Tally as Tally>::Sample> + Send;
}

/// How a run of the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The source ran out of jobs and every worker finished its last one.
    Completed,
    /// `shutdown` resolved first: the source was cancelled and the workers stopped where
    /// they were.
    Interrupted,
}

/// Runs one worker of `sender` for each worker `source` serves, until the source is done
/// or `shutdown` resolves. `recorder` is dropped when the workers are, so the aggregator
/// behind it finishes once this returns.
pub async fn drive<S: Sender>(
    source: &Source,
    sender: Arc<S>,
    recorder: Recorder<S::Tally>,
    shutdown: impl Future<Output = ()>,
) -> Ended {
    let mut set = JoinSet::new();
    for index in 0..source.workers() {
        let (source, sender, recorder) = (source.clone(), sender.clone(), recorder.clone());
        set.spawn(async move {
            let mut worker = sender.worker(index).await;
            while let Some(job) = source.next(index).await {
                let sample = sender.send(&mut worker, job).await;
                recorder.record(sample).await;
            }
        });
    }
    drop(recorder);
    tokio::pin!(shutdown);
    let ended = tokio::select! {
        () = join_all(&mut set) => Ended::Completed,
        () = &mut shutdown => Ended::Interrupted,
    };
    if ended == Ended::Interrupted {
        source.cancel();
        set.abort_all();
        join_all(&mut set).await;
    }
    ended
}

async fn join_all(set: &mut JoinSet<()>) {
    while set.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::load::source::Limits;
    use crate::stats::spawn;

    /// A tally that keeps which worker sent which job.
    #[derive(Default)]
    struct Seen(Vec<(usize, u64)>);

    impl Tally for Seen {
        type Sample = (usize, u64);
        type View = ();

        fn record(&mut self, sample: (usize, u64)) {
            self.0.push(sample);
        }

        fn view(&self) {}
    }

    /// A sender that answers at once, or never for job `stall`.
    struct Echo {
        stall: Option<u64>,
        started: Mutex<Vec<usize>>,
    }

    impl Sender for Echo {
        type Worker = usize;
        type Tally = Seen;

        async fn worker(&self, index: usize) -> usize {
            self.started.lock().unwrap().push(index);
            index
        }

        async fn send(&self, worker: &mut usize, job: Job) -> (usize, u64) {
            if Some(job.n) == self.stall {
                std::future::pending::<()>().await;
            }
            (*worker, job.n)
        }
    }

    fn echo(stall: Option<u64>) -> Arc<Echo> {
        Arc::new(Echo {
            stall,
            started: Mutex::new(Vec::new()),
        })
    }

    #[tokio::test]
    async fn dealt_jobs_go_round_robin_and_every_one_is_recorded() {
        let source = Source::dealt(Instant::now(), 7, 3, None);
        let (recorder, tally) = spawn(Seen::default(), 16);
        let sender = echo(None);
        let ended = drive(&source, sender.clone(), recorder, std::future::pending()).await;
        assert_eq!(ended, Ended::Completed);
        let mut seen = tally.await.unwrap().0;
        seen.sort_unstable();
        assert_eq!(
            seen,
            vec![(0, 0), (0, 3), (0, 6), (1, 1), (1, 4), (2, 2), (2, 5)]
        );
        let mut started = sender.started.lock().unwrap().clone();
        started.sort_unstable();
        assert_eq!(started, vec![0, 1, 2]);
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_stops_a_stalled_worker_and_the_tally_still_arrives() {
        let source = Source::closed(
            Instant::now(),
            Limits {
                duration: None,
                count: Some(10),
            },
            1,
        );
        let (recorder, tally) = spawn(Seen::default(), 16);
        // One worker: it records jobs 0 to 3 and hangs on job 4 until shutdown.
        let shutdown = tokio::time::sleep(Duration::from_secs(1));
        let ended = drive(&source, echo(Some(4)), recorder, shutdown).await;
        assert_eq!(ended, Ended::Interrupted);
        let seen = tally.await.unwrap().0;
        assert_eq!(seen, vec![(0, 0), (0, 1), (0, 2), (0, 3)]);
        assert!(source.next(0).await.is_none(), "the source is cancelled");
    }
}
