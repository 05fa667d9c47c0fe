//! The Slack adapter, the only module importing slack_morphism: Socket Mode (default) or HTTP
//! mode, slash commands acknowledged within Slack's 3 s after a durable write, alert channels
//! watched (bots and integrations included), incident channels opened, postmortems posted and
//! uploaded, and everything outbound queued durably while Slack is unreachable.

mod api;
mod bot;
mod capture;
mod channels;
mod http_mode;
mod inbound;
mod interact;
mod origin;
mod socket;
mod text;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::{ChatAdapter, ChatError, pause};
use crate::chat::outbox::Failure;
use crate::chat::outbox::Outbox;
use crate::chat::router::Router;
use crate::config::{SlackConfig, SlackMode, read_secret};
use crate::domain::Platform;
use crate::service::IncidentService;
use crate::shutdown::Shutdown;
use crate::telemetry::health;
use api::Api;
use bot::SlackBot;

pub struct SlackAdapter {
    bot: Arc<SlackBot>,
    client: Arc<api::Client>,
    app_token: Option<String>,
}

fn fail(msg: String) -> ChatError {
    ChatError::Failed {
        adapter: Platform::Slack.as_str(),
        msg,
    }
}

/// Does this look like a channel id (`C0123ABCD`, `G...`) rather than a name?
fn is_channel_id(s: &str) -> bool {
    s.len() >= 9
        && (s.starts_with('C') || s.starts_with('G'))
        && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// The secrets the configured mode needs, read from the environment or files.
pub struct Secrets {
    bot_token: String,
    /// Socket Mode.
    app_token: Option<String>,
    /// HTTP mode.
    signing_secret: Option<String>,
}

impl Secrets {
    /// `Err`: every secret that is missing or unreadable, each saying where to put it.
    pub fn read(cfg: &SlackConfig) -> Result<Secrets, Vec<String>> {
        let mut problems = Vec::new();
        let mut get = |v, f, key: &str, env: &str, needed: bool| match read_secret(v, f, key) {
            Ok(Some(s)) => Some(s.expose().to_string()),
            Ok(None) => {
                if needed {
                    problems.push(format!(
                        "[slack] in {:?} mode needs {key}: set {env} or {key}_file",
                        cfg.mode
                    ));
                }
                None
            }
            Err(e) => {
                problems.push(e);
                None
            }
        };
        let bot_token = get(
            &cfg.bot_token,
            &cfg.bot_token_file,
            "slack.bot_token",
            "WARROOM_SLACK__BOT_TOKEN",
            true,
        );
        let app_token = get(
            &cfg.app_token,
            &cfg.app_token_file,
            "slack.app_token",
            "WARROOM_SLACK__APP_TOKEN",
            cfg.mode == SlackMode::Socket,
        );
        let signing_secret = get(
            &cfg.signing_secret,
            &cfg.signing_secret_file,
            "slack.signing_secret",
            "WARROOM_SLACK__SIGNING_SECRET",
            cfg.mode == SlackMode::Http,
        );
        match bot_token {
            Some(bot_token) if problems.is_empty() => Ok(Secrets {
                bot_token,
                app_token,
                signing_secret,
            }),
            _ => Err(problems),
        }
    }
}

impl SlackAdapter {
    /// Set up the bot with the secrets its mode needs (read once, by the settings). In HTTP mode, also returns the
    /// routes (`/slack/...`) to mount on the `http.listen` server.
    pub fn new(
        cfg: SlackConfig,
        secrets: Secrets,
        service: Arc<IncidentService>,
        router: Arc<Router>,
        budget: crate::limits::BodyBudget,
    ) -> Result<(SlackAdapter, Option<axum::Router>), ChatError> {
        let client = api::client(&cfg.api_url).map_err(fail)?;
        let bot = Arc::new(SlackBot::new(
            Api::new(client.clone(), &secrets.bot_token).pace("conversations.create", cfg.channels_per_minute),
            service,
            cfg,
            router,
        ));
        let routes = secrets
            .signing_secret
            .filter(|_| bot.cfg.mode == SlackMode::Http)
            .map(|secret| http_mode::router(Arc::clone(&bot), secret, budget));
        let app_token = secrets.app_token;
        Ok((SlackAdapter { bot, client, app_token }, routes))
    }

    async fn run_loop(self, shutdown: Shutdown) -> Result<(), ChatError> {
        let bot = self.bot;
        health().set(Platform::Slack.as_str(), false, "connecting");
        // Channel ids are known without asking Slack, so alerts count from the first event.
        {
            let mut map = bot.alert_channels.write().unwrap_or_else(|p| p.into_inner());
            for c in bot.cfg.alert_channels.iter().filter(|c| is_channel_id(c)) {
                map.insert(c.clone(), vec![c.clone()]);
            }
        }
        let mut queued = std::collections::HashSet::new();
        Outbox::restore(&bot, |job: &bot::Job| {
            if let bot::JobKind::OpenChannel { incident, .. } = &job.kind {
                queued.insert(*incident);
            }
        });
        bot.router.register(Arc::new(bot::SlackSink(Arc::clone(&bot)))).await;
        bot.reconcile(&queued).await;
        let result = match self.app_token {
            Some(app) if bot.cfg.mode == SlackMode::Socket => {
                // Know our workspace and app before the first envelope arrives.
                if !bot.identify(shutdown.clone()).await {
                    bot.outbox.finish().await;
                    return Ok(());
                }
                tokio::spawn(Arc::clone(&bot).watch(shutdown.clone()));
                socket::run(Arc::clone(&bot), self.client, app, shutdown).await
            }
            _ => {
                let (me, stop) = (Arc::clone(&bot), shutdown.clone());
                tokio::spawn(async move {
                    if me.identify(stop.clone()).await {
                        me.watch(stop).await;
                    }
                });
                tracing::info!("slack: ready (http mode)");
                let mut stop = shutdown;
                let _ = stop.wait_for(|s| *s).await;
                Ok(())
            }
        };
        bot.outbox.finish().await;
        result
    }
}

impl SlackBot {
    /// Open incidents meant to live in Slack (opened from Slack, or `open_in` it) that have no
    /// channel and no opening queued (a crash between the write and the queue, a store
    /// restored from a backup, a job an older version gave up) get their channel now.
    async fn reconcile(self: &Arc<Self>, queued: &std::collections::HashSet<crate::domain::IncidentId>) {
        let open = match self.service.store().incidents(false) {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(error = %e, "slack: cannot list open incidents");
                return;
            }
        };
        for inc in open {
            if inc.lives_on(Platform::Slack) && bot::slack_channel(&inc).is_none() && !queued.contains(&inc.id) {
                tracing::info!(incident = %inc.id, "slack: creating the channel an earlier run did not get");
                let announcement = crate::service::announcement(
                    &inc,
                    crate::domain::Source::Slack,
                    self.service.tz(),
                    self.service.lang(&inc),
                );
                self.enqueue(
                    bot::Lane::Incident(inc.id),
                    bot::JobKind::OpenChannel {
                        incident: inc.id,
                        announcement,
                        origin: None,
                        invite_also: None,
                        respond: None,
                    },
                )
                .await;
            }
        }
    }
}

