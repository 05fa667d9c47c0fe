//! Capture without typing: a configured reaction (📌) or a pin on a message in an incident
//! room, the reaction's removal or the unpin, and the message's edits and deletion on its
//! platform become timeline changes, each one durable store transaction.

use chrono::{DateTime, Utc};

use super::{IncidentService, Notice, ServiceError, Standing};
use crate::command::{Command, TimelineCmd};
use crate::domain::{Captured, CapturedMessage, Incident, Person, Source, TransitionError, fmt_moment};

/// What happened to a message in an incident room, as the adapter saw it.
#[derive(Debug, Clone)]
pub enum CaptureEvent {
    /// `holder` (`reaction:<user>` or `pin`) keeps the message on the timeline; `event`: the
    /// platform event that did it (a Matrix reaction is later removed by redacting it).
    Hold {
        msg: CapturedMessage,
        holder: String,
        event: Option<String>,
    },
    /// `holder` no longer keeps the message `key`.
    Release { key: String, holder: String },
    /// A Matrix redaction of `event`: a reaction that held a message, or the message `key`.
    Redacted { event: String, key: String },
    /// The message `key` now reads `text` (an edit made at `edited_at`).
    Edited {
        key: String,
        text: String,
        edited_at: DateTime<Utc>,
    },
    /// The message `key` was deleted on its platform.
    Deleted { key: String },
}

/// A capture event with where and by whom it happened.
#[derive(Debug, Clone)]
pub struct CaptureInput {
    pub source: Source,
    /// The room key of the incident room it happened in.
    pub room: String,
    /// Who reacted, pinned, edited or deleted.
    pub by: Person,
    pub standing: Standing,
    /// The platform event's id, for de-duplication of redeliveries.
    pub event_id: Option<String>,
    /// When the platform says it happened.
    pub at: DateTime<Utc>,
    pub event: CaptureEvent,
}

/// Matrix holds by event: the message a redacted event held, if any.
fn redacted_hold(inc: &Incident, event: &str) -> Option<(String, String)> {
    inc.hold_by_event(event)
}

impl IncidentService {
    /// The message key an event is about, resolved against the incident as stored.
    fn capture_key(inc: &Incident, ev: &CaptureEvent) -> String {
        match ev {
            CaptureEvent::Hold { msg, .. } => msg.key.clone(),
            CaptureEvent::Release { key, .. } | CaptureEvent::Edited { key, .. } | CaptureEvent::Deleted { key } => {
                key.clone()
            }
            CaptureEvent::Redacted { event, key } => redacted_hold(inc, event).map_or_else(|| key.clone(), |(k, _)| k),
        }
    }

    /// Apply one capture event in an incident room. Rooms that are not incident rooms, messages
    /// never captured and repeated or older events change nothing and say nothing. A hold
    /// passes the same rate limit and `[access]` rule as `timeline <text>`.
    pub async fn capture(&self, input: CaptureInput) -> Vec<Notice> {
        self.apply_capture(input)
            .await
            .unwrap_or_else(|e| e.user_text().map(Notice::Reply).into_iter().collect())
    }

