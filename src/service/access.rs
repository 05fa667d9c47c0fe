//! Who may do what: the `[access]` rules. Responders may declare and write, admins may do
//! everything, and privileged commands belong to the incident's commander (and admins; any
//! responder while the incident has no commander). Every refusal says who may do it.

use std::collections::HashSet;

use crate::command::{ActionCmd, Command, IncidentCmd, PostmortemCmd, TimelineCmd};
use crate::config::AccessConfig;
use crate::domain::{Incident, Person, Role};

// The command keys `[access] privileged` may list, and its default, are part of the config
// contract: they live in `config`, which validates the section.
pub use crate::config::{DEFAULT_PRIVILEGED, PRIVILEGED_KEYS};

/// What the platform vouches for about the author of a message, beyond their id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    /// Matrix: the author's power level in the room the message was sent in.
    pub power_level: Option<i64>,
    /// Slack: the user groups (`S…`) named in `[access] responders` that the author is in.
    pub groups: Vec<String>,
    /// A name unique on the platform that a role may have been assigned by (Slack user name,
    /// Matrix localpart), besides the id.
    pub handle: Option<String>,
}

/// Why a command was refused: a metrics label and the text for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    pub reason: &'static str,
    pub message: String,
}

/// The access rules of this process.
#[derive(Debug, Clone)]
pub struct Access {
    open: bool,
    everyone: bool,
    responders: HashSet<String>,
    admins: HashSet<String>,
    power_level: Option<i64>,
    privileged: HashSet<String>,
    /// Slack user groups (`S…`) among the responders.
    slack_groups: Vec<String>,
}