/// How often the members of responder user groups are fetched again.
const GROUP_REFRESH: Duration = Duration::from_secs(300);

impl SlackBot {
    /// Learn who we are (`auth.test`) and which workspace and app requests must come from;
    /// Slack's transient failures are retried with backoff. `false`: shutdown came first.
    async fn identify(&self, mut shutdown: Shutdown) -> bool {
        let mut backoff = Duration::from_secs(1);
        loop {
            match self.api.auth_test().await.map_err(Failure::from) {
                Ok(me) => {
                    if !self.learn_origin(&me, &mut shutdown).await {
                        return false;
                    }
                    tracing::info!(user = %me.user, team = %me.team, "slack: authenticated");
                    if self.cfg.mode == SlackMode::Http {
                        health().set(Platform::Slack.as_str(), true, "connected (http mode)");
                    }
                    *self.me.write().unwrap_or_else(|p| p.into_inner()) = Some((me.user, me.bot));
                    return true;
                }
                Err(Failure::Permanent(why)) => {
                    tracing::error!(%why, "slack: the bot token was refused (auth.test); check WARROOM_SLACK__BOT_TOKEN");
                    health().set(Platform::Slack.as_str(), false, "bot token refused (auth.test)");
                    return true;
                }
                Err(f) => {
                    tracing::warn!(error = %f, retry_in_s = backoff.as_secs(), "slack: Web API unreachable");
                    health().set(Platform::Slack.as_str(), false, "Web API unreachable");
                    if !pause(&mut backoff, &mut shutdown).await {
                        return false;
                    }
                }
            }
        }
    }

