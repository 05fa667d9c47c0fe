//! The Slack Web API as warroom uses it, over slack-morphism's client: every call has a
//! timeout, honours `429 Retry-After` per method (the next call of that method waits), and
//! maps errors to retry decisions. `api_url` is configurable so tests talk to a local fake.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use tokio::time::Instant;

use super::text::{Blocks, escape};
use crate::chat::outbox::Failure;

/// Slack's Web API answers within seconds; a call that takes longer is treated as failed.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// One Web API call: wait out the method's `Retry-After`, open a session as `$s`, run `$call`
/// with the timeout, map the outcome. (A macro because the call borrows the session.)
macro_rules! call {
    ($api:expr, $method:literal, |$s:ident| $call:expr) => {{
        $api.gate($method).await;
        let $s = $api.session();
        let outcome = tokio::time::timeout(CALL_TIMEOUT, $call).await;
        $api.finish($method, outcome)
    }};
}

pub type Connector =
    SlackClientHyperConnector<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>>;
pub type Client = SlackClient<Connector>;

/// The connector: https, or plain http for a local test server.
pub fn client(api_url: &str) -> Result<Arc<Client>, String> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| {
            format!("cannot load the system's TLS root certificates ({e}); install the ca-certificates package")
        })?
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .build();
    let url = api_url.trim_end_matches('/');
    Ok(Arc::new(SlackClient::new(
        SlackClientHyperConnector::with_connector(https).with_slack_api_url(url),
    )))
}

/// What a failed call means.
#[derive(Debug)]
pub enum ApiError {
    /// Slack answered `ok: false` with this error code.
    Slack(String),
    /// Rate limited, retried later, or unreachable: see the failure.
    Other(Failure),
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Slack(code) => match code.as_str() {
                "ratelimited" => Failure::RateLimited(Duration::from_secs(1)),
                "internal_error" | "fatal_error" | "service_unavailable" | "request_timeout" | "team_added_to_org" => {
                    Failure::Transient(format!("Slack error {code}"))
                }
                _ => Failure::Permanent(format!("Slack error {code}")),
            },
            ApiError::Other(f) => f,
        }
    }
}

/// A plain HTTP request outside the Web API (upload URL, `response_url`): 5xx and network
/// trouble may pass, other refusals will not.
async fn send_plain(what: &str, req: reqwest::RequestBuilder) -> Result<(), ApiError> {
    let resp = tokio::time::timeout(CALL_TIMEOUT, req.send())
        .await
        .map_err(|_| ApiError::Other(Failure::Transient(format!("{what}: no answer"))))?
        .map_err(|e| ApiError::Other(Failure::Transient(format!("{what}: {e}"))))?;
    let s = resp.status();
    if s.is_success() {
        return Ok(());
    }
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    Err(ApiError::Other(Failure::from_status(
        s.as_u16(),
        retry_after,
        format!("{what}: HTTP {s}"),
    )))
}

pub struct Api {
    pub client: Arc<Client>,
    token: SlackApiToken,
    http: reqwest::Client,
    /// Per method: do not call before this instant (from `Retry-After`).
    not_before: Mutex<HashMap<&'static str, Instant>>,
    /// Methods paced by us (Slack's tiers): calls queue in order, none is dropped.
    paces: Mutex<HashMap<&'static str, Pace>>,
    names: Mutex<HashMap<String, String>>,
    /// User names (handles, unique in the workspace) by user id.
    handles: Mutex<HashMap<String, String>>,
}

/// A method's pace (a generic cell rate): `burst` calls at once, then one per `interval`.
/// Each call takes its turn when it asks, so concurrent callers queue in order.
#[derive(Debug, Clone, Copy)]
struct Pace {
    interval: Duration,
    burst: u32,
    /// When the queue of turns taken so far drains.
    drained: Instant,
}

impl Pace {
    fn new(interval: Duration, burst: u32, now: Instant) -> Pace {
        Pace {
            interval,
            burst,
            drained: now,
        }
    }

    /// Take the next turn at `now`; how long to wait for it.
    fn take(&mut self, now: Instant) -> Duration {
        let start = self.drained.max(now);
        self.drained = start + self.interval;
        let allowance = self.interval * self.burst;
        (self.drained - allowance).saturating_duration_since(now)
    }
}

/// Who the bot token belongs to (`auth.test`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user: String,
    pub bot: Option<String>,
    pub team: String,
}

impl Api {
    pub fn new(client: Arc<Client>, bot_token: &str) -> Api {
        Api {
            client,
            token: SlackApiToken::new(bot_token.to_string().into()),
            http: reqwest::Client::new(),
            not_before: Mutex::new(HashMap::new()),
            paces: Mutex::new(HashMap::new()),
            names: Mutex::new(HashMap::new()),
            handles: Mutex::new(HashMap::new()),
        }
    }

