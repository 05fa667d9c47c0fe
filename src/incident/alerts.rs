//! The alert path: a message in a watched room that matches a rule opens an incident, or
//! joins the open incident with the same fingerprint.

use super::{Inbound, IncidentService, Notice, Refusal, text};
use crate::domain::{AlertInfo, Incident, Opening, Person};
use crate::store::OpenOrAttach;

impl IncidentService {
    pub(super) async fn handle_alert(&self, msg: &Inbound) -> Result<Vec<Notice>, Refusal> {
        let names: Vec<&str> = msg.room_names.iter().map(String::as_str).collect();
        let Some(m) = self.rules.match_text(&msg.text, &names) else {
            tracing::debug!(room = %msg.room, "message in an alert room matched no alert rule");
            return Ok(Vec::new());
        };
        let now = self.now();
        let at = msg.at.min(now);
        let alert = AlertInfo {
            rule: m.rule.clone(),
            text: msg.text.trim().to_string(),
            sender: msg.author.clone(),
            room: msg.room_names.first().cloned().unwrap_or_else(|| msg.room.clone()),
            at,
            source: msg.source,
        };
        let outcome = self
            .store
            .open_or_attach(
                &m.fingerprint,
                msg.event_id.as_deref(),
                now,
                |id| {
                    Incident::open(Opening {
                        id,
                        title: m.title.clone(),
                        severity: m.severity,
                        by: Person::warroom(),
                        at: now,
                        source: msg.source,
                        fingerprint: Some(m.fingerprint.clone()),
                        trigger: Some(alert.clone()),
                    })
                },
                |inc| inc.alert_repeated(&alert.text, &alert.sender, at, msg.source),
            )
            .await
            .map_err(|e| self.refusal(e))?;
        Ok(match outcome {
            OpenOrAttach::Opened(c) => {
                tracing::info!(incident = %c.incident.id, rule = %m.rule, "incident opened from alert");
                let announcement = text::announcement(&c.incident, msg.source, self.tz);
                vec![Notice::Opened {
                    incident: Box::new(c.incident),
                    announcement,
                    origin_room: msg.room.clone(),
                }]
            }
            OpenOrAttach::Attached(c) => {
                let text = c.entries.last().map_or_else(String::new, |e| e.text.clone());
                tracing::info!(incident = %c.incident.id, count = c.incident.alert_count, "alert attached");
                vec![Notice::Post {
                    incident: c.incident.id,
                    text,
                }]
            }
        })
    }
}
