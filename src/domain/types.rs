//! Value types of the domain that parse from user text: ids, severity, status, roles,
//! milestones and postmortem sections.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a word could not be read as a domain value; the message lists what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{got}` is not a valid {what}; use one of: {expected}")]
pub struct ParseError {
    pub what: &'static str,
    pub got: String,
    pub expected: &'static str,
}

fn parse_error(what: &'static str, got: &str, expected: &'static str) -> ParseError {
    ParseError {
        what,
        got: got.to_string(),
        expected,
    }
}

/// Readable incident id: `INC-<n>`, numbered from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IncidentId(pub u64);

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "INC-{}", self.0)
    }
}

impl FromStr for IncidentId {
    type Err = ParseError;
    /// Accepts `INC-7`, `inc-7`, `#7` and `7`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let digits = if t.len() > 4 && t.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("inc-")) {
            &t[4..]
        } else {
            t.strip_prefix('#').unwrap_or(t)
        };
        match digits.parse::<u64>() {
            Ok(n) if n > 0 => Ok(IncidentId(n)),
            _ => Err(parse_error("incident id", s, "INC-<number>, e.g. INC-3")),
        }
    }
}

/// Incident severity; `Sev1` is the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Sev1,
    Sev2,
    Sev3,
    Sev4,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::Sev1, Severity::Sev2, Severity::Sev3, Severity::Sev4];
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Sev1 => "sev1",
            Severity::Sev2 => "sev2",
            Severity::Sev3 => "sev3",
            Severity::Sev4 => "sev4",
        }
    }
    /// Human label, e.g. `SEV2 (major)`.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Sev1 => "SEV1 (critical)",
            Severity::Sev2 => "SEV2 (major)",
            Severity::Sev3 => "SEV3 (minor)",
            Severity::Sev4 => "SEV4 (low)",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sev1" | "sev-1" | "s1" | "1" | "critical" | "crit" | "p1" => Ok(Severity::Sev1),
            "sev2" | "sev-2" | "s2" | "2" | "major" | "high" | "p2" => Ok(Severity::Sev2),
            "sev3" | "sev-3" | "s3" | "3" | "minor" | "medium" | "p3" => Ok(Severity::Sev3),
            "sev4" | "sev-4" | "s4" | "4" | "low" | "p4" => Ok(Severity::Sev4),
            _ => Err(parse_error(
                "severity",
                s,
                "sev1..sev4, critical, major, minor, low, p1..p4",
            )),
        }
    }
}

/// Where an incident is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Investigating => "investigating",
            Status::Identified => "identified",
            Status::Monitoring => "monitoring",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }
    pub fn is_closed(self) -> bool {
        self == Status::Closed
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = ParseError;
    /// Statuses a user may set with `incident status`; `closed` has its own command.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "investigating" => Ok(Status::Investigating),
            "identified" => Ok(Status::Identified),
            "monitoring" => Ok(Status::Monitoring),
            "resolved" => Ok(Status::Resolved),
            _ => Err(parse_error(
                "status",
                s,
                "investigating, identified, monitoring, resolved",
            )),
        }
    }
}

/// A responder role. Well-known roles have their own variants; any other word is a custom role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Commander,
    Scribe,
    Comms,
    Custom(String),
}

impl Role {
    pub fn name(&self) -> &str {
        match self {
            Role::Commander => "commander",
            Role::Scribe => "scribe",
            Role::Comms => "comms",
            Role::Custom(n) => n,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_lowercase();
        match lower.as_str() {
            "commander" | "lead" | "ic" | "incident-commander" => Ok(Role::Commander),
            "scribe" => Ok(Role::Scribe),
            "comms" | "communications" => Ok(Role::Comms),
            _ if !lower.is_empty()
                && lower.chars().count() <= 40
                && lower.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') =>
            {
                Ok(Role::Custom(lower))
            }
            _ => Err(parse_error(
                "role",
                s,
                "commander (or lead), scribe, comms, or a one-word role name",
            )),
        }
    }
}

/// Points in time every postmortem measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Milestone {
    Started,
    Detected,
    Acknowledged,
    Mitigated,
    Resolved,
    Closed,
}

