//! What `/metrics` reads at scrape time, encoded fresh each time: the store's incidents (open
//! by severity, opened, currently closed, timeline entries, milestone durations), each
//! configured adapter's connection, the outbox per platform, the build and the process.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use super::process;
use crate::domain::{DURATIONS, Incident, Severity};

/// Upper bounds (seconds) of the incident duration histograms: 1 min .. 1 week.
const DURATION_BUCKETS: [f64; 11] = [
    60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0, 86400.0, 259200.0, 604800.0,
];

/// One platform's outbound queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Outbox {
    pub platform: String,
    /// Jobs waiting (saved in the store, not yet delivered).
    pub jobs: u64,
    /// How long the oldest has waited (none when the queue is empty).
    pub oldest: Option<Duration>,
}

/// The state a scrape reports.
#[derive(Debug, Default)]
pub struct Scrape<'a> {
    /// Every incident in the store.
    pub incidents: &'a [Incident],
    /// Each configured adapter and whether it is connected.
    pub adapters: Vec<(String, bool)>,
    pub outbox: Vec<Outbox>,
    /// Each configured platform and its open incidents without a room there.
    pub without_room: Vec<(String, u64)>,
    /// Flush + fsync rounds of the store since start.
    pub syncs: u64,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SeverityLabel {
    severity: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct PlatformLabel {
    pub(super) platform: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabel {
    version: String,
}

impl Scrape<'_> {
    /// A registry holding this scrape's values.
    pub(super) fn registry(&self) -> Registry {
        let mut root = Registry::default();
        let r = root.sub_registry_with_prefix("warroom");
        let build: Family<VersionLabel, Gauge> = Family::default();
        build
            .get_or_create(&VersionLabel {
                version: env!("CARGO_PKG_VERSION").to_string(),
            })
            .set(1);
        r.register("build_info", "The running warroom's version (always 1)", build);
        self.register_store(r);
        self.register_adapters(r);
        process::register(&mut root);
        root
    }

    fn register_store(&self, r: &mut Registry) {
        let open: Family<SeverityLabel, Gauge> = Family::default();
        for s in Severity::ALL {
            open.get_or_create(&SeverityLabel {
                severity: s.as_str().into(),
            })
            .set(0);
        }
        let (closed, entries): (Gauge, Counter) = Default::default();
        let spans: Vec<Histogram> = DURATIONS.iter().map(|_| Histogram::new(DURATION_BUCKETS)).collect();
        for inc in self.incidents {
            if inc.is_closed() {
                closed.inc();
            } else {
                open.get_or_create(&SeverityLabel {
                    severity: inc.severity.as_str().into(),
                })
                .inc();
            }
            entries.inc_by(inc.last_seq);
            for (d, h) in DURATIONS.iter().zip(&spans) {
                if let Some(secs) = d.seconds(inc) {
                    h.observe(secs.max(0) as f64);
                }
            }
        }
        let opened: Counter = Counter::default();
        opened.inc_by(self.incidents.len() as u64);
        r.register("incidents_open", "Open incidents by severity", open);
        r.register("incidents_opened", "Incidents opened (all in the store)", opened);
        r.register(
            "incidents_currently_closed",
            "Incidents closed now (drops when one is reopened; warroom_incidents_closed_total counts closes)",
            closed,
        );
        r.register("timeline_entries", "Timeline entries recorded", entries);
        let syncs: Counter = Counter::default();
        syncs.inc_by(self.syncs);
        r.register(
            "store_syncs",
            "Flush + fsync rounds of the store since start (one covers every write waiting for it)",
            syncs,
        );
        for (d, h) in DURATIONS.iter().zip(spans) {
            let help = format!(
                "{}: from the {} to the {} milestone, as in the postmortem",
                d.label, d.from, d.to
            );
            r.register_with_unit(format!("incident_{}", d.name), help, Unit::Seconds, h);
        }
    }

    fn register_adapters(&self, r: &mut Registry) {
        let stranded: Family<PlatformLabel, Gauge> = Family::default();
        for (p, n) in &self.without_room {
            stranded
                .get_or_create(&PlatformLabel { platform: p.clone() })
                .set(i64::try_from(*n).unwrap_or(i64::MAX));
        }
        r.register(
            "incidents_without_room",
            "Open incidents meant to live on a platform that have no room there yet (being opened, or refused and retried)",
            stranded,
        );
        let up: Family<PlatformLabel, Gauge> = Family::default();
        for (p, ready) in &self.adapters {
            up.get_or_create(&PlatformLabel { platform: p.clone() })
                .set(i64::from(*ready));
        }
        r.register(
            "adapter_up",
            "1 when the chat adapter is connected (as /readyz reports it), 0 when not",
            up,
        );
        let jobs: Family<PlatformLabel, Gauge> = Family::default();
        let age: Family<PlatformLabel, Gauge<f64, std::sync::atomic::AtomicU64>> = Family::default();
        for o in &self.outbox {
            let l = PlatformLabel {
                platform: o.platform.clone(),
            };
            jobs.get_or_create(&l).set(i64::try_from(o.jobs).unwrap_or(i64::MAX));
            age.get_or_create(&l).set(o.oldest.map_or(0.0, |d| d.as_secs_f64()));
        }
        r.register(
            "outbox_jobs",
            "Outbound chat jobs waiting for delivery, by platform",
            jobs,
        );
        r.register_with_unit(
            "outbox_oldest_job_age",
            "How long the oldest waiting outbound job has waited, by platform (0 when none waits)",
            Unit::Seconds,
            age,
        );
    }
}

/// When this process first saw each queued job, by platform and sequence number.
type Seen = HashMap<String, BTreeMap<u64, Instant>>;

fn seen() -> &'static Mutex<Seen> {
    static S: OnceLock<Mutex<Seen>> = OnceLock::new();
    S.get_or_init(Mutex::default)
}

