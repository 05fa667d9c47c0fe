//! The running Slack bot: shared state (Web API, service, alert channels, outbox), the jobs it
//! queues, and how each job is carried out.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use super::api::{Api, ApiError};
use super::origin::{AppClaim, Origin, Refused};
use super::text;
use crate::chat::ExportFile;
use crate::chat::outbox::{Courier, Failure, LastSent, Outbox, load_incident};
use crate::chat::router::{BoxFuture, Router, Sink};
use crate::config::SlackConfig;
use crate::domain::{Incident, IncidentId, Platform, RoomKey};
use crate::service::IncidentService;

/// Room keys in the store are qualified by platform.
pub fn room_key(channel: &str) -> RoomKey {
    RoomKey::new(Platform::Slack, channel)
}

/// The Slack channel of an incident, if it has one.
pub fn slack_channel(inc: &Incident) -> Option<String> {
    inc.room_on(Platform::Slack).map(str::to_string)
}

/// Where a job's messages go; jobs in one lane run in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lane {
    Incident(IncidentId),
    Channel(String),
    /// The late answer to one slash command (its own lane: one dead URL blocks nothing else).
    Command(String),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum JobKind {
    /// A message (plain text), optionally with Block Kit blocks and in a thread.
    Say {
        text: String,
        blocks: Option<text::Blocks>,
        thread_ts: Option<String>,
    },
    /// A late answer to a slash command through its `response_url` (valid for 30 minutes);
    /// if that no longer works, a message in `channel`.
    Respond {
        response_url: String,
        channel: String,
        text: String,
    },
    /// Create (or find) the incident's channel and bind it; queues the announcement, the
    /// invites and the link from `origin` as jobs of their own.
    OpenChannel {
        incident: IncidentId,
        announcement: String,
        origin: Option<(String, Option<String>)>,
        invite_also: Option<String>,
        /// A slash command's `response_url` to tell where the channel is.
        #[serde(default)]
        respond: Option<String>,
    },
    /// Invite people into the incident's channel, one by one; report the failures there.
    Invite { incident: IncidentId, users: Vec<String> },
    /// Upload a file.
    File { file: ExportFile },
    /// Bring the incident channel's topic in line with its severity and status.
    Topic { incident: IncidentId },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub lane: Lane,
    pub kind: JobKind,
}

pub struct SlackBot {
    pub api: Arc<Api>,
    pub service: Arc<IncidentService>,
    pub cfg: SlackConfig,
    /// The bot's user id and bot id, once `auth.test` answered.
    pub me: RwLock<Option<(String, Option<String>)>>,
    /// The workspace and app requests must come from (configured, or learned at start).
    pub origin: RwLock<Origin>,
    /// Members of the user groups named in `[access] responders`, refreshed in the background.
    pub groups: RwLock<HashMap<String, HashSet<String>>>,
    /// Watched alert channels by id, with the names the config uses for them.
    pub alert_channels: RwLock<HashMap<String, Vec<String>>>,
    pub outbox: Outbox<SlackBot>,
    topics: LastSent,
    /// The incident card last posted per incident (its blocks as JSON), to skip no-op updates.
    pub cards: LastSent,
    pub router: Arc<Router>,
}

impl SlackBot {
    pub fn new(api: Api, service: Arc<IncidentService>, cfg: SlackConfig, router: Arc<Router>) -> SlackBot {
        let origin = Origin {
            team: cfg.team_id.clone(),
            app: cfg.app_id.clone(),
        };
        SlackBot {
            router,
            api: Arc::new(api),
            service,
            cfg,
            me: RwLock::new(None),
            origin: RwLock::new(origin),
            groups: RwLock::new(HashMap::new()),
            alert_channels: RwLock::new(HashMap::new()),
            outbox: Outbox::default(),
            topics: LastSent::default(),
            cards: LastSent::default(),
        }
    }

