//! Webhook payload decoders: Prometheus Alertmanager (webhook version 4), Grafana Alerting
//! (webhook version 1) and warroom's generic JSON, each into normalised `Alert`s. A payload that
//! is not JSON, lacks a required field or has a version we do not read is refused with a
//! message saying what is wrong.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use serde::Deserialize;

use super::{Alert, AlertStatus, map_severity};
use crate::domain::{Person, Source};

/// The webhook sources warroom reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookKind {
    Alertmanager,
    Grafana,
    Generic,
}

impl HookKind {
    pub const ALL: [HookKind; 3] = [HookKind::Alertmanager, HookKind::Grafana, HookKind::Generic];

    /// The route name: `/hooks/<name>`, `[hooks.<name>]`, the `source` metric label.
    pub fn name(self) -> &'static str {
        match self {
            HookKind::Alertmanager => "alertmanager",
            HookKind::Grafana => "grafana",
            HookKind::Generic => "generic",
        }
    }

    /// Where its alerts arrive, as an alert's `room`: `hook:<name>`.
    pub fn route(self) -> String {
        format!("hook:{}", self.name())
    }

    fn display(self) -> &'static str {
        match self {
            HookKind::Alertmanager => "Alertmanager",
            HookKind::Grafana => "Grafana",
            HookKind::Generic => "webhook",
        }
    }

    /// Decode a request body.
    pub fn decode(self, body: &[u8], now: DateTime<Utc>) -> Result<Vec<Alert>, PayloadError> {
        match self {
            HookKind::Alertmanager | HookKind::Grafana => decode_alertmanager_like(self, body, now),
            HookKind::Generic => decode_generic(body, now),
        }
    }
}

/// Why a payload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Not JSON, or a field is missing or has the wrong type or value (HTTP 400).
    #[error("{0}")]
    Malformed(String),
    /// Well-formed, but a version or shape warroom does not read (HTTP 422).
    #[error("{0}")]
    Unsupported(String),
}

fn parse<'de, T: Deserialize<'de>>(body: &'de [u8], what: &str) -> Result<T, PayloadError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            PayloadError::Malformed(format!("not a valid {what} payload: {inner}"))
        } else {
            PayloadError::Malformed(format!("not a valid {what} payload: at `{path}`: {inner}"))
        }
    })
}

/// Alertmanager's webhook message; Grafana's extends it (title, message, state, orgId and
/// per-alert URLs and values).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Message {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    group_key: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    receiver: Option<String>,
    #[serde(default)]
    alerts: Option<Vec<AmAlert>>,
    #[serde(default)]
    truncated_alerts: u64,
    #[serde(default)]
    common_labels: BTreeMap<String, String>,
    #[serde(default)]
    common_annotations: BTreeMap<String, String>,
    /// Legacy Grafana alerting (before Grafana 8) only.
    #[serde(default)]
    rule_name: Option<String>,
    #[serde(default)]
    eval_matches: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AmAlert {
    status: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    starts_at: DateTime<Utc>,
    #[serde(default)]
    ends_at: Option<String>,
    #[serde(default, rename = "generatorURL")]
    generator_url: Option<String>,
    #[serde(default)]
    fingerprint: Option<String>,
    #[serde(default, rename = "dashboardURL")]
    dashboard_url: Option<String>,
    #[serde(default)]
    value_string: Option<String>,
}

fn status_of(s: &str, at: &str) -> Result<AlertStatus, PayloadError> {
    match s {
        "firing" => Ok(AlertStatus::Firing),
        "resolved" => Ok(AlertStatus::Resolved),
        other => Err(PayloadError::Malformed(format!(
            "`{at}` is `{other}`; expected `firing` or `resolved`"
        ))),
    }
}

