//! `[[alerts.rules]]`: which alerts open incidents. A rule matches on the alert text (regex
//! with named captures) and on labels (regex per label); it renders the incident title,
//! severity and grouping fingerprint from templates, names the platforms the incident opens
//! on, or drops the alert (`ignore`).

use std::collections::BTreeMap;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::Alert;
use super::payload::HookKind;
use super::template::Template;
use crate::domain::{Platform, Severity};

/// The chat platforms an incident can open on (`open_in`).
pub const PLATFORMS: [Platform; 2] = [Platform::Matrix, Platform::Slack];

/// One rule as written in the config file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Unique name; part of the fingerprint.
    pub name: String,
    /// Regex matched against the alert text; none matches every alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Label name → regex the whole label value must match (webhook alerts).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Incident title; `{name}` inserts a named capture, `{text}` the whole message, `{title}`
    /// the source's title (or the message), `{labels.NAME}` a label.
    #[serde(default = "default_title")]
    pub title: String,
    /// `sev1`..`sev4` (and aliases), or a template such as `{labels.severity}`; a value that
    /// is not a severity falls back to the alert's own, then to sev3.
    #[serde(default = "default_severity")]
    pub severity: String,
    /// Grouping key: alerts with the same rendered value join the open incident. Default: the
    /// source's grouping (Alertmanager `groupKey`, the generic `fingerprint`), else the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<String>,
    /// Watched rooms (or webhook sources: `alertmanager`, `grafana`, `generic`) this rule
    /// applies to; empty = everywhere.
    #[serde(default)]
    pub rooms: Vec<String>,
    /// Kinds of alert this rule applies to: `chat` (messages in watched rooms), `alertmanager`,
    /// `grafana`, `generic`; empty = all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Platforms the incident room opens on (`matrix`, `slack`). Default: the platform a chat
    /// alert came from; for webhook alerts, every configured platform.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub open_in: Vec<String>,
    /// Drop matching alerts (counted as ignored).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ignore: bool,
}

fn default_title() -> String {
    "{title}".into()
}

fn default_severity() -> String {
    "sev3".into()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("alert rule `{rule}`: {msg}")]
pub struct RuleError {
    pub rule: String,
    pub msg: String,
}

#[derive(Debug)]
enum SeveritySpec {
    Fixed(Severity),
    Template(Template),
}

#[derive(Debug)]
struct Rule {
    name: String,
    regex: Option<Regex>,
    labels: Vec<(String, Regex)>,
    title: Template,
    severity: SeveritySpec,
    group_by: Option<Template>,
    rooms: Vec<String>,
    sources: Vec<String>,
    open_in: Vec<Platform>,
    ignore: bool,
}

/// The values `sources = [...]` may hold.
pub const SOURCES: [&str; 4] = ["chat", "alertmanager", "grafana", "generic"];

/// What to do with an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The rule that matched (`hook:<source>` for a webhook alert no rule matched).
    pub rule: String,
    pub title: String,
    pub severity: Severity,
    pub fingerprint: String,
    /// Platforms to open the incident on; empty = the default for the alert's source.
    pub open_in: Vec<Platform>,
    /// Drop the alert.
    pub ignore: bool,
}

/// All rules, in config order; the first match wins.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

const MAX_TITLE_CHARS: usize = 200;

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn clip(s: &str) -> String {
    squash(s).chars().take(MAX_TITLE_CHARS).collect()
}

impl RuleSet {
    pub fn compile(configs: &[RuleConfig]) -> Result<RuleSet, RuleError> {
        let mut rules = Vec::new();
        for c in configs {
            let err = |msg: String| RuleError {
                rule: c.name.clone(),
                msg,
            };
            if c.name.trim().is_empty() {
                return Err(err("every rule needs a `name`".into()));
            }
            if rules.iter().any(|r: &Rule| r.name == c.name) {
                return Err(err("the name is used by two rules; names must be unique".into()));
            }
            let regex = match &c.pattern {
                Some(p) => Some(Regex::new(p).map_err(|e| err(format!("invalid pattern: {e}")))?),
                None => None,
            };
            let mut labels = Vec::new();
            for (name, re) in &c.labels {
                let anchored = Regex::new(&format!("^(?:{re})$"))
                    .map_err(|e| err(format!("labels.{name}: invalid regex: {e}")))?;
                labels.push((name.clone(), anchored));
            }
            let mut known: Vec<&str> = regex
                .as_ref()
                .map(|r| r.capture_names().flatten().collect())
                .unwrap_or_default();
            known.extend(["text", "title"]);
            let title = Template::parse(&c.title, &known).map_err(|e| err(format!("title: {e}")))?;
            let group_by = match &c.group_by {
                Some(g) => Some(Template::parse(g, &known).map_err(|e| err(format!("group_by: {e}")))?),
                None => None,
            };
            let severity = if c.severity.contains('{') {
                SeveritySpec::Template(Template::parse(&c.severity, &known).map_err(|e| err(format!("severity: {e}")))?)
            } else {
                SeveritySpec::Fixed(
                    c.severity
                        .parse::<Severity>()
                        .map_err(|e| err(format!("severity: {e}")))?,
                )
            };
            let mut open_in = Vec::new();
            for p in &c.open_in {
                match PLATFORMS.into_iter().find(|o| o == &p.as_str()) {
                    Some(o) => open_in.push(o),
                    None => {
                        return Err(err(format!(
                            "open_in: `{p}` is not a platform; use {}",
                            PLATFORMS.map(Platform::as_str).join(" or ")
                        )));
                    }
                }
            }
            for src in &c.sources {
                if !SOURCES.contains(&src.as_str()) {
                    return Err(err(format!("sources: `{src}` is not one of {}", SOURCES.join(", "))));
                }
            }
            rules.push(Rule {
                name: c.name.clone(),
                regex,
                labels,
                title,
                severity,
                group_by,
                rooms: c.rooms.clone(),
                sources: c.sources.clone(),
                open_in,
                ignore: c.ignore,
            });
        }
        Ok(RuleSet { rules })
    }

