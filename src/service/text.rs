//! Texts the bot posts: announcements, incident summaries and timeline listings.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::prefix_for;
use crate::domain::{
    Incident, IncidentId, Source, TimelineEntry, action_line, fmt_minute, fmt_moment, sort_for_display,
};
use crate::postmortem::Lang;

/// Timeline listings in chat show at most this many entries (the export has all).
pub const LIST_LIMIT: usize = 50;

pub fn show_time(t: DateTime<Utc>, tz: Tz) -> String {
    fmt_minute(t, &tz)
}

/// The message that opens an incident room, in the incident's language.
pub fn announcement(inc: &Incident, source: Source, tz: Tz, lang: Lang) -> String {
    let p = prefix_for(source);
    let id = inc.id.to_string();
    let severity = lang.t(&format!("severity-{}", inc.severity));
    let status = lang.t(&format!("status-{}", inc.status));
    let mut out = lang.fmt(
        "announce-head",
        &[
            ("id", &id),
            ("title", &inc.title),
            ("severity", &severity),
            ("status", &status),
        ],
    );
    out.push('\n');
    let line = match &inc.trigger {
        Some(a) => lang.fmt(
            "announce-from-alert",
            &[
                ("room", &a.room),
                ("sender", &a.sender.name),
                ("at", &show_time(a.at, tz)),
                ("text", &a.text),
            ],
        ),
        None => lang.fmt(
            "announce-declared",
            &[("who", &inc.declared_by.name), ("at", &show_time(inc.declared_at, tz))],
        ),
    };
    out.push_str(&line);
    out.push('\n');
    if let Some(key) = &inc.storm {
        out.push_str(&lang.fmt("announce-storm", &[("subject", &crate::domain::storm_subject(key))]));
        out.push('\n');
    }
    out.push_str(&lang.fmt("announce-record", &[("p", &p.to_string())]));
    out
}

/// `incident show`.
pub fn summary(inc: &Incident, tz: Tz) -> String {
    let mut out = format!(
        "{}: {}\nseverity {} · status {}",
        inc.id,
        inc.title,
        inc.severity.label(),
        inc.status
    );
    for (role, who) in &inc.roles {
        out.push_str(&format!(" · {role} {who}"));
    }
    out.push('\n');
    let ms: Vec<String> = inc
        .milestones
        .keys()
        .filter_map(|m| inc.milestone_moment(*m).map(|t| format!("{m} {}", fmt_moment(&t, &tz))))
        .collect();
    out.push_str(&format!("milestones: {}\n", ms.join(", ")));
    if !inc.live_impacts().is_empty() {
        out.push_str(&format!(
            "impact: {} window(s), {} in all\n",
            inc.live_impacts().len(),
            impact_total(inc)
        ));
    }
    if !inc.services.is_empty() {
        out.push_str(&format!("affects: {}\n", inc.services.join(", ")));
    }
    out.push_str(&format!(
        "alerts: {} · timeline entries: {} · actions: {}",
        inc.alert_count,
        inc.last_seq,
        inc.actions.len()
    ));
    if let Some(key) = &inc.storm {
        out.push_str(&format!(
            "\nalert storm of {}: {} alert groups joined",
            crate::domain::storm_subject(key),
            inc.storm_fingerprints.len()
        ));
    }
    out
}

/// `timeline list [--all]`: entries sorted by time, the last `LIST_LIMIT` of them, each with
/// the number `timeline edit`/`delete` take. Without `all`, bookkeeping rows (actions,
/// renames) and deleted entries are left out.
pub fn timeline_list(inc: &Incident, entries: &[TimelineEntry], tz: Tz, all: bool) -> String {
    let mut shown: Vec<TimelineEntry> = entries
        .iter()
        .filter(|e| all || (e.is_visible() && !e.kind.is_bookkeeping()))
        .cloned()
        .collect();
    sort_for_display(&mut shown);
    let mut out = format!(
        "Timeline of {} ({} entries{}, times in {}):",
        inc.id,
        shown.len(),
        if all {
            ", bookkeeping and deleted ones included"
        } else {
            ""
        },
        tz.name()
    );
    let skip = shown.len().saturating_sub(LIST_LIMIT);
    if skip > 0 {
        out.push_str(&format!(
            "\n… {skip} earlier entries not shown (`postmortem export` has them all)"
        ));
    }
    for e in &shown[skip..] {
        let mut marks = String::new();
        if let Some(l) = e.last_edit() {
            marks.push_str(&format!(" (edited by {} at {})", l.by.name, show_time(l.at, tz)));
        }
        if let Some(d) = &e.deleted {
            marks.push_str(&format!(" (deleted by {} at {})", d.by.name, show_time(d.at, tz)));
        }
        out.push_str(&format!(
            "\n#{:<3} {}  {}: {}{}",
            e.seq,
            fmt_moment(&e.moment(), &tz),
            e.author.name,
            e.text,
            marks
        ));
    }
    out
}

/// `5h 10m`, `~5h 10m`: the incident's total impact time.
pub fn impact_total(inc: &Incident) -> String {
    let (secs, approx) = inc.impact_seconds();
    format!(
        "{}{}",
        if approx { "~" } else { "" },
        crate::postmortem::format_duration(secs)
    )
}

/// `incident impact list`.
pub fn impact_list(inc: &Incident, tz: Tz) -> String {
    let windows = inc.live_impacts();
    if windows.is_empty() {
        return format!(
            "{} has no impact windows yet; add one with `incident impact START..END [note]`.",
            inc.id
        );
    }
    let mut out = format!("Impact windows of {} (total {}):", inc.id, impact_total(inc));
    for w in windows {
        out.push_str(&format!(
            "\n#{:<3} {} ({}){}",
            w.n,
            fmt_moment(&w.moment(), &tz),
            crate::postmortem::format_duration(w.seconds()),
            w.note.as_ref().map(|n| format!(": {n}")).unwrap_or_default()
        ));
    }
    out
}

/// `action list`: open items first, then done ones; deleted ones are left out.
pub fn action_list(inc: &Incident) -> String {
    let mut items: Vec<_> = inc.actions.iter().filter(|a| a.deleted.is_none()).collect();
    if items.is_empty() {
        return format!(
            "{} has no action items yet; add one with `action <text> [@owner]`.",
            inc.id
        );
    }
    items.sort_by_key(|a| (!a.is_open(), a.n));
    let mut out = format!("Action items of {}:", inc.id);
    for a in items {
        out.push_str(&format!(
            "\n#{:<3} [{}] {}",
            a.n,
            if a.is_open() { "open" } else { "done" },
            action_line(&a.fields)
        ));
    }
    out
}

/// The proposal posted when every alert of an incident has resolved; `source` picks the
/// command prefix of the room it goes to.
pub fn resolve_proposal(inc: IncidentId, alerts: usize, source: Source, lang: Lang) -> String {
    lang.fmt(
        "propose-resolve",
        &[
            ("count", &alerts.to_string()),
            ("id", &inc.to_string()),
            ("p", &prefix_for(source).to_string()),
        ],
    )
}
