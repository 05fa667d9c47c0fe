//! The command table: one row per command form, keyed by `CommandKey`, with the words (and
//! aliases) the parser dispatches on. Usage replies, `help` output and the README's command
//! reference are all generated from it.

/// Command families (the first word after the prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Incident,
    Timeline,
    Action,
    Postmortem,
}

/// The words that name each family: the canonical word first, then its short forms.
const FAMILY_WORDS: &[(Family, &[&str])] = &[
    (Family::Incident, &["incident", "inc"]),
    (Family::Timeline, &["timeline", "tl"]),
    (Family::Action, &["action"]),
    (Family::Postmortem, &["postmortem", "pm"]),
];

impl Family {
    pub fn from_word(w: &str) -> Option<Family> {
        let w = w.to_ascii_lowercase();
        FAMILY_WORDS
            .iter()
            .find(|(_, words)| words.contains(&w.as_str()))
            .map(|(f, _)| *f)
    }

    /// The words that name this family, canonical first (`["incident", "inc"]`).
    pub fn words(self) -> &'static [&'static str] {
        FAMILY_WORDS
            .iter()
            .find(|(f, _)| *f == self)
            .map_or(&[], |(_, words)| words)
    }
}

/// One command form: the typed key of a row of `COMMANDS`. Looking a row up by a key that does
/// not exist does not compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandKey {
    IncidentDeclare,
    IncidentSev,
    IncidentStatus,
    IncidentRole,
    IncidentMilestone,
    IncidentImpact,
    IncidentAffects,
    IncidentTitle,
    IncidentUpdate,
    IncidentSnooze,
    IncidentResolve,
    IncidentClose,
    IncidentReopen,
    IncidentShow,
    IncidentHelp,
    TimelineAdd,
    TimelineList,
    TimelineEdit,
    TimelineDelete,
    TimelineRestore,
    Action,
    ActionList,
    ActionEdit,
    ActionDone,
    ActionDelete,
    PostmortemSet,
    PostmortemLink,
    PostmortemRelated,
    PostmortemAuthor,
    PostmortemReviewer,
    PostmortemReview,
    PostmortemTemplate,
    PostmortemLanguage,
    PostmortemShow,
    PostmortemExport,
}

impl CommandKey {
    /// Every key, in table order.
    pub const ALL: [CommandKey; 35] = [
        CommandKey::IncidentDeclare,
        CommandKey::IncidentSev,
        CommandKey::IncidentStatus,
        CommandKey::IncidentRole,
        CommandKey::IncidentMilestone,
        CommandKey::IncidentImpact,
        CommandKey::IncidentAffects,
        CommandKey::IncidentTitle,
        CommandKey::IncidentUpdate,
        CommandKey::IncidentSnooze,
        CommandKey::IncidentResolve,
        CommandKey::IncidentClose,
        CommandKey::IncidentReopen,
        CommandKey::IncidentShow,
        CommandKey::IncidentHelp,
        CommandKey::TimelineAdd,
        CommandKey::TimelineList,
        CommandKey::TimelineEdit,
        CommandKey::TimelineDelete,
        CommandKey::TimelineRestore,
        CommandKey::Action,
        CommandKey::ActionList,
        CommandKey::ActionEdit,
        CommandKey::ActionDone,
        CommandKey::ActionDelete,
        CommandKey::PostmortemSet,
        CommandKey::PostmortemLink,
        CommandKey::PostmortemRelated,
        CommandKey::PostmortemAuthor,
        CommandKey::PostmortemReviewer,
        CommandKey::PostmortemReview,
        CommandKey::PostmortemTemplate,
        CommandKey::PostmortemLanguage,
        CommandKey::PostmortemShow,
        CommandKey::PostmortemExport,
    ];

    /// This form's row of the command table.
    pub fn spec(self) -> &'static Spec {
        &COMMANDS[self as usize]
    }

    /// The form's name as users read it (`incident sev`), used in messages.
    pub fn name(self) -> &'static str {
        self.spec().name
    }
}

/// Compares with the form's name (`incident sev`).
impl PartialEq<&str> for CommandKey {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

/// A shorter spelling of a form that also fixes its first argument (`incident lead @user` is
/// `incident role commander @user`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shorthand {
    /// The word after the family word.
    pub word: &'static str,
    /// The canonical words it stands for, after the family word (`role commander`).
    pub means: &'static str,
    /// Usage without the prefix.
    pub usage: &'static str,
}

