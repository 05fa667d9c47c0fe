//! Capture in Matrix incident rooms: `m.reaction` annotations with a capture emoji, changes
//! of `m.room.pinned_events`, edits (`m.replace`) and redactions become `CaptureEvent`s for the
//! service; 👀, 🙋 and ✅ on the bot's announcement run the matching `!incident` command.
//! Events are read as JSON (the SDK has already decrypted those of encrypted rooms).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use matrix_sdk::Room;
use matrix_sdk::deserialized_responses::TimelineEvent;
use matrix_sdk::ruma::{EventId, OwnedEventId, OwnedUserId, UserId};
use serde_json::Value;

use super::bot::{Bot, room_key};
use super::outbox::{JobKind, Lane};
use super::text::strip_reply_fallback;
use crate::domain::{Attachment, CapturedMessage, Person, Source};
use crate::service::{CaptureEvent, CaptureInput};

/// The holder a reaction is kept under: one per person (several capture emoji by one person
/// count once).
fn reaction_holder(sender: &str) -> String {
    format!("reaction:{sender}")
}

/// The store key of a Matrix message.
fn message_key(event: &EventId) -> String {
    format!("matrix:{event}")
}

/// Most messages one pin change pins, and most it unpins, that are acted on.
const PINS_PER_CHANGE: usize = 50;

/// `v` as an event id, if it is one. Events come from room members: an id that does not parse
/// never becomes a key in the store.
fn event_id(v: &Value) -> Option<OwnedEventId> {
    v.as_str().and_then(|s| EventId::parse(s).ok())
}

/// The messages a change of `m.room.pinned_events` pinned and unpinned (compared with its
/// `prev_content`), each once and at most `PINS_PER_CHANGE` of each; entries that are not
/// event ids are skipped.
fn pin_changes(v: &Value) -> (Vec<OwnedEventId>, Vec<OwnedEventId>) {
    let ids = |x: &Value| -> Vec<OwnedEventId> {
        x["pinned"]
            .as_array()
            .map(|a| a.iter().filter_map(event_id).collect())
            .unwrap_or_default()
    };
    let now = ids(&v["content"]);
    let before = ids(&v["unsigned"]["prev_content"]);
    let only_in = |these: &[OwnedEventId], those: &[OwnedEventId]| {
        let mut out: Vec<OwnedEventId> = Vec::new();
        for e in these.iter().filter(|e| !those.contains(e)) {
            if out.len() == PINS_PER_CHANGE {
                break;
            }
            if !out.contains(e) {
                out.push(e.clone());
            }
        }
        out
    };
    (only_in(&now, &before), only_in(&before, &now))
}

/// The message a redaction removes: `content.redacts` (room version 11), else the top-level
/// `redacts` of earlier versions.
fn redaction_target(v: &Value) -> Option<OwnedEventId> {
    event_id(&v["content"]["redacts"]).or_else(|| event_id(&v["redacts"]))
}

/// The message an edit (`m.replace`) replaces.
fn edit_target(v: &Value) -> Option<OwnedEventId> {
    event_id(&v["content"]["m.relates_to"]["event_id"])
}

fn ts(v: &Value) -> DateTime<Utc> {
    v["origin_server_ts"]
        .as_i64()
        .and_then(DateTime::from_timestamp_millis)
        .unwrap_or_else(Utc::now)
}

/// A reaction on the announcement that runs a command: what the reaction means.
fn announcement_command(key: &str, sender: &str) -> Option<(String, &'static str)> {
    let key: String = key
        .chars()
        .filter(|c| !matches!(c, '\u{fe0f}' | '\u{200d}' | '♀' | '♂'))
        .collect();
    let key = key.trim_end_matches(|c: char| ('\u{1f3fb}'..='\u{1f3ff}').contains(&c));
    match key {
        "👀" => Some(("!incident milestone acknowledged".into(), "acknowledged")),
        "🙋" => Some((format!("!incident lead {sender}"), "leads")),
        "✅" => Some(("!incident resolve".into(), "resolved")),
        _ => None,
    }
}

