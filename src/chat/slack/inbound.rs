//! Receiving: slash commands and message events (from Socket Mode or HTTP mode alike) become
//! `Inbound`s for the service; its notices become outbox jobs, except the reply to a slash
//! command, which goes back in the acknowledgement.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use slack_morphism::prelude::*;

use super::bot::{JobKind, Lane, SlackBot, room_key};
use super::origin::{AppClaim, Refused};
use super::text;
use crate::chat::router::{opened_elsewhere, opens_here};
use crate::chat::{Inbound, Notice, dispatch};
use crate::domain::{Person, Platform, Source};
use crate::service::Standing;

/// Slack wants a slash command acknowledged within 3 s; answer by then whatever happens.
const ACK_BUDGET: Duration = Duration::from_millis(2500);

/// A slash command, from either connection mode.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SlashCommand {
    pub command: String,
    #[serde(default)]
    pub text: String,
    pub channel_id: String,
    pub user_id: String,
    #[serde(default)]
    pub user_name: Option<String>,
    pub response_url: String,
    pub trigger_id: String,
    /// The workspace it was typed in.
    #[serde(default)]
    pub team_id: Option<String>,
    /// The app it is for (HTTP mode; Socket Mode envelopes carry none).
    #[serde(default)]
    pub api_app_id: Option<String>,
    /// When it happened, if Slack says (a button's `action_ts`; slash commands carry no time,
    /// so they are stamped when they arrive).
    #[serde(skip)]
    pub at: Option<DateTime<Utc>>,
}

impl From<SlackCommandEvent> for SlashCommand {
    fn from(e: SlackCommandEvent) -> Self {
        SlashCommand {
            command: e.command.to_string(),
            text: e.text.unwrap_or_default(),
            channel_id: e.channel_id.to_string(),
            user_id: e.user_id.to_string(),
            user_name: None,
            response_url: e.response_url.0.to_string(),
            trigger_id: e.trigger_id.to_string(),
            team_id: Some(e.team_id.to_string()),
            api_app_id: None,
            at: None,
        }
    }
}

use super::capture::ts_time;

/// The text of a message for the alert rules: its text plus its attachments' title and text
/// (or fallback), which is where integrations and incoming webhooks put alerts; as plain text.
fn message_text(m: &SlackMessageEvent) -> String {
    text::unescape(&message_parts(m))
}

fn message_parts(m: &SlackMessageEvent) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(c) = &m.content {
        if let Some(t) = c.text.as_ref().filter(|t| !t.trim().is_empty()) {
            parts.push(t.clone());
        }
        for a in c.attachments.iter().flatten() {
            if let Some(t) = &a.title {
                parts.push(t.clone());
            }
            match (&a.text, &a.fallback) {
                (Some(t), _) if !t.trim().is_empty() => parts.push(t.clone()),
                (_, Some(f)) if parts.is_empty() => parts.push(f.clone()),
                _ => {}
            }
        }
    }
    parts.join("\n")
}

impl SlackBot {
    /// Is this message ours (never an alert or a command)?
    fn is_own(&self, m: &SlackMessageEvent, app_id: &str) -> bool {
        let me = self.me();
        let by_user = me
            .as_ref()
            .zip(m.sender.user.as_ref())
            .is_some_and(|((u, _), s)| s.0 == *u);
        let by_bot = me
            .as_ref()
            .and_then(|(_, b)| b.clone())
            .zip(m.sender.bot_id.as_ref())
            .is_some_and(|(b, s)| s.0 == b);
        let by_app = m.sender.bot_profile.as_ref().is_some_and(|p| p.app_id == app_id);
        by_user || by_bot || by_app
    }

    /// A push event (Events API, either mode). Returns once its effect is durable; `Err` (and
    /// nothing done) if it is not from this warroom's workspace and app.
    pub async fn on_event(self: &Arc<Self>, ev: SlackPushEventCallback) -> Result<(), Refused> {
        self.check_origin(
            "event",
            Some(ev.team_id.0.as_str()),
            AppClaim::Claimed(Some(ev.api_app_id.0.as_str())),
        )?;
        // The event's writes and the jobs they cause: one sync before the acknowledgement; if
        // that fails, no acknowledgement (Slack delivers the event again; its id makes the
        // redelivery harmless).
        if let Err(e) = self.service.store().clone().batch(self.handle_event(ev)).await {
            tracing::error!(error = %e, "slack: an event's changes could not be made durable; not acknowledged");
            return Err(Refused::NotDurable(e.to_string()));
        }
        Ok(())
    }

