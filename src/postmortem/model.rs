//! The postmortem view-model. Everything a renderer shows is computed here, once.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::i18n::Lang;
use crate::domain::{
    Action, Contribution, CustomSectionEdit, DURATIONS, DurationSpec, Edit, EntryKind, ImpactWindow, Incident, Link,
    Milestone, Moment, Person, Phrase, Precision, RelatedRef, Restore, ReviewChange, ReviewStatus, Section,
    SectionEdit, Severity, Status, TimelineEntry, TitleEdit, fmt_minute, fmt_moment, sort_for_display,
};

#[derive(Debug, Clone, Serialize)]
pub struct Postmortem {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub severity_label: String,
    pub status: Status,
    pub timezone: String,
    pub roles: Vec<RoleView>,
    pub milestones: Vec<MilestoneView>,
    pub durations: Vec<DurationView>,
    /// Impact windows still on record, by start.
    pub impact_windows: Vec<ImpactView>,
    /// Time covered by at least one impact window (overlaps counted once); `None` without
    /// windows.
    pub total_impact_seconds: Option<i64>,
    /// Some window is known only approximately (or by date), so the total is too.
    pub total_impact_approximate: bool,
    /// Impact windows removed with `impact delete`: kept for the record (JSON export).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deleted_impact_windows: Vec<ImpactWindow>,
    pub services: Vec<String>,
    pub sections: Vec<SectionView>,
    /// The team's own sections (`[[postmortem.sections]]`), in config order, then any stored
    /// under a key no longer configured (titled by their key, so nothing recorded disappears).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom_sections: Vec<SectionView>,
    /// Every entry on record, in display order. Bookkeeping rows (action items added,
    /// renames: `EntryKind::is_bookkeeping`) are kept here with `bookkeeping: true` so the
    /// JSON is the whole record; the Markdown and HTML drafts leave them out of their
    /// timeline (`story`).
    pub timeline: Vec<TimelineRow>,
    /// Entries removed with `timeline delete`: kept for the record (JSON export), not drawn
    /// in the Markdown and HTML drafts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deleted_entries: Vec<TimelineRow>,
    /// Every action item by number, deleted ones and each one's history included (JSON);
    /// the drafts show `draft_actions`.
    pub actions: Vec<Action>,
    /// Earlier titles, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub title_edits: Vec<TitleEdit>,
    pub alert_count: u64,
    pub generated_at: DateTime<Utc>,
    #[serde(skip)]
    pub tz: Tz,
    /// The postmortem's authors and reviewers as written (`@alice`), in the order added.
    pub authors: Vec<String>,
    pub reviewers: Vec<String>,
    /// `draft`, `in-review` or `final`.
    pub review_status: ReviewStatus,
    /// Every review status change, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub review_history: Vec<ReviewChange>,
    /// Supporting information (`postmortem link`), in the order added.
    pub links: Vec<Link>,
    /// Related incidents (`postmortem related`), in the order added.
    pub related: Vec<RelatedView>,
    /// The template and language chosen for this incident (null: the configured ones).
    pub template: Option<String>,
    pub language: Option<String>,
    /// What the Detection section's prefilled text says, for the drafts to say it in their
    /// language (the JSON keeps the English text in `sections`).
    #[serde(skip)]
    pub detection: Detection,
}

/// The facts the Detection section is written from: when the incident was detected (when
/// that differs from how it was noticed), by whom it was declared, the alert that opened it.
#[derive(Debug, Clone, Default)]
pub struct Detection {
    pub detected: Option<String>,
    pub declared_by: String,
    pub declared_at: String,
    pub alert: Option<AlertFacts>,
    pub alert_count: u64,
}

/// The alert that opened an incident, as the Detection section names it.
#[derive(Debug, Clone, Default)]
pub struct AlertFacts {
    pub room: String,
    pub rule: String,
    pub sender: String,
    pub received: String,
    pub text: String,
}

