//! The probes at the edges and beyond: the largest and smallest events, unknown fields
//! and types, bad bodies, a probe rebuilt by name, and the load phase's events.

use super::*;

impl Factory {
    /// A record whose snapshot makes the body at least [`LARGE_BODY_BYTES`].
    pub fn large(&self) -> Arc<Probe> {
        let mut event = self.known(61);
        let jpeg = STANDARD.decode(&event.rgb_image).unwrap_or_default();
        event.rgb_image = STANDARD.encode(pad_jpeg(&jpeg, LARGE_BODY_BYTES / 4 * 3 + 16 * 1024));
        Probe::of("large-snapshot", &event)
    }

    /// The smallest valid record: unclassified face, no user, zero scores, mask detection
    /// off, face mode, and a 16×16 snapshot.
    pub fn smallest(&self) -> Arc<Probe> {
        let cfg = SynthConfig {
            seed: self.seed,
            status_mix: StatusMix::only(RecognizeStatus::Unknown),
            mask_detection: false,
            width: 16,
            height: 16,
            quality: 10,
            people: 1,
            api: self.api,
            ..SynthConfig::default()
        };
        let generator = Generator::new(&cfg, self.sn.clone());
        let draw = generator.draw(62);
        let jpeg = generator.snapshot(&draw);
        let mut event = generator.record(&draw, STANDARD.encode(jpeg), self.base_timestamp + 62);
        own_uuid(&generator, 62, &mut event);
        event.recognize_score = 0.0;
        event.liveness_score = event.liveness_score.map(|_| 0.0);
        event.pass = false;
        event.user = None;
        Probe::of("smallest-record", &event)
    }

    /// A valid record with extra fields at every level.
    pub fn unknown_fields(&self) -> Arc<Probe> {
        let mut value = to_value(&self.known(70));
        add_extras(&mut value);
        if let Some(data) = value.get_mut(field::DATA) {
            add_extras(data);
            if let Some(user) = data.get_mut(field::USER) {
                add_extras(user);
            }
        }
        Probe::event("unknown-fields", &value)
    }

    /// An event of the first `type` the version does not define (1 before 1.3, 2 from
    /// 1.3), carrying an alarm raised as 1.3 firmware sends it: what the next firmware
    /// may push to a receiver written for this one.
    pub fn other_type(&self) -> Arc<Probe> {
        let kind = unknown_event_type(self.profile());
        let generator = &self.generators[&RecognizeStatus::InLibrary];
        let alarm = generator.alarm_event(&AlarmDraw::raised(71), self.base_timestamp + 71);
        let mut value = serde_json::to_value(alarm).unwrap_or(Value::Null);
        if let Value::Object(top) = &mut value {
            top.insert(field::TYPE.into(), Value::from(kind));
        }
        let mut probe = Probe::event(format!("type-{kind}"), &value);
        Arc::make_mut(&mut probe).valid = false;
        probe
    }

    /// A valid event cut off in the middle: not JSON.
    pub fn malformed(&self) -> Arc<Probe> {
        let body = serde_json::to_vec(&self.known(80)).unwrap_or_default();
        Probe::other(
            "malformed-json",
            Some(JSON),
            body[..body.len() / 2].to_vec(),
        )
    }

    /// An empty body labelled JSON.
    pub fn empty(&self) -> Arc<Probe> {
        Probe::other("empty-body", Some(JSON), Vec::new())
    }

    /// A valid event labelled as plain text.
    pub fn mislabelled(&self) -> Arc<Probe> {
        let body = serde_json::to_vec(&self.known(81)).unwrap_or_default();
        Probe::other("wrong-content-type", Some(WRONG_CONTENT_TYPE), body)
    }

    /// The request of this name among those the run sends one of (the load phase's and
    /// the liveness probes excepted), for `facecert body`.
    pub fn named(&self, name: &str) -> Option<Arc<Probe>> {
        let mut all = vec![
            self.baseline(),
            self.user_absent(),
            self.user_null(),
            self.long_name(),
            self.large(),
            self.smallest(),
            self.unknown_fields(),
            self.other_type(),
            self.malformed(),
            self.empty(),
            self.mislabelled(),
            self.huge(),
        ];
        all.extend(self.bare());
        all.extend(self.outcomes());
        all.extend(self.masks());
        all.extend(self.entry_modes());
        all.extend(self.abnormal_types());
        all.extend(self.text_user_ids());
        all.extend(self.groups());
        all.extend(self.alarms());
        all.extend(self.redelivery());
        all.extend(self.modes());
        all.extend(self.non_ascii_names());
        all.into_iter().find(|p| p.name == name)
    }

    /// A syntactically valid event of [`HUGE_BODY_BYTES`], its snapshot padded.
    pub fn huge(&self) -> Arc<Probe> {
        let mut event = self.known(82);
        let jpeg = STANDARD.decode(&event.rgb_image).unwrap_or_default();
        event.rgb_image = STANDARD.encode(pad_jpeg(&jpeg, HUGE_BODY_BYTES / 4 * 3));
        let mut probe = Probe::of("huge-body", &event);
        Arc::make_mut(&mut probe).valid = false;
        probe
    }

    /// The load phase's events: `count` records spread over `devices` terminals, each
    /// with its own serial number, in the default status mix.
    pub fn load(&self, count: usize, devices: usize) -> Vec<Arc<Probe>> {
        let devices = devices.max(1);
        let generators: Vec<Generator> = (0..devices)
            .map(|d| {
                // Alarms stay out of the load phase: it measures records, and R-14 covers
                // alarms.
                let cfg = SynthConfig {
                    seed: self.seed,
                    api: self.api,
                    alarm_share: Some(0.0),
                    ..SynthConfig::default()
                };
                Generator::new(
                    &cfg,
                    device_sn(self.seed, u32::try_from(d + 1).unwrap_or(u32::MAX)),
                )
            })
            .collect();
        (0..count)
            .map(|i| {
                let generator = &generators[i % devices];
                let seq = 1000 + (i / devices) as u64;
                let event = event_from(generator, &self.pool, self.seed, seq, self.base_timestamp);
                Probe::of(format!("load-{:04}", i + 1), &event)
            })
            .collect()
    }
}
