//! `IncidentService`: the only writer of incident state. It turns inbound chat messages and
//! webhook alerts into durable changes and answers with `Notice`s for the adapters;
//! every notice is produced only after the change it reports is durable.

mod access;
mod alerts;
mod capture;
mod commands;
mod forms;
mod limits;
mod refusal;
mod reminders;
mod storm;
mod text;
mod updates;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::alert::RuleSet;
use crate::command::{self, Command, IncidentCmd, Parsed, TimelineCmd};
use crate::config::AccessConfig;
use crate::domain::{Incident, IncidentId, Person, Platform, RoomKey, Source, TransitionError};
use crate::postmortem::ExportFormat;
use crate::postmortem::{self, Postmortem};
use crate::store::{Store, WriteError};

pub use access::{Access, DEFAULT_PRIVILEGED, PRIVILEGED_KEYS, Standing};
pub use alerts::Outcome;
pub use capture::{CaptureEvent, CaptureInput};
pub use refusal::ServiceError;
pub use storm::DEFAULT_MAX_OPENINGS_PER_MINUTE;
pub use text::{announcement, resolve_proposal};

/// Source of "now"; tests substitute a fixed clock.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A message from a chat platform, in platform-neutral form.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub source: Source,
    /// Room key, qualified by platform: `console:alerts`, `matrix:!abc:server`, `slack:C0123`.
    pub room: String,
    /// Names the alert rules may know this room by (name, id, alias).
    pub room_names: Vec<String>,
    /// Is this a watched alert room?
    pub alert_room: bool,
    pub author: Person,
    pub text: String,
    /// Platform event id, for de-duplication of redeliveries.
    pub event_id: Option<String>,
    /// When the platform says the message was sent.
    pub at: DateTime<Utc>,
    /// What the platform vouches for about the author (power level, groups, handle).
    pub standing: Standing,
}

/// A file produced for a room (postmortem export).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExportFile {
    pub incident: IncidentId,
    pub name: String,
    pub format: ExportFormat,
    pub content: String,
    /// Where the draft starts after its YAML front matter (0 without): chat shows the body.
    pub body_start: usize,
    /// Set when the chosen template failed and the built-in `warroom` template was used.
    pub notice: Option<String>,
}

impl ExportFile {
    /// The file without its front matter: what a chat room shows.
    pub fn body(&self) -> &str {
        self.content.get(self.body_start..).unwrap_or(&self.content)
    }
}

/// What the adapters should say or do after an input was handled.
#[derive(Debug, Clone)]
pub enum Notice {
    /// Reply in the room the input came from.
    Reply(String),
    /// A new incident: open its room, `bind_room` it, post `announcement` there.
    Opened {
        incident: Box<Incident>,
        announcement: String,
        origin_room: String,
    },
    /// The incident was closed: post the draft and attach it as a file.
    Postmortem {
        incident: IncidentId,
        markdown: String,
        file: ExportFile,
    },
    /// A requested export, to upload into the room it was asked in.
    File(ExportFile),
    /// An alert joined, fired again or resolved in an incident: for its rooms, coalesced.
    AlertNews { incident: IncidentId, line: String },
    /// Every alert grouped into the incident has resolved: propose `incident resolve`.
    ProposeResolve { incident: IncidentId, alerts: usize },
    /// A status update (`incident update`): for the incident's rooms on every platform and
    /// the configured updates rooms (`[slack] updates_channel`, `[matrix] updates_room`).
    Update { incident: IncidentId, text: String },
    /// A reminder (`[reminders]`) for the incident's rooms on every platform.
    Remind { incident: IncidentId, text: String },
    /// A command changed the incident: its rooms on other platforms are told.
    Changed {
        incident: IncidentId,
        by: Person,
        source: Source,
        command: String,
        reply: String,
    },
}

