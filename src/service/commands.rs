//! Command execution: each command becomes one durable write (or a read), then a reply.

use chrono::{DateTime, Utc};

use super::text::{self, show_time};
use super::{Inbound, IncidentService, Notice, ServiceError};
use crate::command::{Command, IncidentCmd, PostmortemCmd, TimelineCmd, When, help_text};
use crate::domain::{
    EntryKind, FUTURE_SLACK_SECS, Incident, IncidentId, NewEntry, Opening, Severity, TransitionError, check_text,
};
use crate::postmortem;
use crate::postmortem::ExportFormat;

type Reply = Result<Vec<Notice>, ServiceError>;

fn reply(text: impl Into<String>) -> Reply {
    Ok(vec![Notice::Reply(text.into())])
}

impl IncidentService {
    fn resolve_when(&self, when: &Option<When>, default: DateTime<Utc>) -> Result<DateTime<Utc>, ServiceError> {
        match when {
            None => Ok(default),
            Some(w) => w
                .resolve(self.now().max(default), self.tz)
                .map_err(|e| ServiceError::Refused(e.0)),
        }
    }

    fn incident_here(&self, msg: &Inbound) -> Result<Incident, ServiceError> {
        self.store.incident_by_room(&msg.room)?.ok_or_else(|| {
            let p = super::prefix_for(msg.source);
            ServiceError::Refused(format!(
                "This room is not an incident room. Open one with `{p}incident declare <title>`, or run this command in the incident's room."
            ))
        })
    }

    /// The incident of this room for a read-only command. Waits for in-flight writes to be
    /// durable first, so nothing shown can disappear in a crash.
    async fn read_here(&self, msg: &Inbound) -> Result<Incident, ServiceError> {
        self.store.sync().await?;
        self.incident_here(msg)
    }

    /// Apply a domain transition to the incident of this room; returns the updated incident.
    async fn change<T>(
        &self,
        msg: &Inbound,
        f: impl Fn(&mut Incident) -> Result<(T, Vec<NewEntry>), TransitionError>,
    ) -> Result<(T, Incident), ServiceError> {
        let id = self.incident_here(msg)?.id;
        let tz = self.tz;
        let c = self
            .store
            .update_incident(id, msg.event_id.as_deref(), self.now(), |i| {
                f(i).map_err(|e| super::Shown(e.message(&tz)))
            })
            .await
            .map_err(|e| self.refusal(e))?;
        Ok((c.value, c.incident))
    }

    pub(super) async fn run(&self, cmd: Command, msg: &Inbound) -> Reply {
        let p = super::prefix_for(msg.source);
        match cmd {
            Command::Help(family) => reply(help_text(p, family)),
            Command::Incident(c) => self.run_incident(c, msg).await,
            Command::Timeline(c) => self.run_timeline(c, msg).await,
            Command::Action { text, owner } => {
                let (_, inc) = self
                    .change(msg, |i| {
                        Ok((
                            (),
                            i.add_action(&text, owner.as_deref(), &msg.author, msg.at, msg.source)?,
                        ))
                    })
                    .await?;
                let a = inc.actions.last().map_or(0, |a| a.n);
                reply(format!(
                    "Action #{a} recorded{}.",
                    owner.map(|o| format!(" (owner {o})")).unwrap_or_default()
                ))
            }
            Command::Postmortem(c) => self.run_postmortem(c, msg).await,
        }
    }

