//! The invariants every incident and timeline entry written by the transitions satisfies, checked
//! on records that did not come from them (a restored backup): text limits, roles, milestone
//! order and range, status and milestones in step, action numbering, alert counters.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::incident::{MAX_CUSTOM_SECTIONS, MAX_IMPACT_WINDOWS, MAX_SECTION_EDITS, MAX_TRACKED_ALERTS, check_text};
use super::time::FUTURE_SLACK_SECS;
use super::timeline::{EntryKind, TimelineEntry};
use super::types::{Milestone, Role, Status};
use super::writeup::{
    MAX_LINK_TITLE_CHARS, MAX_WRITEUP_ITEMS, People, RelatedRef, check_handle, check_language, check_template_name,
    check_url,
};
use super::{Incident, IncidentId};

/// The earliest and latest instants warroom records: what users can type (`YYYY-MM-DD` and
/// RFC 3339 cover the years 0 to 9999, and an offset shifts that by up to a day). Times from
/// elsewhere (a webhook's `startsAt`, a platform's message time) are clamped into it.
pub fn time_range() -> (DateTime<Utc>, DateTime<Utc>) {
    let day = chrono::Duration::days(1);
    let first = NaiveDate::from_ymd_opt(0, 1, 1).unwrap_or(NaiveDate::MIN);
    let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX);
    (
        first.and_time(NaiveTime::MIN).and_utc() - day,
        last.and_time(NaiveTime::MIN).and_utc() + day + day,
    )
}

/// `t`, moved into `time_range()` if it lies outside.
pub fn clamp_time(t: DateTime<Utc>) -> DateTime<Utc> {
    let (first, last) = time_range();
    t.clamp(first, last)
}

fn check_time(what: &str, t: DateTime<Utc>) -> Result<(), String> {
    if clamp_time(t) == t {
        Ok(())
    } else {
        Err(format!("{what} {t} is outside the years 0 to 9999"))
    }
}

fn check_field(what: &str, text: &str) -> Result<(), String> {
    check_text(text).map_err(|e| format!("{what}: {e}"))
}

/// Longest text of an entry warroom writes itself: a rename quotes two titles, an action its
/// text, owners, type and ticket.
pub const MAX_GENERATED_CHARS: usize = 3 * super::MAX_TEXT_CHARS;

/// Identifiers and names from platforms (user ids, display names, rule and room names, alert
/// keys, fingerprints): at most this many characters. Real ones are far shorter.
pub const MAX_NAME_CHARS: usize = 1_000;

fn check_name(what: &str, text: &str) -> Result<(), String> {
    let n = text.chars().count();
    if n > MAX_NAME_CHARS {
        return Err(format!("{what} is {n} characters long; at most {MAX_NAME_CHARS}"));
    }
    Ok(())
}

fn check_person(what: &str, p: &super::Person) -> Result<(), String> {
    check_name(&format!("{what} id"), &p.id)?;
    check_name(&format!("{what} name"), &p.name)
}

/// A `Role::Custom` name is what parsing a role word gives: one lowercase word, not a
/// well-known role.
fn check_role(role: &Role) -> Result<(), String> {
    match role {
        Role::Custom(name) if name.parse::<Role>().ok().as_ref() != Some(role) => {
            Err(format!("`{name}` is not a valid role name"))
        }
        _ => Ok(()),
    }
}

/// The shape `room_slug` gives: `inc-<id>` and lowercase ASCII letters, digits and dashes, at
/// most 80 characters (it names chat rooms and channels).
fn check_slug(id: IncidentId, slug: &str) -> Result<(), String> {
    let prefix = format!("inc-{}", id.0);
    let shaped = slug.len() <= 80
        && (slug == prefix || slug.strip_prefix(&prefix).is_some_and(|r| r.starts_with('-')))
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if shaped {
        Ok(())
    } else {
        Err(format!(
            "room name `{slug}` is not `{prefix}-<slug>` in lowercase letters, digits and dashes"
        ))
    }
}

impl Incident {
    /// Check what the transitions guarantee; `Err` says what is wrong.
    pub fn check_invariants(&self) -> Result<(), String> {
        if self.id.0 == 0 {
            return Err("incident id 0 (ids start at 1)".into());
        }
        check_field("title", &self.title)?;
        if super::single_line(&self.title) != self.title {
            return Err("the title spans lines or holds control characters (titles are one line)".into());
        }
        check_slug(self.id, &self.slug)?;
        check_time("declared_at", self.declared_at)?;
        let mut roles = BTreeSet::new();
        for (role, who) in &self.roles {
            check_role(role)?;
            check_field(&format!("holder of role {role}"), who)?;
            if !roles.insert(role) {
                return Err(format!("role {role} has two holders"));
            }
        }
        self.check_milestones()?;
        self.check_writing()?;
        self.check_record()?;
        self.check_writeup()?;
        self.check_alerts()
    }