    /// `(rule, platform)` for every platform a rule's `open_in` names.
    pub fn open_in(&self) -> Vec<(&str, Platform)> {
        self.rules
            .iter()
            .flat_map(|r| r.open_in.iter().map(move |p| (r.name.as_str(), *p)))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Match a chat message `text` that arrived in a watched room known by any of `room_names`.
    #[cfg(test)]
    pub fn match_text(&self, text: &str, room_names: &[&str]) -> Option<Match> {
        let alert = Alert::from_chat(
            text,
            crate::domain::Person::warroom(),
            room_names.first().copied().unwrap_or(""),
            room_names.iter().map(|s| s.to_string()).collect(),
            chrono::DateTime::<chrono::Utc>::MIN_UTC,
            crate::domain::Source::Console,
        );
        self.decide(&alert)
    }

    /// The first rule matching `alert`, rendered. `None`: no rule matched.
    pub fn decide(&self, alert: &Alert) -> Option<Match> {
        let text = alert.text.trim();
        let source = alert.hook.map_or("chat", HookKind::name);
        for rule in &self.rules {
            if !rule.sources.is_empty() && !rule.sources.iter().any(|s| s == source) {
                continue;
            }
            if !rule.rooms.is_empty() && !rule.rooms.iter().any(|r| alert.room_names.contains(r)) {
                continue;
            }
            if !rule
                .labels
                .iter()
                .all(|(k, re)| alert.labels.get(k).is_some_and(|v| re.is_match(v)))
            {
                continue;
            }
            let caps = match &rule.regex {
                Some(re) => match re.captures(text) {
                    Some(c) => Some(c),
                    None => continue,
                },
                None => None,
            };
            let lookup = |name: &str| -> String {
                match name {
                    "text" => text.to_string(),
                    "title" => alert.title.clone().unwrap_or_else(|| text.to_string()),
                    _ => {
                        if let Some(label) = name.strip_prefix("labels.") {
                            return alert.labels.get(label).cloned().unwrap_or_default();
                        }
                        caps.as_ref()
                            .and_then(|c| c.name(name))
                            .map_or(String::new(), |m| m.as_str().to_string())
                    }
                }
            };
            let mut title = clip(&rule.title.render(lookup));
            if title.is_empty() {
                title = clip(alert.title.as_deref().unwrap_or(text));
            }
            let severity = match &rule.severity {
                SeveritySpec::Fixed(s) => *s,
                SeveritySpec::Template(t) => super::map_severity(&t.render(lookup))
                    .or(alert.severity)
                    .unwrap_or(Severity::Sev3),
            };
            let key = match (&rule.group_by, &alert.group) {
                (Some(g), _) => squash(&g.render(lookup)).to_lowercase(),
                (None, Some(group)) => group.clone(),
                (None, None) => squash(&rule.title.render(lookup)).to_lowercase(),
            };
            return Some(Match {
                rule: rule.name.clone(),
                title,
                severity,
                fingerprint: format!("{}:{}", rule.name, key),
                open_in: rule.open_in.clone(),
                ignore: rule.ignore,
            });
        }
        None
    }

    /// What a webhook alert no rule matched does: open an incident with the source's title,
    /// severity and grouping. A "resolved" for an unknown group changes nothing.
    pub fn default_for_webhook(alert: &Alert) -> Match {
        let source = alert.hook.map_or("webhook", HookKind::name);
        let group = alert
            .group
            .clone()
            .or_else(|| alert.key.clone())
            .unwrap_or_else(|| clip(&alert.text).to_lowercase());
        Match {
            rule: format!("hook:{source}"),
            title: clip(alert.title.as_deref().unwrap_or(&alert.text)),
            severity: alert.severity.unwrap_or(Severity::Sev3),
            fingerprint: format!("hook:{source}:{group}"),
            open_in: Vec::new(),
            ignore: false,
        }
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
