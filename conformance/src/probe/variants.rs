//! The record variants a receiver must take like the baseline: every status,
//! recognition type, outcome, entry mode, abnormal type, text id, group, alarm, mask,
//! mode and name the API version allows.

use super::*;

impl Factory {
    /// One record per `recognizeStatus`.
    pub fn statuses(&self) -> Vec<Arc<Probe>> {
        RecognizeStatus::ALL
            .iter()
            .map(|&s| self.status(s))
            .collect()
    }

    /// A record of this `recognitionType` (API 1.1 on), consistent with it: strangers and
    /// non-live faces without a user, a blacklisted person with the version's blacklist
    /// type and no pass.
    pub fn recognition(&self, kind: RecognitionType) -> Arc<Probe> {
        let seq = SEQ_OUTCOMES + 10 + u64::from(kind.code());
        let person = match kind {
            RecognitionType::Stranger => None,
            RecognitionType::NonLiveness => None,
            RecognitionType::Employee => Some(PersonKind::Employee),
            RecognitionType::Visitor => Some(PersonKind::Visitor),
            RecognitionType::Blacklisted => Some(PersonKind::Blacklisted),
        };
        let mut record = match (kind, person) {
            (RecognitionType::NonLiveness, _) => self.event(RecognizeStatus::NonLiveness, seq),
            (_, None) => self.event(RecognizeStatus::Stranger, seq),
            (_, Some(_)) => self.known(seq),
        };
        record.recognition_type = Some(kind);
        if let (Some(user), Some(person)) = (record.user.as_mut(), person) {
            user.kind = self.profile().user_type(person).unwrap_or(user.kind);
        }
        if person == Some(PersonKind::Blacklisted) {
            record.pass = false;
        }
        Probe::of(format!("recognition-type-{}", kind.code()), &record)
    }

    /// One record per recognition outcome the version defines: every
    /// `recognizeStatus` where records carry it, else every `recognitionType`.
    pub fn outcomes(&self) -> Vec<Arc<Probe>> {
        if self.profile().recognize_status {
            self.statuses()
        } else {
            RecognitionType::ALL
                .iter()
                .map(|&k| self.recognition(k))
                .collect()
        }
    }

    /// One record per `entry_mode`.
    pub fn entry_modes(&self) -> Vec<Arc<Probe>> {
        ENTRY_MODES
            .map(|m| {
                let mut record = self.known(SEQ_ENTRY + u64::from(m));
                // Only where the version has the field: every probe is a record of it.
                record.entry_mode = record.entry_mode.map(|_| m);
                Probe::of(format!("entry-mode-{m}"), &record)
            })
            .collect()
    }

    /// One record per `abnormal_type`; an anomaly means no pass.
    pub fn abnormal_types(&self) -> Vec<Arc<Probe>> {
        ABNORMAL_TYPES
            .iter()
            .zip(SEQ_ABNORMAL..)
            .map(|(&code, seq)| {
                let mut record = self.known(seq);
                record.abnormal_type = record.abnormal_type.map(|_| code);
                if code != 0 {
                    record.pass = false;
                }
                Probe::of(format!("abnormal-type-{code}"), &record)
            })
            .collect()
    }

    /// Records whose `user_id` is a non-numeric string.
    pub fn text_user_ids(&self) -> Vec<Arc<Probe>> {
        TEXT_USER_IDS
            .iter()
            .zip(SEQ_USER_IDS..)
            .enumerate()
            .map(|(i, (id, seq))| {
                let mut record = self.known(seq);
                if let Some(UserId::Text(text)) = record.user.as_mut().map(|u| &mut u.user_id) {
                    *text = (*id).to_string();
                }
                Probe::of(format!("user-id-text-{}", i + 1), &record)
            })
            .collect()
    }

    /// A user with no groups and one with several.
    pub fn groups(&self) -> Vec<Arc<Probe>> {
        let sets: [(&str, Vec<Group>); 2] = [
            ("groups-empty", Vec::new()),
            (
                "groups-several",
                vec![
                    Group {
                        id: "1".into(),
                        name: "Staff".into(),
                    },
                    Group {
                        id: "g-7f3a".into(),
                        name: "研发部".into(),
                    },
                    Group {
                        id: "12".into(),
                        name: "Night shift".into(),
                    },
                ],
            ),
        ];
        sets.into_iter()
            .zip(SEQ_GROUPS..)
            .map(|((name, groups), seq)| {
                let mut record = self.known(seq);
                if let Some(slot) = record.user.as_mut().and_then(|u| u.groups.as_mut()) {
                    *slot = groups;
                }
                Probe::of(name, &record)
            })
            .collect()
    }

