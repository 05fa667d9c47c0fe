//! Layered configuration: TOML file (or the shipped defaults), then `WARROOM_<SECTION>__<KEY>`
//! environment variables. Unknown keys are errors naming the key; secrets may only come from
//! the environment or from `*_file` keys, and are redacted whenever the config is printed.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::{Deserialize, Serialize, Serializer};

use crate::alert::{RuleConfig, RuleError, RuleSet};
use crate::domain::{DateOrder, Platform};

/// The shipped `config/warroom.toml`, used when no config file is given or found.
pub const DEFAULT_CONFIG: &str = include_str!("../config/warroom.toml");

/// Environment variables with the `WARROOM_` prefix that are not config keys.
pub const NON_CONFIG_ENV: &[&str] = &[
    "WARROOM_DATA_DIR",
    "WARROOM_CONFIG",
    "WARROOM_LOG",
    "WARROOM_LOG_FORMAT",
];

/// Default `[alerts] max_openings_per_minute`.
pub const DEFAULT_MAX_OPENINGS_PER_MINUTE: u32 = 10;

/// Command keys `[access] privileged` may list. `... others` and `--replace` narrow a command
/// to changing what someone else wrote.
pub const PRIVILEGED_KEYS: &[&str] = &[
    "incident sev",
    "incident status",
    "incident role",
    "incident role commander",
    "incident milestone",
    "incident affects",
    "incident impact",
    "incident title",
    "incident update",
    "incident snooze",
    "incident resolve",
    "incident close",
    "incident reopen",
    "timeline add",
    "timeline edit",
    "timeline delete",
    "timeline edit others",
    "timeline delete others",
    "timeline restore",
    "timeline restore others",
    "action",
    "action edit",
    "action done",
    "action delete",
    "postmortem",
    "postmortem --replace",
    "postmortem link",
    "postmortem related",
    "postmortem author",
    "postmortem reviewer",
    "postmortem review",
    "postmortem template",
    "postmortem language",
];

/// The default privileged commands. Handing the commander role over is among them: if any
/// responder could make themselves commander, "only the commander may close" would mean nothing.
pub const DEFAULT_PRIVILEGED: &[&str] = &[
    "incident close",
    "incident reopen",
    "incident role commander",
    "timeline edit others",
    "timeline delete others",
    "timeline restore others",
    "postmortem --replace",
];

/// Keys whose values are secrets (last path element).
const SECRET_KEYS: &[&str] = &[
    "password",
    "access_token",
    "bot_token",
    "app_token",
    "signing_secret",
    "bearer_token",
    "hmac_secret",
    "metrics_bearer",
];

/// A secret value: never printed, never logged.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("<redacted>")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_tz")]
    pub timezone: String,
    #[serde(default)]
    pub time: TimeConfig,
    #[serde(default)]
    pub console: ConsoleConfig,
    #[serde(default)]
    pub alerts: AlertsConfig,
    #[serde(default)]
    pub http: HttpConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrix: Option<MatrixConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack: Option<SlackConfig>,
    #[serde(default)]
    pub hooks: HooksConfig,
    #[serde(default)]
    pub access: AccessConfig,
    #[serde(default)]
    pub postmortem: PostmortemConfig,
    #[serde(default)]
    pub capture: CaptureConfig,
    #[serde(default)]
    pub reminders: RemindersConfig,
}

/// `[reminders]`: durations in humantime syntax (`10m`, `1h 30m`, `2days`); a key left out is
/// that reminder off. All off by default.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemindersConfig {
    /// Remind the room when nobody leads an open incident this long after it was declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_after: Option<String>,
    /// Remind the room when no `incident update` was posted for this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_every: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_every_sev1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_every_sev2: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_every_sev3: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_every_sev4: Option<String>,
    /// Nudge the commander when the incident was closed this long ago and its postmortem is
    /// still empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postmortem_after: Option<String>,
    /// Remind an action item's owners the day before it is due.
    #[serde(default, deserialize_with = "bool_or_text")]
    pub actions_due: bool,
}

/// Shortest reminder interval: reminders are checked a few times a minute.
const MIN_REMINDER: std::time::Duration = std::time::Duration::from_secs(10);

impl RemindersConfig {
    fn duration(key: &str, v: &Option<String>) -> Result<Option<chrono::Duration>, ConfigError> {
        let Some(text) = v else { return Ok(None) };
        let bad = |msg: String| ConfigError::Key {
            key: format!("reminders.{key}"),
            origin: String::new(),
            msg,
        };
        let d = humantime::parse_duration(text.trim()).map_err(|_| {
            bad(format!(
                "{text:?} is not a duration; write e.g. \"10m\", \"1h 30m\" or \"2days\""
            ))
        })?;
        if d < MIN_REMINDER {
            return Err(bad(format!("{text:?} is shorter than 10 seconds")));
        }
        chrono::Duration::from_std(d)
            .map(Some)
            .map_err(|_| bad(format!("{text:?} is too long")))
    }