/// Does a responder entry look like a Slack user group id (`S0123ABCD`)?
fn is_slack_group(s: &str) -> bool {
    s.len() >= 9 && s.starts_with('S') && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn norm_id(s: &str) -> String {
    s.trim().to_lowercase()
}

impl Access {
    /// No rules: everyone may do everything.
    pub fn open() -> Access {
        Access {
            open: true,
            everyone: true,
            responders: HashSet::new(),
            admins: HashSet::new(),
            power_level: None,
            privileged: HashSet::new(),
            slack_groups: Vec::new(),
        }
    }

    pub fn from_config(cfg: &AccessConfig) -> Access {
        if cfg.is_open() {
            return Access::open();
        }
        Access {
            open: false,
            everyone: cfg.responders.iter().any(|r| r.trim() == "*"),
            responders: cfg.responders.iter().map(|r| norm_id(r)).collect(),
            admins: cfg.admins.iter().map(|r| norm_id(r)).collect(),
            power_level: cfg.matrix_power_level,
            privileged: cfg.privileged.iter().map(|k| k.trim().to_string()).collect(),
            slack_groups: cfg
                .responders
                .iter()
                .map(|r| r.trim().to_string())
                .filter(|r| is_slack_group(r))
                .collect(),
        }
    }

    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The Slack user groups (`S…`) among the responders, for the adapter to resolve.
    pub fn slack_groups(&self) -> Vec<String> {
        self.slack_groups.clone()
    }

    pub fn is_admin(&self, who: &Person) -> bool {
        self.admins.contains(&norm_id(&who.id))
    }

    pub fn is_responder(&self, who: &Person, standing: &Standing) -> bool {
        self.open
            || self.everyone
            || self.is_admin(who)
            || self.responders.contains(&norm_id(&who.id))
            || standing.groups.iter().any(|g| self.responders.contains(&norm_id(g)))
            || self
                .power_level
                .zip(standing.power_level)
                .is_some_and(|(need, has)| has >= need)
    }

    /// Who counts as a responder, for refusals.
    fn responders_text(&self) -> String {
        let mut who = "the people and groups in [access] responders".to_string();
        if let Some(pl) = self.power_level {
            who.push_str(&format!(", Matrix members with power level {pl} or more in the room"));
        }
        who
    }

    /// May `who` run `cmd`? `incident`: the incident of the room (if any); `entry_author`:
    /// for `timeline edit`/`delete`, who wrote the entry.
    pub fn check(
        &self,
        cmd: &Command,
        who: &Person,
        standing: &Standing,
        incident: Option<&Incident>,
        entry_author: Option<&Person>,
    ) -> Result<(), Denied> {
        if self.open || cmd.is_read_only() {
            return Ok(());
        }
        if !self.is_responder(who, standing) {
            let what = match cmd {
                Command::Incident(IncidentCmd::Declare { .. }) => "declare incidents".to_string(),
                _ => match incident {
                    Some(i) => format!("change {}", i.id),
                    None => "change incidents".to_string(),
                },
            };
            return Err(Denied {
                reason: "not_responder",
                message: format!(
                    "⛔ Only responders may {what}: {}, and admins. You ({}) are not one; ask a warroom admin to add you.",
                    self.responders_text(),
                    who.id
                ),
            });
        }
        let Some(inc) = incident else {
            return Ok(());
        };
        let others = entry_author.is_some_and(|a| a.id != who.id);
        let Some(key) = keys(cmd, others)
            .into_iter()
            .rev()
            .find(|k| self.privileged.contains(*k))
        else {
            return Ok(());
        };
        if self.is_admin(who) {
            return Ok(());
        }
        match inc.commander() {
            None => Ok(()),
            Some(c) if is_same_person(c, who, standing) => Ok(()),
            Some(c) => Err(Denied {
                reason: "privileged",
                message: format!("⛔ Only the commander ({c}) or an admin may {} {}.", verb(key), inc.id),
            }),
        }
    }
}

/// The bare id or name a role holder was written as: `<@U123|bob>` → `U123`, `@bob` → `bob`.
fn bare(holder: &str) -> &str {
    let t = holder.trim();
    let t = match t.strip_prefix("<@").and_then(|r| r.strip_suffix('>')) {
        Some(inner) => inner.split('|').next().unwrap_or(inner),
        None => t,
    };
    t.strip_prefix('@').unwrap_or(t)
}

/// Is the role holder `holder` this person? By id (Slack `U…`, Matrix `@user:server`, console
/// name) or by the unique handle the platform vouches for; never by a display name.
pub fn is_same_person(holder: &str, who: &Person, standing: &Standing) -> bool {
    let h = bare(holder);
    if h.is_empty() {
        return false;
    }
    let id = who.id.strip_prefix('@').unwrap_or(&who.id);
    h.eq_ignore_ascii_case(id)
        || standing
            .handle
            .as_deref()
            .is_some_and(|x| h.eq_ignore_ascii_case(x.strip_prefix('@').unwrap_or(x)))
}

/// The keys a command is known by in `[access] privileged`, general first.
pub fn keys(cmd: &Command, others: bool) -> Vec<&'static str> {
    match cmd {
        Command::Incident(c) => match c {
            IncidentCmd::Declare { .. } => vec!["incident declare"],
            IncidentCmd::Severity { .. } => vec!["incident sev"],
            IncidentCmd::Status { .. } => vec!["incident status"],
            IncidentCmd::Role { role, .. } if *role == Role::Commander => {
                vec!["incident role", "incident role commander"]
            }
            IncidentCmd::Role { .. } => vec!["incident role"],
            IncidentCmd::Milestone { .. } => vec!["incident milestone"],
            IncidentCmd::Affects { .. } => vec!["incident affects"],
            IncidentCmd::Impact { .. } | IncidentCmd::ImpactDelete(_) => vec!["incident impact"],
            IncidentCmd::Title(_) => vec!["incident title"],
            IncidentCmd::Update(_) => vec!["incident update"],
            IncidentCmd::Snooze(_) => vec!["incident snooze"],
            IncidentCmd::Resolve { .. } => vec!["incident resolve"],
            IncidentCmd::Close => vec!["incident close"],
            IncidentCmd::Reopen => vec!["incident reopen"],
            IncidentCmd::Show | IncidentCmd::ImpactList => Vec::new(),
        },
        Command::Timeline(c) => match c {
            TimelineCmd::Add { .. } => vec!["timeline add"],
            TimelineCmd::Edit { .. } if others => vec!["timeline edit", "timeline edit others"],
            TimelineCmd::Edit { .. } => vec!["timeline edit"],
            TimelineCmd::Delete { .. } if others => vec!["timeline delete", "timeline delete others"],
            TimelineCmd::Delete { .. } => vec!["timeline delete"],
            TimelineCmd::Restore { .. } if others => vec!["timeline restore", "timeline restore others"],
            TimelineCmd::Restore { .. } => vec!["timeline restore"],
            TimelineCmd::List { .. } => Vec::new(),
        },
        Command::Action(ActionCmd::List) => Vec::new(),
        Command::Action(ActionCmd::Edit { .. }) => vec!["action", "action edit"],
        Command::Action(ActionCmd::Done(_)) => vec!["action", "action done"],
        Command::Action(ActionCmd::Delete(_)) => vec!["action", "action delete"],
        Command::Action(ActionCmd::Add(_)) => vec!["action"],
        Command::Postmortem(PostmortemCmd::Set { replace: true, .. }) => vec!["postmortem", "postmortem --replace"],
        Command::Postmortem(PostmortemCmd::Set { .. }) => vec!["postmortem"],
        Command::Postmortem(PostmortemCmd::SetCustom { replace: true, .. }) => {
            vec!["postmortem", "postmortem --replace"]
        }
        Command::Postmortem(PostmortemCmd::SetCustom { .. }) => vec!["postmortem"],
        Command::Postmortem(PostmortemCmd::Link { .. }) => vec!["postmortem", "postmortem link"],
        Command::Postmortem(PostmortemCmd::Related(_)) => vec!["postmortem", "postmortem related"],
        Command::Postmortem(PostmortemCmd::Author(_)) => vec!["postmortem", "postmortem author"],
        Command::Postmortem(PostmortemCmd::Reviewer(_)) => vec!["postmortem", "postmortem reviewer"],
        Command::Postmortem(PostmortemCmd::Review(_)) => vec!["postmortem", "postmortem review"],
        Command::Postmortem(PostmortemCmd::Template(_)) => vec!["postmortem", "postmortem template"],
        Command::Postmortem(PostmortemCmd::Language(_)) => vec!["postmortem", "postmortem language"],
        Command::Postmortem(PostmortemCmd::Show | PostmortemCmd::Export(_)) | Command::Help(_) => Vec::new(),
    }
}

