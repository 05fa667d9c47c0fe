//! The Slack Web API as warroom uses it, over slack-morphism's client: every call has a
//! timeout, honours `429 Retry-After` per method (the next call of that method waits), and
//! maps errors to retry decisions. `api_url` is configurable so tests talk to a local fake.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use tokio::time::Instant;

use crate::chat::outbox::Failure;

/// Slack's Web API answers within seconds; a call that takes longer is treated as failed.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

pub type Connector =
    SlackClientHyperConnector<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>>;
pub type Client = SlackClient<Connector>;

/// The connector: https, or plain http for a local test server.
pub fn client(api_url: &str) -> Result<Arc<Client>, String> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| format!("cannot load the system's TLS root certificates: {e}"))?
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

pub struct Api {
    pub client: Arc<Client>,
    token: SlackApiToken,
    http: reqwest::Client,
    /// Per method: do not call before this instant (from `Retry-After`).
    not_before: Mutex<HashMap<&'static str, Instant>>,
    names: Mutex<HashMap<String, String>>,
}

impl Api {
    pub fn new(client: Arc<Client>, bot_token: &str) -> Api {
        Api {
            client,
            token: SlackApiToken::new(bot_token.to_string().into()),
            http: reqwest::Client::new(),
            not_before: Mutex::new(HashMap::new()),
            names: Mutex::new(HashMap::new()),
        }
    }

