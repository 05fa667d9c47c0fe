//! Reminders (`[reminders]`): computed from the store's state at each check, and marked sent in
//! the same transaction that decides them, so a restart neither loses nor repeats one and two
//! checks never send one twice.

use std::time::Duration;

use super::{IncidentService, Notice};
use crate::domain::{Incident, Reminder, ReminderRules};
use crate::store::WriteError;

/// Nothing was due after all (another check sent it first).
struct NothingDue;

impl std::fmt::Display for NothingDue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("nothing due")
    }
}

impl IncidentService {
    /// Set when reminders are due (`[reminders]`).
    pub fn with_reminders(mut self, rules: ReminderRules) -> Self {
        self.reminder_rules = rules;
        self
    }

    /// How often to check for due reminders: a quarter of the shortest interval, between 1 and
    /// 15 seconds; `None` when every reminder is off.
    pub fn reminder_tick(&self) -> Option<Duration> {
        let r = &self.reminder_rules;
        if r.is_off() {
            return None;
        }
        let shortest = [r.lead_after, r.update_every, r.postmortem_after]
            .into_iter()
            .flatten()
            .chain(r.update_every_sev.values().copied())
            .filter_map(|d| d.to_std().ok())
            .min()
            .unwrap_or(Duration::from_secs(60));
        Some((shortest / 4).clamp(Duration::from_secs(1), Duration::from_secs(15)))
    }

    /// Send the reminders due now, for every incident (the tests' view; `run` and the console
    /// use `remind_matching`).
    #[cfg(test)]
    pub async fn remind(&self) -> Vec<Notice> {
        self.remind_matching(|_| true).await
    }

    /// Send the reminders due now for the incidents `keep` accepts (the console reminds only
    /// incidents in its rooms; `run` only incidents that live on a chat platform): each is
    /// recorded as sent (durably) before its notice is returned. Store trouble is logged; the
    /// next check tries again.
    pub async fn remind_matching(&self, keep: impl Fn(&Incident) -> bool) -> Vec<Notice> {
        if self.reminder_rules.is_off() {
            return Vec::new();
        }
        let now = self.now();
        let incidents = match self.store.incidents(true) {
            Ok(all) => all,
            Err(e) => {
                tracing::warn!(error = %e, "reminders: cannot list incidents; trying again at the next check");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for inc in incidents.into_iter().filter(|i| keep(i)) {
            if inc.due_reminders(&self.reminder_rules, now, &self.tz).is_empty() {
                continue;
            }
            let rules = &self.reminder_rules;
            let tz = self.tz;
            let r = self
                .store
                .update_incident(inc.id, None, now, |i| {
                    let due = i.due_reminders(rules, now, &tz);
                    if due.is_empty() {
                        return Err(NothingDue);
                    }
                    for r in &due {
                        i.reminded(&r.key(), now);
                    }
                    Ok((due, Vec::new()))
                })
                .await;
            match r {
                Ok(c) => {
                    for r in &c.value {
                        tracing::info!(incident = %c.incident.id, reminder = %r.key(), "reminder sent");
                        out.push(Notice::Remind {
                            incident: c.incident.id,
                            text: self.reminder_text(&c.incident, r),
                        });
                    }
                }
                Err(WriteError::Rejected(NothingDue)) => {}
                Err(e) => {
                    tracing::warn!(incident = %inc.id, error = %e, "reminders: cannot record a reminder; trying again at the next check")
                }
            }
        }
        out
    }

    /// A reminder as the incident's rooms are told it, in the incident's language.
    fn reminder_text(&self, inc: &Incident, r: &Reminder) -> String {
        let lang = self.lang(inc);
        let id = inc.id.to_string();
        match r {
            Reminder::Lead { waited } => lang.fmt(
                "remind-lead",
                &[("id", &id), ("waited", &lang.duration(waited.num_seconds()))],
            ),
            Reminder::Update { waited } => lang.fmt(
                "remind-update",
                &[("id", &id), ("waited", &lang.duration(waited.num_seconds()))],
            ),
            Reminder::Postmortem { waited } => {
                let lead = inc.commander().map_or_else(|| lang.t("update-no-lead"), str::to_string);
                lang.fmt(
                    "remind-postmortem",
                    &[
                        ("id", &id),
                        ("waited", &lang.duration(waited.num_seconds())),
                        ("lead", &lead),
                    ],
                )
            }
            Reminder::ActionDue { n, text, owners, due } => lang.fmt(
                "remind-action",
                &[
                    ("id", &id),
                    ("n", &n.to_string()),
                    ("text", text),
                    ("due", &due.to_string()),
                    (
                        "owners",
                        &if owners.is_empty() {
                            lang.t("update-no-lead")
                        } else {
                            owners.join(", ")
                        },
                    ),
                ],
            ),
        }
    }
}
