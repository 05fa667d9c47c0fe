//! Timeline entries: what happened when, who said so, and where it came from.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::time::{Moment, Precision};

/// Someone (or something) acting on an incident.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Person {
    /// Stable platform identity: a Matrix mxid, a Slack user id, a console user name.
    pub id: String,
    /// Display name shown in postmortems.
    pub name: String,
}

impl Person {
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Person {
            id: id.into(),
            name: name.into(),
        }
    }
    /// The bot itself, author of automatic entries.
    pub fn warroom() -> Self {
        Person::new("warroom", "warroom")
    }
}

/// Where an entry or an input came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Console,
    Slack,
    Matrix,
    Webhook,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Console => "console",
            Source::Slack => "slack",
            Source::Matrix => "matrix",
            Source::Webhook => "webhook",
        }
    }
}

/// What kind of event an entry records. Everything but `Note` is written automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Declared,
    AlertReceived,
    AlertRepeated,
    AlertResolved,
    Note,
    Severity,
    Status,
    Role,
    Milestone,
    Services,
    Action,
    Closed,
    Reopened,
    /// An impact window (`incident impact START..END`); the entry spans the window.
    Impact,
    /// The incident was renamed (`incident title`).
    Title,
    /// A correction of the record itself (an impact window deleted).
    Correction,
    /// The postmortem's own record: a supporting link, a related incident, an author or
    /// reviewer, the review status, the template or the language.
    Postmortem,
    /// A chat message captured by a reaction or a pin: its author, send time and text.
    Captured,
    /// A status update (`incident update`).
    Update,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Declared => "declared",
            EntryKind::AlertReceived => "alert_received",
            EntryKind::AlertRepeated => "alert_repeated",
            EntryKind::AlertResolved => "alert_resolved",
            EntryKind::Note => "note",
            EntryKind::Severity => "severity",
            EntryKind::Status => "status",
            EntryKind::Role => "role",
            EntryKind::Milestone => "milestone",
            EntryKind::Services => "services",
            EntryKind::Action => "action",
            EntryKind::Closed => "closed",
            EntryKind::Reopened => "reopened",
            EntryKind::Impact => "impact",
            EntryKind::Title => "title",
            EntryKind::Correction => "correction",
            EntryKind::Postmortem => "postmortem",
            EntryKind::Captured => "captured",
            EntryKind::Update => "update",
        }
    }

    /// Bookkeeping of the record itself (action items, renames): listed by `timeline list
    /// --all` and kept in the JSON export, but not part of the story the draft's timeline tells.
    pub fn is_bookkeeping(self) -> bool {
        matches!(
            self,
            EntryKind::Action | EntryKind::Title | EntryKind::Correction | EntryKind::Postmortem
        )
    }
}

/// The words of an automatic entry as a message of the language catalogues (`entry-…` keys),
/// so a draft or a notice in another language says them in that language. The entry's `text`
/// stays the English original: logs, the JSON export and older versions read that.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phrase {
    pub key: String,
    /// Placeables filled with a value as it is (user text, ids, counts, times).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
    /// Placeables filled with another catalogue message (a status, a severity, a milestone).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub terms: BTreeMap<String, String>,
}

impl Phrase {
    pub fn new(key: &str) -> Phrase {
        Phrase {
            key: key.to_string(),
            ..Phrase::default()
        }
    }
    /// Fill `name` with `value` as it is.
    pub fn arg(mut self, name: &str, value: impl ToString) -> Phrase {
        self.args.insert(name.to_string(), value.to_string());
        self
    }
    /// Fill `name` with the catalogue message `key`.
    pub fn term(mut self, name: &str, key: impl Into<String>) -> Phrase {
        self.terms.insert(name.to_string(), key.into());
        self
    }
}

/// An entry to be appended; the store gives it its sequence number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub at: DateTime<Utc>,
    /// How precisely `at` is known.
    pub precision: Precision,
    /// The end of a range entry.
    pub end: Option<DateTime<Utc>>,
    pub author: Person,
    pub kind: EntryKind,
    pub text: String,
    pub source: Source,
    /// The text as a catalogue message, for automatic entries.
    pub phrase: Option<Phrase>,
}

impl NewEntry {
    pub fn new(at: DateTime<Utc>, author: &Person, kind: EntryKind, text: impl Into<String>, source: Source) -> Self {
        NewEntry {
            at,
            precision: Precision::Minute,
            end: None,
            author: author.clone(),
            kind,
            text: text.into(),
            source,
            phrase: None,
        }
    }

    /// The same entry with its text as a catalogue message.
    pub fn phrased(mut self, p: Phrase) -> Self {
        self.phrase = Some(p);
        self
    }

    /// The same entry at a moment known with some precision (and maybe a range).
    pub fn at_moment(mut self, m: Moment) -> Self {
        self.at = m.at;
        self.precision = m.precision;
        self.end = m.end;
        self
    }
}

