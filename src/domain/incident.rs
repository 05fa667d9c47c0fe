//! The incident aggregate and its transitions. Every transition validates, mutates and
//! returns the automatic timeline entries it implies; an error leaves the incident untouched.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::MAX_TEXT_CHARS;
use super::platform::{Platform, RoomKey};
use super::time::{FUTURE_SLACK_SECS, Moment, Precision, fmt_minute};
use super::timeline::{EntryKind, NewEntry, Person, Phrase, Source};
use super::types::{IncidentId, Milestone, Role, Section, Severity, Status};
use super::writeup::{Link, Related, ReviewChange};

/// The alert that opened an incident; pre-fills the postmortem's Detection section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertInfo {
    pub rule: String,
    pub text: String,
    pub sender: Person,
    pub room: String,
    pub at: DateTime<Utc>,
    pub source: Source,
}

/// Who did something, and when (marks an action done or deleted, an impact window deleted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub by: Person,
    pub at: DateTime<Utc>,
}

/// The fields of an action item a person can change (`action edit N ...`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ActionFields {
    pub text: String,
    /// Owners as written (`@alice`), in the order given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<NaiveDate>,
    /// A link to the ticket that tracks it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// What kind of follow-up (`prevent`, `mitigate`, `detect`, `process`, ... as the team writes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

impl ActionFields {
    /// Just a text and maybe one owner.
    pub fn new(text: &str, owner: Option<&str>) -> ActionFields {
        ActionFields {
            text: text.to_string(),
            owners: owner.map(str::to_string).into_iter().collect(),
            ..ActionFields::default()
        }
    }
}

/// A change to an action item: who, when, and the values before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionEdit {
    pub at: DateTime<Utc>,
    pub by: Person,
    /// `edit`, `done`, `reopen` or `delete`.
    pub change: String,
    pub previous: ActionFields,
}

/// A follow-up action item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ActionRecord")]
pub struct Action {
    pub n: u32,
    #[serde(flatten)]
    pub fields: ActionFields,
    pub added_by: Person,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<Stamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Stamp>,
    /// Every change after it was added, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<ActionEdit>,
}

/// An action item as stored by any version: records written before several owners existed
/// carry one `owner`.
#[derive(Deserialize)]
struct ActionRecord {
    n: u32,
    text: String,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    owners: Vec<String>,
    #[serde(default)]
    due: Option<NaiveDate>,
    #[serde(default)]
    ticket: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    added_by: Person,
    at: DateTime<Utc>,
    #[serde(default)]
    done: Option<Stamp>,
    #[serde(default)]
    deleted: Option<Stamp>,
    #[serde(default)]
    history: Vec<ActionEdit>,
}

impl From<ActionRecord> for Action {
    fn from(r: ActionRecord) -> Action {
        let mut owners = r.owners;
        if let Some(o) = r.owner
            && !owners.contains(&o)
        {
            owners.insert(0, o);
        }
        Action {
            n: r.n,
            fields: ActionFields {
                text: r.text,
                owners,
                due: r.due,
                ticket: r.ticket,
                kind: r.kind,
            },
            added_by: r.added_by,
            at: r.at,
            done: r.done,
            deleted: r.deleted,
            history: r.history,
        }
    }
}

impl Action {
    pub fn is_open(&self) -> bool {
        self.done.is_none()
    }
}

/// A span of time during which users were affected (`incident impact START..END [note]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImpactWindow {
    pub n: u32,
    /// The sequence number of the window's timeline entry (hidden when the window is deleted).
    #[serde(default)]
    pub seq: u64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Precision::is_minute")]
    pub precision: Precision,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub by: Person,
    pub recorded_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Stamp>,
}

impl ImpactWindow {
    pub fn moment(&self) -> Moment {
        Moment {
            at: self.start,
            precision: self.precision,
            end: Some(self.end),
        }
    }
    pub fn seconds(&self) -> i64 {
        (self.end - self.start).num_seconds()
    }
}

/// A rename (`incident title`): who, when, and the title before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TitleEdit {
    pub at: DateTime<Utc>,
    pub by: Person,
    pub previous: String,
}

/// One person's text for a postmortem section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    pub text: String,
    pub by: Person,
    pub at: DateTime<Utc>,
}

impl Contribution {
    /// `text` (trimmed) written by `by` at `at`.
    pub fn new(text: &str, by: &Person, at: DateTime<Utc>) -> Contribution {
        Contribution {
            text: text.trim().to_string(),
            by: by.clone(),
            at,
        }
    }
}

/// What `postmortem <section> --replace` replaced: who did it, when, and the section's
/// previous contributions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionEdit {
    pub section: Section,
    pub at: DateTime<Utc>,
    pub by: Person,
    pub previous: Vec<Contribution>,
}

