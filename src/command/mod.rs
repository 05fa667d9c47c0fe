//! The command language shared by every chat platform: one typed `Command`, one parser, and
//! usage/help text generated from the same table (`help::COMMANDS`, keyed by `CommandKey`).

pub mod help;
pub mod lex;
mod parse;
pub mod when;

pub use help::{CommandKey, Family, Spec, help_text};
pub use parse::{MAX_COMMAND_CHARS, parse};
pub use when::{Resolved, TimeContext, When, WhenError};

use crate::domain::{Milestone, RelatedRef, ReviewStatus, Role, Section, Severity, Status};
use crate::postmortem::ExportFormat;

/// What a line of chat turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Ordinary text (maybe an alert).
    NotACommand,
    Command(Command),
    /// Looked like a command but was not valid: reply with the message; change nothing.
    Invalid(UsageError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help(Option<Family>),
    Incident(IncidentCmd),
    Timeline(TimelineCmd),
    Action(ActionCmd),
    Postmortem(PostmortemCmd),
}

impl Command {
    /// Commands that only read (show, list, export, help): nothing to tell other platforms.
    pub fn is_read_only(&self) -> bool {
        matches!(
            self,
            Command::Help(_)
                | Command::Incident(IncidentCmd::Show | IncidentCmd::ImpactList)
                | Command::Timeline(TimelineCmd::List { .. })
                | Command::Action(ActionCmd::List)
                | Command::Postmortem(PostmortemCmd::Show | PostmortemCmd::Export(_))
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentCmd {
    Declare {
        title: String,
        severity: Option<Severity>,
        at: Option<When>,
    },
    Severity {
        severity: Severity,
        when: Option<When>,
    },
    Status {
        status: Status,
        when: Option<When>,
        note: Option<String>,
    },
    Role {
        role: Role,
        user: String,
        when: Option<When>,
    },
    Milestone {
        milestone: Milestone,
        when: Option<When>,
    },
    /// `incident impact START..END [note]`: `range` is a range `When`.
    Impact {
        range: When,
        note: Option<String>,
    },
    ImpactList,
    ImpactDelete(u32),
    Affects {
        services: Vec<String>,
        when: Option<When>,
    },
    Title(String),
    /// `incident update <text>`: a status update for the incident's rooms and broadcast rooms.
    Update(String),
    /// `incident snooze <duration>|off`: no reminders for this incident for that long
    /// (`None`: reminders back on).
    Snooze(Option<std::time::Duration>),
    Resolve {
        when: Option<When>,
        note: Option<String>,
    },
    Close,
    Reopen,
    Show,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimelineCmd {
    Add {
        when: Option<When>,
        text: String,
    },
    /// `all`: also bookkeeping rows and deleted entries.
    List {
        all: bool,
    },
    /// A new time and/or a new text (at least one).
    Edit {
        seq: u64,
        when: Option<When>,
        text: Option<String>,
    },
    Delete {
        seq: u64,
    },
    Restore {
        seq: u64,
    },
}

/// What `action ...` and `action edit N ...` say about an action item. `None` leaves a field
/// as it is; `Some(None)` (written `none`) clears it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionSpec {
    pub text: Option<String>,
    /// Owners given (replace the owners on edit); empty = not given.
    pub owners: Vec<String>,
    pub due: Option<Option<chrono::NaiveDate>>,
    pub kind: Option<Option<String>>,
    pub ticket: Option<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionCmd {
    Add(ActionSpec),
    List,
    Edit { n: u32, spec: ActionSpec },
    Done(u32),
    Delete(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostmortemCmd {
    Show,
    Set {
        section: Section,
        text: String,
        replace: bool,
    },
    /// `postmortem KEY [--replace] <text>` for a word that is no built-in section but has the
    /// shape of a `[[postmortem.sections]]` key (the service checks it is configured).
    SetCustom {
        key: String,
        text: String,
        replace: bool,
    },
    Export(ExportFormat),
    /// `postmortem link URL [title]`: supporting information.
    Link {
        url: String,
        title: Option<String>,
    },
    /// `postmortem related INC-N|URL`.
    Related(RelatedRef),
    /// `postmortem author @u ...`.
    Author(Vec<String>),
    /// `postmortem reviewer @u ...`.
    Reviewer(Vec<String>),
    /// `postmortem review draft|in-review|final`.
    Review(ReviewStatus),
    /// `postmortem template NAME`: the template this incident's postmortem is rendered with.
    Template(String),
    /// `postmortem language en|fr|sk`: the language this incident's postmortem is written in.
    Language(String),
}

/// A command that could not be understood: what was wrong, and the usage lines that apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError {
    pub message: String,
    pub usage: Vec<&'static Spec>,
    /// The first word is not a command at all (in an alert room such a line may be an alert).
    pub unknown_command: bool,
}

impl UsageError {
    /// The reply text, with the platform's command prefix.
    pub fn render(&self, prefix: char) -> String {
        let mut out = self.message.clone();
        for s in &self.usage {
            out.push_str(&format!("\nusage: {prefix}{}  — {}", s.usage, s.summary));
        }
        out
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod parse_tests;