/// A stored timeline entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// 1-based, per incident, gap-free in the order entries were recorded.
    pub seq: u64,
    /// When it happened (may be backdated); for a range, its start.
    pub at: DateTime<Utc>,
    /// How precisely `at` (and `end`) are known.
    #[serde(default, skip_serializing_if = "Precision::is_minute")]
    pub precision: Precision,
    /// The end of a range entry (`13:35..15:50`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<DateTime<Utc>>,
    /// When warroom recorded it.
    pub recorded_at: DateTime<Utc>,
    pub author: Person,
    pub kind: EntryKind,
    pub text: String,
    pub source: Source,
    /// Set when the text or time was changed with `timeline edit`: the previous value and who
    /// changed it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<Edit>,
    /// Set by `timeline delete`; deleted entries are kept for the audit trail but not shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Edit>,
    /// Earlier deletions undone with `timeline restore`, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restores: Vec<Restore>,
    /// The text as a catalogue message (automatic entries written since drafts speak more
    /// than English); `None` for notes and older entries, which are shown as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phrase: Option<Phrase>,
}

/// Audit record of a change to an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    pub at: DateTime<Utc>,
    pub by: Person,
    pub previous_text: String,
    /// The entry's time before this change, when the change moved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_time: Option<Moment>,
}

/// A deletion that was undone: the deletion record, and who restored the entry when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restore {
    pub deleted: Edit,
    pub at: DateTime<Utc>,
    pub by: Person,
}

impl TimelineEntry {
    pub fn from_new(seq: u64, recorded_at: DateTime<Utc>, e: NewEntry) -> Self {
        TimelineEntry {
            seq,
            at: e.at,
            precision: e.precision,
            end: e.end,
            recorded_at,
            author: e.author,
            kind: e.kind,
            text: e.text,
            source: e.source,
            edits: Vec::new(),
            deleted: None,
            restores: Vec::new(),
            phrase: e.phrase,
        }
    }

    /// When it happened, with its precision and range end.
    pub fn moment(&self) -> Moment {
        Moment {
            at: self.at,
            precision: self.precision,
            end: self.end,
        }
    }

    pub fn is_visible(&self) -> bool {
        self.deleted.is_none()
    }

    /// The latest change of the text (who edited it last, when, and what it read before).
    pub fn last_edit(&self) -> Option<&Edit> {
        self.edits.last()
    }

    /// Replace the text, keeping the old one, who changed it and when in the audit trail. Only
    /// notes can be edited: automatic entries are facts recorded by warroom. The same text
    /// again is refused, so the history holds only real changes.
    pub fn edit(&mut self, text: String, by: &Person, at: DateTime<Utc>) -> Result<(), String> {
        self.check_editable("edit")?;
        if text.trim() == self.text.trim() {
            return Err(format!("entry #{} already reads that; nothing changed", self.seq));
        }
        let previous_text = std::mem::replace(&mut self.text, text);
        self.edits.push(Edit {
            at,
            by: by.clone(),
            previous_text,
            previous_time: None,
        });
        Ok(())
    }

    /// Change when the entry happened and/or its text (`timeline edit N [WHEN] [text]`),
    /// keeping the previous values, who changed them and when. A change to nothing is refused.
    pub fn correct(
        &mut self,
        when: Option<Moment>,
        text: Option<String>,
        by: &Person,
        at: DateTime<Utc>,
    ) -> Result<(), String> {
        self.check_editable("edit")?;
        let new_time = when.filter(|m| *m != self.moment());
        let new_text = text.filter(|t| t.trim() != self.text.trim());
        if new_time.is_none() && new_text.is_none() {
            return Err(format!("entry #{} already reads that; nothing changed", self.seq));
        }
        let previous_time = new_time.map(|m| {
            let before = self.moment();
            self.at = m.at;
            self.precision = m.precision;
            self.end = m.end;
            before
        });
        let previous_text = match new_text {
            Some(t) => std::mem::replace(&mut self.text, t),
            None => self.text.clone(),
        };
        self.edits.push(Edit {
            at,
            by: by.clone(),
            previous_text,
            previous_time,
        });
        Ok(())
    }

    /// Undo a `timeline delete`: the entry is shown again, and the deletion stays on record.
    pub fn restore(&mut self, by: &Person, at: DateTime<Utc>) -> Result<(), String> {
        let Some(deleted) = self.deleted.take() else {
            return Err(format!("entry #{} is not deleted; nothing to restore", self.seq));
        };
        self.restores.push(Restore {
            deleted,
            at,
            by: by.clone(),
        });
        Ok(())
    }

    /// Remove the entry from the timeline; it stays stored with who deleted it, when, and its
    /// text at that moment.
    pub fn delete(&mut self, by: &Person, at: DateTime<Utc>) -> Result<(), String> {
        self.check_editable("delete")?;
        self.deleted = Some(Edit {
            at,
            by: by.clone(),
            previous_text: self.text.clone(),
            previous_time: None,
        });
        Ok(())
    }

    fn check_editable(&self, verb: &str) -> Result<(), String> {
        if self.deleted.is_some() {
            return Err(format!("entry #{} was deleted", self.seq));
        }
        if !matches!(self.kind, EntryKind::Note | EntryKind::Captured) {
            return Err(format!(
                "entry #{} was recorded automatically ({}); only notes added with `timeline` can be {verb}ed",
                self.seq,
                self.kind.as_str().replace('_', " ")
            ));
        }
        Ok(())
    }
}

/// Entries in the order they are shown everywhere: by start time, date-only entries first in
/// their day (they start at its first instant), then in recording order.
pub fn sort_for_display(entries: &mut [TimelineEntry]) {
    entries.sort_by(|a, b| {
        a.at.cmp(&b.at)
            .then((a.precision != Precision::Date).cmp(&(b.precision != Precision::Date)))
            .then(a.seq.cmp(&b.seq))
    });
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