/// What `postmortem <custom-key> --replace` replaced (a section declared in
/// `[[postmortem.sections]]`): the key, who did it, when, and the previous contributions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomSectionEdit {
    pub key: String,
    pub at: DateTime<Utc>,
    pub by: Person,
    pub previous: Vec<Contribution>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub id: IncidentId,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub declared_at: DateTime<Utc>,
    pub declared_by: Person,
    pub source: Source,
    /// Room name used for new chat rooms and channels: `inc-<n>-<slug>`.
    pub slug: String,
    /// Role assignments in the order they were made; one holder per role.
    pub roles: Vec<(Role, String)>,
    pub milestones: BTreeMap<Milestone, DateTime<Utc>>,
    pub services: Vec<String>,
    pub actions: Vec<Action>,
    pub sections: BTreeMap<Section, Vec<Contribution>>,
    /// Alert grouping key while the incident is open.
    pub fingerprint: Option<String>,
    pub trigger: Option<AlertInfo>,
    /// Alerts received for this incident, the first one included.
    pub alert_count: u64,
    /// Chat rooms bound to this incident (`platform:room`).
    pub rooms: Vec<RoomKey>,
    /// Highest timeline sequence number handed out (maintained by the store).
    pub last_seq: u64,
    /// Chat platforms this incident opens on (`matrix`, `slack`); empty = where it was declared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub open_in: Vec<Platform>,
    /// Webhook alerts grouped into this incident, by identity: `true` while firing.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub alerts: BTreeMap<String, bool>,
    /// Alerts counted but not tracked by identity (beyond `MAX_TRACKED_ALERTS`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub alerts_untracked: u64,
    /// Sections replaced with `postmortem <section> --replace`, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub section_edits: Vec<SectionEdit>,
    /// Custom postmortem sections (`[[postmortem.sections]]` in the config), by key. Kept when
    /// the key is no longer configured, so nothing recorded disappears.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_sections: BTreeMap<String, Vec<Contribution>>,
    /// Custom sections replaced with `--replace`, oldest first (counted with `section_edits`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_section_edits: Vec<CustomSectionEdit>,
    /// Set on an alert-storm incident: the rule (or `hook:<source>`) whose alerts opened more
    /// incidents a minute than allowed, and now join this one instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storm: Option<String>,
    /// Alert fingerprints grouped into this alert-storm incident (at most
    /// `MAX_TRACKED_ALERTS`); while it is open, alerts with one of them join it.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub storm_fingerprints: BTreeSet<String>,
    /// Milestones known less precisely than to the minute (`~06:00`, a date alone).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub milestone_precision: BTreeMap<Milestone, Precision>,
    /// Impact windows, in the order they were recorded (deleted ones kept, marked).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub impacts: Vec<ImpactWindow>,
    /// Earlier titles, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub title_edits: Vec<TitleEdit>,
    /// The time of the latest entry recorded with an explicit date: while it is more than a
    /// day old the team is reconstructing, and a bare `HH:MM` takes that date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dated_anchor: Option<DateTime<Utc>>,
    /// Set when an event was recorded at a live time (now, a time of day read as today or
    /// yesterday, `-15m`) after the anchor was set: the incident is being run live, so bare
    /// times are never read in the anchor's date, however old it grows. A dated entry clears it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub live_since_anchor: bool,
    /// Supporting information (`postmortem link`): dashboards, graphs, tickets, logs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// Related incidents (`postmortem related`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// The postmortem's authors and reviewers as written (`@alice`), in the order added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviewers: Vec<String>,
    /// Review status changes, oldest first; the last is the status now (none: draft).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviews: Vec<ReviewChange>,
    /// The template chosen for this incident's postmortem (`postmortem template`); none: the
    /// configured one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// The language chosen for this incident's postmortem (`postmortem language`); none: the
    /// configured one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Chat messages captured by a reaction or a pin, by platform message id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub captures: BTreeMap<String, super::capture::Capture>,
    /// Removals that came before their message was captured (`<message>\u{1f}<holder>` → the
    /// removal's time): an older add arriving later changes nothing.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capture_removals: BTreeMap<String, DateTime<Utc>>,
    /// The latest status update (`incident update`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update: Option<super::updates::StatusUpdate>,
    /// Reminders sent and the snooze (`incident snooze`).
    #[serde(default, skip_serializing_if = "super::updates::Reminders::is_empty")]
    pub reminders: super::updates::Reminders,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One incident duration of the postmortem and the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationSpec {
    /// Machine name, as in the metric and the export (`time_to_detect`).
    pub name: &'static str,
    /// Human label (`Time to detect`).
    pub label: &'static str,
    /// The milestone it runs from.
    pub from: Milestone,
    /// The milestone it runs to.
    pub to: Milestone,
    /// The start used when `from` is not recorded.
    pub fallback: Option<Milestone>,
}

impl DurationSpec {
    /// Seconds this duration spans in `inc`, when both ends are recorded.
    pub fn seconds(&self, inc: &Incident) -> Option<i64> {
        inc.span(self.from, self.to, self.fallback)
    }
}

/// The incident durations of the postmortem and the metrics.
pub const DURATIONS: [DurationSpec; 4] = [
    DurationSpec {
        name: "time_to_detect",
        label: "Time to detect",
        from: Milestone::Started,
        to: Milestone::Detected,
        fallback: None,
    },
    DurationSpec {
        name: "time_to_acknowledge",
        label: "Time to acknowledge",
        from: Milestone::Detected,
        to: Milestone::Acknowledged,
        fallback: None,
    },
    DurationSpec {
        name: "time_to_mitigate",
        label: "Time to mitigate",
        from: Milestone::Started,
        to: Milestone::Mitigated,
        fallback: Some(Milestone::Detected),
    },
    DurationSpec {
        name: "time_to_resolve",
        label: "Time to resolve",
        from: Milestone::Started,
        to: Milestone::Resolved,
        fallback: Some(Milestone::Detected),
    },
];

/// Owners of one action item.
pub const MAX_OWNERS: usize = 20;
/// Owners, an action's type, service names: at most this many characters (as `restore` checks).
pub const MAX_NAME_CHARS: usize = 200;

/// Impact windows kept per incident (deleted ones included).
pub const MAX_IMPACT_WINDOWS: usize = 1_000;

/// Alert identities tracked per incident (for "every grouped alert has resolved").
pub const MAX_TRACKED_ALERTS: usize = 1_000;
/// Replaced postmortem sections kept per incident (each keeps the text it replaced).
pub const MAX_SECTION_EDITS: usize = 500;
/// Custom postmortem sections (by key) kept per incident.
pub const MAX_CUSTOM_SECTIONS: usize = 100;
/// Alerts listed one by one in the timeline; later ones are counted only.
pub const MAX_LISTED_ALERTS: u64 = 100;

/// What an alert notification did to its incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertEffect {
    /// A new firing alert (or a chat repeat) was counted.
    Counted,
    /// Already known in this state (a re-sent notification): nothing changed.
    Duplicate,
    /// A firing alert resolved; `all`: every tracked alert of the incident has now resolved.
    Resolved { all: bool },
}