    /// The reminder rules, each duration checked.
    pub fn rules(&self) -> Result<crate::domain::ReminderRules, ConfigError> {
        use crate::domain::Severity;
        let mut sev = std::collections::BTreeMap::new();
        for (s, key, v) in [
            (Severity::Sev1, "update_every_sev1", &self.update_every_sev1),
            (Severity::Sev2, "update_every_sev2", &self.update_every_sev2),
            (Severity::Sev3, "update_every_sev3", &self.update_every_sev3),
            (Severity::Sev4, "update_every_sev4", &self.update_every_sev4),
        ] {
            if let Some(d) = Self::duration(key, v)? {
                sev.insert(s, d);
            }
        }
        Ok(crate::domain::ReminderRules {
            lead_after: Self::duration("lead_after", &self.lead_after)?,
            update_every: Self::duration("update_every", &self.update_every)?,
            update_every_sev: sev,
            postmortem_after: Self::duration("postmortem_after", &self.postmortem_after)?,
            actions_due: self.actions_due,
        })
    }
}

/// `[capture]`: how messages in an incident room get on the timeline without typing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureConfig {
    /// Reactions that capture the message they are on: the emoji itself (Matrix sends it) or
    /// its Slack name (`pushpin`, with or without colons). Empty: reactions capture nothing
    /// (pins still do).
    #[serde(default = "default_capture_emoji")]
    pub emoji: Vec<String>,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        CaptureConfig {
            emoji: default_capture_emoji(),
        }
    }
}

/// The reactions that capture a message unless `[capture] emoji` says otherwise.
pub fn default_capture_emoji() -> Vec<String> {
    vec!["📌".into(), "pushpin".into()]
}

fn default_tz() -> String {
    "UTC".into()
}

/// `[time]`: how the team writes times (the zone is the top-level `timezone`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeConfig {
    /// How a date with slashes is read: `22/04/2020` (day first) or `04/22/2020`.
    #[serde(default, deserialize_with = "date_order")]
    pub date_order: DateOrder,
}

fn date_order<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateOrder, D::Error> {
    let s = String::deserialize(d)?;
    match s.trim().to_ascii_lowercase().as_str() {
        "dmy" => Ok(DateOrder::Dmy),
        "mdy" => Ok(DateOrder::Mdy),
        _ => Err(serde::de::Error::custom(format!(
            "{s:?} is not a date order; write \"dmy\" (22/04/2020 is 22 April; the default) or \"mdy\" (04/22/2020 is 22 April, as US teams write)"
        ))),
    }
}

/// `[postmortem]`: how the drafts are written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostmortemConfig {
    /// A built-in template (`warroom`, `google-sre`, `atlassian`, `pagerduty`) or the path of
    /// a `*.md.j2` file, relative to the working directory. Parsed once, in `Settings`.
    #[serde(default = "default_template")]
    pub template: String,
    /// The language of the Markdown and HTML drafts: `en`, `fr`, `sk`.
    #[serde(default = "default_language", deserialize_with = "language")]
    pub language: String,
    /// Start the Markdown export with YAML front matter.
    #[serde(default = "default_true", deserialize_with = "bool_or_text")]
    pub front_matter: bool,
    /// The team's own sections (`[[postmortem.sections]]`), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<SectionConfig>,
}

/// `[[postmortem.sections]]`: a section of the team's own, filled with `postmortem KEY <text>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SectionConfig {
    /// The command word: lowercase letters, digits and `-`, not a built-in section.
    pub key: String,
    /// The heading (English, and any language without its own `title_<code>`).
    pub title: String,
    /// Contributions are items of a bullet list (default: paragraphs).
    #[serde(default, deserialize_with = "bool_or_text")]
    pub list: bool,
    /// Shown while the section is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// `title_fr`, `title_sk`, ...: the heading per draft language.
    #[serde(flatten)]
    pub titles: BTreeMap<String, String>,
}

/// The longest title or prompt of a custom postmortem section.
const MAX_SECTION_TITLE_CHARS: usize = 200;
const MAX_SECTION_PROMPT_CHARS: usize = 500;

impl SectionConfig {
    /// This section checked: key shape, not a built-in section or postmortem command word,
    /// title and prompt one line and bounded, per-language titles for built-in languages.
    fn validate(&self) -> Result<crate::postmortem::CustomSection, (String, String)> {
        use crate::postmortem::i18n::codes;
        let key = &self.key;
        let field = |f: &str| format!("postmortem.sections.{f} (key = {key:?})");
        if !crate::domain::is_custom_section_key(key) {
            return Err((
                field("key"),
                format!(
                    "`{key}` is not a section key; use 1 to {} lowercase letters, digits and `-` (e.g. \"timeline-of-comms\")",
                    crate::domain::MAX_CUSTOM_KEY_CHARS
                ),
            ));
        }
        if key.parse::<crate::domain::Section>().is_ok()
            || key == "help"
            || crate::command::help::lookup(crate::command::Family::Postmortem, key).is_some()
        {
            return Err((
                field("key"),
                format!(
                    "`{key}` is already a postmortem section or command word; pick another key (built-in sections: {})",
                    crate::domain::SECTION_NAMES
                ),
            ));
        }
        let one_line = |what: &str, text: &str, max: usize| {
            let n = text.chars().count();
            if text.trim().is_empty() {
                Err((field(what), "is empty; give the section's heading".to_string()))
            } else if n > max {
                Err((field(what), format!("is {n} characters long; at most {max}")))
            } else if text.chars().any(char::is_control) {
                Err((
                    field(what),
                    "must be one line of text (no line breaks or control characters)".to_string(),
                ))
            } else {
                Ok(text.trim().to_string())
            }
        };
        let title = one_line("title", &self.title, MAX_SECTION_TITLE_CHARS)?;
        let prompt = match &self.prompt {
            Some(p) => Some(one_line("prompt", p, MAX_SECTION_PROMPT_CHARS)?),
            None => None,
        };
        let mut titles = BTreeMap::new();
        for (name, text) in &self.titles {
            let code = name.strip_prefix("title_").filter(|c| codes().contains(c));
            let Some(code) = code else {
                let known: Vec<String> = codes()
                    .iter()
                    .filter(|c| **c != "en")
                    .map(|c| format!("title_{c}"))
                    .collect();
                return Err((
                    field(name),
                    format!(
                        "unknown key; a section has key, title, list, prompt and per-language titles {}",
                        known.join(", ")
                    ),
                ));
            };
            titles.insert(code.to_string(), one_line(name, text, MAX_SECTION_TITLE_CHARS)?);
        }
        Ok(crate::postmortem::CustomSection {
            key: key.clone(),
            title,
            titles,
            list: self.list,
            prompt,
        })
    }
}

