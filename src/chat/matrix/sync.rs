//! Receiving: our own `sync_once` loop (low latency, and the sync position is ours: saved in
//! the store only after every event of a batch was handled), joining alert rooms, and turning
//! room messages from users of the allowed servers into `Inbound`s for the service and its
//! notices into outbox jobs.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use matrix_sdk::Room;
use matrix_sdk::config::{SyncSettings, SyncToken};
use matrix_sdk::deserialized_responses::TimelineEvent;
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::ruma::api::client::filter::FilterDefinition;
use matrix_sdk::ruma::api::client::sync::sync_events::v3::Filter;
use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::events::room::message::{MessageType, Relation};
use matrix_sdk::ruma::events::{AnySyncMessageLikeEvent, AnySyncTimelineEvent, SyncMessageLikeEvent};
use matrix_sdk::ruma::{OwnedRoomId, UInt};

use super::bot::{Bot, room_key};
use super::client::{RoomRefError, resolve_room};
use super::outbox::{JobKind, Lane};
use super::text::strip_reply_fallback;
use crate::chat::router::{opened_elsewhere, opens_here};
use crate::chat::{ChatError, Inbound, Notice, dispatch, pause};
use crate::domain::{Person, Platform, Source};
use crate::service::Standing;
use crate::shutdown::Shutdown;
use matrix_sdk::ruma::events::room::power_levels::UserPowerLevel;

/// Store key of the position after the last fully handled sync batch.
pub const TOKEN_KEY: &str = "matrix.next_batch";
const LONG_POLL: Duration = Duration::from_secs(30);
/// Events per room per sync: enough that a bot that was down for a while still gets every
/// command in one batch in normal use.
const TIMELINE_LIMIT: u32 = 200;
/// How often to retry alert rooms that could not be resolved or joined.
const ROOM_RETRY: Duration = Duration::from_secs(30);

fn failed(msg: String) -> ChatError {
    ChatError::Failed {
        adapter: Platform::Matrix.as_str(),
        msg,
    }
}

fn filter() -> Filter {
    let mut f = FilterDefinition::default();
    f.room.timeline.limit = Some(UInt::from(TIMELINE_LIMIT));
    Filter::FilterDefinition(f)
}

/// A room message reduced to what the service needs, or `None` if it is not for us: our own
/// messages, notices (what bots say), edits, and anything that is not plain text.
pub(super) struct Message {
    pub event_id: matrix_sdk::ruma::OwnedEventId,
    pub sender: matrix_sdk::ruma::OwnedUserId,
    pub body: String,
    pub at: DateTime<Utc>,
}

/// Which homeservers' users the bot hears (`matrix.allowed_servers`). Messages from anyone
/// else are neither commands nor alerts: ignored without a reply, so a foreign server cannot
/// make the bot write anything, and logged once per server.
pub struct Hearing {
    allowed: Vec<String>,
    warned: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// Foreign servers remembered for the once-per-server warning.
const MAX_WARNED_SERVERS: usize = 1_000;

impl Hearing {
    pub fn new(allowed: Vec<String>) -> Hearing {
        Hearing {
            allowed,
            warned: Default::default(),
        }
    }

