//! Alerts: the normalised `Alert` every source (a message in a watched chat room, an
//! Alertmanager, Grafana or generic webhook) is turned into before the rules run, the payload
//! decoders, and the rules that decide whether an alert opens an incident, with what title,
//! severity, grouping fingerprint and target platforms.

pub mod payload;
mod rules;
mod template;

pub use rules::{Match, RuleConfig, RuleError, RuleSet};

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::domain::{Person, Severity, Source};

/// Is the alert (still) firing, or has it resolved?
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Firing,
    Resolved,
}

/// One alert, whatever it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// The alert's message text (a chat message, or a webhook's summary and description);
    /// rule patterns match it.
    pub text: String,
    /// A title the source gave (webhooks); chat alerts have none.
    pub title: Option<String>,
    /// Who or what posted it.
    pub sender: Person,
    /// Where it arrived: a room key (`platform:room`) or a webhook route (`hook:alertmanager`).
    pub room: String,
    /// Names rules may know that place by (`rooms = [...]` in a rule).
    pub room_names: Vec<String>,
    /// When it started firing (or resolved), as the source says.
    pub at: DateTime<Utc>,
    pub source: Source,
    /// The webhook it came in through; `None` for chat alerts.
    pub hook: Option<payload::HookKind>,
    pub status: AlertStatus,
    pub labels: BTreeMap<String, String>,
    /// The severity the source gave, if it maps onto ours.
    pub severity: Option<Severity>,
    /// Identity of this one alert (Alertmanager fingerprint and start time; the generic
    /// `fingerprint`): a notification about an alert already known changes nothing, and a
    /// "resolved" can be matched with its "firing". Chat alerts have none: each is a repeat.
    pub key: Option<String>,
    /// The source's own grouping (Alertmanager `groupKey`, the generic `fingerprint`); the
    /// default incident fingerprint when no rule sets `group_by`.
    pub group: Option<String>,
    pub url: Option<String>,
}

impl Alert {
    /// A chat message in a watched room.
    pub fn from_chat(
        text: &str,
        sender: Person,
        room: &str,
        room_names: Vec<String>,
        at: DateTime<Utc>,
        source: Source,
    ) -> Alert {
        Alert {
            text: text.trim().to_string(),
            title: None,
            sender,
            room: room.to_string(),
            room_names,
            at,
            source,
            hook: None,
            status: AlertStatus::Firing,
            labels: BTreeMap::new(),
            severity: None,
            key: None,
            group: None,
            url: None,
        }
    }

    /// The one-line description used in timeline entries and chat posts.
    pub fn line(&self) -> String {
        let mut s = match &self.title {
            Some(t) if !self.text.is_empty() && !self.text.starts_with(t.as_str()) => format!("{t}: {}", self.text),
            Some(t) => {
                if self.text.is_empty() {
                    t.clone()
                } else {
                    self.text.clone()
                }
            }
            None => self.text.clone(),
        };
        s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.chars().count() > 300 {
            s = s.chars().take(299).collect::<String>() + "…";
        }
        match &self.url {
            Some(url) => format!("{s} ({})", one_line_url(url)),
            None => s,
        }
    }
}

/// A URL as one line: whitespace and control characters (never valid in a URL, but a
/// payload may carry them) percent-encoded, so a link cannot break the alert line.
fn one_line_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.trim().chars() {
        if c.is_whitespace() || c.is_control() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Map a source's severity word onto ours: sev1..sev4, critical/major/minor/low, p1..p4, and
/// the usual monitoring words (error, warning, info).
pub fn map_severity(s: &str) -> Option<Severity> {
    let s = s.trim().to_ascii_lowercase();
    if let Ok(sev) = s.parse::<Severity>() {
        return Some(sev);
    }
    match s.as_str() {
        "page" | "emergency" | "fatal" | "disaster" => Some(Severity::Sev1),
        "error" => Some(Severity::Sev2),
        "warning" | "warn" | "average" => Some(Severity::Sev3),
        "info" | "informational" | "notice" | "none" => Some(Severity::Sev4),
        _ => None,
    }
}
