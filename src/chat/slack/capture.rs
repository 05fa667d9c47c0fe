//! Capture in Slack incident channels: `reaction_added`/`reaction_removed` with a capture
//! emoji, `pin_added`/`pin_removed`, and `message_changed`/`message_deleted` become
//! `CaptureEvent`s for the service. A reaction event carries only the channel and ts of its
//! message, so the message is fetched (`conversations.history`, or `conversations.replies` for
//! a thread reply) with a permalink (`chat.getPermalink`).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;
use slack_morphism::prelude::*;

use super::bot::{Lane, SlackBot, room_key};
use super::text;
use crate::domain::{Attachment, CapturedMessage, Person, Source};
use crate::service::{CaptureEvent, CaptureInput, Standing};

/// The store key of a Slack message.
fn message_key(channel: &str, ts: &str) -> String {
    format!("slack:{channel}/{ts}")
}

/// Slack's `ts` ("1355517523.000005") as a time.
pub(super) fn ts_time(ts: &str) -> Option<DateTime<Utc>> {
    let (secs, micros) = ts.split_once('.').unwrap_or((ts, "0"));
    let secs: i64 = secs.parse().ok()?;
    let micros: u32 = format!("{micros:0<6}").get(..6)?.parse().ok()?;
    DateTime::from_timestamp(secs, micros * 1000)
}

/// Files of a message as links with their names (the file's permalink, else its private URL).
fn attachments(files: Option<&Vec<SlackFile>>) -> Vec<Attachment> {
    files
        .into_iter()
        .flatten()
        .map(|f| Attachment {
            name: f
                .name
                .clone()
                .or_else(|| f.title.clone())
                .unwrap_or_else(|| f.id.to_string()),
            url: f
                .permalink
                .as_ref()
                .or(f.url_private.as_ref())
                .map_or_else(|| "(no link)".to_string(), |u| u.to_string()),
        })
        .collect()
}

/// What a `pin_added`/`pin_removed` event (not modelled by slack-morphism) says: who, the
/// channel and the pinned message's ts.
fn pin_of(v: &Value) -> Option<(bool, String, String, String)> {
    let added = match v["type"].as_str()? {
        "pin_added" => true,
        "pin_removed" => false,
        _ => return None,
    };
    let channel = v["channel_id"].as_str().or_else(|| v["item"]["channel"].as_str())?;
    let ts = v["item"]["message"]["ts"].as_str()?;
    let user = v["user"].as_str()?;
    Some((added, channel.to_string(), ts.to_string(), user.to_string()))
}

impl SlackBot {
    /// A push event about capture; returns whether it was one.
    pub(super) async fn capture_event(self: &Arc<Self>, event: &SlackEventCallbackBody, event_id: &str) -> bool {
        match event {
            SlackEventCallbackBody::ReactionAdded(r) => {
                if let SlackReactionsItem::Message(m) = &r.item {
                    self.on_reaction(true, &r.user.0, &r.reaction.0, m, &r.event_ts.0, event_id)
                        .await;
                }
                true
            }
            SlackEventCallbackBody::ReactionRemoved(r) => {
                if let SlackReactionsItem::Message(m) = &r.item {
                    self.on_reaction(false, &r.user.0, &r.reaction.0, m, &r.event_ts.0, event_id)
                        .await;
                }
                true
            }
            SlackEventCallbackBody::Unknown(v) => {
                if let Some((added, channel, ts, user)) = pin_of(v) {
                    let at = v["event_ts"].as_str().unwrap_or_default().to_string();
                    self.on_pin(added, &channel, &ts, &user, &at, event_id).await;
                }
                true
            }
            SlackEventCallbackBody::Message(m)
                if matches!(
                    m.subtype,
                    Some(SlackMessageEventType::MessageChanged | SlackMessageEventType::MessageDeleted)
                ) =>
            {
                self.on_change(m, event_id).await;
                true
            }
            _ => false,
        }
    }

    async fn on_reaction(
        self: &Arc<Self>,
        added: bool,
        user: &str,
        reaction: &str,
        item: &SlackHistoryMessage,
        event_ts: &str,
        event_id: &str,
    ) {
        let Some(channel) = item.origin.channel.as_ref().map(|c| c.0.clone()) else {
            return;
        };
        if !self.service.is_capture_emoji(reaction) || !self.in_incident(&channel) {
            return;
        }
        let ts = item.origin.ts.0.clone();
        let holder = format!("reaction:{user}");
        let event = if added {
            let Some(msg) = self.fetch_message(&channel, &ts).await else {
                return;
            };
            CaptureEvent::Hold {
                msg,
                holder,
                event: None,
            }
        } else {
            CaptureEvent::Release {
                key: message_key(&channel, &ts),
                holder,
            }
        };
        self.capture(&channel, &ts, user, event_ts, event_id, event).await;
    }

