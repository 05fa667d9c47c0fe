//! The outbound queue: one ordered lane per destination (an incident's room, or another room),
//! each drained by its own task that retries with backoff until the homeserver takes the
//! message, honours `M_LIMIT_EXCEEDED`, and reuses one transaction id per message so a
//! retry after a lost response never posts twice. Jobs are saved in the store when queued and
//! dropped when delivered, so a restart (or crash) while the homeserver is away loses nothing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use matrix_sdk::ruma::api::error::{ErrorKind, RetryAfter};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedTransactionId, OwnedUserId, TransactionId};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc};

use super::bot::Bot;
use crate::chat::ExportFile;
use crate::domain::IncidentId;

const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Name of this adapter's queue in the store.
const QUEUE: &str = "matrix";

/// Where a job's messages go (an incident's room, wherever it is, or a given room); jobs in
/// one lane run strictly in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lane {
    Incident(IncidentId),
    Room(OwnedRoomId),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum JobKind {
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

/// Why a job step failed, and what to do about it.
#[derive(Debug)]
pub enum Failure {
    /// The server asked us to wait.
    RateLimited(Duration),
    /// Network trouble or a server error: retry with backoff.
    Transient(String),
    /// The server refused (forbidden, too large, unknown room): retrying will not help.
    Permanent(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::RateLimited(d) => write!(f, "rate limited for {d:?}"),
            Failure::Transient(s) | Failure::Permanent(s) => f.write_str(s),
        }
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
            _ if api.status_code.is_client_error() && api.status_code.as_u16() != 408 => Failure::Permanent(text),
            _ => Failure::Transient(text),
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

impl From<crate::incident::Refusal> for Failure {
    fn from(r: crate::incident::Refusal) -> Self {
        Failure::Transient(r.0)
    }
}

/// A job and its sequence number in the saved queue (`None` if it could not be saved).
type Queued = (Option<u64>, Job);

/// The lanes and a count of jobs not yet finished (for draining at shutdown).
#[derive(Default)]
pub struct Outbox {
    lanes: Mutex<HashMap<Lane, mpsc::UnboundedSender<Queued>>>,
    pending: AtomicUsize,
    idle: Notify,
}

impl Outbox {
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    /// Wait until every queued job is done, or `limit` has passed; returns the jobs left.
    pub async fn drain(&self, limit: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let idle = self.idle.notified();
            if self.pending() == 0 {
                return 0;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.pending();
            }
        }
    }
}

impl Bot {
    /// Queue a job: saved in the store first (durably), then handed to its lane's worker.
    pub async fn enqueue(self: &Arc<Self>, lane: Lane, kind: JobKind) {
        let job = Job::new(lane, kind);
        let seq = match serde_json::to_string(&job) {
            Ok(json) => match self.service.store().queue_push(QUEUE, &json).await {
                Ok(seq) => Some(seq),
                Err(e) => {
                    tracing::error!(error = %e, "matrix: cannot save a queued message; it is kept in memory only");
                    None
                }
            },
            Err(e) => {
                tracing::error!(error = %e, "matrix: cannot encode a queued message");
                None
            }
        };
        self.submit(seq, job);
    }

    /// Jobs a previous run queued and did not deliver, back in their lanes in order; returns
    /// the incidents whose room opening is among them.
    pub async fn restore_queue(self: &Arc<Self>) -> Vec<IncidentId> {
        let store = self.service.store();
        let jobs = match store.queued(QUEUE) {
            Ok(j) => j,
            Err(e) => {
                tracing::error!(error = %e, "matrix: cannot read the saved outbound queue");
                return Vec::new();
            }
        };
        if !jobs.is_empty() {
            tracing::info!(
                jobs = jobs.len(),
                "matrix: resuming messages queued by the previous run"
            );
        }
        let mut opening = Vec::new();
        for (seq, json) in jobs {
            match serde_json::from_str::<Job>(&json) {
                Ok(job) => {
                    if let JobKind::OpenRoom { incident, .. } = &job.kind {
                        opening.push(*incident);
                    }
                    self.submit(Some(seq), job);
                }
                Err(e) => {
                    tracing::error!(error = %e, seq, "matrix: dropping a saved message this version cannot read");
                    let _ = store.queue_remove(QUEUE, seq);
                }
            }
        }
        opening
    }

    /// Hand a job to its lane (synchronous: the lane map is never held across an await).
    fn submit(self: &Arc<Self>, seq: Option<u64>, job: Job) {
        let outbox = &self.outbox;
        outbox.pending.fetch_add(1, Ordering::SeqCst);
        let mut lanes = outbox.lanes.lock().unwrap_or_else(|p| p.into_inner());
        let lane = job.lane.clone();
        let tx = lanes.entry(lane.clone()).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(Arc::clone(self).work(lane, rx));
            tx
        });
        if tx.send((seq, job)).is_err() {
            outbox.pending.fetch_sub(1, Ordering::SeqCst);
            tracing::error!("matrix outbox lane closed; message dropped");
        }
    }

    async fn work(self: Arc<Self>, lane: Lane, mut rx: mpsc::UnboundedReceiver<Queued>) {
        while let Some((seq, job)) = rx.recv().await {
            self.run_job(&lane, &job).await;
            if let Some(seq) = seq
                && let Err(e) = self.service.store().queue_remove(QUEUE, seq)
            {
                tracing::warn!(error = %e, seq, "matrix: cannot drop a delivered message from the queue; it may be re-sent (de-duplicated by its transaction id)");
            }
            if self.outbox.pending.fetch_sub(1, Ordering::SeqCst) == 1 {
                self.outbox.idle.notify_waiters();
            }
        }
    }

    /// Run a job until it succeeds or fails for good; failures in between are logged once per
    /// kind of trouble, and backoff grows to at most 30 s.
    async fn run_job(self: &Arc<Self>, lane: &Lane, job: &Job) {
        let mut backoff = Duration::from_millis(500);
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            match self.execute(lane, job).await {
                Ok(()) => {
                    if attempts > 1 {
                        tracing::info!(?lane, attempts, "matrix: queued message delivered");
                    }
                    return;
                }
                Err(Failure::Permanent(e)) => {
                    tracing::error!(?lane, error = %e, job = ?job.kind, "matrix: giving up on a message the homeserver refused");
                    return;
                }
                Err(Failure::RateLimited(d)) => {
                    tracing::warn!(
                        ?lane,
                        wait_ms = d.as_millis() as u64,
                        "matrix: rate limited (M_LIMIT_EXCEEDED), waiting"
                    );
                    tokio::time::sleep(d).await;
                }
                Err(Failure::Transient(e)) => {
                    if attempts == 1 || attempts.is_multiple_of(10) {
                        tracing::warn!(?lane, attempts, error = %e, "matrix: sending failed, will retry");
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}