    /// Supporting links, related incidents, authors, reviewers, review changes, template and
    /// language: within their limits, valid, no duplicates.
    fn check_writeup(&self) -> Result<(), String> {
        let counts = [
            ("supporting links", self.links.len()),
            ("related incidents", self.related.len()),
            ("authors", self.authors.len()),
            ("reviewers", self.reviewers.len()),
            ("review status changes", self.reviews.len()),
        ];
        for (what, n) in counts {
            if n > MAX_WRITEUP_ITEMS {
                return Err(format!("{n} {what}; at most {MAX_WRITEUP_ITEMS}"));
            }
        }
        fn msg(what: &'static str) -> impl Fn(super::TransitionError) -> String {
            move |e| format!("{what}: {e}")
        }
        for (i, l) in self.links.iter().enumerate() {
            check_url(&l.url).map_err(msg("supporting link"))?;
            if self.links[..i].iter().any(|o| o.url == l.url) {
                return Err(format!("supporting link {} is listed twice", l.url));
            }
            if let Some(t) = &l.title
                && (t.is_empty() || t.chars().count() > MAX_LINK_TITLE_CHARS || super::single_line(t) != *t)
            {
                return Err(format!("the title of supporting link {} is not one short line", l.url));
            }
            check_time("link time", l.at)?;
            check_person("link added by", &l.by)?;
        }
        for (i, r) in self.related.iter().enumerate() {
            match &r.to {
                RelatedRef::Url(u) => check_url(u).map_err(msg("related incident"))?,
                RelatedRef::Incident(id) if *id == self.id || id.0 == 0 => {
                    return Err(format!("related incident {id} is this incident or no incident id"));
                }
                RelatedRef::Incident(_) => {}
            }
            if self.related[..i].iter().any(|o| o.to == r.to) {
                return Err(format!("related incident {} is listed twice", r.to));
            }
            check_time("related incident time", r.at)?;
            check_person("related incident added by", &r.by)?;
        }
        for (which, list) in [(People::Authors, &self.authors), (People::Reviewers, &self.reviewers)] {
            for (i, u) in list.iter().enumerate() {
                check_handle(u).map_err(msg(which.one()))?;
                if list[..i].contains(u) {
                    return Err(format!("{} {u} is listed twice", which.one()));
                }
            }
        }
        let mut was = super::ReviewStatus::default();
        for r in &self.reviews {
            if r.status == was {
                return Err(format!("the review status changes to {was} when it already is {was}"));
            }
            was = r.status;
            check_time("review change time", r.at)?;
            check_person("review status changed by", &r.by)?;
        }
        if let Some(t) = &self.template {
            check_template_name(t).map_err(msg("template"))?;
        }
        if let Some(l) = &self.language {
            check_language(l).map_err(msg("language"))?;
        }
        Ok(())
    }