/// The text and files of a message event's content (`m.new_content` of an edit alike).
fn content_parts(content: &Value) -> (String, Vec<Attachment>) {
    let body = content["body"].as_str().unwrap_or_default();
    match content["msgtype"].as_str().unwrap_or_default() {
        "m.image" | "m.file" | "m.video" | "m.audio" => {
            let name = content["filename"].as_str().unwrap_or(body);
            let url = content["url"]
                .as_str()
                .or_else(|| content["file"]["url"].as_str())
                .unwrap_or("(no link)");
            let caption = if content["filename"].is_string() && body != name {
                body
            } else {
                ""
            };
            (
                caption.to_string(),
                vec![Attachment {
                    name: name.to_string(),
                    url: url.to_string(),
                }],
            )
        }
        _ => (strip_reply_fallback(body).to_string(), Vec::new()),
    }
}

impl Bot {
    /// Handle one timeline event of an incident room if it is about capture (a reaction, a
    /// pin change, an edit, a redaction). Returns whether it was.
    pub(super) async fn capture_event(self: &Arc<Self>, room: &Room, ev: &TimelineEvent) -> bool {
        let Ok(v) = ev.raw().deserialize_as::<Value>() else {
            return false;
        };
        let kind = v["type"].as_str().unwrap_or_default();
        let is_edit = kind == "m.room.message" && v["content"]["m.relates_to"]["rel_type"] == "m.replace";
        if !matches!(kind, "m.reaction" | "m.room.redaction" | "m.room.pinned_events") && !is_edit {
            return false;
        }
        let Some(sender) = v["sender"].as_str().and_then(|s| UserId::parse(s).ok()) else {
            return true;
        };
        if sender == self.me || !self.hearing.admits(&sender) {
            return true;
        }
        let key = room_key(room.room_id()).to_string();
        if self.service.incident_in_room(&key).is_none() {
            return true;
        }
        match kind {
            "m.reaction" => self.on_reaction(room, &v, sender).await,
            "m.room.redaction" => {
                if let Some(target) = redaction_target(&v) {
                    let event = CaptureEvent::Redacted {
                        event: target.to_string(),
                        key: message_key(&target),
                    };
                    self.capture(room, &v, &sender, event, None).await;
                }
            }
            "m.room.pinned_events" => self.on_pins(room, &v, sender).await,
            _ => {
                if let Some(target) = edit_target(&v) {
                    let (text, _) = content_parts(&v["content"]["m.new_content"]);
                    let event = CaptureEvent::Edited {
                        key: message_key(&target),
                        text,
                        edited_at: ts(&v),
                    };
                    self.capture(room, &v, &sender, event, None).await;
                }
            }
        }
        true
    }

    async fn on_reaction(self: &Arc<Self>, room: &Room, v: &Value, sender: OwnedUserId) {
        let rel = &v["content"]["m.relates_to"];
        let (Some(target), Some(key)) = (
            rel["event_id"].as_str().and_then(|e| EventId::parse(e).ok()),
            rel["key"].as_str(),
        ) else {
            return;
        };
        if rel["rel_type"] != "m.annotation" {
            return;
        }
        if let Some((command, meaning)) = announcement_command(key, sender.as_str()) {
            self.on_announcement_reaction(room, v, &target, &sender, command, meaning)
                .await;
            return;
        }
        if !self.service.is_capture_emoji(key) {
            return;
        }
        let Some(msg) = self.fetch_message(room, &target).await else {
            return;
        };
        let event = CaptureEvent::Hold {
            msg,
            holder: reaction_holder(sender.as_str()),
            event: v["event_id"].as_str().map(str::to_string),
        };
        self.capture(room, v, &sender, event, Some(target)).await;
    }

