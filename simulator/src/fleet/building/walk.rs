//! The building's day in motion: one walk through the day's passages in time order, on
//! the runtime's clock sped up by the building's `clock` factor, and one worker per door
//! that has the door's terminal recognise each person who comes (`Device::trigger` with
//! the person's face, name and kind as overrides), so that a slow receiver behind one
//! terminal holds up only that door. Each record is stamped with the building's time of
//! its passage. Passages before the building's start time are applied without records,
//! so whoever is inside at start is inside.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures_util::future::join_all;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::config::DAY;
use super::day::{Passage, passages};
use super::face;
use super::model::{Building, Inner};
use crate::fleet::Members;
use crate::profile::ApiVersion;
use crate::synth::{Generator, SynthConfig};
use crate::wire::{Occupation, RecognitionType, RecognizeStatus, field};

/// One passage for a door's worker.
struct Job {
    n: u64,
    passage: Passage,
}

impl Building {
    /// Walks the building's people through `members`' doors, day after day, until
    /// `shutdown`.
    pub async fn run(&self, members: Members, shutdown: impl Future<Output = ()>) {
        let inner = &self.inner;
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..inner.plan.doors.len())
            .map(|_| mpsc::unbounded_channel::<Job>())
            .unzip();
        let workers = join_all(
            receivers
                .into_iter()
                .enumerate()
                .map(|(door, rx)| worker(inner.clone(), members.clone(), door, rx)),
        );
        let walk = async move {
            walk(inner, senders).await;
        };
        // The day starts once every terminal serves, so that the first people find them.
        let members_up = members.clone();
        let enrol = inner.config.enrol;
        tokio::select! {
            () = shutdown => {}
            _ = async move {
                members_up.wait_up().await;
                if enrol {
                    self.enrol(&members_up).await;
                }
                tokio::join!(walk, workers)
            } => {}
        }
    }
}

/// Sends every passage to its door at its time, for the configured days.
async fn walk(inner: &Arc<Inner>, senders: Vec<mpsc::UnboundedSender<Job>>) {
    let origin = Instant::now();
    *inner.origin.lock().unwrap_or_else(PoisonError::into_inner) = Some(origin);
    let clock = inner.config.clock;
    let due = |at: f64| origin + Duration::from_secs_f64(((at - inner.start) / clock).max(0.0));
    let mut n = 0u64;
    let days = inner.config.days.unwrap_or(u64::MAX);
    for day in 0..days {
        for passage in passages(inner.config.seed, day, &inner.residents, &inner.plan) {
            let whereabouts = || {
                inner
                    .whereabouts
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
            };
            if passage.at < inner.start {
                whereabouts().place(&passage, &inner.plan);
                continue;
            }
            tokio::time::sleep_until(due(passage.at)).await;
            n += 1;
            whereabouts().apply(&passage, &inner.plan);
            if senders[passage.door].send(Job { n, passage }).is_ok() {
                inner.progress.send_modify(|p| p.dispatched += 1);
            }
        }
        let end = (day + 1) as f64 * DAY;
        tokio::time::sleep_until(due(end)).await;
        inner.progress.send_modify(|p| p.days = day + 1);
    }
    // Every day walked: the doors' workers finish what they were given and stop.
    drop(senders);
}

/// Has door `door`'s terminal recognise each person who comes, in turn.
async fn worker(
    inner: Arc<Inner>,
    members: Members,
    door: usize,
    mut jobs: mpsc::UnboundedReceiver<Job>,
) {
    let mut users: HashMap<ApiVersion, Generator> = HashMap::new();
    while let Some(job) = jobs.recv().await {
        let recorded = recognise(&inner, &members, door, &job, &mut users).await;
        if recorded {
            inner
                .whereabouts
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .recorded += 1;
        }
        inner.progress.send_modify(|p| p.settled += 1);
    }
}

/// One passage as a record of the door's terminal; whether one was made (not when the
/// terminal is down, has no destination or refused the record).
async fn recognise(
    inner: &Arc<Inner>,
    members: &Members,
    door: usize,
    job: &Job,
    users: &mut HashMap<ApiVersion, Generator>,
) -> bool {
    let sn = &inner.plan.doors[door].sn;
    let Some(device) = members.device(sn) else {
        return false;
    };
    let resident = &inner.residents[job.passage.resident];
    let (who, seed, n, at, frame) = (
        job.passage.resident,
        inner.config.seed,
        job.n,
        job.passage.at,
        inner.frame,
    );
    // Drawing the photo and deriving the snapshot take milliseconds: off the threads
    // that serve and push.
    let (building, door_sn) = (inner.clone(), sn.clone());
    let Ok(Some(jpeg)) = tokio::task::spawn_blocking(move || {
        let photo = building.enrolled_of(who)?;
        face::snapshot(&photo, seed, n, at, &door_sn, frame)
    })
    .await
    else {
        return false;
    };
    let api = device.api();
    let user = (resident.occupation != Occupation::Stranger).then(|| {
        let generator = users.entry(api).or_insert_with(|| {
            let cfg = SynthConfig {
                api,
                people: 1,
                ..inner.synth.clone()
            };
            Generator::new(&cfg, sn.clone())
        });
        generator.user_of(&resident.person, device.now())
    });
    let mut overrides = overrides(api, resident.occupation, user, STANDARD.encode(jpeg));
    // The record happens in the building's day, so it carries the building's time (read
    // on the door's own clock, drift included), and a platform's occupancy and
    // anti-passback reports line up with the simulated day rather than the wall clock.
    let stamp = inner.midnight + at.round() as i64 + members.drift(sn).unwrap_or(0);
    overrides.insert(field::TIMESTAMP.into(), json!(stamp));
    match device.trigger(Some(&overrides)).await {
        Ok(_) => true,
        Err(e) => {
            tracing::debug!(sn, error = %e, "a passage made no record");
            false
        }
    }
}

/// What a trigger is told to make of a passage: the status or kind the version's records
/// carry, the door's decision, the person and their snapshot.
fn overrides(
    api: ApiVersion,
    occupation: Occupation,
    user: Option<crate::wire::User>,
    snapshot_b64: String,
) -> Map<String, Value> {
    let stranger = occupation == Occupation::Stranger;
    let mut o = Map::new();
    if api.profile().recognize_status {
        let status = if stranger {
            RecognizeStatus::Stranger
        } else {
            RecognizeStatus::Recognized
        };
        o.insert(field::RECOGNIZE_STATUS.into(), json!(status.code()));
    } else {
        let kind = match occupation {
            Occupation::Employee => RecognitionType::Employee,
            Occupation::Visitor => RecognitionType::Visitor,
            Occupation::Stranger => RecognitionType::Stranger,
        };
        o.insert(field::RECOGNITION_TYPE.into(), json!(kind.code()));
    }
    o.insert(field::PASS.into(), json!(!stranger));
    if let Some(user) = user {
        o.insert(
            field::USER.into(),
            serde_json::to_value(user).unwrap_or(Value::Null),
        );
    }
    o.insert(field::RGB_IMAGE.into(), Value::String(snapshot_b64));
    o
}
