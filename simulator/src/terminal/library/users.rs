//! Users: validation against the documented limits, upsert, update, delete, search,
//! pages and batches, and the feature blob derived from an avatar.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::state::{
    Library, LibraryError, MAX_AVATAR_BYTES, MAX_FEATURE_BYTES, State, Stored, digest_hex, invalid,
    io,
};
use std::sync::Arc;

use super::{batch, ids};
use crate::profile::PersonKind;
use crate::synth::avatar::Enrolled;
use crate::synth::quality::FaceError;
use crate::wire::{BatchErrors, IdList, Page, SearchRequest, UserInput, UserOutput};

/// Longest card, ID-card, staff number and PIN, in bytes.
pub const MAX_NUMBER_BYTES: usize = 128;
/// Longest remark, in bytes.
pub const MAX_REMARK_BYTES: usize = 256;

/// The feature blob of the face in a photo, shaped like the vendor's: a 12-byte header
/// (u32 LE 42200, 0, the total length 1036) and the face's 256 little-endian f32 of unit
/// length (`signature::feature`, the likeness signature projected), base64. The AI route
/// `/v1/ai/feature` answers exactly this for the same photo.
///
/// # Errors
/// [`FaceError`] when the photo has no enrollable face.
pub fn derive_feature(photo: &[u8]) -> Result<String, FaceError> {
    let values = crate::synth::signature::feature(photo)?;
    let len = 12 + 4 * values.len() as u32;
    let mut blob = Vec::with_capacity(len as usize);
    for word in [42_200u32, 0, len] {
        blob.extend_from_slice(&word.to_le_bytes());
    }
    for v in values {
        blob.extend_from_slice(&v.to_le_bytes());
    }
    Ok(STANDARD.encode(blob))
}

fn check_len(value: &str, what: &str, max: usize) -> Result<(), LibraryError> {
    if value.len() > max {
        return Err(invalid(format!(
            "{what} is {} bytes; at most {max} are allowed",
            value.len()
        )));
    }
    Ok(())
}

/// Decodes and checks an avatar: base64 of a JPEG or PNG of at most 10 MB.
fn check_avatar(avatar: &str) -> Result<Vec<u8>, LibraryError> {
    if avatar.len() > MAX_AVATAR_BYTES / 3 * 4 + 4 {
        return Err(invalid("avatar is larger than 10 MB"));
    }
    let bytes = STANDARD
        .decode(avatar)
        .map_err(|e| invalid(format!("avatar is not base64: {e}")))?;
    if bytes.len() > MAX_AVATAR_BYTES {
        return Err(invalid("avatar is larger than 10 MB"));
    }
    let jpeg = bytes.starts_with(&[0xff, 0xd8, 0xff]);
    let png = bytes.starts_with(b"\x89PNG\r\n\x1a\n");
    if !jpeg && !png {
        return Err(invalid("avatar is neither a JPEG nor a PNG image"));
    }
    Ok(bytes)
}

fn check_feature(feature: &str) -> Result<(), LibraryError> {
    let bytes = STANDARD
        .decode(feature)
        .map_err(|e| invalid(format!("feature is not base64: {e}")))?;
    if bytes.len() < 12 || bytes.len() > MAX_FEATURE_BYTES {
        return Err(invalid(format!(
            "feature is {} bytes; a feature blob has 12 to {MAX_FEATURE_BYTES}",
            bytes.len()
        )));
    }
    Ok(())
}

/// What to do with the stored face.
enum Face {
    Keep,
    Remove,
    /// The avatar's base64 and the feature derived from it.
    Set(String, String),
}

impl Library {
    /// A stored user as the version answers it, with `avatar` as given.
    fn render_user(&self, user: &UserOutput, avatar: String) -> UserOutput {
        let p = self.profile;
        UserOutput {
            user_id: ids::render(&ids::text(&user.user_id), p),
            groups: user
                .groups
                .iter()
                .map(|g| ids::render(&ids::text(g), p))
                .collect(),
            avatar,
            ..user.clone()
        }
    }

    fn read_avatar(&self, stored: &Stored) -> Result<String, LibraryError> {
        let Some(file) = &stored.avatar_file else {
            return Ok(String::new());
        };
        let path = self.avatar_path(file);
        std::fs::read_to_string(&path).map_err(|e| LibraryError::Store(io(&path)(e)))
    }