/// One row of the command table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub family: Family,
    /// The typed key of this row; `COMMANDS[key as usize]` is this row.
    pub key: CommandKey,
    /// The form's name (`incident sev`).
    pub name: &'static str,
    /// The words after the family word that select this form: the canonical word first, then
    /// its aliases. Empty when the form has no such word (`action <text>`).
    pub words: &'static [&'static str],
    /// Shorter spellings that also fix the first argument.
    pub shorthands: &'static [Shorthand],
    /// Usage without the prefix.
    pub usage: &'static str,
    pub summary: &'static str,
}

impl Spec {
    /// The other spellings of this form, without the prefix (`incident open`, `incident lead <@user>`).
    pub fn aliases(&self) -> Vec<String> {
        let family = self.family.words()[0];
        let words = self.words.iter().skip(1).map(|w| format!("{family} {w}"));
        words
            .chain(self.shorthands.iter().map(|s| s.usage.to_string()))
            .collect()
    }
}

/// The row of `family` whose word (or shorthand word) is `word` (lowercase), with the shorthand
/// if that is what matched.
pub fn lookup(family: Family, word: &str) -> Option<(CommandKey, Option<&'static Shorthand>)> {
    let rows = COMMANDS.iter().filter(|s| s.family == family);
    for s in rows {
        if s.words.contains(&word) {
            return Some((s.key, None));
        }
        if let Some(sh) = s.shorthands.iter().find(|sh| sh.word == word) {
            return Some((s.key, Some(sh)));
        }
    }
    None
}

const fn spec(
    family: Family,
    key: CommandKey,
    name: &'static str,
    words: &'static [&'static str],
    usage: &'static str,
    summary: &'static str,
) -> Spec {
    Spec {
        family,
        key,
        name,
        words,
        shorthands: &[],
        usage,
        summary,
    }
}

use CommandKey as K;
use Family::*;

