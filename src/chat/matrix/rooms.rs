//! Incident rooms: created once per incident (the room alias is the idempotency key, and a
//! marker in the create event tells our room from someone else's), people invited one by one
//! so one bad user id does not block the others, the announcement posted, and the alert room
//! told where the incident lives.

use std::sync::Arc;

use matrix_sdk::Room;
use matrix_sdk::ruma::api::client::room::Visibility;
use matrix_sdk::ruma::api::client::room::create_room::v3::{CreationContent, Request as CreateRoom, RoomPreset};
use matrix_sdk::ruma::api::client::state::get_state_event_for_key::v3::Request as GetState;
use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::events::StateEventType;
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomAliasId, OwnedRoomId, OwnedUserId, RoomAliasId, UserId};

use super::bot::{Bot, matrix_room, room_key};
use super::outbox::{Failure, Job, JobKind, Lane};
use super::text;
use crate::domain::{Incident, IncidentId};

/// Field in an incident room's `m.room.create` content naming the store and incident it
/// belongs to.
const MARKER: &str = "org.warroom.incident";
/// How many alias variants (`inc-1-x`, `inc-1-x-2`, ...) to try when an alias is taken by a
/// room that is not ours.
const ALIAS_TRIES: usize = 5;

impl Bot {
    fn marker(&self, id: IncidentId) -> String {
        format!("{}/{id}", self.instance)
    }

    /// Does the room behind `room_id` carry our marker for this incident?
    async fn is_ours(&self, room_id: &OwnedRoomId, id: IncidentId) -> Result<bool, Failure> {
        let req = GetState::new(room_id.clone(), StateEventType::RoomCreate, String::new());
        match self.client.send(req).await {
            Ok(resp) => {
                let v: serde_json::Value = serde_json::from_str(resp.event_or_content.get()).unwrap_or_default();
                let content = v.get("content").unwrap_or(&v);
                Ok(content.get(MARKER).and_then(|m| m.as_str()) == Some(self.marker(id).as_str()))
            }
            Err(e) => match Failure::from(e) {
                // Not allowed to look: a private room of someone else.
                Failure::Permanent(_) => Ok(false),
                other => Err(other),
            },
        }
    }