fn nonempty(s: Option<&String>) -> Option<&str> {
    s.map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// A stable identity for an alert without a fingerprint: its sorted label set.
fn label_key(labels: &BTreeMap<String, String>) -> String {
    let parts: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", parts.join(","))
}

fn decode_alertmanager_like(kind: HookKind, body: &[u8], now: DateTime<Utc>) -> Result<Vec<Alert>, PayloadError> {
    let mut m: Message = parse(body, kind.display())?;
    check_version(kind, &m)?;
    let group_key = nonempty(m.group_key.as_ref())
        .ok_or_else(|| PayloadError::Malformed("`groupKey` is missing or empty".into()))?
        .to_string();
    let status = m
        .status
        .as_deref()
        .ok_or_else(|| PayloadError::Malformed("`status` is missing".into()))?;
    status_of(status, "status")?;
    let alerts = m
        .alerts
        .take()
        .ok_or_else(|| PayloadError::Malformed("`alerts` is missing".into()))?;
    if alerts.is_empty() {
        return Err(PayloadError::Malformed("`alerts` is empty".into()));
    }
    if m.truncated_alerts > 0 {
        tracing::warn!(
            source = kind.name(),
            truncated = m.truncated_alerts,
            "webhook: the sender truncated this notification; the dropped alerts are not seen: raise (or set to 0) max_alerts in its webhook receiver"
        );
    }
    let group = Group::of(kind, &m, group_key, alerts.len());
    let mut out = Vec::with_capacity(alerts.len());
    for (i, a) in alerts.into_iter().enumerate() {
        out.push(group.alert(i, a, now)?);
    }
    Ok(out)
}

/// Refuses a payload whose `version` is not the one warroom reads for `kind`, naming the route
/// it looks like it was meant for.
fn check_version(kind: HookKind, m: &Message) -> Result<(), PayloadError> {
    let expected = match kind {
        HookKind::Grafana => "1",
        _ => "4",
    };
    match m.version.as_deref() {
        Some(v) if v == expected => Ok(()),
        None if kind == HookKind::Grafana && (m.rule_name.is_some() || m.eval_matches.is_some()) => {
            Err(PayloadError::Unsupported(
                "this is a legacy Grafana alerting payload (ruleName/evalMatches); warroom reads Grafana Alerting's webhook contact point (version 1)".into(),
            ))
        }
        None => Err(PayloadError::Malformed(format!(
            "not a {} webhook payload: `version` is missing",
            kind.display()
        ))),
        Some(v) => Err(PayloadError::Unsupported(format!(
            "{} webhook version {v:?} is not supported; warroom reads version {expected}{}",
            kind.display(),
            match (kind, v) {
                (HookKind::Alertmanager, "1") => "; this looks like Grafana: POST it to /hooks/grafana",
                (HookKind::Grafana, "4") => "; this looks like Alertmanager: POST it to /hooks/alertmanager",
                _ => "",
            }
        ))),
    }
}

/// What every alert of one notification shares: where it came from and the group's name.
struct Group {
    kind: HookKind,
    sender: Person,
    key: String,
    /// The group's own name, when it has one: a summary all its alerts share, or their alertname.
    title: Option<String>,
}

impl Group {
    fn of(kind: HookKind, m: &Message, key: String, count: usize) -> Group {
        let sender = Person::new(
            kind.route(),
            match nonempty(m.receiver.as_ref()) {
                Some(r) => format!("{} ({r})", kind.display()),
                None => kind.display().to_string(),
            },
        );
        let title = nonempty(m.common_annotations.get("summary"))
            .filter(|_| count > 1)
            .or_else(|| nonempty(m.common_labels.get("alertname")).filter(|_| count > 1))
            .map(str::to_string);
        Group {
            kind,
            sender,
            key,
            title,
        }
    }

    /// The `i`th alert of the notification, normalised.
    fn alert(&self, i: usize, a: AmAlert, now: DateTime<Utc>) -> Result<Alert, PayloadError> {
        let kind = self.kind;
        let status = status_of(&a.status, &format!("alerts[{i}].status"))?;
        let alertname = a.labels.get("alertname").cloned();
        let summary = nonempty(a.annotations.get("summary")).map(str::to_string);
        let description = nonempty(a.annotations.get("description"))
            .or_else(|| nonempty(a.annotations.get("message")))
            .map(str::to_string);
        let title = self
            .title
            .clone()
            .or_else(|| summary.clone())
            .or_else(|| alertname.clone())
            .unwrap_or_else(|| format!("{} alert", kind.display()));
        let mut text: Vec<String> = Vec::new();
        text.extend(summary.clone().or_else(|| alertname.clone()));
        text.extend(description.filter(|d| Some(d) != summary.as_ref()));
        if let Some(v) = nonempty(a.value_string.as_ref()) {
            text.push(v.to_string());
        }
        let at = match status {
            AlertStatus::Firing => a.starts_at,
            AlertStatus::Resolved => ends_at(&a).unwrap_or(now),
        };
        let identity = nonempty(a.fingerprint.as_ref()).map_or_else(|| label_key(&a.labels), str::to_string);
        Ok(Alert {
            text: text.join("\n"),
            title: Some(title),
            sender: self.sender.clone(),
            room: kind.route(),
            room_names: vec![kind.route(), kind.name().to_string()],
            hook: Some(kind),
            at,
            source: Source::Webhook,
            status,
            severity: a.labels.get("severity").and_then(|s| map_severity(s)),
            key: Some(format!("{identity}@{}", a.starts_at.to_rfc3339())),
            group: Some(self.key.clone()),
            url: nonempty(a.generator_url.as_ref())
                .or(nonempty(a.dashboard_url.as_ref()))
                .map(str::to_string),
            labels: a.labels,
        })
    }
}

/// When a resolved alert ended, if the sender said (Alertmanager sends year 1 for "not yet").
fn ends_at(a: &AmAlert) -> Option<DateTime<Utc>> {
    a.ends_at
        .as_deref()
        .and_then(|e| DateTime::parse_from_rfc3339(e).ok())
        .map(|e| e.with_timezone(&Utc))
        .filter(|e| e.year() > 1)
}

/// warroom's generic JSON: `title`, `text`, `severity`, `fingerprint`, `status`, and optional
/// `labels`, `url` and `at` (RFC 3339).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Generic {
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    severity: Option<String>,
    fingerprint: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    at: Option<DateTime<Utc>>,
}