    /// Is `sender` on an allowed server? Logs the first refusal per server.
    pub fn admits(&self, sender: &matrix_sdk::ruma::UserId) -> bool {
        let server = sender.server_name().as_str();
        if self.allowed.iter().any(|a| a == "*" || a.eq_ignore_ascii_case(server)) {
            return true;
        }
        crate::telemetry::metrics().command_refused("foreign_server");
        let mut warned = self.warned.lock().unwrap_or_else(|p| p.into_inner());
        if warned.len() < MAX_WARNED_SERVERS && warned.insert(server.to_ascii_lowercase()) {
            tracing::warn!(
                %sender, %server,
                "matrix: ignoring messages from a server not in matrix.allowed_servers (no commands, no alerts); add it there to hear its users"
            );
        } else {
            tracing::debug!(%sender, "matrix: ignored a message from a server not in matrix.allowed_servers");
        }
        false
    }
}

fn message_of(ev: &TimelineEvent, me: &matrix_sdk::ruma::UserId, hearing: &Hearing) -> Option<Message> {
    let parsed = match ev.raw().deserialize() {
        Ok(p) => p,
        Err(e) => {
            tracing::debug!(error = %e, "matrix: skipping an event that does not parse");
            return None;
        }
    };
    let AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::RoomMessage(SyncMessageLikeEvent::Original(m))) =
        parsed
    else {
        tracing::debug!(kind = %parsed.event_type(), "matrix: not a room message");
        return None;
    };
    if m.sender == me || matches!(m.content.relates_to, Some(Relation::Replacement(_))) {
        return None;
    }
    if !hearing.admits(&m.sender) {
        return None;
    }
    let body = match &m.content.msgtype {
        MessageType::Text(t) => t.body.clone(),
        _ => return None,
    };
    let ms = i64::try_from(u64::from(m.origin_server_ts.get())).unwrap_or(0);
    Some(Message {
        event_id: m.event_id,
        sender: m.sender,
        body: strip_reply_fallback(&body).to_string(),
        at: DateTime::from_timestamp_millis(ms).unwrap_or_else(Utc::now),
    })
}

/// Is this our own `m.room.member` join?
fn is_own_join(ev: &TimelineEvent, me: &matrix_sdk::ruma::UserId) -> bool {
    let Ok(v) = ev.raw().deserialize_as::<serde_json::Value>() else {
        return false;
    };
    v["type"] == "m.room.member"
        && v["state_key"] == me.as_str()
        && v["content"]["membership"] == "join"
        && v["unsigned"]["prev_content"]["membership"] != "join"
}

impl Bot {
    /// Join the configured alert rooms (resolving aliases); returns how many are not joined yet
    /// (retried later, and when the bot is invited).
    pub async fn join_alert_rooms(&self) -> usize {
        let mut missing = 0;
        for name in &self.cfg.alert_rooms {
            let (target, room_id) = match resolve_room(&self.client, name).await {
                Ok(r) => r,
                Err(RoomRefError::Invalid(m)) => {
                    tracing::error!("matrix: {m}");
                    continue;
                }
                Err(RoomRefError::Unresolved(m)) => {
                    tracing::warn!("matrix: {m}");
                    missing += 1;
                    continue;
                }
            };
            {
                let mut rooms = self.alert_rooms.write().unwrap_or_else(|p| p.into_inner());
                let names = rooms.entry(room_id.clone()).or_default();
                for n in [name.clone(), room_id.to_string()] {
                    if !names.contains(&n) {
                        names.push(n);
                    }
                }
            }
            let joined = self
                .client
                .get_room(&room_id)
                .is_some_and(|r| r.state() == matrix_sdk::RoomState::Joined);
            if !joined {
                match self.client.join_room_by_id_or_alias(&target, &[]).await {
                    Ok(_) => tracing::info!(room = %name, "matrix: joined alert room"),
                    Err(e) => {
                        missing += 1;
                        tracing::warn!(
                            room = %name, error = %e,
                            "matrix: cannot join alert room yet; invite {} to it", self.me
                        );
                    }
                }
            }
        }
        missing
    }

    /// Accept invites to alert rooms; ignore the rest.
    async fn handle_invites(&self, invited: impl Iterator<Item = &OwnedRoomId>) {
        let invited: Vec<OwnedRoomId> = invited.cloned().collect();
        if invited.is_empty() {
            return;
        }
        if invited.iter().any(|r| self.is_alert_room(r).is_none()) {
            // An alias may resolve now that the room exists.
            let _ = self.join_alert_rooms().await;
        }
        for room_id in invited {
            if self.is_alert_room(&room_id).is_none() {
                tracing::info!(room = %room_id, "matrix: ignoring an invite to a room that is not in matrix.alert_rooms");
                continue;
            }
            for attempt in 1..=3u32 {
                match self.client.join_room_by_id(&room_id).await {
                    Ok(_) => {
                        tracing::info!(room = %room_id, "matrix: accepted invite to alert room");
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(room = %room_id, attempt, error = %e, "matrix: joining alert room failed");
                        tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
                    }
                }
            }
        }
    }