/// `[[postmortem.sections]]` validated, in order; a key given twice is refused.
fn custom_sections(sections: &[SectionConfig]) -> Result<Vec<crate::postmortem::CustomSection>, ConfigError> {
    let mut out: Vec<crate::postmortem::CustomSection> = Vec::new();
    for s in sections {
        let section = s.validate().map_err(|(key, msg)| ConfigError::Key {
            key,
            origin: String::new(),
            msg,
        })?;
        if out.iter().any(|o| o.key == section.key) {
            return Err(ConfigError::Key {
                key: format!("postmortem.sections.key (key = {:?})", section.key),
                origin: String::new(),
                msg: "is declared twice; give each section its own key".into(),
            });
        }
        out.push(section);
    }
    Ok(out)
}

impl Default for PostmortemConfig {
    fn default() -> Self {
        PostmortemConfig {
            template: default_template(),
            language: default_language(),
            front_matter: true,
            sections: Vec::new(),
        }
    }
}

fn default_template() -> String {
    crate::postmortem::template::DEFAULT.into()
}

fn default_language() -> String {
    "en".into()
}

fn default_true() -> bool {
    true
}

fn language<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    let lang: crate::postmortem::Lang = s.parse().map_err(serde::de::Error::custom)?;
    Ok(lang.code().into())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleConfig {
    #[serde(default = "default_console_rooms")]
    pub alert_rooms: Vec<String>,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            alert_rooms: default_console_rooms(),
        }
    }
}

fn default_console_rooms() -> Vec<String> {
    vec!["alerts".into()]
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
    /// Alert news about one incident (joined, resolved) is posted at most once per this many
    /// seconds: the first at once, the rest as one summary.
    #[serde(default = "default_coalesce", deserialize_with = "u64_or_text")]
    pub coalesce_seconds: u64,
    /// Incidents one alert rule (or, for webhook alerts no rule matched, one source) may open
    /// within a minute; further alerts that would open one join the rule's single alert-storm
    /// incident instead. 0: no limit.
    #[serde(default = "default_max_openings", deserialize_with = "u32_or_text")]
    pub max_openings_per_minute: u32,
}

/// A count written in TOML, or as text (environment variables are text).
fn u32_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        Int(i64),
        Text(String),
        Other(serde::de::IgnoredAny),
    }
    let text = match N::deserialize(d)? {
        N::Int(n) => n.to_string(),
        N::Text(t) => t,
        N::Other(_) => String::new(),
    };
    text.trim().parse().map_err(|_| {
        let what = if text.is_empty() {
            "the value".into()
        } else {
            format!("`{text}`")
        };
        serde::de::Error::custom(format!(
            "{what} is not a whole number from 0 to {} (0: no limit)",
            u32::MAX
        ))
    })
}

fn default_max_openings() -> u32 {
    DEFAULT_MAX_OPENINGS_PER_MINUTE
}

/// A number written in TOML, or as text (environment variables are text).
fn u64_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        Int(u64),
        Text(String),
    }
    match N::deserialize(d)? {
        N::Int(n) => Ok(n),
        N::Text(t) => t
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("`{t}` is not a whole number"))),
    }
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            rules: Vec::new(),
            coalesce_seconds: default_coalesce(),
            max_openings_per_minute: default_max_openings(),
        }
    }
}

fn default_coalesce() -> u64 {
    30
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    #[serde(default = "default_listen", deserialize_with = "listen_addr")]
    pub listen: String,
    /// Connections served at once; 0 = derived from the open-file limit.
    #[serde(default, deserialize_with = "u64_or_text")]
    pub max_connections: u64,
    /// Connections one peer address may hold; 0 = a quarter of `max_connections` (at least 8).
    #[serde(default, deserialize_with = "u64_or_text")]
    pub max_connections_per_ip: u64,
    /// Seconds a client has to send a request's headers (also how long an idle kept-alive
    /// connection stays open).
    #[serde(default = "default_header_timeout", deserialize_with = "u64_or_text")]
    pub header_timeout_secs: u64,
    /// Seconds a client has to send a request's body.
    #[serde(default = "default_body_timeout", deserialize_with = "u64_or_text")]
    pub body_timeout_secs: u64,
    /// Seconds a connection may sit with nothing read or written before it is closed.
    #[serde(default = "default_idle_timeout", deserialize_with = "u64_or_text")]
    pub idle_timeout_secs: u64,
    /// A bearer token `/metrics` and `/readyz` then require (`/healthz` stays open): from
    /// `WARROOM_HTTP__METRICS_BEARER` or this file. `warroom probe` sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_bearer: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_bearer_file: Option<PathBuf>,
}