impl Detection {
    /// The Detection section's prefilled text in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        let Some(a) = &self.alert else {
            let (who, at) = (self.declared_by.as_str(), self.declared_at.as_str());
            return match &self.detected {
                Some(d) => lang.fmt(
                    "detection-detected-by-hand",
                    &[("detected", d), ("who", who), ("at", at)],
                ),
                None => lang.fmt("detection-by-hand", &[("who", who), ("at", at)]),
            };
        };
        let args = [
            ("room", a.room.as_str()),
            ("rule", &a.rule),
            ("sender", &a.sender),
            ("at", &a.received),
            ("text", &a.text),
        ];
        let text = match &self.detected {
            Some(d) => {
                let mut with = args.to_vec();
                with.push(("detected", d));
                lang.fmt("detection-detected-alert", &with)
            }
            None => lang.fmt("detection-alert", &args),
        };
        if self.alert_count > 1 {
            lang.fmt(
                "detection-alert-count",
                &[("text", &text), ("count", &self.alert_count.to_string())],
            )
        } else {
            text
        }
    }
}

/// A related incident as the draft shows it: another incident's id or a URL.
#[derive(Debug, Clone, Serialize)]
pub struct RelatedView {
    /// `INC-4` or the URL, as shown.
    pub text: String,
    /// Set when it is a warroom incident (`INC-4`).
    pub incident: Option<String>,
    /// Set when it is a URL.
    pub url: Option<String>,
    pub by: Person,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RoleView {
    pub role: String,
    pub who: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MilestoneView {
    pub name: String,
    pub at: Option<DateTime<Utc>>,
    /// How precisely `at` is known (`minute` when it was not said).
    pub precision: Precision,
}

#[derive(Debug, Clone, Serialize)]
pub struct DurationView {
    /// `time_to_detect`, `time_to_acknowledge`, `time_to_mitigate`, `time_to_resolve`.
    pub name: String,
    pub label: String,
    pub seconds: Option<i64>,
    pub from: String,
    pub to: String,
    /// Why it is missing, or how it was measured if not from the usual start.
    pub note: Option<String>,
    /// Measured from or to a milestone known only approximately (or by date).
    pub approximate: bool,
    /// What `note` says, for the drafts to say it in their language.
    #[serde(skip)]
    pub why: Option<DurationNote>,
}

/// Why a duration is missing, or what it was measured from instead.
#[derive(Debug, Clone)]
pub enum DurationNote {
    /// The milestones to set.
    Needs(Vec<Milestone>),
    /// Measured from `fallback` because `from` is not set.
    Fallback { fallback: Milestone, from: Milestone },
}

impl DurationNote {
    pub fn text(&self, lang: Lang) -> String {
        match self {
            DurationNote::Needs(ms) => {
                let each: Vec<String> = ms.iter().map(|m| format!("`incident milestone {m}`")).collect();
                let what = match each.as_slice() {
                    [a, b] => lang.fmt("list-and", &[("a", a), ("b", b)]),
                    _ => each.join(", "),
                };
                lang.fmt("needs", &[("what", &what)])
            }
            DurationNote::Fallback { fallback, from } => lang.fmt(
                "from-fallback",
                &[("fallback", fallback.as_str()), ("from", &from.to_string())],
            ),
        }
    }
}

/// One impact window as the draft shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ImpactView {
    /// The number `impact delete` takes.
    pub n: u32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub precision: Precision,
    pub note: Option<String>,
    pub seconds: i64,
    pub approximate: bool,
    pub by: Person,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SectionView {
    pub key: String,
    pub heading: String,
    /// Pre-filled text (Detection: the alert that opened the incident).
    pub prefilled: Option<String>,
    pub items: Vec<Contribution>,
    pub list: bool,
    /// Shown in italics when nobody filled the section.
    pub prompt: String,
    /// Earlier texts replaced with `postmortem <section> --replace`, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replaced: Vec<SectionEdit>,
    /// A custom section: its headings per language code (`title_fr` ...); `heading` is its
    /// `title`.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub titles: std::collections::BTreeMap<String, String>,
    /// A custom section (`[[postmortem.sections]]`): its replaced texts, oldest first.
    #[serde(rename = "replaced", skip_serializing_if = "Vec::is_empty")]
    pub replaced_custom: Vec<CustomSectionEdit>,
    /// A custom section, whose heading and prompt are the team's text, not labels of ours.
    #[serde(skip)]
    pub custom: bool,
    /// A custom section with no prompt of its own (the generic one is shown, localized).
    #[serde(skip)]
    pub generic_prompt: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineRow {
    pub seq: u64,
    /// When it happened; for a range, its start.
    pub at: DateTime<Utc>,
    /// How precisely `at` (and `end`) are known: `minute`, `second`, `approximate`, `date`.
    pub precision: Precision,
    /// The end of a range entry, else null.
    pub end: Option<DateTime<Utc>>,
    /// When warroom recorded it.
    pub recorded_at: DateTime<Utc>,
    pub author: Person,
    pub kind: String,
    /// Bookkeeping of the record (action items, renames): not in the drafts' timeline.
    pub bookkeeping: bool,
    pub text: String,
    pub source: String,
    pub edited: bool,
    /// Who changed the text or time last, and when (the author stays the one who wrote it first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited_by: Option<Person>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<DateTime<Utc>>,
    /// Every change, oldest first, with the text (and time) it replaced.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<Edit>,
    /// Set on a deleted entry: who deleted it, when, and its text then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Edit>,
    /// Deletions undone with `timeline restore`, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub restores: Vec<Restore>,
    /// An automatic entry's text as a catalogue message, for drafts in other languages (the
    /// JSON keeps the English `text`).
    #[serde(skip)]
    pub phrase: Option<Phrase>,
}

impl TimelineRow {
    fn from_entry(e: TimelineEntry) -> TimelineRow {
        let last = e.last_edit().cloned();
        TimelineRow {
            seq: e.seq,
            at: e.at,
            precision: e.precision,
            end: e.end,
            recorded_at: e.recorded_at,
            edited: last.is_some(),
            edited_by: last.as_ref().map(|l| l.by.clone()),
            edited_at: last.map(|l| l.at),
            author: e.author,
            kind: e.kind.as_str().into(),
            bookkeeping: e.kind.is_bookkeeping(),
            text: e.text,
            source: e.source.as_str().into(),
            edits: e.edits,
            deleted: e.deleted,
            restores: e.restores,
            phrase: e.phrase,
        }
    }

    /// Say an automatic entry in `lang` (an edited text is shown as it was edited).
    fn localize(&mut self, lang: Lang) {
        if let Some(p) = self.phrase.as_ref().filter(|_| self.edits.is_empty()) {
            self.text = lang.phrase(p);
        }
    }

    /// When it happened, as precisely as it is known.
    pub fn moment(&self) -> Moment {
        Moment {
            at: self.at,
            precision: self.precision,
            end: self.end,
        }
    }
}

impl Postmortem {
    /// The timeline's automatic entries in `lang`, for the Markdown and HTML drafts (the
    /// stored record and the JSON export stay as written).
    pub fn in_language(&self, lang: Lang) -> std::borrow::Cow<'_, Postmortem> {
        if lang == Lang::EN || self.timeline.iter().all(|r| r.phrase.is_none()) {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut pm = self.clone();
        for row in &mut pm.timeline {
            row.localize(lang);
        }
        std::borrow::Cow::Owned(pm)
    }
}

impl RelatedView {
    fn from_related(r: &crate::domain::Related) -> RelatedView {
        let (incident, url) = match &r.to {
            RelatedRef::Incident(id) => (Some(id.to_string()), None),
            RelatedRef::Url(u) => (None, Some(u.clone())),
        };
        RelatedView {
            text: r.to.to_string(),
            incident,
            url,
            by: r.by.clone(),
            at: r.at,
        }
    }
}

/// `~` before a value derived from vague times.
fn about(approximate: bool) -> &'static str {
    if approximate { "~" } else { "" }
}

impl DurationView {
    /// `50m`, `~1h 05m`, `35m (note)`, `— (needs ...)`.
    pub fn shown(&self) -> String {
        self.shown_in(Lang::EN)
    }

    /// The duration alone (`~1h 05m`) in `lang`, or `None` when it is missing.
    pub fn value_in(&self, lang: Lang) -> Option<String> {
        self.seconds
            .map(|s| format!("{}{}", about(self.approximate), lang.duration(s)))
    }

    /// `shown` in `lang`.
    pub fn shown_in(&self, lang: Lang) -> String {
        let value = self.value_in(lang);
        let note = self.why.as_ref().map(|w| w.text(lang));
        match (value, &note) {
            (Some(v), Some(n)) => format!("{v} ({n})"),
            (Some(v), None) => v,
            (None, Some(n)) => format!("— ({n})"),
            (None, None) => "—".into(),
        }
    }
}

impl ImpactView {
    fn from_window(w: &ImpactWindow) -> ImpactView {
        ImpactView {
            n: w.n,
            start: w.start,
            end: w.end,
            precision: w.precision,
            note: w.note.clone(),
            seconds: w.seconds().max(0),
            approximate: w.precision.is_vague(),
            by: w.by.clone(),
        }
    }

    pub fn moment(&self) -> Moment {
        Moment {
            at: self.start,
            precision: self.precision,
            end: Some(self.end),
        }
    }

    /// `1h 00m`, `~15m`.
    pub fn duration(&self) -> String {
        self.duration_in(Lang::EN)
    }

    /// `duration` in `lang`.
    pub fn duration_in(&self, lang: Lang) -> String {
        format!("{}{}", about(self.approximate), lang.duration(self.seconds))
    }
}

/// The draft's sections around its fixed parts, in order: before the timeline, between the
/// timeline and the action items, under "Lessons learned", and the lists shown only when they
/// have items. warroom's Markdown writer and the HTML page both follow it (the `warroom`
/// template spells the same order out).
pub(super) const OPENING_SECTIONS: [&str; 2] = ["summary", "impact"];
pub(super) const ANALYSIS_SECTIONS: [&str; 6] = [
    "root-cause",
    "contributing-factor",
    "trigger",
    "resolution",
    "detection",
    "customer-communication",
];
pub(super) const LESSON_SECTIONS: [&str; 3] = ["went-well", "went-wrong", "lucky"];
pub(super) const RECORD_SECTIONS: [&str; 2] = ["supporting-info", "related"];

/// A section's heading and prompt in `lang` (the catalogue keys `section-KEY`, `prompt-KEY`).
pub fn heading_and_prompt(key: &str, lang: Lang) -> (String, String) {
    (lang.t(&format!("section-{key}")), lang.t(&format!("prompt-{key}")))
}

/// `45s`, `12m`, `1h 05m`, `2d 03h 10m`.
pub fn format_duration(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.abs();
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    let body = if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{m}m")
    } else if s < 86_400 {
        format!("{h}h {m:02}m")
    } else {
        format!("{d}d {h:02}h {m:02}m")
    };
    format!("{sign}{body}")
}

fn duration(incident: &Incident, spec: DurationSpec) -> DurationView {
    let DurationSpec {
        name,
        label,
        from,
        to,
        fallback,
    } = spec;
    let ms = |m: Milestone| incident.milestone_moment(m);
    let seconds = spec.seconds(incident);
    let start = ms(from).or_else(|| fallback.and_then(ms));
    let why = match (seconds, ms(from), fallback) {
        (None, _, _) => Some(DurationNote::Needs(
            [(from, start.is_none()), (to, ms(to).is_none())]
                .iter()
                .filter(|(_, missing)| *missing)
                .map(|(m, _)| *m)
                .collect(),
        )),
        (Some(_), None, Some(f)) => Some(DurationNote::Fallback { fallback: f, from }),
        (Some(_), _, _) => None,
    };
    let note = why.as_ref().map(|w| w.text(Lang::EN));
    let approximate = seconds.is_some() && [start, ms(to)].iter().flatten().any(|m| m.precision.is_vague());
    DurationView {
        name: name.into(),
        label: label.into(),
        seconds,
        from: from.to_string(),
        to: to.to_string(),
        note,
        approximate,
        why,
    }
}

/// The facts of the Detection section: when the incident was detected (the `detected`
/// milestone, corrections included) and how (the alert that opened it, or by hand).
fn detection(incident: &Incident, tz: &Tz) -> Detection {
    let show = |m: Moment| fmt_moment(&m, tz);
    let declared = Moment::exact(incident.declared_at);
    let noticed = incident.trigger.as_ref().map_or(declared, |a| Moment::exact(a.at));
    Detection {
        detected: incident
            .milestone_moment(Milestone::Detected)
            .filter(|d| *d != noticed)
            .map(show),
        declared_by: incident.declared_by.name.clone(),
        declared_at: show(declared),
        alert: incident.trigger.as_ref().map(|a| AlertFacts {
            room: a.room.clone(),
            rule: a.rule.clone(),
            sender: a.sender.name.clone(),
            received: show(Moment::exact(a.at)),
            text: a.text.trim().to_string(),
        }),
        alert_count: incident.alert_count,
    }
}

/// The custom sections of the draft: the configured ones in order (empty ones too), then
/// those stored under keys no longer configured, titled by their key.
fn custom_sections(incident: &Incident, defs: &[super::CustomSection]) -> Vec<SectionView> {
    let stored = incident
        .custom_sections
        .keys()
        .filter(|k| !defs.iter().any(|d| &d.key == *k))
        .map(|k| super::CustomSection {
            key: k.clone(),
            title: k.clone(),
            titles: Default::default(),
            list: false,
            prompt: None,
        });
    let all: Vec<super::CustomSection> = defs.iter().cloned().chain(stored).collect();
    all.into_iter()
        .map(|d| SectionView {
            prompt: d.prompt.clone().unwrap_or_else(|| custom_prompt(&d.key, Lang::EN)),
            generic_prompt: d.prompt.is_none(),
            items: incident.custom_sections.get(&d.key).cloned().unwrap_or_default(),
            replaced_custom: incident
                .custom_section_edits
                .iter()
                .filter(|e| e.key == d.key)
                .cloned()
                .collect(),
            key: d.key,
            heading: d.title,
            titles: d.titles,
            prefilled: None,
            list: d.list,
            replaced: Vec::new(),
            custom: true,
        })
        .collect()
}

/// The prompt of a custom section with none of its own: how to fill it.
fn custom_prompt(key: &str, lang: Lang) -> String {
    lang.fmt("prompt-custom", &[("key", key)])
}

fn sections(incident: &Incident, detection: &Detection) -> Vec<SectionView> {
    Section::ALL
        .iter()
        .map(|&s| {
            let (heading, prompt) = heading_and_prompt(s.as_str(), Lang::EN);
            SectionView {
                key: s.as_str().into(),
                heading,
                prefilled: (s == Section::Detection).then(|| detection.text(Lang::EN)),
                items: incident.sections.get(&s).cloned().unwrap_or_default(),
                list: s.is_list(),
                prompt,
                replaced: incident
                    .section_edits
                    .iter()
                    .filter(|e| e.section == s)
                    .cloned()
                    .collect(),
                titles: Default::default(),
                replaced_custom: Vec::new(),
                custom: false,
                generic_prompt: false,
            }
        })
        .collect()
}

/// The impact windows on record (by start), the time they cover together, whether that is
/// approximate, and the deleted windows.
fn impacts(incident: &Incident) -> (Vec<ImpactView>, Option<i64>, bool, Vec<ImpactWindow>) {
    let windows: Vec<ImpactView> = incident
        .live_impacts()
        .into_iter()
        .map(ImpactView::from_window)
        .collect();
    let (seconds, approximate) = incident.impact_seconds();
    let total = (!windows.is_empty()).then_some(seconds);
    let deleted = incident
        .impacts
        .iter()
        .filter(|w| w.deleted.is_some())
        .cloned()
        .collect();
    (windows, total, approximate, deleted)
}

impl Postmortem {
    pub fn build(incident: &Incident, entries: &[TimelineEntry], tz: Tz, now: DateTime<Utc>) -> Postmortem {
        Postmortem::build_with(incident, entries, tz, now, &[])
    }