    /// The author of a message as the service sees them: id, display name, and their standing
    /// in this room (power level; the localpart as a handle roles may name them by).
    pub(super) async fn author(&self, room: &Room, user: &matrix_sdk::ruma::UserId) -> (Person, Standing) {
        let member = room.get_member_no_sync(user).await.ok().flatten();
        let name = member
            .as_ref()
            .and_then(|m| m.display_name())
            .unwrap_or(user.localpart())
            .to_string();
        let power_level = member.map(|m| match m.power_level() {
            UserPowerLevel::Int(i) => i64::from(i),
            _ => i64::MAX,
        });
        let standing = Standing {
            power_level,
            groups: Vec::new(),
            handle: Some(user.localpart().to_string()),
        };
        (Person::new(user.as_str(), name), standing)
    }

    /// Handle one room message: the service decides (alert, command or nothing), then its
    /// notices become outbox jobs.
    async fn handle_message(self: &Arc<Self>, room: &Room, m: Message) {
        self.handle_message_noted(room, m, None).await
    }

    /// `handle_message` as one durability group: the message's write and the jobs it causes
    /// (the reply among them) are made durable by one sync.
    async fn handle_message_durably(self: &Arc<Self>, room: &Room, m: Message) {
        let event = m.event_id.clone();
        if let Err(e) = self.service.store().clone().batch(self.handle_message(room, m)).await {
            tracing::error!(%event, error = %e, "matrix: a message's changes could not be made durable");
        }
    }

    /// `handle_message`, with `note` (what a reaction stood for) before the replies.
    pub(super) async fn handle_message_noted(self: &Arc<Self>, room: &Room, m: Message, note: Option<String>) {
        let room_id = room.room_id().to_owned();
        let alert_names = self.is_alert_room(&room_id);
        let text = m.body.trim_start();
        let looks_like_command = text.starts_with('!') || text.starts_with('/');
        if alert_names.is_none() && !looks_like_command {
            tracing::debug!(room = %room_id, "matrix: not an alert room and not a command");
            return;
        }
        let key = room_key(&room_id).to_string();
        let here = self.service.incident_in_room(&key);
        let mut room_names = vec![room_id.to_string()];
        if let Some(names) = &alert_names {
            room_names.extend(names.iter().filter(|n| **n != room_id.as_str()).cloned());
        }
        if let Some(alias) = room.canonical_alias()
            && !room_names.contains(&alias.to_string())
        {
            room_names.push(alias.to_string());
        }
        let (author, standing) = self.author(room, &m.sender).await;
        let msg = Inbound {
            source: Source::Matrix,
            room: key,
            room_names,
            alert_room: alert_names.is_some(),
            author,
            text: m.body.clone(),
            event_id: Some(m.event_id.to_string()),
            at: m.at,
            standing,
        };
        let notices = dispatch(&self.service, msg).await;
        if !notices.is_empty() {
            tracing::info!(room = %room_id, event = %m.event_id, sender = %m.sender, notices = notices.len(), "matrix: handled");
        }
        let origin_lane = here.map_or_else(|| Lane::Room(room_id.clone()), Lane::Incident);
        let acted = !notices.is_empty();
        self.router.publish(Some(Platform::Matrix), &notices).await;
        for n in notices {
            let (lane, kind) = match n {
                // The router carries alert news to every platform and changes to the others.
                Notice::AlertNews { .. }
                | Notice::ProposeResolve { .. }
                | Notice::Changed { .. }
                | Notice::Update { .. }
                | Notice::Remind { .. } => continue,
                Notice::Opened { incident, .. } if !opens_here(&incident, Platform::Matrix) => (
                    origin_lane.clone(),
                    JobKind::say(
                        opened_elsewhere(&incident, self.service.lang(&incident)),
                        Some(m.event_id.clone()),
                    ),
                ),
                Notice::Reply(text) => {
                    let text = match &note {
                        Some(n) => format!("{n}\n{text}"),
                        None => text,
                    };
                    (origin_lane.clone(), JobKind::say(text, Some(m.event_id.clone())))
                }
                Notice::Opened {
                    incident, announcement, ..
                } => (
                    Lane::Incident(incident.id),
                    JobKind::OpenRoom {
                        incident: incident.id,
                        announcement,
                        origin: Some((room_id.clone(), Some(m.event_id.clone()))),
                        invite_also: Some(m.sender.clone()),
                    },
                ),
                Notice::Postmortem {
                    incident,
                    markdown,
                    file,
                } => (
                    Lane::Incident(incident),
                    JobKind::Postmortem {
                        incident,
                        markdown,
                        file,
                    },
                ),
                Notice::File(file) => (origin_lane.clone(), JobKind::File { file }),
            };
            self.enqueue(lane, kind).await;
        }
        if let (Some(id), true) = (here, acted) {
            self.enqueue(Lane::Incident(id), JobKind::Topic { incident: id }).await;
        }
    }