    /// Validates `input` for user `id` (new when `existing` is `None`), writes it and
    /// updates the state; the stored user without its avatar.
    fn apply_user(
        &self,
        state: &mut State,
        id: String,
        input: &UserInput,
    ) -> Result<UserOutput, LibraryError> {
        let p = self.profile;
        let existing = state.users.get(&id).cloned();
        let name = match (&input.name, &existing) {
            (Some(name), _) => name.clone(),
            (None, Some(old)) => old.user.name.clone(),
            (None, None) => return Err(invalid("name is required")),
        };
        if name.is_empty() || name.len() > p.max_name_bytes {
            return Err(invalid(format!(
                "name must be 1 to {} bytes under API {}, got {}",
                p.max_name_bytes,
                p.name,
                name.len()
            )));
        }
        // The type is fixed at creation; an update's is ignored, as the guide says.
        let kind = match &existing {
            Some(old) => old.user.kind,
            None => {
                let kind = input.kind.unwrap_or(1);
                if p.person_kind(kind).is_none() {
                    return Err(invalid(format!(
                        "type {kind} is not a user type of API {}; use 1 (employee), 2 (visitor) or {} (blacklist)",
                        p.name,
                        p.blacklist_type.unwrap_or(1)
                    )));
                }
                kind
            }
        };
        let text = |given: &Option<String>, old: Option<&String>, what: &str, max: usize| {
            let value = given.clone().or_else(|| old.cloned()).unwrap_or_default();
            check_len(&value, what, max).map(|()| value)
        };
        let old = existing.as_ref().map(|s| &s.user);
        let ic_number = text(
            &input.ic_number,
            old.map(|u| &u.ic_number),
            "ic_number",
            MAX_NUMBER_BYTES,
        )?;
        let id_number = text(
            &input.id_number,
            old.map(|u| &u.id_number),
            "id_number",
            MAX_NUMBER_BYTES,
        )?;
        let job_number = text(
            &input.job_number,
            old.map(|u| &u.job_number),
            "job_number",
            MAX_NUMBER_BYTES,
        )?;
        let pin = text(&input.pin, old.map(|u| &u.pin), "pin", MAX_NUMBER_BYTES)?;
        let remark = text(
            &input.remark,
            old.map(|u| &u.remark),
            "remark",
            MAX_REMARK_BYTES,
        )?;
        let guest_time_start = input
            .guest_time_start
            .or(old.map(|u| u.guest_time_start))
            .unwrap_or(0);
        let guest_time_end = input
            .guest_time_end
            .or(old.map(|u| u.guest_time_end))
            .unwrap_or(0);
        if guest_time_start < 0 || guest_time_end < 0 {
            return Err(invalid(
                "guest_time_start and guest_time_end are Unix ms, not negative",
            ));
        }
        if guest_time_start > 0 && guest_time_end > 0 && guest_time_end < guest_time_start {
            return Err(invalid("guest_time_end is before guest_time_start"));
        }
        let groups = match &input.groups {
            None => old.map(|u| u.groups.clone()).unwrap_or_default(),
            Some(list) => {
                if list.len() > super::state::MAX_GROUPS {
                    return Err(invalid(format!(
                        "groups lists {} groups; the library holds at most {}",
                        list.len(),
                        super::state::MAX_GROUPS
                    )));
                }
                let mut out: Vec<String> = Vec::with_capacity(list.len());
                let mut blacklist = None;
                for value in list {
                    let gid = ids::parse(Some(value), "groups[]", p).map_err(invalid)?;
                    let Some(group) = state.groups.iter().find(|g| ids::text(&g.group_id) == gid)
                    else {
                        return Err(invalid(format!("group {gid} does not exist")));
                    };
                    let black = p.person_kind(group.kind) == Some(PersonKind::Blacklisted);
                    if *blacklist.get_or_insert(black) != black {
                        return Err(invalid(
                            "a blacklist group cannot be combined with other groups",
                        ));
                    }
                    if !out.contains(&gid) {
                        out.push(gid);
                    }
                }
                out.into_iter().map(crate::wire::UserId::Text).collect()
            }
        };
        let face = match &input.avatar {
            None => Face::Keep,
            Some(None) => Face::Remove,
            Some(Some(a)) if a.is_empty() => Face::Remove,
            Some(Some(a)) => {
                let bytes = check_avatar(a)?;
                // The photo is analysed even when a feature is given: a photo without a
                // usable face is refused with the reason the quality route gives.
                let feature =
                    derive_feature(&bytes).map_err(|e| invalid(format!("avatar: {e}")))?;
                Face::Set(a.clone(), feature)
            }
        };
        let given_feature = match &input.feature {
            Some(Some(f)) if !f.is_empty() => {
                check_feature(f)?;
                Some(f.clone())
            }
            _ => None,
        };
        let old_feature = old.map(|u| u.feature.clone()).unwrap_or_default();
        // A given feature wins over the photo; otherwise a new photo makes a new one.
        let feature = match (&given_feature, &face) {
            (Some(f), _) => f.clone(),
            (None, Face::Set(_, derived)) => derived.clone(),
            (None, Face::Remove) => String::new(),
            (None, Face::Keep) => match &input.feature {
                Some(None) => String::new(),
                Some(Some(f)) if f.is_empty() => String::new(),
                _ => old_feature,
            },
        };
        let now = self.now_ms();
        let avatar_file = match &face {
            Face::Keep => existing.as_ref().and_then(|s| s.avatar_file.clone()),
            Face::Remove => None,
            Face::Set(text, _) => {
                let file = format!(
                    "{}-{}.b64",
                    digest_hex(id.as_bytes()),
                    &digest_hex(text.as_bytes())[..16]
                );
                super::state::write_file(&self.avatar_path(&file), text.as_bytes())?;
                Some(file)
            }
        };
        let user = UserOutput {
            user_id: crate::wire::UserId::Text(id.clone()),
            name,
            kind,
            avatar: String::new(),
            feature,
            ic_number,
            id_number,
            job_number,
            pin,
            guest_time_start,
            guest_time_end,
            groups,
            is_admin: input.is_admin.or(old.map(|u| u.is_admin)).unwrap_or(false),
            remark,
            create_at: old.map_or(now, |u| u.create_at),
            update_at: now,
        };
        let stored = Stored {
            user: user.clone(),
            avatar_file: avatar_file.clone(),
        };
        super::state::write_file(
            &self.user_path(&id),
            &serde_json::to_vec(&stored).unwrap_or_default(),
        )?;
        if let Some(old_file) = existing.as_ref().and_then(|s| s.avatar_file.as_ref())
            && avatar_file.as_ref() != Some(old_file)
        {
            let _ = std::fs::remove_file(self.avatar_path(old_file));
        }
        state.order.insert((user.create_at, id.clone()));
        state.users.insert(id, stored);
        state.view = None;
        Ok(user)
    }

