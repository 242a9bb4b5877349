//! Access rules: validation of schedules, the rule routes, and [`evaluate`], which says
//! whether an enrolled person may pass at a moment.
//!
//! Evaluation (the guide's words, and choices where it is silent): a blacklisted person
//! never passes; a visitor outside a set `guest_time_*` window is refused with 20001; a
//! person without groups, or with a group without a rule, may pass at any time; otherwise
//! a person may pass when any of their groups' rules allows now, else 20002. A rule allows
//! now when `onset_point ≤ now ≤ expire_point` and a period of today contains the time of
//! day (both ends included), today's periods being those of the first special day that
//! matches the date (0 = any year, month or day), else the weekday's. Days and times are
//! the device's local ones: UTC shifted by the `time_zone` of `/v1/device/time`.

use serde_json::Value;

use super::state::{Library, LibraryError, MAX_NAME_BYTES, MAX_RULES, State, View, invalid};
use super::{batch, ids};
use crate::profile::{PersonKind, Profile};
use crate::wire::{
    BatchErrors, IdList, Page, Period, RuleInput, RuleOutput, Schedule, UserId, UserOutput,
};

/// The latest `onset_point`/`expire_point` (2099-12-31 23:59:59), exclusive.
pub const MAX_POINT_MS: i64 = 4_102_415_999_000;
/// Most periods a day.
pub const MAX_PERIODS: usize = 12;
/// Most special days.
pub const MAX_SPECIAL_DAYS: usize = 31;

/// Whether an enrolled person may pass now, and the 1.3 `abnormal_type` when not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Allowed,
    /// Never let through; no `abnormal_type` (the record says blacklist).
    Blacklisted,
    /// 20001: a visitor outside their validity.
    GuestExpired,
    /// 20002: no rule of theirs allows this time.
    OutsideRule,
}

impl Admission {
    /// The `abnormal_type` of a refusal (0 when allowed or blacklisted).
    pub fn abnormal(self) -> u32 {
        match self {
            Admission::GuestExpired => 20001,
            Admission::OutsideRule => 20002,
            Admission::Allowed | Admission::Blacklisted => 0,
        }
    }
}

fn check_periods(periods: &[Period], what: &str) -> Result<(), LibraryError> {
    if periods.len() > MAX_PERIODS {
        return Err(invalid(format!(
            "{what} has {} periods; at most {MAX_PERIODS}",
            periods.len()
        )));
    }
    for p in periods {
        for t in [p.start_time, p.end_time] {
            if !(0..=23).contains(&t.hour)
                || !(0..=59).contains(&t.min)
                || !(0..=59).contains(&t.sec)
            {
                return Err(invalid(format!(
                    "{what}: times must be hour 0-23, min 0-59, sec 0-59"
                )));
            }
        }
        if seconds(p.start_time) > seconds(p.end_time) {
            return Err(invalid(format!("{what}: a period ends before it starts")));
        }
    }
    Ok(())
}

fn seconds(t: crate::wire::TimeOfDay) -> i64 {
    t.hour * 3600 + t.min * 60 + t.sec
}

fn check_schedule(s: &Schedule) -> Result<(), LibraryError> {
    let point = |v: Option<i64>, what: &str| match v {
        Some(x) if x > 0 && x < MAX_POINT_MS => Ok(x),
        Some(x) => Err(invalid(format!(
            "schedule.{what} {x} is out of range; use 0 < x < {MAX_POINT_MS} (ms)"
        ))),
        None => Err(invalid(format!("schedule.{what} is required"))),
    };
    let onset = point(s.onset_point, "onset_point")?;
    let expire = point(s.expire_point, "expire_point")?;
    if expire < onset {
        return Err(invalid("schedule.expire_point is before onset_point"));
    }
    let names = [
        "sun_period",
        "mon_period",
        "the_period",
        "wed_period",
        "thur_period",
        "fri_period",
        "sat_period",
    ];
    for (periods, name) in s.weekdays().into_iter().zip(names) {
        check_periods(periods, name)?;
    }
    if s.special_days.len() > MAX_SPECIAL_DAYS {
        return Err(invalid(format!(
            "special_days has {} days; at most {MAX_SPECIAL_DAYS}",
            s.special_days.len()
        )));
    }
    for d in &s.special_days {
        if !(0..=2099).contains(&d.year)
            || !(0..=12).contains(&d.month)
            || !(0..=31).contains(&d.day)
        {
            return Err(invalid(
                "special_days: year 0-2099, month 0-12, day 0-31 (0 = every)",
            ));
        }
        check_periods(&d.today_period, "special_days.today_period")?;
    }
    Ok(())
}