    /// Wait out any `Retry-After` Slack gave for `method`.
    async fn gate(&self, method: &'static str) {
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
                self.not_before
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(method, Instant::now() + d);
                tracing::warn!(
                    method,
                    retry_after_ms = d.as_millis() as u64,
                    "slack: rate limited (429)"
                );
                ApiError::Other(Failure::RateLimited(d))
            }
            SlackClientError::HttpError(h) if h.status_code.is_client_error() => {
                ApiError::Other(Failure::Permanent(format!("{method}: HTTP {}", h.status_code)))
            }
            SlackClientError::ProtocolError(p) => ApiError::Other(Failure::Permanent(format!("{method}: {p}"))),
            other => ApiError::Other(Failure::Transient(format!("{method}: {other}"))),
        })
    }

    /// `auth.test`: the bot's user id and bot id.
    pub async fn auth_test(&self) -> Result<(String, Option<String>), ApiError> {
        let r = {
            self.gate("auth.test").await;
            let s = self.session();
            let outcome = tokio::time::timeout(CALL_TIMEOUT, s.auth_test()).await;
            self.finish("auth.test", outcome)
        }?;
        Ok((r.user_id.to_string(), r.bot_id.map(|b| b.to_string())))
    }

    /// `chat.postMessage`; returns the message's ts.
    pub async fn post(
        &self,
        channel: &str,
        text: &str,
        blocks: Option<serde_json::Value>,
        thread_ts: Option<&str>,
    ) -> Result<String, ApiError> {
        let blocks: Option<Vec<SlackBlock>> = match blocks {
            Some(b) => Some(
                serde_json::from_value(b)
                    .map_err(|e| ApiError::Other(Failure::Permanent(format!("bad blocks: {e}"))))?,
            ),
            None => None,
        };
        let mut content = SlackMessageContent::new().with_text(text.to_string());
        if let Some(b) = blocks {
            content = content.with_blocks(b);
        }
        let mut req = SlackApiChatPostMessageRequest::new(channel.to_string().into(), content);
        if let Some(ts) = thread_ts {
            req = req.with_thread_ts(ts.to_string().into());
        }
        let r = {
            self.gate("chat.postMessage").await;
            let s = self.session();
            let outcome = tokio::time::timeout(CALL_TIMEOUT, s.chat_post_message(&req)).await;
            self.finish("chat.postMessage", outcome)
        }?;
        Ok(r.ts.to_string())
    }

    /// `conversations.create`; returns the new channel's id.
    pub async fn create_channel(&self, name: &str) -> Result<String, ApiError> {
        let req = SlackApiConversationsCreateRequest::new(name.to_string()).with_is_private(false);
        let r = {
            self.gate("conversations.create").await;
            let s = self.session();
            let outcome = tokio::time::timeout(CALL_TIMEOUT, s.conversations_create(&req)).await;
            self.finish("conversations.create", outcome)
        }?;
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
            let r = {
                self.gate("conversations.list").await;
                let s = self.session();
                let outcome = tokio::time::timeout(CALL_TIMEOUT, s.conversations_list(&req)).await;
                self.finish("conversations.list", outcome)
            }?;
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

    pub async fn invite(&self, channel: &str, user: &str) -> Result<(), ApiError> {
        let req = SlackApiConversationsInviteRequest::new(channel.to_string().into(), vec![user.to_string().into()]);
        {
            self.gate("conversations.invite").await;
            let s = self.session();
            let outcome = tokio::time::timeout(CALL_TIMEOUT, s.conversations_invite(&req)).await;
            self.finish("conversations.invite", outcome)
        }
        .map(|_| ())
    }

    pub async fn join(&self, channel: &str) -> Result<(), ApiError> {
        let req = SlackApiConversationsJoinRequest::new(channel.to_string().into());
        {
            self.gate("conversations.join").await;
            let s = self.session();
            let outcome = tokio::time::timeout(CALL_TIMEOUT, s.conversations_join(&req)).await;
            self.finish("conversations.join", outcome)
        }
        .map(|_| ())
    }

    pub async fn set_topic(&self, channel: &str, topic: &str) -> Result<(), ApiError> {
        let req = SlackApiConversationsSetTopicRequest::new(channel.to_string().into(), topic.to_string());
        {
            self.gate("conversations.setTopic").await;
            let s = self.session();
            let outcome = tokio::time::timeout(CALL_TIMEOUT, s.conversations_set_topic(&req)).await;
            self.finish("conversations.setTopic", outcome)
        }
        .map(|_| ())
    }

    /// Upload a file into a channel with the current flow: `files.getUploadURLExternal`, POST
    /// the bytes to the URL it returns, `files.completeUploadExternal`.
    pub async fn upload(&self, channel: &str, name: &str, title: &str, bytes: Vec<u8>) -> Result<(), ApiError> {
        let req = SlackApiFilesGetUploadUrlExternalRequest::new(name.to_string(), bytes.len());
        let url = {
            self.gate("files.getUploadURLExternal").await;
            let s = self.session();
            let outcome = tokio::time::timeout(CALL_TIMEOUT, s.get_upload_url_external(&req)).await;
            self.finish("files.getUploadURLExternal", outcome)
        }?;
        let resp = tokio::time::timeout(
            CALL_TIMEOUT,
            self.http.post(url.upload_url.0.as_str()).body(bytes).send(),
        )
        .await
        .map_err(|_| ApiError::Other(Failure::Transient("file upload: no answer".into())))?
        .map_err(|e| ApiError::Other(Failure::Transient(format!("file upload: {e}"))))?;
        if !resp.status().is_success() {
            let f = if resp.status().is_server_error() {
                Failure::Transient(format!("file upload: HTTP {}", resp.status()))
            } else {
                Failure::Permanent(format!("file upload: HTTP {}", resp.status()))
            };
            return Err(ApiError::Other(f));
        }
        let done = SlackApiFilesCompleteUploadExternalRequest::new(vec![
            SlackApiFilesComplete::new(url.file_id).with_title(title.to_string()),
        ])
        .with_channel_id(channel.to_string().into());
        {
            self.gate("files.completeUploadExternal").await;
            let s = self.session();
            let outcome = tokio::time::timeout(CALL_TIMEOUT, s.files_complete_upload_external(&done)).await;
            self.finish("files.completeUploadExternal", outcome)
        }
        .map(|_| ())
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
        self.gate("users.info").await;
        let s = self.session();
        let outcome = tokio::time::timeout(CALL_TIMEOUT, s.users_info(&req)).await;
        if let Ok(r) = self.finish("users.info", outcome) {
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
            self.names
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(user.to_string(), name);
        }
    }

    /// POST a delayed answer to a slash command's `response_url`.
    pub async fn respond(&self, response_url: &str, text: &str) -> Result<(), ApiError> {
        let body = serde_json::json!({"response_type": "in_channel", "text": text});
        let resp = tokio::time::timeout(CALL_TIMEOUT, self.http.post(response_url).json(&body).send())
            .await
            .map_err(|_| ApiError::Other(Failure::Transient("response_url: no answer".into())))?
            .map_err(|e| ApiError::Other(Failure::Transient(format!("response_url: {e}"))))?;
        match resp.status() {
            s if s.is_success() => Ok(()),
            s if s.is_server_error() => Err(ApiError::Other(Failure::Transient(format!("response_url: HTTP {s}")))),
            s => Err(ApiError::Other(Failure::Permanent(format!("response_url: HTTP {s}")))),
        }
    }
}