    /// `POST /v1/user`: create, or update a known id (upsert since 1.2.1).
    ///
    /// # Errors
    /// [`LibraryError`]; nothing changes then.
    pub fn upsert_user(&self, input: &UserInput) -> Result<UserOutput, LibraryError> {
        let id = ids::parse(input.user_id.as_ref(), "user_id", self.profile).map_err(invalid)?;
        let mut state = self.lock();
        let user = self.apply_user(&mut state, id, input)?;
        let avatar = match &input.avatar {
            Some(Some(a)) => a.clone(),
            Some(None) => String::new(),
            None => self.read_avatar(&state.users[&ids::text(&user.user_id)])?,
        };
        Ok(self.render_user(&user, avatar))
    }

    /// `PUT /v1/user/id/{id}`: update a known user (`user_id` and `type` ignored).
    ///
    /// # Errors
    /// [`LibraryError::NotFound`] for an unknown id, else as [`upsert_user`](Self::upsert_user).
    pub fn put_user(&self, id: &str, input: &UserInput) -> Result<UserOutput, LibraryError> {
        let id = ids::parse_text(id, "user_id", self.profile).map_err(invalid)?;
        let mut state = self.lock();
        if !state.users.contains_key(&id) {
            return Err(LibraryError::NotFound(format!("no user {id}")));
        }
        let user = self.apply_user(&mut state, id.clone(), input)?;
        let avatar = self.read_avatar(&state.users[&id])?;
        Ok(self.render_user(&user, avatar))
    }

    /// `GET /v1/user/id/{id}`.
    ///
    /// # Errors
    /// [`LibraryError::NotFound`] for an unknown id.
    pub fn get_user(&self, id: &str) -> Result<UserOutput, LibraryError> {
        let id = ids::parse_text(id, "user_id", self.profile).map_err(invalid)?;
        let state = self.lock();
        let stored = state
            .users
            .get(&id)
            .ok_or_else(|| LibraryError::NotFound(format!("no user {id}")))?;
        Ok(self.render_user(&stored.user, self.read_avatar(stored)?))
    }