    pub fn me(&self) -> Option<(String, Option<String>)> {
        self.me.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// May a request from `team` for `app` be handled? A refusal is logged and counted.
    pub fn check_origin(&self, what: &str, team: Option<&str>, app: AppClaim<'_>) -> Result<(), Refused> {
        let r = self.origin.read().unwrap_or_else(|p| p.into_inner()).check(team, app);
        match &r {
            Ok(()) => {}
            Err(Refused::NotYet) => {
                tracing::warn!(
                    what,
                    "slack: refused a request: the bot does not know its workspace and app yet"
                )
            }
            Err(Refused::Foreign(why)) => {
                crate::telemetry::metrics().command_refused("slack_origin");
                tracing::warn!(what, reason = %why, "slack: refused a request from outside this warroom's workspace and app");
            }
            // Not an origin check's answer.
            Err(Refused::NotDurable(_)) => {}
        }
        r
    }

    /// The responder user groups `user` is a member of (as last fetched).
    pub fn groups_of(&self, user: &str) -> Vec<String> {
        let groups = self.groups.read().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<String> = groups
            .iter()
            .filter(|(_, members)| members.contains(user))
            .map(|(g, _)| g.clone())
            .collect();
        out.sort();
        out
    }

    pub fn alert_names(&self, channel: &str) -> Option<Vec<String>> {
        self.alert_channels
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(channel)
            .cloned()
    }

    pub fn incident(&self, id: IncidentId) -> Result<Incident, Failure> {
        load_incident(self.service.store(), id)
    }

    /// The incident as a job will show it on Slack: durable first.
    pub async fn incident_durable(&self, id: IncidentId) -> Result<Incident, Failure> {
        crate::chat::outbox::load_incident_durable(self.service.store(), id).await
    }

    /// Post plain text in a lane (`thread_ts`: as a reply in that thread).
    pub async fn say(self: &Arc<Self>, lane: Lane, text: String, thread_ts: Option<String>) {
        self.enqueue(
            lane,
            JobKind::Say {
                text,
                blocks: None,
                thread_ts,
            },
        )
        .await
    }

    /// The closing draft in the incident channel, split to Slack's limits, then the `.md` file.
    pub async fn enqueue_postmortem(self: &Arc<Self>, id: IncidentId, markdown: &str, file: ExportFile) {
        for part in text::postmortem_messages(&id.to_string(), markdown) {
            self.say(Lane::Incident(id), part, None).await;
        }
        self.enqueue(Lane::Incident(id), JobKind::File { file }).await;
    }

    /// Queue a job. A text too long for one message becomes one job per part, so a retry never
    /// posts a part twice.
    pub async fn enqueue(self: &Arc<Self>, lane: Lane, kind: JobKind) {
        match kind {
            JobKind::Say {
                text,
                blocks,
                thread_ts,
            } if text::sent_len(&text) > text::MAX_TEXT => {
                for (i, part) in text::split(&text, text::MAX_TEXT).into_iter().enumerate() {
                    let kind = JobKind::Say {
                        text: part,
                        blocks: if i == 0 { blocks.clone() } else { None },
                        thread_ts: thread_ts.clone(),
                    };
                    Outbox::enqueue(
                        self,
                        Job {
                            lane: lane.clone(),
                            kind,
                        },
                    )
                    .await;
                }
            }
            kind => Outbox::enqueue(self, Job { lane, kind }).await,
        }
    }

    /// The channel a lane's messages go to.
    fn channel_of(&self, lane: &Lane) -> Result<String, Failure> {
        match lane {
            Lane::Channel(c) => Ok(c.clone()),
            Lane::Command(_) => Err(Failure::Permanent("a command lane has no channel".into())),
            Lane::Incident(id) => slack_channel(&self.incident(*id)?)
                .ok_or_else(|| Failure::Permanent(format!("{id} has no Slack channel"))),
        }
    }

    async fn execute(self: &Arc<Self>, job: &Job) -> Result<(), Failure> {
        match &job.kind {
            JobKind::Say {
                text,
                blocks,
                thread_ts,
            } => {
                let channel = self.channel_of(&job.lane)?;
                // Blocks beyond Slack's limit would be refused: fall back to the text alone. (Long
                // texts were split into jobs when queued.)
                let blocks = blocks.clone().filter(|b| b.len() <= text::MAX_BLOCKS);
                let text = text::truncate(text, text::MAX_TEXT);
                match self
                    .api
                    .post(&channel, text, blocks.clone(), thread_ts.as_deref())
                    .await
                {
                    // Not a member (the join at start failed, or someone removed the bot from a
                    // public channel): join, then post once more.
                    Err(ApiError::Slack(code)) if code == "not_in_channel" => {
                        self.api.join(&channel).await?;
                        self.api.post(&channel, text, blocks, thread_ts.as_deref()).await?;
                    }
                    r => {
                        r?;
                    }
                }
                Ok(())
            }
            JobKind::Respond {
                response_url,
                channel,
                text,
            } => match self.api.respond(response_url, text).await.map_err(Failure::from) {
                Err(Failure::Permanent(why)) => {
                    tracing::info!(%why, "slack: response_url no longer works; posting in the channel instead");
                    self.api.post(channel, text, None, None).await?;
                    Ok(())
                }
                other => other,
            },
            JobKind::OpenChannel {
                incident,
                announcement,
                origin,
                invite_also,
                respond,
            } => {
                self.open_channel(
                    *incident,
                    announcement,
                    origin.clone(),
                    invite_also.clone(),
                    respond.clone(),
                )
                .await
            }
            JobKind::Invite { incident, users } => self.invite(*incident, users).await,
            JobKind::File { file } => {
                let channel = self.channel_of(&job.lane)?;
                self.api
                    .upload(&channel, &file.name, &file.name, file.content.clone().into_bytes())
                    .await?;
                Ok(())
            }
            JobKind::Topic { incident } => {
                let inc = self.incident_durable(*incident).await?;
                let Some(channel) = slack_channel(&inc) else {
                    return Ok(());
                };
                let topic = text::topic(&inc);
                if !self.topics.is(*incident, &topic).await {
                    self.api.set_topic(&channel, &topic).await?;
                    self.topics.set(*incident, topic).await;
                }
                self.refresh_card(&inc).await
            }
        }
    }

    /// Invite each user; `already_in_channel` is fine, other refusals are reported in the
    /// channel and do not stop the rest.
    async fn invite(self: &Arc<Self>, id: IncidentId, users: &[String]) -> Result<(), Failure> {
        let channel = self.channel_of(&Lane::Incident(id))?;
        let mut failed = Vec::new();
        for user in users {
            match self.api.invite(&channel, user).await {
                Ok(()) => {}
                Err(ApiError::Slack(code)) if code == "already_in_channel" || code == "cant_invite_self" => {}
                Err(e) => match Failure::from(e) {
                    Failure::Permanent(why) => {
                        tracing::warn!(%user, %channel, %why, "slack: invite failed");
                        failed.push(format!("`{user}` ({})", why.trim_start_matches("Slack error ")));
                    }
                    other => return Err(other),
                },
            }
        }
        if !failed.is_empty() {
            self.api
                .post(
                    &channel,
                    &self.service.lang_of(id).fmt(
                        "invite-failed",
                        &[("who", &failed.join(", ")), ("setting", "slack.responders")],
                    ),
                    None,
                    None,
                )
                .await?;
        }
        Ok(())
    }
}

impl Courier for SlackBot {
    type Job = Job;
    const QUEUE: &'static str = Platform::Slack.as_str();