impl HttpConfig {
    /// The bearer token of `/metrics` and `/readyz`, if one is configured (checked: not empty,
    /// not a placeholder, not weak).
    pub fn metrics_bearer(&self) -> Result<Option<Secret>, ConfigError> {
        read_secret(&self.metrics_bearer, &self.metrics_bearer_file, "http.metrics_bearer").map_err(|msg| {
            ConfigError::Key {
                key: "http.metrics_bearer".into(),
                origin: String::new(),
                msg,
            }
        })
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: default_listen(),
            max_connections: 0,
            max_connections_per_ip: 0,
            header_timeout_secs: default_header_timeout(),
            body_timeout_secs: default_body_timeout(),
            idle_timeout_secs: default_idle_timeout(),
            metrics_bearer: None,
            metrics_bearer_file: None,
        }
    }
}

fn default_header_timeout() -> u64 {
    10
}

fn default_body_timeout() -> u64 {
    10
}

fn default_idle_timeout() -> u64 {
    30
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}

/// `http.listen`: `host:port`, checked when the config is read rather than when `run` binds.
fn listen_addr<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    if is_listen_addr(&s) {
        Ok(s)
    } else {
        Err(serde::de::Error::custom(format!(
            "`{s}` is not an address to listen on; write host:port, e.g. 127.0.0.1:8080 (0.0.0.0:8080 in a container)"
        )))
    }
}

/// An IP socket address (`127.0.0.1:8080`, `[::1]:8080`) or a host name with a port
/// (`localhost:8080`).
fn is_listen_addr(s: &str) -> bool {
    if s.parse::<std::net::SocketAddr>().is_ok() {
        return true;
    }
    let Some((host, port)) = s.rsplit_once(':') else {
        return false;
    };
    let label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            // `_` is not valid in DNS host names but common in container service names
            // (`warroom_bot:8080` in Docker Compose), which resolve all the same.
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    port.parse::<u16>().is_ok() && !host.is_empty() && host.len() <= 253 && host.split('.').all(label)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixConfig {
    pub homeserver: String,
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_file: Option<PathBuf>,
    #[serde(default)]
    pub alert_rooms: Vec<String>,
    #[serde(default)]
    pub responders: Vec<String>,
    /// Homeservers whose users the bot listens to (commands and alert lines); default: the
    /// bot's own server, from `user`. `"*"` means any server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_servers: Option<Vec<String>>,
    /// A room (id or alias) where every status update (`incident update`) is posted too; the
    /// bot must be able to join it (public, or invited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updates_room: Option<String>,
    /// Create incident rooms end-to-end encrypted (Megolm). Capture, commands and drafts work
    /// the same; the bot reads and posts through its own device.
    #[serde(default, deserialize_with = "bool_or_text")]
    pub encrypted_rooms: bool,
}

impl MatrixConfig {
    /// The servers whose users are heard: `allowed_servers`, else the server of `user`.
    pub fn allowed_servers(&self) -> Vec<String> {
        match &self.allowed_servers {
            Some(list) => list.iter().map(|s| s.trim().to_ascii_lowercase()).collect(),
            None => self
                .user
                .split_once(':')
                .map(|(_, server)| vec![server.trim().to_ascii_lowercase()])
                .unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SlackMode {
    #[default]
    Socket,
    Http,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    #[serde(default)]
    pub mode: SlackMode,
    #[serde(default = "default_slack_api")]
    pub api_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_token_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_token_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_secret_file: Option<PathBuf>,
    #[serde(default)]
    pub alert_channels: Vec<String>,
    #[serde(default)]
    pub responders: Vec<String>,
    /// The workspace (`T…`) requests and events must come from; default: the bot token's
    /// workspace, from `auth.test`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// The Slack app (`A…`) requests and events must be for; default: the bot's app, from
    /// `auth.test` and `bots.info`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Create incident channels as private channels.
    #[serde(default, deserialize_with = "bool_or_text")]
    pub private_channels: bool,
    /// A channel (id) where every status update (`incident update`) is posted too; invite the
    /// bot to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updates_channel: Option<String>,
    /// Channels created per minute at most (`conversations.create` is a Tier 2 method, about
    /// 20 a minute): further openings wait their turn, in order, and are never dropped.
    /// 0: no pacing of our own (Slack's `Retry-After` is still honoured).
    #[serde(default = "default_channels_per_minute", deserialize_with = "u64_or_text")]
    pub channels_per_minute: u64,
}

fn default_channels_per_minute() -> u64 {
    20
}

fn default_slack_api() -> String {
    "https://slack.com/api/".into()
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HooksConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alertmanager: Option<HookConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grafana: Option<HookConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generic: Option<HookConfig>,
}

impl HooksConfig {
    /// The configured receivers.
    pub fn enabled(&self) -> Vec<(crate::alert::payload::HookKind, &HookConfig)> {
        use crate::alert::payload::HookKind;
        [
            (HookKind::Alertmanager, &self.alertmanager),
            (HookKind::Grafana, &self.grafana),
            (HookKind::Generic, &self.generic),
        ]
        .into_iter()
        .filter_map(|(k, c)| c.as_ref().map(|c| (k, c)))
        .collect()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmac_secret: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmac_secret_file: Option<PathBuf>,
}

/// `[access]`: who may declare and change incidents, which commands are privileged, and the
/// per-user rate limits. Without `responders`, `admins` and `matrix_power_level` the
/// permission model is open (everyone may do everything, as without the section).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessConfig {
    /// User ids that may declare and write: Slack `U…` ids and `S…` user groups, Matrix user
    /// ids, console names; `"*"` means everyone.
    #[serde(default)]
    pub responders: Vec<String>,
    /// User ids that may do everything, privileged commands included.
    #[serde(default)]
    pub admins: Vec<String>,
    /// Matrix members with at least this power level in the room a command is typed in count
    /// as responders.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_i64_or_text"
    )]
    pub matrix_power_level: Option<i64>,
    /// Commands only the incident's commander and admins may run (any responder while the
    /// incident has no commander).
    #[serde(default = "default_privileged")]
    pub privileged: Vec<String>,
    /// Commands one user may type per minute (0: no limit). Chat platforms only.
    #[serde(default = "default_commands_per_minute", deserialize_with = "per_minute")]
    pub commands_per_minute: u64,
    /// Incidents one user may declare per minute (0: no limit). Chat platforms only.
    #[serde(default = "default_declarations_per_minute", deserialize_with = "per_minute")]
    pub declarations_per_minute: u64,
}

impl Default for AccessConfig {
    fn default() -> Self {
        AccessConfig {
            responders: Vec::new(),
            admins: Vec::new(),
            matrix_power_level: None,
            privileged: default_privileged(),
            commands_per_minute: default_commands_per_minute(),
            declarations_per_minute: default_declarations_per_minute(),
        }
    }
}

impl AccessConfig {
    /// No rule says who may do what: everyone may do everything.
    pub fn is_open(&self) -> bool {
        self.responders.is_empty() && self.admins.is_empty() && self.matrix_power_level.is_none()
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let key = |k: &str, msg: String| ConfigError::Key {
            key: format!("access.{k}"),
            origin: String::new(),
            msg,
        };
        for (name, list) in [("responders", &self.responders), ("admins", &self.admins)] {
            for id in list {
                let t = id.trim();
                if t.is_empty() || t.chars().any(char::is_whitespace) {
                    return Err(key(
                        name,
                        format!("{id:?} is not a user id; write ids such as \"U0123ABCD\" or \"@alice:example.org\""),
                    ));
                }
                if name == "admins" && t == "*" {
                    return Err(key(
                        name,
                        "\"*\" is not allowed here: name each admin by user id".into(),
                    ));
                }
            }
        }
        for k in &self.privileged {
            if !PRIVILEGED_KEYS.contains(&k.trim()) {
                return Err(key(
                    "privileged",
                    format!("`{k}` is not a command key; use any of: {}", PRIVILEGED_KEYS.join(", ")),
                ));
            }
        }
        Ok(())
    }
}

fn default_privileged() -> Vec<String> {
    DEFAULT_PRIVILEGED.iter().map(|k| k.to_string()).collect()
}

fn default_commands_per_minute() -> u64 {
    60
}

fn default_declarations_per_minute() -> u64 {
    5
}

/// A per-minute count written in TOML, or as text.
fn per_minute<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    u64_or_text(d).map_err(|e: D::Error| serde::de::Error::custom(format!("{e} per minute (0 turns the limit off)")))
}

/// A boolean written in TOML, or as text (`true`/`false`).
fn bool_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Text(String),
    }
    match B::deserialize(d)? {
        B::Bool(b) => Ok(b),
        B::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(serde::de::Error::custom(format!("`{t}` is not true or false"))),
        },
    }
}