    async fn handle_event(self: &Arc<Self>, ev: SlackPushEventCallback) {
        if self
            .capture_event(&ev.event, &format!("slack:event:{}", ev.event_id.0))
            .await
        {
            return;
        }
        let SlackEventCallbackBody::Message(m) = ev.event else {
            return;
        };
        if m.hidden == Some(true)
            || !matches!(m.subtype, None | Some(SlackMessageEventType::BotMessage))
            || self.is_own(&m, &ev.api_app_id.0)
        {
            return;
        }
        let Some(channel) = m.origin.channel.as_ref().map(|c| c.to_string()) else {
            return;
        };
        let Some(names) = self.alert_names(&channel) else {
            return;
        };
        let text = message_text(&m);
        if text.trim().is_empty() {
            return;
        }
        let ts = m.origin.ts.to_string();
        // Reply in the alert's thread (or the thread it is part of).
        let thread = m
            .origin
            .thread_ts
            .as_ref()
            .map_or_else(|| ts.clone(), |t| t.to_string());
        let (author, invitee) = match (&m.sender.user, &m.sender.username, &m.sender.bot_profile) {
            (Some(u), _, _) => (
                Person::new(u.to_string(), self.api.user_name(&u.0)),
                Some(u.to_string()),
            ),
            (None, Some(name), _) => (Person::new(name.clone(), name.clone()), None),
            (None, None, Some(p)) => {
                let name = if p.name.is_empty() {
                    "integration".to_string()
                } else {
                    p.name.clone()
                };
                (Person::new(name.clone(), name), None)
            }
            _ => (Person::new("integration", "integration"), None),
        };
        let mut room_names = vec![channel.clone()];
        room_names.extend(names.into_iter().filter(|n| *n != channel));
        let msg = Inbound {
            source: Source::Slack,
            room: room_key(&channel).to_string(),
            room_names,
            alert_room: true,
            author,
            text,
            event_id: Some(format!("slack:event:{}", ev.event_id.0)),
            at: ts_time(&ts).unwrap_or_else(Utc::now),
            standing: Standing::default(),
        };
        let notices = dispatch(&self.service, msg).await;
        if !notices.is_empty() {
            tracing::info!(%channel, event = %ev.event_id.0, notices = notices.len(), "slack: handled message");
        }
        self.router.publish(Some(Platform::Slack), &notices).await;
        for n in notices {
            self.queue_notice(n, &channel, Some(thread.clone()), invitee.clone(), None)
                .await;
        }
    }

    /// A slash command: handled and made durable within the ack budget; the reply is returned
    /// for the acknowledgement (escaped for mrkdwn here: it leaves for Slack in the HTTP
    /// answer or the Socket Mode ack), everything slower is queued. `Err` (and nothing done) if
    /// it is not from this warroom's workspace and app; `by_connection`: the Socket Mode
    /// connection vouches for the app.
    pub async fn on_command(self: &Arc<Self>, cmd: SlashCommand, by_connection: bool) -> Result<text::Mrkdwn, Refused> {
        let app = if by_connection {
            AppClaim::ByConnection
        } else {
            AppClaim::Claimed(cmd.api_app_id.as_deref())
        };
        self.check_origin("slash command", cmd.team_id.as_deref(), app)?;
        Ok(text::Mrkdwn::from_plain(&self.acknowledged(cmd).await))
    }