    /// The state of user `id`'s enrolled photo, when they have one: what their snapshots
    /// are derived from. Built once per photo (see `faces`).
    pub fn enrolled(&self, id: &str) -> Option<Arc<Enrolled>> {
        let id = ids::parse_text(id, "user_id", self.profile).ok()?;
        let file = self.lock().users.get(&id)?.avatar_file.clone()?;
        // The file is named `<user digest>-<content digest>.b64`: the content's part
        // names the photo, whoever it is enrolled for.
        let key = file
            .split_once('-')
            .map_or(file.as_str(), |(_, content)| content);
        super::faces::enrolled(key, || {
            let text = std::fs::read_to_string(self.avatar_path(&file)).ok()?;
            STANDARD.decode(text.trim()).ok()
        })
    }

    /// `DELETE /v1/user/id/{id}`.
    ///
    /// # Errors
    /// [`LibraryError::NotFound`] for an unknown id.
    pub fn delete_user(&self, id: &str) -> Result<(), LibraryError> {
        let id = ids::parse_text(id, "user_id", self.profile).map_err(invalid)?;
        let mut state = self.lock();
        if !state.users.contains_key(&id) {
            return Err(LibraryError::NotFound(format!("no user {id}")));
        }
        self.remove_user_files(&mut state, &id)?;
        state.view = None;
        Ok(())
    }

    /// `POST /v1/user/search`: one criterion by priority `name` (substring) >
    /// `ic_number` > `job_number` (exact); empty strings are not given; none given → no
    /// items. Results in creation order.
    pub fn search_users(&self, req: &SearchRequest) -> IdList {
        let given = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        let state = self.lock();
        let matches: Box<dyn Fn(&UserOutput) -> bool> = if let Some(name) = given(&req.name) {
            Box::new(move |u| u.name.contains(&name))
        } else if let Some(ic) = given(&req.ic_number) {
            Box::new(move |u| u.ic_number == ic)
        } else if let Some(job) = given(&req.job_number) {
            Box::new(move |u| u.job_number == job)
        } else {
            Box::new(|_| false)
        };
        IdList {
            items: state
                .order
                .iter()
                .filter_map(|(_, id)| state.users.get(id))
                .filter(|s| matches(&s.user))
                .map(|s| ids::render(&ids::text(&s.user.user_id), self.profile))
                .collect(),
        }
    }

    /// `GET /v1/user/offset/{offset}/limit/{limit}`: users in creation order, avatars
    /// included.
    ///
    /// # Errors
    /// [`LibraryError::Invalid`] beyond the documented bounds.
    pub fn page_users(&self, offset: u64, limit: u64) -> Result<Page<UserOutput>, LibraryError> {
        batch::check_page(offset, limit)?;
        let state = self.lock();
        let mut items = Vec::new();
        for (_, id) in state
            .order
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
        {
            let stored = &state.users[id];
            items.push(self.render_user(&stored.user, self.read_avatar(stored)?));
        }
        Ok(Page {
            offset,
            limit,
            count: items.len() as u64,
            total: state.users.len() as u64,
            items,
        })
    }

    /// `POST /v2/user`: each valid item upserted, the others listed in `errors`.
    ///
    /// # Errors
    /// [`LibraryError::Invalid`] for too many items; a failing disk stops the batch.
    pub fn batch_users(&self, items: &[Value]) -> Result<BatchErrors, LibraryError> {
        batch::upsert_each(items, "user_id", "user", |input: &UserInput| {
            self.upsert_user_quiet(input)
        })
    }

    fn upsert_user_quiet(&self, input: &UserInput) -> Result<(), LibraryError> {
        let id = ids::parse(input.user_id.as_ref(), "user_id", self.profile).map_err(invalid)?;
        let mut state = self.lock();
        self.apply_user(&mut state, id, input).map(|_| ())
    }

    /// `DELETE /v2/user`: each known id deleted, the others listed in `errors`.
    ///
    /// # Errors
    /// [`LibraryError::Invalid`] for too many ids; a failing disk stops the batch.
    pub fn delete_users(&self, list: &[Value]) -> Result<BatchErrors, LibraryError> {
        batch::delete_each(list, self.profile, |id| self.delete_user(id))
    }
}
