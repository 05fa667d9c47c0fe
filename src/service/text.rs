//! Texts the bot posts: announcements, incident summaries and timeline listings.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::prefix_for;
use crate::domain::{Incident, IncidentId, Source, TimelineEntry, fmt_minute, sort_for_display};

/// Timeline listings in chat show at most this many entries (the export has all).
pub const LIST_LIMIT: usize = 50;

pub fn show_time(t: DateTime<Utc>, tz: Tz) -> String {
    fmt_minute(t, &tz)
}

/// The message that opens an incident room.
pub fn announcement(inc: &Incident, source: Source, tz: Tz) -> String {
    let p = prefix_for(source);
    let mut out = format!(
        "🚨 {}: {} — {}, {}\n",
        inc.id,
        inc.title,
        inc.severity.label(),
        inc.status
    );
    match &inc.trigger {
        Some(a) => out.push_str(&format!(
            "Opened from an alert in {} by {} at {}: \"{}\"\n",
            a.room,
            a.sender.name,
            show_time(a.at, tz),
            a.text
        )),
        None => out.push_str(&format!(
            "Declared by {} at {}.\n",
            inc.declared_by.name,
            show_time(inc.declared_at, tz)
        )),
    }
    if let Some(key) = &inc.storm {
        out.push_str(&format!(
            "Alert storm: {} opened more incidents within a minute than allowed; alerts that would open a new incident join this one while it is open.\n",
            crate::domain::storm_subject(key)
        ));
    }
    out.push_str(&format!(
        "Record what happens: {p}timeline [WHEN] <text> · {p}incident lead @you · {p}incident status identified|monitoring · {p}incident resolve · {p}action <text> @owner · {p}postmortem <section> <text> · {p}incident close · {p}incident help"
    ));
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
        .iter()
        .map(|(m, t)| format!("{m} {}", show_time(*t, tz)))
        .collect();
    out.push_str(&format!("milestones: {}\n", ms.join(", ")));
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

/// `timeline list`: visible entries sorted by time, the last `LIST_LIMIT` of them.
pub fn timeline_list(inc: &Incident, entries: &[TimelineEntry], tz: Tz) -> String {
    let mut visible: Vec<TimelineEntry> = entries.iter().filter(|e| e.is_visible()).cloned().collect();
    sort_for_display(&mut visible);
    let mut out = format!(
        "Timeline of {} ({} entries, times in {}):",
        inc.id,
        visible.len(),
        tz.name()
    );
    let skip = visible.len().saturating_sub(LIST_LIMIT);
    if skip > 0 {
        out.push_str(&format!(
            "\n… {skip} earlier entries not shown (`postmortem export` has them all)"
        ));
    }
    for e in &visible[skip..] {
        let edited = e
            .last_edit()
            .map(|l| format!(" (edited by {} at {})", l.by.name, show_time(l.at, tz)))
            .unwrap_or_default();
        out.push_str(&format!(
            "\n#{:<3} {}  {}: {}{}",
            e.seq,
            show_time(e.at, tz),
            e.author.name,
            e.text,
            edited
        ));
    }
    out
}

/// The proposal posted when every alert of an incident has resolved; `source` picks the
/// command prefix of the room it goes to.
pub fn resolve_proposal(inc: IncidentId, alerts: usize, source: Source) -> String {
    format!(
        "✅ All {alerts} alerts of {inc} have resolved. If the incident is over, run `{}incident resolve`.",
        prefix_for(source)
    )
}
