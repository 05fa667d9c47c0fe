//! The command table: one row per command form. Usage replies, `help` output and the README's
//! command reference are all generated from it.

/// Command families (the first word after the prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Incident,
    Timeline,
    Action,
    Postmortem,
}

impl Family {
    pub fn from_word(w: &str) -> Option<Family> {
        match w.to_ascii_lowercase().as_str() {
            "incident" | "inc" => Some(Family::Incident),
            "timeline" | "tl" => Some(Family::Timeline),
            "action" => Some(Family::Action),
            "postmortem" | "pm" => Some(Family::Postmortem),
            _ => None,
        }
    }
}

/// One row of the command table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub family: Family,
    /// Stable key used by the parser to point at this row (`"incident sev"`).
    pub key: &'static str,
    /// Usage without the prefix.
    pub usage: &'static str,
    pub summary: &'static str,
}

const fn spec(family: Family, key: &'static str, usage: &'static str, summary: &'static str) -> Spec {
    Spec {
        family,
        key,
        usage,
        summary,
    }
}

use Family::*;

pub const COMMANDS: &[Spec] = &[
    spec(
        Incident,
        "incident declare",
        "incident declare <title> [--sev SEV]",
        "open an incident by hand: new room, announcement",
    ),
    spec(
        Incident,
        "incident sev",
        "incident sev <SEV>",
        "set severity: sev1..sev4 (critical, major, minor, low, p1..p4)",
    ),
    spec(
        Incident,
        "incident status",
        "incident status <investigating|identified|monitoring|resolved> [note]",
        "change status (adds a timeline entry)",
    ),
    spec(
        Incident,
        "incident role",
        "incident role <commander|scribe|comms|NAME> <@user>",
        "assign a role; `incident lead @user` makes @user commander",
    ),
    spec(
        Incident,
        "incident milestone",
        "incident milestone <started|detected|acknowledged|mitigated|resolved> [WHEN]",
        "record when it happened (default: now)",
    ),
    spec(
        Incident,
        "incident affects",
        "incident affects <service>...",
        "record affected services or components",
    ),
    spec(
        Incident,
        "incident resolve",
        "incident resolve [WHEN] [note]",
        "mark resolved (status and milestone)",
    ),
    spec(
        Incident,
        "incident close",
        "incident close",
        "close the incident and post the draft postmortem",
    ),
    spec(
        Incident,
        "incident reopen",
        "incident reopen",
        "reopen a resolved or closed incident",
    ),
    spec(Incident, "incident show", "incident show", "show the incident's state"),
    spec(Incident, "incident help", "incident help", "this help"),
    spec(
        Timeline,
        "timeline add",
        "timeline [WHEN] <text>",
        "add a timeline entry (default time: now); `timeline add ...` also works",
    ),
    spec(
        Timeline,
        "timeline list",
        "timeline list",
        "show the timeline, sorted by time, with entry numbers",
    ),
    spec(
        Timeline,
        "timeline edit",
        "timeline edit <N> <text>",
        "change the text of entry #N",
    ),
    spec(
        Timeline,
        "timeline delete",
        "timeline delete <N>",
        "remove entry #N from the timeline (kept in the audit trail)",
    ),
    spec(
        Action,
        "action",
        "action <text> [@owner]",
        "add a follow-up action item",
    ),
    spec(
        Postmortem,
        "postmortem set",
        "postmortem <section> [--replace] <text>",
        "add to a section: summary, impact, root-cause, trigger, resolution, detection, went-well, went-wrong, lucky",
    ),
    spec(
        Postmortem,
        "postmortem show",
        "postmortem [show]",
        "preview the draft postmortem",
    ),
    spec(
        Postmortem,
        "postmortem export",
        "postmortem export [md|json|html]",
        "write the postmortem as a file (default md)",
    ),
];

/// `WHEN` forms, shown at the end of help.
pub const WHEN_HELP: &str = "WHEN: HH:MM, YYYY-MM-DD HH:MM or RFC 3339 (2020-11-13T10:54:00Z), optionally followed by a zone (UTC, +02:00, Europe/Amsterdam). A time without a zone is in the configured timezone; an HH:MM in the future means yesterday.";

pub fn spec_for(key: &str) -> &'static Spec {
    COMMANDS.iter().find(|s| s.key == key).unwrap_or(&COMMANDS[0])
}

/// Help for one family (or all), with the platform's command prefix (`/` or `!`).
pub fn help_text(prefix: char, family: Option<Family>) -> String {
    let mut out = String::from("Commands:\n");
    for s in COMMANDS.iter().filter(|s| family.is_none_or(|f| f == s.family)) {
        out.push_str(&format!("  {prefix}{}  — {}\n", s.usage, s.summary));
    }
    out.push_str(WHEN_HELP);
    out
}

/// The command reference as a Markdown table (used for the README).
pub fn markdown_reference() -> String {
    let mut out = String::from("| command | effect |\n|---|---|\n");
    for s in COMMANDS {
        out.push_str(&format!("| `{}` | {} |\n", s.usage.replace('|', "\\|"), s.summary));
    }
    out
}

#[cfg(test)]
mod tests {
    /// The README's command reference is generated from `COMMANDS`; `BLESS=1` rewrites it.
    #[test]
    fn readme_command_reference_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
        let readme = std::fs::read_to_string(&path).expect("README.md");
        let (start, end) = ("<!-- commands:start -->\n", "<!-- commands:end -->");
        let a = readme.find(start).expect("start marker") + start.len();
        let b = readme.find(end).expect("end marker");
        let want = super::markdown_reference();
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(&path, format!("{}{}{}", &readme[..a], want, &readme[b..])).expect("write README");
            return;
        }
        assert_eq!(
            &readme[a..b],
            want,
            "README command reference is stale; run `BLESS=1 cargo test readme`"
        );
    }
}
