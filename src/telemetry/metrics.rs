//! Prometheus metrics: process counters (alerts by source and outcome, commands and their
//! latency, chat API errors, webhook requests) kept in memory, plus gauges and histograms
//! derived from the store at scrape time (open incidents by severity, opened/closed totals,
//! timeline entries, time to acknowledge/mitigate/resolve), rendered in the text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::domain::{DURATIONS, Incident, Severity};

/// Upper bounds (seconds) of the command latency histogram.
const COMMAND_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];
/// Upper bounds (seconds) of the incident duration histograms: 1 min .. 1 week.
const DURATION_BUCKETS: [f64; 11] = [
    60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0, 86400.0, 259200.0, 604800.0,
];

#[derive(Debug, Clone, Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], v: f64) {
        if self.counts.len() != bounds.len() {
            self.counts = vec![0; bounds.len()];
        }
        for (i, b) in bounds.iter().enumerate() {
            if v <= *b {
                self.counts[i] += 1;
            }
        }
        self.sum += v;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, bounds: &[f64]) {
        for (i, b) in bounds.iter().enumerate() {
            let c = self.counts.get(i).copied().unwrap_or(0);
            let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {c}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum {}", self.sum);
        let _ = writeln!(out, "{name}_count {}", self.count);
    }
}

#[derive(Debug, Default)]
struct Inner {
    alerts: BTreeMap<(String, String), u64>,
    storm_alerts: BTreeMap<(String, String), u64>,
    hook_requests: BTreeMap<(String, u16), u64>,
    chat_errors: BTreeMap<(String, String), u64>,
    refused: BTreeMap<String, u64>,
    commands: Histogram,
}

/// The process's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

