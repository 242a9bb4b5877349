//! `--enrol`: the building's people written into every door terminal's library before
//! the day begins, as a platform enrols them through `/v1/user`: each employee and
//! visitor with their user id, name and type as the terminal's API version has them and
//! their enrolment photo as the avatar. Strangers are nobody's to enrol.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::model::Building;
use crate::fleet::Members;
use crate::synth::{Generator, SynthConfig};
use crate::wire::{Occupation, UserInput};

impl Building {
    /// Enrols every employee and visitor on every terminal of `members` that is up (a
    /// user already in a library, from an earlier start, is left as it is), and returns
    /// how many users were written. A user a library refuses is logged and skipped.
    pub async fn enrol(&self, members: &Members) -> u64 {
        let building = self.clone();
        let members = members.clone();
        // Photos are drawn (milliseconds each) and libraries written to disk: off the
        // threads that serve.
        let written = tokio::task::spawn_blocking(move || building.enrol_now(&members)).await;
        let written = written.unwrap_or_default();
        self.inner
            .progress
            .send_modify(|p| p.enrolled = Some(written));
        written
    }

    fn enrol_now(&self, members: &Members) -> u64 {
        let inner = &self.inner;
        let avatars: Vec<Option<String>> = (0..inner.residents.len())
            .map(|i| {
                (inner.residents[i].occupation != Occupation::Stranger)
                    .then(|| STANDARD.encode(&*inner.photo_of(i)))
            })
            .collect();
        let mut written = 0;
        for door in &inner.plan.doors {
            let Some(device) = members.device(&door.sn) else {
                tracing::warn!(sn = door.sn, "terminal not up: its people are not enrolled");
                continue;
            };
            let config = SynthConfig {
                api: device.api(),
                people: 1,
                ..inner.synth.clone()
            };
            let users = Generator::new(&config, door.sn.clone());
            let library = device.library();
            for (resident, avatar) in inner.residents.iter().zip(&avatars) {
                let Some(avatar) = avatar else {
                    continue;
                };
                let user = users.user_of(&resident.person, device.now());
                if library.get_user(&user.user_id.to_string()).is_ok() {
                    continue;
                }
                let input = UserInput {
                    user_id: serde_json::to_value(&user.user_id).ok(),
                    name: Some(user.name.clone()),
                    kind: Some(user.kind),
                    avatar: Some(Some(avatar.clone())),
                    ..UserInput::default()
                };
                match library.upsert_user(&input) {
                    Ok(_) => written += 1,
                    Err(e) => {
                        tracing::warn!(sn = door.sn, user = %user.user_id, error = %e, "person not enrolled");
                    }
                }
            }
        }
        tracing::info!(
            users = written,
            "building's people enrolled on every terminal"
        );
        written
    }
}
