//! Status updates (`incident update`) and the state reminders are computed from: the latest
//! update, a snooze, and which reminders were already sent. Pure: times come in as parameters.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::incident::{Incident, TransitionError, check_text};
use super::timeline::{EntryKind, NewEntry, Person, Phrase, Source};

/// The latest status update of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusUpdate {
    pub at: DateTime<Utc>,
    pub by: Person,
    pub text: String,
}

/// Reminder bookkeeping of an incident: kept in the incident record, so a restart neither
/// loses nor repeats a reminder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminders {
    /// No reminders before this time (`incident snooze`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snoozed_until: Option<DateTime<Utc>>,
    /// Each reminder by its key (`lead`, `update`, `postmortem`, `action-3`), and when it was
    /// last sent.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sent: BTreeMap<String, DateTime<Utc>>,
}

impl Reminders {
    pub fn is_empty(&self) -> bool {
        self.snoozed_until.is_none() && self.sent.is_empty()
    }
}

impl Incident {
    /// `incident update <text>`: the latest update, and an entry on the timeline.
    pub fn post_update(
        &mut self,
        text: &str,
        by: &Person,
        at: DateTime<Utc>,
        src: Source,
    ) -> Result<Vec<NewEntry>, TransitionError> {
        self.ensure_open("post an update")?;
        check_text(text)?;
        let text = text.trim().to_string();
        self.last_update = Some(StatusUpdate {
            at,
            by: by.clone(),
            text: text.clone(),
        });
        Ok(vec![
            NewEntry::new(at, by, EntryKind::Update, format!("status update: {text}"), src)
                .phrased(Phrase::new("entry-update").arg("text", text)),
        ])
    }

    /// `incident snooze`: no reminders until `until` (`None`: reminders back on).
    pub fn snooze(&mut self, until: Option<DateTime<Utc>>) -> Result<(), TransitionError> {
        if until.is_none() && self.reminders.snoozed_until.is_none() {
            return Err(TransitionError::Unchanged(format!(
                "reminders of {} are not snoozed",
                self.id
            )));
        }
        self.reminders.snoozed_until = until;
        Ok(())
    }

    /// Record that the reminder `key` was sent at `at`.
    pub fn reminded(&mut self, key: &str, at: DateTime<Utc>) {
        self.reminders.sent.insert(key.to_string(), at);
    }
}