    /// The events of a gap in a room's timeline (more arrived since `since` than one sync
    /// returns), paged back from `from` with `/messages`, oldest first; at most 5,000.
    async fn backfill(&self, room: &Room, from: &str, since: &str) -> Vec<TimelineEvent> {
        let mut out = Vec::new();
        let mut from = from.to_string();
        for _ in 0..50 {
            let mut opts = MessagesOptions::backward().from(from.as_str());
            opts.to = Some(since.to_string());
            opts.limit = UInt::from(100u32);
            match room.messages(opts).await {
                Ok(page) => {
                    let n = page.chunk.len();
                    out.extend(page.chunk);
                    match page.end {
                        Some(end) if n > 0 => from = end,
                        _ => break,
                    }
                }
                Err(e) => {
                    tracing::warn!(room = %room.room_id(), error = %e, "matrix: cannot page back through missed messages; older ones in this gap are not handled");
                    break;
                }
            }
        }
        out.reverse();
        out
    }

    /// Handle every message of one sync batch, room by room, in timeline order (a gap first).
    async fn handle_batch(self: &Arc<Self>, rooms: &matrix_sdk::sync::RoomUpdates, since: &str) {
        for (room_id, update) in &rooms.joined {
            let Some(room) = self.client.get_room(room_id) else {
                continue;
            };
            tracing::debug!(room = %room_id, events = update.timeline.events.len(), "matrix: sync batch");
            // A room we just joined comes with history from before our join: never act on it.
            let skip = update
                .timeline
                .events
                .iter()
                .rposition(|ev| is_own_join(ev, &self.me))
                .map_or(0, |i| i + 1);
            if skip > 1 {
                tracing::info!(room = %room_id, skipped = skip - 1, "matrix: joined a room; its earlier history is not handled");
            }
            // More arrived in a room we were already in than one sync returns (say, an alert
            // storm while we were down): handle the gap first, in order.
            let mut gap = Vec::new();
            if update.timeline.limited
                && skip == 0
                && let Some(prev) = &update.timeline.prev_batch
            {
                gap = self.backfill(&room, prev, since).await;
                tracing::info!(room = %room_id, events = gap.len(), "matrix: paged back through messages one sync did not return");
            }
            for ev in gap.iter().chain(&update.timeline.events[skip..]) {
                if let matrix_sdk::deserialized_responses::TimelineEventKind::UnableToDecrypt { utd_info, .. } =
                    &ev.kind
                {
                    tracing::warn!(
                        room = %room_id, event = ?ev.event_id(), reason = ?utd_info.reason,
                        "matrix: cannot decrypt a message (its keys were not shared with this device); it is not handled"
                    );
                    continue;
                }
                if self.capture_event(&room, ev).await {
                    continue;
                }
                if let Some(m) = message_of(ev, &self.me, &self.hearing) {
                    self.handle_message_durably(&room, m).await;
                }
            }
        }
    }