    async fn apply_capture(&self, input: CaptureInput) -> Result<Vec<Notice>, ServiceError> {
        let Some(inc) = self.store.incident_by_room(&input.room)? else {
            return Ok(Vec::new());
        };
        if let Some(ev) = &input.event_id
            && self.store.is_seen(ev)?
        {
            return Ok(Vec::new());
        }
        // Adding a message, and taking the shared pin off one, are timeline changes by this
        // person: the rate limit and `[access]` rule of `timeline` apply (anyone may remove
        // their own reaction).
        let pin_off = match &input.event {
            CaptureEvent::Release { key, holder } if holder == "pin" => inc
                .capture(key)
                .is_some_and(|c| c.holds.get("pin").is_some_and(|h| h.present)),
            _ => false,
        };
        if matches!(input.event, CaptureEvent::Hold { .. }) || pin_off {
            self.admit_hold(&input, &inc)?;
        }
        let now = self.now();
        // Platform times are kept as given, within the years warroom keeps and not (beyond a
        // little clock skew) in the future, so a bogus time cannot freeze later edits.
        let bound = |t: DateTime<Utc>| {
            crate::domain::clamp_time(t).min(now + chrono::Duration::seconds(crate::domain::FUTURE_SLACK_SECS))
        };
        let at = bound(input.at);
        let by = &input.by;
        let event = match input.event.clone() {
            CaptureEvent::Hold { mut msg, holder, event } => {
                msg.sent_at = bound(msg.sent_at);
                CaptureEvent::Hold { msg, holder, event }
            }
            CaptureEvent::Edited { key, text, edited_at } => CaptureEvent::Edited {
                key,
                text,
                edited_at: bound(edited_at),
            },
            other => other,
        };
        let ev = &event;
        let c = self
            .store
            .update_incident_entry(
                inc.id,
                input.event_id.as_deref(),
                now,
                |i| i.capture(&Self::capture_key(i, ev)).map(|c| c.seq),
                |i, entry| {
                    let key = Self::capture_key(i, ev);
                    let r: Result<_, TransitionError> = match ev {
                        CaptureEvent::Hold { msg, holder, event } => {
                            i.hold(msg, holder, event.as_deref(), at, by, now, entry)
                        }
                        CaptureEvent::Release { holder, .. } => {
                            i.release(&key, holder, at, by, now, entry).map(|r| (r, Vec::new()))
                        }
                        CaptureEvent::Redacted { event, .. } => match redacted_hold(i, event) {
                            Some((_, holder)) => i.release(&key, &holder, at, by, now, entry),
                            None => i.follow_delete(&key, by, now, entry),
                        }
                        .map(|r| (r, Vec::new())),
                        CaptureEvent::Edited { text, edited_at, .. } => i
                            .follow_edit(&key, text, *edited_at, by, now, entry)
                            .map(|r| (r, Vec::new())),
                        CaptureEvent::Deleted { .. } => i.follow_delete(&key, by, now, entry).map(|r| (r, Vec::new())),
                    };
                    r.map_err(|e| super::Shown(e.message(&self.tz)))
                },
            )
            .await
            .map_err(|e| self.refusal(e))?;
        Ok(self.capture_notices(&c.incident, c.value, &c.entries))
    }

    /// A hold is a timeline entry by the one who reacted or pinned: the per-user rate and the
    /// `[access]` rule of `timeline <text>` apply.
    fn admit_hold(&self, input: &CaptureInput, inc: &Incident) -> Result<(), ServiceError> {
        let as_msg = super::Inbound {
            source: input.source,
            room: input.room.clone(),
            room_names: Vec::new(),
            alert_room: false,
            author: input.by.clone(),
            text: String::new(),
            event_id: None,
            at: input.at,
            standing: input.standing.clone(),
        };
        self.throttle(&as_msg)?;
        let cmd = Command::Timeline(TimelineCmd::Add {
            when: None,
            text: String::new(),
        });
        if let Err(d) = self.access.check(&cmd, &input.by, &input.standing, Some(inc), None) {
            crate::telemetry::metrics().command_refused(d.reason);
            return Err(ServiceError::Refused(d.message));
        }
        Ok(())
    }

    /// What the room is told: a new or returning entry, one leaving the draft. Edits and extra
    /// holders are quiet (the entry already says it all).
    fn capture_notices(&self, inc: &Incident, r: Captured, entries: &[crate::domain::TimelineEntry]) -> Vec<Notice> {
        let entry = |seq: u64| entries.iter().find(|e| e.seq == seq);
        let text = match r {
            Captured::Added(seq) | Captured::Restored(seq) => {
                let Some(e) = entry(seq) else {
                    return Vec::new();
                };
                let first = e.text.lines().next().unwrap_or_default();
                let first: String = if first.chars().count() > 80 {
                    first.chars().take(79).collect::<String>() + "…"
                } else {
                    first.to_string()
                };
                format!(
                    "📌 {} #{seq} of {}: {} at {}: {first}",
                    if matches!(r, Captured::Added(_)) {
                        "Recorded as"
                    } else {
                        "Back on the timeline as"
                    },
                    inc.id,
                    e.author.name,
                    fmt_moment(&e.moment(), &self.tz),
                )
            }
            Captured::Released(seq) => {
                format!("📌 #{seq} left the timeline of {} (kept in its history).", inc.id)
            }
            Captured::Deleted(seq) => format!(
                "📌 #{seq} left the timeline of {}: its message was deleted (kept in its history).",
                inc.id
            ),
            Captured::Held(_) | Captured::StillHeld(_) | Captured::Followed(_) | Captured::Nothing => {
                return Vec::new();
            }
        };
        vec![Notice::Reply(text)]
    }
}