/// The process-wide metrics.
pub fn metrics() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(Metrics::default)
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl Metrics {
    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        f(&mut self.inner.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// One alert from `source` (console, matrix, slack, alertmanager, grafana, generic) and
    /// what it did (opened, attached, resolved, duplicate, ignored, rejected, storm).
    pub fn alert(&self, source: &str, outcome: &str) {
        self.with(|i| *i.alerts.entry((source.into(), outcome.into())).or_default() += 1);
    }

    /// One alert from `source` that joined the alert-storm incident of `rule` instead of
    /// opening an incident.
    pub fn storm_alert(&self, source: &str, rule: &str) {
        self.with(|i| *i.storm_alerts.entry((source.into(), rule.into())).or_default() += 1);
    }

    /// One webhook request answered with `code`.
    pub fn hook_request(&self, source: &str, code: u16) {
        self.with(|i| *i.hook_requests.entry((source.into(), code)).or_default() += 1);
    }

    /// One failed call to a chat platform's API.
    pub fn chat_error(&self, platform: &str, kind: &str) {
        self.with(|i| *i.chat_errors.entry((platform.into(), kind.into())).or_default() += 1);
    }

    /// One command (or platform request) refused, and why: `command_rate`,
    /// `declaration_rate`, `not_responder`, `privileged`, `slack_origin`, `foreign_server`.
    pub fn command_refused(&self, reason: &str) {
        self.with(|i| *i.refused.entry(reason.into()).or_default() += 1);
    }

    /// One command handled, taking `d`.
    pub fn command(&self, d: Duration) {
        self.with(|i| i.commands.observe(&COMMAND_BUCKETS, d.as_secs_f64()));
    }

    /// The exposition text: counters of this process, then what `incidents` (every incident
    /// in the store) says.
    pub fn render(&self, incidents: &[Incident]) -> String {
        let mut out = String::new();
        render_store_state(&mut out, incidents);
        self.render_counters(&mut out);
        out
    }

    /// The process counters (per process, since start).
    fn render_counters(&self, out: &mut String) {
        self.with(|i| {
            head(
                out,
                "warroom_alerts_total",
                "counter",
                "Alerts received, by source and outcome.",
            );
            for ((src, outcome), n) in &i.alerts {
                let _ = writeln!(
                    out,
                    "warroom_alerts_total{{source=\"{}\",outcome=\"{}\"}} {n}",
                    escape(src),
                    escape(outcome)
                );
            }
            head(
                out,
                "warroom_alert_storm_alerts_total",
                "counter",
                "Alerts that would have opened an incident but joined their rule's alert-storm incident (over alerts.max_openings_per_minute), by source and rule.",
            );
            for ((src, rule), n) in &i.storm_alerts {
                let _ = writeln!(
                    out,
                    "warroom_alert_storm_alerts_total{{source=\"{}\",rule=\"{}\"}} {n}",
                    escape(src),
                    escape(rule)
                );
            }
            head(
                out,
                "warroom_webhook_requests_total",
                "counter",
                "Webhook requests, by source and HTTP status.",
            );
            for ((src, code), n) in &i.hook_requests {
                let _ = writeln!(
                    out,
                    "warroom_webhook_requests_total{{source=\"{}\",code=\"{code}\"}} {n}",
                    escape(src)
                );
            }
            head(
                out,
                "warroom_chat_api_errors_total",
                "counter",
                "Failed chat API calls, by platform and kind.",
            );
            for ((p, kind), n) in &i.chat_errors {
                let _ = writeln!(
                    out,
                    "warroom_chat_api_errors_total{{platform=\"{}\",kind=\"{}\"}} {n}",
                    escape(p),
                    escape(kind)
                );
            }
            head(
                out,
                "warroom_commands_refused_total",
                "counter",
                "Commands and platform requests refused, by reason (rate limits, access rules, origin).",
            );
            for (reason, n) in &i.refused {
                let _ = writeln!(
                    out,
                    "warroom_commands_refused_total{{reason=\"{}\"}} {n}",
                    escape(reason)
                );
            }
            head(
                out,
                "warroom_command_duration_seconds",
                "histogram",
                "Time to handle a chat command, durable write included.",
            );
            i.commands
                .render(out, "warroom_command_duration_seconds", &COMMAND_BUCKETS);
        });
    }
}

fn head(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// What the store holds (derived at scrape time, so right across restarts): incidents open by
/// severity, opened and closed, timeline entries, and the milestone durations.
fn render_store_state(out: &mut String, incidents: &[Incident]) {
    let mut open: BTreeMap<&str, u64> = Severity::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    let (mut closed, mut entries) = (0u64, 0u64);
    let mut spans: Vec<Histogram> = vec![Histogram::default(); DURATIONS.len()];
    for inc in incidents {
        if inc.is_closed() {
            closed += 1;
        } else {
            *open.entry(inc.severity.as_str()).or_default() += 1;
        }
        entries += inc.last_seq;
        for (d, h) in DURATIONS.iter().zip(spans.iter_mut()) {
            if let Some(secs) = d.seconds(inc) {
                h.observe(&DURATION_BUCKETS, secs.max(0) as f64);
            }
        }
    }
    head(out, "warroom_incidents_open", "gauge", "Open incidents by severity.");
    for (sev, n) in &open {
        let _ = writeln!(out, "warroom_incidents_open{{severity=\"{sev}\"}} {n}");
    }
    head(
        out,
        "warroom_incidents_opened_total",
        "counter",
        "Incidents opened (all in the store).",
    );
    let _ = writeln!(out, "warroom_incidents_opened_total {}", incidents.len());
    head(out, "warroom_incidents_closed_total", "counter", "Incidents closed.");
    let _ = writeln!(out, "warroom_incidents_closed_total {closed}");
    head(
        out,
        "warroom_timeline_entries_total",
        "counter",
        "Timeline entries recorded.",
    );
    let _ = writeln!(out, "warroom_timeline_entries_total {entries}");
    for (d, h) in DURATIONS.iter().zip(&spans) {
        let name = format!("warroom_incident_{}_seconds", d.name);
        let help = format!(
            "{}: from the {} to the {} milestone, as in the postmortem.",
            d.label, d.from, d.to
        );
        head(out, &name, "histogram", &help);
        h.render(out, &name, &DURATION_BUCKETS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let mut h = Histogram::default();
        for v in [0.5, 30.0, 120.0, 1e9] {
            h.observe(&DURATION_BUCKETS, v);
        }
        let mut out = String::new();
        h.render(&mut out, "x", &DURATION_BUCKETS);
        assert!(out.contains("x_bucket{le=\"60\"} 2\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"300\"} 3\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"604800\"} 3\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"+Inf\"} 4\n"), "{out}");
        assert!(out.contains("x_count 4\n"), "{out}");
    }

    #[test]
    fn counters_render_with_escaped_labels() {
        let m = Metrics::default();
        m.alert("generic", "opened");
        m.alert("generic", "opened");
        m.storm_alert("alertmanager", "hook:alertmanager");
        m.chat_error("slack", "rate_limited");
        m.command(Duration::from_millis(3));
        m.command_refused("command_rate");
        m.command_refused("command_rate");
        let out = m.render(&[]);
        assert!(
            out.contains("warroom_commands_refused_total{reason=\"command_rate\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("warroom_alerts_total{source=\"generic\",outcome=\"opened\"} 2\n"),
            "{out}"
        );
        assert!(out.contains("warroom_chat_api_errors_total{platform=\"slack\",kind=\"rate_limited\"} 1\n"));
        assert!(
            out.contains("warroom_alert_storm_alerts_total{source=\"alertmanager\",rule=\"hook:alertmanager\"} 1\n")
        );
        assert!(out.contains("warroom_command_duration_seconds_bucket{le=\"0.005\"} 1\n"));
        assert!(out.contains("warroom_incidents_open{severity=\"sev1\"} 0\n"));
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
    }
}
