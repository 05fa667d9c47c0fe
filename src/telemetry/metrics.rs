//! Prometheus metrics, encoded by `prometheus-client` (OpenMetrics text): the process's
//! counters (alerts by source and outcome, commands and their latency, chat API errors,
//! webhook requests, incidents closed) kept in memory, plus what is read at scrape time (see
//! `scrape`): the store's incidents, each adapter's connection, the outbox, the process.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use std::sync::OnceLock;

use super::scrape::PlatformLabel;
pub use super::scrape::{Outbox, Scrape};
use crate::domain::Incident;

/// Upper bounds (seconds) of the command latency histogram.
const COMMAND_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// The content type of `Metrics::render`'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceOutcome {
    source: String,
    outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceRule {
    source: String,
    rule: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceCode {
    source: String,
    code: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PlatformKind {
    platform: String,
    kind: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PlatformStage {
    platform: String,
    stage: String,
}

/// Upper bounds (seconds) of the outbox job histograms: from milliseconds to minutes.
const JOB_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0, 300.0,
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reason {
    reason: String,
}

/// The process's counters (since start; Prometheus handles the reset at a restart).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    alerts: Family<SourceOutcome, Counter>,
    storm_alerts: Family<SourceRule, Counter>,
    hook_requests: Family<SourceCode, Counter>,
    chat_errors: Family<PlatformKind, Counter>,
    refused: Family<Reason, Counter>,
    commands: Histogram,
    closed: Counter,
    jobs: Family<PlatformStage, Histogram>,
    given_up: Family<PlatformLabel, Counter>,
}

/// The process-wide metrics.
pub fn metrics() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(Metrics::default)
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("warroom");
        let m = Metrics {
            registry: Registry::default(),
            alerts: Family::default(),
            storm_alerts: Family::default(),
            hook_requests: Family::default(),
            chat_errors: Family::default(),
            refused: Family::default(),
            commands: Histogram::new(COMMAND_BUCKETS),
            closed: Counter::default(),
            jobs: Family::new_with_constructor(|| Histogram::new(JOB_BUCKETS)),
            given_up: Family::default(),
        };
        registry.register("alerts", "Alerts received, by source and outcome", m.alerts.clone());
        registry.register(
            "alert_storm_alerts",
            "Alerts that would have opened an incident but joined their rule's alert-storm incident (over alerts.max_openings_per_minute), by source and rule",
            m.storm_alerts.clone(),
        );
        registry.register(
            "webhook_requests",
            "Webhook requests, by source and HTTP status",
            m.hook_requests.clone(),
        );
        registry.register(
            "chat_api_errors",
            "Failed chat API calls, by platform and kind",
            m.chat_errors.clone(),
        );
        registry.register(
            "commands_refused",
            "Commands and platform requests refused, by reason (rate limits, access rules, origin)",
            m.refused.clone(),
        );
        registry.register_with_unit(
            "command_duration",
            "Time to handle a chat command, durable write included",
            Unit::Seconds,
            m.commands.clone(),
        );
        registry.register_with_unit(
            "outbox_job",
            "Where a chat job's time goes, by platform and stage: `queued` (from queued to its first try: the lane ahead of it and the durable write), `sent` (from the first try to the platform's acceptance, retries and rate-limit waits included); delivered jobs only",
            Unit::Seconds,
            m.jobs.clone(),
        );
        registry.register(
            "outbox_jobs_given_up",
            "Chat jobs dropped because the platform refused them for good (a message to a room that is gone, a refused file); not counted in `outbox_job_seconds`",
            m.given_up.clone(),
        );
        registry.register(
            "incidents_closed",
            "Incidents closed (each close, a reopened incident closed again counts again), since the process started",
            m.closed.clone(),
        );
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// One alert from `source` (console, matrix, slack, alertmanager, grafana, generic) and
    /// what it did (opened, attached, resolved, duplicate, ignored, rejected, storm).
    pub fn alert(&self, source: &str, outcome: &str) {
        let l = SourceOutcome {
            source: source.into(),
            outcome: outcome.into(),
        };
        self.alerts.get_or_create(&l).inc();
    }

    /// One alert from `source` that joined the alert-storm incident of `rule` instead of
    /// opening an incident.
    pub fn storm_alert(&self, source: &str, rule: &str) {
        let l = SourceRule {
            source: source.into(),
            rule: rule.into(),
        };
        self.storm_alerts.get_or_create(&l).inc();
    }

    /// One webhook request answered with `code`.
    pub fn hook_request(&self, source: &str, code: u16) {
        let l = SourceCode {
            source: source.into(),
            code,
        };
        self.hook_requests.get_or_create(&l).inc();
    }

    /// One failed call to a chat platform's API.
    pub fn chat_error(&self, platform: &str, kind: &str) {
        let l = PlatformKind {
            platform: platform.into(),
            kind: kind.into(),
        };
        self.chat_errors.get_or_create(&l).inc();
    }

    /// One command (or platform request) refused, and why: `command_rate`,
    /// `declaration_rate`, `not_responder`, `privileged`, `slack_origin`, `foreign_server`.
    pub fn command_refused(&self, reason: &str) {
        self.refused.get_or_create(&Reason { reason: reason.into() }).inc();
    }

    /// One chat job delivered: how long it waited in its lane (`queued`) and how long the
    /// platform took to accept it (`sent`). Jobs given up are counted by `outbox_given_up`.
    pub fn outbox_job(&self, platform: &str, queued: Duration, sent: Duration) {
        for (stage, d) in [("queued", queued), ("sent", sent)] {
            self.jobs
                .get_or_create(&PlatformStage {
                    platform: platform.into(),
                    stage: stage.into(),
                })
                .observe(d.as_secs_f64());
        }
    }

    /// One chat job the platform refused for good: dropped, not delivered.
    pub fn outbox_given_up(&self, platform: &str) {
        self.given_up
            .get_or_create(&PlatformLabel {
                platform: platform.into(),
            })
            .inc();
    }

    /// One command handled, taking `d`.
    pub fn command(&self, d: Duration) {
        self.commands.observe(d.as_secs_f64());
    }

    /// `n` incidents closed (written durably).
    pub fn incidents_closed(&self, n: u64) {
        self.closed.inc_by(n);
    }

    /// The exposition text with `incidents` (every incident in the store) and nothing else
    /// read at scrape time.
    pub fn render(&self, incidents: &[Incident]) -> String {
        self.render_scrape(&Scrape {
            incidents,
            ..Scrape::default()
        })
    }

    /// The exposition text: what `s` says (store, adapters, outbox, process), then the
    /// counters of this process.
    pub fn render_scrape(&self, s: &Scrape<'_>) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail; a failure would leave the text short, not panic.
        let _ = encode_registry(&mut out, &s.registry())
            .and_then(|()| encode_registry(&mut out, &self.registry))
            .and_then(|()| encode_eof(&mut out));
        out
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::Utc;
    use prometheus_parse::{LineInfo, SampleType, Value};

    use super::*;
    use crate::domain::{Opening, Person, Source, TransitionError};
    use crate::store::Store;

    /// `text` parsed as the exposition format: the samples, and each family's declared type.
    /// Fails when the text is not well formed: a sample of no declared family, a counter
    /// sample without `_total`, a missing `# EOF`, a line the parser does not take.
    fn parse(text: &str) -> (prometheus_parse::Scrape, HashMap<String, SampleType>) {
        assert!(text.ends_with("# EOF\n"), "{text}");
        let mut types = HashMap::new();
        for line in text.lines() {
            match LineInfo::parse(line) {
                LineInfo::Type {
                    metric_name,
                    metric_alias,
                    sample_type,
                } => {
                    assert!(
                        types.insert(metric_alias.unwrap_or(metric_name), sample_type).is_none(),
                        "{line}"
                    );
                }
                LineInfo::Sample { metric_name, .. } => {
                    let family = ["_total", "_bucket", "_sum", "_count"]
                        .iter()
                        .find_map(|s| metric_name.strip_suffix(s).filter(|f| types.contains_key(*f)))
                        .unwrap_or(metric_name);
                    let ty = types.get(family);
                    assert!(ty.is_some(), "no TYPE for {line}");
                    if ty == Some(&SampleType::Counter) {
                        assert!(metric_name.ends_with("_total"), "{line}");
                    }
                }
                LineInfo::Doc { .. } | LineInfo::Empty => {}
                LineInfo::Ignored => {
                    assert!(line.starts_with("# UNIT ") || line == "# EOF", "unparsed: {line}");
                }
            }
        }
        let lines = text.lines().map(|l| Ok(l.to_string()));
        (prometheus_parse::Scrape::parse(lines).unwrap(), types)
    }

    /// The value of `name` with exactly `labels`.
    fn value(s: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        s.samples
            .iter()
            .find(|x| {
                x.metric == name
                    && x.labels.len() == labels.len()
                    && labels.iter().all(|(k, v)| x.labels.get(k) == Some(v))
            })
            .map(|x| match x.value {
                Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
                _ => f64::NAN,
            })
    }

    #[test]
    fn the_exposition_parses_with_types_labels_and_the_new_series() {
        let m = Metrics::default();
        m.alert("generic", "opened");
        m.alert("generic", "opened");
        m.storm_alert("alertmanager", "hook:alertmanager");
        m.chat_error("slack", "rate_limited");
        m.hook_request("generic", 202);
        m.command(Duration::from_millis(3));
        m.outbox_job("slack", Duration::from_millis(4), Duration::from_millis(30));
        m.outbox_given_up("matrix");
        m.command_refused("command_rate");
        m.command_refused("a \"quoted\"\nreason");
        let scrape = Scrape {
            incidents: &[],
            adapters: vec![("matrix".into(), false), ("slack".into(), true)],
            outbox: vec![Outbox {
                platform: "matrix".into(),
                jobs: 3,
                oldest: Some(Duration::from_millis(90_500)),
            }],
            without_room: vec![("slack".into(), 2)],
            syncs: 7,
        };
        let text = m.render_scrape(&scrape);
        let (s, types) = parse(&text);
        let v = |name: &str, labels: &[(&str, &str)]| value(&s, name, labels);
        assert_eq!(
            v("warroom_alerts_total", &[("source", "generic"), ("outcome", "opened")]),
            Some(2.0),
            "{text}"
        );
        assert_eq!(
            v("warroom_commands_refused_total", &[("reason", "command_rate")]),
            Some(1.0)
        );
        assert!(
            text.contains("warroom_commands_refused_total{reason=\"a \\\"quoted\\\"\\nreason\"} 1\n"),
            "{text}"
        );
        assert_eq!(
            v(
                "warroom_webhook_requests_total",
                &[("source", "generic"), ("code", "202")]
            ),
            Some(1.0)
        );
        assert_eq!(
            v(
                "warroom_chat_api_errors_total",
                &[("platform", "slack"), ("kind", "rate_limited")]
            ),
            Some(1.0)
        );
        assert_eq!(
            v(
                "warroom_alert_storm_alerts_total",
                &[("source", "alertmanager"), ("rule", "hook:alertmanager")]
            ),
            Some(1.0)
        );
        assert_eq!(v("warroom_incidents_open", &[("severity", "sev1")]), Some(0.0));
        assert_eq!(v("warroom_incidents_without_room", &[("platform", "slack")]), Some(2.0));
        assert_eq!(v("warroom_store_syncs_total", &[]), Some(7.0));
        assert_eq!(v("warroom_incidents_opened_total", &[]), Some(0.0));
        assert_eq!(v("warroom_incidents_closed_total", &[]), Some(0.0));
        assert_eq!(v("warroom_incidents_currently_closed", &[]), Some(0.0));
        assert_eq!(v("warroom_adapter_up", &[("platform", "slack")]), Some(1.0));
        assert_eq!(v("warroom_adapter_up", &[("platform", "matrix")]), Some(0.0));
        assert_eq!(v("warroom_outbox_jobs", &[("platform", "matrix")]), Some(3.0));
        assert_eq!(
            v("warroom_outbox_jobs_given_up_total", &[("platform", "matrix")]),
            Some(1.0)
        );
        assert_eq!(
            v("warroom_outbox_oldest_job_age_seconds", &[("platform", "matrix")]),
            Some(90.5)
        );
        let version = env!("CARGO_PKG_VERSION");
        assert_eq!(v("warroom_build_info", &[("version", version)]), Some(1.0));
        let ty = |f: &str| types.get(f).copied();
        for counter in [
            "warroom_alerts",
            "warroom_commands_refused",
            "warroom_incidents_opened",
            "warroom_incidents_closed",
            "warroom_timeline_entries",
            "warroom_outbox_jobs_given_up",
        ] {
            assert_eq!(ty(counter), Some(SampleType::Counter), "{counter}");
        }
        for gauge in [
            "warroom_incidents_open",
            "warroom_incidents_currently_closed",
            "warroom_adapter_up",
            "warroom_outbox_jobs",
            "warroom_outbox_oldest_job_age_seconds",
            "warroom_build_info",
        ] {
            assert_eq!(ty(gauge), Some(SampleType::Gauge), "{gauge}");
        }
        assert_eq!(ty("warroom_command_duration_seconds"), Some(SampleType::Histogram));
        assert_eq!(ty("warroom_outbox_job_seconds"), Some(SampleType::Histogram));
        let job = s
            .samples
            .iter()
            .find(|x| {
                x.metric == "warroom_outbox_job_seconds"
                    && x.labels.get("stage") == Some("sent")
                    && x.labels.get("platform") == Some("slack")
            })
            .expect("the sent stage of a slack job");
        match &job.value {
            Value::Histogram(h) => {
                let le_50ms = h.iter().find(|b| (b.less_than - 0.05).abs() < 1e-9).unwrap();
                let le_25ms = h.iter().find(|b| (b.less_than - 0.025).abs() < 1e-9).unwrap();
                assert_eq!((le_25ms.count, le_50ms.count), (0.0, 1.0));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            ty("warroom_incident_time_to_resolve_seconds"),
            Some(SampleType::Histogram)
        );
        let latency = s
            .samples
            .iter()
            .find(|x| x.metric == "warroom_command_duration_seconds");
        match latency.map(|x| &x.value) {
            Some(Value::Histogram(b)) => {
                let le_5ms = b.iter().find(|c| c.less_than == 0.005).map(|c| c.count);
                assert_eq!(le_5ms, Some(1.0), "{b:?}");
            }
            other => panic!("{other:?}"),
        }
        #[cfg(target_os = "linux")]
        {
            assert_eq!(ty("process_cpu_seconds"), Some(SampleType::Counter));
            assert!(v("process_resident_memory_bytes", &[]).unwrap() > 0.0, "{text}");
            assert!(v("process_open_fds", &[]).unwrap() >= 3.0, "{text}");
            assert!(v("process_cpu_seconds_total", &[]).is_some(), "{text}");
        }
    }

    #[test]
    fn an_outbox_job_ages_from_when_it_was_queued() {
        super::super::job_queued("test-age", 7);
        // Scraped 20 s later: job 7 is 20 s old (or a little more), job 8 is first seen now.
        let later = std::time::Instant::now() + Duration::from_secs(20);
        let o = Outbox::at("test-age", &[7, 8], later);
        assert_eq!(o.jobs, 2);
        assert!(o.oldest.unwrap() >= Duration::from_secs(20), "{o:?}");
        assert!(o.oldest.unwrap() < Duration::from_secs(25), "{o:?}");
        let empty = Outbox::of("test-age", &[]);
        assert_eq!((empty.jobs, empty.oldest), (0, None));
    }

    #[test]
    fn a_sequence_number_queued_again_ages_from_its_new_job() {
        // Job 3 was queued long ago and delivered without a scrape in between; the queue then
        // emptied and its numbers start again: a new job 3 is new.
        let t0 = std::time::Instant::now();
        super::super::scrape::job_queued_at("test-again", 3, t0);
        let again = t0 + Duration::from_secs(300);
        super::super::scrape::job_queued_at("test-again", 3, again);
        let o = Outbox::at("test-again", &[3], again + Duration::from_secs(1));
        assert_eq!(o.oldest, Some(Duration::from_secs(1)), "{o:?}");
        // Done with, it is forgotten: a job 3 seen later (by a scrape, queued before this
        // process started) ages from then, not from the delivered one's time.
        super::super::job_done("test-again", 3);
        let later = std::time::Instant::now() + Duration::from_secs(30);
        let o = Outbox::at("test-again", &[3], later);
        assert_eq!(o.oldest, Some(Duration::ZERO), "{o:?}");
    }

    /// `warroom_incidents_closed_total` and `warroom_incidents_currently_closed` of `store`.
    fn closed(store: &Store) -> (f64, f64) {
        let all = store.incidents(true).unwrap();
        let (s, _) = parse(&metrics().render(&all));
        let total = value(&s, "warroom_incidents_closed_total", &[]).unwrap();
        let now = value(&s, "warroom_incidents_currently_closed", &[]).unwrap_or(f64::NAN);
        (total, now)
    }

    #[tokio::test]
    async fn closed_total_does_not_drop_when_an_incident_is_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), "test").unwrap();
        let who = Person::new("alice", "Alice");
        let inc = store
            .create_incident::<TransitionError>(None, Utc::now(), |id| {
                Incident::open(Opening::by_hand(id, "NDW ETL failed", who.clone(), Utc::now()))
            })
            .await
            .unwrap()
            .incident;
        let change = |f: fn(&mut Incident, &Person) -> Result<Vec<crate::domain::NewEntry>, TransitionError>| {
            let (store, who) = (&store, &who);
            async move {
                store
                    .update_incident::<(), TransitionError>(inc.id, None, Utc::now(), |i| Ok(((), f(i, who)?)))
                    .await
                    .unwrap();
            }
        };
        let before = closed(&store);
        change(|i, w| i.close(w, Utc::now(), Source::Console)).await;
        let after_close = closed(&store);
        assert!(after_close.0 >= before.0 + 1.0, "{before:?} {after_close:?}");
        assert_eq!(after_close.1, 1.0);
        change(|i, w| i.reopen(w, Utc::now(), Source::Console)).await;
        let after_reopen = closed(&store);
        // Other tests may close incidents meanwhile: the counter only grows.
        assert!(after_reopen.0 >= after_close.0, "{after_close:?} {after_reopen:?}");
        assert_eq!(after_reopen.1, 0.0);
        change(|i, w| i.close(w, Utc::now(), Source::Console)).await;
        assert!(closed(&store).0 >= after_close.0 + 1.0);
    }
}
