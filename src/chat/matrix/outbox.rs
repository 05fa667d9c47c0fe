//! Matrix outbound jobs for the shared outbox (`chat::outbox`): lanes per incident room or
//! other room, one transaction id per job so a retry never posts twice, and how SDK errors map
//! to retry decisions (`M_LIMIT_EXCEEDED` waits as told).

use std::time::Duration;

use matrix_sdk::ruma::api::error::{ErrorKind, RetryAfter};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedTransactionId, OwnedUserId, TransactionId};
use serde::{Deserialize, Serialize};

use crate::chat::ExportFile;
pub use crate::chat::outbox::Failure;
use crate::domain::IncidentId;

/// Where a job's messages go (an incident's room, wherever it is, or a given room); jobs in
/// one lane run strictly in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lane {
    Incident(IncidentId),
    Room(OwnedRoomId),
    /// The updates room (`matrix.updates_room`), resolved when a job is delivered.
    Updates,
}

impl std::fmt::Display for Lane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lane::Incident(id) => write!(f, "incident:{id}"),
            Lane::Room(r) => write!(f, "room:{r}"),
            Lane::Updates => f.write_str("updates"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum JobKind {
    /// A status update for `room` (an id or alias; joined first when needed).
    Broadcast { room: String, text: String },
    /// A notice, optionally as a reply; `html` defaults to the text's lines rendered as HTML.
    Say {
        text: String,
        #[serde(default)]
        html: Option<String>,
        reply_to: Option<OwnedEventId>,
    },
    /// Create (or find) the incident's room, invite people, announce, link it from `origin`.
    OpenRoom {
        incident: IncidentId,
        announcement: String,
        origin: Option<(OwnedRoomId, Option<OwnedEventId>)>,
        invite_also: Option<OwnedUserId>,
    },
    /// The closing draft: a formatted message (or a summary if too big) plus the `.md` file.
    Postmortem {
        incident: IncidentId,
        markdown: String,
        file: ExportFile,
    },
    /// Upload an export.
    File { file: ExportFile },
    /// Bring the incident room's topic in line with its severity and status.
    Topic { incident: IncidentId },
}

impl JobKind {
    /// A plain notice (its HTML made from the text), optionally as a reply.
    pub fn say(text: String, reply_to: Option<OwnedEventId>) -> JobKind {
        JobKind::Say {
            text,
            html: None,
            reply_to,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub lane: Lane,
    pub kind: JobKind,
    /// Base transaction id: each event a job sends uses this plus a suffix, on every attempt.
    pub txn: OwnedTransactionId,
}

impl Job {
    pub fn new(lane: Lane, kind: JobKind) -> Job {
        Job {
            lane,
            kind,
            txn: TransactionId::new(),
        }
    }

    pub fn txn(&self, part: &str) -> OwnedTransactionId {
        format!("{}-{part}", self.txn).into()
    }
}

fn retry_delay(r: &Option<RetryAfter>) -> Duration {
    match r {
        Some(RetryAfter::Delay(d)) => *d,
        Some(RetryAfter::DateTime(t)) => t.duration_since(std::time::SystemTime::now()).unwrap_or(Duration::ZERO),
        None => Duration::from_secs(1),
    }
    .clamp(Duration::from_millis(100), Duration::from_secs(300))
}

/// Classify a server error body, if there is one.
pub fn classify_api(api: Option<&matrix_sdk::ruma::api::error::Error>, text: String) -> Failure {
    match api {
        Some(api) => match api.error_kind() {
            Some(ErrorKind::LimitExceeded(d)) => Failure::RateLimited(retry_delay(&d.retry_after)),
            _ => Failure::from_status(api.status_code.as_u16(), None, text),
        },
        None => Failure::Transient(text),
    }
}

impl From<matrix_sdk::Error> for Failure {
    /// HTTP trouble is judged by the server's answer (none: the network, so retry); anything
    /// else from the SDK (wrong room state after a kick, store errors) will not heal by retrying.
    fn from(e: matrix_sdk::Error) -> Self {
        match &e {
            matrix_sdk::Error::Http(h) => classify_api(h.as_client_api_error(), e.to_string()),
            _ => Failure::Permanent(e.to_string()),
        }
    }
}

impl From<matrix_sdk::HttpError> for Failure {
    fn from(e: matrix_sdk::HttpError) -> Self {
        classify_api(e.as_client_api_error(), e.to_string())
    }
}
