//! Alerts: the normalised `Alert` every source (chat text now, webhooks later) is turned into,
//! and the rules that decide whether it opens an incident, with what title, severity and
//! grouping fingerprint.

mod rules;
mod template;

pub use rules::{Match, RuleConfig, RuleError, RuleSet};

use chrono::{DateTime, Utc};

use crate::domain::{Person, Source};

/// One alert, whatever it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// The alert's message text (a chat message, or a webhook's summary).
    pub text: String,
    /// Who or what posted it.
    pub sender: Person,
    /// Room key (`platform:room`) it arrived in, or the webhook route.
    pub room: String,
    pub at: DateTime<Utc>,
    pub source: Source,
}