    /// Impact windows, earlier titles, the date anchor and action details.
    fn check_record(&self) -> Result<(), String> {
        if self.impacts.len() > MAX_IMPACT_WINDOWS {
            return Err(format!(
                "{} impact windows; at most {MAX_IMPACT_WINDOWS}",
                self.impacts.len()
            ));
        }
        for (i, w) in self.impacts.iter().enumerate() {
            if usize::try_from(w.n).ok() != Some(i + 1) {
                return Err(format!("impact window #{} is number {} in the list", w.n, i + 1));
            }
            check_time("impact start", w.start)?;
            check_time("impact end", w.end)?;
            if w.end < w.start {
                return Err(format!("impact window #{} ends before it starts", w.n));
            }
            if w.seq > self.last_seq {
                return Err(format!("impact window #{} names entry #{} beyond the last", w.n, w.seq));
            }
            if let Some(n) = &w.note {
                check_field(&format!("note of impact window #{}", w.n), n)?;
            }
            check_person("impact recorded by", &w.by)?;
        }
        if self.captures.len() > super::capture::MAX_CAPTURES {
            return Err(format!(
                "{} captured messages; at most {}",
                self.captures.len(),
                super::capture::MAX_CAPTURES
            ));
        }
        if self.capture_removals.len() > super::capture::MAX_EARLY_REMOVALS {
            return Err(format!(
                "{} early capture removals; at most {}",
                self.capture_removals.len(),
                super::capture::MAX_EARLY_REMOVALS
            ));
        }
        for t in self.capture_removals.values() {
            check_time("capture removal time", *t)?;
        }
        for (key, c) in &self.captures {
            if c.seq == 0 || c.seq > self.last_seq {
                return Err(format!(
                    "captured message {key:?} names entry #{} beyond the last",
                    c.seq
                ));
            }
            check_time("capture time", c.text_at)?;
        }
        for t in &self.title_edits {
            check_field("earlier title", &t.previous)?;
            check_time("rename time", t.at)?;
            check_person("renamed by", &t.by)?;
        }
        if let Some(a) = self.dated_anchor {
            check_time("date anchor", a)?;
        }
        for a in &self.actions {
            for o in &a.fields.owners {
                check_name(&format!("owner of action #{}", a.n), o)?;
            }
            if let Some(k) = &a.fields.kind {
                check_name(&format!("type of action #{}", a.n), k)?;
            }
            if let Some(t) = &a.fields.ticket
                && t.chars().count() > super::writeup::MAX_URL_CHARS
            {
                return Err(format!("the ticket of action #{} is too long", a.n));
            }
            for h in &a.history {
                check_field(&format!("earlier text of action #{}", a.n), &h.previous.text)?;
                check_time("action change time", h.at)?;
            }
        }
        Ok(())
    }

    /// Actions, postmortem sections and their replaced texts.
    fn check_writing(&self) -> Result<(), String> {
        for (i, a) in self.actions.iter().enumerate() {
            if usize::try_from(a.n).ok() != Some(i + 1) {
                return Err(format!(
                    "action #{} is number {} in the list; actions are numbered 1, 2, 3...",
                    a.n,
                    i + 1
                ));
            }
            check_field(&format!("action #{}", a.n), &a.fields.text)?;
            check_time("action time", a.at)?;
        }
        for (section, items) in &self.sections {
            for c in items {
                check_field(&format!("postmortem section {section}"), &c.text)?;
                check_time("contribution time", c.at)?;
            }
        }
        if self.section_edits.len() + self.custom_section_edits.len() > MAX_SECTION_EDITS {
            return Err(format!(
                "{} replaced sections kept; at most {MAX_SECTION_EDITS}",
                self.section_edits.len() + self.custom_section_edits.len()
            ));
        }
        self.check_custom_sections()?;
        for e in &self.section_edits {
            check_time("section replacement time", e.at)?;
            check_person("section replaced by", &e.by)?;
            for c in &e.previous {
                check_field(&format!("replaced text of section {}", e.section), &c.text)?;
                check_time("replaced contribution time", c.at)?;
            }
        }
        let mut services = BTreeSet::new();
        for s in &self.services {
            check_name("affected service", s)?;
            if s.trim().is_empty() || !services.insert(s.as_str()) {
                return Err(format!("affected service `{s}` is empty or listed twice"));
            }
        }
        Ok(())
    }

    /// Custom postmortem sections and their replaced texts: keys shaped, texts bounded.
    fn check_custom_sections(&self) -> Result<(), String> {
        if self.custom_sections.len() > MAX_CUSTOM_SECTIONS {
            return Err(format!(
                "{} custom postmortem sections; at most {MAX_CUSTOM_SECTIONS}",
                self.custom_sections.len()
            ));
        }
        let key_ok = |key: &str| {
            if super::is_custom_section_key(key) {
                Ok(())
            } else {
                Err(format!(
                    "custom postmortem section key {:?} is not lowercase letters, digits and `-` (at most {} characters)",
                    key.chars().take(50).collect::<String>(),
                    super::MAX_CUSTOM_KEY_CHARS
                ))
            }
        };
        for (key, items) in &self.custom_sections {
            key_ok(key)?;
            for c in items {
                check_field(&format!("postmortem section {key}"), &c.text)?;
                check_time("contribution time", c.at)?;
            }
        }
        for e in &self.custom_section_edits {
            key_ok(&e.key)?;
            check_time("section replacement time", e.at)?;
            check_person("section replaced by", &e.by)?;
            for c in &e.previous {
                check_field(&format!("replaced text of section {}", e.key), &c.text)?;
                check_time("replaced contribution time", c.at)?;
            }
        }
        Ok(())
    }