    /// Fill in the workspace and app not configured: the token's workspace, and its bot's app
    /// (`bots.info`). A configured workspace that is not the token's is reported.
    async fn learn_origin(&self, me: &api::Identity, shutdown: &mut Shutdown) -> bool {
        let configured = self.origin.read().unwrap_or_else(|p| p.into_inner()).clone();
        match configured.team.as_deref() {
            Some(t) if t != me.team => tracing::error!(
                configured = %t, token = %me.team,
                "slack: [slack] team_id is not the workspace of the bot token; every request will be refused until one of them is corrected"
            ),
            Some(_) => {}
            None => self.origin.write().unwrap_or_else(|p| p.into_inner()).team = Some(me.team.clone()),
        }
        if configured.app.is_some() {
            return true;
        }
        let Some(bot) = &me.bot else {
            tracing::error!(
                "slack: auth.test named no bot for this token, so the app is unknown; set [slack] app_id (events are refused until then)"
            );
            return true;
        };
        let mut backoff = Duration::from_secs(1);
        loop {
            match self.api.bot_app(bot).await.map_err(Failure::from) {
                Ok(app) => {
                    self.origin.write().unwrap_or_else(|p| p.into_inner()).app = Some(app);
                    return true;
                }
                Err(Failure::Permanent(why)) => {
                    tracing::error!(%why, "slack: cannot learn the app id (bots.info); set [slack] app_id (events are refused until then)");
                    return true;
                }
                Err(f) => {
                    tracing::warn!(error = %f, retry_in_s = backoff.as_secs(), "slack: cannot learn the app id yet");
                    if !pause(&mut backoff, shutdown).await {
                        return false;
                    }
                }
            }
        }
    }

    /// Keep the members of the responder user groups (`[access] responders` `S…` ids) current.
    /// A failed fetch keeps the members last known (none before the first success).
    async fn refresh_groups(&self, mut shutdown: Shutdown) {
        let groups = self.service.access().slack_groups();
        if groups.is_empty() {
            return;
        }
        let mut first = true;
        loop {
            for g in &groups {
                match self.api.group_members(g).await {
                    Ok(members) => {
                        tracing::debug!(group = %g, members = members.len(), "slack: responder group members fetched");
                        self.groups
                            .write()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(g.clone(), members.into_iter().collect());
                    }
                    Err(e) => tracing::warn!(
                        group = %g, error = ?e,
                        "slack: cannot fetch the members of a responder user group (needs the usergroups:read scope); its members are refused until it works"
                    ),
                }
            }
            if std::mem::take(&mut first) {
                let known = self.groups.read().unwrap_or_else(|p| p.into_inner()).len();
                tracing::info!(groups = groups.len(), known, "slack: responder groups loaded");
            }
            tokio::select! {
                _ = tokio::time::sleep(GROUP_REFRESH) => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
        }
    }

    /// After `identify`: names of responders, the alert channels (resolved and joined), then
    /// the responder groups, kept current until shutdown.
    async fn watch(self: Arc<Self>, mut shutdown: Shutdown) {
        for user in self.cfg.responders.clone() {
            self.api.learn_name(&user).await;
        }
        for name in self.cfg.alert_channels.clone() {
            let mut backoff = Duration::from_secs(1);
            let id = loop {
                if is_channel_id(&name) {
                    break name.clone();
                }
                match self
                    .api
                    .find_channel(name.trim_start_matches('#'))
                    .await
                    .map_err(Failure::from)
                {
                    Ok(Some((id, _, _))) => {
                        self.alert_channels
                            .write()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(id.clone(), vec![id.clone(), name.clone()]);
                        break id;
                    }
                    Ok(None) | Err(Failure::Permanent(_)) => {
                        tracing::error!(channel = %name, "slack: alert channel not found; fix slack.alert_channels");
                        break String::new();
                    }
                    Err(f) => {
                        tracing::warn!(channel = %name, error = %f, "slack: cannot look up alert channel yet");
                        if !pause(&mut backoff, &mut shutdown).await {
                            return;
                        }
                    }
                }
            };
            if id.is_empty() {
                continue;
            }
            // Joined with retries while Slack is unreachable: replies in the alert channel's
            // threads need the bot to be a member.
            let mut backoff = Duration::from_secs(1);
            loop {
                match self.api.join(&id).await.map_err(Failure::from) {
                    Ok(()) => break,
                    Err(Failure::Permanent(e)) => {
                        tracing::warn!(channel = %name, error = %e, "slack: cannot join alert channel; invite the bot to it");
                        break;
                    }
                    Err(f) => {
                        tracing::warn!(channel = %name, error = %f, "slack: cannot join alert channel yet; retrying");
                        if !pause(&mut backoff, &mut shutdown).await {
                            return;
                        }
                    }
                }
            }
        }
        self.refresh_groups(shutdown).await;
    }
}

impl ChatAdapter for SlackAdapter {
    fn name(&self) -> &'static str {
        Platform::Slack.as_str()
    }

    fn run(
        self: Box<Self>,
        _service: Arc<IncidentService>,
        shutdown: Shutdown,
    ) -> Pin<Box<dyn Future<Output = Result<(), ChatError>> + Send>> {
        Box::pin((*self).run_loop(shutdown))
    }
}