    /// The sync loop, until shutdown. The first start (no saved position) skips the backlog:
    /// history is never replayed. Later starts continue from the saved position, so messages
    /// sent while the bot was down are handled, once.
    pub async fn sync_loop(self: &Arc<Self>, mut shutdown: Shutdown) -> Result<(), ChatError> {
        let mut token = self
            .service
            .store()
            .adapter_state(TOKEN_KEY)
            .map_err(|e| failed(format!("cannot read the saved sync position: {e}")))?;
        if token.is_none() {
            tracing::info!("matrix: first start on this store; earlier room history will not be replayed");
        }
        let mut timeout = Duration::ZERO;
        let mut backoff = Duration::from_secs(1);
        let mut down_since: Option<std::time::Instant> = None;
        let mut rooms = RoomJoins::default();
        loop {
            let settings = SyncSettings::default()
                .timeout(timeout)
                .filter(filter())
                .token(token.clone().map_or(SyncToken::NoToken, SyncToken::Specific));
            let result = tokio::select! {
                r = self.client.sync_once(settings) => r,
                _ = shutdown.wait_for(|s| *s) => return Ok(()),
            };
            let response = match result {
                Ok(r) => r,
                Err(e) => {
                    self.sync_failed(&e, &mut down_since)?;
                    if !pause(&mut backoff, &mut shutdown).await {
                        return Ok(());
                    }
                    timeout = Duration::ZERO;
                    continue;
                }
            };
            if let Some(since) = down_since.take() {
                tracing::info!(
                    down_secs = since.elapsed().as_secs(),
                    "matrix: homeserver reachable again"
                );
            }
            backoff = Duration::from_secs(1);
            crate::telemetry::health().set(Platform::Matrix.as_str(), true, "connected");
            self.handle_sync(response, &mut token, &mut rooms).await;
            if timeout.is_zero() {
                tracing::info!("matrix: ready");
            }
            timeout = LONG_POLL;
        }
    }

    /// A failed sync: an access token the homeserver no longer accepts ends the loop with what
    /// to do; anything else marks Matrix unhealthy (logged once per outage) and is retried.
    fn sync_failed(&self, e: &matrix_sdk::Error, down_since: &mut Option<std::time::Instant>) -> Result<(), ChatError> {
        if matches!(e.client_api_error_kind(), Some(ErrorKind::UnknownToken(_))) {
            return Err(failed(format!(
                "the homeserver no longer accepts our access token ({e}); move {}/matrix aside and restart to log in again",
                self.service
                    .store()
                    .dir()
                    .parent()
                    .map_or_else(|| ".".into(), |p| p.display().to_string())
            )));
        }
        crate::telemetry::health().set(
            Platform::Matrix.as_str(),
            false,
            "homeserver unreachable (sync failing)",
        );
        if down_since.is_none() {
            *down_since = Some(std::time::Instant::now());
            tracing::warn!(error = %e, "matrix: sync failed; retrying with backoff (other adapters keep working)");
        }
        Ok(())
    }

