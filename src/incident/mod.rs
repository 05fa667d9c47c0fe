//! `IncidentService`: the only writer of incident state. It turns inbound chat messages and
//! webhook alerts into durable changes and answers with `Notice`s for the adapters;
//! every notice is produced only after the change it reports is durable.

mod alerts;
mod commands;
mod text;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::alert::RuleSet;
use crate::command::{self, ExportFormat, Parsed};
use crate::domain::{Incident, IncidentId, Person, Source, TransitionError};
use crate::postmortem::{self, Postmortem};
use crate::store::{Store, StoreError, WriteError};

pub use alerts::{Outcome, platform_of};
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
}

/// A file produced for a room (postmortem export).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExportFile {
    pub incident: IncidentId,
    pub name: String,
    pub format: ExportFormat,
    pub content: String,
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
    /// A command changed the incident: its rooms on other platforms are told.
    Changed {
        incident: IncidentId,
        by: Person,
        source: Source,
        command: String,
        reply: String,
    },
}

/// Why something could not be done; the text is for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store error");
        Refusal(format!(
            "⚠ could not save: {e}. Nothing was recorded; please try again."
        ))
    }
}

pub struct IncidentService {
    store: Store,
    rules: RuleSet,
    tz: Tz,
    clock: Arc<dyn Clock>,
    /// Chat platforms `run` connects (`matrix`, `slack`): where webhook alerts open incidents
    /// unless a rule says otherwise.
    platforms: Vec<String>,
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
            clock,
            platforms: Vec::new(),
        }
    }

    /// Set the chat platforms this process connects.
    pub fn with_platforms(mut self, platforms: Vec<String>) -> Self {
        self.platforms = platforms;
        self
    }

    pub fn platforms(&self) -> &[String] {
        &self.platforms
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The configured time zone.
    pub fn tz(&self) -> Tz {
        self.tz
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
                Err(e) => return vec![Notice::Reply(Refusal::from(e).0)],
            }
        }
        let result = match command::parse(&msg.text) {
            Parsed::NotACommand if msg.alert_room => self.handle_alert(&msg).await,
            // `/backup failed` in an alert room is an alert, not a typo of a command.
            Parsed::Invalid(e) if msg.alert_room && e.unknown_command => self.handle_alert(&msg).await,
            Parsed::NotACommand => Ok(Vec::new()),
            Parsed::Invalid(e) => Ok(vec![Notice::Reply(e.render(prefix_for(msg.source)))]),
            Parsed::Command(c) => {
                let started = std::time::Instant::now();
                let writes = !c.is_read_only();
                let r = self.run(c, &msg).await;
                crate::telemetry::metrics().command(started.elapsed());
                match r {
                    Ok(mut notices) if writes => {
                        self.tell_other_rooms(&msg, &mut notices);
                        Ok(notices)
                    }
                    other => other,
                }
            }
        };
        let mut notices = result.unwrap_or_else(|r| vec![Notice::Reply(r.0)]);
        // A redelivered event that raced past the early check is refused with an empty reply.
        notices.retain(|n| !matches!(n, Notice::Reply(t) if t.is_empty()));
        notices
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
    pub async fn bind_room(&self, id: IncidentId, room: &str) -> Result<Incident, Refusal> {
        let room = room.to_string();
        let c = self
            .store
            .update_incident::<(), TransitionError>(id, None, self.now(), |i| {
                if !i.rooms.contains(&room) {
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
    pub fn postmortem(&self, id: IncidentId) -> Result<Postmortem, Refusal> {
        let inc = self.store.incident(id)?.ok_or_else(|| not_found(id))?;
        let entries = self.store.entries(id)?;
        Ok(Postmortem::build(&inc, &entries, self.tz, self.now()))
    }

    pub fn export(&self, id: IncidentId, format: ExportFormat) -> Result<ExportFile, Refusal> {
        let pm = self.postmortem(id)?;
        Ok(ExportFile {
            incident: id,
            name: postmortem::file_name(&pm, format),
            format,
            content: postmortem::render(&pm, format),
        })
    }

    fn refusal<E: std::fmt::Display>(&self, e: WriteError<E>) -> Refusal {
        match e {
            WriteError::Rejected(r) => Refusal(r.to_string()),
            WriteError::Duplicate => Refusal(String::new()),
            WriteError::NotFound(id) => not_found(id),
            WriteError::NoEntry(id, seq) => Refusal(format!("{id} has no timeline entry #{seq}; see `timeline list`")),
            WriteError::NotDurable(s) => {
                tracing::error!(error = %s, "write committed but not confirmed durable");
                Refusal(format!(
                    "⚠ recorded, but not confirmed on disk ({s}). Check with `timeline list` or `incident show` before repeating it."
                ))
            }
            WriteError::Store(s) => Refusal::from(s),
        }
    }
}

fn not_found(id: IncidentId) -> Refusal {
    Refusal(format!(
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