    fn store(&self) -> &crate::store::Store {
        self.service.store()
    }

    fn outbox(&self) -> &Outbox<Self> {
        &self.outbox
    }

    fn lane(job: &Job) -> String {
        match &job.lane {
            Lane::Incident(id) => format!("incident:{id}"),
            Lane::Channel(c) => format!("channel:{c}"),
            Lane::Command(t) => format!("command:{t}"),
        }
    }

    fn deliver(self: &Arc<Self>, job: &Job) -> impl std::future::Future<Output = Result<(), Failure>> + Send {
        self.execute(job)
    }

    fn essential(job: &Job) -> bool {
        matches!(job.kind, JobKind::OpenChannel { .. })
    }

    /// The channel of an incident could not be made: say so in the alert's thread (or the
    /// channel it was declared in), with what failed.
    fn stranded(self: &Arc<Self>, job: &Job, why: &str) -> impl std::future::Future<Output = ()> + Send {
        let me = Arc::clone(self);
        let target = match &job.kind {
            JobKind::OpenChannel {
                incident,
                origin: Some((channel, thread)),
                ..
            } => Some((*incident, channel.clone(), thread.clone())),
            _ => None,
        };
        let why = why.to_string();
        async move {
            let Some((id, channel, thread)) = target else { return };
            let text = me
                .service
                .lang_of(id)
                .fmt("stranded-slack", &[("id", &id.to_string()), ("why", &why)]);
            if let Err(e) = me.api.post(&channel, &text, None, thread.as_deref()).await {
                tracing::warn!(incident = %id, error = ?e, "slack: cannot tell the alert channel that the incident channel is missing");
            }
        }
    }
}

/// Store key of an incident card's place: `slack.card.<n>` → `<channel> <ts>`.
fn card_key(id: IncidentId) -> String {
    format!("slack.card.{}", id.0)
}

impl SlackBot {
    /// Remember where an incident's card (its announcement) is, to update it in place.
    pub async fn remember_card(&self, id: IncidentId, channel: &str, ts: &str) {
        if let Err(e) = self
            .service
            .store()
            .set_adapter_state(&card_key(id), &format!("{channel} {ts}"))
            .await
        {
            tracing::warn!(incident = %id, error = %e, "slack: cannot remember the incident card; it will not be updated in place");
        }
    }

