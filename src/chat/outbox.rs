//! The durable outbound queue every chat adapter uses: one ordered lane per destination, each
//! drained by its own task that retries with backoff (up to 30 s) until the platform takes the
//! message and honours rate limits. Jobs are saved in the store when queued and dropped when
//! delivered, so a restart or crash while the platform is away loses nothing; adapters make
//! redelivery harmless (transaction ids, idempotent steps).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{Notify, mpsc};
use tracing::Instrument;

use crate::domain::{Incident, IncidentId};
use crate::store::Store;

const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Why delivering a job failed, and what to do about it.
#[derive(Debug)]
pub enum Failure {
    /// The platform asked us to wait this long.
    RateLimited(Duration),
    /// Network trouble or a server error: retry with backoff.
    Transient(String),
    /// The platform refused (forbidden, too large, unknown room): retrying will not help.
    Permanent(String),
}

impl Failure {
    /// What an HTTP status without a better answer means: 429 wait, 408 and 5xx retry, any
    /// other 4xx give up.
    pub fn from_status(code: u16, retry_after: Option<Duration>, text: String) -> Failure {
        match code {
            429 => Failure::RateLimited(retry_after.unwrap_or(Duration::from_secs(1))),
            408 => Failure::Transient(text),
            400..=499 => Failure::Permanent(text),
            _ => Failure::Transient(text),
        }
    }

    /// The `kind` label of `warroom_chat_api_errors_total`.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::RateLimited(_) => "rate_limited",
            Failure::Transient(_) => "transient",
            Failure::Permanent(_) => "permanent",
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::RateLimited(d) => write!(f, "rate limited for {d:?}"),
            Failure::Transient(s) | Failure::Permanent(s) => f.write_str(s),
        }
    }
}

/// An incident a job is about: a store error may pass, a missing incident will not appear.
pub fn load_incident(store: &Store, id: IncidentId) -> Result<Incident, Failure> {
    store
        .incident(id)
        .map_err(|e| Failure::Transient(e.to_string()))?
        .ok_or_else(|| Failure::Permanent(format!("{id} does not exist")))
}

/// `load_incident` for a job about to show the incident's state on a platform (a topic, a
/// card, a room's opening): read, then wait until what was read is durable, so a platform never
/// shows state a crash could still take back.
pub async fn load_incident_durable(store: &Store, id: IncidentId) -> Result<Incident, Failure> {
    let inc = load_incident(store, id)?;
    store
        .settle_seen()
        .await
        .map_err(|e| Failure::Transient(e.to_string()))?;
    Ok(inc)
}

/// The last value an adapter set per incident (the room topic), so unchanged values are not
/// sent again.
#[derive(Default)]
pub struct LastSent(tokio::sync::Mutex<HashMap<IncidentId, String>>);

impl LastSent {
    pub async fn is(&self, id: IncidentId, value: &str) -> bool {
        self.0.lock().await.get(&id).is_some_and(|v| v == value)
    }

    pub async fn set(&self, id: IncidentId, value: String) {
        self.0.lock().await.insert(id, value);
    }
}

/// What a service error means for a job: a fault of ours may pass and is retried; a refusal
/// (or input handled before) will not change, so the job is given up.
impl From<crate::service::ServiceError> for Failure {
    fn from(e: crate::service::ServiceError) -> Self {
        if e.is_retryable() {
            Failure::Transient(e.to_string())
        } else {
            Failure::Permanent(e.to_string())
        }
    }
}

/// What an adapter plugs into the outbox.
pub trait Courier: Send + Sync + Sized + 'static {
    type Job: Serialize + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static;
    /// Name of this adapter's queue in the store.
    const QUEUE: &'static str;
    fn store(&self) -> &Store;
    fn outbox(&self) -> &Outbox<Self>;
    /// Jobs in the same lane are delivered strictly in order.
    fn lane(job: &Self::Job) -> String;
    /// Carry out one job; called again after a failure that is not permanent.
    fn deliver(self: &Arc<Self>, job: &Self::Job) -> impl Future<Output = Result<(), Failure>> + Send;
    /// Is this job one an incident cannot do without (opening its room)? Such a job is never
    /// given up: even a refusal that looks permanent (a garbled answer, `restricted_action`)
    /// is retried, with backoff up to `ESSENTIAL_BACKOFF`.
    fn essential(_job: &Self::Job) -> bool {
        false
    }
    /// An essential job failed in a way that looks permanent (first time, then every tenth):
    /// tell people where they are waiting for it (the alert's room).
    fn stranded(self: &Arc<Self>, _job: &Self::Job, _why: &str) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// Longest wait between two tries of an essential job that keeps being refused.
