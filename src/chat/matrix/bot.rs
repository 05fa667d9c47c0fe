//! The running Matrix bot: shared state (client, service, alert rooms, outbox) and how each
//! outbound job is carried out against the homeserver.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use matrix_sdk::attachment::AttachmentConfig;
use matrix_sdk::ruma::events::relation::Reply;
use matrix_sdk::ruma::events::room::message::Relation;
use matrix_sdk::ruma::{OwnedRoomId, OwnedUserId, RoomId};
use matrix_sdk::{Client, Room};

use super::outbox::{Failure, Job, JobKind, Lane};
use super::text;
use crate::chat::ExportFile;
use crate::chat::outbox::{Courier, LastSent, Outbox, load_incident};
use crate::config::MatrixConfig;
use crate::domain::{Incident, IncidentId, Platform, RoomKey};
use crate::postmortem::ExportFormat;
use crate::service::IncidentService;

pub struct Bot {
    pub client: Client,
    pub service: Arc<IncidentService>,
    pub cfg: MatrixConfig,
    pub me: OwnedUserId,
    /// Watched alert rooms by id, with the names the config uses for them.
    pub alert_rooms: RwLock<HashMap<OwnedRoomId, Vec<String>>>,
    pub outbox: Outbox<Bot>,
    /// Random id of this store, written into the rooms it creates.
    pub instance: String,
    /// The topic last set per incident room, to skip no-op topic changes.
    topics: LastSent,
    /// Incidents whose room opening is queued (so a second request does not open another).
    pub opening: std::sync::Mutex<std::collections::HashSet<IncidentId>>,
    pub router: Arc<crate::chat::router::Router>,
    /// Whose messages are heard (`matrix.allowed_servers`).
    pub hearing: super::sync::Hearing,
}

/// Room keys in the store are qualified by platform.
pub fn room_key(room: &RoomId) -> RoomKey {
    RoomKey::new(Platform::Matrix, room.as_str())
}

/// The Matrix room of an incident, if it has one.
pub fn matrix_room(inc: &Incident) -> Option<OwnedRoomId> {
    inc.room_on(Platform::Matrix).and_then(|r| RoomId::parse(r).ok())
}

fn mime_of(format: ExportFormat) -> mime::Mime {
    match format {
        ExportFormat::Markdown => "text/markdown; charset=utf-8".parse(),
        ExportFormat::Json => Ok(mime::APPLICATION_JSON),
        ExportFormat::Html => Ok(mime::TEXT_HTML_UTF_8),
    }
    .unwrap_or(mime::TEXT_PLAIN_UTF_8)
}

impl Bot {
    pub fn new(
        client: Client,
        service: Arc<IncidentService>,
        cfg: MatrixConfig,
        me: OwnedUserId,
        instance: String,
        router: Arc<crate::chat::router::Router>,
    ) -> Bot {
        Bot {
            hearing: super::sync::Hearing::new(cfg.allowed_servers()),
            instance,
            client,
            service,
            cfg,
            me,
            alert_rooms: RwLock::new(HashMap::new()),
            outbox: Outbox::default(),
            topics: LastSent::default(),
            opening: Default::default(),
            router,
        }
    }

    pub fn is_alert_room(&self, room: &RoomId) -> Option<Vec<String>> {
        self.alert_rooms
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(room)
            .cloned()
    }

    pub fn incident(&self, id: IncidentId) -> Result<Incident, Failure> {
        load_incident(self.service.store(), id)
    }

    /// A room the bot is in. The SDK knows every room we joined or created, so an unknown room
    /// (or one we were kicked from) will not come back by retrying.
    pub fn joined(&self, room: &RoomId) -> Result<Room, Failure> {
        match self.client.get_room(room) {
            Some(r) if r.state() == matrix_sdk::RoomState::Joined => Ok(r),
            Some(r) => Err(Failure::Permanent(format!(
                "the bot is no longer in room {room} ({:?})",
                r.state()
            ))),
            None => Err(Failure::Permanent(format!("the bot is not in room {room}"))),
        }
    }

    /// The room a lane's messages go to.
    fn room_of(&self, lane: &Lane) -> Result<Room, Failure> {
        match lane {
            Lane::Room(r) => self.joined(r),
            Lane::Updates => Err(Failure::Permanent("the updates lane has no room of its own".into())),
            Lane::Incident(id) => {
                let inc = self.incident(*id)?;
                let room = matrix_room(&inc).ok_or_else(|| Failure::Permanent(format!("{id} has no Matrix room")))?;
                self.joined(&room)
            }
        }
    }

