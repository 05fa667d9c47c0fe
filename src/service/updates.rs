//! `incident update` (a status update for every room of the incident and the updates rooms)
//! and `incident snooze` (reminders paused).

use chrono::{DateTime, Utc};

use super::commands::Reply;
use super::{Inbound, IncidentService, Notice};
use crate::domain::{Incident, Milestone};

impl IncidentService {
    /// The update as posted: status, severity, lead, time so far, then the text, in the
    /// incident's language.
    pub fn update_text(&self, inc: &Incident, text: &str, now: DateTime<Utc>) -> String {
        let lang = self.lang(inc);
        let since = inc
            .milestones
            .get(&Milestone::Started)
            .or_else(|| inc.milestones.get(&Milestone::Detected))
            .copied()
            .unwrap_or(inc.declared_at);
        let lead = inc.commander().map_or_else(|| lang.t("update-no-lead"), str::to_string);
        let head = lang.fmt(
            "update-post",
            &[
                ("id", &inc.id.to_string()),
                ("severity", &lang.t(&format!("severity-{}", inc.severity))),
                ("status", &lang.t(&format!("status-{}", inc.status))),
                ("lead", &lead),
                ("elapsed", &lang.duration((now - since).num_seconds().max(0))),
            ],
        );
        format!("{head}\n{}", text.trim())
    }

    pub(super) async fn post_update(&self, text: String, msg: &Inbound) -> Reply {
        let (who, src, at) = (&msg.author, msg.source, msg.at);
        let (_, inc) = self
            .change(msg, |i| Ok(((), i.post_update(&text, who, at, src)?)))
            .await?;
        let posted = self.update_text(&inc, &text, self.now());
        Ok(vec![
            Notice::Reply(format!(
                "Update recorded on the timeline of {} and posted to its rooms and the updates rooms.",
                inc.id
            )),
            Notice::Update {
                incident: inc.id,
                text: posted,
            },
        ])
    }

    pub(super) async fn snooze(&self, d: Option<std::time::Duration>, msg: &Inbound) -> Reply {
        let until = match d {
            Some(d) => Some(
                self.now()
                    + chrono::Duration::from_std(d).map_err(|_| super::ServiceError::Refused("too long".into()))?,
            ),
            None => None,
        };
        let (_, inc) = self.change(msg, |i| Ok((i.snooze(until)?, Vec::new()))).await?;
        Ok(vec![Notice::Reply(match until {
            Some(t) => format!(
                "Reminders for {} are paused until {}.",
                inc.id,
                super::text::show_time(t, self.tz)
            ),
            None => format!("Reminders for {} are back on.", inc.id),
        })])
    }
}