/// The command table, in `CommandKey` order (checked when compiling).
pub const COMMANDS: &[Spec] = &[
    spec(
        Incident,
        K::IncidentDeclare,
        "incident declare",
        &["declare", "open", "new"],
        "incident declare <title> [--sev SEV] [--at WHEN]",
        "open an incident by hand: new room, announcement; --at backdates the declaration",
    ),
    spec(
        Incident,
        K::IncidentSev,
        "incident sev",
        &["sev", "severity"],
        "incident sev <SEV> [WHEN]",
        "set severity: sev1..sev4 (critical, major, minor, low, p1..p4)",
    ),
    spec(
        Incident,
        K::IncidentStatus,
        "incident status",
        &["status"],
        "incident status <investigating|identified|monitoring|resolved> [WHEN] [note]",
        "change status (adds a timeline entry)",
    ),
    Spec {
        shorthands: &[
            Shorthand {
                word: "lead",
                means: "role commander",
                usage: "incident lead <@user>",
            },
            Shorthand {
                word: "commander",
                means: "role commander",
                usage: "incident commander <@user>",
            },
        ],
        ..spec(
            Incident,
            K::IncidentRole,
            "incident role",
            &["role"],
            "incident role <commander|scribe|comms|NAME> <@user> [WHEN]",
            "assign a role; `incident lead @user` makes @user commander",
        )
    },
    spec(
        Incident,
        K::IncidentMilestone,
        "incident milestone",
        &["milestone"],
        "incident milestone <started|detected|acknowledged|mitigated|resolved> [WHEN]",
        "record when it happened (default: now)",
    ),
    spec(
        Incident,
        K::IncidentImpact,
        "incident impact",
        &["impact"],
        "incident impact <START>..<END> [note] | impact list | impact delete <N>",
        "record a window during which users were affected (several per incident)",
    ),
    spec(
        Incident,
        K::IncidentAffects,
        "incident affects",
        &["affects", "services"],
        "incident affects <service>... [--at WHEN]",
        "record affected services or components",
    ),
    spec(
        Incident,
        K::IncidentTitle,
        "incident title",
        &["title", "rename"],
        "incident title <text>",
        "rename the incident (the previous title is kept)",
    ),
    spec(
        Incident,
        K::IncidentUpdate,
        "incident update",
        &["update"],
        "incident update <text>",
        "post a status update here and in the updates rooms (it goes on the timeline)",
    ),
    spec(
        Incident,
        K::IncidentSnooze,
        "incident snooze",
        &["snooze"],
        "incident snooze <duration>|off",
        "pause this incident's reminders, e.g. `incident snooze 30m`",
    ),
    spec(
        Incident,
        K::IncidentResolve,
        "incident resolve",
        &["resolve"],
        "incident resolve [WHEN] [note]",
        "mark resolved (status and milestone)",
    ),
    spec(
        Incident,
        K::IncidentClose,
        "incident close",
        &["close"],
        "incident close",
        "close the incident and post the draft postmortem",
    ),
    spec(
        Incident,
        K::IncidentReopen,
        "incident reopen",
        &["reopen"],
        "incident reopen",
        "reopen a resolved or closed incident",
    ),
    spec(
        Incident,
        K::IncidentShow,
        "incident show",
        &["show", "info"],
        "incident show",
        "show the incident's state",
    ),
    spec(
        Incident,
        K::IncidentHelp,
        "incident help",
        &["help"],
        "incident help",
        "this help",
    ),
    spec(
        Timeline,
        K::TimelineAdd,
        "timeline add",
        &["add"],
        "timeline [WHEN] <text>",
        "add a timeline entry (default time: now); `timeline add ...` also works",
    ),
    spec(
        Timeline,
        K::TimelineList,
        "timeline list",
        &["list", "show"],
        "timeline list [--all]",
        "show the timeline, sorted by time, with the entry numbers edit/delete take; --all adds bookkeeping and deleted entries",
    ),
    spec(
        Timeline,
        K::TimelineEdit,
        "timeline edit",
        &["edit"],
        "timeline edit <N> [WHEN] [text]",
        "correct the time and/or the text of entry #N (the previous value is kept)",
    ),
    spec(
        Timeline,
        K::TimelineDelete,
        "timeline delete",
        &["delete", "remove", "rm"],
        "timeline delete <N>",
        "remove entry #N from the timeline (kept in the audit trail)",
    ),
    spec(
        Timeline,
        K::TimelineRestore,
        "timeline restore",
        &["restore", "undelete"],
        "timeline restore <N>",
        "bring back deleted entry #N",
    ),
    spec(
        Action,
        K::Action,
        "action",
        &[],
        "action <text> [@owner ...] [due YYYY-MM-DD] [type TYPE] [ticket URL]",
        "add a follow-up action item (a bare URL at the end is its ticket)",
    ),
    spec(
        Action,
        K::ActionList,
        "action list",
        &["list"],
        "action list",
        "list the action items with their numbers",
    ),
    spec(
        Action,
        K::ActionEdit,
        "action edit",
        &["edit"],
        "action edit <N> [text] [@owner ...] [due YYYY-MM-DD|none] [type TYPE|none] [ticket URL|none]",
        "change an action item; owners given replace the owners",
    ),
    spec(
        Action,
        K::ActionDone,
        "action done",
        &["done", "close"],
        "action done <N>",
        "mark action #N done",
    ),
    spec(
        Action,
        K::ActionDelete,
        "action delete",
        &["delete", "remove", "rm"],
        "action delete <N>",
        "remove action #N (kept in the audit trail)",
    ),
    spec(
        Postmortem,
        K::PostmortemSet,
        "postmortem set",
        &[],
        "postmortem <section> [--replace] <text>",
        "add to a section: summary, impact, root-cause, contributing-factor, trigger, resolution, detection, customer-communication, went-well, went-wrong, lucky, or a section of the team's own ([[postmortem.sections]] in the config)",
    ),
    spec(
        Postmortem,
        K::PostmortemLink,
        "postmortem link",
        &["link"],
        "postmortem link <URL> [title]",
        "add supporting information: a dashboard, graph, ticket or log search (an http(s) URL)",
    ),
    spec(
        Postmortem,
        K::PostmortemRelated,
        "postmortem related",
        &["related"],
        "postmortem related <INC-N|URL>",
        "name a related incident: another incident's id, or a URL",
    ),
    spec(
        Postmortem,
        K::PostmortemAuthor,
        "postmortem author",
        &["author", "authors"],
        "postmortem author <@user>...",
        "add the postmortem's authors",
    ),
    spec(
        Postmortem,
        K::PostmortemReviewer,
        "postmortem reviewer",
        &["reviewer", "reviewers"],
        "postmortem reviewer <@user>...",
        "add the postmortem's reviewers",
    ),
    spec(
        Postmortem,
        K::PostmortemReview,
        "postmortem review",
        &["review"],
        "postmortem review <draft|in-review|final>",
        "set the postmortem's review status (every change is kept)",
    ),
    spec(
        Postmortem,
        K::PostmortemTemplate,
        "postmortem template",
        &["template"],
        "postmortem template <NAME>",
        "render this incident's postmortem with a template: warroom, google-sre, atlassian, pagerduty, or default (the configured one)",
    ),
    spec(
        Postmortem,
        K::PostmortemLanguage,
        "postmortem language",
        &["language", "lang"],
        "postmortem language <en|fr|sk>",
        "write this incident's postmortem in that language",
    ),
    spec(
        Postmortem,
        K::PostmortemShow,
        "postmortem show",
        &["show", "preview"],
        "postmortem [show]",
        "preview the draft postmortem",
    ),
    spec(
        Postmortem,
        K::PostmortemExport,
        "postmortem export",
        &["export"],
        "postmortem export [md|json|html]",
        "write the postmortem as a file (default md)",
    ),
];