    pub async fn execute(self: &Arc<Self>, job: &Job) -> Result<(), Failure> {
        let lane = &job.lane;
        match &job.kind {
            JobKind::Broadcast { room, text: body } => {
                use matrix_sdk::ruma::{RoomAliasId, RoomOrAliasId};
                let bad = || {
                    Failure::Permanent(format!(
                        "matrix.updates_room {room:?} is not a room id (!id:server) or alias (#name:server); fix it in the config"
                    ))
                };
                let target = RoomOrAliasId::parse(room.as_str()).map_err(|_| bad())?;
                let id = match RoomId::parse(target.as_str()) {
                    Ok(id) => id,
                    Err(_) => {
                        let alias = RoomAliasId::parse(target.as_str()).map_err(|_| bad())?;
                        match self.client.resolve_room_alias(&alias).await {
                            Ok(r) => r.room_id,
                            // A typo stays a typo: the update is not broadcast, nothing waits on it.
                            Err(e)
                                if matches!(
                                    e.client_api_error_kind(),
                                    Some(matrix_sdk::ruma::api::error::ErrorKind::NotFound)
                                ) =>
                            {
                                return Err(Failure::Permanent(format!(
                                    "matrix.updates_room {room}: no such alias; create the room or fix matrix.updates_room"
                                )));
                            }
                            Err(e) => return Err(e.into()),
                        }
                    }
                };
                let joined = self
                    .client
                    .get_room(&id)
                    .is_some_and(|r| r.state() == matrix_sdk::RoomState::Joined);
                if !joined {
                    self.client.join_room_by_id_or_alias(&target, &[]).await?;
                }
                let r = self.joined(&id)?;
                r.send(text::notice(body))
                    .with_transaction_id(job.txn("update"))
                    .await?;
                Ok(())
            }
            JobKind::Say { text, html, reply_to } => {
                let room = self.room_of(lane)?;
                let html = html.clone().unwrap_or_else(|| text::lines_to_html(text));
                let mut content = text::content(text, &html);
                if !text::fits(&content) {
                    content = text::notice(&text::cut(text));
                }
                if let Some(ev) = reply_to {
                    content.relates_to = Some(Relation::Reply(Reply::with_event_id(ev.clone())));
                }
                room.send(content).with_transaction_id(job.txn("say")).await?;
                Ok(())
            }
            JobKind::OpenRoom {
                incident,
                announcement,
                origin,
                invite_also,
            } => {
                let r = self
                    .open_room(job, *incident, announcement, origin.clone(), invite_also.clone())
                    .await;
                // Done, or given up: a later request may open it again.
                if !matches!(r, Err(Failure::Transient(_) | Failure::RateLimited(_))) {
                    self.opening.lock().unwrap_or_else(|p| p.into_inner()).remove(incident);
                }
                r
            }
            JobKind::Postmortem {
                incident,
                markdown,
                file,
            } => {
                let room = self.room_of(lane)?;
                let inline = text::markdown_notice(markdown);
                let content = if text::fits(&inline) {
                    inline
                } else {
                    let summary = format!(
                        "📝 The draft postmortem of {incident} is too long for one message ({} KB); it is attached as {}.",
                        markdown.len() / 1024,
                        file.name
                    );
                    text::notice(&summary)
                };
                room.send(content).with_transaction_id(job.txn("draft")).await?;
                self.upload(&room, job, file).await
            }
            JobKind::File { file } => {
                let room = self.room_of(lane)?;
                self.upload(&room, job, file).await
            }
            JobKind::Topic { incident } => {
                let inc = crate::chat::outbox::load_incident_durable(self.service.store(), *incident).await?;
                let Some(room_id) = matrix_room(&inc) else {
                    return Ok(());
                };
                let topic = text::topic(&inc);
                if self.topics.is(*incident, &topic).await {
                    return Ok(());
                }
                let room = self.joined(&room_id)?;
                if room.topic().as_deref() != Some(topic.as_str()) {
                    room.set_room_topic(&topic).await?;
                }
                self.topics.set(*incident, topic).await;
                Ok(())
            }
        }
    }

    async fn upload(&self, room: &Room, job: &Job, file: &ExportFile) -> Result<(), Failure> {
        room.send_attachment(
            file.name.clone(),
            &mime_of(file.format),
            file.content.clone().into_bytes(),
            AttachmentConfig::new().txn_id(job.txn("file")),
        )
        .await?;
        Ok(())
    }
}

