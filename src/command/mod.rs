//! The command language shared by every chat platform: one typed `Command`, one parser, and
//! usage/help text generated from the same table (`help::COMMANDS`, keyed by `CommandKey`).

pub mod help;
pub mod lex;
mod parse;
pub mod when;

pub use help::{CommandKey, Family, Spec, help_text};
pub use parse::{MAX_COMMAND_CHARS, parse};
pub use when::{Resolved, TimeContext, When, WhenError};

use crate::domain::{Milestone, Role, Section, Severity, Status};
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
    Action { text: String, owner: Option<String> },
    Postmortem(PostmortemCmd),
}

impl Command {
    /// Commands that only read (show, list, export, help): nothing to tell other platforms.
    pub fn is_read_only(&self) -> bool {
        matches!(
            self,
            Command::Help(_)
                | Command::Incident(IncidentCmd::Show)
                | Command::Timeline(TimelineCmd::List)
                | Command::Postmortem(PostmortemCmd::Show | PostmortemCmd::Export(_))
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentCmd {
    Declare { title: String, severity: Option<Severity> },
    Severity(Severity),
    Status { status: Status, note: Option<String> },
    Role { role: Role, user: String },
    Milestone { milestone: Milestone, when: Option<When> },
    Affects(Vec<String>),
    Resolve { when: Option<When>, note: Option<String> },
    Close,
    Reopen,
    Show,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimelineCmd {
    Add { when: Option<When>, text: String },
    List,
    Edit { seq: u64, text: String },
    Delete { seq: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostmortemCmd {
    Show,
    Set {
        section: Section,
        text: String,
        replace: bool,
    },
    Export(ExportFormat),
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