    /// Pace `method` to at most `per_minute` calls a minute (a burst of that many first);
    /// 0 leaves it unpaced.
    pub fn pace(self, method: &'static str, per_minute: u64) -> Api {
        if per_minute > 0 {
            let interval = Duration::from_secs(60) / u32::try_from(per_minute).unwrap_or(u32::MAX);
            let burst = u32::try_from(per_minute).unwrap_or(u32::MAX);
            self.paces
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(method, Pace::new(interval, burst, Instant::now()));
        }
        self
    }

    /// Wait out any `Retry-After` Slack gave for `method`, and its turn when it is paced.
    async fn gate(&self, method: &'static str) {
        let turn = self
            .paces
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(method)
            .map(|p| p.take(Instant::now()));
        if let Some(wait) = turn.filter(|w| !w.is_zero()) {
            tracing::info!(
                method,
                wait_ms = wait.as_millis() as u64,
                "slack: pacing a rate-limited method"
            );
            tokio::time::sleep(wait).await;
        }
        let wait = self
            .not_before
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(method)
            .copied();
        if let Some(t) = wait {
            tokio::time::sleep_until(t).await;
        }
    }

    /// Make the next call of `method` wait `d`.
    fn wait_for(&self, method: &'static str, d: Duration) {
        self.not_before
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(method, Instant::now() + d);
    }