    /// `build` with the team's own sections (`[[postmortem.sections]]`, in config order).
    pub fn build_with(
        incident: &Incident,
        entries: &[TimelineEntry],
        tz: Tz,
        now: DateTime<Utc>,
        custom: &[super::CustomSection],
    ) -> Postmortem {
        // The entry of a deleted impact window goes with it.
        let gone: Vec<u64> = incident
            .impacts
            .iter()
            .filter(|w| w.deleted.is_some())
            .map(|w| w.seq)
            .collect();
        let (mut timeline, mut deleted): (Vec<TimelineEntry>, Vec<TimelineEntry>) = entries
            .iter()
            .cloned()
            .partition(|e| e.is_visible() && !(e.kind == EntryKind::Impact && gone.contains(&e.seq)));
        sort_for_display(&mut timeline);
        sort_for_display(&mut deleted);
        let (impact_windows, total_impact_seconds, total_impact_approximate, deleted_impact_windows) =
            impacts(incident);
        let detection = detection(incident, &tz);
        let mut actions = incident.actions.clone();
        actions.sort_by_key(|a| a.n);
        Postmortem {
            id: incident.id.to_string(),
            title: crate::domain::single_line(&incident.title),
            severity: incident.severity,
            severity_label: incident.severity.label().into(),
            status: incident.status,
            timezone: tz.name().into(),
            roles: incident
                .roles
                .iter()
                .map(|(r, w)| RoleView {
                    role: r.to_string(),
                    who: w.clone(),
                })
                .collect(),
            milestones: Milestone::ALL
                .iter()
                .map(|&m| MilestoneView {
                    name: m.to_string(),
                    at: incident.milestones.get(&m).copied(),
                    precision: incident.milestone_precision.get(&m).copied().unwrap_or_default(),
                })
                .collect(),
            durations: DURATIONS.into_iter().map(|d| duration(incident, d)).collect(),
            impact_windows,
            total_impact_seconds,
            total_impact_approximate,
            deleted_impact_windows,
            services: incident.services.clone(),
            sections: sections(incident, &detection),
            custom_sections: custom_sections(incident, custom),
            timeline: timeline.into_iter().map(TimelineRow::from_entry).collect(),
            deleted_entries: deleted.into_iter().map(TimelineRow::from_entry).collect(),
            actions,
            title_edits: incident.title_edits.clone(),
            alert_count: incident.alert_count,
            generated_at: now,
            tz,
            authors: incident.authors.clone(),
            reviewers: incident.reviewers.clone(),
            review_status: incident.review_status(),
            review_history: incident.reviews.clone(),
            links: incident.links.clone(),
            related: incident.related.iter().map(RelatedView::from_related).collect(),
            template: incident.template.clone(),
            language: incident.language.clone(),
            detection,
        }
    }