/// An optional integer written in TOML, or as text.
fn opt_i64_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        Int(i64),
        Text(String),
    }
    match N::deserialize(d)? {
        N::Int(n) => Ok(Some(n)),
        N::Text(t) => t.trim().parse().map(Some).map_err(|_| {
            serde::de::Error::custom(format!("`{t}` is not a whole number (a Matrix power level such as 50)"))
        }),
    }
}

/// Does `s` look like a Slack id with this first letter (`T0123ABCD`)?
fn is_slack_id(s: &str, first: &[char]) -> bool {
    s.len() >= 5 && s.starts_with(first) && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

impl SlackConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |k: &str, v: &str, what: &str| ConfigError::Key {
            key: format!("slack.{k}"),
            origin: String::new(),
            msg: format!("{v:?} is not {what}; leave it out to use the bot token's own"),
        };
        if let Some(t) = &self.team_id
            && !is_slack_id(t, &['T', 'E'])
        {
            return Err(bad("team_id", t, "a Slack workspace id like T0123ABCD"));
        }
        if let Some(a) = &self.app_id
            && !is_slack_id(a, &['A'])
        {
            return Err(bad("app_id", a, "a Slack app id like A0123ABCD"));
        }
        Ok(())
    }
}

impl MatrixConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        for s in self.allowed_servers.iter().flatten() {
            let t = s.trim();
            if t.is_empty() || t.chars().any(|c| c.is_whitespace() || "@!#/".contains(c)) {
                return Err(ConfigError::Key {
                    key: "matrix.allowed_servers".into(),
                    origin: String::new(),
                    msg: format!(
                        "{s:?} is not a server name; write names such as \"example.org\" (the part of a user id after the colon), or \"*\" for any server"
                    ),
                });
            }
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}: {source}; pass --config with a readable file, or leave it out to use ./config/warroom.toml or the built-in defaults", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path}: {msg}\nfix it, then check with `warroom check-config`")]
    Syntax { path: String, msg: String },
    #[error("config key `{key}`{origin}: {msg}")]
    Key { key: String, origin: String, msg: String },
    #[error("`{key}` is a secret and must not be written in the config file; set {env} or `{key}_file` instead")]
    SecretInFile { key: String, env: String },
    #[error("environment variable {var}: {msg}; unset it or correct its name (WARROOM_<SECTION>__<KEY>)")]
    Env { var: String, msg: String },
    #[error("timezone `{0}` is not an IANA time zone name (e.g. UTC, Europe/London, America/New_York)")]
    Timezone(String),
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error(transparent)]
    Template(#[from] crate::postmortem::TemplateError),
}

