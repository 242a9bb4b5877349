//! A draw rendered as the record of the configured API version: the fields that version
//! has, its codes, and the user's details it reports.

use super::face::{Look, Region};
use super::scene::Shot;
use super::*;
use crate::profile::{PersonKind, UserIds};
use crate::seed::{Domain, splitmix64};
use crate::wire::{
    Alarm, AlarmCode, AlarmStatus, Event, Group, Mask, Mode, RecognitionType, RecognizeStatus,
    Record, User, UserId,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::SeedableRng;
use rand::rngs::StdRng;

impl Generator {
    /// Builds the wire event from a draw and the base64 of its snapshot, with the fields
    /// of the configured API version.
    pub fn event(&self, draw: &Draw, rgb_image_b64: String, timestamp: i64) -> Event {
        Event::record(self.record(draw, rgb_image_b64, timestamp))
    }

    /// The recognition record of [`Generator::event`].
    pub fn record(&self, draw: &Draw, rgb_image_b64: String, timestamp: i64) -> Record {
        let mut record = Record {
            recognize_status: None,
            recognition_type: None,
            device_sn: String::new(),
            uuid: None,
            recognize_score: 0.0,
            liveness_score: None,
            mask: Mask::NotEnabled,
            rgb_image: rgb_image_b64,
            pass: false,
            mode: Mode::FACE,
            user: None,
            timestamp,
            body_temperature: None,
            entry_mode: None,
            abnormal_type: None,
        };
        self.fill_record(draw, timestamp, &mut record, &mut None);
        record
    }

    /// `person` as this generator's API version reports them in a record's `user`: for
    /// people who are not of this device's own population (a building's, whose people
    /// pass many terminals).
    pub fn user_of(&self, person: &Person, timestamp: i64) -> User {
        let mut user = User::basic(String::new(), UserId::Int(0), 0);
        self.fill_user(person, timestamp, &mut user);
        user
    }

    /// Fills `user` with `person` as the API version reports them, reusing its strings.
    fn fill_user(&self, person: &Person, timestamp: i64, user: &mut User) {
        let profile = self.cfg.api.profile();
        let details = &person.details;
        user.kind = profile
            .user_type(person.kind)
            .or_else(|| profile.user_type(PersonKind::Employee))
            .unwrap_or(1);
        user.user_id = match (
            profile.user_ids,
            std::mem::replace(&mut user.user_id, UserId::Int(0)),
        ) {
            (UserIds::Integer(max), _) => UserId::Int(person.user_id.clamp(1, max - 1)),
            (UserIds::Text, UserId::Text(mut text)) => {
                text.clear();
                text.push_str(&details.uuid);
                UserId::Text(text)
            }
            (UserIds::Text, UserId::Int(_)) => UserId::Text(details.uuid.clone()),
        };
        user.name.clear();
        user.name
            .push_str(truncate_at_char(&person.name, profile.max_name_bytes));
        let set = |slot: &mut Option<String>, on: bool, value: &str| {
            *slot = on.then(|| value.to_string());
        };
        set(
            &mut user.ic_number,
            profile.card_numbers,
            &details.ic_number,
        );
        set(
            &mut user.job_number,
            profile.card_numbers,
            &details.job_number,
        );
        set(&mut user.id_number, profile.record_ids, &details.id_number);
        set(&mut user.remark, profile.record_ids, &details.remark);
        set(&mut user.pin, profile.entry_details, "");
        const DAY_MS: i64 = 86_400_000;
        let today = timestamp.div_euclid(86_400) * DAY_MS;
        let (start, end) = details.guest_days.map_or((0, 0), |(from, to)| {
            (today + from * DAY_MS, today + (to + 1) * DAY_MS - 1)
        });
        user.guest_time_start = profile.record_ids.then_some(start);
        user.guest_time_end = profile.record_ids.then_some(end);
        user.groups = profile.record_ids.then(|| {
            details
                .groups
                .iter()
                .map(|&g| Group {
                    id: people::GROUPS[g].0.into(),
                    name: people::GROUPS[g].1.into(),
                })
                .collect()
        });
    }

    /// The picture of a raised tamper or forced-door alarm (who stood at the terminal),
    /// small and seeded by the alarm; other alarms and clears carry none, which the guide
    /// allows.
    fn alarm_photo(&self, alarm: &AlarmDraw) -> Option<String> {
        let pictured = alarm.status == AlarmStatus::Raised
            && matches!(alarm.code, AlarmCode::Tamper | AlarmCode::ForcedOpen);
        if !pictured {
            return None;
        }
        let mut rng = StdRng::seed_from_u64(splitmix64(
            self.device_seed ^ Domain::Alarm.salt() ^ !alarm.seq,
        ));
        let look = Look::random(&mut rng, Region::Anywhere);
        let shot = Shot::random(&mut rng, self.backdrop);
        let (w, h) = (160, 120);
        let rgb = face::render(&look, &shot, w, h);
        let comment = jpeg::trace_comment(&self.sn, alarm.seq);
        Some(STANDARD.encode(jpeg::encode(&rgb, w, h, 75, &comment)))
    }

    /// The `uuid` of record `seq`: a UUID (version 4 layout) drawn from `(seed, sn, seq)`,
    /// so that the same record always has the same one.
    pub fn record_uuid(&self, seq: u64) -> String {
        let a = splitmix64(self.device_seed ^ Domain::Uuid.salt() ^ seq.rotate_left(17));
        uuid_v4(a, splitmix64(a ^ seq))
    }

    /// The wire event of an alarm drawn for a record made at `timestamp` (Unix seconds).
    pub fn alarm_event(&self, alarm: &AlarmDraw, timestamp: i64) -> Event {
        let event_time = timestamp * 1000 + i64::from(alarm.millis);
        let suffix: String = {
            const ALNUM: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
            let mut h = splitmix64(self.device_seed ^ alarm.raised_at);
            (0..6)
                .map(|_| {
                    h = splitmix64(h);
                    char::from(ALNUM[(h % ALNUM.len() as u64) as usize])
                })
                .collect()
        };
        let description = match alarm.code {
            AlarmCode::Tamper => "device tamper",
            AlarmCode::ForcedOpen => "door forced open",
            AlarmCode::DoorSensorTimeout => "door left open",
            AlarmCode::PasswordAttack => "too many wrong passwords",
            AlarmCode::Fire => "fire alarm",
        };
        // The guide's example id is a prefix, 13 digits, 3 digits and 6 characters; the
        // 13 digits look like a time in milliseconds. A clear must carry its raise's id,
        // so the digits are drawn from the alarm (the raise's record number), not taken
        // from this event's time.
        let stamp = 1_600_000_000_000
            + splitmix64(self.device_seed ^ Domain::Alarm.salt() ^ alarm.raised_at)
                % 100_000_000_000;
        Event::alarm(Alarm {
            trace_id: format!("SPX-{:013}-{:03}-{suffix}", stamp, alarm.raised_at % 1000),
            description: Some(description.into()),
            code: alarm.with_code.then_some(alarm.code),
            user_id: None,
            event_time,
            status: alarm.status,
            alarm_photo: self.alarm_photo(alarm),
        })
    }

    /// Rewrites `event` into [`event`](Self::event)`(draw, <its rgb_image>, timestamp)`,
    /// reusing the strings it already holds, so that a load generator refilling one event
    /// per worker allocates nothing per event once the buffers have grown. `spare` keeps
    /// the `user` of a record that has none, for the next record that has one.
    pub fn fill_event(
        &self,
        draw: &Draw,
        timestamp: i64,
        event: &mut Event,
        spare: &mut Option<User>,
    ) {
        event.kind = crate::wire::EVENT_TYPE_RECOGNITION;
        match event.as_record_mut() {
            Some(record) => self.fill_record(draw, timestamp, record, spare),
            None => *event = self.event(draw, String::new(), timestamp),
        }
    }

    /// Fills `record` from a draw, as [`Generator::fill_event`] does.
    fn fill_record(
        &self,
        draw: &Draw,
        timestamp: i64,
        record: &mut Record,
        spare: &mut Option<User>,
    ) {
        let profile = self.cfg.api.profile();
        let person = draw
            .person
            .filter(|_| draw.status.has_user())
            .and_then(|i| self.population().get(i));
        record.recognize_status = profile.recognize_status.then_some(draw.status);
        let seen = match (draw.status, person) {
            (RecognizeStatus::NonLiveness, _) => RecognitionType::NonLiveness,
            (_, None) => RecognitionType::Stranger,
            (_, Some(p)) => match p.kind {
                PersonKind::Employee => RecognitionType::Employee,
                PersonKind::Visitor => RecognitionType::Visitor,
                PersonKind::Blacklisted => RecognitionType::Blacklisted,
            },
        };
        record.recognition_type = profile.recognition_type.then_some(seen);
        record.device_sn.clear();
        record.device_sn.push_str(&self.sn);
        record.uuid = profile.record_ids.then(|| self.record_uuid(draw.seq));
        record.recognize_score = draw.recognize_score;
        record.liveness_score = profile.recognize_status.then_some(draw.liveness_score);
        record.mask = draw.mask;
        record.pass = draw.pass;
        record.mode = self.cfg.mode;
        record.timestamp = timestamp;
        record.body_temperature = profile.recognition_type.then_some(draw.temperature);
        record.entry_mode = profile.entry_details.then_some(draw.entry_mode);
        record.abnormal_type = profile.entry_details.then_some(draw.abnormal);
        match person {
            Some(p) => {
                let mut user = record
                    .user
                    .take()
                    .or_else(|| spare.take())
                    .unwrap_or_else(|| User::basic(String::new(), UserId::Int(0), 0));
                self.fill_user(p, timestamp, &mut user);
                record.user = Some(user);
            }
            None => {
                if let Some(user) = record.user.take() {
                    *spare = Some(user);
                }
            }
        }
    }
}
