//! Incident channels: `conversations.create` with a valid name; `name_taken` (a retry after a
//! lost answer, or someone else's channel) never gives one incident two channels; then the
//! announcement, the invites and the threaded link from the alert, each as its own job.

use std::sync::Arc;

use super::api::ApiError;
use super::bot::{JobKind, Lane, SlackBot, room_key, slack_channel};
use super::text;
use crate::chat::outbox::Failure;
use crate::domain::{Incident, IncidentId};

/// How many names (`inc-1-x`, `inc-1-x-2`, ...) to try when a name belongs to another channel.
const NAME_TRIES: u32 = 5;
/// A channel we created this long before the incident was declared is not this incident's.
const SAME_INCIDENT_SLACK_SECS: i64 = 120;

impl SlackBot {
    /// The incident's channel (id, name): bound already, created now, or found (ours, from an
    /// earlier attempt whose answer was lost).
    async fn ensure_channel(&self, inc: &Incident) -> Result<(String, String), Failure> {
        if let Some(c) = slack_channel(inc) {
            return Ok((c, text::channel_name(inc, None)));
        }
        let me = self.me().map(|(user, _)| user);
        for n in 1..=NAME_TRIES {
            let name = text::channel_name(inc, (n > 1).then_some(n));
            let channel = match self.api.create_channel(&name, self.cfg.private_channels).await {
                Ok(id) => id,
                Err(ApiError::Slack(code)) if code == "name_taken" => match self.api.find_channel(&name).await? {
                    Some((id, creator, created))
                        if creator.is_some()
                            && creator == me
                            && created >= inc.declared_at.timestamp() - SAME_INCIDENT_SLACK_SECS =>
                    {
                        tracing::info!(incident = %inc.id, channel = %id, "slack: reusing the channel an earlier attempt created");
                        id
                    }
                    _ => {
                        tracing::info!(incident = %inc.id, %name, "slack: channel name taken by another channel, trying the next");
                        continue;
                    }
                },
                Err(e) => return Err(e.into()),
            };
            self.service.bind_room(inc.id, &room_key(&channel)).await?;
            tracing::info!(incident = %inc.id, %channel, %name, "slack: incident channel ready");
            return Ok((channel, name));
        }
        Err(Failure::Permanent(format!(
            "{}: the channel names {} and {} variants are all taken",
            inc.id,
            text::channel_name(inc, None),
            NAME_TRIES - 1
        )))
    }

    /// Open the incident's channel and post the announcement first (so it leads the channel,
    /// whatever was queued meanwhile), then queue the rest: topic, invites, the link.
    pub async fn open_channel(
        self: &Arc<Self>,
        id: IncidentId,
        announcement: &str,
        origin: Option<(String, Option<String>)>,
        invite_also: Option<String>,
        respond: Option<String>,
    ) -> Result<(), Failure> {
        let inc = self.incident_durable(id).await?;
        let (channel, name) = self.ensure_channel(&inc).await?;
        // The channel exists and is bound now: only getting there is worth retrying forever.
        // An announcement Slack refuses (its blocks) goes out as plain text, and if even that
        // is refused the rest of the opening still happens.
        let blocks = text::announcement_blocks(&inc, announcement, &self.service.tz());
        match self.api.post(&channel, announcement, Some(blocks.clone()), None).await {
            Ok(ts) => {
                self.remember_card(id, &channel, &ts).await;
                self.cards.set(id, blocks.json()).await;
            }
            // Only the card itself refused (its blocks, its size): the announcement as text.
            Err(ApiError::Slack(code))
                if matches!(
                    code.as_str(),
                    "invalid_blocks" | "invalid_blocks_format" | "msg_too_long"
                ) =>
            {
                tracing::warn!(incident = %id, %code, "slack: the incident card was refused; posting the announcement as plain text");
                match self.api.post(&channel, announcement, None, None).await {
                    Ok(_) => {}
                    Err(e) => match Failure::from(e) {
                        Failure::Permanent(why) => {
                            tracing::error!(incident = %id, %why, "slack: the announcement was refused; the channel is open without it")
                        }
                        other => return Err(other),
                    },
                }
            }
            Err(e) => return Err(e.into()),
        }
        let lane = Lane::Incident(id);
        self.enqueue(lane.clone(), JobKind::Topic { incident: id }).await;
        let mut users: Vec<String> = self.cfg.responders.clone();
        if let Some(u) = invite_also
            && !users.contains(&u)
        {
            users.push(u);
        }
        if !users.is_empty() {
            self.enqueue(lane, JobKind::Invite { incident: id, users }).await;
        }
        // Plain text like every message (escaped when posted), so the channel is named, not
        // linked with `<#…>` markup.
        let link = format!(
            "{} opened: {} — #{name} ({} · {})",
            inc.id,
            inc.title,
            inc.severity.label(),
            inc.status
        );
        if let Some(url) = respond {
            let origin_channel = origin.as_ref().map_or_else(|| channel.clone(), |(c, _)| c.clone());
            self.enqueue(
                Lane::Command(url.clone()),
                JobKind::Respond {
                    response_url: url,
                    channel: origin_channel,
                    text: link,
                },
            )
            .await;
        } else if let Some((origin_channel, ts)) = origin
            && origin_channel != channel
        {
            self.say(Lane::Channel(origin_channel), link, ts).await;
        }
        Ok(())
    }
}