    /// The trigger, alert identities and counters, fingerprints and alert-storm fields.
    fn check_alerts(&self) -> Result<(), String> {
        if let Some(t) = &self.trigger {
            check_time("alert time", t.at)?;
            check_field("alert text", &t.text)?;
            check_name("alert rule", &t.rule)?;
            check_name("alert room", &t.room)?;
            check_person("alert sender", &t.sender)?;
        }
        for name in self
            .fingerprint
            .iter()
            .chain(&self.storm)
            .chain(&self.storm_fingerprints)
            .chain(self.alerts.keys())
        {
            check_name("fingerprint or alert key", name)?;
        }
        if self.alerts.len() > MAX_TRACKED_ALERTS || self.storm_fingerprints.len() > MAX_TRACKED_ALERTS {
            return Err(format!(
                "{} alerts tracked and {} fingerprints grouped into an alert storm; at most {MAX_TRACKED_ALERTS} each",
                self.alerts.len(),
                self.storm_fingerprints.len()
            ));
        }
        if let Some(k) = &self.storm
            && self.fingerprint.as_deref() != Some(super::storm_fingerprint(k).as_str())
        {
            return Err(format!(
                "an alert-storm incident of `{k}` without its storm fingerprint"
            ));
        }
        if self.storm.is_none() && !self.storm_fingerprints.is_empty() {
            return Err("grouped storm fingerprints on an incident that is no alert storm".into());
        }
        let counted = (self.alerts.len() as u64).saturating_add(self.alerts_untracked);
        if counted > self.alert_count {
            return Err(format!(
                "alert count {} is below the {counted} alerts it holds",
                self.alert_count
            ));
        }
        Ok(())
    }

    /// Milestones in range, in the order `set_milestone` enforces, and in step with the status.
    /// `close` stamps "now" without reordering, and other milestones may be up to
    /// `FUTURE_SLACK_SECS` ahead of it, so `closed` gets that much slack.
    fn check_milestones(&self) -> Result<(), String> {
        for (m, t) in &self.milestones {
            check_time(&format!("milestone {m}"), *t)?;
            let slack = chrono::Duration::seconds(if *m == Milestone::Closed { FUTURE_SLACK_SECS } else { 0 });
            for other in m.must_follow() {
                if let Some(o) = self.milestones.get(other)
                    && *o - *t > slack
                {
                    return Err(format!("milestone {m} ({t}) is before {other} ({o})"));
                }
            }
        }
        let has = |m: Milestone| self.milestones.contains_key(&m);
        if !has(Milestone::Detected) {
            return Err("milestone detected is missing (every incident has one)".into());
        }
        if (self.status == Status::Closed) != has(Milestone::Closed) {
            return Err(format!("status {} does not match the closed milestone", self.status));
        }
        if matches!(self.status, Status::Resolved | Status::Closed) && !has(Milestone::Resolved) {
            return Err(format!("status {} without a resolved milestone", self.status));
        }
        Ok(())
    }
}

impl TimelineEntry {
    /// Check what the transitions guarantee; `Err` says what is wrong.
    pub fn check_invariants(&self) -> Result<(), String> {
        if self.seq == 0 {
            return Err("entry #0 (entries are numbered from 1)".into());
        }
        check_time("entry time", self.at)?;
        if let Some(end) = self.end {
            check_time("entry end", end)?;
            if end < self.at {
                return Err(format!("entry #{} ends before it starts", self.seq));
            }
        }
        check_time("entry recording time", self.recorded_at)?;
        check_person("entry author", &self.author)?;
        // Entries warroom writes quote user text (a title, an action with its owners and
        // ticket, a rename quoting both titles), so they may be longer than a note.
        let len = self.text.chars().count();
        if self.text.trim().is_empty() || len > MAX_GENERATED_CHARS {
            return Err(format!(
                "entry #{} is empty or {len} characters long; at most {MAX_GENERATED_CHARS}",
                self.seq
            ));
        }
        let restored = self.restores.iter().map(|r| &r.deleted);
        for e in self.edits.iter().chain(&self.deleted).chain(restored.clone()) {
            check_person("editor", &e.by)?;
        }
        // Notes and captured messages change (edits, deletions, restores); other entries are facts.
        if !matches!(self.kind, EntryKind::Note | EntryKind::Captured) {
            if self.edits.is_empty() && self.deleted.is_none() && self.restores.is_empty() {
                return Ok(());
            }
            return Err(format!("entry #{} was recorded automatically but has edits", self.seq));
        }
        check_field(&format!("entry #{}", self.seq), &self.text)?;
        for e in self.edits.iter().chain(&self.deleted).chain(restored) {
            check_field(&format!("earlier text of entry #{}", self.seq), &e.previous_text)?;
            check_time("edit time", e.at)?;
        }
        for r in &self.restores {
            check_person("restored by", &r.by)?;
            check_time("restore time", r.at)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Opening, Person, Source};
    use chrono::TimeZone;

    fn t(m: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 29, 12, 0, 0).unwrap() + chrono::Duration::minutes(m)
    }

