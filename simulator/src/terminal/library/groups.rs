//! Groups: at most 256, unique names, an immutable type, one optional rule; deleting one
//! removes it from its users (whose `update_at` stays, as the guide's sync model needs
//! only the group's own change).

use serde_json::Value;

use super::state::{Library, LibraryError, MAX_GROUPS, MAX_NAME_BYTES, State, Stored, invalid};
use super::{batch, ids};
use crate::wire::{BatchErrors, GroupInput, GroupOutput, IdList, Page, UserId};

impl Library {
    fn render_group(&self, g: &GroupOutput) -> GroupOutput {
        let rule = ids::text(&g.rule_id);
        GroupOutput {
            group_id: ids::render(&ids::text(&g.group_id), self.profile),
            rule_id: if rule.is_empty() {
                ids::render_none(self.profile)
            } else {
                ids::render(&rule, self.profile)
            },
            ..g.clone()
        }
    }

    fn apply_group(
        &self,
        state: &mut State,
        id: String,
        input: &GroupInput,
        name_required: bool,
    ) -> Result<GroupOutput, LibraryError> {
        let p = self.profile;
        let index = state
            .groups
            .iter()
            .position(|g| ids::text(&g.group_id) == id);
        let old = index.map(|i| state.groups[i].clone());
        if old.is_none() && state.groups.len() >= MAX_GROUPS {
            return Err(invalid(format!(
                "the library holds at most {MAX_GROUPS} groups"
            )));
        }
        let name = match (&input.name, &old) {
            (Some(n), _) => n.clone(),
            (None, Some(o)) if !name_required => o.name.clone(),
            _ => return Err(invalid("name is required")),
        };
        if name.is_empty() || name.len() > MAX_NAME_BYTES {
            return Err(invalid(format!(
                "name must be 1 to {MAX_NAME_BYTES} bytes, got {}",
                name.len()
            )));
        }
        if state
            .groups
            .iter()
            .any(|g| g.name == name && ids::text(&g.group_id) != id)
        {
            return Err(invalid(format!("a group named {name:?} exists already")));
        }
        let kind = match &old {
            Some(o) => o.kind,
            None => {
                let kind = input.kind.unwrap_or(1);
                if p.person_kind(kind).is_none() {
                    return Err(invalid(format!(
                        "type {kind} is not a group type of API {}",
                        p.name
                    )));
                }
                kind
            }
        };
        let rule = match &input.rule_id {
            None => old
                .as_ref()
                .map(|o| ids::text(&o.rule_id))
                .unwrap_or_default(),
            Some(v) if ids::is_none_id(v.as_ref()) => String::new(),
            Some(v) => {
                let rid = ids::parse(v.as_ref(), "rule_id", p).map_err(invalid)?;
                if !state.rules.iter().any(|r| ids::text(&r.rule_id) == rid) {
                    return Err(invalid(format!("rule {rid} does not exist")));
                }
                rid
            }
        };
        let now = self.now_ms();
        let group = GroupOutput {
            group_id: UserId::Text(id),
            name,
            kind,
            rule_id: UserId::Text(rule),
            create_at: old.as_ref().map_or(now, |o| o.create_at),
            update_at: now,
        };
        let mut groups = state.groups.clone();
        match index {
            Some(i) => groups[i] = group.clone(),
            None => groups.push(group.clone()),
        }
        self.save_groups(&groups)?;
        state.groups = groups;
        state.view = None;
        Ok(group)
    }

    /// `POST /v1/group` (upsert).
    ///
    /// # Errors
    /// [`LibraryError`]; nothing changes then.
    pub fn upsert_group(&self, input: &GroupInput) -> Result<GroupOutput, LibraryError> {
        let id = ids::parse(input.group_id.as_ref(), "group_id", self.profile).map_err(invalid)?;
        let mut state = self.lock();
        let g = self.apply_group(&mut state, id, input, false)?;
        Ok(self.render_group(&g))
    }

    /// `PUT /v1/group/id/{id}`: `name` required, `rule_id` optional.
    ///
    /// # Errors
    /// [`LibraryError::NotFound`] for an unknown id.
    pub fn put_group(&self, id: &str, input: &GroupInput) -> Result<GroupOutput, LibraryError> {
        let id = ids::parse_text(id, "group_id", self.profile).map_err(invalid)?;
        let mut state = self.lock();
        if !state.groups.iter().any(|g| ids::text(&g.group_id) == id) {
            return Err(LibraryError::NotFound(format!("no group {id}")));
        }
        let g = self.apply_group(&mut state, id, input, true)?;
        Ok(self.render_group(&g))
    }

