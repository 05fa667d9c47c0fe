//! Validated settings, built once from the raw `Config`: the timezone and date order, the
//! compiled alert rules, the chat platforms, every secret (hook credentials, Slack tokens,
//! Matrix credentials) read once, the HTTP limits and the postmortem template (parsed once). `Settings::from_config` lists every
//! problem; that list is what `check-config` reports and what stops `run` with exit code 2.

use std::time::Duration;

use chrono_tz::Tz;

use crate::alert::RuleSet;
use crate::alert::payload::HookKind;
use crate::chat::matrix::Credentials;
use crate::chat::slack::Secrets;
use crate::config::{AccessConfig, Config, ConfigError, MatrixConfig, SlackConfig};
use crate::domain::DateOrder;
use crate::http::hooks::HookAuth;
use crate::limits::ServerLimits;
use crate::postmortem::RenderOptions;

/// `[slack]` and the secrets its mode needs.
pub struct SlackSettings {
    pub config: SlackConfig,
    pub secrets: Secrets,
}

/// `[matrix]` and its password or access token.
pub struct MatrixSettings {
    pub config: MatrixConfig,
    pub credentials: Credentials,
}

/// Everything a warroom process runs with, validated.
pub struct Settings {
    /// The raw configuration (printed, secrets redacted, by `check-config`).
    pub config: Config,
    pub tz: Tz,
    /// `[time] date_order`: how dates with slashes are read.
    pub date_order: DateOrder,
    pub rules: RuleSet,
    /// The chat platforms configured (`matrix`, `slack`), in that order.
    pub platforms: Vec<crate::domain::Platform>,
    /// The configured webhook receivers and their credentials.
    pub hooks: Vec<(HookKind, HookAuth)>,
    /// Set by `from_config` when `[slack]` is configured; `None` in `local` settings.
    pub slack: Option<SlackSettings>,
    /// Set by `from_config` when `[matrix]` is configured; `None` in `local` settings.
    pub matrix: Option<MatrixSettings>,
    pub limits: ServerLimits,
    pub access: AccessConfig,
    /// Alert news about one incident is posted at most once per this window.
    pub coalesce: Duration,
    pub max_openings_per_minute: u32,
    /// The `http.listen` address.
    pub listen: String,
    /// `[postmortem]`: the template (parsed once, here), language and front matter of the drafts.
    pub postmortem: crate::postmortem::RenderOptions,
    /// `[reminders]`, each duration checked.
    pub reminders: crate::domain::ReminderRules,
    /// `[http] metrics_bearer`: the token `/metrics` and `/readyz` require, if set.
    pub metrics_bearer: Option<crate::config::Secret>,
}

impl Settings {
    /// Validate everything `warroom run` needs. `Err`: every problem, each a complete sentence
    /// saying what to fix.
    pub fn from_config(config: Config) -> Result<Settings, Vec<String>> {
        let mut problems = Vec::new();
        let core = core(&config).map_err(|e| problems.push(e.to_string())).ok();
        // The only place the postmortem template is read and parsed.
        let postmortem = config.postmortem().map_err(|e| problems.push(e.to_string())).ok();
        if let Err(e) = config.reminders.rules() {
            problems.push(e.to_string());
        }
        // Read once: the token checked here is the one used (a file changed or made unreadable
        // later cannot leave the endpoints open).
        let metrics_bearer = config
            .http
            .metrics_bearer()
            .map_err(|e| problems.push(e.to_string()))
            .ok()
            .flatten();
        let matrix = config
            .matrix
            .as_ref()
            .and_then(|m| match crate::chat::matrix::credentials(m) {
                Ok(credentials) => Some(MatrixSettings {
                    config: m.clone(),
                    credentials,
                }),
                Err(e) => {
                    problems.push(e);
                    None
                }
            });
        let slack = config.slack.as_ref().and_then(|s| match Secrets::read(s) {
            Ok(secrets) => Some(SlackSettings {
                config: s.clone(),
                secrets,
            }),
            Err(p) => {
                problems.extend(p);
                None
            }
        });
        let mut hooks = Vec::new();
        for (kind, c) in config.hooks.enabled() {
            match HookAuth::from_config(kind, c) {
                Ok(auth) => hooks.push((kind, auth)),
                Err(e) => problems.push(e),
            }
        }
        let platforms = config.chat_platforms();
        if let Some((_, rules)) = &core {
            problems.extend(unconfigured_platforms(rules, &platforms));
        }
        match (core, postmortem) {
            (Some((tz, rules)), Some(postmortem)) if problems.is_empty() => Ok(Settings {
                hooks,
                slack,
                matrix,
                metrics_bearer,
                ..Settings::assemble(config, tz, rules, postmortem)
            }),
            _ => Err(problems),
        }
    }

    /// Settings for a process that runs no chat adapter and no webhook receiver (`console`,
    /// `export`, tests): the timezone and rules are validated, secrets are not read.
    pub fn local(config: Config) -> Result<Settings, ConfigError> {
        let (tz, rules) = core(&config)?;
        let postmortem = config.postmortem()?;
        config.reminders.rules()?;
        Ok(Settings::assemble(config, tz, rules, postmortem))
    }

    fn assemble(config: Config, tz: Tz, rules: RuleSet, postmortem: RenderOptions) -> Settings {
        Settings {
            postmortem,
            reminders: config.reminders.rules().unwrap_or_default(),
            // `from_config` sets the one it read and checked; a process without the HTTP
            // server (`local`) serves no metrics.
            metrics_bearer: None,
            tz,
            date_order: config.time.date_order,
            rules,
            platforms: config.chat_platforms(),
            hooks: Vec::new(),
            slack: None,
            matrix: None,
            limits: ServerLimits::from_config(&config.http),
            access: config.access.clone(),
            coalesce: Duration::from_secs(config.alerts.coalesce_seconds.max(1)),
            max_openings_per_minute: config.alerts.max_openings_per_minute,
            listen: config.http.listen.clone(),
            config,
        }
    }
}

/// The timezone and the compiled rules (the only place rules are compiled).
fn core(config: &Config) -> Result<(Tz, RuleSet), ConfigError> {
    let tz = config.tz()?;
    let rules = config.rules()?;
    Ok((tz, rules))
}

/// Rules that open incidents in a platform that is not configured.
fn unconfigured_platforms(rules: &RuleSet, platforms: &[crate::domain::Platform]) -> Vec<String> {
    rules
        .open_in()
        .into_iter()
        .filter(|(_, p)| !platforms.contains(p))
        .map(|(rule, p)| {
            format!(
                "alert rule `{rule}` opens incidents in {p}, but no [{p}] section is configured; add it, or remove {p} from the rule's open_in"
            )
        })
        .collect()
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
