//! A building over a fleet: its plan, its people, their whereabouts and the building's
//! clock, shared by the walk (which moves people through the doors, `walk`) and the
//! control API (which shows them). Cheap to clone.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tokio::sync::watch;
use tokio::time::Instant;

use super::config::{BuildingConfig, BuildingError, DAY};
use super::face::{self, Frame};
use super::occupancy::Whereabouts;
use super::people::{Resident, populate};
use super::plan::Plan;
use crate::clock::Clock;
use crate::synth::SynthConfig;
use crate::synth::avatar::Enrolled;
use crate::wire::{BuildingPeople, BuildingPlan, Occupancy};

/// How far the walk has come: whole days done, passages sent to their doors and
/// passages their terminals have dealt with (recorded or not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub days: u64,
    pub dispatched: u64,
    pub settled: u64,
    /// With `enrol`: how many users were written into the terminals' libraries, once
    /// they all were (before the day begins).
    pub enrolled: Option<u64>,
}

pub(super) struct Inner {
    pub(super) config: BuildingConfig,
    pub(super) plan: Plan,
    pub(super) residents: Vec<Resident>,
    /// The terminals' snapshot size, quality and the synthesis they are made from.
    pub(super) synth: SynthConfig,
    pub(super) frame: Frame,
    /// The building's time at start, seconds since midnight of day 0.
    pub(super) start: f64,
    /// Midnight (UTC) of day 0 on the fleet's clock, Unix seconds: building time `at` is
    /// `midnight + at`, which is what a passage's record is stamped with.
    pub(super) midnight: i64,
    /// When the walk began, on the runtime's clock.
    pub(super) origin: Mutex<Option<Instant>>,
    pub(super) whereabouts: Mutex<Whereabouts>,
    /// Each person's enrolment photo, drawn once when first needed (about 100 kB each).
    photos: Vec<OnceLock<Arc<Vec<u8>>>>,
    pub(super) progress: watch::Sender<Progress>,
    /// The control API's base URL, under which photos are served.
    control: String,
}

impl Inner {
    /// The enrolment photo of resident `index`, drawn the first time it is asked for.
    pub(super) fn photo_of(&self, index: usize) -> Arc<Vec<u8>> {
        self.photos[index]
            .get_or_init(|| {
                let person = &self.residents[index].person;
                Arc::new(face::portrait(
                    &person.look,
                    self.config.seed,
                    person.user_id,
                ))
            })
            .clone()
    }

    /// The state snapshots of resident `index` are derived from (their photo decoded and
    /// its face found), kept in the process's store of enrolled photos: a person passes
    /// the lobby, their floor and their office within minutes, so their state is usually
    /// still there at the next door. `None` if the photo does not decode, which a drawn
    /// portrait always does.
    pub(super) fn enrolled_of(&self, index: usize) -> Option<Arc<Enrolled>> {
        let id = self.residents[index].person.user_id;
        let key = format!("building {} person {id}", self.config.seed);
        crate::library::faces::enrolled(&key, || Some(self.photo_of(index).to_vec()))
    }
}

/// A building: one population walking through a fleet's doors over the day.
#[derive(Clone)]
pub struct Building {
    pub(super) inner: Arc<Inner>,
}

impl std::fmt::Debug for Building {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Building")
            .field("doors", &self.inner.plan.doors.len())
            .field("people", &self.inner.residents.len())
            .finish()
    }
}

impl Building {
    /// The building over the terminals `sns` (in the fleet's order), whose snapshots are
    /// made as `synth` says; its day starts at `config.day_start`, or at `clock`'s time of
    /// day. `control` is the control API's base URL.
    ///
    /// # Errors
    /// [`BuildingError`] when the configuration is out of range.
    pub fn new(
        config: BuildingConfig,
        sns: &[String],
        synth: &SynthConfig,
        control: &str,
        clock: &dyn Clock,
    ) -> Result<Self, BuildingError> {
        config.validate()?;
        let plan = Plan::new(sns, config.floors);
        let residents = populate(config.seed, config.people, &plan);
        let now = clock.unix_now();
        let midnight = now - now.rem_euclid(DAY as i64);
        let start = config
            .day_start
            .map_or_else(|| now.rem_euclid(DAY as i64) as f64, f64::from);
        let (progress, _) = watch::channel(Progress::default());
        Ok(Self {
            inner: Arc::new(Inner {
                frame: Frame {
                    width: synth.width,
                    height: synth.height,
                    quality: synth.quality,
                },
                synth: synth.clone(),
                whereabouts: Mutex::new(Whereabouts::new(residents.len())),
                photos: (0..residents.len()).map(|_| OnceLock::new()).collect(),
                plan,
                residents,
                config,
                start,
                midnight,
                origin: Mutex::new(None),
                progress,
                control: control.to_string(),
            }),
        })
    }

    /// The building's time now, in seconds since midnight of day 0.
    pub fn now(&self) -> f64 {
        let origin = *self
            .inner
            .origin
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let elapsed = origin.map_or(0.0, |o| o.elapsed().as_secs_f64());
        self.inner.start + elapsed * self.inner.config.clock
    }

    /// Who is inside now.
    pub fn occupancy(&self) -> Occupancy {
        let inner = &self.inner;
        inner
            .whereabouts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .report(self.now(), &inner.residents, &inner.plan)
    }

    /// The building's people, for a platform to enrol (strangers included, marked so).
    pub fn people(&self) -> BuildingPeople {
        let inner = &self.inner;
        BuildingPeople {
            people: super::people::wire(&inner.residents, &inner.plan, &inner.control),
        }
    }

    /// Which terminal guards which door.
    pub fn plan(&self) -> BuildingPlan {
        self.inner.plan.wire(self.inner.config.clock)
    }

    /// The enrolment photo (JPEG) of person `id`.
    pub fn photo(&self, id: i64) -> Option<Arc<Vec<u8>>> {
        let index = self
            .inner
            .residents
            .iter()
            .position(|r| r.person.user_id == id)?;
        Some(self.inner.photo_of(index))
    }

    /// How far the walk has come, and every change of it.
    pub fn progress(&self) -> watch::Receiver<Progress> {
        self.inner.progress.subscribe()
    }
}
