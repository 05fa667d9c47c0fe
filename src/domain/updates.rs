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

/// When reminders are due (`[reminders]`); `None`: that reminder is off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReminderRules {
    /// Nobody leads an open incident this long after it was declared.
    pub lead_after: Option<chrono::Duration>,
    /// No status update for this long while the incident is open (not resolved).
    pub update_every: Option<chrono::Duration>,
    /// `update_every` per severity.
    pub update_every_sev: BTreeMap<super::Severity, chrono::Duration>,
    /// Closed this long ago and every postmortem section still empty.
    pub postmortem_after: Option<chrono::Duration>,
    /// A day before an open action item is due, its owners are reminded.
    pub actions_due: bool,
}

impl ReminderRules {
    pub fn is_off(&self) -> bool {
        self.lead_after.is_none()
            && self.update_every.is_none()
            && self.update_every_sev.is_empty()
            && self.postmortem_after.is_none()
            && !self.actions_due
    }
}

/// A reminder due now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reminder {
    /// Nobody leads; declared this long ago.
    Lead { waited: chrono::Duration },
    /// No update for this long.
    Update { waited: chrono::Duration },
    /// Closed, and the postmortem is still empty.
    Postmortem { waited: chrono::Duration },
    /// Action item `n` is due on `due`.
    ActionDue {
        n: u32,
        text: String,
        owners: Vec<String>,
        due: chrono::NaiveDate,
    },
}

impl Reminder {
    /// The key it is recorded under in `Reminders::sent`.
    pub fn key(&self) -> String {
        match self {
            Reminder::Lead { .. } => "lead".into(),
            Reminder::Update { .. } => "update".into(),
            Reminder::Postmortem { .. } => "postmortem".into(),
            Reminder::ActionDue { n, due, .. } => format!("action-{n}-{due}"),
        }
    }
}

impl Incident {
    /// The reminders due at `now` under `rules`, from this record alone: what was sent is
    /// in `reminders.sent`, so each fires once per occasion whatever restarts happen. The
    /// lead, postmortem and action reminders fire once; the update reminder again each
    /// interval without an update. Nothing while snoozed. `tz`: the day an action is due.
    pub fn due_reminders(&self, rules: &ReminderRules, now: DateTime<Utc>, tz: &chrono_tz::Tz) -> Vec<Reminder> {
        if self.reminders.snoozed_until.is_some_and(|t| t > now) {
            return Vec::new();
        }
        let sent = |k: &str| self.reminders.sent.get(k).copied();
        let mut out = Vec::new();
        let open = !self.is_closed();
        let unresolved = open && self.status != super::Status::Resolved;
        if let Some(after) = rules.lead_after
            && unresolved
            && self.commander().is_none()
            && now - self.declared_at >= after
            && sent("lead").is_none()
        {
            out.push(Reminder::Lead {
                waited: now - self.declared_at,
            });
        }
        let every = rules
            .update_every_sev
            .get(&self.severity)
            .copied()
            .or(rules.update_every);
        if let Some(every) = every
            && unresolved
        {
            let last = [
                Some(self.declared_at),
                self.last_update.as_ref().map(|u| u.at),
                sent("update"),
            ]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(self.declared_at);
            let since_update = self.last_update.as_ref().map_or(self.declared_at, |u| u.at);
            if now - last >= every {
                out.push(Reminder::Update {
                    waited: now - since_update,
                });
            }
        }
        if let (Some(after), Some(closed)) = (rules.postmortem_after, self.milestones.get(&super::Milestone::Closed))
            && !open
            && now - *closed >= after
            && self.sections.values().all(Vec::is_empty)
            && self.custom_sections.values().all(Vec::is_empty)
            && sent("postmortem").is_none()
        {
            out.push(Reminder::Postmortem { waited: now - *closed });
        }
        if rules.actions_due {
            let today = now.with_timezone(tz).date_naive();
            for a in self.actions.iter().filter(|a| a.is_open() && a.deleted.is_none()) {
                let Some(due) = a.fields.due else { continue };
                let r = Reminder::ActionDue {
                    n: a.n,
                    text: a.fields.text.clone(),
                    owners: a.fields.owners.clone(),
                    due,
                };
                if due.pred_opt().is_some_and(|eve| today >= eve) && today <= due && sent(&r.key()).is_none() {
                    out.push(r);
                }
            }
        }
        out
    }
}