    /// A time in the postmortem's zone, with date and zone abbreviation.
    pub fn show_time(&self, t: DateTime<Utc>) -> String {
        fmt_minute(t, &self.tz)
    }

    /// A moment in the postmortem's zone, as precisely as it is known.
    pub fn show_moment(&self, m: &Moment) -> String {
        fmt_moment(m, &self.tz)
    }

    /// A milestone's time as precisely as it is known, or `—`.
    pub fn show_milestone(&self, m: &MilestoneView) -> String {
        m.at.map_or("—".into(), |at| {
            self.show_moment(&Moment {
                at,
                precision: m.precision,
                end: None,
            })
        })
    }

    /// The rows the drafts' timeline tells the story with: no bookkeeping.
    pub fn story(&self) -> impl Iterator<Item = &TimelineRow> {
        self.timeline.iter().filter(|r| !r.bookkeeping)
    }

    /// Whether the draft shows any time or duration as approximate (`~`).
    pub fn any_approximate(&self) -> bool {
        self.durations.iter().any(|d| d.approximate && d.seconds.is_some())
            || self.total_impact_approximate
            || self
                .milestones
                .iter()
                .any(|m| m.at.is_some() && m.precision == Precision::Approximate)
            || self.story().any(|r| r.precision == Precision::Approximate)
    }

