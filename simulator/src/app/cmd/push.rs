//! `facesim push`: events straight to a receiver from one or many simulated devices, a
//! line per event and a summary.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use super::{CmdError, Finish, Stop, attempt_line, summary_lines};
use crate::app::cli::{PushArgs, UsageError, check_rate};
use facesim::clock::{self, Clock};
use facesim::device::Attempt;
use facesim::push::Pusher;
use facesim::schedule::{Arrival, RateProfile, Schedule};
use facesim::stats::{self, Recorder, Sample};
use facesim::synth::{Generator, device_sn};
use facesim::wire::{self, Destination, Identity};

/// Pushes `--count` events and reports; [`Finish::Failed`] unless every one got a
/// well-formed success answer.
///
/// # Errors
/// [`CmdError::Usage`] for bad arguments.
pub async fn push(
    args: PushArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Finish, CmdError> {
    let synth = args.synth.config()?;
    let dest = Destination::parse(&args.to).map_err(|e| UsageError(format!("--to: {e}")))?;
    if args.devices == 0 || args.count == 0 {
        return Err(UsageError("--devices and --count must be at least 1".into()).into());
    }
    let due = match args.rate {
        Some(rate) => {
            let rate = check_rate("--rate", rate, f64::MIN_POSITIVE)?;
            let profile = RateProfile::fixed(rate).map_err(|e| UsageError(e.to_string()))?;
            let mut schedule =
                Schedule::new(profile, Arrival::Constant, synth.seed).with_phase(1.0);
            Some(Arc::new(
                (0..args.count)
                    .filter_map(|_| schedule.next_offset())
                    .collect::<Vec<Duration>>(),
            ))
        }
        None => None,
    };
    let mut options = args.trust.push_options()?;
    options.api = synth.api;
    let pusher = Pusher::new(&options)?;
    let (recorder, aggregator) = stats::spawn_aggregator();
    let (stop, _keep) = Stop::after(shutdown);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for index in 0..args.devices {
        let sn = device_sn(synth.seed, index);
        let job = DeviceJob {
            identity: Identity::of(&sn, facesim::device::DEFAULT_ACCOUNT),
            generator: Arc::new(Generator::new(&synth, sn)),
            pusher: pusher.clone(),
            dest: dest.clone(),
            recorder: recorder.clone(),
            clock: clock::system(),
            quiet: args.quiet,
        };
        // Event k goes to device k mod D, so devices share the load evenly and in order.
        let mine: Vec<u64> = (u64::from(index)..args.count)
            .step_by(args.devices as usize)
            .collect();
        let due = due.clone();
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            tokio::select! {
                () = job.run(&mine, u64::from(index), due.as_deref().map(Vec::as_slice), start) => {}
                () = stop.wait() => {}
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    drop(recorder);
    let stats = aggregator
        .await
        .map_err(|e| CmdError::Broken(e.to_string()))?;
    for line in summary_lines(&stats, start.elapsed()) {
        println!("{line}");
    }
    Ok(if stats.ok() == args.count {
        Finish::Success
    } else {
        Finish::Failed
    })
}

struct DeviceJob {
    generator: Arc<Generator>,
    pusher: Pusher,
    dest: Destination,
    /// What the identity headers say of this device.
    identity: Identity,
    recorder: Recorder,
    clock: Arc<dyn Clock>,
    quiet: bool,
}

impl DeviceJob {
    /// Sends this device's share of the events, one at a time, each at its due time.
    async fn run(&self, events: &[u64], index: u64, due: Option<&[Duration]>, start: Instant) {
        let devices = events.get(1).map_or(1, |second| second - events[0]);
        for &k in events {
            if let Some(offset) = due.and_then(|d| d.get(usize::try_from(k).unwrap_or(usize::MAX)))
            {
                tokio::time::sleep_until(start + *offset).await;
            }
            let seq = (k - index) / devices.max(1) + 1;
            let generator = self.generator.clone();
            let timestamp = self.clock.unix_now();
            let Ok(generated) =
                tokio::task::spawn_blocking(move || generator.generate(seq, timestamp)).await
            else {
                continue;
            };
            let body = serde_json::to_vec(&generated.event).unwrap_or_default();
            let head = wire::RecordHead::read(&body).unwrap_or_default();
            let identity = (&self.identity, timestamp);
            let delivery = self
                .pusher
                .push_as(&self.dest, Bytes::from(body), Some(identity))
                .await;
            let door = head.door(self.generator.config().api.profile(), &delivery.outcome);
            self.recorder
                .record(Sample {
                    latency: delivery.latency,
                    class: delivery.outcome.class(),
                    pass: door,
                })
                .await;
            if !self.quiet {
                println!(
                    "{}",
                    attempt_line(&Attempt {
                        sn: self.generator.sn().to_string(),
                        seq,
                        label: head.label(),
                        person: head.name().map(str::to_string),
                        door,
                        outcome: delivery.outcome,
                        latency: delivery.latency,
                        queued: 0,
                    })
                );
            }
        }
    }
}
