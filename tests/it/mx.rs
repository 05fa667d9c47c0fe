//! Test-side Matrix: users driven over the plain client-server API (reqwest + JSON, no SDK),
//! and the real `warroom run` binary as the bot, configured against a test Synapse.

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::Sandbox;
use crate::synapse::Synapse;

pub const BOT_PASSWORD: &str = "bot-secret-pw";
const WAIT: Duration = Duration::from_secs(30);

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A person (or an alerting script) talking to Synapse over HTTP.
pub struct Mx {
    http: reqwest::Client,
    base: String,
    pub token: String,
    pub user_id: String,
    txn: AtomicU64,
}

impl Mx {
    pub async fn register(syn: &Synapse, name: &str, admin: bool) -> Mx {
        let (user_id, token) = syn.register(name, &format!("{name}-pw"), admin).await;
        Mx {
            http: reqwest::Client::new(),
            base: syn.url.clone(),
            token,
            user_id,
            txn: AtomicU64::new(0),
        }
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn ok(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let (status, v) = self.call(method, path, body).await;
        assert!((200..300).contains(&status), "{path}: {status} {v}");
        v
    }

    pub async fn create_room(&self, body: Value) -> String {
        let v = self
            .ok(reqwest::Method::POST, "/_matrix/client/v3/createRoom", Some(body))
            .await;
        v["room_id"].as_str().expect("room_id").to_string()
    }

    pub async fn join(&self, room: &str) -> String {
        let v = self
            .ok(
                reqwest::Method::POST,
                &format!("/_matrix/client/v3/join/{}", enc(room)),
                Some(json!({})),
            )
            .await;
        v["room_id"].as_str().expect("room_id").to_string()
    }

    pub async fn send_content(&self, room: &str, content: Value) -> String {
        let txn = self.txn.fetch_add(1, Ordering::SeqCst);
        let v = self
            .ok(
                reqwest::Method::PUT,
                &format!(
                    "/_matrix/client/v3/rooms/{}/send/m.room.message/t{}-{txn}",
                    enc(room),
                    fastrand::u64(..)
                ),
                Some(content),
            )
            .await;
        v["event_id"].as_str().expect("event_id").to_string()
    }

    /// Send a plain text message; returns its event id.
    pub async fn say(&self, room: &str, body: &str) -> String {
        self.send_content(room, json!({"msgtype": "m.text", "body": body}))
            .await
    }

    pub async fn state(&self, room: &str, kind: &str, key: &str) -> (u16, Value) {
        self.call(
            reqwest::Method::GET,
            &format!("/_matrix/client/v3/rooms/{}/state/{kind}/{}", enc(room), enc(key)),
            None,
        )
        .await
    }

    /// The last 500 events of a room, oldest first.
    pub async fn events(&self, room: &str) -> Vec<Value> {
        let v = self
            .ok(
                reqwest::Method::GET,
                &format!("/_matrix/client/v3/rooms/{}/messages?dir=b&limit=500", enc(room)),
                None,
            )
            .await;
        let mut evs: Vec<Value> = v["chunk"].as_array().cloned().unwrap_or_default();
        evs.reverse();
        evs
    }

    /// Messages in a room from `sender`, oldest first.
    pub async fn messages_from(&self, room: &str, sender: &str) -> Vec<Value> {
        self.events(room)
            .await
            .into_iter()
            .filter(|e| e["type"] == "m.room.message" && e["sender"] == sender)
            .collect()
    }

    /// Wait until a message from `sender` in `room` satisfies `pred`.
    pub async fn wait_message(&self, room: &str, sender: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            if let Some(m) = self.messages_from(room, sender).await.into_iter().find(|m| pred(m)) {
                return m;
            }
            if start.elapsed() > WAIT {
                let seen: Vec<String> = self
                    .messages_from(room, sender)
                    .await
                    .iter()
                    .map(|m| m["content"]["body"].as_str().unwrap_or("").chars().take(200).collect())
                    .collect();
                panic!("timed out waiting for {what} in {room}; {sender} said: {seen:#?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Wait for the bot's reply to one of our events.
    pub async fn wait_reply(&self, room: &str, bot: &str, event_id: &str) -> String {
        let m = self
            .wait_message(room, bot, &format!("the reply to {event_id}"), |m| {
                m["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == event_id
            })
            .await;
        m["content"]["body"].as_str().unwrap_or("").to_string()
    }

    /// Rooms we are invited to (not yet joined).
    pub async fn invites(&self) -> Vec<String> {
        let v = self
            .ok(reqwest::Method::GET, "/_matrix/client/v3/sync?timeout=0", None)
            .await;
        v["rooms"]["invite"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    }

    pub async fn wait_invite(&self) -> String {
        let start = Instant::now();
        loop {
            if let Some(r) = self.invites().await.into_iter().next() {
                return r;
            }
            assert!(start.elapsed() < WAIT, "{} got no invite within {WAIT:?}", self.user_id);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Download an `mxc://` file through the authenticated media API.
    pub async fn download(&self, mxc: &str) -> String {
        let rest = mxc.strip_prefix("mxc://").expect("mxc url");
        let resp = self
            .http
            .get(format!("{}/_matrix/client/v1/media/download/{rest}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("download");
        assert!(resp.status().is_success(), "download {mxc}: {}", resp.status());
        resp.text().await.expect("file body")
    }
}

/// The real bot binary, `warroom run`, against a test Synapse.
pub struct BotProc {
    pub sb: Sandbox,
    pub config: PathBuf,
    child: Option<Child>,
    log: PathBuf,
    /// Environment for every command (secrets).
    env: Vec<(String, String)>,
    /// The log line that says the bot is ready.
    ready: &'static str,
    /// RLIMIT_NOFILE (soft and hard) for `run`, if set.
    open_files: Option<u64>,
    /// `WARROOM_LOG` for `run`, if not the tests' default.
    log_filter: Option<String>,
}

pub const BOT_USER: &str = "@warroom:localhost";

impl BotProc {
    /// Register the bot account and write a config naming `alert_rooms` and `responders`.
    pub async fn new(syn: &Synapse, alert_rooms: &[&str], responders: &[&str]) -> BotProc {
        syn.register("warroom", BOT_PASSWORD, false).await;
        let list = |v: &[&str]| v.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ");
        Self::configured(
            &format!(
                "[matrix]\nhomeserver = \"{}\"\nuser = \"{BOT_USER}\"\nalert_rooms = [{}]\nresponders = [{}]\n",
                syn.url,
                list(alert_rooms),
                list(responders)
            ),
            &[("WARROOM_MATRIX__PASSWORD", BOT_PASSWORD)],
            "matrix: ready",
        )
    }

    /// A bot whose config is the shipped one (its alert rules included) plus `section`, with
    /// `env` set for every command; `ready` is the log line that says it is up.
    pub fn configured(section: &str, env: &[(&str, &str)], ready: &'static str) -> BotProc {
        let sb = Sandbox::new();
        let config = sb.dir.path().join("warroom.toml");
        let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/warroom.toml"))
            .expect("config/warroom.toml");
        std::fs::write(&config, format!("{shipped}\n{section}")).expect("write config");
        let log = sb.dir.path().join("bot.log");
        let mut env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        // Every bot gets its own port for the HTTP server (health, metrics, webhooks).
        if !env.iter().any(|(k, _)| k == "WARROOM_HTTP__LISTEN") {
            env.push(("WARROOM_HTTP__LISTEN".into(), "127.0.0.1:0".into()));
        }
        BotProc {
            sb,
            config,
            child: None,
            log,
            env,
            ready,
            open_files: None,
            log_filter: None,
        }
    }

    /// Start `run` with at most `n` open files (soft and hard limit), as a tight container would.
    #[allow(dead_code)] // not every test binary module uses it
    pub fn limit_open_files(&mut self, n: u64) {
        self.open_files = Some(n);
    }

    /// Run the bot with `WARROOM_LOG=filter`, as an operator would set it.
    #[allow(dead_code)] // not every test binary module uses it
    pub fn log_filter(&mut self, filter: &str) {
        self.log_filter = Some(filter.to_string());
    }

    /// Point the bot at a new, empty data dir (same account and config); returns the old one,
    /// which stays on disk while the caller holds it.
    pub fn new_data_dir(&mut self) -> Sandbox {
        let next = Sandbox::new();
        let config = next.dir.path().join("warroom.toml");
        std::fs::copy(&self.config, &config).expect("copy config");
        self.config = config;
        self.log = next.dir.path().join("bot.log");
        std::mem::replace(&mut self.sb, next)
    }

    pub fn cmd(&self, args: &[&str]) -> std::process::Command {
        let mut c = self.sb.cmd(&["--config", self.config.to_str().expect("utf-8 path")]);
        c.args(args).envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    /// Start `warroom run` and wait until it says it is ready.
    pub async fn start(&mut self) {
        let log = std::fs::File::create(&self.log).expect("bot log");
        let mut cmd = self.cmd(&["run"]);
        if let Some(n) = self.open_files {
            use std::os::unix::process::CommandExt;
            // SAFETY: only setrlimit runs between fork and exec.
            unsafe {
                cmd.pre_exec(move || {
                    let lim = libc::rlimit {
                        rlim_cur: n,
                        rlim_max: n,
                    };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let child = cmd
            .env(
                "WARROOM_LOG",
                self.log_filter
                    .clone()
                    .or_else(|| std::env::var("WRTEST_BOT_LOG").ok())
                    .unwrap_or_else(|| "warroom=info".into()),
            )
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start warroom run");
        self.child = Some(child);
        let start = Instant::now();
        loop {
            let text = self.log();
            // The log file is recreated per run.
            if text.contains(self.ready) {
                return;
            }
            if let Some(c) = self.child.as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                panic!("warroom run exited early ({status}):\n{text}");
            }
            assert!(start.elapsed() < WAIT * 2, "warroom run not ready in time:\n{text}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `http://addr` of the running bot's HTTP server (from its log).
    #[allow(dead_code)] // not every test binary module uses it
    pub fn http_url(&self) -> String {
        let log = self.log();
        let at = log
            .find("http: listening addr=")
            .expect("the bot logs its HTTP address");
        let addr: String = log[at + "http: listening addr=".len()..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        format!("http://{addr}")
    }

    /// The secrets this bot was given (environment values of tokens, secrets, passwords).
    pub fn secrets(&self) -> Vec<String> {
        self.env
            .iter()
            .filter(|(k, _)| ["TOKEN", "SECRET", "PASSWORD"].iter().any(|w| k.contains(w)))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// No secret ever reaches the log: checked for every bot of every test when it stops.
    pub fn assert_no_secrets_logged(&self) {
        let log = self.log();
        for s in self.secrets() {
            assert!(
                !log.contains(&s),
                "a secret ({}…) appears in the bot's log:\n{log}",
                &s[..4.min(s.len())]
            );
        }
    }

    #[allow(dead_code)] // used by benches/matrix.rs
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Wait until the bot's log contains `needle` at least `n` times.
    pub async fn wait_log(&self, needle: &str, n: usize) {
        let start = Instant::now();
        while self.log().matches(needle).count() < n {
            assert!(start.elapsed() < WAIT, "{needle:?} never logged:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no chance to drain or flush anything.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("bot running");
        let _ = child.kill();
        let _ = child.wait();
    }

    /// SIGTERM and wait; returns the exit status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("bot running");
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(s)) = child.try_wait() {
                self.assert_no_secrets_logged();
                return s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("warroom run did not stop within 15 s of SIGTERM:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for BotProc {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- warroom run log ---\n{}", self.log());
        }
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if !std::thread::panicking() {
            self.assert_no_secrets_logged();
        }
    }
}