/// "close", "change the commander of", ...: what a key does, before the incident id.
fn verb(key: &str) -> String {
    match key {
        "incident close" => "close".into(),
        "incident reopen" => "reopen".into(),
        "incident role commander" => "change the commander of".into(),
        "timeline edit others" => "edit someone else's timeline entry in".into(),
        "timeline delete others" => "delete someone else's timeline entry in".into(),
        "timeline restore others" => "restore someone else's timeline entry in".into(),
        "postmortem --replace" => "replace a postmortem section of".into(),
        other => format!("use `{other}` in"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn std(handle: Option<&str>) -> Standing {
        Standing {
            handle: handle.map(String::from),
            ..Standing::default()
        }
    }

    #[test]
    fn the_commander_is_known_by_id_or_handle_never_by_display_name() {
        let slack = Person::new("U0BOB0001", "Bobby Tables");
        for holder in [
            "<@U0BOB0001>",
            "<@U0BOB0001|bob>",
            "U0BOB0001",
            "@U0BOB0001",
            " u0bob0001 ",
        ] {
            assert!(is_same_person(holder, &slack, &std(None)), "{holder}");
        }
        assert!(is_same_person("@bob", &slack, &std(Some("bob"))));
        // A display name is chosen by its owner: anyone could call themselves "Bobby Tables".
        assert!(!is_same_person("@Bobby", &slack, &std(None)));
        assert!(!is_same_person("Bobby Tables", &slack, &std(None)));
        let mx = Person::new("@bob:example.org", "Bob");
        assert!(is_same_person("@bob:example.org", &mx, &std(Some("bob"))));
        assert!(is_same_person("@bob", &mx, &std(Some("bob"))));
        assert!(!is_same_person("@bob:evil.example", &mx, &std(Some("bob"))));
        assert!(!is_same_person("@alice", &mx, &std(Some("bob"))));
        assert!(!is_same_person("", &mx, &std(Some("bob"))));
        let console = Person::new("alice", "alice");
        assert!(is_same_person("@alice", &console, &std(None)));
    }

    #[test]
    fn slack_groups_are_told_from_user_names() {
        let cfg = AccessConfig {
            responders: vec![
                "S0ONCALL1".into(),
                "samantha".into(),
                "U0ALICE01".into(),
                "@s:example.org".into(),
            ],
            ..AccessConfig::default()
        };
        assert_eq!(Access::from_config(&cfg).slack_groups(), ["S0ONCALL1"]);
        assert!(Access::open().slack_groups().is_empty());
    }

    #[test]
    fn every_privileged_key_names_a_command() {
        use crate::command::{Parsed, parse};
        let mut seen: HashSet<&str> = HashSet::new();
        for (text, others) in [
            ("/incident sev sev1", false),
            ("/incident status identified x", false),
            ("/incident role scribe @a", false),
            ("/incident lead @a", false),
            ("/incident milestone detected", false),
            ("/incident affects api", false),
            ("/incident impact 10:00..11:00", false),
            ("/incident title x", false),
            ("/timeline restore 1", true),
            ("/action edit 1 y", false),
            ("/action done 1", false),
            ("/action delete 1", false),
            ("/incident resolve", false),
            ("/incident update x", false),
            ("/incident snooze 1h", false),
            ("/incident close", false),
            ("/incident reopen", false),
            ("/timeline x", false),
            ("/timeline edit 1 y", true),
            ("/timeline delete 1", true),
            ("/action x", false),
            ("/postmortem impact --replace x", false),
            ("/postmortem link https://a.example", false),
            ("/postmortem related INC-2", false),
            ("/postmortem author @a", false),
            ("/postmortem reviewer @a", false),
            ("/postmortem review final", false),
            ("/postmortem template google-sre", false),
            ("/postmortem language fr", false),
        ] {
            let Parsed::Command(c) = parse(text) else {
                panic!("{text} does not parse")
            };
            seen.extend(keys(&c, others));
        }
        for k in PRIVILEGED_KEYS {
            assert!(seen.contains(k), "no command has the key {k:?}");
        }
        for k in DEFAULT_PRIVILEGED {
            assert!(PRIVILEGED_KEYS.contains(k), "{k}");
        }
    }
}