    /// 👀, 🙋 or ✅ on the bot's announcement: the command it stands for, run as if `sender`
    /// had typed it (same access rules), and the reply says which command that was.
    async fn on_announcement_reaction(
        self: &Arc<Self>,
        room: &Room,
        v: &Value,
        target: &EventId,
        sender: &UserId,
        command: String,
        meaning: &str,
    ) {
        let Some(announced) = self.fetch_raw(room, target).await else {
            return;
        };
        let body = announced["content"]["body"].as_str().unwrap_or_default();
        if announced["sender"] != self.me.as_str() || !body.starts_with("🚨 ") {
            return;
        }
        let Some(event_id) = v["event_id"].as_str().and_then(|e| EventId::parse(e).ok()) else {
            return;
        };
        tracing::info!(room = %room.room_id(), %sender, %command, "matrix: reaction on the announcement runs a command");
        let m = super::sync::Message {
            event_id,
            sender: sender.to_owned(),
            body: command.clone(),
            at: ts(v),
        };
        let note = format!("{} (reaction: {meaning}) → `{command}`", sender.localpart());
        self.handle_message_noted(room, m, Some(note)).await;
    }

    /// A change of the room's pinned events: each newly pinned message is held by `pin`, each
    /// unpinned one released.
    async fn on_pins(self: &Arc<Self>, room: &Room, v: &Value, sender: OwnedUserId) {
        let (added, removed) = pin_changes(v);
        // One pin change may add and remove several messages: each is its own capture event
        // (de-duplicated as `<event>/<message>`), so every one of them takes effect.
        let per_message = |target: &EventId| {
            let mut item = v.clone();
            item["event_id"] = Value::String(format!("{}/{target}", v["event_id"].as_str().unwrap_or_default()));
            item
        };
        for target in added {
            let Some(msg) = self.fetch_message(room, &target).await else {
                continue;
            };
            let event = CaptureEvent::Hold {
                msg,
                holder: "pin".into(),
                event: None,
            };
            self.capture(room, &per_message(&target), &sender, event, Some(target))
                .await;
        }
        for target in removed {
            let event = CaptureEvent::Release {
                key: message_key(&target),
                holder: "pin".into(),
            };
            self.capture(room, &per_message(&target), &sender, event, None).await;
        }
    }

    /// An event as JSON, fetched from the homeserver (and decrypted in an encrypted room).
    async fn fetch_raw(&self, room: &Room, id: &EventId) -> Option<Value> {
        match room.event(id, None).await {
            Ok(ev) if !ev.kind.is_utd() => ev.raw().deserialize_as::<Value>().ok(),
            Ok(_) => {
                tracing::warn!(room = %room.room_id(), event = %id, "matrix: cannot decrypt a message to capture (its keys were not shared with this device)");
                None
            }
            Err(e) => {
                tracing::warn!(room = %room.room_id(), event = %id, error = %e, "matrix: cannot fetch a message to capture");
                None
            }
        }
    }

    /// The message `id` as captured: author, send time, text (its latest edit, when the
    /// server bundles one), files, and a matrix.to link.
    async fn fetch_message(&self, room: &Room, id: &EventId) -> Option<CapturedMessage> {
        let v = self.fetch_raw(room, id).await?;
        if v["type"] != "m.room.message" {
            return None;
        }
        let author_id = v["sender"].as_str().and_then(|s| UserId::parse(s).ok())?;
        let (author, _) = self.author(room, &author_id).await;
        let edit = &v["unsigned"]["m.relations"]["m.replace"]["content"]["m.new_content"];
        let (text, files) = content_parts(if edit.is_object() { edit } else { &v["content"] });
        Some(CapturedMessage {
            key: message_key(id),
            author,
            sent_at: ts(&v),
            text,
            files,
            link: Some(room.room_id().matrix_to_event_uri(id.to_owned()).to_string()),
            source: Source::Matrix,
        })
    }