    fn open() -> Incident {
        Incident::open(Opening::by_hand(
            IncidentId(3),
            "DB down",
            Person::new("alice", "Alice"),
            t(0),
        ))
        .unwrap()
        .0
    }

    #[test]
    fn transitions_keep_the_invariants() {
        let who = Person::new("alice", "Alice");
        let mut inc = open();
        inc.check_invariants().unwrap();
        inc.set_milestone(Milestone::Started, t(-5), &who, t(1), Source::Console)
            .unwrap();
        inc.assign_role(Role::Custom("db-expert".into()), "@bob", &who, t(1), Source::Console)
            .unwrap();
        inc.add_action(
            crate::domain::ActionFields::new("fix it", Some("@bob")),
            &who,
            t(2),
            Source::Console,
        )
        .unwrap();
        inc.add_action(
            crate::domain::ActionFields::new("fix more", None),
            &who,
            t(2),
            Source::Console,
        )
        .unwrap();
        // Resolved up to the clock slack ahead, then closed "now": still valid.
        inc.resolve(t(5), None, &who, t(3), Source::Console).unwrap();
        inc.close(&who, t(3), Source::Console).unwrap();
        inc.check_invariants().unwrap();
        inc.reopen(&who, t(6), Source::Console).unwrap();
        inc.check_invariants().unwrap();
    }

    #[test]
    fn time_range_holds_what_users_can_type() {
        let (first, last) = time_range();
        for typed in ["0000-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"] {
            let t = DateTime::parse_from_rfc3339(typed).unwrap().with_timezone(&Utc);
            assert!(first <= t && t <= last, "{typed}");
        }
        assert_eq!(clamp_time(DateTime::<Utc>::MIN_UTC), first);
        assert_eq!(clamp_time(DateTime::<Utc>::MAX_UTC), last);
        assert_eq!(clamp_time(t(0)), t(0));
    }

    #[test]
    fn broken_records_are_named() {
        type Break = Box<dyn Fn(&mut Incident)>;
        let cases: Vec<(&str, Break)> = vec![
            ("title", Box::new(|i| i.title = "x".repeat(8_001))),
            ("title", Box::new(|i| i.title = " ".into())),
            ("one line", Box::new(|i| i.title = "DB down\n## Root causes".into())),
            ("affected service", Box::new(|i| i.services = vec!["s".repeat(5_000)])),
            ("storm fingerprint", Box::new(|i| i.storm = Some("rule".into()))),
            (
                "no alert storm",
                Box::new(|i| i.storm_fingerprints = BTreeSet::from(["x".to_string()])),
            ),
            ("room name", Box::new(|i| i.slug = "inc-4-db".into())),
            ("room name", Box::new(|i| i.slug = "inc-3-<!channel>".into())),
            (
                "outside the years",
                Box::new(|i| {
                    i.milestones.insert(Milestone::Detected, DateTime::<Utc>::MIN_UTC);
                }),
            ),
            (
                "before detected",
                Box::new(|i| {
                    i.milestones.insert(Milestone::Mitigated, t(-60));
                }),
            ),
            ("detected is missing", Box::new(|i| i.milestones.clear())),
            ("closed milestone", Box::new(|i| i.status = Status::Closed)),
            (
                "two holders",
                Box::new(|i| {
                    i.roles = vec![(Role::Commander, "a".into()), (Role::Commander, "b".into())];
                }),
            ),
            (
                "not a valid role",
                Box::new(|i| i.roles = vec![(Role::Custom("Two Words".into()), "a".into())]),
            ),
            (
                "numbered",
                Box::new(|i| {
                    i.add_action(
                        crate::domain::ActionFields::new("x", None),
                        &Person::warroom(),
                        t(1),
                        Source::Console,
                    )
                    .unwrap();
                    i.actions[0].n = u32::MAX;
                }),
            ),
            ("alert count", Box::new(|i| i.alerts_untracked = 5)),
            ("id 0", Box::new(|i| i.id = IncidentId(0))),
        ];
        for (says, f) in cases {
            let mut inc = open();
            f(&mut inc);
            let e = inc.check_invariants().unwrap_err();
            assert!(e.contains(says), "expected `{says}` in: {e}");
        }
    }
}
