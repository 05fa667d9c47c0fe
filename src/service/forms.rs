//! Declarations from a form (Slack's declare dialog): the same gate as `incident declare`
//! (rate limits, `[access]`), then the description as the first note and the affected services,
//! each a durable change.

use super::{Inbound, IncidentService, Notice};
use crate::command::{Command, IncidentCmd};
use crate::domain::{EntryKind, NewEntry, Severity, check_text};

impl IncidentService {
    /// Declare from a form: `title` and `severity` as `incident declare` takes them, then
    /// `description` (a note) and `services` (`incident affects`) on the new incident.
    pub async fn declare_form(
        &self,
        msg: Inbound,
        title: String,
        severity: Option<Severity>,
        description: Option<String>,
        services: Vec<String>,
    ) -> Vec<Notice> {
        let cmd = Command::Incident(IncidentCmd::Declare {
            title,
            severity,
            at: None,
        });
        let mut notices = match self.command(cmd, &msg).await {
            Ok(n) => n,
            Err(e) => return e.user_text().map(Notice::Reply).into_iter().collect(),
        };
        let Some(id) = notices.iter().find_map(|n| match n {
            Notice::Opened { incident, .. } => Some(incident.id),
            _ => None,
        }) else {
            return notices;
        };
        let description = description.filter(|d| !d.trim().is_empty());
        if description.is_none() && services.is_empty() {
            return notices;
        }
        let (who, src, at) = (&msg.author, msg.source, msg.at);
        let more = Inbound {
            event_id: None,
            ..msg.clone()
        };
        let r = self
            .change_id(id, &more, |i| {
                let mut entries = Vec::new();
                if let Some(d) = &description {
                    check_text(d)?;
                    entries.push(NewEntry::new(at, who, EntryKind::Note, d.trim(), src));
                }
                if !services.is_empty() {
                    entries.extend(i.add_services(&services, who, at, src)?);
                }
                Ok(((), entries))
            })
            .await;
        if let Err(e) = r
            && let Some(t) = e.user_text()
        {
            notices.push(Notice::Reply(format!(
                "{id} is declared, but its details were not recorded: {t}"
            )));
        }
        notices
    }
}