    /// `GET /v1/group/id/{id}`.
    ///
    /// # Errors
    /// [`LibraryError::NotFound`] for an unknown id.
    pub fn get_group(&self, id: &str) -> Result<GroupOutput, LibraryError> {
        let id = ids::parse_text(id, "group_id", self.profile).map_err(invalid)?;
        let state = self.lock();
        state
            .groups
            .iter()
            .find(|g| ids::text(&g.group_id) == id)
            .map(|g| self.render_group(g))
            .ok_or_else(|| LibraryError::NotFound(format!("no group {id}")))
    }

    /// `GET /v1/group/id/{id}/users`.
    ///
    /// # Errors
    /// [`LibraryError::NotFound`] for an unknown id.
    pub fn group_users(&self, id: &str) -> Result<IdList, LibraryError> {
        let id = ids::parse_text(id, "group_id", self.profile).map_err(invalid)?;
        let state = self.lock();
        if !state.groups.iter().any(|g| ids::text(&g.group_id) == id) {
            return Err(LibraryError::NotFound(format!("no group {id}")));
        }
        let items = state
            .order
            .iter()
            .filter_map(|(_, uid)| state.users.get(uid))
            .filter(|s| s.user.groups.iter().any(|g| ids::text(g) == id))
            .map(|s| ids::render(&ids::text(&s.user.user_id), self.profile))
            .collect();
        Ok(IdList { items })
    }

    /// `DELETE /v1/group/id/{id}`: the group leaves its users' lists.
    ///
    /// # Errors
    /// [`LibraryError::NotFound`] for an unknown id.
    pub fn delete_group(&self, id: &str) -> Result<(), LibraryError> {
        let id = ids::parse_text(id, "group_id", self.profile).map_err(invalid)?;
        let mut state = self.lock();
        let Some(index) = state
            .groups
            .iter()
            .position(|g| ids::text(&g.group_id) == id)
        else {
            return Err(LibraryError::NotFound(format!("no group {id}")));
        };
        let mut groups = state.groups.clone();
        groups.remove(index);
        self.save_groups(&groups)?;
        state.groups = groups;
        let members: Vec<String> = state
            .users
            .iter()
            .filter(|(_, s)| s.user.groups.iter().any(|g| ids::text(g) == id))
            .map(|(uid, _)| uid.clone())
            .collect();
        for uid in members {
            let mut stored: Stored = state.users[&uid].clone();
            stored.user.groups.retain(|g| ids::text(g) != id);
            super::state::write_file(
                &self.user_path(&uid),
                &serde_json::to_vec(&stored).unwrap_or_default(),
            )?;
            state.users.insert(uid, stored);
        }
        state.view = None;
        Ok(())
    }

    /// `POST /v1/group/search`: `name` substring; empty finds nothing.
    pub fn search_groups(&self, name: Option<&str>) -> IdList {
        let state = self.lock();
        batch::named(&state.groups, name, self.profile, |g| {
            (&g.name, &g.group_id)
        })
    }

    /// `GET /v1/group/offset/{offset}/limit/{limit}`.
    ///
    /// # Errors
    /// [`LibraryError::Invalid`] beyond the documented bounds.
    pub fn page_groups(&self, offset: u64, limit: u64) -> Result<Page<GroupOutput>, LibraryError> {
        let state = self.lock();
        batch::page(offset, limit, &state.groups, |x| self.render_group(x))
    }

    /// `POST /v2/group`.
    ///
    /// # Errors
    /// [`LibraryError::Invalid`] for too many items; a failing disk stops the batch.
    pub fn batch_groups(&self, items: &[Value]) -> Result<BatchErrors, LibraryError> {
        batch::upsert_each(items, "group_id", "group", |input: &GroupInput| {
            self.upsert_group(input).map(|_| ())
        })
    }

    /// `DELETE /v2/group`.
    ///
    /// # Errors
    /// [`LibraryError::Invalid`] for too many ids; a failing disk stops the batch.
    pub fn delete_groups(&self, list: &[Value]) -> Result<BatchErrors, LibraryError> {
        batch::delete_each(list, self.profile, |id| self.delete_group(id))
    }
}