impl Courier for Bot {
    type Job = Job;
    const QUEUE: &'static str = Platform::Matrix.as_str();

    fn store(&self) -> &crate::store::Store {
        self.service.store()
    }

    fn outbox(&self) -> &Outbox<Self> {
        &self.outbox
    }

    fn lane(job: &Job) -> String {
        job.lane.to_string()
    }

    fn deliver(self: &Arc<Self>, job: &Job) -> impl std::future::Future<Output = Result<(), Failure>> + Send {
        self.execute(job)
    }

    fn essential(job: &Job) -> bool {
        matches!(job.kind, JobKind::OpenRoom { .. })
    }

    /// The room of an incident could not be made: say so in the alert's room.
    fn stranded(self: &Arc<Self>, job: &Job, why: &str) -> impl std::future::Future<Output = ()> + Send {
        let me = Arc::clone(self);
        let target = match &job.kind {
            JobKind::OpenRoom {
                incident,
                origin: Some((room, _)),
                ..
            } => Some((*incident, room.clone())),
            _ => None,
        };
        let why = why.to_string();
        async move {
            let Some((id, room)) = target else { return };
            let Some(room) = me.client.get_room(&room) else { return };
            let text = me
                .service
                .lang_of(id)
                .fmt("stranded-matrix", &[("id", &id.to_string()), ("why", &why)]);
            if let Err(e) = room.send(text::notice(&text)).await {
                tracing::warn!(incident = %id, error = %e, "matrix: cannot tell the alert room that the incident room is missing");
            }
        }
    }
}

impl Bot {
    /// Queue a job in its lane (saved durably first).
    pub async fn enqueue(self: &Arc<Self>, lane: Lane, kind: JobKind) {
        if let JobKind::OpenRoom { incident, .. } = &kind {
            self.opening.lock().unwrap_or_else(|p| p.into_inner()).insert(*incident);
        }
        Outbox::enqueue(self, Job::new(lane, kind)).await;
    }

    /// Claim the opening of the incident's room: `false` if it has one or its opening is
    /// already queued (checked and recorded in one step, so two paths never both open it).
    pub fn claim_opening(&self, inc: &Incident) -> bool {
        matrix_room(inc).is_none() && self.opening.lock().unwrap_or_else(|p| p.into_inner()).insert(inc.id)
    }

    /// Jobs a previous run queued and did not deliver, back in their lanes in order (the room
    /// openings among them claimed).
    pub fn restore_queue(self: &Arc<Self>) {
        Outbox::restore(self, |job: &Job| {
            if let JobKind::OpenRoom { incident, .. } = &job.kind {
                self.opening.lock().unwrap_or_else(|p| p.into_inner()).insert(*incident);
            }
        });
    }
}

/// The Matrix side of the cross-platform router.
pub struct MatrixSink(pub Arc<Bot>);

impl crate::chat::router::Sink for MatrixSink {
    fn platform(&self) -> Platform {
        Platform::Matrix
    }

    fn open(&self, id: IncidentId) -> crate::chat::router::BoxFuture<'_> {
        Box::pin(async move {
            let Ok(inc) = self.0.incident(id) else { return };
            if self.0.claim_opening(&inc) {
                self.0.queue_opening(&inc).await;
            }
        })
    }

    fn post(&self, id: IncidentId, text: String) -> crate::chat::router::BoxFuture<'_> {
        Box::pin(async move { self.0.enqueue(Lane::Incident(id), JobKind::say(text, None)).await })
    }

    fn postmortem(&self, id: IncidentId, markdown: String, file: ExportFile) -> crate::chat::router::BoxFuture<'_> {
        Box::pin(async move {
            self.0
                .enqueue(
                    Lane::Incident(id),
                    JobKind::Postmortem {
                        incident: id,
                        markdown,
                        file,
                    },
                )
                .await
        })
    }

    fn topic(&self, id: IncidentId) -> crate::chat::router::BoxFuture<'_> {
        Box::pin(async move {
            self.0
                .enqueue(Lane::Incident(id), JobKind::Topic { incident: id })
                .await
        })
    }

    /// Queued like any job (durably, delivered once durable); the room is resolved and joined
    /// when it is delivered, so a slow homeserver never holds up the caller.
    fn broadcast(&self, text: String) -> crate::chat::router::BoxFuture<'_> {
        Box::pin(async move {
            if let Some(room) = self.0.cfg.updates_room.clone() {
                self.0.enqueue(Lane::Updates, JobKind::Broadcast { room, text }).await
            }
        })
    }
}