pub struct IncidentService {
    store: Store,
    rules: RuleSet,
    tz: Tz,
    /// How dates with slashes are read (`[time] date_order`).
    date_order: crate::domain::DateOrder,
    /// How drafts are rendered (`[postmortem]`: template, language, front matter).
    render: postmortem::RenderOptions,
    clock: Arc<dyn Clock>,
    /// Chat platforms `run` connects (`matrix`, `slack`): where webhook alerts open incidents
    /// unless a rule says otherwise.
    platforms: Vec<Platform>,
    /// Automatic openings per minute per alert rule (or source), and alert storms.
    limiter: storm::OpeningLimiter,
    /// Who may do what (`[access]`).
    access: Access,
    /// Commands per user per minute, and declarations per user per minute (chat platforms).
    commands: limits::RateLimiter,
    declarations: limits::RateLimiter,
    /// Reactions that capture a message (`[capture] emoji`), normalized.
    capture_emoji: Vec<String>,
    /// When reminders are due (`[reminders]`).
    reminder_rules: crate::domain::ReminderRules,
}

/// A reaction as compared with `[capture] emoji`: no colons, no skin tone, no variation
/// selector, lower case (`:PushPin::skin-tone-2:` is `pushpin`, `📌\u{fe0f}` is `📌`).
fn normalize_emoji(e: &str) -> String {
    let e = e.trim().trim_matches(':');
    let e = e.split("::").next().unwrap_or(e);
    e.chars()
        .filter(|c| *c != '\u{fe0f}')
        .collect::<String>()
        .to_lowercase()
}

/// The command prefix users of a platform type.
pub fn prefix_for(source: Source) -> char {
    match source {
        Source::Matrix => '!',
        _ => '/',
    }
}

impl IncidentService {
    pub fn new(store: Store, rules: RuleSet, tz: Tz, clock: Arc<dyn Clock>) -> Self {
        IncidentService {
            store,
            rules,
            tz,
            date_order: crate::domain::DateOrder::Dmy,
            render: postmortem::RenderOptions::default(),
            clock,
            platforms: Vec::new(),
            limiter: storm::OpeningLimiter::new(DEFAULT_MAX_OPENINGS_PER_MINUTE),
            access: Access::open(),
            commands: limits::RateLimiter::new(0, 1),
            declarations: limits::RateLimiter::new(0, 1),
            capture_emoji: crate::config::default_capture_emoji(),
            reminder_rules: Default::default(),
        }
    }

    /// Set `[alerts] max_openings_per_minute`: incidents one alert rule (or webhook source) may
    /// open within a minute before further alerts join its alert-storm incident; 0: no limit.
    pub fn with_max_openings_per_minute(mut self, limit: u32) -> Self {
        self.limiter = storm::OpeningLimiter::new(limit);
        self
    }

    /// Apply the `[access]` rules and rate limits.
    pub fn with_access(mut self, cfg: &AccessConfig) -> Self {
        self.access = Access::from_config(cfg);
        self.commands = limits::RateLimiter::new(cfg.commands_per_minute, limits::MAX_TRACKED_USERS);
        self.declarations = limits::RateLimiter::new(cfg.declarations_per_minute, limits::MAX_TRACKED_USERS);
        self
    }

    pub fn access(&self) -> &Access {
        &self.access
    }

    /// Set `[time] date_order`: how `D/M/YYYY` dates are read.
    pub fn with_date_order(mut self, order: crate::domain::DateOrder) -> Self {
        self.date_order = order;
        self
    }

    /// Set `[postmortem]`: the template, language and front matter of the drafts.
    pub fn with_postmortem(mut self, options: postmortem::RenderOptions) -> Self {
        self.render = options;
        self
    }

    /// Set the reactions that capture a message (`[capture] emoji`).
    pub fn with_capture_emoji(mut self, emoji: &[String]) -> Self {
        self.capture_emoji = emoji
            .iter()
            .map(|e| normalize_emoji(e))
            .filter(|e| !e.is_empty())
            .collect();
        self
    }

    /// Is `reaction` (an emoji, or a Slack reaction name) one that captures its message?
    pub fn is_capture_emoji(&self, reaction: &str) -> bool {
        let r = normalize_emoji(reaction);
        self.capture_emoji.contains(&r)
    }