    /// One successful sync: (re)join alert rooms when due, accept invites, handle the batch
    /// (or skip the backlog on the first start), then save the position after it.
    async fn handle_sync(
        self: &Arc<Self>,
        response: matrix_sdk::sync::SyncResponse,
        token: &mut Option<String>,
        rooms: &mut RoomJoins,
    ) {
        if rooms
            .last_try
            .is_none_or(|t| rooms.missing > 0 && t.elapsed() >= ROOM_RETRY)
        {
            rooms.missing = self.join_alert_rooms().await;
            rooms.last_try = Some(std::time::Instant::now());
        }
        self.handle_invites(response.rooms.invited.keys()).await;
        if let Some(since) = token.as_deref() {
            self.handle_batch(&response.rooms, since).await;
        } else {
            let skipped: usize = response.rooms.joined.values().map(|r| r.timeline.events.len()).sum();
            tracing::info!(skipped, "matrix: initial sync done, backlog skipped");
        }
        if let Err(e) = self
            .service
            .store()
            .set_adapter_state(TOKEN_KEY, &response.next_batch)
            .await
        {
            // Handled events are de-duplicated by event id, so replaying them is safe.
            tracing::error!(error = %e, "matrix: cannot save the sync position; this batch will be seen again");
        } else {
            *token = Some(response.next_batch);
        }
    }
}

/// Alert rooms not joined yet, and when we last tried (None: not yet).
#[derive(Default)]
struct RoomJoins {
    missing: usize,
    last_try: Option<std::time::Instant>,
}

#[cfg(test)]
mod tests {
    use matrix_sdk::ruma::UserId;
    use matrix_sdk::ruma::serde::Raw;

    use super::*;

    fn text_event(sender: &str, body: &str) -> TimelineEvent {
        let json = serde_json::json!({
            "type": "m.room.message",
            "event_id": format!("$ev{}", body.len()),
            "sender": sender,
            "origin_server_ts": 1_700_000_000_000u64,
            "content": {"msgtype": "m.text", "body": body}
        });
        TimelineEvent::from_plaintext(Raw::from_json_string(json.to_string()).unwrap())
    }

    /// Users of other homeservers are not heard: neither their commands nor their alert lines
    /// reach the service (so they are never invited into an incident room either).
    #[test]
    fn messages_from_other_servers_are_ignored() {
        let me = UserId::parse("@warroom:example.org").unwrap();
        let cfg: crate::config::MatrixConfig = serde_json::from_value(serde_json::json!({
            "homeserver": "https://matrix.example.org", "user": "@warroom:example.org"
        }))
        .unwrap();
        let hearing = Hearing::new(cfg.allowed_servers());
        let counted = || {
            crate::telemetry::metrics()
                .render(&[])
                .lines()
                .find_map(|l| l.strip_prefix("warroom_commands_refused_total{reason=\"foreign_server\"} "))
                .map_or(0u64, |n| n.parse().unwrap())
        };
        let before = counted();
        let heard = message_of(&text_event("@alice:example.org", "!incident close"), &me, &hearing)
            .expect("a local user is heard");
        assert_eq!(
            (heard.sender.as_str(), heard.body.as_str()),
            ("@alice:example.org", "!incident close")
        );
        for (sender, body) in [
            ("@mallory:evil.example", "!incident close"),
            ("@mallory:evil.example", "billing DB is down"),
            ("@alice:example.org.evil.example", "!incident close"),
            ("@alice:EVIL.example", "/timeline forged"),
        ] {
            assert!(
                message_of(&text_event(sender, body), &me, &hearing).is_none(),
                "{sender}: {body}"
            );
        }
        assert!(counted() >= before + 4, "refusals are counted");
        // Listed servers are heard; "*" hears everyone.
        let partner = Hearing::new(vec!["example.org".into(), "partner.example".into()]);
        assert!(message_of(&text_event("@bob:Partner.example", "!timeline x"), &me, &partner).is_some());
        let any = Hearing::new(vec!["*".into()]);
        assert!(message_of(&text_event("@mallory:evil.example", "!timeline x"), &me, &any).is_some());
        // Our own messages are never commands, wherever we are heard from.
        assert!(message_of(&text_event("@warroom:example.org", "!incident close"), &me, &any).is_none());
    }
}