    /// Create the incident's room, or find the one an earlier attempt created; bind it.
    async fn ensure_room(&self, inc: &Incident) -> Result<(Room, Option<OwnedRoomAliasId>), Failure> {
        if let Some(room_id) = matrix_room(inc) {
            let room = match self.client.get_room(&room_id) {
                Some(r) => r,
                None => self.client.join_room_by_id(&room_id).await?,
            };
            return Ok((room.clone(), room.canonical_alias()));
        }
        let server = self.me.server_name().to_owned();
        let creation: CreationContent = Default::default();
        let mut creation = serde_json::to_value(creation).unwrap_or_else(|_| serde_json::json!({}));
        creation[MARKER] = serde_json::Value::String(self.marker(inc.id));
        for n in 1..=ALIAS_TRIES {
            let local = if n == 1 {
                inc.slug.clone()
            } else {
                format!("{}-{n}", inc.slug)
            };
            let alias = RoomAliasId::parse(format!("#{local}:{server}"))
                .map_err(|e| Failure::Permanent(format!("bad room alias for {}: {e}", inc.id)))?;
            let mut req = CreateRoom::new();
            req.name = Some(text::room_name(inc));
            req.topic = Some(text::topic(inc));
            req.preset = Some(RoomPreset::PrivateChat);
            req.visibility = Visibility::Private;
            req.room_alias_name = Some(local);
            req.creation_content = serde_json::value::to_raw_value(&creation).ok().map(Raw::from_json);
            req.power_level_content_override = serde_json::value::to_raw_value(&power_levels())
                .ok()
                .map(Raw::from_json);
            if self.cfg.encrypted_rooms {
                let encryption = serde_json::json!({
                    "type": "m.room.encryption", "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"}
                });
                req.initial_state = serde_json::value::to_raw_value(&encryption)
                    .ok()
                    .map(Raw::from_json)
                    .into_iter()
                    .collect();
            }
            let room = match self.client.create_room(req).await {
                Ok(room) => room,
                Err(e) if matches!(e.client_api_error_kind(), Some(ErrorKind::RoomInUse)) => {
                    let existing = self.client.resolve_room_alias(&alias).await?.room_id;
                    if !self.is_ours(&existing, inc.id).await? {
                        tracing::info!(%alias, incident = %inc.id, "matrix: alias taken by another room, trying the next one");
                        continue;
                    }
                    match self.client.get_room(&existing) {
                        Some(r) if r.state() == matrix_sdk::RoomState::Joined => r,
                        _ => self.client.join_room_by_id(&existing).await?,
                    }
                }
                Err(e) => return Err(e.into()),
            };
            self.service.bind_room(inc.id, &room_key(room.room_id())).await?;
            tracing::info!(incident = %inc.id, room = %room.room_id(), %alias, "matrix: incident room ready");
            return Ok((room, Some(alias)));
        }
        Err(Failure::Permanent(format!(
            "{}: the aliases #{}:{server} and {} variants are all taken by other rooms",
            inc.id,
            inc.slug,
            ALIAS_TRIES - 1
        )))
    }

    /// Invite each person who is not in the room yet; returns the invites that failed for good.
    async fn invite_all(&self, room: &Room, people: &[OwnedUserId]) -> Result<Vec<String>, Failure> {
        let mut failed = Vec::new();
        for user in people {
            if *user == self.me {
                continue;
            }
            if let Ok(Some(m)) = room.get_member_no_sync(user).await {
                use matrix_sdk::ruma::events::room::member::MembershipState as M;
                if matches!(m.membership(), M::Join | M::Invite) {
                    continue;
                }
            }
            match room.invite_user_by_id(user).await {
                Ok(()) => {}
                Err(e) => match Failure::from(e) {
                    Failure::Permanent(reason) => {
                        tracing::warn!(%user, room = %room.room_id(), %reason, "matrix: invite failed");
                        failed.push(format!("{user} ({reason})"));
                    }
                    other => return Err(other),
                },
            }
        }
        Ok(failed)
    }

    /// Everything that opening an incident room involves; every step is safe to repeat (the
    /// messages carry fixed transaction ids, invites skip members).
    pub async fn open_room(
        self: &Arc<Self>,
        job: &Job,
        id: IncidentId,
        announcement: &str,
        origin: Option<(OwnedRoomId, Option<OwnedEventId>)>,
        invite_also: Option<OwnedUserId>,
    ) -> Result<(), Failure> {
        let inc = crate::chat::outbox::load_incident_durable(self.service.store(), id).await?;
        let (room, alias) = self.ensure_room(&inc).await?;
        let mut people: Vec<OwnedUserId> = Vec::new();
        let mut bad = Vec::new();
        for r in &self.cfg.responders {
            match UserId::parse(r.as_str()) {
                Ok(u) => people.push(u),
                Err(e) => bad.push(format!("{r} (not a Matrix user id: {e})")),
            }
        }
        if let Some(u) = invite_also
            && !people.contains(&u)
        {
            people.push(u);
        }
        room.send(text::notice(announcement))
            .with_transaction_id(job.txn("announce"))
            .await?;
        // Announce first: whoever joins finds it waiting, and it is not delayed by invites.
        bad.extend(self.invite_all(&room, &people).await?);
        if !bad.is_empty() {
            let t = self.service.lang(&inc).fmt(
                "invite-failed",
                &[("who", &bad.join(", ")), ("setting", "matrix.responders")],
            );
            room.send(text::notice(&t))
                .with_transaction_id(job.txn("invites"))
                .await?;
        }
        // The link goes through the alert room's own lane, so that room's messages stay in order.
        if let Some((origin_room, event)) = origin
            && origin_room != room.room_id()
        {
            let target = alias
                .as_ref()
                .map_or_else(|| room.room_id().to_string(), |a| a.to_string());
            let plain = format!(
                "{} opened: {} — {} ({} · {})",
                inc.id,
                inc.title,
                target,
                inc.severity.label(),
                inc.status
            );
            let html = format!(
                "{} opened: {} — <a href=\"{}\">{}</a> ({} · {})",
                inc.id,
                text::lines_to_html(&inc.title),
                text::matrix_to(&target),
                text::lines_to_html(&target),
                inc.severity.label(),
                inc.status
            );
            self.enqueue(
                Lane::Room(origin_room),
                JobKind::Say {
                    text: plain,
                    html: Some(html),
                    reply_to: event,
                },
            )
            .await;
        }
        Ok(())
    }
}

/// Power levels of an incident room: the private-chat defaults (the server's own), except that
/// every member may pin a message, which puts it on the incident's timeline (capture). The
/// `events` map replaces the server's, so it repeats the defaults.
fn power_levels() -> serde_json::Value {
    serde_json::json!({
        "events": {
            "m.room.name": 50,
            "m.room.power_levels": 100,
            "m.room.history_visibility": 100,
            "m.room.canonical_alias": 50,
            "m.room.avatar": 50,
            "m.room.tombstone": 100,
            "m.room.server_acl": 100,
            "m.room.encryption": 100,
            "m.room.pinned_events": 0
        }
    })
}