/// A transition that is not allowed, with what the user should do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("{id} is already closed; `incident reopen` reopens it")]
    AlreadyClosed { id: IncidentId },
    #[error("{id} is closed; use `incident reopen` first to {what}")]
    Closed { id: IncidentId, what: &'static str },
    #[error("{id} is {status}; only a resolved or closed incident can be reopened")]
    NotReopenable { id: IncidentId, status: Status },
    #[error("severity is already {0}")]
    SameSeverity(Severity),
    #[error("status is already {0}")]
    SameStatus(Status),
    #[error("{id} is already resolved; use `incident milestone resolved WHEN` to correct the time")]
    AlreadyResolved { id: IncidentId },
    #[error("{milestone} can't be {} {other} ({other_at})", if *.before { "before" } else { "after" })]
    MilestoneOrder {
        milestone: Milestone,
        other: Milestone,
        other_at: DateTime<Utc>,
        before: bool,
    },
    #[error("{what} time {at} is in the future; give the time it actually happened")]
    Future { what: String, at: DateTime<Utc> },
    #[error("text is empty; say what happened")]
    Empty,
    #[error(
        "text is too long ({len} characters; at most {MAX_TEXT_CHARS}); shorten it or split it over several entries"
    )]
    TooLong { len: usize },
    #[error("{0} already holds that role")]
    SameRole(String),
    #[error("this incident has as many {0} as it can hold; open a new incident")]
    Full(&'static str),
    #[error("there is no {what} #{n}; {} shows the numbers", listing(what))]
    NoSuch { what: &'static str, n: u32 },
    #[error("{what} #{n} was deleted; {} shows the ones there are", listing(what))]
    Gone { what: &'static str, n: u32 },
    #[error("{0}; nothing changed")]
    Unchanged(String),
    #[error("{what} is one time, not a range")]
    Range { what: String },
    #[error("an impact window needs a start and an end: START..END")]
    NotARange,
    #[error("the window ends before it starts; give START..END")]
    Backwards,
    #[error("{0}")]
    BadAction(String),
    /// A value that is not valid, with what to give instead.
    #[error("{0}")]
    Invalid(String),
}

impl TransitionError {
    /// The message with times shown in `tz` instead of UTC.
    pub fn message<Tz: TimeZone>(&self, tz: &Tz) -> String
    where
        Tz::Offset: Display,
    {
        let show = |t: &DateTime<Utc>| fmt_minute(*t, tz);
        match self {
            TransitionError::MilestoneOrder {
                milestone,
                other,
                other_at,
                before,
            } => format!(
                "{milestone} can't be {} {other} ({}); correct {other} first with `incident milestone {other} WHEN`",
                if *before { "before" } else { "after" },
                show(other_at)
            ),
            TransitionError::Future { what, at } => {
                format!(
                    "{what} time {} is in the future; give the time it actually happened",
                    show(at)
                )
            }
            other => other.to_string(),
        }
    }
}

/// The command that lists what `what` names (for refusals that name a number).
fn listing(what: &str) -> &'static str {
    if what == "action" {
        "`action list`"
    } else {
        "`incident impact list`"
    }
}

pub fn check_text(text: &str) -> Result<(), TransitionError> {
    let len = text.chars().count();
    if text.trim().is_empty() {
        Err(TransitionError::Empty)
    } else if len > MAX_TEXT_CHARS {
        Err(TransitionError::TooLong { len })
    } else {
        Ok(())
    }
}

/// An action's fields trimmed and checked: text present, at most `MAX_TEXT_CHARS`, owners
/// without duplicates, a ticket only as an http(s) URL.
fn clean_action(mut f: ActionFields) -> Result<ActionFields, TransitionError> {
    f.text = f.text.trim().to_string();
    check_text(&f.text)?;
    let mut owners: Vec<String> = Vec::new();
    for o in f.owners.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
        if !owners.iter().any(|x| x == o) {
            owners.push(o.to_string());
        }
    }
    f.owners = owners;
    if f.owners.len() > MAX_OWNERS {
        return Err(TransitionError::BadAction(format!(
            "{} owners; an action takes at most {MAX_OWNERS}",
            f.owners.len()
        )));
    }
    if let Some(o) = f.owners.iter().find(|o| o.chars().count() > MAX_NAME_CHARS) {
        return Err(TransitionError::BadAction(format!(
            "owner `{}…` is longer than {MAX_NAME_CHARS} characters",
            o.chars().take(20).collect::<String>()
        )));
    }
    if let Some(t) = &f.ticket {
        let l = t.to_ascii_lowercase();
        if !(l.starts_with("https://") || l.starts_with("http://")) || t.chars().any(char::is_whitespace) {
            return Err(TransitionError::BadAction("the ticket is not an http(s) URL".into()));
        }
        if t.chars().count() > super::writeup::MAX_URL_CHARS {
            return Err(TransitionError::BadAction(format!(
                "the ticket URL is longer than {} characters",
                super::writeup::MAX_URL_CHARS
            )));
        }
    }
    if let Some(k) = &f.kind {
        check_text(k)?;
        if k.chars().count() > MAX_NAME_CHARS {
            return Err(TransitionError::BadAction(format!(
                "the type is longer than {MAX_NAME_CHARS} characters"
            )));
        }
    }
    Ok(f)
}

/// `fix disk alerts (owners @bob, @carol; due 2026-12-01; type prevent; ticket https://…)`.
pub fn action_line(f: &ActionFields) -> String {
    let mut extra = Vec::new();
    if !f.owners.is_empty() {
        extra.push(format!(
            "owner{} {}",
            if f.owners.len() > 1 { "s" } else { "" },
            f.owners.join(", ")
        ));
    }
    if let Some(d) = f.due {
        extra.push(format!("due {d}"));
    }
    if let Some(k) = &f.kind {
        extra.push(format!("type {k}"));
    }
    if let Some(t) = &f.ticket {
        extra.push(format!("ticket {t}"));
    }
    if extra.is_empty() {
        f.text.clone()
    } else {
        format!("{} ({})", f.text, extra.join("; "))
    }
}

fn check_not_future(what: &str, when: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), TransitionError> {
    if (when - now).num_seconds() > FUTURE_SLACK_SECS {
        return Err(TransitionError::Future {
            what: what.to_string(),
            at: when,
        });
    }
    Ok(())
}