/// The civil date (year, month 1-12, day 1-31) of a count of days since 1970-01-01.
fn civil(days: i64) -> (i64, i64, i64) {
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Whether `rule` allows Unix second `now` in a zone `tz_hours` east of UTC.
pub fn allows(schedule: &Schedule, now: i64, tz_hours: i64) -> bool {
    let ms = now.saturating_mul(1000);
    let (Some(onset), Some(expire)) = (schedule.onset_point, schedule.expire_point) else {
        return false;
    };
    if ms < onset || ms > expire {
        return false;
    }
    let local = now + tz_hours * 3600;
    let days = local.div_euclid(86_400);
    let tod = local.rem_euclid(86_400);
    let (year, month, day) = civil(days);
    let special = schedule.special_days.iter().find(|d| {
        (d.year == 0 || d.year == year)
            && (d.month == 0 || d.month == month)
            && (d.day == 0 || d.day == day)
    });
    let periods = match special {
        Some(d) => &d.today_period,
        // 1970-01-01 was a Thursday: day 0 is weekday 4 counting from Sunday.
        None => schedule.weekdays()[(days + 4).rem_euclid(7) as usize],
    };
    periods
        .iter()
        .any(|p| seconds(p.start_time) <= tod && tod <= seconds(p.end_time))
}

/// Whether `user` may pass at Unix second `now` (see the module's rules).
pub fn evaluate(
    view: &View,
    user: &UserOutput,
    profile: &Profile,
    now: i64,
    tz_hours: i64,
) -> Admission {
    match profile.person_kind(user.kind) {
        Some(PersonKind::Blacklisted) => return Admission::Blacklisted,
        Some(PersonKind::Visitor) => {
            let ms = now.saturating_mul(1000);
            let (start, end) = (user.guest_time_start, user.guest_time_end);
            if (start > 0 && ms < start) || (end > 0 && ms > end) {
                return Admission::GuestExpired;
            }
        }
        _ => {}
    }
    let groups: Vec<_> = user
        .groups
        .iter()
        .filter_map(|g| view.groups.get(&ids::text(g)))
        .collect();
    if groups.is_empty() {
        return Admission::Allowed;
    }
    if groups
        .iter()
        .any(|g| profile.person_kind(g.kind) == Some(PersonKind::Blacklisted))
    {
        return Admission::Blacklisted;
    }
    let allowed = groups.iter().any(|g| {
        let rule = ids::text(&g.rule_id);
        rule.is_empty()
            || view
                .rules
                .get(&rule)
                .is_some_and(|r| allows(&r.schedule, now, tz_hours))
    });
    if allowed {
        Admission::Allowed
    } else {
        Admission::OutsideRule
    }
}

impl Library {
    fn render_rule(&self, r: &RuleOutput) -> RuleOutput {
        RuleOutput {
            rule_id: ids::render(&ids::text(&r.rule_id), self.profile),
            ..r.clone()
        }
    }

    fn apply_rule(
        &self,
        state: &mut State,
        id: String,
        input: &RuleInput,
    ) -> Result<RuleOutput, LibraryError> {
        let index = state.rules.iter().position(|r| ids::text(&r.rule_id) == id);
        let old = index.map(|i| state.rules[i].clone());
        if old.is_none() && state.rules.len() >= MAX_RULES {
            return Err(invalid(format!(
                "the library holds at most {MAX_RULES} rules"
            )));
        }
        let name = input
            .name
            .clone()
            .ok_or_else(|| invalid("name is required"))?;
        if name.is_empty() || name.len() > MAX_NAME_BYTES {
            return Err(invalid(format!(
                "name must be 1 to {MAX_NAME_BYTES} bytes, got {}",
                name.len()
            )));
        }
        if state
            .rules
            .iter()
            .any(|r| r.name == name && ids::text(&r.rule_id) != id)
        {
            return Err(invalid(format!("a rule named {name:?} exists already")));
        }
        let schedule = input
            .schedule
            .clone()
            .ok_or_else(|| invalid("schedule is required"))?;
        check_schedule(&schedule)?;
        let now = self.now_ms();
        let rule = RuleOutput {
            rule_id: UserId::Text(id),
            name,
            schedule,
            create_at: old.as_ref().map_or(now, |o| o.create_at),
            update_at: now,
        };
        let mut rules = state.rules.clone();
        match index {
            Some(i) => rules[i] = rule.clone(),
            None => rules.push(rule.clone()),
        }
        self.save_rules(&rules)?;
        state.rules = rules;
        state.view = None;
        Ok(rule)
    }

    /// `POST /v1/rule` (upsert).
    ///
    /// # Errors
    /// [`LibraryError`]; nothing changes then.
    pub fn upsert_rule(&self, input: &RuleInput) -> Result<RuleOutput, LibraryError> {
        let id = ids::parse(input.rule_id.as_ref(), "rule_id", self.profile).map_err(invalid)?;
        let mut state = self.lock();
        let r = self.apply_rule(&mut state, id, input)?;
        Ok(self.render_rule(&r))
    }

    /// `PUT /v1/rule/id/{id}`: `name` and `schedule` required, the schedule replaced.
    ///
    /// # Errors
    /// [`LibraryError::NotFound`] for an unknown id.
    pub fn put_rule(&self, id: &str, input: &RuleInput) -> Result<RuleOutput, LibraryError> {
        let id = ids::parse_text(id, "rule_id", self.profile).map_err(invalid)?;
        let mut state = self.lock();
        if !state.rules.iter().any(|r| ids::text(&r.rule_id) == id) {
            return Err(LibraryError::NotFound(format!("no rule {id}")));
        }
        let r = self.apply_rule(&mut state, id, input)?;
        Ok(self.render_rule(&r))
    }

    /// `GET /v1/rule/id/{id}`.
    ///
    /// # Errors
    /// [`LibraryError::NotFound`] for an unknown id.
    pub fn get_rule(&self, id: &str) -> Result<RuleOutput, LibraryError> {
        let id = ids::parse_text(id, "rule_id", self.profile).map_err(invalid)?;
        let state = self.lock();
        state
            .rules
            .iter()
            .find(|r| ids::text(&r.rule_id) == id)
            .map(|r| self.render_rule(r))
            .ok_or_else(|| LibraryError::NotFound(format!("no rule {id}")))
    }

    /// `GET /v1/rule/id/{id}/groups`.
    ///
    /// # Errors
    /// [`LibraryError::NotFound`] for an unknown id.
    pub fn rule_groups(&self, id: &str) -> Result<IdList, LibraryError> {
        let id = ids::parse_text(id, "rule_id", self.profile).map_err(invalid)?;
        let state = self.lock();
        if !state.rules.iter().any(|r| ids::text(&r.rule_id) == id) {
            return Err(LibraryError::NotFound(format!("no rule {id}")));
        }
        let items = state
            .groups
            .iter()
            .filter(|g| ids::text(&g.rule_id) == id)
            .map(|g| ids::render(&ids::text(&g.group_id), self.profile))
            .collect();
        Ok(IdList { items })
    }

    /// `DELETE /v1/rule/id/{id}`: groups bound to it become unbound.
    ///
    /// # Errors
    /// [`LibraryError::NotFound`] for an unknown id.
    pub fn delete_rule(&self, id: &str) -> Result<(), LibraryError> {
        let id = ids::parse_text(id, "rule_id", self.profile).map_err(invalid)?;
        let mut state = self.lock();
        let Some(index) = state.rules.iter().position(|r| ids::text(&r.rule_id) == id) else {
            return Err(LibraryError::NotFound(format!("no rule {id}")));
        };
        let mut rules = state.rules.clone();
        rules.remove(index);
        let mut groups = state.groups.clone();
        for g in &mut groups {
            if ids::text(&g.rule_id) == id {
                g.rule_id = UserId::Text(String::new());
            }
        }
        self.save_groups(&groups)?;
        self.save_rules(&rules)?;
        state.rules = rules;
        state.groups = groups;
        state.view = None;
        Ok(())
    }

    /// `POST /v1/rule/search`: `name` substring; empty finds nothing.
    pub fn search_rules(&self, name: Option<&str>) -> IdList {
        let state = self.lock();
        batch::named(&state.rules, name, self.profile, |r| (&r.name, &r.rule_id))
    }

    /// `GET /v1/rule/offset/{offset}/limit/{limit}`.
    ///
    /// # Errors
    /// [`LibraryError::Invalid`] beyond the documented bounds.
    pub fn page_rules(&self, offset: u64, limit: u64) -> Result<Page<RuleOutput>, LibraryError> {
        let state = self.lock();
        batch::page(offset, limit, &state.rules, |x| self.render_rule(x))
    }

    /// `POST /v2/rule`.
    ///
    /// # Errors
    /// [`LibraryError::Invalid`] for too many items; a failing disk stops the batch.
    pub fn batch_rules(&self, items: &[Value]) -> Result<BatchErrors, LibraryError> {
        batch::upsert_each(items, "rule_id", "rule", |input: &RuleInput| {
            self.upsert_rule(input).map(|_| ())
        })
    }

    /// `DELETE /v2/rule` (answered with `data: null`, as the guide shows).
    ///
    /// # Errors
    /// [`LibraryError::Invalid`] for too many ids; a failing disk stops the batch.
    pub fn delete_rules(&self, list: &[Value]) -> Result<BatchErrors, LibraryError> {
        batch::delete_each(list, self.profile, |id| self.delete_rule(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{SpecialDay, TimeOfDay};

    fn period(h1: i64, h2: i64) -> Period {
        Period {
            start_time: TimeOfDay {
                hour: h1,
                min: 0,
                sec: 0,
            },
            end_time: TimeOfDay {
                hour: h2,
                min: 0,
                sec: 0,
            },
        }
    }

    #[test]
    fn rules_follow_weekdays_special_days_and_bounds() {
        // 2024-01-01 was a Monday; 09:30 UTC.
        let monday = 1_704_101_400;
        let schedule = Schedule {
            onset_point: Some(1_700_000_000_000),
            expire_point: Some(1_800_000_000_000),
            mon_period: vec![period(9, 10)],
            ..Schedule::default()
        };
        assert_eq!(civil(19_723), (2024, 1, 1));
        assert!(allows(&schedule, monday, 0));
        assert!(!allows(&schedule, monday, 8), "17:30 in UTC+8");
        assert!(!allows(&schedule, monday + 86_400, 0), "Tuesday");
        assert!(
            allows(&schedule, monday - 1800 + 3600 / 2, 0),
            "09:00 included"
        );
        let mut special = schedule.clone();
        special.special_days = vec![SpecialDay {
            year: 0,
            month: 1,
            day: 1,
            today_period: vec![],
        }];
        assert!(!allows(&special, monday, 0), "a special day comes first");
        let mut expired = schedule;
        expired.expire_point = Some(1_704_000_000_000);
        assert!(!allows(&expired, monday, 0));
    }
}