// Row `i` of the table is the row of the `i`-th key, and every key has a row: checked when
// compiling, so `CommandKey::spec` cannot pick a wrong row.
const _: () = {
    assert!(COMMANDS.len() == CommandKey::ALL.len());
    let mut i = 0;
    while i < COMMANDS.len() {
        assert!(COMMANDS[i].key as usize == i);
        assert!(CommandKey::ALL[i] as usize == i);
        i += 1;
    }
};

/// `WHEN` forms, shown at the end of help.
pub const WHEN_HELP: &str = "WHEN: 13:25, 13:25:10, 13h25, 1:25pm, 1325Z, -15m, 2020-11-13 13:25, 13.11.2020, 13/11/2020 (day first unless configured), a date alone (that day), RFC 3339; optionally followed by a zone (UTC, +02:00, Europe/Amsterdam). ~13:25 is approximate; 13:35..15:50 is a range. A bare time is today (or yesterday if in the future), or while reconstructing the day of the latest dated entry. `timeline -- 1.2.3 deployed` forces text.";

/// Help for one family (or all), with the platform's command prefix (`/` or `!`).
pub fn help_text(prefix: char, family: Option<Family>) -> String {
    let mut out = String::from("Commands:\n");
    for s in COMMANDS.iter().filter(|s| family.is_none_or(|f| f == s.family)) {
        out.push_str(&format!("  {prefix}{}  — {}", s.usage, s.summary));
        let aliases = s.aliases();
        if !aliases.is_empty() {
            let list: Vec<String> = aliases.iter().map(|a| format!("{prefix}{a}")).collect();
            out.push_str(&format!(" (also {})", list.join(", ")));
        }
        out.push('\n');
    }
    let short: Vec<String> = FAMILY_WORDS
        .iter()
        .filter(|(f, _)| family.is_none_or(|g| g == *f))
        .flat_map(|(_, words)| words[1..].iter().map(|w| format!("{prefix}{w} = {prefix}{}", words[0])))
        .collect();
    if !short.is_empty() {
        out.push_str(&format!("Short forms: {}.\n", short.join(", ")));
    }
    out.push_str(WHEN_HELP);
    out
}

