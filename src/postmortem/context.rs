//! The template context: what a postmortem template sees (documented in the README, "Postmortem
//! templates and languages", and in the header of `warroom template show`). It is a stable
//! contract: fields are added, never renamed. Every text value in it is already escaped for
//! Markdown by the draft's own escaping (`markdown.rs`), so a template, which renders with no
//! escaping of its own, cannot turn user text into markup.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::html::role_label;
use super::i18n::Lang;
use super::markdown::{block, block_into, cell, cell_after_ours, one_line, ticket};
use super::model::{Postmortem, SectionView, heading_and_prompt};
use crate::domain::{Contribution, Moment};

/// The context in brief, printed at the top of `warroom template show NAME` (as a template
/// comment, so the output is a template to edit as it is).
pub const CONTEXT_DOC: &str = "\
The template context (stable: fields are added, never renamed). Text values are already
escaped for Markdown; null/empty when unknown. Print a fallback with `or`: {{ x or \"—\" }}.
  incident.id, .title, .severity (sev1..sev4), .severity_label, .status, .status_label,
    .timezone, .alert_count, .total_impact (text or null)
  incident.roles            role name -> who (commander, scribe, comms, custom roles)
  incident.role_labels      role name -> label in the draft's language
  incident.affects          list of services
  incident.milestones       started/detected/acknowledged/mitigated/resolved/closed -> time text or null
  incident.metrics          time_to_detect/_acknowledge/_mitigate/_resolve -> duration text or null
  incident.metric_notes     metric -> why it is missing / how it was measured, or null
  incident.impact_windows   list of {n, at_text, start, end, precision, duration, note, by}
  timeline                  list of {n, at, at_text, precision, end, who, kind, text, edited,
                            ends_in_code} in draft order (bookkeeping rows left out)
  sections.KEY              {key, title, prompt, prefilled, items: [{text, by, ends_in_code}],
                            list, replaced}; KEY: summary, impact, root_causes, trigger,
                            resolution, detection, went_well, went_wrong, lucky,
                            contributing_factors, customer_communication, supporting_info, related,
                            and the team's own ([[postmortem.sections]]) by key: sections[\"my-key\"]
  custom_sections           the team's own sections as a list, in config order (same fields)
  actions                   list of {n, text, owners (list), status, done, due, ticket, type, edited}
  authors, reviewers (lists), review_status, review_status_label, generated_at, lang, approximate
  t(\"key\", name=value)      a label of the draft's language (keys: src/postmortem/locales/en.ftl)
Syntax: Jinja2 (minijinja) with trim_blocks and lstrip_blocks on; `+%}` keeps a newline.
";

/// A map that keeps its keys in the order given (the draft's order).
#[derive(Debug, Default)]
pub struct Ordered<V>(pub Vec<(String, V)>);

impl<V: Serialize> Serialize for Ordered<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[derive(Debug, Serialize)]
pub struct Context {
    pub incident: IncidentCtx,
    /// The draft's timeline, in draft order, bookkeeping rows (action items added, renames)
    /// left out.
    pub timeline: Vec<EntryCtx>,
    /// Sections by key (`summary`, `root_causes`, ...), in draft order, then the team's own
    /// (`[[postmortem.sections]]`) under their key.
    pub sections: Ordered<SectionCtx>,
    /// The team's own sections, in config order (then any stored under a key no longer
    /// configured): the same values as in `sections`, as a list to loop over.
    pub custom_sections: Vec<SectionCtx>,
    /// The action items the draft shows: open ones first, then done ones; deleted ones left out.
    pub actions: Vec<ActionCtx>,
    pub authors: Vec<String>,
    pub reviewers: Vec<String>,
    /// `draft`, `in-review`, `final`, or null while nobody set it.
    pub review_status: Option<String>,
    /// `review_status` in the draft's language.
    pub review_status_label: Option<String>,
    /// When the draft was generated, in the incident's zone (`2026-11-20 14:11 GMT`).
    pub generated_at: String,
    /// Language code of the draft (`en`, `fr`, `sk`).
    pub lang: String,
    /// Some time or duration in the draft is known only approximately (shown with `~`).
    pub approximate: bool,
}

#[derive(Debug, Serialize)]
pub struct IncidentCtx {
    pub id: String,
    pub title: String,
    /// `sev1` … `sev4`.
    pub severity: String,
    /// `SEV1 (critical)`, in the draft's language.
    pub severity_label: String,
    /// `investigating`, `identified`, `monitoring`, `resolved`, `closed`.
    pub status: String,
    pub status_label: String,
    pub timezone: String,
    /// Role name (`commander`, `scribe`, a custom role) → who holds it.
    pub roles: Ordered<String>,
    /// Role name → its label in the draft's language (`Commander`).
    pub role_labels: Ordered<String>,
    /// The affected services.
    pub affects: Vec<String>,
    /// Milestone (`started`, `detected`, `acknowledged`, `mitigated`, `resolved`, `closed`) →
    /// its time as precisely as known, or null.
    pub milestones: Ordered<Option<String>>,
    /// `time_to_detect`, `time_to_acknowledge`, `time_to_mitigate`, `time_to_resolve` → the
    /// duration (`~1h 05m`, in the draft's units), or null.
    pub metrics: Ordered<Option<String>>,
    /// Metric → why it is missing or how it was measured, or null.
    pub metric_notes: Ordered<Option<String>>,
    pub impact_windows: Vec<ImpactCtx>,
    /// Time covered by the impact windows, overlaps counted once; null without windows.
    pub total_impact: Option<String>,
    pub alert_count: u64,
}

#[derive(Debug, Serialize)]
pub struct ImpactCtx {
    pub n: u32,
    /// `2026-11-20 13:05–13:50 GMT`.
    pub at_text: String,
    /// Start and end, RFC 3339 in UTC.
    pub start: String,
    pub end: String,
    pub precision: String,
    pub duration: String,
    pub note: Option<String>,
    pub by: String,
}

#[derive(Debug, Serialize)]
pub struct EntryCtx {
    /// The entry's number (`timeline edit N`).
    pub n: u64,
    /// When it happened (a range: its start), RFC 3339 in UTC.
    pub at: String,
    /// When it happened, as precisely as known, in the incident's zone.
    pub at_text: String,
    /// `minute`, `second`, `approximate`, `date`.
    pub precision: String,
    /// The end of a range, RFC 3339 in UTC, or null.
    pub end: Option<String>,
    pub who: String,
    /// `note`, `status`, `milestone`, `alert`, ...
    pub kind: String,
    /// The text; further lines and code blocks indented by two spaces, so it stays inside a
    /// list item.
    pub text: String,
    /// `edited by … at …` when the entry was changed, or null.
    pub edited: Option<String>,
    /// The text ends with a code block (a note after it needs a line of its own).
    pub ends_in_code: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SectionCtx {
    pub key: String,
    pub title: String,
    /// Shown while nobody filled the section.
    pub prompt: String,
    /// Text warroom wrote from the record (Detection: the alert that opened the incident).
    pub prefilled: Option<String>,
    pub items: Vec<ItemCtx>,
    /// A list section (each contribution is an item) rather than paragraphs.
    pub list: bool,
    /// `replaced by … at …` when the section was last set with `--replace`, or null.
    pub replaced: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemCtx {
    /// In a list section: further lines indented by two spaces (inside a list item).
    pub text: String,
    pub by: String,
    pub ends_in_code: bool,
}

#[derive(Debug, Serialize)]
pub struct ActionCtx {
    pub n: u32,
    pub text: String,
    pub owners: Vec<String>,
    /// `open` or `done`, in the draft's language.
    pub status: String,
    pub done: bool,
    /// `YYYY-MM-DD`, or null.
    pub due: Option<String>,
    /// A link when it is a safe http(s) URL, or null.
    pub ticket: Option<String>,
    /// The kind of follow-up (`prevent`, `detect`, ...), or null.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub edited: Option<String>,
}

/// The sections of the draft in order: the context key and the model's key. The four after
/// `lucky` are filled by commands that arrive with the record work; until then they are
/// empty (see `record_sections`).
const SECTIONS: [(&str, &str); 13] = [
    ("summary", "summary"),
    ("impact", "impact"),
    ("root_causes", "root-cause"),
    ("trigger", "trigger"),
    ("resolution", "resolution"),
    ("detection", "detection"),
    ("went_well", "went-well"),
    ("went_wrong", "went-wrong"),
    ("lucky", "lucky"),
    ("contributing_factors", "contributing-factor"),
    ("customer_communication", "customer-communication"),
    ("supporting_info", "supporting-info"),
    ("related", "related"),
];

fn iso(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Build the context of `pm` in `lang`.
pub fn build(pm: &Postmortem, lang: Lang) -> Context {
    let record = Record::of(pm);
    let custom: Vec<SectionCtx> = pm
        .custom_sections
        .iter()
        .map(|s| section_ctx(pm, &s.key, s, lang))
        .collect();
    let mut sections: Vec<(String, SectionCtx)> = SECTIONS
        .iter()
        .map(|(key, model_key)| (key.to_string(), section(pm, key, model_key, lang)))
        .collect();
    sections.extend(custom.iter().map(|s| (s.key.clone(), s.clone())));
    Context {
        incident: incident(pm, lang),
        timeline: timeline(pm, lang),
        sections: Ordered(sections),
        custom_sections: custom,
        actions: actions(pm, lang),
        review_status_label: record.review_status.as_ref().map(|s| lang.t(&format!("review-{s}"))),
        authors: record.authors.iter().map(|a| one_line(a)).collect(),
        reviewers: record.reviewers.iter().map(|a| one_line(a)).collect(),
        review_status: record.review_status,
        generated_at: pm.show_time(pm.generated_at),
        lang: lang.code().into(),
        approximate: pm.any_approximate(),
    }
}

/// The record's authors, reviewers and review status, as recorded (the context escapes them).
///
/// Contributing factors and customer communication are ordinary sections of the model;
/// supporting information (links) and related incidents are lists of their own, shown as
/// sections by `record_sections`.
pub(super) struct Record {
    pub authors: Vec<String>,
    pub reviewers: Vec<String>,
    pub review_status: Option<String>,
}

impl Record {
    pub(super) fn of(pm: &Postmortem) -> Record {
        Record {
            authors: pm.authors.clone(),
            reviewers: pm.reviewers.clone(),
            review_status: Some(pm.review_status.as_str().to_string()),
        }
    }
}

/// The supporting information (`postmortem link`) and related incidents as sections: one
/// item per link (`title: URL`) or related incident, with who added it.
pub(super) fn record_sections(pm: &Postmortem, model_key: &str) -> Option<SectionView> {
    let items: Vec<Contribution> = match model_key {
        "supporting-info" => pm
            .links
            .iter()
            .map(|l| Contribution {
                text: match &l.title {
                    Some(t) => format!("{t}: {}", l.url),
                    None => l.url.clone(),
                },
                by: l.by.clone(),
                at: l.at,
            })
            .collect(),
        "related" => pm
            .related
            .iter()
            .map(|r| Contribution {
                text: r.text.clone(),
                by: r.by.clone(),
                at: r.at,
            })
            .collect(),
        _ => return None,
    };
    let (heading, prompt) = heading_and_prompt(model_key, Lang::EN);
    Some(SectionView {
        key: model_key.into(),
        heading,
        prefilled: None,
        items,
        list: true,
        prompt,
        ..SectionView::default()
    })
}

fn incident(pm: &Postmortem, lang: Lang) -> IncidentCtx {
    let pairs = |f: &dyn Fn(&super::model::DurationView) -> Option<String>| {
        Ordered(pm.durations.iter().map(|d| (d.name.clone(), f(d))).collect())
    };
    IncidentCtx {
        id: one_line(&pm.id),
        title: one_line(&pm.title),
        severity: pm.severity.to_string(),
        severity_label: lang.t(&format!("severity-{}", pm.severity)),
        status: pm.status.to_string(),
        status_label: lang.t(&format!("status-{}", pm.status)),
        timezone: one_line(&pm.timezone),
        roles: Ordered(pm.roles.iter().map(|r| (r.role.clone(), cell(&r.who))).collect()),
        role_labels: Ordered(
            pm.roles
                .iter()
                .map(|r| (r.role.clone(), cell(&role_label(&r.role, lang))))
                .collect(),
        ),
        affects: pm.services.iter().map(|s| cell(s)).collect(),
        milestones: Ordered(
            pm.milestones
                .iter()
                .map(|m| (m.name.clone(), m.at.map(|_| pm.show_milestone(m))))
                .collect(),
        ),
        metrics: pairs(&|d| d.value_in(lang)),
        metric_notes: pairs(&|d| d.why.as_ref().map(|w| cell(&w.text(lang)))),
        impact_windows: pm
            .impact_windows
            .iter()
            .map(|w| ImpactCtx {
                n: w.n,
                at_text: pm.show_moment(&w.moment()),
                start: iso(w.start),
                end: iso(w.end),
                precision: w.precision.as_str().into(),
                duration: w.duration_in(lang),
                note: w.note.as_deref().map(cell_after_ours),
                by: one_line(&w.by.name),
            })
            .collect(),
        total_impact: pm.total_impact(lang),
        alert_count: pm.alert_count,
    }
}

fn timeline(pm: &Postmortem, lang: Lang) -> Vec<EntryCtx> {
    pm.story()
        .map(|row| {
            let mut text = String::with_capacity(row.text.len() + 8);
            let ends_in_code = block_into(&mut text, &row.text, "  ", true);
            EntryCtx {
                n: row.seq,
                at: iso(row.at),
                at_text: pm.show_moment(&Moment {
                    at: row.at,
                    precision: row.precision,
                    end: row.end,
                }),
                precision: row.precision.as_str().into(),
                end: row.end.map(iso),
                who: one_line(&row.author.name),
                kind: row.kind.clone(),
                text,
                edited: pm.edited_note_in(row, lang).map(|n| one_line(&n)),
                ends_in_code,
            }
        })
        .collect()
}

fn section(pm: &Postmortem, key: &str, model_key: &str, lang: Lang) -> SectionCtx {
    let (title, prompt) = heading_and_prompt(model_key, lang);
    let owned;
    let found = match pm.section(model_key) {
        Some(s) => Some(s),
        None => {
            owned = record_sections(pm, model_key);
            owned.as_ref()
        }
    };
    let Some(s) = found else {
        return SectionCtx {
            key: key.into(),
            title,
            prompt,
            prefilled: None,
            items: Vec::new(),
            list: true,
            replaced: None,
        };
    };
    section_ctx(pm, key, s, lang)
}

/// The context of the model's section `s` under `key`. A custom section's title and own
/// prompt are the team's text, escaped like user text.
fn section_ctx(pm: &Postmortem, key: &str, s: &SectionView, lang: Lang) -> SectionCtx {
    let (mut title, mut prompt) = pm.heading_and_prompt_of(s, lang);
    if s.custom {
        title = one_line(&title);
        if !s.generic_prompt {
            prompt = one_line(&prompt);
        }
    }
    let items = s
        .items
        .iter()
        .map(|item| {
            let (text, ends_in_code) = if s.list {
                let mut out = String::with_capacity(item.text.len() + 8);
                let code = block_into(&mut out, &item.text, "  ", false);
                (out, code)
            } else {
                (block(&item.text, ""), false)
            };
            ItemCtx {
                text,
                by: one_line(&item.by.name),
                ends_in_code,
            }
        })
        .collect();
    SectionCtx {
        key: key.into(),
        title,
        prompt,
        prefilled: s.prefilled.as_ref().map(|_| block(&pm.detection.text(lang), "")),
        items,
        list: s.list,
        replaced: pm.replaced_note(s, lang).map(|n| cell(&n)),
    }
}

fn actions(pm: &Postmortem, lang: Lang) -> Vec<ActionCtx> {
    pm.draft_actions()
        .into_iter()
        .map(|a| {
            let f = &a.fields;
            ActionCtx {
                n: a.n,
                text: cell(&f.text),
                owners: f.owners.iter().map(|o| cell(o)).collect(),
                status: lang.t(if a.is_open() { "action-open" } else { "action-done" }),
                done: !a.is_open(),
                due: f.due.map(|d| d.format("%Y-%m-%d").to_string()),
                ticket: f.ticket.as_deref().map(ticket),
                kind: f.kind.as_deref().map(cell),
                edited: pm.action_edited_note(a, lang).map(|n| cell(&n)),
            }
        })
        .collect()
}