    fn session(&self) -> SlackClientSession<'_, Connector> {
        self.client.open_session(&self.token)
    }

    /// Map a call's outcome (or its timeout) to our errors; a 429 sets the method's wait.
    fn finish<T>(
        &self,
        method: &'static str,
        outcome: Result<ClientResult<T>, tokio::time::error::Elapsed>,
    ) -> Result<T, ApiError> {
        let result = outcome.map_err(|_| {
            ApiError::Other(Failure::Transient(format!(
                "{method}: no answer within {CALL_TIMEOUT:?}"
            )))
        })?;
        result.map_err(|e| match e {
            SlackClientError::ApiError(a) if a.code == "ratelimited" => {
                self.wait_for(method, Duration::from_secs(1));
                ApiError::Slack(a.code)
            }
            SlackClientError::ApiError(a) => ApiError::Slack(a.code),
            SlackClientError::RateLimitError(r) => {
                let d = r
                    .retry_after
                    .unwrap_or(Duration::from_secs(1))
                    .min(Duration::from_secs(300));
                self.wait_for(method, d);
                tracing::warn!(
                    method,
                    retry_after_ms = d.as_millis() as u64,
                    "slack: rate limited (429)"
                );
                ApiError::Other(Failure::RateLimited(d))
            }
            SlackClientError::HttpError(h) => ApiError::Other(Failure::from_status(
                h.status_code.as_u16(),
                None,
                format!("{method}: HTTP {}", h.status_code),
            )),
            SlackClientError::ProtocolError(p) => ApiError::Other(Failure::Permanent(format!("{method}: {p}"))),
            other => ApiError::Other(Failure::Transient(format!("{method}: {other}"))),
        })
    }

    /// `auth.test`: the bot's user id, bot id and workspace id.
    pub async fn auth_test(&self) -> Result<Identity, ApiError> {
        let r = call!(self, "auth.test", |s| s.auth_test())?;
        Ok(Identity {
            user: r.user_id.to_string(),
            bot: r.bot_id.map(|b| b.to_string()),
            team: r.team_id.to_string(),
        })
    }

    /// `bots.info`: the app a bot belongs to.
    pub async fn bot_app(&self, bot: &str) -> Result<String, ApiError> {
        let req = SlackApiBotsInfoRequest::new().with_bot(bot.to_string());
        let r = call!(self, "bots.info", |s| s.bots_info(&req))?;
        Ok(r.bot.app_id)
    }

    /// `usergroups.users.list`: the members of a user group.
    pub async fn group_members(&self, group: &str) -> Result<Vec<String>, ApiError> {
        let req = SlackApiUserGroupsUsersListRequest::new(group.to_string().into());
        let r = call!(self, "usergroups.users.list", |s| s.usergroups_users_list(&req))?;
        Ok(r.users.into_iter().map(|u| u.to_string()).collect())
    }

    /// `chat.postMessage` of plain `text` (escaped here for mrkdwn: user text in it is shown,
    /// never a mention or a link); returns the message's ts.
    pub async fn post(
        &self,
        channel: &str,
        text: &str,
        blocks: Option<Blocks>,
        thread_ts: Option<&str>,
    ) -> Result<String, ApiError> {
        let mut content = SlackMessageContent::new().with_text(escape(text));
        if let Some(b) = blocks {
            content = content.with_blocks(b.into_blocks());
        }
        let mut req = SlackApiChatPostMessageRequest::new(channel.to_string().into(), content);
        if let Some(ts) = thread_ts {
            req = req.with_thread_ts(ts.to_string().into());
        }
        let r = call!(self, "chat.postMessage", |s| s.chat_post_message(&req))?;
        Ok(r.ts.to_string())
    }

    /// `conversations.create` (a private channel with `private`); returns the new channel's id.
    pub async fn create_channel(&self, name: &str, private: bool) -> Result<String, ApiError> {
        let req = SlackApiConversationsCreateRequest::new(name.to_string()).with_is_private(private);
        let r = call!(self, "conversations.create", |s| s.conversations_create(&req))?;
        Ok(r.channel.id.to_string())
    }

    /// Find a channel by name (paging through `conversations.list`): (id, creator, created).
    pub async fn find_channel(&self, name: &str) -> Result<Option<(String, Option<String>, i64)>, ApiError> {
        let mut cursor: Option<SlackCursorId> = None;
        for _ in 0..100 {
            let mut req = SlackApiConversationsListRequest::new()
                .with_limit(1000)
                .with_exclude_archived(false)
                .with_types(vec![SlackConversationType::Public, SlackConversationType::Private]);
            if let Some(c) = cursor.take() {
                req = req.with_cursor(c);
            }
            let r = call!(self, "conversations.list", |s| s.conversations_list(&req))?;
            if let Some(c) = r.channels.iter().find(|c| c.name.as_deref() == Some(name)) {
                return Ok(Some((
                    c.id.to_string(),
                    c.creator.as_ref().map(|u| u.to_string()),
                    c.created.0.as_second(),
                )));
            }
            match r
                .response_metadata
                .and_then(|m| m.next_cursor)
                .filter(|c| !c.0.is_empty())
            {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        Ok(None)
    }

    /// One message of a channel by its `ts`: `conversations.history` (`latest=ts`, inclusive,
    /// one message) finds a channel message; a thread reply is only in its thread, so then
    /// `conversations.replies`. `None`: no such message (deleted, or not visible to the bot).
    pub async fn message(&self, channel: &str, ts: &str) -> Result<Option<SlackHistoryMessage>, ApiError> {
        let req = SlackApiConversationsHistoryRequest::new()
            .with_channel(channel.to_string().into())
            .with_latest(ts.to_string().into())
            .with_inclusive(true)
            .with_limit(1);
        let r = call!(self, "conversations.history", |s| s.conversations_history(&req))?;
        if let Some(m) = r.messages.into_iter().find(|m| m.origin.ts.0 == ts) {
            return Ok(Some(m));
        }
        let req = SlackApiConversationsRepliesRequest::new(channel.to_string().into(), ts.to_string().into())
            .with_latest(ts.to_string().into())
            .with_oldest(ts.to_string().into())
            .with_inclusive(true)
            .with_limit(2);
        match call!(self, "conversations.replies", |s| s.conversations_replies(&req)) {
            Ok(r) => Ok(r.messages.into_iter().find(|m| m.origin.ts.0 == ts)),
            Err(ApiError::Slack(code)) if code == "thread_not_found" || code == "message_not_found" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `chat.update`: replace the text and blocks of a message the bot posted (the incident
    /// card). Text is escaped as in `post`.
    pub async fn update(&self, channel: &str, ts: &str, text: &str, blocks: Blocks) -> Result<(), ApiError> {
        let content = SlackMessageContent::new()
            .with_text(escape(text))
            .with_blocks(blocks.into_blocks());
        let req = SlackApiChatUpdateRequest::new(channel.to_string().into(), content, ts.to_string().into());
        call!(self, "chat.update", |s| s.chat_update(&req)).map(|_| ())
    }

    /// `views.open`: show a modal (the declare dialog) to whoever triggered `trigger_id`.
    pub async fn open_view(&self, trigger_id: &str, view: SlackView) -> Result<(), ApiError> {
        let req = SlackApiViewsOpenRequest::new(trigger_id.to_string().into(), view);
        call!(self, "views.open", |s| s.views_open(&req)).map(|_| ())
    }

    /// `chat.getPermalink`: a link to a message.
    pub async fn permalink(&self, channel: &str, ts: &str) -> Result<String, ApiError> {
        let req = SlackApiChatGetPermalinkRequest::new(channel.to_string().into(), ts.to_string().into());
        let r = call!(self, "chat.getPermalink", |s| s.chat_get_permalink(&req))?;
        Ok(r.permalink.to_string())
    }

    pub async fn invite(&self, channel: &str, user: &str) -> Result<(), ApiError> {
        let req = SlackApiConversationsInviteRequest::new(channel.to_string().into(), vec![user.to_string().into()]);
        call!(self, "conversations.invite", |s| s.conversations_invite(&req)).map(|_| ())
    }

    pub async fn join(&self, channel: &str) -> Result<(), ApiError> {
        let req = SlackApiConversationsJoinRequest::new(channel.to_string().into());
        call!(self, "conversations.join", |s| s.conversations_join(&req)).map(|_| ())
    }

    /// Topics are not formatted by Slack ("does not support formatting or linkification"), so
    /// the topic goes as it is: escaping would show `&lt;`.
    pub async fn set_topic(&self, channel: &str, topic: &str) -> Result<(), ApiError> {
        let req = SlackApiConversationsSetTopicRequest::new(channel.to_string().into(), topic.to_string());
        call!(self, "conversations.setTopic", |s| s.conversations_set_topic(&req)).map(|_| ())
    }

    /// Upload a file into a channel with the current flow: `files.getUploadURLExternal`, POST
    /// the bytes to the URL it returns, `files.completeUploadExternal`.
    pub async fn upload(&self, channel: &str, name: &str, title: &str, bytes: Vec<u8>) -> Result<(), ApiError> {
        let req = SlackApiFilesGetUploadUrlExternalRequest::new(name.to_string(), bytes.len());
        let url = call!(self, "files.getUploadURLExternal", |s| s.get_upload_url_external(&req))?;
        send_plain("file upload", self.http.post(url.upload_url.0.as_str()).body(bytes)).await?;
        let done = SlackApiFilesCompleteUploadExternalRequest::new(vec![
            SlackApiFilesComplete::new(url.file_id).with_title(title.to_string()),
        ])
        .with_channel_id(channel.to_string().into());
        call!(self, "files.completeUploadExternal", |s| s
            .files_complete_upload_external(&done))
        .map(|_| ())
    }

    /// A person's display name, looked up now if it is not cached (for paths that may wait on
    /// the network: capture fetches the message anyway).
    pub async fn user_name_now(self: &Arc<Self>, user: &str) -> String {
        let cached = self.names.lock().unwrap_or_else(|p| p.into_inner()).get(user).cloned();
        if let Some(n) = cached {
            return n;
        }
        self.learn_name(user).await;
        self.user_name(user)
    }

    /// A person's display name from the cache, else their user id while the name is looked
    /// up in the background: never a network call on the acknowledgement path.
    pub fn user_name(self: &Arc<Self>, user: &str) -> String {
        if let Some(n) = self.names.lock().unwrap_or_else(|p| p.into_inner()).get(user) {
            return n.clone();
        }
        let me = Arc::clone(self);
        let user_id = user.to_string();
        tokio::spawn(async move { me.learn_name(&user_id).await });
        user.to_string()
    }

    /// Look a display name up (`users.info`) and cache it.
    pub async fn learn_name(&self, user: &str) {
        let req = SlackApiUsersInfoRequest::new(user.to_string().into());
        if let Ok(r) = call!(self, "users.info", |s| s.users_info(&req)) {
            let u = r.user;
            let name = u
                .profile
                .as_ref()
                .and_then(|p| {
                    p.display_name
                        .clone()
                        .filter(|n| !n.is_empty())
                        .or_else(|| p.real_name.clone())
                })
                .or(u.name.clone())
                .unwrap_or_else(|| user.to_string());
            if let Some(handle) = u.name.clone().filter(|h| !h.is_empty()) {
                self.handles
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(user.to_string(), handle);
            }
            self.names
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(user.to_string(), name);
        }
    }

    /// A person's user name (handle), if it was looked up already.
    pub fn user_handle(&self, user: &str) -> Option<String> {
        self.handles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(user)
            .cloned()
    }

    /// POST a delayed answer (plain text, escaped here) to a slash command's `response_url`.
    pub async fn respond(&self, response_url: &str, text: &str) -> Result<(), ApiError> {
        let body = serde_json::json!({"response_type": "in_channel", "text": escape(text)});
        send_plain("response_url", self.http.post(response_url).json(&body)).await
    }
}

#[cfg(test)]
mod pace_tests {
    use super::*;

    /// A burst of `per_minute` calls goes at once; the next ones wait their turn, in order.
    #[test]
    fn a_paced_method_bursts_then_queues() {
        let t0 = Instant::now();
        let mut p = Pace::new(Duration::from_secs(3), 20, t0);
        let waits: Vec<Duration> = (0..22).map(|_| p.take(t0)).collect();
        assert!(waits[..20].iter().all(|w| w.is_zero()), "{waits:?}");
        assert_eq!(waits[20], Duration::from_secs(3));
        assert_eq!(waits[21], Duration::from_secs(6));
        // After a quiet minute the burst is available again.
        let later = t0 + Duration::from_secs(200);
        assert!(p.take(later).is_zero());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::Json;
    use axum::body::Bytes;
    use axum::routing::post;
    use serde_json::{Value, json};

    use super::*;
    use crate::domain::{IncidentId, Opening, Person, Source};

    const EVIL: &str = "<!channel> <!here> <@U123> <https://evil.example|re-login here> & more";
    const SHOWN: &str =
        "&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;https://evil.example|re-login here&gt; &amp; more";

    /// A local stand-in for the Web API and a `response_url`, keeping every JSON body.
    async fn server() -> (String, Arc<Mutex<Vec<Value>>>) {
        let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
        let keep = |seen: Arc<Mutex<Vec<Value>>>, answer: Value| {
            move |body: Bytes| async move {
                seen.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
                Json(answer)
            }
        };
        let app = axum::Router::new()
            .route(
                "/chat.postMessage",
                post(keep(
                    seen.clone(),
                    json!({"ok": true, "channel": "C1", "ts": "1.000001",
                           "message": {"type": "message", "text": "x", "user": "UBOT", "ts": "1.000001"}}),
                )),
            )
            .route("/respond", post(keep(seen.clone(), json!({"ok": true}))));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, seen)
    }

    /// Socket Mode's websocket has TLS compiled in (slack-morphism's `hyper-base` leaves it out;
    /// our own `tokio-tungstenite` features put it back, on the same aws-lc-rs provider as
    /// everything else): a `wss://` URL gets as far as a TLS handshake, which a server that
    /// does not speak TLS then fails.
    #[tokio::test]
    async fn socket_modes_websocket_speaks_tls() {
        use tokio::io::AsyncWriteExt;
        use tokio_tungstenite::tungstenite::{Error, error::UrlError};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let _ = s.write_all(b"HTTP/1.1 400 not TLS\r\n\r\n").await;
        });
        let err = tokio_tungstenite::connect_async(format!("wss://localhost:{port}/link"))
            .await
            .unwrap_err();
        assert!(!matches!(err, Error::Url(UrlError::TlsFeatureNotEnabled)), "{err}");
        assert!(
            matches!(err, Error::Tls(_) | Error::Io(_)),
            "a TLS handshake failure, got {err}"
        );
        // The Web API's connector builds with the one provider compiled in.
        assert!(client("https://slack.com/api").is_ok());
    }

    /// The send boundary: whatever plain text the bot hands over, what Slack receives has user
    /// text escaped once (text, fallback, section blocks, response_url answers); the header
    /// block is plain_text and goes as it is.
    #[tokio::test]
    async fn text_leaves_for_slack_escaped_once() {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let (url, seen) = server().await;
        let api = Api::new(client(&url).unwrap(), "xoxb-test");
        let (inc, _) = crate::domain::Incident::open(Opening {
            source: Source::Slack,
            ..Opening::by_hand(IncidentId(3), EVIL, Person::new("U1", "alice"), chrono::Utc::now())
        })
        .unwrap();
        let announcement = format!("🚨 INC-3: {EVIL}");
        api.post(
            "C1",
            &announcement,
            Some(super::super::text::announcement_blocks(
                &inc,
                &announcement,
                &chrono_tz::UTC,
            )),
            None,
        )
        .await
        .unwrap();
        api.post("C1", &format!("✎ bob (matrix): `timeline {EVIL}`"), None, None)
            .await
            .unwrap();
        api.respond(&format!("{url}/respond"), EVIL).await.unwrap();
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert_eq!(seen[0]["text"], format!("🚨 INC-3: {SHOWN}"));
        assert_eq!(seen[0]["blocks"][0]["text"]["type"], "plain_text");
        assert_eq!(seen[0]["blocks"][0]["text"]["text"], format!("🚨 INC-3: {EVIL}"));
        assert_eq!(seen[0]["blocks"][1]["text"]["text"], format!("🚨 INC-3: {SHOWN}"));
        assert_eq!(seen[1]["text"], format!("✎ bob (matrix): `timeline {SHOWN}`"));
        assert_eq!(seen[2], json!({"response_type": "in_channel", "text": SHOWN}));
    }
}