/// Note that `platform`'s job `seq` was queued now (the store keeps no time with a job). A
/// sequence number can come again once its queue was empty: the new job's time replaces the
/// old one's.
pub fn job_queued(platform: &str, seq: u64) {
    job_queued_at(platform, seq, Instant::now());
}

/// `job_queued`, at `at`.
pub(super) fn job_queued_at(platform: &str, seq: u64, at: Instant) {
    let mut s = seen().lock().unwrap_or_else(|p| p.into_inner());
    s.entry(platform.to_string()).or_default().insert(seq, at);
}

/// `platform`'s job `seq` left the queue (delivered or given up): forget its time, so the map
/// does not grow with every job when nothing scrapes the metrics.
pub fn job_done(platform: &str, seq: u64) {
    let mut s = seen().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(times) = s.get_mut(platform) {
        times.remove(&seq);
    }
}

impl Outbox {
    /// `platform`'s queue as the store holds it now (`seqs`, the jobs waiting): the oldest
    /// job's age counts from when it was queued, or for a job queued before this process
    /// started, from when this process first saw it.
    pub fn of(platform: &str, seqs: &[u64]) -> Outbox {
        Outbox::at(platform, seqs, Instant::now())
    }

    /// `of`, as seen at `now`.
    pub fn at(platform: &str, seqs: &[u64], now: Instant) -> Outbox {
        let mut s = seen().lock().unwrap_or_else(|p| p.into_inner());
        let times = s.entry(platform.to_string()).or_default();
        let waiting: BTreeSet<u64> = seqs.iter().copied().collect();
        times.retain(|seq, _| waiting.contains(seq));
        let mut oldest = None::<Instant>;
        for seq in seqs {
            let t = *times.entry(*seq).or_insert(now);
            oldest = Some(oldest.map_or(t, |o| o.min(t)));
        }
        Outbox {
            platform: platform.to_string(),
            jobs: seqs.len() as u64,
            oldest: oldest.map(|t| now.saturating_duration_since(t)),
        }
    }
}
