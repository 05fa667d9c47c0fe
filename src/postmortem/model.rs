//! The postmortem view-model. Everything a renderer shows is computed here, once.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::{
    Action, Contribution, DURATIONS, DurationSpec, Edit, Incident, Milestone, Person, Section, SectionEdit, Severity,
    Status, TimelineEntry, fmt_minute, sort_for_display,
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
    pub services: Vec<String>,
    pub sections: Vec<SectionView>,
    pub timeline: Vec<TimelineRow>,
    /// Entries removed with `timeline delete`: kept for the record (JSON export), not drawn
    /// in the Markdown and HTML drafts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deleted_entries: Vec<TimelineRow>,
    pub actions: Vec<Action>,
    pub alert_count: u64,
    pub generated_at: DateTime<Utc>,
    #[serde(skip)]
    pub tz: Tz,
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
}

#[derive(Debug, Clone, Serialize)]
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
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineRow {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub author: Person,
    pub kind: String,
    pub text: String,
    pub source: String,
    pub edited: bool,
    /// Who changed the text last, and when (the author stays the one who wrote it first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited_by: Option<Person>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<DateTime<Utc>>,
    /// Every change of the text, oldest first, with the text it replaced.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<Edit>,
    /// Set on a deleted entry: who deleted it, when, and its text then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Edit>,
}

impl TimelineRow {
    fn from_entry(e: TimelineEntry) -> TimelineRow {
        let last = e.last_edit().cloned();
        TimelineRow {
            seq: e.seq,
            at: e.at,
            edited: last.is_some(),
            edited_by: last.as_ref().map(|l| l.by.clone()),
            edited_at: last.map(|l| l.at),
            author: e.author,
            kind: e.kind.as_str().into(),
            text: e.text,
            source: e.source.as_str().into(),
            edits: e.edits,
            deleted: e.deleted,
        }
    }
}

impl DurationView {
    /// `50m`, `35m (note)`, `— (needs ...)`.
    pub fn shown(&self) -> String {
        match (self.seconds, &self.note) {
            (Some(s), Some(n)) => format!("{} ({n})", format_duration(s)),
            (Some(s), None) => format_duration(s),
            (None, Some(n)) => format!("— ({n})"),
            (None, None) => "—".into(),
        }
    }
}

fn heading_and_prompt(s: Section) -> (&'static str, &'static str) {
    match s {
        Section::Summary => (
            "Summary",
            "What happened, in two or three sentences? (`postmortem summary ...`)",
        ),
        Section::Impact => (
            "Impact",
            "Who or what was affected, how badly, for how long? (`postmortem impact ...`)",
        ),
        Section::RootCause => (
            "Root causes",
            "Why did it happen? Add each cause with `postmortem root-cause ...`",
        ),
        Section::Trigger => ("Trigger", "What set it off? (`postmortem trigger ...`)"),
        Section::Resolution => (
            "Resolution",
            "What fixed or mitigated it? (`postmortem resolution ...`)",
        ),
        Section::Detection => ("Detection", "How did we find out? (`postmortem detection ...`)"),
        Section::WentWell => ("What went well", "Add with `postmortem went-well ...`"),
        Section::WentWrong => ("What went wrong", "Add with `postmortem went-wrong ...`"),
        Section::Lucky => ("Where we got lucky", "Add with `postmortem lucky ...`"),
    }
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

impl Postmortem {
    pub fn build(incident: &Incident, entries: &[TimelineEntry], tz: Tz, now: DateTime<Utc>) -> Postmortem {
        let ms = |m: Milestone| incident.milestones.get(&m).copied();
        let (mut timeline, mut deleted): (Vec<TimelineEntry>, Vec<TimelineEntry>) =
            entries.iter().cloned().partition(TimelineEntry::is_visible);
        sort_for_display(&mut timeline);
        sort_for_display(&mut deleted);
        let show = |t: DateTime<Utc>| fmt_minute(t, &tz);
        let duration = |d: DurationSpec| {
            let DurationSpec {
                name,
                label,
                from,
                to,
                fallback,
            } = d;
            let seconds = d.seconds(incident);
            let start_missing = ms(from).is_none() && fallback.and_then(ms).is_none();
            let note = match (seconds, ms(from), fallback) {
                (None, _, _) => Some(format!(
                    "needs {}",
                    [(from, start_missing), (to, ms(to).is_none())]
                        .iter()
                        .filter(|(_, missing)| *missing)
                        .map(|(m, _)| format!("`incident milestone {m}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                )),
                (Some(_), None, Some(f)) => Some(format!(
                    "from {}; set `incident milestone {from} WHEN` for the start of impact",
                    f.as_str()
                )),
                (Some(_), _, _) => None,
            };
            DurationView {
                name: name.into(),
                label: label.into(),
                seconds,
                from: from.to_string(),
                to: to.to_string(),
                note,
            }
        };
        let durations = DURATIONS.into_iter().map(duration).collect();
        let sections = Section::ALL
            .iter()
            .map(|&s| {
                let (heading, prompt) = heading_and_prompt(s);
                let prefilled = match (s, &incident.trigger) {
                    (Section::Detection, Some(a)) => Some(
                        format!(
                            "Detected by an alert in {} at {} (rule `{}`, posted by {}): \"{}\"",
                            a.room,
                            show(a.at),
                            a.rule,
                            a.sender.name,
                            a.text.trim()
                        ) + if incident.alert_count > 1 {
                            format!(" — {} alerts in all.", incident.alert_count)
                        } else {
                            String::new()
                        }
                        .as_str(),
                    ),
                    (Section::Detection, None) => Some(format!(
                        "Declared by hand by {} at {}.",
                        incident.declared_by.name,
                        show(incident.declared_at)
                    )),
                    _ => None,
                };
                SectionView {
                    key: s.as_str().into(),
                    heading: heading.into(),
                    prefilled,
                    items: incident.sections.get(&s).cloned().unwrap_or_default(),
                    list: s.is_list(),
                    prompt: prompt.into(),
                    replaced: incident
                        .section_edits
                        .iter()
                        .filter(|e| e.section == s)
                        .cloned()
                        .collect(),
                }
            })
            .collect();
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
                    at: ms(m),
                })
                .collect(),
            durations,
            services: incident.services.clone(),
            sections,
            timeline: timeline.into_iter().map(TimelineRow::from_entry).collect(),
            deleted_entries: deleted.into_iter().map(TimelineRow::from_entry).collect(),
            actions: incident.actions.clone(),
            alert_count: incident.alert_count,
            generated_at: now,
            tz,
        }
    }

    /// A time in the postmortem's zone, with date and zone abbreviation.
    pub fn show_time(&self, t: DateTime<Utc>) -> String {
        fmt_minute(t, &self.tz)
    }

    /// `edited by Bob at 2026-11-20 13:40 GMT` for an entry whose text was changed.
    pub fn edited_note(&self, row: &TimelineRow) -> Option<String> {
        match (&row.edited_by, row.edited_at) {
            (Some(by), Some(at)) => Some(format!("edited by {} at {}", by.name, self.show_time(at))),
            _ => None,
        }
    }

    /// `replaced by Bob at 2026-11-20 13:50 GMT` for a section last set with `--replace`.
    pub fn replaced_note(&self, s: &SectionView) -> Option<String> {
        s.replaced
            .last()
            .map(|r| format!("replaced by {} at {}", r.by.name, self.show_time(r.at)))
    }

    pub fn section(&self, key: &str) -> Option<&SectionView> {
        self.sections.iter().find(|s| s.key == key)
    }
}