/// Where the configuration came from (shown by `check-config`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    File(PathBuf),
    BuiltIn,
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::File(p) => write!(f, "{}", p.display()),
            ConfigSource::BuiltIn => f.write_str("built-in defaults (config/warroom.toml as shipped)"),
        }
    }
}

fn env_name(path: &[String]) -> String {
    format!(
        "WARROOM_{}",
        path.iter()
            .map(|p| p.to_ascii_uppercase())
            .collect::<Vec<_>>()
            .join("__")
    )
}

fn find_secrets_in_file(value: &toml::Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    if let toml::Value::Table(t) = value {
        for (k, v) in t {
            path.push(k.clone());
            if SECRET_KEYS.contains(&k.as_str()) {
                out.push(path.clone());
            }
            find_secrets_in_file(v, path, out);
            path.pop();
        }
    }
}

/// The line (1-based) of the TOML text where a plain dotted key such as `postmortem.language`
/// is set: the key's line in its `[section]`. `None` for keys inside arrays of tables, inline
/// tables or dotted keys, which the message still names.
fn line_of(text: &str, key: &str) -> Option<usize> {
    if key.contains('[') {
        return None;
    }
    let (section, name) = key.rsplit_once('.').unwrap_or(("", key));
    let mut current = String::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(header) = t.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            current = header.trim().to_string();
            continue;
        }
        let assigned = t
            .strip_prefix(name)
            .is_some_and(|rest| rest.trim_start().starts_with('='));
        if current == section && assigned {
            return Some(n + 1);
        }
    }
    None
}

fn env_value(raw: &str) -> toml::Value {
    let t = raw.trim();
    if t.starts_with('[')
        && let Ok(toml::Value::Table(mut tbl)) = toml::from_str::<toml::Value>(&format!("v = {t}"))
        && let Some(v) = tbl.remove("v")
    {
        return v;
    }
    toml::Value::String(raw.to_string())
}

fn set_path(root: &mut toml::Value, path: &[String], value: toml::Value, var: &str) -> Result<(), ConfigError> {
    let mut cur = root;
    for (i, key) in path.iter().enumerate() {
        let toml::Value::Table(t) = cur else {
            return Err(ConfigError::Env {
                var: var.into(),
                msg: format!("`{}` is not a section", path[..i].join(".")),
            });
        };
        if i + 1 == path.len() {
            t.insert(key.clone(), value);
            return Ok(());
        }
        cur = t
            .entry(key.clone())
            .or_insert_with(|| toml::Value::Table(Default::default()));
    }
    Ok(())
}

/// What the `WARROOM_*` variables changed in the config tree, to name them in errors.
#[derive(Default)]
struct EnvOverrides {
    /// Dotted key -> the variable that set it.
    keys: BTreeMap<String, String>,
    /// Dotted section the file did not have -> the first variable that created it.
    created: BTreeMap<String, String>,
}