pub const ESSENTIAL_BACKOFF: Duration = Duration::from_secs(300);

/// A job and its sequence number in the saved queue (`None` if it could not be saved).
type Queued<J> = (Option<u64>, J, std::time::Instant);

/// The lanes and a count of jobs not yet finished (for draining at shutdown).
pub struct Outbox<C: Courier> {
    lanes: Mutex<HashMap<String, mpsc::UnboundedSender<Queued<C::Job>>>>,
    pending: AtomicUsize,
    idle: Notify,
}

impl<C: Courier> Default for Outbox<C> {
    fn default() -> Self {
        Outbox {
            lanes: Mutex::new(HashMap::new()),
            pending: AtomicUsize::new(0),
            idle: Notify::new(),
        }
    }
}

impl<C: Courier> Outbox<C> {
    fn pending(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    /// One job is done with (delivered, given up, or left for the next start): `drain` wakes
    /// when it was the last.
    fn done_with_one(&self) {
        if self.pending.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.idle.notify_waiters();
        }
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

    /// At shutdown: give queued jobs up to 5 s to go out; the rest stay saved for the next start.
    pub async fn finish(&self) {
        let left = self.drain(Duration::from_secs(5)).await;
        if left > 0 {
            tracing::warn!(
                queue = C::QUEUE,
                left,
                "stopping with messages still queued; they go out on the next start"
            );
        }
    }

    /// Queue a job: saved in the store first (durably), then handed to its lane's worker.
    pub async fn enqueue(courier: &Arc<C>, job: C::Job) {
        let seq = match serde_json::to_string(&job) {
            Ok(json) => match courier.store().queue_push(C::QUEUE, &json).await {
                Ok(seq) => {
                    crate::telemetry::job_queued(C::QUEUE, seq);
                    Some(seq)
                }
                Err(e) => {
                    tracing::error!(queue = C::QUEUE, error = %e, "cannot save a queued message; it is kept in memory only and lost if warroom stops now: check free space and permissions of the data dir");
                    None
                }
            },
            Err(e) => {
                tracing::error!(queue = C::QUEUE, error = %e, "cannot encode a queued message");
                None
            }
        };
        Self::submit(courier, seq, job);
    }

    /// Put back the jobs a previous run queued and did not deliver, in order; `seen` looks at
    /// each first.
    pub fn restore(courier: &Arc<C>, mut seen: impl FnMut(&C::Job)) -> usize {
        let store = courier.store();
        let jobs = match store.queued(C::QUEUE) {
            Ok(j) => j,
            Err(e) => {
                tracing::error!(queue = C::QUEUE, error = %e, "cannot read the saved outbound queue");
                return 0;
            }
        };
        if !jobs.is_empty() {
            tracing::info!(
                queue = C::QUEUE,
                jobs = jobs.len(),
                "resuming messages queued by the previous run"
            );
        }
        let mut n = 0;
        for (seq, json) in jobs {
            match serde_json::from_str::<C::Job>(&json) {
                Ok(job) => {
                    seen(&job);
                    Self::submit(courier, Some(seq), job);
                    n += 1;
                }
                Err(e) => {
                    tracing::warn!(queue = C::QUEUE, error = %e, seq, "dropping a saved message this version cannot read");
                    let _ = store.queue_remove(C::QUEUE, seq);
                }
            }
        }
        n
    }

    /// Hand a job to its lane (synchronous: the lane map is never held across an await).
    fn submit(courier: &Arc<C>, seq: Option<u64>, job: C::Job) {
        let outbox = courier.outbox();
        outbox.pending.fetch_add(1, Ordering::SeqCst);
        let lane = C::lane(&job);
        let mut lanes = outbox.lanes.lock().unwrap_or_else(|p| p.into_inner());
        let tx = lanes.entry(lane.clone()).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(Self::work(Arc::clone(courier), lane, rx));
            tx
        });
        if tx.send((seq, job, std::time::Instant::now())).is_err() {
            outbox.done_with_one();
            tracing::error!(queue = C::QUEUE, "outbox lane closed; message dropped");
        }
    }

    async fn work(courier: Arc<C>, lane: String, mut rx: mpsc::UnboundedReceiver<Queued<C::Job>>) {
        while let Some((seq, job, queued_at)) = rx.recv().await {
            // A job queued inside a store batch (with the write that caused it) goes out only
            // once that write is on disk: nobody sees what a crash could still take back.
            if let Err(e) = courier.store().settle().await {
                tracing::error!(queue = C::QUEUE, error = %e, "the store cannot confirm a queued message is durable; not sending it (it stays queued for the next start)");
                courier.outbox().done_with_one();
                continue;
            }
            // Where the time goes: waiting in the lane (and for durability), then the platform.
            let first_try = std::time::Instant::now();
            let span = tracing::debug_span!("outbox_job", queue = C::QUEUE, lane = %lane, queued_ms = tracing::field::Empty, sent_ms = tracing::field::Empty);
            let delivered = Self::run_job(&courier, &lane, &job).instrument(span.clone()).await;
            let (queued, sent) = (first_try - queued_at, first_try.elapsed());
            span.record("queued_ms", queued.as_millis() as u64);
            span.record("sent_ms", sent.as_millis() as u64);
            if delivered {
                tracing::debug!(parent: &span, "delivered");
                crate::telemetry::metrics().outbox_job(C::QUEUE, queued, sent);
            } else {
                tracing::debug!(parent: &span, "given up");
                crate::telemetry::metrics().outbox_given_up(C::QUEUE);
            }
            if let Some(seq) = seq {
                match courier.store().queue_remove(C::QUEUE, seq) {
                    Ok(()) => crate::telemetry::job_done(C::QUEUE, seq),
                    Err(e) => {
                        tracing::warn!(queue = C::QUEUE, error = %e, seq, "cannot drop a finished message (delivered or given up) from the queue; it may be sent again");
                    }
                }
            }
            courier.outbox().done_with_one();
        }
    }

    /// Run a job until it succeeds (`true`) or fails for good (`false`: given up); failures in
    /// between are logged now and then, and backoff grows to at most 30 s.
    async fn run_job(courier: &Arc<C>, lane: &str, job: &C::Job) -> bool {
        let mut backoff = Duration::from_millis(500);
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let result = courier.deliver(job).await;
            if let Err(f) = &result {
                crate::telemetry::metrics().chat_error(C::QUEUE, f.kind());
            }
            match result {
                Ok(()) => {
                    if attempts > 1 {
                        tracing::info!(queue = C::QUEUE, lane, attempts, "queued message delivered");
                    }
                    return true;
                }
                Err(Failure::Permanent(e)) if C::essential(job) => {
                    // An incident without its room is stranded: keep trying, and say so.
                    tracing::error!(queue = C::QUEUE, lane, attempts, error = %e, retry_in_s = backoff.as_secs(), "the platform refused to open an incident's room; retrying");
                    if attempts == 1 || attempts.is_multiple_of(10) {
                        courier.stranded(job, &e).await;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(ESSENTIAL_BACKOFF);
                }
                Err(Failure::Permanent(e)) => {
                    // The job itself is not logged: it may hold message text or a response URL.
                    tracing::error!(queue = C::QUEUE, lane, error = %e, "giving up on a message the platform refused");
                    return false;
                }
                Err(Failure::RateLimited(d)) => {
                    tracing::warn!(
                        queue = C::QUEUE,
                        lane,
                        wait_ms = d.as_millis() as u64,
                        "rate limited, waiting"
                    );
                    tokio::time::sleep(d).await;
                }
                Err(Failure::Transient(e)) => {
                    if attempts == 1 || attempts.is_multiple_of(10) {
                        tracing::warn!(queue = C::QUEUE, lane, attempts, error = %e, "sending failed, will retry");
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::ServiceError;
    use crate::store::StoreError;

    /// The queue name a test courier reports its metrics under (they are process-wide: a test
    /// that reads them needs a name of its own).
    trait Queue: Send + Sync + 'static {
        const NAME: &'static str;
    }

    struct Shared;
    impl Queue for Shared {
        const NAME: &'static str = "test";
    }

    /// A courier whose every delivery fails with `first` until `ok_after` attempts were made.
    struct Flaky<Q: Queue = Shared> {
        store: Store,
        outbox: Outbox<Flaky<Q>>,
        attempts: AtomicUsize,
        ok_after: usize,
        first: fn() -> ServiceError,
        queue: std::marker::PhantomData<Q>,
    }

    impl<Q: Queue> Courier for Flaky<Q> {
        type Job = u32;
        const QUEUE: &'static str = Q::NAME;
        fn store(&self) -> &Store {
            &self.store
        }
        fn outbox(&self) -> &Outbox<Self> {
            &self.outbox
        }
        fn lane(_: &u32) -> String {
            "lane".into()
        }
        async fn deliver(self: &Arc<Self>, _: &u32) -> Result<(), Failure> {
            if self.attempts.fetch_add(1, Ordering::SeqCst) + 1 >= self.ok_after {
                return Ok(());
            }
            Err((self.first)().into())
        }
    }

    fn flaky<Q: Queue>(dir: &tempfile::TempDir, first: fn() -> ServiceError, ok_after: usize) -> Arc<Flaky<Q>> {
        Arc::new(Flaky {
            store: Store::open(dir.path(), "test").unwrap(),
            outbox: Outbox::default(),
            attempts: AtomicUsize::new(0),
            ok_after,
            first,
            queue: std::marker::PhantomData,
        })
    }

    /// Deliver one job and wait (at most `limit`) for the outbox to finish with it; returns
    /// the attempts made and the jobs left.
    async fn attempts(first: fn() -> ServiceError, ok_after: usize, limit: Duration) -> (usize, usize) {
        let dir = tempfile::tempdir().unwrap();
        let courier = flaky::<Shared>(&dir, first, ok_after);
        Outbox::submit(&courier, None, 1);
        let left = courier.outbox().drain(limit).await;
        (courier.attempts.load(Ordering::SeqCst), left)
    }

    #[tokio::test]
    async fn a_user_refusal_is_never_retried() {
        let refused =
            || ServiceError::Refused("INC-9 does not exist; `warroom incidents --all` lists the incidents".into());
        // `usize::MAX`: a retry would fail again, so only the first attempt may happen.
        let (tries, left) = attempts(refused, usize::MAX, Duration::from_secs(3)).await;
        assert_eq!((tries, left), (1, 0), "a refusal was retried");
    }

    #[tokio::test]
    async fn a_fault_is_retried() {
        let fault = || ServiceError::fault("test", StoreError::Poisoned);
        let (tries, left) = attempts(fault, 2, Duration::from_secs(10)).await;
        assert_eq!((tries, left), (2, 0));
    }

    /// Refusals counted apart from the other tests'.
    struct Refusals;
    impl Queue for Refusals {
        const NAME: &'static str = "test-refusing";
    }

    #[tokio::test]
    async fn a_job_given_up_is_counted_as_given_up_not_as_delivered() {
        let metric = |name: &str| {
            let text = crate::telemetry::metrics().render(&[]);
            let series: Vec<String> = text
                .lines()
                .filter(|l| l.starts_with(name) && l.contains("platform=\"test-refusing\""))
                .map(str::to_string)
                .collect();
            series
        };
        let dir = tempfile::tempdir().unwrap();
        let courier = flaky::<Refusals>(&dir, || ServiceError::Refused("no such room".into()), usize::MAX);
        Outbox::submit(&courier, None, 1);
        Outbox::submit(&courier, None, 2);
        assert_eq!(courier.outbox().drain(Duration::from_secs(3)).await, 0);
        assert_eq!(
            metric("warroom_outbox_jobs_given_up_total"),
            ["warroom_outbox_jobs_given_up_total{platform=\"test-refusing\"} 2"]
        );
        assert!(
            metric("warroom_outbox_job_seconds").is_empty(),
            "a job given up was timed as delivered"
        );
        let dir = tempfile::tempdir().unwrap();
        let fault = flaky::<Shared>(&dir, || ServiceError::fault("test", StoreError::Poisoned), 2);
        assert!(
            Outbox::run_job(&fault, "lane", &1).await,
            "a fault retried until it went through"
        );
    }
}
