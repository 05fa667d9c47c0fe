//! `[[alerts.rules]]`: regex with named captures → title, severity and fingerprint.

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::template::Template;
use crate::domain::Severity;

/// One rule as written in the config file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Unique name; part of the fingerprint.
    pub name: String,
    /// Regex matched against the alert text.
    pub pattern: String,
    /// Incident title; `{name}` inserts a named capture, `{text}` the whole message.
    #[serde(default = "default_title")]
    pub title: String,
    #[serde(default = "default_severity")]
    pub severity: String,
    /// Grouping key: alerts with the same rendered value join the open incident. Default: the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<String>,
    /// Watched rooms this rule applies to; empty = every watched room.
    #[serde(default)]
    pub rooms: Vec<String>,
}

fn default_title() -> String {
    "{text}".into()
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
struct Rule {
    name: String,
    regex: Regex,
    title: Template,
    severity: Severity,
    group_by: Template,
    rooms: Vec<String>,
}

/// The result of a matching rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub rule: String,
    pub title: String,
    pub severity: Severity,
    pub fingerprint: String,
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
            let regex = Regex::new(&c.pattern).map_err(|e| err(format!("invalid pattern: {e}")))?;
            let mut known: Vec<&str> = regex.capture_names().flatten().collect();
            known.push("text");
            let title = Template::parse(&c.title, &known).map_err(|e| err(format!("title: {e}")))?;
            let group_by = Template::parse(c.group_by.as_deref().unwrap_or(&c.title), &known)
                .map_err(|e| err(format!("group_by: {e}")))?;
            let severity = c
                .severity
                .parse::<Severity>()
                .map_err(|e| err(format!("severity: {e}")))?;
            rules.push(Rule {
                name: c.name.clone(),
                regex,
                title,
                severity,
                group_by,
                rooms: c.rooms.clone(),
            });
        }
        Ok(RuleSet { rules })
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Match `text` that arrived in a watched room known by any of `room_names`.
    pub fn match_text(&self, text: &str, room_names: &[&str]) -> Option<Match> {
        let text = text.trim();
        for rule in &self.rules {
            if !rule.rooms.is_empty() && !rule.rooms.iter().any(|r| room_names.contains(&r.as_str())) {
                continue;
            }
            let Some(caps) = rule.regex.captures(text) else {
                continue;
            };
            let lookup = |name: &str| {
                if name == "text" {
                    text.to_string()
                } else {
                    caps.name(name).map_or(String::new(), |m| m.as_str().to_string())
                }
            };
            let mut title: String = squash(&rule.title.render(lookup))
                .chars()
                .take(MAX_TITLE_CHARS)
                .collect();
            if title.is_empty() {
                title = squash(text).chars().take(MAX_TITLE_CHARS).collect();
            }
            let key = squash(&rule.group_by.render(lookup)).to_lowercase();
            return Some(Match {
                rule: rule.name.clone(),
                title,
                severity: rule.severity,
                fingerprint: format!("{}:{}", rule.name, key),
            });
        }
        None
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