/// Apply the `WARROOM_<SECTION>__<KEY>` variables of `env` to `root`.
fn apply_env(
    root: &mut toml::Value,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<EnvOverrides, ConfigError> {
    let mut out = EnvOverrides::default();
    let mut vars: Vec<(String, String)> = env.into_iter().filter(|(k, _)| k.starts_with("WARROOM_")).collect();
    vars.sort();
    for (var, val) in vars {
        if NON_CONFIG_ENV.contains(&var.as_str()) {
            continue;
        }
        let path: Vec<String> = var["WARROOM_".len()..]
            .split("__")
            .map(|s| s.to_ascii_lowercase())
            .collect();
        if path.iter().any(|p| p.is_empty()) {
            return Err(ConfigError::Env {
                var,
                msg: "empty key segment".into(),
            });
        }
        if let Some(section) = missing_section(root, &path) {
            out.created.entry(section).or_insert_with(|| var.clone());
        }
        set_path(root, &path, env_value(&val), &var)?;
        out.keys.insert(path.join("."), var);
    }
    Ok(out)
}

/// The first section on `path` (all but its last key) that `root` does not have yet.
fn missing_section(root: &toml::Value, path: &[String]) -> Option<String> {
    let mut cur = root;
    for (i, key) in path[..path.len().saturating_sub(1)].iter().enumerate() {
        match cur.get(key) {
            Some(v) => cur = v,
            None => return Some(path[..=i].join(".")),
        }
    }
    None
}

impl EnvOverrides {
    /// A deserialisation error as a `ConfigError::Key` naming the variable behind the key. A
    /// missing key in a section that only a variable created says so, and lists what the
    /// section needs.
    /// The error for a key that does not read: which variable set it, or else the line of the
    /// file (`text`, named `file`) it is on.
    fn key_error(
        &self,
        root: &toml::Value,
        e: serde_path_to_error::Error<toml::de::Error>,
        text: &str,
        file: &str,
    ) -> ConfigError {
        let key = e.path().to_string();
        let msg = e.into_inner().message().to_string();
        if msg.starts_with("missing field")
            && let Some(var) = self.created.get(&key)
        {
            let needs = required_keys(root, &key);
            let list = |f: &dyn Fn(&String) -> String| needs.iter().map(f).collect::<Vec<_>>().join(" and ");
            let prefix = format!("WARROOM_{}__", key.replace('.', "__").to_ascii_uppercase());
            return ConfigError::Key {
                key: key.clone(),
                origin: String::new(),
                msg: format!(
                    "the environment variable {var} created a [{key}] section (the configuration has none), and [{key}] also needs {}: add a [{key}] section with them to the config file, or set {}; or unset {var} if you do not use it",
                    list(&|k| format!("`{k}`")),
                    list(&|k| format!("{prefix}{}", k.to_ascii_uppercase())),
                ),
            };
        }
        let origin = self
            .keys
            .iter()
            .find(|(k, _)| key.starts_with(k.as_str()) || k.starts_with(&key))
            .map(|(_, v)| format!(" (from {v})"))
            .or_else(|| line_of(text, &key).map(|n| format!(" ({file}, line {n})")))
            .unwrap_or_default();
        ConfigError::Key { key, origin, msg }
    }
}

/// The keys `section` still lacks: filled in one at a time (as text) until the config reads
/// or fails for another reason.
fn required_keys(root: &toml::Value, section: &str) -> Vec<String> {
    let mut root = root.clone();
    let mut needs = Vec::new();
    while needs.len() < 16 {
        let Err(e) = serde_path_to_error::deserialize::<_, Config>(root.clone()) else {
            break;
        };
        if e.path().to_string() != section {
            break;
        }
        let msg = e.into_inner().message().to_string();
        let Some(field) = msg.strip_prefix("missing field `").and_then(|m| m.split('`').next()) else {
            break;
        };
        let mut path: Vec<String> = section.split('.').map(str::to_string).collect();
        path.push(field.to_string());
        if set_path(&mut root, &path, toml::Value::String(String::new()), "").is_err() {
            break;
        }
        needs.push(field.to_string());
    }
    needs
}

impl Config {
    /// Load from `path`, else `./config/warroom.toml` if present, else the shipped defaults;
    /// then apply `env` (normally `std::env::vars()`).
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(Config, ConfigSource), ConfigError> {
        let local = Path::new("config/warroom.toml");
        let (text, source) = match path {
            Some(p) => (
                std::fs::read_to_string(p).map_err(|e| ConfigError::Read {
                    path: p.into(),
                    source: e,
                })?,
                ConfigSource::File(p.into()),
            ),
            None if local.is_file() => (
                std::fs::read_to_string(local).map_err(|e| ConfigError::Read {
                    path: local.into(),
                    source: e,
                })?,
                ConfigSource::File(local.into()),
            ),
            None => (DEFAULT_CONFIG.to_string(), ConfigSource::BuiltIn),
        };
        let config = Self::from_parts(&text, &source.to_string(), env)?;
        Ok((config, source))
    }

    /// Parse TOML text (named `origin` in errors) and apply environment overrides.
    pub fn from_parts(
        text: &str,
        origin: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut root: toml::Value = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: origin.into(),
            msg: e.to_string(),
        })?;
        let mut secrets = Vec::new();
        find_secrets_in_file(&root, &mut Vec::new(), &mut secrets);
        if let Some(p) = secrets.first() {
            return Err(ConfigError::SecretInFile {
                key: p.join("."),
                env: env_name(p),
            });
        }
        let overrides = apply_env(&mut root, env)?;
        let config: Config =
            serde_path_to_error::deserialize(root.clone()).map_err(|e| overrides.key_error(&root, e, text, origin))?;
        config.tz()?;
        config.access.validate()?;
        if let Some(s) = &config.slack {
            s.validate()?;
        }
        if let Some(m) = &config.matrix {
            m.validate()?;
        }
        Ok(config)
    }

    /// The chat platforms configured (`matrix`, `slack`), in that order.
    pub fn chat_platforms(&self) -> Vec<Platform> {
        [
            (Platform::Matrix, self.matrix.is_some()),
            (Platform::Slack, self.slack.is_some()),
        ]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(p, _)| p)
        .collect()
    }

    pub fn tz(&self) -> Result<Tz, ConfigError> {
        self.timezone
            .parse::<Tz>()
            .map_err(|_| ConfigError::Timezone(self.timezone.clone()))
    }

    /// `[postmortem]` validated: the template read and parsed, the language known.
    pub fn postmortem(&self) -> Result<crate::postmortem::RenderOptions, ConfigError> {
        let p = &self.postmortem;
        let lang = p.language.parse().map_err(|msg| ConfigError::Key {
            key: "postmortem.language".into(),
            origin: String::new(),
            msg,
        })?;
        Ok(crate::postmortem::RenderOptions {
            template: crate::postmortem::TemplateChoice::load(&p.template)?,
            lang,
            front_matter: p.front_matter,
            custom_sections: custom_sections(&p.sections)?,
        })
    }

    /// Compile the alert rules. A process does this once, in `Settings`; a bad rule is a
    /// problem `Settings::from_config` lists.
    pub fn rules(&self) -> Result<RuleSet, RuleError> {
        RuleSet::compile(&self.alerts.rules)
    }

    /// What an operator should know about this configuration (shown by `check-config` and
    /// logged at start).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.access.is_open() {
            out.push(
                "no [access] responders or admins: access control is off, so anyone who can post in a watched room or an incident room may declare, close, reopen, edit others' entries and replace postmortem sections; see \"Access control\" in the README".to_string(),
            );
        }
        if !self.access.is_open() && self.access.admins.is_empty() {
            out.push(
                "[access] names no admins: if an incident's commander is someone who cannot act (a typo, someone away), only a config change can close or reopen it; add at least one admin".to_string(),
            );
        }
        if self
            .matrix
            .as_ref()
            .is_some_and(|m| m.allowed_servers().iter().any(|s| s == "*"))
        {
            out.push(
                "matrix.allowed_servers contains \"*\": users of any homeserver may run commands and post alerts"
                    .to_string(),
            );
        }
        out
    }

    /// The configuration as TOML, secrets redacted.
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
    }
}