    async fn run_incident(&self, cmd: IncidentCmd, msg: &Inbound) -> Reply {
        let (who, at, src) = (&msg.author, msg.at, msg.source);
        let tz = self.tz;
        match cmd {
            IncidentCmd::Declare { title, severity } => {
                check_text(&title).map_err(|e| ServiceError::Refused(e.to_string()))?;
                let now = self.now();
                let c = self
                    .store
                    .create_incident(msg.event_id.as_deref(), now, |id| {
                        Incident::open(Opening {
                            id,
                            title: title.clone(),
                            severity: severity.unwrap_or(Severity::Sev3),
                            by: who.clone(),
                            at,
                            source: src,
                            fingerprint: None,
                            trigger: None,
                        })
                    })
                    .await
                    .map_err(|e| self.refusal(e))?;
                let announcement = text::announcement(&c.incident, src, tz);
                Ok(vec![Notice::Opened {
                    incident: Box::new(c.incident),
                    announcement,
                    origin_room: msg.room.clone(),
                }])
            }
            IncidentCmd::Severity(sev) => {
                self.change(msg, |i| Ok(((), i.set_severity(sev, who, at, src)?)))
                    .await?;
                reply(format!("Severity is now {}.", sev.label()))
            }
            IncidentCmd::Status { status, note } => {
                self.change(msg, |i| Ok(((), i.set_status(status, note.as_deref(), who, at, src)?)))
                    .await?;
                reply(format!("Status is now {status}."))
            }
            IncidentCmd::Role { role, user } => {
                self.change(msg, |i| Ok(((), i.assign_role(role.clone(), &user, who, at, src)?)))
                    .await?;
                reply(format!("{user} is now {role}."))
            }
            IncidentCmd::Milestone { milestone, when } => {
                let t = self.resolve_when(&when, at)?;
                let now = self.now().max(at);
                self.change(msg, |i| Ok(((), i.set_milestone(milestone, t, who, now, src)?)))
                    .await?;
                reply(format!("Milestone {milestone} recorded at {}.", show_time(t, tz)))
            }
            IncidentCmd::Affects(services) => {
                let (added, inc) = self
                    .change(msg, |i| {
                        let e = i.add_services(&services, who, at, src)?;
                        Ok((!e.is_empty(), e))
                    })
                    .await?;
                let verb = if added {
                    "Affected services"
                } else {
                    "Already recorded; affected services"
                };
                reply(format!("{verb}: {}.", inc.services.join(", ")))
            }
            IncidentCmd::Resolve { when, note } => {
                let t = self.resolve_when(&when, at)?;
                let now = self.now().max(at);
                let (_, inc) = self
                    .change(msg, |i| Ok(((), i.resolve(t, note.as_deref(), who, now, src)?)))
                    .await?;
                reply(format!(
                    "{} resolved at {}. Fill in the postmortem (`{p}postmortem <section> <text>`), then `{p}incident close`.",
                    inc.id,
                    show_time(t, tz),
                    p = super::prefix_for(src)
                ))
            }
            IncidentCmd::Close => {
                let now = self.now().max(at);
                let (_, inc) = self.change(msg, |i| Ok(((), i.close(who, now, src)?))).await?;
                let file = self.export(inc.id, ExportFormat::Markdown)?;
                Ok(vec![
                    Notice::Reply(format!("{} closed. Here is the draft postmortem:", inc.id)),
                    Notice::Postmortem {
                        incident: inc.id,
                        markdown: file.content.clone(),
                        file,
                    },
                ])
            }
            IncidentCmd::Reopen => {
                let (_, inc) = self
                    .change(msg, |i| Ok(((), i.reopen(who, at.max(self.now()), src)?)))
                    .await?;
                reply(format!("{} reopened; status is {}.", inc.id, inc.status))
            }
            IncidentCmd::Show => {
                let inc = self.read_here(msg).await?;
                reply(text::summary(&inc, tz))
            }
        }
    }

    async fn run_timeline(&self, cmd: TimelineCmd, msg: &Inbound) -> Reply {
        let (who, at, src) = (&msg.author, msg.at, msg.source);
        match cmd {
            TimelineCmd::Add { when, text } => {
                let t = self.resolve_when(&when, at)?;
                let now = self.now().max(at);
                if (t - now).num_seconds() > FUTURE_SLACK_SECS {
                    return Err(ServiceError::Refused(format!(
                        "{} is in the future; timeline entries record what already happened",
                        show_time(t, self.tz)
                    )));
                }
                check_text(&text).map_err(|e| ServiceError::Refused(e.to_string()))?;
                let (seq, _) = self
                    .change(msg, |i| {
                        let e = NewEntry::new(t, who, EntryKind::Note, text.clone(), src);
                        Ok((i.last_seq.saturating_add(1), vec![e]))
                    })
                    .await?;
                reply(format!("Added #{seq} at {}: {text}", show_time(t, self.tz)))
            }
            TimelineCmd::List => {
                let inc = self.read_here(msg).await?;
                let entries = self.store.entries(inc.id)?;
                reply(text::timeline_list(&inc, &entries, self.tz))
            }
            TimelineCmd::Edit { seq, text } => {
                check_text(&text).map_err(|e| ServiceError::Refused(e.to_string()))?;
                let id = self.incident_here(msg)?.id;
                self.edit_entry(id, seq, msg, |e| e.edit(text.clone(), who, self.now()))
                    .await?;
                reply(format!("Entry #{seq} now reads: {text}"))
            }
            TimelineCmd::Delete { seq } => {
                let id = self.incident_here(msg)?.id;
                self.edit_entry(id, seq, msg, |e| e.delete(who, self.now())).await?;
                reply(format!(
                    "Entry #{seq} removed from the timeline (kept in the audit trail)."
                ))
            }
        }
    }

    async fn edit_entry(
        &self,
        id: IncidentId,
        seq: u64,
        msg: &Inbound,
        f: impl Fn(&mut crate::domain::TimelineEntry) -> Result<(), String>,
    ) -> Result<(), ServiceError> {
        self.store
            .update_entry(id, seq, msg.event_id.as_deref(), self.now(), f)
            .await
            .map_err(|e| self.refusal(e))?;
        Ok(())
    }

    async fn run_postmortem(&self, cmd: PostmortemCmd, msg: &Inbound) -> Reply {
        match cmd {
            PostmortemCmd::Set { section, text, replace } => {
                let now = self.now();
                self.change(msg, |i| {
                    i.contribute(section, &text, replace, &msg.author, now)?;
                    Ok(((), Vec::new()))
                })
                .await?;
                reply(format!("{} {section}.", if replace { "Replaced" } else { "Added to" }))
            }
            PostmortemCmd::Show => {
                let inc = self.read_here(msg).await?;
                let pm = self.postmortem(inc.id)?;
                reply(postmortem::render(&pm, ExportFormat::Markdown))
            }
            PostmortemCmd::Export(format) => {
                let inc = self.read_here(msg).await?;
                Ok(vec![Notice::File(self.export(inc.id, format)?)])
            }
        }
    }
}
