//! `facesim push`: events straight to a receiver from one or many simulated devices, a
//! line per event and a summary. It is the load engine's one send loop
//! ([`facesim::load::drive`]) with a device per worker: events are dealt to the devices
//! round-robin, each generated and pushed by its device's [`Pusher`], as the device's
//! delivery does.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{CmdError, Finish, attempt_line, summary_lines};
use crate::app::cli::{PushArgs, UsageError, check_rate};
use facesim::clock::{self, Clock};
use facesim::device::Attempt;
use facesim::load::{Job, Sender, Source, drive};
use facesim::push::Pusher;
use facesim::schedule::{Arrival, RateProfile, Schedule};
use facesim::stats::{self, Sample, Stats};
use facesim::synth::{Generator, device_sn};
use facesim_proto::wire::{self, Destination, Identity, OutcomeClass};

/// Pushes `--count` events and reports; [`Finish::Failed`] unless every one got a
/// well-formed success answer.
///
/// # Errors
/// [`CmdError::Usage`] for bad arguments.
pub async fn push(
    args: PushArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Finish, CmdError> {
    // One device speaks one version: a mix is a fleet's.
    args.synth.one_version()?;
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
            Some(
                (0..args.count)
                    .filter_map(|_| schedule.next_offset())
                    .collect::<Arc<[Duration]>>(),
            )
        }
        None => None,
    };
    let mut options = crate::app::cli::push_options(&args.trust)?;
    options.api = synth.api;
    let devices = (0..args.devices)
        .map(|index| {
            let sn = device_sn(synth.seed, index);
            Device {
                identity: Identity::of(&sn, facesim::device::DEFAULT_ACCOUNT),
                generator: Arc::new(Generator::new(&synth, sn)),
            }
        })
        .collect();
    let fleet = Arc::new(Fleet {
        devices,
        pusher: Pusher::new(&options)?,
        dest,
        clock: clock::system(),
        quiet: args.quiet,
    });
    let (recorder, aggregator) = stats::spawn_aggregator();
    let start = Instant::now();
    // Event k goes to device k mod D, so devices share the load evenly and in order.
    let source = Source::dealt(start, args.count, args.devices as usize, due);
    drive(&source, fleet, recorder, shutdown).await;
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

/// The simulated devices of a `push` run: the [`Sender`] of the send loop.
struct Fleet {
    devices: Vec<Device>,
    pusher: Pusher,
    dest: Destination,
    clock: Arc<dyn Clock>,
    quiet: bool,
}

struct Device {
    generator: Arc<Generator>,
    /// What the identity headers say of this device.
    identity: Identity,
}

/// A worker of the loop: device `index` and the sequence number of its last event.
struct Turn {
    index: usize,
    seq: u64,
}

impl Sender for Fleet {
    type Worker = Turn;
    type Tally = Stats;

    async fn worker(&self, index: usize) -> Turn {
        Turn { index, seq: 0 }
    }

    /// Generates the device's next event (on the blocking pool: synthesis is CPU work),
    /// pushes it, and prints its line.
    async fn send(&self, turn: &mut Turn, _job: Job) -> Sample {
        turn.seq += 1;
        let (seq, device) = (turn.seq, &self.devices[turn.index]);
        let generator = device.generator.clone();
        let timestamp = self.clock.unix_now();
        let body =
            match tokio::task::spawn_blocking(move || generator.generate(seq, timestamp)).await {
                Ok(generated) => serde_json::to_vec(&generated.event).unwrap_or_default(),
                // Synthesis has no failure of its own; a panic in it is a bug. The event is
                // counted as a failure that never left, so the run cannot pass.
                Err(e) => {
                    tracing::error!(sn = device.generator.sn(), seq, "event not generated: {e}");
                    return Sample {
                        latency: Duration::ZERO,
                        class: OutcomeClass::TransportError,
                        pass: None,
                    };
                }
            };
        let head = wire::RecordHead::read(&body).unwrap_or_default();
        let identity = (&device.identity, timestamp);
        let delivery = self
            .pusher
            .push_as(&self.dest, Bytes::from(body), Some(identity))
            .await;
        let door = device
            .generator
            .config()
            .api
            .profile()
            .door_after(&head, &delivery.outcome);
        if !self.quiet {
            println!(
                "{}",
                attempt_line(&Attempt {
                    sn: device.generator.sn().to_string(),
                    seq,
                    label: head.label(),
                    person: head.name().map(str::to_string),
                    door,
                    outcome: delivery.outcome.clone(),
                    latency: delivery.latency,
                    queued: 0,
                })
            );
        }
        Sample {
            latency: delivery.latency,
            class: delivery.outcome.class(),
            pass: door,
        }
    }
}