    pub(super) async fn acknowledged(self: &Arc<Self>, cmd: SlashCommand) -> String {
        let me = Arc::clone(self);
        let response_url = cmd.response_url.clone();
        let channel = cmd.channel_id.clone();
        let trigger = cmd.trigger_id.clone();
        let work = tokio::spawn(async move { me.command(cmd).await });
        let mut work = work;
        match tokio::time::timeout(ACK_BUDGET, &mut work).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "slack: command handler failed");
                "⚠ warroom hit an internal error while handling that command. Check with `/incident show` whether it was recorded.".into()
            }
            Err(_) => {
                // Still running: answer through response_url when it is done.
                let me = Arc::clone(self);
                tokio::spawn(async move {
                    if let Ok(reply) = work.await {
                        me.enqueue(
                            Lane::Command(trigger),
                            JobKind::Respond {
                                response_url,
                                channel,
                                text: reply,
                            },
                        )
                        .await;
                    }
                });
                "⏳ Working on it; the result will follow here.".into()
            }
        }
    }

    async fn command(self: &Arc<Self>, cmd: SlashCommand) -> String {
        if is_bare_declare(&cmd) {
            match self
                .api
                .open_view(&cmd.trigger_id, text::declare_view(&cmd.channel_id))
                .await
            {
                Ok(()) => return "📝 The declare dialog is open.".into(),
                Err(e) => tracing::warn!(error = ?e, "slack: cannot open the declare dialog; answering with the usage"),
            }
        }
        let channel = cmd.channel_id.clone();
        let name = match &cmd.user_name {
            Some(n) => n.clone(),
            None => self.api.user_name(&cmd.user_id),
        };
        let alert_names = self.alert_names(&channel);
        let mut room_names = vec![channel.clone()];
        room_names.extend(alert_names.iter().flatten().filter(|n| **n != channel).cloned());
        let standing = Standing {
            power_level: None,
            groups: self.groups_of(&cmd.user_id),
            handle: cmd.user_name.clone().or_else(|| self.api.user_handle(&cmd.user_id)),
        };
        let msg = Inbound {
            source: Source::Slack,
            room: room_key(&channel).to_string(),
            room_names,
            alert_room: alert_names.is_some(),
            author: Person::new(cmd.user_id.clone(), name),
            text: format!("{} {}", cmd.command.trim(), text::unescape(cmd.text.trim())),
            event_id: Some(format!("slack:trigger:{}", cmd.trigger_id)),
            at: cmd.at.unwrap_or_else(Utc::now),
            standing,
        };
        let here = self.service.incident_in_room(&room_key(&channel).to_string());
        // The command's write and the jobs it causes: one sync before the acknowledgement.
        let store = self.service.store().clone();
        let done = store
            .batch(async {
                let notices = dispatch(&self.service, msg).await;
                self.deliver(&channel, &cmd.user_id, Some(cmd.response_url.clone()), here, notices)
                    .await
            })
            .await;
        done.unwrap_or_else(|e| {
            tracing::error!(error = %e, "slack: a command's changes could not be made durable");
            format!("⚠ warroom could not confirm that on disk ({e}). Check with `/incident show` before repeating it.")
        })
    }

    /// Carry out the notices of a command typed (or pressed, or submitted) in `channel` by
    /// `user`: the replies are returned as one text, the rest queued.
    pub(super) async fn deliver(
        self: &Arc<Self>,
        channel: &str,
        user: &str,
        response_url: Option<String>,
        here: Option<crate::domain::IncidentId>,
        notices: Vec<Notice>,
    ) -> String {
        let mut replies = Vec::new();
        let acted = !notices.is_empty();
        self.router.publish(Some(Platform::Slack), &notices).await;
        for n in notices {
            match n {
                Notice::Reply(t) => replies.push(t),
                Notice::Opened { ref incident, .. } if opens_here(incident, Platform::Slack) => {
                    replies.push(self.service.lang(incident).fmt(
                        "declared-opening",
                        &[
                            ("id", &incident.id.to_string()),
                            ("title", &incident.title),
                            ("channel", &text::channel_name(incident, None)),
                        ],
                    ));
                    self.queue_notice(n, channel, None, Some(user.to_string()), response_url.clone())
                        .await;
                }
                other => self.queue_notice(other, channel, None, None, None).await,
            }
        }
        if let (Some(id), true) = (here, acted) {
            self.enqueue(Lane::Incident(id), JobKind::Topic { incident: id }).await;
        }
        if replies.is_empty() {
            "✓".into()
        } else {
            replies.join("\n")
        }
    }

    /// Turn a notice into jobs. `thread_ts`: the alert message the notice is about.
    async fn queue_notice(
        self: &Arc<Self>,
        n: Notice,
        channel: &str,
        thread_ts: Option<String>,
        invitee: Option<String>,
        respond: Option<String>,
    ) {
        let here = self.service.incident_in_room(&room_key(channel).to_string());
        let origin_lane = here.map_or_else(|| Lane::Channel(channel.to_string()), Lane::Incident);
        match n {
            // The router carries alert news to every platform and changes to the others.
            Notice::AlertNews { .. }
            | Notice::ProposeResolve { .. }
            | Notice::Changed { .. }
            | Notice::Update { .. }
            | Notice::Remind { .. } => {}
            Notice::Opened { incident, .. } if !opens_here(&incident, Platform::Slack) => {
                self.say(
                    origin_lane,
                    opened_elsewhere(&incident, self.service.lang(&incident)),
                    thread_ts,
                )
                .await
            }
            Notice::Reply(text) => self.say(origin_lane, text, thread_ts).await,
            Notice::Opened {
                incident, announcement, ..
            } => {
                self.enqueue(
                    Lane::Incident(incident.id),
                    JobKind::OpenChannel {
                        incident: incident.id,
                        announcement,
                        origin: Some((channel.to_string(), thread_ts)),
                        invite_also: invitee,
                        respond,
                    },
                )
                .await;
            }
            Notice::Postmortem {
                incident,
                markdown,
                file,
            } => self.enqueue_postmortem(incident, &markdown, file).await,
            Notice::File(file) => self.enqueue(origin_lane, JobKind::File { file }).await,
        }
    }
}

/// `/incident declare` (or `/inc new`) with nothing else: the declare dialog.
fn is_bare_declare(cmd: &SlashCommand) -> bool {
    matches!(cmd.command.trim(), "/incident" | "/inc")
        && matches!(
            cmd.text.trim().to_ascii_lowercase().as_str(),
            "declare" | "open" | "new"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_ts_is_a_time() {
        let t = ts_time("1355517523.000005").unwrap();
        assert_eq!(t.timestamp(), 1355517523);
        assert_eq!(t.timestamp_subsec_micros(), 5);
        assert!(ts_time("garbage").is_none());
    }
}

#[cfg(test)]
#[path = "decode_fuzz.rs"]
mod decode_fuzz;