/// The command reference as a Markdown table (used for the README).
pub fn markdown_reference() -> String {
    let code = |s: &str| format!("`{}`", s.replace('|', "\\|"));
    let mut out = String::from("| command | effect |\n|---|---|\n");
    for s in COMMANDS {
        out.push_str(&format!("| {} | {}", code(s.usage), s.summary));
        let aliases = s.aliases();
        if !aliases.is_empty() {
            let list: Vec<String> = aliases.iter().map(|a| code(a)).collect();
            out.push_str(&format!(" (also {})", list.join(", ")));
        }
        out.push_str(" |\n");
    }
    let short: Vec<String> = FAMILY_WORDS
        .iter()
        .flat_map(|(_, words)| words[1..].iter().map(|w| format!("`{w}` = `{}`", words[0])))
        .collect();
    out.push_str(&format!("\nShort forms: {}.\n", short.join(", ")));
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

    use super::{COMMANDS, CommandKey, help_text};
    use crate::command::{Parsed, parse};

    /// Arguments that make a valid command of each form (after its words). The match is
    /// exhaustive: a new `CommandKey` does not compile until it has an example.
    fn example_args(key: CommandKey) -> &'static str {
        use CommandKey as K;
        match key {
            K::IncidentDeclare => "DB is down --sev 2",
            K::IncidentSev => "major",
            K::IncidentStatus => "identified disk full",
            K::IncidentRole => "scribe @b",
            K::IncidentMilestone => "mitigated 13:40",
            K::IncidentImpact => "13:35..15:50 checkout errors",
            K::IncidentAffects => "api, db",
            K::IncidentTitle => "Checkout down",
            K::IncidentUpdate => "rollback in progress, errors falling",
            K::IncidentSnooze => "30m",
            K::IncidentResolve => "14:05 rolled back",
            K::IncidentClose | K::IncidentReopen | K::IncidentShow | K::IncidentHelp => "",
            K::TimelineAdd => "13:25 restarted docker",
            K::TimelineList => "",
            K::TimelineEdit => "3 new text",
            K::TimelineDelete | K::TimelineRestore => "4",
            K::Action => "add disk alerts @bob",
            K::ActionList => "",
            K::ActionEdit => "2 add disk alerts @bob due 2026-12-01",
            K::ActionDone | K::ActionDelete => "2",
            K::PostmortemSet => "impact 40% of checkouts failed",
            K::PostmortemLink => "https://grafana.example/d/db DB dashboard",
            K::PostmortemRelated => "INC-2",
            K::PostmortemAuthor | K::PostmortemReviewer => "@bob @carol",
            K::PostmortemReview => "in-review",
            K::PostmortemTemplate => "google-sre",
            K::PostmortemLanguage => "fr",
            K::PostmortemShow => "",
            K::PostmortemExport => "json",
        }
    }

    fn command(line: &str) -> crate::command::Command {
        match parse(line) {
            Parsed::Command(c) => c,
            other => panic!("{line:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn every_command_key_has_its_usage_row() {
        assert_eq!(COMMANDS.len(), CommandKey::ALL.len());
        for key in CommandKey::ALL {
            let spec = key.spec();
            assert_eq!(spec.key, key);
            assert!(!spec.usage.is_empty() && !spec.summary.is_empty(), "{key:?}");
            assert!(spec.name.starts_with(spec.family.words()[0]), "{key:?}");
            assert!(spec.usage.starts_with(spec.family.words()[0]), "{key:?}");
            assert!(key == spec.name, "{key:?}");
            // The canonical form parses, and reaches this row's family.
            let words = spec.words.first().map_or(String::new(), |w| format!(" {w}"));
            let line = format!("/{}{words} {}", spec.family.words()[0], example_args(key));
            command(&line);
        }
    }

    #[test]
    fn every_alias_parses_like_its_canonical_form() {
        let mut checked = 0;
        for key in CommandKey::ALL {
            let spec = key.spec();
            let (family, short_families) = spec.family.words().split_first().expect("family word");
            let args = example_args(key);
            let canonical_words = spec.words.first().map_or(String::new(), |w| format!(" {w}"));
            let canonical = command(&format!("/{family}{canonical_words} {args}"));
            for w in spec.words.iter().skip(1) {
                assert_eq!(command(&format!("/{family} {w} {args}")), canonical, "{family} {w}");
                checked += 1;
            }
            for f in short_families {
                assert_eq!(command(&format!("!{f}{canonical_words} {args}")), canonical, "{f}");
                checked += 1;
            }
            for sh in spec.shorthands {
                assert_eq!(
                    command(&format!("/{family} {} @a", sh.word)),
                    command(&format!("/{family} {} @a", sh.means)),
                    "{}",
                    sh.word
                );
                checked += 1;
            }
        }
        assert!(checked > 20, "{checked}");
    }

    #[test]
    fn help_lists_every_alias() {
        let help = help_text('!', None);
        for spec in COMMANDS {
            for alias in spec.aliases() {
                assert!(help.contains(&format!("!{alias}")), "{alias}");
            }
        }
        assert!(help.contains("(also !incident open, !incident new)"), "{help}");
        assert!(
            help.contains("(also !incident lead <@user>, !incident commander <@user>)"),
            "{help}"
        );
        assert!(help.contains("!tl = !timeline"), "{help}");
        // Help for one family lists only that family's rows and short forms.
        let timeline = help_text('/', Some(super::Family::Timeline));
        assert!(timeline.contains("/timeline delete <N>  — remove entry #N from the timeline (kept in the audit trail) (also /timeline remove, /timeline rm)\n"), "{timeline}");
        assert!(
            !timeline.contains("incident") && !timeline.contains("/pm"),
            "{timeline}"
        );
    }
}