    /// The total impact time (`2h 45m`, `~2h 45m`), when there are windows.
    pub fn total_impact(&self, lang: Lang) -> Option<String> {
        self.total_impact_seconds
            .map(|s| format!("{}{}", about(self.total_impact_approximate), lang.duration(s)))
    }

    /// `edited by Bob at 2026-11-20 13:40 GMT`, `time corrected from 2026-11-20 13:25 GMT by
    /// Bob at …`, or both, for an entry whose text or time was changed.
    pub fn edited_note(&self, row: &TimelineRow) -> Option<String> {
        self.edited_note_in(row, Lang::EN)
    }

    /// `edited_note` in `lang`.
    pub fn edited_note_in(&self, row: &TimelineRow, lang: Lang) -> Option<String> {
        let edited = |e: &Edit| lang.fmt("edited-by", &[("who", &e.by.name), ("at", &self.show_time(e.at))]);
        let mut parts = Vec::new();
        // An edit changed the text when the text after it differs from the one it replaced.
        let after = row
            .edits
            .iter()
            .skip(1)
            .map(|e| e.previous_text.as_str())
            .chain([row.text.as_str()]);
        if let Some((e, _)) = row
            .edits
            .iter()
            .zip(after)
            .filter(|(e, a)| e.previous_text != *a)
            .last()
        {
            parts.push(edited(e));
        }
        let mut moved = row.edits.iter().filter_map(|e| e.previous_time.map(|t| (e, t)));
        if let Some((first, from)) = moved.next() {
            let last = moved.next_back().map_or(first, |(e, _)| e);
            parts.push(lang.fmt(
                "time-corrected",
                &[
                    ("from", &self.show_moment(&from)),
                    ("who", &last.by.name),
                    ("at", &self.show_time(last.at)),
                ],
            ));
        }
        if parts.is_empty() {
            let last = row.edits.last()?;
            parts.push(edited(last));
        }
        Some(parts.join("; "))
    }