    async fn on_pin(self: &Arc<Self>, added: bool, channel: &str, ts: &str, user: &str, at: &str, event_id: &str) {
        if !self.in_incident(channel) {
            return;
        }
        let event = if added {
            let Some(msg) = self.fetch_message(channel, ts).await else {
                return;
            };
            CaptureEvent::Hold {
                msg,
                holder: "pin".into(),
                event: None,
            }
        } else {
            CaptureEvent::Release {
                key: message_key(channel, ts),
                holder: "pin".into(),
            }
        };
        self.capture(channel, ts, user, at, event_id, event).await;
    }

    /// `message_changed` (the author edited it) and `message_deleted`.
    async fn on_change(self: &Arc<Self>, m: &SlackMessageEvent, event_id: &str) {
        let Some(channel) = m.origin.channel.as_ref().map(|c| c.0.clone()) else {
            return;
        };
        if !self.in_incident(&channel) {
            return;
        }
        let at = m.origin.ts.0.clone();
        if let Some(new) = &m.message {
            let Some(author) = new.sender.user.as_ref().map(|u| u.0.clone()) else {
                return;
            };
            // Our own messages change when we update them (the card): never an edit to follow.
            if self.me().is_some_and(|(me, _)| me == author) {
                return;
            }
            let text = text::unescape(new.content.as_ref().and_then(|c| c.text.as_deref()).unwrap_or_default());
            let edited_at = new.edited.as_ref().map_or(at.clone(), |e| e.ts.0.clone());
            let event = CaptureEvent::Edited {
                key: message_key(&channel, &new.ts.0),
                text,
                edited_at: ts_time(&edited_at).unwrap_or_else(Utc::now),
            };
            self.capture(&channel, &new.ts.0, &author, &at, event_id, event).await;
        } else if let Some(deleted) = &m.deleted_ts {
            let by = m
                .previous_message
                .as_ref()
                .and_then(|p| p.sender.user.as_ref())
                .map_or_else(|| "unknown".to_string(), |u| u.0.clone());
            let event = CaptureEvent::Deleted {
                key: message_key(&channel, &deleted.0),
            };
            self.capture(&channel, &deleted.0, &by, &at, event_id, event).await;
        }
    }

    fn in_incident(&self, channel: &str) -> bool {
        self.service.incident_in_room(&room_key(channel).to_string()).is_some()
    }

    /// The message `ts` of `channel` as captured: author, send time, text, files, permalink.
    async fn fetch_message(self: &Arc<Self>, channel: &str, ts: &str) -> Option<CapturedMessage> {
        let m = match self.api.message(channel, ts).await {
            Ok(Some(m)) => m,
            Ok(None) => {
                tracing::warn!(%channel, %ts, "slack: the message to capture is gone (or not visible to the bot)");
                return None;
            }
            Err(e) => {
                tracing::warn!(%channel, %ts, error = ?e, "slack: cannot fetch the message to capture");
                return None;
            }
        };
        let link = match self.api.permalink(channel, ts).await {
            Ok(l) => Some(l),
            Err(e) => {
                tracing::warn!(%channel, %ts, error = ?e, "slack: no permalink for a captured message");
                None
            }
        };
        let author = match (&m.sender.user, &m.sender.username) {
            (Some(u), _) => Person::new(u.to_string(), self.api.user_name_now(&u.0).await),
            (None, Some(name)) => Person::new(name.clone(), name.clone()),
            _ => Person::new("integration", "integration"),
        };
        Some(CapturedMessage {
            key: message_key(channel, ts),
            author,
            sent_at: ts_time(ts).unwrap_or_else(Utc::now),
            text: text::unescape(m.content.text.as_deref().unwrap_or_default()),
            files: attachments(m.content.files.as_ref()),
            link,
            source: Source::Slack,
        })
    }

    /// Hand a capture event by `user` to the service; its replies go into the message's thread.
    async fn capture(
        self: &Arc<Self>,
        channel: &str,
        ts: &str,
        user: &str,
        at: &str,
        event_id: &str,
        event: CaptureEvent,
    ) {
        let room = room_key(channel).to_string();
        let name = self.api.user_name_now(user).await;
        let input = CaptureInput {
            source: Source::Slack,
            room: room.clone(),
            by: Person::new(user, name),
            standing: Standing {
                power_level: None,
                groups: self.groups_of(user),
                handle: self.api.user_handle(user),
            },
            event_id: Some(event_id.to_string()),
            at: ts_time(at).unwrap_or_else(Utc::now),
            event,
        };
        let notices = self.service.capture(input).await;
        let Some(id) = self.service.incident_in_room(&room) else {
            return;
        };
        for n in notices {
            if let crate::chat::Notice::Reply(t) = n {
                self.say(Lane::Incident(id), t, Some(ts.to_string())).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_events_are_read_from_slacks_json() {
        let v = serde_json::json!({
            "type": "pin_added", "user": "U1", "channel_id": "C1",
            "item": {"type": "message", "channel": "C1", "created": 1, "created_by": "U1",
                     "message": {"type": "message", "user": "U2", "text": "x", "ts": "1700000000.000100"}},
            "event_ts": "1700000001.000200"
        });
        assert_eq!(
            pin_of(&v),
            Some((true, "C1".into(), "1700000000.000100".into(), "U1".into()))
        );
        assert!(pin_of(&serde_json::json!({"type": "star_added"})).is_none());
    }
}