/// Read a secret from its value or its file (trailing newline removed), refusing empty,
/// placeholder and (for secrets that authenticate requests to us) weak values: an error names
/// the variable or file and says what a good value is.
pub fn read_secret(value: &Option<Secret>, file: &Option<PathBuf>, key: &str) -> Result<Option<Secret>, String> {
    let (secret, from) = match (value, file) {
        (Some(_), Some(_)) => return Err(format!("set either {key} (environment) or {key}_file, not both")),
        (Some(v), None) => (v.clone(), env_name_of(key)),
        (None, Some(p)) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{key}_file {}: {e}", p.display()))?;
            (
                Secret(text.trim_end_matches(['\n', '\r']).to_string()),
                format!("{key}_file {}", p.display()),
            )
        }
        (None, None) => return Ok(None),
    };
    match weakness(key, secret.expose()) {
        None => Ok(Some(secret)),
        Some(why) => Err(format!("{from}: {why}")),
    }
}

/// `WARROOM_SECTION__KEY` for a dotted key such as `hooks.generic.hmac_secret`.
fn env_name_of(key: &str) -> String {
    format!("WARROOM_{}", key.replace('.', "__").to_ascii_uppercase())
}

/// Shared secrets that authenticate requests sent to warroom must be at least this long.
pub const MIN_SHARED_SECRET: usize = 16;

/// Why a secret is not acceptable, if it is not.
fn weakness(key: &str, value: &str) -> Option<String> {
    if value.trim().is_empty() {
        return Some("is empty; set it to the real secret, or remove the setting".into());
    }
    if value.trim() != value {
        return Some("has spaces or line breaks around it; remove them".into());
    }
    let lower = value.to_ascii_lowercase();
    let bracketed = value.starts_with('<') && value.ends_with('>');
    if bracketed
        || ["replace-me", "replace_me", "replaceme", "change-me", "changeme", "..."]
            .iter()
            .any(|p| lower.contains(p))
    {
        return Some("is a placeholder, not a secret; put the real value there".into());
    }
    let last = key.rsplit('.').next().unwrap_or(key);
    if ["signing_secret", "bearer_token", "hmac_secret", "metrics_bearer"].contains(&last) {
        let distinct = value.bytes().collect::<std::collections::BTreeSet<_>>().len();
        if value.len() < MIN_SHARED_SECRET || distinct < 8 {
            return Some(format!(
                "is too weak to authenticate requests (at least {MIN_SHARED_SECRET} characters of random text; make one with `openssl rand -hex 32`)"
            ));
        }
    }
    let prefix = match last {
        "bot_token" => Some("xoxb-"),
        "app_token" => Some("xapp-"),
        _ => None,
    };
    if let Some(p) = prefix.filter(|p| !value.starts_with(p)) {
        return Some(format!(
            "is not a Slack {} (it starts with `{p}`)",
            last.replace('_', " ")
        ));
    }
    None
}

/// Secret files whose permissions let users other than the owner read them (as sshd and
/// PostgreSQL warn): one line per file, saying how to fix it.
pub fn loose_secret_files(config: &Config) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut files: Vec<&PathBuf> = Vec::new();
    if let Some(m) = &config.matrix {
        files.extend(m.password_file.iter().chain(m.access_token_file.iter()));
    }
    if let Some(s) = &config.slack {
        files.extend(
            s.bot_token_file
                .iter()
                .chain(s.app_token_file.iter())
                .chain(s.signing_secret_file.iter()),
        );
    }
    for (_, h) in config.hooks.enabled() {
        files.extend(h.bearer_token_file.iter().chain(h.hmac_secret_file.iter()));
    }
    files.extend(config.http.metrics_bearer_file.iter());
    files
        .into_iter()
        .filter_map(|p| {
            let mode = std::fs::metadata(p).ok()?.permissions().mode();
            (mode & 0o077 != 0).then(|| {
                format!(
                    "secret file {} is readable by group or others (mode {:o}); run `chmod 600 {}`",
                    p.display(),
                    mode & 0o777,
                    p.display()
                )
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