impl Milestone {
    pub const ALL: [Milestone; 6] = [
        Milestone::Started,
        Milestone::Detected,
        Milestone::Acknowledged,
        Milestone::Mitigated,
        Milestone::Resolved,
        Milestone::Closed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Milestone::Started => "started",
            Milestone::Detected => "detected",
            Milestone::Acknowledged => "acknowledged",
            Milestone::Mitigated => "mitigated",
            Milestone::Resolved => "resolved",
            Milestone::Closed => "closed",
        }
    }
    /// Milestones that must not lie after this one (a partial order: mitigation may come
    /// before acknowledgement, but nothing comes before `started`).
    pub fn must_follow(self) -> &'static [Milestone] {
        use Milestone::*;
        match self {
            Started => &[],
            Detected => &[Started],
            Acknowledged => &[Started, Detected],
            Mitigated => &[Started, Detected],
            Resolved => &[Started, Detected, Mitigated],
            Closed => &[Started, Detected, Acknowledged, Mitigated, Resolved],
        }
    }
}

impl fmt::Display for Milestone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Milestone {
    type Err = ParseError;
    /// `closed` is set by `incident close` only, so it is not accepted here.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "started" | "start" => Ok(Milestone::Started),
            "detected" => Ok(Milestone::Detected),
            "acknowledged" | "acked" | "ack" => Ok(Milestone::Acknowledged),
            "mitigated" => Ok(Milestone::Mitigated),
            "resolved" => Ok(Milestone::Resolved),
            _ => Err(parse_error(
                "milestone",
                s,
                "started, detected, acknowledged, mitigated, resolved",
            )),
        }
    }
}

/// The section words `postmortem <section> <text>` takes, for messages and help.
pub const SECTION_NAMES: &str = "summary, impact, root-cause, contributing-factor, trigger, resolution, detection, customer-communication, went-well, went-wrong, lucky";

/// Free-text sections of the postmortem draft that responders fill from chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    Summary,
    Impact,
    RootCause,
    Trigger,
    Resolution,
    Detection,
    WentWell,
    WentWrong,
    Lucky,
    /// Conditions that made it possible or worse without causing it (a list).
    ContributingFactor,
    /// What customers were told, when and where.
    CustomerCommunication,
}

impl Section {
    /// Every section, in the order of the draft.
    pub const ALL: [Section; 11] = [
        Section::Summary,
        Section::Impact,
        Section::RootCause,
        Section::ContributingFactor,
        Section::Trigger,
        Section::Resolution,
        Section::Detection,
        Section::CustomerCommunication,
        Section::WentWell,
        Section::WentWrong,
        Section::Lucky,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Summary => "summary",
            Section::Impact => "impact",
            Section::RootCause => "root-cause",
            Section::Trigger => "trigger",
            Section::Resolution => "resolution",
            Section::Detection => "detection",
            Section::WentWell => "went-well",
            Section::WentWrong => "went-wrong",
            Section::Lucky => "lucky",
            Section::ContributingFactor => "contributing-factor",
            Section::CustomerCommunication => "customer-communication",
        }
    }
    /// Sections whose contributions are separate items (rendered as a bullet list).
    pub fn is_list(self) -> bool {
        matches!(
            self,
            Section::RootCause | Section::ContributingFactor | Section::WentWell | Section::WentWrong | Section::Lucky
        )
    }
}

/// The longest key of a custom postmortem section (`[[postmortem.sections]] key`).
pub const MAX_CUSTOM_KEY_CHARS: usize = 40;