    /// Set the chat platforms this process connects.
    pub fn with_platforms(mut self, platforms: Vec<Platform>) -> Self {
        self.platforms = platforms;
        self
    }

    pub fn platforms(&self) -> &[Platform] {
        &self.platforms
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The configured time zone.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The language the bot speaks in an incident's rooms: the one chosen for its postmortem
    /// (`postmortem language`), else `[postmortem] language`.
    pub fn lang(&self, inc: &Incident) -> postmortem::Lang {
        inc.language
            .as_deref()
            .and_then(|l| l.parse().ok())
            .unwrap_or(self.render.lang)
    }

    /// `lang` of the incident `id` (the configured language if it cannot be read).
    pub fn lang_of(&self, id: IncidentId) -> postmortem::Lang {
        match self.store.incident(id) {
            Ok(Some(inc)) => self.lang(&inc),
            _ => self.render.lang,
        }
    }

    /// An automatic timeline entry as the incident's rooms are told it: in their language.
    fn said(&self, inc: &Incident, e: &crate::domain::TimelineEntry) -> String {
        match &e.phrase {
            Some(p) => self.lang(inc).phrase(p),
            None => e.text.clone(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Handle one inbound message. Never fails: problems become replies.
    pub async fn handle(&self, msg: Inbound) -> Vec<Notice> {
        // A platform's time for the message is recorded as given, within the years warroom keeps.
        let msg = Inbound {
            at: crate::domain::clamp_time(msg.at),
            ..msg
        };
        if let Some(ev) = &msg.event_id {
            match self.store.is_seen(ev) {
                Ok(true) => {
                    tracing::debug!(event_id = %ev, "duplicate delivery ignored");
                    return Vec::new();
                }
                Ok(false) => {}
                Err(e) => {
                    return vec![Notice::Reply(
                        ServiceError::fault("checking for a redelivery", e).to_string(),
                    )];
                }
            }
        }
        let result = match command::parse(&msg.text) {
            Parsed::NotACommand if msg.alert_room => self.handle_alert(&msg).await,
            // `/backup failed` in an alert room is an alert, not a typo of a command.
            Parsed::Invalid(e) if msg.alert_room && e.unknown_command => self.handle_alert(&msg).await,
            Parsed::NotACommand => Ok(Vec::new()),
            Parsed::Invalid(e) => self
                .throttle(&msg)
                .map(|()| vec![Notice::Reply(e.render(prefix_for(msg.source)))]),
            Parsed::Command(c) => self.command(c, &msg).await,
        };
        // A redelivered event that raced past the early check is already handled: nothing is said.
        result.unwrap_or_else(|e| e.user_text().map(Notice::Reply).into_iter().collect())
    }

    /// Run a typed command, once the access rules and rate limits allow it.
    async fn command(&self, c: Command, msg: &Inbound) -> Result<Vec<Notice>, ServiceError> {
        self.admit(&c, msg)?;
        let started = std::time::Instant::now();
        let writes = !c.is_read_only();
        let r = self.run(c, msg).await;
        crate::telemetry::metrics().command(started.elapsed());
        match r {
            Ok(mut notices) if writes => {
                self.tell_other_rooms(msg, &mut notices);
                Ok(notices)
            }
            other => other,
        }
    }

    /// The one gate every typed command passes before anything is written: the per-user
    /// command rate, the `[access]` rules, and the per-user declaration rate.
    fn admit(&self, cmd: &Command, msg: &Inbound) -> Result<(), ServiceError> {
        self.throttle(msg)?;
        let declare = matches!(cmd, Command::Incident(IncidentCmd::Declare { .. }));
        if !self.access.is_open() && !cmd.is_read_only() {
            let incident = if declare {
                None
            } else {
                self.store.incident_by_room(&msg.room)?
            };
            let entry_author = match (cmd, &incident) {
                (
                    Command::Timeline(
                        TimelineCmd::Edit { seq, .. } | TimelineCmd::Delete { seq } | TimelineCmd::Restore { seq },
                    ),
                    Some(i),
                ) => self.store.entry(i.id, *seq)?.map(|e| e.author),
                _ => None,
            };
            if let Err(d) = self.access.check(
                cmd,
                &msg.author,
                &msg.standing,
                incident.as_ref(),
                entry_author.as_ref(),
            ) {
                crate::telemetry::metrics().command_refused(d.reason);
                tracing::info!(user = ?msg.author.id, source = msg.source.as_str(), reason = d.reason, "command refused by [access]");
                return Err(ServiceError::Refused(d.message));
            }
        }
        if declare && rate_limited(msg.source) {
            self.declarations
                .take(&rate_key(msg), self.now())
                .map_err(|wait| {
                    crate::telemetry::metrics().command_refused("declaration_rate");
                    ServiceError::Refused(format!(
                        "⏳ At most {} incidents a minute may be declared per person. Try again in {}, or add to an open incident from its room.",
                        self.declarations.per_minute(),
                        limits::show_wait(wait)
                    ))
                })?;
        }
        Ok(())
    }

    /// The per-user command rate (chat platforms; the console's user owns the data dir anyway).
    fn throttle(&self, msg: &Inbound) -> Result<(), ServiceError> {
        if !rate_limited(msg.source) {
            return Ok(());
        }
        self.commands.take(&rate_key(msg), self.now()).map_err(|wait| {
            crate::telemetry::metrics().command_refused("command_rate");
            tracing::debug!(user = ?msg.author.id, "command rate limit reached");
            ServiceError::Refused(format!(
                "⏳ Slow down: at most {} commands a minute per person. Try again in {}.",
                self.commands.per_minute(),
                limits::show_wait(wait)
            ))
        })
    }

    /// After a successful write in an incident room, a `Changed` notice for the incident's
    /// rooms on other platforms.
    fn tell_other_rooms(&self, msg: &Inbound, notices: &mut Vec<Notice>) {
        let Some(incident) = self.incident_in_room(&msg.room) else {
            return;
        };
        let reply = notices
            .iter()
            .filter_map(|n| match n {
                Notice::Reply(t) => Some(t.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n");
        notices.push(Notice::Changed {
            incident,
            by: msg.author.clone(),
            source: msg.source,
            command: msg.text.trim().to_string(),
            reply,
        });
    }

    /// Bind a chat room to an incident (after the adapter created it).
    pub async fn bind_room(&self, id: IncidentId, room: &RoomKey) -> Result<Incident, ServiceError> {
        let c = self
            .store
            .update_incident::<(), TransitionError>(id, None, self.now(), |i| {
                if !i.rooms.contains(room) {
                    i.rooms.push(room.clone());
                }
                Ok(((), Vec::new()))
            })
            .await
            .map_err(|e| self.refusal(e))?;
        Ok(c.incident)
    }

    /// The incident bound to a chat room (`platform:room`), for routing replies; a store error
    /// is logged and counts as "none".
    pub fn incident_in_room(&self, room: &str) -> Option<IncidentId> {
        match self.store.incident_by_room(room) {
            Ok(inc) => inc.map(|i| i.id),
            Err(e) => {
                tracing::warn!(%room, error = %e, "cannot look up the incident of a room");
                None
            }
        }
    }

    /// The postmortem draft of an incident as it is now.
    pub fn postmortem(&self, id: IncidentId) -> Result<Postmortem, ServiceError> {
        let inc = self.store.incident(id)?.ok_or_else(|| not_found(id))?;
        let entries = self.store.entries(id)?;
        Ok(Postmortem::build_with(
            &inc,
            &entries,
            self.tz,
            self.now(),
            &self.render.custom_sections,
        ))
    }

    /// The render options of an incident: the configured ones with its own template and
    /// language (`postmortem template`, `postmortem language`). A choice that no longer exists
    /// (a custom template removed from the config) falls back to the configured options.
    fn render_options(&self, pm: &Postmortem) -> postmortem::RenderOptions {
        self.render
            .with_overrides(pm.template.as_deref(), pm.language.as_deref())
            .unwrap_or_else(|e| {
                tracing::warn!(incident = %pm.id, error = %e, "the incident's own template or language is not available; using the configured ones");
                self.render.clone()
            })
    }

    /// The draft of an incident in `format`, with its render options. `notice`: what to tell
    /// the room when the chosen template failed and the built-in one was used.
    pub fn export(&self, id: IncidentId, format: ExportFormat) -> Result<ExportFile, ServiceError> {
        let pm = self.postmortem(id)?;
        let rendered = postmortem::render_with(&pm, format, &self.render_options(&pm));
        Ok(ExportFile {
            incident: id,
            name: postmortem::file_name(&pm, format),
            format,
            body_start: rendered.front_matter_len,
            notice: rendered.fallback_notice,
            content: rendered.text,
        })
    }

    /// The draft as chat shows it (`postmortem show`): Markdown without front matter.
    pub fn preview(&self, id: IncidentId) -> Result<String, ServiceError> {
        let pm = self.postmortem(id)?;
        let options = postmortem::RenderOptions {
            front_matter: false,
            ..self.render_options(&pm)
        };
        Ok(postmortem::render_with(&pm, ExportFormat::Markdown, &options).text)
    }

    /// The title of the configured custom section `key` (`[[postmortem.sections]]`); refused
    /// with the sections there are when it is not configured.
    pub fn check_custom_section(&self, key: &str) -> Result<String, ServiceError> {
        let custom = &self.render.custom_sections;
        if let Some(s) = custom.iter().find(|s| s.key == key) {
            return Ok(s.title.clone());
        }
        let mut msg = format!(
            "`{key}` is not a postmortem section; use one of {}",
            crate::domain::SECTION_NAMES
        );
        if custom.is_empty() {
            msg.push_str(" (a team's own sections are declared in [[postmortem.sections]] in the config)");
        } else {
            let keys: Vec<&str> = custom.iter().map(|s| s.key.as_str()).collect();
            msg.push_str(&format!(", or this team's own: {}", keys.join(", ")));
        }
        Err(ServiceError::Refused(msg))
    }

    /// Is `name` a template this service can render (`postmortem template NAME`)?
    pub fn check_template(&self, name: &str) -> Result<(), ServiceError> {
        self.render
            .with_overrides(Some(name), None)
            .map(|_| ())
            .map_err(ServiceError::Refused)
    }

    fn refusal<E: std::fmt::Display>(&self, e: WriteError<E>) -> ServiceError {
        match e {
            WriteError::Rejected(r) => ServiceError::Refused(r.to_string()),
            WriteError::Duplicate => ServiceError::AlreadyHandled,
            WriteError::NotFound(id) => not_found(id),
            WriteError::NoEntry(id, seq) => {
                ServiceError::Refused(format!("{id} has no timeline entry #{seq}; see `timeline list`"))
            }
            WriteError::NotDurable(s) => ServiceError::not_durable("a write", s),
            WriteError::Store(s) => ServiceError::fault("a write", s),
        }
    }
}

/// Sources whose commands are rate limited: people on chat platforms.
fn rate_limited(source: Source) -> bool {
    matches!(source, Source::Slack | Source::Matrix)
}

/// A user's key for the rate limits: ids are only unique within a platform.
fn rate_key(msg: &Inbound) -> String {
    format!("{}:{}", msg.source.as_str(), msg.author.id)
}

fn not_found(id: IncidentId) -> ServiceError {
    ServiceError::Refused(format!(
        "{id} does not exist; `warroom incidents --all` lists the incidents"
    ))
}

/// Transition errors with times shown in the configured zone.
pub(crate) struct Shown(pub String);

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "access_tests.rs"]
mod access_tests;

#[cfg(test)]
#[path = "record_tests.rs"]
mod record_tests;

#[cfg(test)]
#[path = "writeup_tests.rs"]
mod writeup_tests;

#[cfg(test)]
#[path = "capture_tests.rs"]
mod capture_tests;
