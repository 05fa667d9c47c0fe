//! A local fake of Slack that follows Slack's documented formats: the Web API methods warroom
//! uses (with `ok:false` and the documented error codes where Slack would refuse), the file
//! upload URL, `response_url`, and Socket Mode (`apps.connections.open` → a WebSocket that sends
//! `hello` and envelopes and records acks). Faults can be injected per method: a 429 with
//! `Retry-After`, a hang, or being down altogether.

mod api;
mod socket;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::mpsc;

pub const BOT_TOKEN: &str = "xoxb-fake-bot-token";
pub const APP_TOKEN: &str = "xapp-fake-app-token";
pub const BOT_USER: &str = "UBOTWARROOM";
pub const BOT_ID: &str = "BBOTWARROOM";
pub const APP_ID: &str = "A0WARROOM1";
pub const TEAM: &str = "T0FAKETEAM";
/// A person in the fake workspace (the responder in tests).
pub const ALICE: &str = "UALICE0001";
/// The signing secret of HTTP-mode bots (the example secret of Slack's documentation).
pub const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub params: Value,
    pub at: Instant,
}

#[derive(Debug, Clone)]
pub struct Channel {
    pub id: String,
    pub name: String,
    pub creator: String,
    pub created: i64,
    pub topic: String,
    pub members: Vec<String>,
    /// Created with `is_private` (a private channel).
    pub private: bool,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub channel: String,
    pub text: String,
    pub blocks: Option<Value>,
    pub thread_ts: Option<String>,
    pub ts: String,
    /// How many times `chat.update` replaced it.
    pub updates: u32,
}

#[derive(Debug, Clone, Default)]
pub struct File {
    pub id: String,
    pub name: String,
    pub content: Vec<u8>,
    pub channel: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer HTTP 429 with `Retry-After: secs` once.
    RateLimit(u64),
    /// Wait this long before answering, every time.
    Hang(Duration),
    /// Do what was asked, then answer HTTP 500 as if the answer got lost (once).
    LoseAnswer,
    /// Answer with this status and body instead (once): a truncated JSON, a proxy's HTML
    /// error page, an error Slack returns. `perform`: do what was asked first.
    Answer {
        status: u16,
        body: &'static str,
        perform: bool,
    },
}

#[derive(Default)]
pub struct State {
    pub calls: Vec<Call>,
    pub channels: Vec<Channel>,
    pub messages: Vec<Message>,
    pub files: Vec<File>,
    pub users: HashMap<String, String>,
    pub faults: HashMap<String, Fault>,
    pub down: bool,
    pub acks: Vec<Value>,
    /// Socket Mode connections that got their `hello`.
    pub sockets: u64,
    pub responses: Vec<Value>,
    pub next: u64,
    /// User groups (`S…`) and their members, for `usergroups.users.list`.
    pub groups: HashMap<String, Vec<String>>,
    /// Messages people posted (channel, message as `conversations.history` returns it).
    pub people: Vec<(String, Value)>,
    /// Modals opened with `views.open` (trigger id, view).
    pub views: Vec<(String, Value)>,
}

impl State {
    pub fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{:08}", self.next)
    }

    pub fn ts(&mut self) -> String {
        self.next += 1;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        format!("{}.{:06}", now.as_secs(), self.next % 1_000_000)
    }
}

#[derive(Clone)]
pub struct Fake {
    pub url: String,
    pub state: Arc<Mutex<State>>,
    envelopes: mpsc::UnboundedSender<Value>,
}