const MAX_FIELD: usize = 10_000;

fn decode_generic(body: &[u8], now: DateTime<Utc>) -> Result<Vec<Alert>, PayloadError> {
    let g: Generic = parse(body, "generic webhook")?;
    let title = g.title.trim();
    if title.is_empty() {
        return Err(PayloadError::Malformed("`title` is empty".into()));
    }
    let fingerprint = g.fingerprint.trim();
    if fingerprint.is_empty() {
        return Err(PayloadError::Malformed("`fingerprint` is empty".into()));
    }
    for (name, v) in [
        ("title", title),
        ("text", g.text.as_str()),
        ("fingerprint", fingerprint),
    ] {
        if v.len() > MAX_FIELD {
            return Err(PayloadError::Malformed(format!(
                "`{name}` is longer than {MAX_FIELD} bytes"
            )));
        }
    }
    let severity = match g.severity.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(map_severity(s).ok_or_else(|| {
            PayloadError::Malformed(format!(
                "`severity` is `{s}`; expected sev1..sev4, critical, major, minor, low, p1..p4, error, warning or info"
            ))
        })?),
    };
    let status = status_of(g.status.as_deref().unwrap_or("firing"), "status")?;
    Ok(vec![Alert {
        text: if g.text.trim().is_empty() {
            title.to_string()
        } else {
            g.text.trim().to_string()
        },
        title: Some(title.to_string()),
        sender: Person::new(HookKind::Generic.route(), "webhook"),
        room: HookKind::Generic.route(),
        room_names: vec![HookKind::Generic.route(), "generic".into()],
        hook: Some(HookKind::Generic),
        at: g.at.unwrap_or(now),
        source: Source::Webhook,
        status,
        labels: g.labels,
        severity,
        key: Some(fingerprint.to_string()),
        group: Some(fingerprint.to_string()),
        url: g.url.filter(|u| !u.trim().is_empty()),
    }])
}

#[cfg(test)]
#[path = "payload_tests.rs"]
mod tests;