/// A title on one line: line breaks, tabs and other control characters (with the spaces
/// around them) become one space; trimmed. Every place a title is shown is a single line.
pub fn single_line(text: &str) -> String {
    text.split(|c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Everything needed to open an incident.
#[derive(Debug, Clone)]
pub struct Opening {
    pub id: IncidentId,
    pub title: String,
    pub severity: Severity,
    pub by: Person,
    pub at: DateTime<Utc>,
    pub source: Source,
    pub fingerprint: Option<String>,
    pub trigger: Option<AlertInfo>,
}

impl Incident {
    /// Open an incident, by hand or from an alert. Detection time is the alert's time, or the
    /// declaration time when declared by hand.
    pub fn open(o: Opening) -> Result<(Incident, Vec<NewEntry>), TransitionError> {
        let title = single_line(&o.title);
        check_text(&title)?;
        let detected = o.trigger.as_ref().map_or(o.at, |a| a.at.min(o.at));
        let mut milestones = BTreeMap::new();
        milestones.insert(Milestone::Detected, detected);
        let mut entries = Vec::new();
        if let Some(alert) = &o.trigger {
            entries.push(
                NewEntry::new(
                    alert.at,
                    &alert.sender,
                    EntryKind::AlertReceived,
                    format!("alert received (rule {}): {}", alert.rule, alert.text),
                    alert.source,
                )
                .phrased(
                    Phrase::new("entry-alert-received")
                        .arg("rule", &alert.rule)
                        .arg("text", &alert.text),
                ),
            );
        }
        entries.push(
            NewEntry::new(
                o.at,
                &o.by,
                EntryKind::Declared,
                format!("{} declared: {}, {}", o.id, title, o.severity.label()),
                o.source,
            )
            .phrased(
                Phrase::new("entry-declared")
                    .arg("id", o.id)
                    .arg("title", &title)
                    .term("severity", format!("severity-{}", o.severity)),
            ),
        );
        let incident = Incident {
            id: o.id,
            slug: room_slug(o.id, &title),
            title,
            severity: o.severity,
            status: Status::Investigating,
            declared_at: o.at,
            declared_by: o.by,
            source: o.source,
            roles: Vec::new(),
            milestones,
            services: Vec::new(),
            actions: Vec::new(),
            sections: BTreeMap::new(),
            fingerprint: o.fingerprint,
            alert_count: u64::from(o.trigger.is_some()),
            trigger: o.trigger,
            rooms: Vec::new(),
            last_seq: 0,
            open_in: Vec::new(),
            alerts: BTreeMap::new(),
            alerts_untracked: 0,
            section_edits: Vec::new(),
            custom_sections: BTreeMap::new(),
            custom_section_edits: Vec::new(),
            storm: None,
            storm_fingerprints: BTreeSet::new(),
            milestone_precision: BTreeMap::new(),
            impacts: Vec::new(),
            title_edits: Vec::new(),
            dated_anchor: None,
            live_since_anchor: false,
            links: Vec::new(),
            related: Vec::new(),
            authors: Vec::new(),
            reviewers: Vec::new(),
            reviews: Vec::new(),
            template: None,
            language: None,
            captures: BTreeMap::new(),
            capture_removals: BTreeMap::new(),
            last_update: None,
            reminders: Default::default(),
        };
        Ok((incident, entries))
    }

    pub fn is_closed(&self) -> bool {
        self.status.is_closed()
    }

    /// When a milestone happened, with the precision it was given in.
    pub fn milestone_moment(&self, m: Milestone) -> Option<Moment> {
        self.milestones.get(&m).map(|&at| Moment {
            at,
            precision: self.milestone_precision.get(&m).copied().unwrap_or_default(),
            end: None,
        })
    }

    /// Impact windows not deleted, in the order they start.
    pub fn live_impacts(&self) -> Vec<&ImpactWindow> {
        let mut w: Vec<&ImpactWindow> = self.impacts.iter().filter(|w| w.deleted.is_none()).collect();
        w.sort_by_key(|w| (w.start, w.end, w.n));
        w
    }

    /// Total impact time in seconds, overlapping windows counted once, and whether it is
    /// approximate (a window given approximately or by date).
    pub fn impact_seconds(&self) -> (i64, bool) {
        let mut total = 0;
        let mut current: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
        let windows = self.live_impacts();
        for w in &windows {
            current = match current {
                Some((s, e)) if w.start <= e => Some((s, e.max(w.end))),
                Some((s, e)) => {
                    total += (e - s).num_seconds();
                    Some((w.start, w.end))
                }
                None => Some((w.start, w.end)),
            };
        }
        if let Some((s, e)) = current {
            total += (e - s).num_seconds();
        }
        (total, windows.iter().any(|w| w.precision.is_vague()))
    }

    /// Seconds from `from` (else `fallback`) to `to`, when both ends are recorded.
    pub fn span(&self, from: Milestone, to: Milestone, fallback: Option<Milestone>) -> Option<i64> {
        let start = self
            .milestones
            .get(&from)
            .or_else(|| fallback.and_then(|f| self.milestones.get(&f)))?;
        Some((*self.milestones.get(&to)? - *start).num_seconds())
    }

    /// The platforms this incident lives on: its `open_in`, else the platform it was declared
    /// on (none for one declared where there is no chat platform, say a webhook without
    /// `open_in`).
    pub fn home_platforms(&self) -> Vec<Platform> {
        if self.open_in.is_empty() {
            Platform::of(self.source).into_iter().collect()
        } else {
            self.open_in.clone()
        }
    }

    /// Does this incident live on `platform` (see `home_platforms`)?
    pub fn lives_on(&self, platform: Platform) -> bool {
        self.home_platforms().contains(&platform)
    }

    /// Is this open incident meant to live on `platform` but still without a room there
    /// (stranded, or its room being made)?
    pub fn lacks_room_on(&self, platform: Platform) -> bool {
        self.lives_on(platform) && !self.is_closed() && self.room_on(platform).is_none()
    }

    /// The incident's commander as assigned (`incident lead @x`), if any.
    pub fn commander(&self) -> Option<&str> {
        self.roles
            .iter()
            .find(|(r, _)| *r == Role::Commander)
            .map(|(_, who)| who.as_str())
    }

    /// The incident's room on `platform`, if it has one there.
    pub fn room_on(&self, platform: Platform) -> Option<&str> {
        self.rooms
            .iter()
            .find(|r| r.platform == platform)
            .map(|r| r.room.as_str())
    }

    /// The alert fingerprint this incident groups, while it is open (closed incidents group nothing).
    pub fn open_fingerprint(&self) -> Option<&str> {
        self.fingerprint.as_deref().filter(|_| !self.is_closed())
    }

    pub(super) fn ensure_open(&self, what: &'static str) -> Result<(), TransitionError> {
        if self.is_closed() {
            return Err(TransitionError::Closed { id: self.id, what });
        }
        Ok(())
    }

    pub fn set_severity(
        &mut self,
        sev: Severity,
        by: &Person,
        at: impl Into<Moment>,
        src: Source,
    ) -> Result<Vec<NewEntry>, TransitionError> {
        let at = at.into();
        if sev == self.severity {
            return Err(TransitionError::SameSeverity(sev));
        }
        let text = format!("severity {} → {}", self.severity, sev);
        let phrase = Phrase::new("entry-severity").arg("from", self.severity).arg("to", sev);
        self.severity = sev;
        Ok(vec![
            NewEntry::new(at.at, by, EntryKind::Severity, text, src)
                .at_moment(at)
                .phrased(phrase),
        ])
    }

    pub fn set_status(
        &mut self,
        status: Status,
        note: Option<&str>,
        by: &Person,
        at: impl Into<Moment>,
        src: Source,
    ) -> Result<Vec<NewEntry>, TransitionError> {
        let at = at.into();
        self.ensure_open("change its status")?;
        if status == self.status {
            return Err(TransitionError::SameStatus(status));
        }
        if let Some(n) = note {
            check_text(n)?;
        }
        let mut entries = Vec::new();
        let text = match note {
            Some(n) => format!("status {} → {}: {}", self.status, status, n.trim()),
            None => format!("status {} → {}", self.status, status),
        };
        let phrase = status_phrase(self.status, status, note);
        if status == Status::Resolved && !self.milestones.contains_key(&Milestone::Resolved) {
            entries.extend(self.set_milestone(Milestone::Resolved, at, by, at.at, src)?);
        } else if self.status == Status::Resolved {
            self.milestones.remove(&Milestone::Resolved);
            self.milestone_precision.remove(&Milestone::Resolved);
        }
        self.status = status;
        entries.insert(
            0,
            NewEntry::new(at.at, by, EntryKind::Status, text, src)
                .at_moment(at)
                .phrased(phrase),
        );
        Ok(entries)
    }

    pub fn assign_role(
        &mut self,
        role: Role,
        who: &str,
        by: &Person,
        at: impl Into<Moment>,
        src: Source,
    ) -> Result<Vec<NewEntry>, TransitionError> {
        let at = at.into();
        check_text(who)?;
        let who = who.trim().to_string();
        let role_phrase = |key: &str| {
            let p = Phrase::new(key).arg("who", &who).arg("role_name", &role);
            match role {
                Role::Custom(_) => p.arg("role", &role),
                _ => p.term("role", format!("role-{}", role.name())),
            }
        };
        let (text, phrase) = match self.roles.iter_mut().find(|(r, _)| *r == role) {
            Some((_, holder)) if *holder == who => return Err(TransitionError::SameRole(who)),
            Some((_, holder)) => {
                let previous = std::mem::replace(holder, who.clone());
                (
                    format!("{who} is now {role} (was {previous})"),
                    role_phrase("entry-role-was").arg("previous", previous),
                )
            }
            None => {
                self.roles.push((role.clone(), who.clone()));
                (format!("{who} is now {role}"), role_phrase("entry-role"))
            }
        };
        Ok(vec![
            NewEntry::new(at.at, by, EntryKind::Role, text, src)
                .at_moment(at)
                .phrased(phrase),
        ])
    }

    /// Record when a milestone happened. `now` bounds how far in the future `when` may be.
    pub fn set_milestone(
        &mut self,
        m: Milestone,
        when: impl Into<Moment>,
        by: &Person,
        now: DateTime<Utc>,
        src: Source,
    ) -> Result<Vec<NewEntry>, TransitionError> {
        let moment = when.into();
        if moment.end.is_some() {
            return Err(TransitionError::Range { what: m.to_string() });
        }
        let when = moment.at;
        check_not_future(m.as_str(), when, now)?;
        for other in m.must_follow() {
            if let Some(&t) = self.milestones.get(other)
                && when < t
            {
                return Err(TransitionError::MilestoneOrder {
                    milestone: m,
                    other: *other,
                    other_at: t,
                    before: true,
                });
            }
        }
        for other in Milestone::ALL {
            if other.must_follow().contains(&m)
                && let Some(&t) = self.milestones.get(&other)
                && when > t
            {
                return Err(TransitionError::MilestoneOrder {
                    milestone: m,
                    other,
                    other_at: t,
                    before: false,
                });
            }
        }
        let named = |key: &str| {
            Phrase::new(key)
                .arg("name", m)
                .term("milestone", format!("milestone-{m}"))
        };
        let (text, phrase) = match self.milestones.insert(m, when) {
            Some(prev) if prev != when => {
                let was = fmt_minute(prev, &Utc);
                (
                    format!("milestone {m} (corrected; was {was})"),
                    named("entry-milestone-corrected").arg("was", was),
                )
            }
            _ => (format!("milestone {m}"), named("entry-milestone")),
        };
        if moment.precision.is_minute() {
            self.milestone_precision.remove(&m);
        } else {
            self.milestone_precision.insert(m, moment.precision);
        }
        Ok(vec![
            NewEntry::new(when, by, EntryKind::Milestone, text, src)
                .at_moment(moment)
                .phrased(phrase),
        ])
    }

    pub fn add_services(
        &mut self,
        services: &[String],
        by: &Person,
        at: impl Into<Moment>,
        src: Source,
    ) -> Result<Vec<NewEntry>, TransitionError> {
        let at = at.into();
        let mut added = Vec::new();
        if let Some(long) = services.iter().find(|s| s.chars().count() > MAX_NAME_CHARS) {
            return Err(TransitionError::BadAction(format!(
                "service name `{}…` is longer than {MAX_NAME_CHARS} characters",
                long.chars().take(20).collect::<String>()
            )));
        }
        for s in services {
            let s = s.trim().trim_end_matches(',').to_string();
            if !s.is_empty() && !self.services.contains(&s) && !added.contains(&s) {
                added.push(s);
            }
        }
        if added.is_empty() {
            return Ok(Vec::new());
        }
        let text = format!("affects: {}", added.join(", "));
        let phrase = Phrase::new("entry-affects").arg("services", added.join(", "));
        self.services.extend(added);
        Ok(vec![
            NewEntry::new(at.at, by, EntryKind::Services, text, src)
                .at_moment(at)
                .phrased(phrase),
        ])
    }

    pub fn resolve(
        &mut self,
        when: impl Into<Moment>,
        note: Option<&str>,
        by: &Person,
        now: DateTime<Utc>,
        src: Source,
    ) -> Result<Vec<NewEntry>, TransitionError> {
        let when = when.into();
        self.ensure_open("resolve it")?;
        if self.status == Status::Resolved {
            return Err(TransitionError::AlreadyResolved { id: self.id });
        }
        if let Some(n) = note {
            check_text(n)?;
        }
        let mut entries = self.set_milestone(Milestone::Resolved, when, by, now, src)?;
        let text = match note {
            Some(n) => format!("status {} → resolved: {}", self.status, n.trim()),
            None => format!("status {} → resolved", self.status),
        };
        let phrase = status_phrase(self.status, Status::Resolved, note);
        self.status = Status::Resolved;
        entries.insert(
            0,
            NewEntry::new(when.at, by, EntryKind::Status, text, src)
                .at_moment(when)
                .phrased(phrase),
        );
        Ok(entries)
    }

    pub fn close(&mut self, by: &Person, at: DateTime<Utc>, src: Source) -> Result<Vec<NewEntry>, TransitionError> {
        if self.is_closed() {
            return Err(TransitionError::AlreadyClosed { id: self.id });
        }
        // A close never precedes what is already recorded: a message sent before the alert
        // that opened the incident arrived (clocks, a late delivery) closes it at the latest
        // milestone, so every milestone stays in order.
        let at = self.milestones.values().copied().fold(at, DateTime::max);
        let mut entries = Vec::new();
        if !self.milestones.contains_key(&Milestone::Resolved) {
            entries.extend(self.set_milestone(Milestone::Resolved, at, by, at, src)?);
        }
        self.milestones.insert(Milestone::Closed, at);
        self.status = Status::Closed;
        entries.push(
            NewEntry::new(at, by, EntryKind::Closed, format!("{} closed", self.id), src)
                .phrased(Phrase::new("entry-closed").arg("id", self.id)),
        );
        Ok(entries)
    }

    pub fn reopen(&mut self, by: &Person, at: DateTime<Utc>, src: Source) -> Result<Vec<NewEntry>, TransitionError> {
        if !matches!(self.status, Status::Closed | Status::Resolved) {
            return Err(TransitionError::NotReopenable {
                id: self.id,
                status: self.status,
            });
        }
        self.milestones.remove(&Milestone::Closed);
        self.milestones.remove(&Milestone::Resolved);
        self.milestone_precision.remove(&Milestone::Resolved);
        let text = format!("{} reopened (was {})", self.id, self.status);
        let phrase = Phrase::new("entry-reopened")
            .arg("id", self.id)
            .term("status", format!("status-{}", self.status));
        self.status = Status::Investigating;
        Ok(vec![
            NewEntry::new(at, by, EntryKind::Reopened, text, src).phrased(phrase),
        ])
    }

    /// Add a follow-up action item; its number is one more than the highest so far.
    pub fn add_action(
        &mut self,
        fields: ActionFields,
        by: &Person,
        at: DateTime<Utc>,
        src: Source,
    ) -> Result<(u32, Vec<NewEntry>), TransitionError> {
        let fields = clean_action(fields)?;
        let n = self
            .actions
            .iter()
            .map(|a| a.n)
            .max()
            .unwrap_or(0)
            .checked_add(1)
            .ok_or(TransitionError::Full("actions"))?;
        let entry = format!("action #{n} added: {}", action_line(&fields));
        self.actions.push(Action {
            n,
            fields,
            added_by: by.clone(),
            at,
            done: None,
            deleted: None,
            history: Vec::new(),
        });
        Ok((n, vec![NewEntry::new(at, by, EntryKind::Action, entry, src)]))
    }

    fn action_mut(&mut self, n: u32) -> Result<&mut Action, TransitionError> {
        match self.actions.iter_mut().find(|a| a.n == n) {
            Some(a) if a.deleted.is_some() => Err(TransitionError::Gone { what: "action", n }),
            Some(a) => Ok(a),
            None => Err(TransitionError::NoSuch { what: "action", n }),
        }
    }

    /// Change an action item (`action edit N ...`), keeping its previous fields.
    pub fn edit_action(
        &mut self,
        n: u32,
        change: impl FnOnce(&mut ActionFields),
        by: &Person,
        at: DateTime<Utc>,
        src: Source,
    ) -> Result<Vec<NewEntry>, TransitionError> {
        let a = self.action_mut(n)?;
        let mut fields = a.fields.clone();
        change(&mut fields);
        let fields = clean_action(fields)?;
        if fields == a.fields {
            return Err(TransitionError::Unchanged(format!("action #{n} already reads that")));
        }
        let previous = std::mem::replace(&mut a.fields, fields);
        a.history.push(ActionEdit {
            at,
            by: by.clone(),
            change: "edit".into(),
            previous,
        });
        let text = format!("action #{n} edited: {}", action_line(&a.fields));
        Ok(vec![NewEntry::new(at, by, EntryKind::Action, text, src)])
    }

    /// Mark an action item done (`action done N`).
    pub fn action_done(
        &mut self,
        n: u32,
        by: &Person,
        at: DateTime<Utc>,
        src: Source,
    ) -> Result<Vec<NewEntry>, TransitionError> {
        let a = self.action_mut(n)?;
        if a.done.is_some() {
            return Err(TransitionError::Unchanged(format!("action #{n} is already done")));
        }
        a.done = Some(Stamp { by: by.clone(), at });
        a.history.push(ActionEdit {
            at,
            by: by.clone(),
            change: "done".into(),
            previous: a.fields.clone(),
        });
        let text = format!("action #{n} done: {}", a.fields.text);
        Ok(vec![NewEntry::new(at, by, EntryKind::Action, text, src)])
    }

    /// Remove an action item from the draft (`action delete N`); it stays stored, marked.
    pub fn delete_action(
        &mut self,
        n: u32,
        by: &Person,
        at: DateTime<Utc>,
        src: Source,
    ) -> Result<(String, Vec<NewEntry>), TransitionError> {
        let a = self.action_mut(n)?;
        a.deleted = Some(Stamp { by: by.clone(), at });
        a.history.push(ActionEdit {
            at,
            by: by.clone(),
            change: "delete".into(),
            previous: a.fields.clone(),
        });
        let removed = a.fields.text.clone();
        let text = format!("action #{n} deleted: {removed}");
        Ok((removed, vec![NewEntry::new(at, by, EntryKind::Action, text, src)]))
    }

    /// Record an impact window (`incident impact START..END [note]`). `seq` is the number its
    /// timeline entry will get, so that deleting the window can hide that entry too.
    pub fn add_impact(
        &mut self,
        window: Moment,
        note: Option<&str>,
        by: &Person,
        now: DateTime<Utc>,
        src: Source,
    ) -> Result<(u32, Vec<NewEntry>), TransitionError> {
        let Some(end) = window.end else {
            return Err(TransitionError::NotARange);
        };
        check_not_future("impact end", end, now)?;
        if end < window.at {
            return Err(TransitionError::Backwards);
        }
        if let Some(n) = note {
            check_text(n)?;
        }
        if self.impacts.len() >= MAX_IMPACT_WINDOWS {
            return Err(TransitionError::Full("impact windows"));
        }
        let n = self.impacts.iter().map(|w| w.n).max().unwrap_or(0) + 1;
        let note = note.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        let text = match &note {
            Some(t) => format!("impact window #{n}: {t}"),
            None => format!("impact window #{n}"),
        };
        self.impacts.push(ImpactWindow {
            n,
            seq: self.last_seq.saturating_add(1),
            start: window.at,
            end,
            precision: window.precision,
            note,
            by: by.clone(),
            recorded_at: now,
            deleted: None,
        });
        Ok((
            n,
            vec![NewEntry::new(window.at, by, EntryKind::Impact, text, src).at_moment(window)],
        ))
    }

    /// Delete an impact window (`incident impact delete N`): it leaves the draft and its total,
    /// and stays stored, marked.
    pub fn delete_impact(
        &mut self,
        n: u32,
        by: &Person,
        at: DateTime<Utc>,
        src: Source,
    ) -> Result<(ImpactWindow, Vec<NewEntry>), TransitionError> {
        let w = match self.impacts.iter_mut().find(|w| w.n == n) {
            Some(w) if w.deleted.is_some() => {
                return Err(TransitionError::Gone {
                    what: "impact window",
                    n,
                });
            }
            Some(w) => w,
            None => {
                return Err(TransitionError::NoSuch {
                    what: "impact window",
                    n,
                });
            }
        };
        w.deleted = Some(Stamp { by: by.clone(), at });
        let text = format!("impact window #{n} deleted");
        Ok((w.clone(), vec![NewEntry::new(at, by, EntryKind::Correction, text, src)]))
    }

    /// Rename the incident (`incident title`), keeping the previous title. The room keeps its name.
    pub fn set_title(
        &mut self,
        title: &str,
        by: &Person,
        at: DateTime<Utc>,
        src: Source,
    ) -> Result<Vec<NewEntry>, TransitionError> {
        let title = single_line(title);
        check_text(&title)?;
        if title == self.title {
            return Err(TransitionError::Unchanged("the title already reads that".into()));
        }
        let previous = std::mem::replace(&mut self.title, title);
        let text = format!("title changed to \"{}\" (was \"{previous}\")", self.title);
        self.title_edits.push(TitleEdit {
            at,
            by: by.clone(),
            previous,
        });
        Ok(vec![NewEntry::new(at, by, EntryKind::Title, text, src)])
    }

    /// Add to (or with `replace`, overwrite) a postmortem section. Not a timeline event; a
    /// replaced text is kept in `section_edits` with who replaced it and when.
    pub fn contribute(
        &mut self,
        section: Section,
        text: &str,
        replace: bool,
        by: &Person,
        at: DateTime<Utc>,
    ) -> Result<(), TransitionError> {
        check_text(text)?;
        let items = self.sections.entry(section).or_default();
        if replace && !items.is_empty() {
            // One cap for built-in and custom sections together, as `restore` checks.
            if self.section_edits.len() + self.custom_section_edits.len() >= MAX_SECTION_EDITS {
                return Err(TransitionError::Full("replaced sections"));
            }
            self.section_edits.push(SectionEdit {
                section,
                at,
                by: by.clone(),
                previous: std::mem::take(items),
            });
        }
        items.push(Contribution::new(text, by, at));
        Ok(())
    }

    /// Add to (or with `replace`, overwrite) the custom postmortem section `key` (one declared
    /// in `[[postmortem.sections]]`; the service checks that). Like `contribute`: a replaced
    /// text is kept in `custom_section_edits`.
    pub fn contribute_custom(
        &mut self,
        key: &str,
        text: &str,
        replace: bool,
        by: &Person,
        at: DateTime<Utc>,
    ) -> Result<(), TransitionError> {
        check_text(text)?;
        if !super::is_custom_section_key(key) {
            return Err(TransitionError::Invalid(format!(
                "`{key}` is not a section key (lowercase letters, digits and `-`, at most {} characters)",
                super::MAX_CUSTOM_KEY_CHARS
            )));
        }
        if !self.custom_sections.contains_key(key) && self.custom_sections.len() >= MAX_CUSTOM_SECTIONS {
            return Err(TransitionError::Full("custom postmortem sections"));
        }
        let replacing = replace && self.custom_sections.get(key).is_some_and(|v| !v.is_empty());
        if replacing && self.section_edits.len() + self.custom_section_edits.len() >= MAX_SECTION_EDITS {
            return Err(TransitionError::Full("replaced sections"));
        }
        let items = self.custom_sections.entry(key.to_string()).or_default();
        if replacing {
            self.custom_section_edits.push(CustomSectionEdit {
                key: key.to_string(),
                at,
                by: by.clone(),
                previous: std::mem::take(items),
            });
        }
        items.push(Contribution::new(text, by, at));
        Ok(())
    }

    /// Open the alert-storm incident of `key` (a rule name, or `hook:<source>`), whose alerts
    /// opened `limit` incidents within a minute. `o` is the opening the first alert beyond the
    /// limit would have had: the storm incident takes its severity, time, source and trigger,
    /// groups its fingerprint, and is itself found by `storm_fingerprint(key)`.
    pub fn open_storm(o: Opening, key: &str, limit: u32) -> Result<(Incident, Vec<NewEntry>), TransitionError> {
        let alert_fp = o.fingerprint.clone();
        let (mut inc, mut entries) = Incident::open(Opening {
            title: format!("Alert storm: {}", storm_subject(key)),
            fingerprint: Some(storm_fingerprint(key)),
            ..o
        })?;
        inc.storm = Some(key.to_string());
        if let Some(fp) = alert_fp {
            inc.group_fingerprint(&fp);
        }
        if let Some(e) = entries.iter_mut().find(|e| e.kind == EntryKind::Declared) {
            e.text.push_str(&format!(
                " — {} opened {limit} incidents within a minute; further alerts that would open an incident join this one",
                storm_subject(key)
            ));
            if let Some(p) = e.phrase.take() {
                e.phrase = Some(
                    Phrase {
                        key: "entry-declared-storm".into(),
                        ..p
                    }
                    .arg("subject", storm_subject(key))
                    .arg("limit", limit),
                );
            }
        }
        Ok((inc, entries))
    }

    /// Group an alert fingerprint into this alert-storm incident: while it is open, alerts
    /// with that fingerprint join it. Beyond `MAX_TRACKED_ALERTS` fingerprints, alerts are
    /// still counted here, but their fingerprints no longer lead here.
    pub fn group_fingerprint(&mut self, fp: &str) {
        if self.fingerprint.as_deref() != Some(fp) && self.storm_fingerprints.len() < MAX_TRACKED_ALERTS {
            self.storm_fingerprints.insert(fp.to_string());
        }
    }

    /// Every fingerprint that leads alerts to this incident while it is open: its own and,
    /// for an alert storm, the grouped ones. Closed incidents group nothing.
    pub fn open_fingerprints(&self) -> impl Iterator<Item = &str> {
        let open = !self.is_closed();
        self.fingerprint
            .iter()
            .chain(self.storm_fingerprints.iter())
            .map(String::as_str)
            .filter(move |_| open)
    }

    /// A further alert with this incident's fingerprint.
    #[cfg(test)]
    pub fn alert_repeated(&mut self, text: &str, sender: &Person, at: DateTime<Utc>, src: Source) -> Vec<NewEntry> {
        self.alert_fired(None, text, sender, at, src).1
    }

    /// Remember the alert that opened this incident (by identity, if it has one).
    pub fn track_first_alert(&mut self, key: Option<&str>) {
        if let Some(k) = key {
            self.alerts.insert(k.to_string(), true);
        }
    }

    /// A firing alert grouped into this incident. One with an identity already firing here is
    /// a re-sent notification and changes nothing; one without (a chat alert) is a repeat.
    /// The timeline lists the first `MAX_LISTED_ALERTS`; later ones are counted.
    pub fn alert_fired(
        &mut self,
        key: Option<&str>,
        text: &str,
        sender: &Person,
        at: DateTime<Utc>,
        src: Source,
    ) -> (AlertEffect, Vec<NewEntry>) {
        let mut again = false;
        if let Some(k) = key {
            let room = self.alerts.len() < MAX_TRACKED_ALERTS;
            match self.alerts.get_mut(k) {
                Some(true) => return (AlertEffect::Duplicate, Vec::new()),
                Some(firing) => {
                    *firing = true;
                    again = true;
                }
                None if room => {
                    self.alerts.insert(k.to_string(), true);
                }
                None => self.alerts_untracked = self.alerts_untracked.saturating_add(1),
            }
        }
        self.alert_count = self.alert_count.saturating_add(1);
        let text = text.trim();
        let entries = if self.alert_count <= MAX_LISTED_ALERTS {
            let (what, key) = match (key, again) {
                (None, _) => (
                    format!("alert repeated (×{}): {text}", self.alert_count),
                    "entry-alert-repeated",
                ),
                (Some(_), true) => (
                    format!("alert firing again (×{}): {text}", self.alert_count),
                    "entry-alert-again",
                ),
                (Some(_), false) => (
                    format!("alert firing (×{}): {text}", self.alert_count),
                    "entry-alert-firing",
                ),
            };
            let phrase = Phrase::new(key).arg("count", self.alert_count).arg("text", text);
            vec![NewEntry::new(at, sender, EntryKind::AlertRepeated, what, src).phrased(phrase)]
        } else if self.alert_count == MAX_LISTED_ALERTS + 1 {
            let what = format!(
                "more than {MAX_LISTED_ALERTS} alerts: further ones are counted (see the alert count), not listed"
            );
            vec![
                NewEntry::new(at, &Person::warroom(), EntryKind::AlertRepeated, what, src)
                    .phrased(Phrase::new("entry-alerts-not-listed").arg("max", MAX_LISTED_ALERTS)),
            ]
        } else {
            Vec::new()
        };
        (AlertEffect::Counted, entries)
    }

    /// A "resolved" notification for an alert of this incident. Unknown or already resolved
    /// alerts change nothing.
    pub fn alert_resolved(
        &mut self,
        key: &str,
        text: &str,
        sender: &Person,
        at: DateTime<Utc>,
        src: Source,
    ) -> (AlertEffect, Vec<NewEntry>) {
        match self.alerts.get_mut(key) {
            Some(firing @ true) => *firing = false,
            _ => return (AlertEffect::Duplicate, Vec::new()),
        }
        let all = self.all_alerts_resolved();
        let still = self.alerts.values().filter(|f| **f).count();
        let mut entries = Vec::new();
        if self.alerts.len() as u64 <= MAX_LISTED_ALERTS || all {
            let (what, phrase) = if all {
                (
                    format!(
                        "alert resolved: {} (all {} alerts resolved)",
                        text.trim(),
                        self.alerts.len()
                    ),
                    Phrase::new("entry-alert-resolved-all").arg("count", self.alerts.len()),
                )
            } else {
                (
                    format!("alert resolved: {} ({still} still firing)", text.trim()),
                    Phrase::new("entry-alert-resolved").arg("still", still),
                )
            };
            let phrase = phrase.arg("text", text.trim());
            entries.push(NewEntry::new(at, sender, EntryKind::AlertResolved, what, src).phrased(phrase));
        }
        (AlertEffect::Resolved { all }, entries)
    }

    /// Every alert tracked by identity has resolved (and none went untracked).
    pub fn all_alerts_resolved(&self) -> bool {
        !self.alerts.is_empty() && self.alerts_untracked == 0 && self.alerts.values().all(|f| !f)
    }
}

/// The fingerprint that finds the open alert-storm incident of a rule (or `hook:<source>`).
/// Rule fingerprints are `<rule>:<group>`; the parenthesised prefix keeps the two apart.
pub fn storm_fingerprint(key: &str) -> String {
    format!("(alert storm) {key}")
}

/// How a storm's rule or source is named to people: `rule data-pipeline`, `alertmanager alerts`.
pub fn storm_subject(key: &str) -> String {
    match key.strip_prefix("hook:") {
        Some(source) => format!("{source} alerts"),
        None => format!("rule {key}"),
    }
}

/// `inc-<n>-<slug of title>`: lowercase ASCII letters, digits and `-`, at most 80 characters,
/// valid as a Slack channel name and a Matrix alias localpart. Letters of other scripts are
/// transliterated (`Výpadok účtovného` → `vypadok-uctovneho`, `Störung` → `storung`, CJK to
/// its romanisation); symbols, emoji and punctuation separate words.
pub fn room_slug(id: IncidentId, title: &str) -> String {
    let prefix = format!("inc-{}", id.0);
    let mut slug = String::new();
    let mut dash = false;
    for c in title.chars() {
        let mut buf = [0u8; 4];
        let piece: &str = if c.is_ascii() {
            c.encode_utf8(&mut buf)
        } else {
            match deunicode::deunicode_char(c) {
                // Combining accents, joiners: part of the letter before them.
                Some("") => continue,
                Some(t) if c.is_alphanumeric() => t,
                _ => " ",
            }
        };
        for c in piece.chars().map(|c| c.to_ascii_lowercase()) {
            if c.is_ascii_alphanumeric() {
                if dash && !slug.is_empty() {
                    slug.push('-');
                }
                dash = false;
                slug.push(c);
            } else {
                dash = true;
            }
        }
        if slug.len() >= 80 {
            break;
        }
    }
    let room = if slug.is_empty() {
        prefix
    } else {
        format!("{prefix}-{slug}")
    };
    let mut room: String = room.chars().take(80).collect();
    while room.ends_with('-') {
        room.pop();
    }
    room
}

#[cfg(test)]
#[path = "incident_tests.rs"]
mod tests;

#[cfg(test)]
impl Opening {
    /// A test incident declared by hand: SEV2, in the console, without an alert. Tests that need
    /// another severity, source or trigger override those fields (`Opening { .., ..by_hand() }`).
    pub fn by_hand(id: IncidentId, title: &str, by: Person, at: DateTime<Utc>) -> Opening {
        Opening {
            id,
            title: title.into(),
            severity: Severity::Sev2,
            by,
            at,
            source: Source::Console,
            fingerprint: None,
            trigger: None,
        }
    }
}

/// `status A → B[: note]` as a catalogue message.
fn status_phrase(from: Status, to: Status, note: Option<&str>) -> Phrase {
    let p = match note {
        Some(n) => Phrase::new("entry-status-note").arg("note", n.trim()),
        None => Phrase::new("entry-status"),
    };
    p.term("from", format!("status-{from}"))
        .term("to", format!("status-{to}"))
}