impl Fake {
    pub async fn start() -> Fake {
        crate::support::init_crypto();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake slack");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new(State::default()));
        {
            let mut s = state.lock().unwrap();
            s.users.insert(ALICE.into(), "alice".into());
            s.users.insert("UBOB000001".into(), "bob".into());
            s.users.insert(BOT_USER.into(), "warroom".into());
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = api::Shared {
            url: url.clone(),
            state: Arc::clone(&state),
            envelopes: Arc::new(tokio::sync::Mutex::new(rx)),
        };
        let app = api::router(shared);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Fake {
            url,
            state,
            envelopes: tx,
        }
    }

    /// The Web API base URL for `slack.api_url`.
    pub fn api_url(&self) -> String {
        format!("{}/api/", self.url)
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    /// A public channel that exists before the bot starts, with these members.
    pub fn add_channel(&self, name: &str, members: &[&str]) -> String {
        self.with(|s| {
            let id = s.id("C");
            s.channels.push(Channel {
                id: id.clone(),
                name: name.into(),
                creator: "UALICE0001".into(),
                created: 1_600_000_000,
                topic: String::new(),
                members: members.iter().map(|m| m.to_string()).collect(),
                private: false,
            });
            id
        })
    }

    pub fn fault(&self, method: &str, f: Fault) {
        self.with(|s| s.faults.insert(method.into(), f));
    }

    pub fn clear_fault(&self, method: &str) {
        self.with(|s| s.faults.remove(method));
    }

    pub fn set_down(&self, down: bool) {
        self.with(|s| s.down = down);
    }

    pub fn calls(&self, method: &str) -> Vec<Call> {
        self.with(|s| s.calls.iter().filter(|c| c.method == method).cloned().collect())
    }

    pub fn channel_named(&self, prefix: &str) -> Vec<Channel> {
        self.with(|s| {
            s.channels
                .iter()
                .filter(|c| c.name.starts_with(prefix))
                .cloned()
                .collect()
        })
    }

    pub fn messages(&self, channel: &str) -> Vec<Message> {
        self.with(|s| s.messages.iter().filter(|m| m.channel == channel).cloned().collect())
    }

    /// Wait until the bot's Socket Mode connection is open (it got its `hello`): "ready" in
    /// the log only means the connection is being opened in the background.
    pub async fn wait_socket(&self) {
        self.wait("a Socket Mode connection", |s| (s.sockets > 0).then_some(()))
            .await
    }

    /// Wait (up to 30 s) until `f` returns something.
    pub async fn wait<T>(&self, what: &str, f: impl Fn(&State) -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            if let Some(v) = f(&self.state.lock().unwrap()) {
                return v;
            }
            if start.elapsed() > Duration::from_secs(30) {
                let s = self.state.lock().unwrap();
                let msgs: Vec<String> = s
                    .messages
                    .iter()
                    .map(|m| format!("{}: {}", m.channel, m.text))
                    .collect();
                panic!("fake slack: timed out waiting for {what}; messages: {msgs:#?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Wait for a message in `channel` whose text contains `needle`.
    pub async fn wait_message(&self, channel: &str, needle: &str) -> Message {
        let (c, n) = (channel.to_string(), needle.to_string());
        self.wait(&format!("{needle:?} in {channel}"), move |s| {
            s.messages
                .iter()
                .find(|m| m.channel == c && m.text.contains(&n))
                .cloned()
        })
        .await
    }

    /// The channel whose name starts with `prefix`, once it exists.
    pub async fn wait_channel(&self, prefix: &str) -> Channel {
        let p = prefix.to_string();
        self.wait(&format!("a channel named {prefix}*"), move |s| {
            s.channels.iter().find(|c| c.name.starts_with(&p)).cloned()
        })
        .await
    }

    // --- Socket Mode ---

    /// Send an Events API envelope carrying `event`; returns (envelope id, event id).
    pub fn push_event(&self, event: Value, event_id: &str) -> String {
        let envelope_id = self.with(|s| s.id("env-"));
        let envelope = json!({
            "envelope_id": envelope_id,
            "payload": event_callback(event, event_id),
            "type": "events_api",
            "accepts_response_payload": false,
            "retry_attempt": 0,
            "retry_reason": ""
        });
        let _ = self.envelopes.send(envelope);
        envelope_id
    }

    /// Send an envelope of `kind` (`events_api`, `slash_commands`) with this payload as is;
    /// returns its envelope id.
    pub fn envelope(&self, kind: &str, payload: Value) -> String {
        let envelope_id = self.with(|s| s.id("env-"));
        let _ = self.envelopes.send(json!({
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": kind == "slash_commands"
        }));
        envelope_id
    }

    /// Send a slash command envelope; returns its envelope id.
    pub fn slash(&self, command: &str, text: &str, channel: &str, user: &str) -> String {
        let (envelope_id, trigger) = self.with(|s| (s.id("env-"), s.id("trig.")));
        let payload = slash_payload(&self.url, command, text, channel, user, &trigger);
        let _ = self.envelopes.send(json!({
            "payload": payload,
            "envelope_id": envelope_id,
            "type": "slash_commands",
            "accepts_response_payload": true
        }));
        envelope_id
    }

    /// `user` posts `text` in `channel` (in the thread `thread_ts`, with `files`): the message
    /// is kept for `conversations.history`/`.replies` and its event pushed; returns its ts.
    pub fn post_as(&self, channel: &str, user: &str, text: &str, thread_ts: Option<&str>, files: Value) -> String {
        let ts = self.with(|s| s.ts());
        let mut m = json!({"type": "message", "user": user, "text": text, "ts": ts});
        if let Some(t) = thread_ts {
            m["thread_ts"] = json!(t);
        }
        if files.as_array().is_some_and(|a| !a.is_empty()) {
            m["files"] = files;
            m["subtype"] = json!("file_share");
        }
        self.with(|s| s.people.push((channel.to_string(), m.clone())));
        let mut ev = m;
        ev["channel"] = json!(channel);
        ev["event_ts"] = json!(ts);
        ev["channel_type"] = json!("channel");
        self.push_event(ev, &format!("Ev{}", ts.replace('.', "")));
        ts
    }

    /// The author edits message `ts`: kept, and `message_changed` pushed (Slack's shape).
    pub fn edit_as(&self, channel: &str, ts: &str, text: &str) -> String {
        let edit_ts = self.with(|s| s.ts());
        let (previous, now) = self.with(|s| {
            let (_, m) = s
                .people
                .iter_mut()
                .find(|(c, m)| c == channel && m["ts"] == ts)
                .expect("message");
            let previous = m.clone();
            m["text"] = json!(text);
            m["edited"] = json!({"user": m["user"], "ts": edit_ts});
            (previous, m.clone())
        });
        self.push_event(
            json!({"type": "message", "subtype": "message_changed", "hidden": true, "channel": channel,
                   "ts": edit_ts, "event_ts": edit_ts, "message": now, "previous_message": previous, "channel_type": "channel"}),
            &format!("Ev{}", edit_ts.replace('.', "")),
        )
    }

    /// Message `ts` is deleted: gone from history, `message_deleted` pushed.
    pub fn delete_message(&self, channel: &str, ts: &str) -> String {
        let del_ts = self.with(|s| s.ts());
        let previous = self.with(|s| {
            let i = s
                .people
                .iter()
                .position(|(c, m)| c == channel && m["ts"] == ts)
                .expect("message");
            s.people.remove(i).1
        });
        self.push_event(
            json!({"type": "message", "subtype": "message_deleted", "hidden": true, "channel": channel,
                   "ts": del_ts, "event_ts": del_ts, "deleted_ts": ts, "previous_message": previous, "channel_type": "channel"}),
            &format!("Ev{}", del_ts.replace('.', "")),
        )
    }

    /// `reaction_added` (or `_removed`) by `user` on message `ts`; returns the event id.
    pub fn react(&self, channel: &str, ts: &str, user: &str, reaction: &str, added: bool) -> String {
        let (event_ts, author) = self.with(|s| {
            let author = s
                .people
                .iter()
                .find(|(c, m)| c == channel && m["ts"] == ts)
                .map(|(_, m)| m["user"].clone());
            (s.ts(), author)
        });
        let id = format!("Ev{}", event_ts.replace('.', ""));
        self.push_event(
            json!({"type": if added { "reaction_added" } else { "reaction_removed" }, "user": user, "reaction": reaction,
                   "item_user": author, "item": {"type": "message", "channel": channel, "ts": ts}, "event_ts": event_ts}),
            &id,
        );
        id
    }

    /// `pin_added` (or `_removed`) by `user` of message `ts` (the shape of Slack's docs).
    pub fn pin(&self, channel: &str, ts: &str, user: &str, added: bool) -> String {
        let (event_ts, message) = self.with(|s| {
            let m = s
                .people
                .iter()
                .find(|(c, m)| c == channel && m["ts"] == ts)
                .map(|(_, m)| m.clone());
            (s.ts(), m)
        });
        let id = format!("Ev{}", event_ts.replace('.', ""));
        let mut ev = json!({"type": if added { "pin_added" } else { "pin_removed" }, "user": user, "channel_id": channel,
                   "item": {"type": "message", "channel": channel, "created": 1_700_000_000, "created_by": user, "message": message},
                   "event_ts": event_ts});
        if !added {
            ev["has_pins"] = json!(false);
        }
        self.push_event(ev, &id);
        id
    }

    /// An `interactive` envelope (a button press or a view submission) carrying `payload`.
    pub fn interaction(&self, payload: Value) -> String {
        self.envelope("interactive", payload)
    }

    /// The `block_actions` payload of `user` pressing the card button `action_id` on the bot's
    /// message `ts` in `channel` (Slack's documented shape), pressed two minutes ago
    /// (`action_ts`, as a delivery that waited would carry).
    pub fn button_payload(&self, channel: &str, ts: &str, user: &str, action_id: &str) -> Value {
        let trigger = self.with(|s| s.id("trig."));
        let pressed = format!("{}.000100", chrono::Utc::now().timestamp() - 120);
        json!({
            "type": "block_actions",
            "user": {"id": user, "username": if user == ALICE { "alice" } else { "someone" }, "name": "x", "team_id": TEAM},
            "api_app_id": APP_ID,
            "token": "XXYYZZ",
            "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": false},
            "trigger_id": trigger,
            "team": {"id": TEAM, "domain": "fake"},
            "channel": {"id": channel, "name": "somewhere"},
            "message": {"type": "message", "user": BOT_USER, "ts": ts, "text": "card"},
            "response_url": format!("{}/respond/{trigger}", self.url),
            "actions": [{"action_id": action_id, "block_id": "warroom.card", "text": {"type": "plain_text", "text": "b"},
                         "value": "INC-1", "type": "button", "action_ts": pressed}]
        })
    }

    /// The ack warroom sent for an envelope (waits up to 30 s).
    pub async fn ack(&self, envelope_id: &str) -> Value {
        let id = envelope_id.to_string();
        self.wait(&format!("the ack of {envelope_id}"), move |s| {
            s.acks.iter().find(|a| a["envelope_id"] == id.as_str()).cloned()
        })
        .await
    }
}

/// The `event_callback` wrapper Slack puts around an event (Events API docs).
pub fn event_callback(event: Value, event_id: &str) -> Value {
    json!({
        "token": "XXYYZZ",
        "team_id": TEAM,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1_700_000_000,
        "authorizations": [{"enterprise_id": null, "team_id": TEAM, "user_id": BOT_USER, "is_bot": true, "is_enterprise_install": false}],
        "is_ext_shared_channel": false,
        "event_context": "4-eyJldCI6Im1lc3NhZ2UifQ"
    })
}

/// A slash command payload as Slack sends it (form fields; JSON inside Socket Mode).
pub fn slash_payload(base: &str, command: &str, text: &str, channel: &str, user: &str, trigger: &str) -> Value {
    json!({
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "team_id": TEAM,
        "team_domain": "fake",
        "channel_id": channel,
        "channel_name": "somewhere",
        "user_id": user,
        "user_name": if user == "UALICE0001" { "alice" } else { "someone" },
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": format!("{base}/respond/{trigger}"),
        "trigger_id": trigger
    })
}

/// A person's message event.
pub fn user_message(channel: &str, user: &str, text: &str, ts: &str) -> Value {
    json!({"type": "message", "channel": channel, "user": user, "text": text, "ts": ts, "event_ts": ts, "channel_type": "channel"})
}

/// A message posted by an integration (incoming webhook or bot): `bot_message` with the alert
/// in an attachment.
pub fn bot_message(channel: &str, title: &str, ts: &str) -> Value {
    json!({
        "type": "message", "subtype": "bot_message", "text": "", "ts": ts, "event_ts": ts,
        "username": "cron", "bot_id": "B0CRONJOB1", "channel": channel, "channel_type": "channel",
        "attachments": [{"id": 1, "color": "danger", "fallback": title, "title": title, "text": "exit code 1 after 12m"}]
    })
}

/// Sign a request as Slack does: `v0=` + hex(HMAC-SHA256(secret, "v0:{ts}:{body}")).
pub fn sign(secret: &str, ts: i64, body: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("hmac key");
    mac.update(format!("v0:{ts}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

impl Fake {
    /// The real bot configured against this fake: `mode` is "socket" or "http" (then serving
    /// Slack's routes on its HTTP server, see `BotProc::http_url`); responders are alice and an
    /// unknown user.
    pub fn bot(&self, mode: &str, alert_channel: &str) -> crate::mx::BotProc {
        let (section, env) = self.section(mode, alert_channel);
        let ready = if mode == "http" {
            "http: listening"
        } else {
            "slack: ready (socket mode)"
        };
        crate::mx::BotProc::configured(&section, &env, ready)
    }

    /// The `[slack]` config section for this fake and the secrets it needs in the environment.
    pub fn section(&self, mode: &str, alert_channel: &str) -> (String, Vec<(&'static str, &'static str)>) {
        let section = format!(
            "[slack]\nmode = \"{mode}\"\napi_url = \"{}\"\nalert_channels = [\"{alert_channel}\"]\nresponders = [\"{ALICE}\", \"UNOSUCHUSER\"]\n",
            self.api_url()
        );
        let env = vec![
            ("WARROOM_SLACK__BOT_TOKEN", BOT_TOKEN),
            ("WARROOM_SLACK__APP_TOKEN", APP_TOKEN),
            ("WARROOM_SLACK__SIGNING_SECRET", SIGNING_SECRET),
        ];
        (section, env)
    }
}

/// A request to an HTTP-mode warroom as Slack sends it: form or JSON body, signed with
/// `(secret, age in seconds)`, or unsigned with `None`.
pub fn slack_request(
    http: &reqwest::Client,
    url: &str,
    body: &str,
    form: bool,
    signing: Option<(&str, i64)>,
) -> reqwest::RequestBuilder {
    let content_type = if form {
        "application/x-www-form-urlencoded"
    } else {
        "application/json"
    };
    let mut req = http
        .post(url)
        .header("content-type", content_type)
        .body(body.to_string());
    if let Some((secret, age)) = signing {
        let ts = chrono::Utc::now().timestamp() - age;
        req = req
            .header("x-slack-request-timestamp", ts.to_string())
            .header("x-slack-signature", sign(secret, ts, body));
    }
    req
}

/// A slash command payload as the form body HTTP mode receives.
pub fn slash_form(payload: &Value) -> String {
    let form: Vec<(String, String)> = payload
        .as_object()
        .expect("payload object")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    serde_urlencoded::to_string(&form).expect("form")
}