    /// Alarms of every code raised, and cleared or failing to clear, each clear once with
    /// its `code` and once without.
    pub fn alarms(&self) -> Vec<Arc<Probe>> {
        let generator = &self.generators[&RecognizeStatus::InLibrary];
        let mut out = Vec::new();
        for (i, &code) in AlarmCode::ALL.iter().enumerate() {
            let raised_at = 600 + 10 * i as u64;
            let mut variants = vec![(AlarmStatus::Raised, true)];
            for &status in &[AlarmStatus::ClearFailed, AlarmStatus::Cleared] {
                variants.push((status, true));
                variants.push((status, false));
            }
            for (k, (status, with_code)) in variants.into_iter().enumerate() {
                let seq = raised_at + k as u64;
                let alarm = AlarmDraw {
                    seq,
                    code,
                    status,
                    with_code,
                    raised_at,
                    millis: (seq * 37 % 1000) as u16,
                };
                let timestamp = self.base_timestamp + i64::try_from(seq).unwrap_or(0);
                let event = generator.alarm_event(&alarm, timestamp);
                let name = format!(
                    "alarm-{}-status-{}{}",
                    code.code(),
                    status.code(),
                    if with_code { "" } else { "-no-code" }
                );
                let mut probe = Probe::event(name, &event);
                Arc::make_mut(&mut probe).valid = false;
                out.push(probe);
            }
        }
        out
    }

    /// A record and its redelivery: the same bytes, the same `uuid`.
    pub fn redelivery(&self) -> Vec<Arc<Probe>> {
        let first = Probe::of("redelivery-first", &self.known(SEQ_REDELIVERY));
        let mut again = (*first).clone();
        again.name = "redelivery-again".into();
        vec![first, Arc::new(again)]
    }

    /// A plain record sent without the identity headers, and another with them (T-07,
    /// when the baseline was refused).
    pub fn bare(&self) -> [Arc<Probe>; 2] {
        let mut without = Probe::of("without-identity-headers", &self.known(SEQ_BARE));
        // Not what the version's firmware sends, so never a stand-in for the baseline: a
        // receiver that refuses the headers refuses every real push.
        let bare = Arc::make_mut(&mut without);
        bare.identity = false;
        bare.valid = false;
        let with = Probe::of("with-identity-headers", &self.known(SEQ_BARE + 1));
        [without, with]
    }

    /// One record per `mask` value.
    pub fn masks(&self) -> Vec<Arc<Probe>> {
        Mask::ALL
            .iter()
            .map(|&m| {
                let mut event = self.known(20 + u64::from(m.code()));
                event.mask = m;
                Probe::of(format!("mask-{}", m.code()), &event)
            })
            .collect()
    }

    /// One record per `mode` the version defines.
    pub fn modes(&self) -> Vec<Arc<Probe>> {
        self.profile()
            .modes
            .clone()
            .filter_map(|m| Mode::try_from(m).ok())
            .map(|m| {
                let mut event = self.known(30 + u64::from(m.code()));
                event.mode = m;
                Probe::of(format!("mode-{}", m.code()), &event)
            })
            .collect()
    }

    /// A stranger's record, which has no `user`.
    pub fn user_absent(&self) -> Arc<Probe> {
        Probe::of("user-absent", &self.event(RecognizeStatus::Stranger, 40))
    }

    /// A stranger's record with an explicit `"user": null`.
    pub fn user_null(&self) -> Arc<Probe> {
        let event = Event::record(self.event(RecognizeStatus::Stranger, 41));
        let overrides = Map::from_iter([(field::USER.to_string(), Value::Null)]);
        Probe::event("user-null", &wire::apply_overrides(&event, &overrides))
    }

    /// Records whose users have non-ASCII names.
    pub fn non_ascii_names(&self) -> Vec<Arc<Probe>> {
        NON_ASCII_NAMES
            .iter()
            .zip(50..)
            .enumerate()
            .map(|(i, (name, seq))| {
                let mut event = self.known(seq);
                set_name(&mut event, name);
                Probe::of(format!("name-{}", i + 1), &event)
            })
            .collect()
    }

    /// A record whose user's name is exactly the version's byte limit.
    pub fn long_name(&self) -> Arc<Probe> {
        let limit = self.profile().max_name_bytes;
        let mut event = self.known(60);
        let words = [
            "Maximilian",
            "Alexander",
            "Wolfgang",
            "Bartholomew",
            "Theodore",
        ];
        let mut name = String::new();
        for word in words.iter().cycle() {
            if name.len() >= limit {
                break;
            }
            if !name.is_empty() {
                name.push(' ');
            }
            name.push_str(word);
        }
        name.truncate(limit);
        // A name ending in a space would look trimmed by accident; end on a letter.
        name.replace_range(limit - 1.., "z");
        set_name(&mut event, &name);
        Probe::of(format!("name-{limit}-bytes"), &event)
    }
}