    /// The action items of the drafts: open ones first, then done ones, each by number;
    /// deleted ones are left out (the JSON keeps them).
    pub fn draft_actions(&self) -> Vec<&Action> {
        let mut shown: Vec<&Action> = self.actions.iter().filter(|a| a.deleted.is_none()).collect();
        shown.sort_by_key(|a| (!a.is_open(), a.n));
        shown
    }

    /// `edited by Bob at 2026-11-20 14:01 GMT` for an action whose fields were changed.
    pub fn action_edited_note(&self, a: &Action, lang: Lang) -> Option<String> {
        let last = a.history.iter().rev().find(|h| h.change == "edit")?;
        Some(lang.fmt("edited-by", &[("who", &last.by.name), ("at", &self.show_time(last.at))]))
    }

    /// `replaced by Bob at 2026-11-20 13:50 GMT` for a section last set with `--replace`.
    pub fn replaced_note(&self, s: &SectionView, lang: Lang) -> Option<String> {
        let last = match s.replaced.last() {
            Some(r) => Some((&r.by, r.at)),
            None => s.replaced_custom.last().map(|r| (&r.by, r.at)),
        };
        last.map(|(by, at)| lang.fmt("replaced-by", &[("who", &by.name), ("at", &self.show_time(at))]))
    }

    /// A section's heading and prompt in `lang`: a built-in section's labels, or a custom
    /// section's title (`title_<lang>` when declared) and prompt, as the team wrote them.
    pub fn heading_and_prompt_of(&self, s: &SectionView, lang: Lang) -> (String, String) {
        if !s.custom {
            return heading_and_prompt(&s.key, lang);
        }
        let title = s.titles.get(lang.code()).unwrap_or(&s.heading).clone();
        let prompt = if s.generic_prompt {
            custom_prompt(&s.key, lang)
        } else {
            s.prompt.clone()
        };
        (title, prompt)
    }

    pub fn section(&self, key: &str) -> Option<&SectionView> {
        self.sections.iter().find(|s| s.key == key)
    }
}

/// `Commander`, `Started`: a role or milestone name as a table label.
pub(super) fn capitalized(s: &str) -> String {
    let mut s = s.to_string();
    if let Some(first) = s.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    s
}

/// A ticket reference that may be shown as a link: an `http(s)` URL with nothing in it that
/// could end a link or a line (no whitespace, controls, `<`, `>`, quotes, backslashes or `|`).
pub fn linkable(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return false;
    };
    !rest.is_empty()
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '\'' | '\\' | '|' | '`'))
}