    /// Update the incident card in place (`chat.update`) when what it shows changed: severity,
    /// status, lead, the latest update, the buttons (none once closed).
    async fn refresh_card(&self, inc: &crate::domain::Incident) -> Result<(), Failure> {
        let place = match self.service.store().adapter_state(&card_key(inc.id)) {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(()),
            Err(e) => return Err(Failure::Transient(format!("reading the card's place: {e}"))),
        };
        let Some((channel, ts)) = place.split_once(' ') else {
            return Ok(());
        };
        let announcement = crate::service::announcement(
            inc,
            crate::domain::Source::Slack,
            self.service.tz(),
            self.service.lang(inc),
        );
        let blocks = text::announcement_blocks(inc, &announcement, &self.service.tz());
        let shown = blocks.json();
        if self.cards.is(inc.id, &shown).await {
            return Ok(());
        }
        self.api.update(channel, ts, &announcement, blocks).await?;
        self.cards.set(inc.id, shown).await;
        Ok(())
    }
}

/// The Slack side of the cross-platform router.
pub struct SlackSink(pub Arc<SlackBot>);

impl Sink for SlackSink {
    fn platform(&self) -> Platform {
        Platform::Slack
    }

    fn open(&self, id: IncidentId) -> BoxFuture<'_> {
        Box::pin(async move {
            let Ok(inc) = self.0.incident(id) else { return };
            if slack_channel(&inc).is_some() {
                return;
            }
            let announcement = crate::service::announcement(
                &inc,
                crate::domain::Source::Slack,
                self.0.service.tz(),
                self.0.service.lang(&inc),
            );
            self.0
                .enqueue(
                    Lane::Incident(id),
                    JobKind::OpenChannel {
                        incident: id,
                        announcement,
                        origin: None,
                        invite_also: None,
                        respond: None,
                    },
                )
                .await;
        })
    }

    fn post(&self, id: IncidentId, text: String) -> BoxFuture<'_> {
        Box::pin(async move { self.0.say(Lane::Incident(id), text, None).await })
    }

    fn postmortem(&self, id: IncidentId, markdown: String, file: ExportFile) -> BoxFuture<'_> {
        Box::pin(async move { self.0.enqueue_postmortem(id, &markdown, file).await })
    }

    fn topic(&self, id: IncidentId) -> BoxFuture<'_> {
        Box::pin(async move {
            self.0
                .enqueue(Lane::Incident(id), JobKind::Topic { incident: id })
                .await
        })
    }
    fn broadcast(&self, text: String) -> BoxFuture<'_> {
        Box::pin(async move {
            if let Some(channel) = self.0.cfg.updates_channel.clone() {
                self.0.say(Lane::Channel(channel), text, None).await
            }
        })
    }
}