    /// Hand a capture event to the service; its replies go to the incident room (as a reply to
    /// the captured message when there is one).
    async fn capture(
        self: &Arc<Self>,
        room: &Room,
        v: &Value,
        sender: &UserId,
        event: CaptureEvent,
        reply_to: Option<OwnedEventId>,
    ) {
        let (by, standing): (Person, _) = self.author(room, sender).await;
        let key = room_key(room.room_id()).to_string();
        let input = CaptureInput {
            source: Source::Matrix,
            room: key.clone(),
            by,
            standing,
            event_id: v["event_id"].as_str().map(str::to_string),
            at: ts(v),
            event,
        };
        // The capture and the reply it causes: one sync.
        let done = self
            .service
            .store()
            .clone()
            .batch(async {
                let notices = self.service.capture(input).await;
                let Some(id) = self.service.incident_in_room(&key) else {
                    return;
                };
                for n in notices {
                    if let crate::chat::Notice::Reply(text) = n {
                        self.enqueue(Lane::Incident(id), JobKind::say(text, reply_to.clone()))
                            .await;
                    }
                }
            })
            .await;
        if let Err(e) = done {
            tracing::error!(error = %e, "matrix: a capture could not be made durable");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcement_reactions_mean_commands_whatever_the_skin_tone() {
        assert_eq!(
            announcement_command("🙋🏽‍♀️", "@ann:x").map(|c| c.0),
            Some("!incident lead @ann:x".into())
        );
        assert_eq!(announcement_command("👀", "@a:x").unwrap().1, "acknowledged");
        assert_eq!(announcement_command("✅\u{fe0f}", "@a:x").unwrap().1, "resolved");
        assert!(announcement_command("📌", "@a:x").is_none());
    }

    #[test]
    fn files_are_kept_with_their_names_and_captions() {
        let (text, files) = content_parts(&serde_json::json!({
            "msgtype": "m.image", "body": "disk graph at 13:20", "filename": "disk.png", "url": "mxc://x/abc"
        }));
        assert_eq!(text, "disk graph at 13:20");
        assert_eq!(
            files,
            [Attachment {
                name: "disk.png".into(),
                url: "mxc://x/abc".into()
            }]
        );
        let (text, files) = content_parts(&serde_json::json!({
            "msgtype": "m.file", "body": "log.txt", "file": {"url": "mxc://x/enc"}
        }));
        assert_eq!(
            (text.as_str(), files[0].url.as_str(), files[0].name.as_str()),
            ("", "mxc://x/enc", "log.txt")
        );
        let (text, _) = content_parts(&serde_json::json!({"msgtype": "m.text", "body": "> <@a:x> quoted\n\nanswer"}));
        assert_eq!(text, "answer");
    }

    #[test]
    fn only_event_ids_become_capture_targets() {
        let pins = serde_json::json!({
            "type": "m.room.pinned_events",
            "event_id": "$change",
            "content": {"pinned": ["$kept:x", "$new:x", "not an id", 7, "", "$new:x"]},
            "unsigned": {"prev_content": {"pinned": ["$kept:x", "$gone:x", "junk<b>", {"$": 1}]}}
        });
        let (added, removed) = pin_changes(&pins);
        assert_eq!(added, vec![EventId::parse("$new:x").unwrap()]);
        assert_eq!(removed, vec![EventId::parse("$gone:x").unwrap()]);

        let many: Vec<String> = (0..200).map(|i| format!("$e{i}:x")).collect();
        let flood = serde_json::json!({"content": {"pinned": many}, "unsigned": {}});
        assert_eq!(pin_changes(&flood).0.len(), PINS_PER_CHANGE);

        let redaction =
            |content: Value, top: Value| redaction_target(&serde_json::json!({"content": content, "redacts": top}));
        assert_eq!(
            redaction(serde_json::json!({"redacts": "$r:x"}), Value::Null),
            EventId::parse("$r:x").ok()
        );
        assert_eq!(
            redaction(serde_json::json!({}), "$old:x".into()),
            EventId::parse("$old:x").ok()
        );
        assert_eq!(redaction(serde_json::json!({"redacts": "nope"}), Value::Null), None);

        let edit = |target: Value| {
            edit_target(
                &serde_json::json!({"content": {"m.relates_to": {"rel_type": "m.replace", "event_id": target}}}),
            )
        };
        assert_eq!(edit("$m:x".into()), EventId::parse("$m:x").ok());
        assert_eq!(
            edit(Value::Null),
            None,
            "an edit without a target changed the message keyed \"\""
        );
        assert_eq!(edit("matrix:$m:x".into()), None);
    }
}