/// Does `key` have the shape of a custom postmortem section key: 1 to `MAX_CUSTOM_KEY_CHARS`
/// characters, lowercase ASCII letters, digits and `-`, starting with a letter or digit.
/// (Whether it is configured, or clashes with a built-in section, is checked elsewhere.)
pub fn is_custom_section_key(key: &str) -> bool {
    (1..=MAX_CUSTOM_KEY_CHARS).contains(&key.len())
        && !key.starts_with('-')
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Section {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "summary" => Ok(Section::Summary),
            "impact" => Ok(Section::Impact),
            "root-cause" | "root-causes" | "rootcause" | "cause" => Ok(Section::RootCause),
            "trigger" => Ok(Section::Trigger),
            "resolution" => Ok(Section::Resolution),
            "detection" => Ok(Section::Detection),
            "went-well" => Ok(Section::WentWell),
            "went-wrong" => Ok(Section::WentWrong),
            "lucky" => Ok(Section::Lucky),
            "contributing-factor" | "contributing-factors" | "factor" => Ok(Section::ContributingFactor),
            "customer-communication" | "customer-comms" => Ok(Section::CustomerCommunication),
            _ => Err(parse_error("postmortem section", s, SECTION_NAMES)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_aliases() {
        for (s, want) in [
            ("sev1", Severity::Sev1),
            ("CRITICAL", Severity::Sev1),
            ("p1", Severity::Sev1),
            ("major", Severity::Sev2),
            ("P2", Severity::Sev2),
            ("minor", Severity::Sev3),
            ("sev3", Severity::Sev3),
            ("low", Severity::Sev4),
            ("p4", Severity::Sev4),
        ] {
            assert_eq!(s.parse::<Severity>().unwrap(), want, "{s}");
        }
        let err = "sev5".parse::<Severity>().unwrap_err();
        assert!(err.to_string().contains("sev1..sev4"), "{err}");
    }

    #[test]
    fn incident_id_forms() {
        assert_eq!("INC-12".parse::<IncidentId>().unwrap(), IncidentId(12));
        assert_eq!("inc-3".parse::<IncidentId>().unwrap(), IncidentId(3));
        assert_eq!("#4".parse::<IncidentId>().unwrap(), IncidentId(4));
        assert_eq!("5".parse::<IncidentId>().unwrap(), IncidentId(5));
        assert!("INC-0".parse::<IncidentId>().is_err());
        assert!("INC-x".parse::<IncidentId>().is_err());
        assert!("ab€".parse::<IncidentId>().is_err());
        assert!("€€".parse::<IncidentId>().is_err());
        assert_eq!(IncidentId(9).to_string(), "INC-9");
    }

    #[test]
    fn roles_and_sections() {
        assert_eq!("lead".parse::<Role>().unwrap(), Role::Commander);
        assert_eq!("Scribe".parse::<Role>().unwrap(), Role::Scribe);
        assert_eq!("db-expert".parse::<Role>().unwrap(), Role::Custom("db-expert".into()));
        assert!("two words".parse::<Role>().is_err());
        assert_eq!("root_cause".parse::<Section>().unwrap(), Section::RootCause);
        assert!("closed".parse::<Milestone>().is_err());
        assert!("resolved".parse::<Status>().is_ok());
        assert!("closed".parse::<Status>().is_err());
    }

    #[test]
    fn contributing_factors_and_customer_communication_are_sections() {
        assert_eq!(
            "contributing-factor".parse::<Section>().unwrap(),
            Section::ContributingFactor
        );
        assert_eq!(
            "Customer_Communication".parse::<Section>().unwrap(),
            Section::CustomerCommunication
        );
        assert!(Section::ContributingFactor.is_list());
        assert!(!Section::CustomerCommunication.is_list());
        let err = "custom".parse::<Section>().unwrap_err().to_string();
        assert!(
            err.contains("contributing-factor") && err.contains("customer-communication"),
            "{err}"
        );
        // Every section is in ALL once, in the draft's order, and parses back from its name.
        let names: Vec<&str> = Section::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "summary",
                "impact",
                "root-cause",
                "contributing-factor",
                "trigger",
                "resolution",
                "detection",
                "customer-communication",
                "went-well",
                "went-wrong",
                "lucky"
            ]
        );
        for s in Section::ALL {
            assert_eq!(s.as_str().parse::<Section>().unwrap(), s);
            assert!(SECTION_NAMES.contains(s.as_str()), "{s}");
        }
    }
}
