//! The parser: a chat line in, a `Parsed` out. Pure; never touches state.

use super::help::{self, CommandKey as K, Family};
use super::lex::{Token, text_of, tokenize};
use super::when::{self, When};
use super::{
    ActionCmd, ActionSpec, Command, ExportFormat, IncidentCmd, Parsed, PostmortemCmd, TimelineCmd, UsageError,
};
use crate::domain::{MAX_TEXT_CHARS, Milestone, RelatedRef, Role, Section, Severity, Status, writeup};

type R<T> = Result<T, UsageError>;

fn bad(key: K, message: impl Into<String>) -> UsageError {
    UsageError {
        message: message.into(),
        usage: vec![key.spec()],
        unknown_command: false,
    }
}

/// Longest command line the parser reads, in characters: the longest free text a field takes
/// (`MAX_TEXT_CHARS`, 8,000) plus room for the command words, a time and an owner. Chat
/// messages can be far longer (Slack allows 40,000 characters); such a line is refused before
/// it is tokenized.
pub const MAX_COMMAND_CHARS: usize = MAX_TEXT_CHARS + 2_000;

/// Is this the first word of a command (`incident`, `timeline`, ...)? Anything else after a
/// `/` or `!` (`/var/log`, `!!!`, `/ x`) is ordinary text.
fn is_command_word(word: &str) -> bool {
    word.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn unknown_command(word: &str) -> UsageError {
    UsageError {
        message: format!(
            "unknown command `{word}`; the commands are incident, timeline, action and postmortem (try `help`)"
        ),
        usage: Vec::new(),
        unknown_command: true,
    }
}

/// Parse one chat line. Lines that start with `/` or `!` followed by a word are commands.
pub fn parse(line: &str) -> Parsed {
    let trimmed = line.trim_start();
    let Some(rest) = trimmed.strip_prefix('/').or_else(|| trimmed.strip_prefix('!')) else {
        return Parsed::NotACommand;
    };
    // The command word follows the prefix directly and runs to the first whitespace (a quoted
    // first word is never a command), so it is known before the line is tokenized.
    let word = rest.split(char::is_whitespace).next().unwrap_or_default();
    if !is_command_word(word) {
        return Parsed::NotACommand;
    }
    let lower_word = word.to_ascii_lowercase();
    let family = Family::from_word(&lower_word);
    if line.chars().nth(MAX_COMMAND_CHARS).is_some() {
        return Parsed::Invalid(if family.is_none() && lower_word != "help" {
            unknown_command(word)
        } else {
            UsageError {
                message: format!(
                    "this command is {} characters long; a command may have at most {MAX_COMMAND_CHARS} (and its text at most {MAX_TEXT_CHARS}). Shorten it, or split the text over several entries",
                    line.chars().count()
                ),
                usage: Vec::new(),
                unknown_command: false,
            }
        });
    }
    let offset = line.len() - rest.len();
    let mut tokens = tokenize(rest);
    for t in &mut tokens {
        t.start += offset;
        t.end += offset;
    }
    let args = tokens.get(1..).unwrap_or_default();
    let result = match (lower_word.as_str(), family) {
        ("help", _) => Ok(Command::Help(args.first().and_then(|t| Family::from_word(&t.value)))),
        (_, Some(Family::Incident)) => parse_incident(line, args),
        (_, Some(Family::Timeline)) => parse_timeline(line, args),
        (_, Some(Family::Action)) => parse_action(line, args),
        (_, Some(Family::Postmortem)) => parse_postmortem(line, args),
        (_, None) => Err(unknown_command(word)),
    };
    match result {
        Ok(c) => Parsed::Command(c),
        Err(e) => Parsed::Invalid(e),
    }
}

fn lower(t: &Token) -> String {
    t.value.to_ascii_lowercase()
}

/// Parse `value` as a `T`; a failure is a usage error for `key` with the parser's message.
fn value<T>(value: &str, key: K) -> R<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e: T::Err| bad(key, e.to_string()))
}

/// `incident <word> ...`: the word is looked up in the command table.
fn parse_incident(line: &str, args: &[Token]) -> R<Command> {
    let Some(sub) = args.first() else {
        return Ok(Command::Help(Some(Family::Incident)));
    };
    let rest = &args[1..];
    let word = lower(sub);
    let cmd = match help::lookup(Family::Incident, &word) {
        Some((K::IncidentDeclare, _)) => parse_declare(line, rest)?,
        Some((K::IncidentSev, _)) => match rest {
            [s, when @ ..] => IncidentCmd::Severity {
                severity: value(&s.value, K::IncidentSev)?,
                when: optional_when(when, K::IncidentSev)?,
            },
            _ => {
                return Err(bad(
                    K::IncidentSev,
                    "give one severity (and optionally when it changed)",
                ));
            }
        },
        Some((K::IncidentStatus, _)) => parse_status(line, rest)?,
        Some((K::IncidentRole, shorthand)) => parse_role(rest, shorthand.is_some())?,
        Some((K::IncidentMilestone, _)) => parse_milestone(rest)?,
        Some((K::IncidentImpact, _)) => parse_impact(line, rest)?,
        Some((K::IncidentAffects, _)) => parse_affects(rest)?,
        Some((K::IncidentTitle, _)) => {
            let title = text_of(line, rest);
            if title.is_empty() {
                return Err(bad(K::IncidentTitle, "give the new title"));
            }
            IncidentCmd::Title(title)
        }
        Some((K::IncidentUpdate, _)) => {
            let text = text_of(line, rest);
            if text.is_empty() {
                return Err(bad(K::IncidentUpdate, "say what the update is"));
            }
            IncidentCmd::Update(text)
        }
        Some((K::IncidentSnooze, _)) => IncidentCmd::Snooze(parse_snooze(line, rest)?),
        Some((K::IncidentResolve, _)) => {
            let (when, n) = split_when(rest, K::IncidentResolve)?;
            let note = Some(text_of(line, &rest[n..])).filter(|n| !n.is_empty());
            IncidentCmd::Resolve { when, note }
        }
        Some((K::IncidentClose, _)) => no_args(rest, K::IncidentClose, IncidentCmd::Close)?,
        Some((K::IncidentReopen, _)) => no_args(rest, K::IncidentReopen, IncidentCmd::Reopen)?,
        Some((K::IncidentShow, _)) => no_args(rest, K::IncidentShow, IncidentCmd::Show)?,
        Some((K::IncidentHelp, _)) => return Ok(Command::Help(Some(Family::Incident))),
        // `lookup` only answers incident rows here; any other answer is an unknown word too.
        _ => {
            return Err(UsageError {
                message: format!("unknown incident command `{word}`"),
                usage: help::COMMANDS.iter().filter(|s| s.family == Family::Incident).collect(),
                unknown_command: false,
            });
        }
    };
    Ok(Command::Incident(cmd))
}

/// `incident role <role> <@user> [WHEN]`, or with a shorthand (`incident lead <@user> [WHEN]`)
/// whose role is fixed to commander.
fn parse_role(rest: &[Token], shorthand: bool) -> R<IncidentCmd> {
    const KEY: K = K::IncidentRole;
    let (role, rest) = if shorthand {
        (Role::Commander, rest)
    } else {
        let r = rest.first().ok_or_else(|| bad(KEY, "give a role and one user"))?;
        (value(&r.value, KEY)?, &rest[1..])
    };
    match rest {
        [u, when @ ..] => Ok(IncidentCmd::Role {
            role,
            user: u.value.clone(),
            when: optional_when(when, KEY)?,
        }),
        [] => Err(bad(KEY, "give one user")),
    }
}

/// A `WHEN` that is all of `tokens`, or none when there are none.
fn optional_when(tokens: &[Token], key: K) -> R<Option<When>> {
    match tokens {
        [] => Ok(None),
        w => {
            let when = when::parse_all(w).map_err(|e| bad(key, e.0))?;
            if when.is_range() {
                return Err(bad(key, "give one time, not a range"));
            }
            Ok(Some(when))
        }
    }
}

/// `--at WHEN` starting at `rest[i]` (the flag itself): the time and the tokens it used.
fn at_flag(rest: &[Token], i: usize, key: K) -> R<(When, usize)> {
    match when::read_prefix(&rest[i + 1..]).map_err(|e| bad(key, e.0))? {
        Some((w, _)) if w.is_range() => Err(bad(key, "--at takes one time, not a range")),
        Some((w, n)) => Ok((w, n + 1)),
        None => Err(bad(
            key,
            "--at needs a time, e.g. `--at 13:25` or `--at 2024-06-18 06:00`",
        )),
    }
}

/// Longest `incident snooze`: a week (reminders exist so nothing is forgotten).
const MAX_SNOOZE: std::time::Duration = std::time::Duration::from_secs(7 * 86_400);

/// `incident snooze <duration>|off` (humantime syntax: `30m`, `1h 30m`, `2days`).
fn parse_snooze(line: &str, rest: &[Token]) -> R<Option<std::time::Duration>> {
    let text = text_of(line, rest);
    let key = K::IncidentSnooze;
    if text.is_empty() {
        return Err(bad(key, "say for how long, e.g. `30m` or `2h`, or `off`"));
    }
    if matches!(text.to_ascii_lowercase().as_str(), "off" | "0" | "none") {
        return Ok(None);
    }
    match humantime::parse_duration(&text) {
        Ok(d) if d.is_zero() => Ok(None),
        Ok(d) if d <= MAX_SNOOZE => Ok(Some(d)),
        Ok(_) => Err(bad(key, "reminders can be snoozed for at most 7 days")),
        Err(_) => Err(bad(
            key,
            format!("`{text}` is not a duration; write e.g. `30m`, `1h 30m`, `2days` or `off`"),
        )),
    }
}

/// `incident declare <title> [--sev SEV] [--at WHEN]`: the flags may stand anywhere; the other
/// words are the title (its original spacing kept when they are contiguous).
fn parse_declare(line: &str, rest: &[Token]) -> R<IncidentCmd> {
    const KEY: K = K::IncidentDeclare;
    let mut severity = None;
    let mut at = None;
    let mut title_tokens = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let v = rest[i].value.as_str();
        if v == "--sev" || v == "--severity" {
            let s = rest.get(i + 1).ok_or_else(|| bad(KEY, "--sev needs a severity"))?;
            severity = Some(value::<Severity>(&s.value, KEY)?);
            i += 2;
        } else if let Some(s) = v.strip_prefix("--sev=").or_else(|| v.strip_prefix("--severity=")) {
            severity = Some(value::<Severity>(s, KEY)?);
            i += 1;
        } else if v == "--at" {
            let (w, n) = at_flag(rest, i, KEY)?;
            at = Some(w);
            i += n;
        } else {
            title_tokens.push(i);
            i += 1;
        }
    }
    let contiguous = title_tokens.windows(2).all(|w| w[1] == w[0] + 1);
    let title = match (title_tokens.first(), title_tokens.last()) {
        (Some(&a), Some(&b)) if contiguous => text_of(line, &rest[a..=b]),
        _ => title_tokens
            .iter()
            .map(|&i| rest[i].value.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    };
    if title.trim().is_empty() {
        return Err(bad(KEY, "an incident needs a title"));
    }
    Ok(IncidentCmd::Declare { title, severity, at })
}

fn parse_status(line: &str, rest: &[Token]) -> R<IncidentCmd> {
    let s = rest.first().ok_or_else(|| bad(K::IncidentStatus, "which status?"))?;
    let status: Status = value(&s.value, K::IncidentStatus)?;
    let (when, n) = split_when(&rest[1..], K::IncidentStatus)?;
    let note = Some(text_of(line, &rest[1 + n..])).filter(|n| !n.is_empty());
    Ok(IncidentCmd::Status { status, when, note })
}

fn parse_milestone(rest: &[Token]) -> R<IncidentCmd> {
    const KEY: K = K::IncidentMilestone;
    let m = rest.first().ok_or_else(|| bad(KEY, "which milestone?"))?;
    let milestone: Milestone = value(&m.value, KEY)?;
    let when = optional_when(&rest[1..], KEY)?;
    Ok(IncidentCmd::Milestone { milestone, when })
}

/// `incident impact START..END [note]`, `incident impact list`, `incident impact delete N`.
fn parse_impact(line: &str, rest: &[Token]) -> R<IncidentCmd> {
    const KEY: K = K::IncidentImpact;
    let first = rest.first().map(lower);
    match (first.as_deref(), rest.len()) {
        (Some("list"), 1) => return Ok(IncidentCmd::ImpactList),
        (Some("delete" | "remove" | "rm"), _) => {
            let n = parse_number(rest.get(1), KEY, "impact window", "incident impact list")?;
            return no_args(&rest[2..], KEY, IncidentCmd::ImpactDelete(n));
        }
        _ => {}
    }
    let example = "give the window as START..END, e.g. `incident impact 13:35..15:50 checkout errors`";
    match when::read_prefix(rest).map_err(|e| bad(KEY, e.0))? {
        Some((range, n)) if range.is_range() => {
            let note = Some(text_of(line, &rest[n..])).filter(|n| !n.is_empty());
            Ok(IncidentCmd::Impact { range, note })
        }
        _ => Err(bad(KEY, example)),
    }
}

/// `incident affects <service>... [--at WHEN]`.
fn parse_affects(rest: &[Token]) -> R<IncidentCmd> {
    const KEY: K = K::IncidentAffects;
    let (names, when) = match rest.iter().position(|t| t.value == "--at") {
        Some(i) => {
            let (w, n) = at_flag(rest, i, KEY)?;
            if i + n != rest.len() {
                return Err(bad(KEY, "put `--at WHEN` after the services"));
            }
            (&rest[..i], Some(w))
        }
        None => (rest, None),
    };
    let services: Vec<String> = names
        .iter()
        .flat_map(|t| t.value.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if services.is_empty() {
        return Err(bad(KEY, "name at least one service"));
    }
    Ok(IncidentCmd::Affects { services, when })
}

fn no_args<T>(rest: &[Token], key: K, v: T) -> R<T> {
    if rest.is_empty() {
        Ok(v)
    } else {
        Err(bad(key, format!("`{}` takes no arguments", key.name())))
    }
}

/// An optional `WHEN` at the start of `tokens`, and how many tokens it used. A word that looks
/// like a time but cannot be read (`25:00`, `13h75`, `32.1.2024`) is an error, not text; a
/// leading `--` says the rest is text (it is used up too).
fn split_when(tokens: &[Token], key: K) -> R<(Option<When>, usize)> {
    if tokens.first().is_some_and(|t| t.value == "--") {
        return Ok((None, 1));
    }
    match when::read_prefix(tokens).map_err(|e| bad(key, e.0))? {
        Some((w, n)) => Ok((Some(w), n)),
        None => Ok((None, 0)),
    }
}

/// A positive number (`3` or `#3`) naming an entry, an action or an impact window.
fn parse_number<T: std::str::FromStr + Default + PartialOrd>(
    t: Option<&Token>,
    key: K,
    what: &str,
    listing: &str,
) -> R<T> {
    let t = t.ok_or_else(|| bad(key, format!("which {what}? give its number from `{listing}`")))?;
    t.value
        .trim_start_matches('#')
        .parse::<T>()
        .ok()
        .filter(|n| *n > T::default())
        .ok_or_else(|| {
            let a = if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            bad(key, format!("`{}` is not {a} {what} number (see `{listing}`)", t.value))
        })
}

fn parse_seq(t: Option<&Token>, key: K) -> R<u64> {
    parse_number(t, key, "entry", "timeline list")
}

fn is_number(t: Option<&Token>) -> bool {
    t.is_some_and(|t| {
        let d = t.value.trim_start_matches('#');
        !d.is_empty() && d.chars().all(|c| c.is_ascii_digit())
    })
}

fn parse_timeline(line: &str, args: &[Token]) -> R<Command> {
    let Some(first) = args.first() else {
        return Err(bad(K::TimelineAdd, "what happened?"));
    };
    let word = lower(first);
    let key = help::lookup(Family::Timeline, &word).map(|(k, _)| k);
    let all_flag = |t: &Token| t.value == "--all" || t.value == "-a";
    let cmd = match key {
        Some(K::TimelineList) if args.len() == 1 => TimelineCmd::List { all: false },
        Some(K::TimelineList) if args.len() == 2 && all_flag(&args[1]) => TimelineCmd::List { all: true },
        None if word == "help" && args.len() == 1 => return Ok(Command::Help(Some(Family::Timeline))),
        // `timeline list 20` is a mistaken listing, not a note.
        Some(K::TimelineList) if args.len() == 2 && args[1].value.chars().all(|c| c.is_ascii_digit()) => {
            return Err(bad(
                K::TimelineList,
                "`timeline list` takes no number; it shows the last 50 entries (`--all` adds bookkeeping and deleted ones)",
            ));
        }
        Some(K::TimelineEdit) => parse_edit(line, args)?,
        Some(K::TimelineRestore) if args.len() == 1 => {
            return Err(bad(
                K::TimelineRestore,
                "which entry? give its number from `timeline list --all`",
            ));
        }
        // `timeline restore db from snapshot` is a note: restore is a command only with a number.
        Some(k @ (K::TimelineDelete | K::TimelineRestore)) if k == K::TimelineDelete || is_number(args.get(1)) => {
            let seq = parse_seq(args.get(1), k)?;
            if args.len() > 2 {
                return Err(bad(
                    k,
                    format!(
                        "`{}` takes only an entry number; to record text starting with that word use `timeline add ...`",
                        k.name()
                    ),
                ));
            }
            if k == K::TimelineDelete {
                TimelineCmd::Delete { seq }
            } else {
                TimelineCmd::Restore { seq }
            }
        }
        // `timeline add ...`, or text (maybe starting with a time, or with `list`).
        _ => {
            let body = if key == Some(K::TimelineAdd) { &args[1..] } else { args };
            let (when, n) = split_when(body, K::TimelineAdd)?;
            let text = text_of(line, &body[n..]);
            if text.is_empty() {
                return Err(bad(K::TimelineAdd, "what happened? give some text after the time"));
            }
            TimelineCmd::Add { when, text }
        }
    };
    Ok(Command::Timeline(cmd))
}

/// `timeline edit N [WHEN] [text]`: a new time, a new text, or both.
fn parse_edit(line: &str, args: &[Token]) -> R<TimelineCmd> {
    const KEY: K = K::TimelineEdit;
    let seq = parse_seq(args.get(1), KEY)?;
    let rest = &args[2.min(args.len())..];
    let (when, n) = split_when(rest, KEY)?;
    let text = Some(text_of(line, &rest[n..])).filter(|t| !t.is_empty());
    if when.is_none() && text.is_none() {
        return Err(bad(KEY, "give the corrected time, the new text, or both"));
    }
    Ok(TimelineCmd::Edit { seq, when, text })
}

/// Is this token a mention of a user (`@alice`, `@alice:server`, Slack's `<@U123>`)?
pub fn is_mention(s: &str) -> bool {
    (s.starts_with('@') && s.len() > 1) || (s.starts_with("<@") && s.ends_with('>'))
}

fn is_url(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    (l.starts_with("https://") || l.starts_with("http://")) && s.len() > 8
}

/// `action <text> ...`, `action list`, `action edit|done|delete N ...`. A subcommand word is
/// one only when a number follows it (`action delete old snapshots` is an action's text).
fn parse_action(line: &str, args: &[Token]) -> R<Command> {
    let word = args.first().map(lower).unwrap_or_default();
    let key = help::lookup(Family::Action, &word).map(|(k, _)| k);
    let cmd = match key {
        Some(K::ActionList) if args.len() == 1 => ActionCmd::List,
        // `action close 3 stale tickets` is an action's text: done and delete take a number and
        // nothing else, edit a number and what to change.
        Some(k @ (K::ActionEdit | K::ActionDone | K::ActionDelete))
            if is_number(args.get(1)) && (k == K::ActionEdit || args.len() == 2) =>
        {
            let n = parse_number(args.get(1), k, "action", "action list")?;
            match k {
                K::ActionEdit => {
                    let spec = action_spec(line, &args[2..], K::ActionEdit)?;
                    if spec == ActionSpec::default() {
                        return Err(bad(k, "say what to change: text, @owners, due, type or ticket"));
                    }
                    ActionCmd::Edit { n, spec }
                }
                K::ActionDone => ActionCmd::Done(n),
                _ => ActionCmd::Delete(n),
            }
        }
        _ => {
            let spec = action_spec(line, args, K::Action)?;
            if spec.text.is_none() {
                return Err(bad(K::Action, "describe the action"));
            }
            ActionCmd::Add(spec)
        }
    };
    Ok(Command::Action(cmd))
}

/// The text and the trailing options of an action: `@owner`s, `due YYYY-MM-DD`, `type T`,
/// `ticket URL` or a bare URL, read from the end; what is left before them is the text.
fn action_spec(line: &str, args: &[Token], key: K) -> R<ActionSpec> {
    let mut spec = ActionSpec::default();
    let mut end = args.len();
    let cleared = |v: &str| v.eq_ignore_ascii_case("none") || v == "-";
    while end > 0 {
        let last = args[end - 1].value.as_str();
        let before = (end >= 2).then(|| lower(&args[end - 2]));
        match before.as_deref() {
            Some("due") if spec.due.is_none() => {
                spec.due = Some(if cleared(last) {
                    None
                } else {
                    Some(chrono::NaiveDate::parse_from_str(last, "%Y-%m-%d").map_err(|_| {
                        bad(
                            key,
                            format!("`due {last}`: give the due date as YYYY-MM-DD (or `none`)"),
                        )
                    })?)
                });
                end -= 2;
                continue;
            }
            Some("type") if spec.kind.is_none() => {
                spec.kind = Some((!cleared(last)).then(|| last.to_string()));
                end -= 2;
                continue;
            }
            Some("ticket") if spec.ticket.is_none() => {
                if !cleared(last) && !is_url(last) {
                    return Err(bad(key, format!("`ticket {last}`: give the ticket as an http(s) URL")));
                }
                spec.ticket = Some((!cleared(last)).then(|| last.to_string()));
                end -= 2;
                continue;
            }
            _ => {}
        }
        if is_mention(last) && (end > 1 || key == K::ActionEdit) {
            spec.owners.insert(0, last.to_string());
        } else if is_url(last) && spec.ticket.is_none() && end > 1 {
            spec.ticket = Some(Some(last.to_string()));
        } else {
            break;
        }
        end -= 1;
    }
    spec.text = Some(text_of(line, &args[..end])).filter(|t| !t.is_empty());
    Ok(spec)
}

fn parse_postmortem(line: &str, args: &[Token]) -> R<Command> {
    let Some(first) = args.first() else {
        return Ok(Command::Postmortem(PostmortemCmd::Show));
    };
    let word = lower(first);
    let cmd = match help::lookup(Family::Postmortem, &word).map(|(k, _)| k) {
        Some(K::PostmortemShow) if args.len() == 1 => PostmortemCmd::Show,
        None if word == "help" && args.len() == 1 => return Ok(Command::Help(Some(Family::Postmortem))),
        Some(K::PostmortemExport) => match &args[1..] {
            [] => PostmortemCmd::Export(ExportFormat::Markdown),
            [f] => PostmortemCmd::Export(value(&f.value, K::PostmortemExport)?),
            _ => return Err(bad(K::PostmortemExport, "give one format")),
        },
        Some(
            k @ (K::PostmortemLink
            | K::PostmortemRelated
            | K::PostmortemAuthor
            | K::PostmortemReviewer
            | K::PostmortemReview
            | K::PostmortemTemplate
            | K::PostmortemLanguage),
        ) => parse_writeup(line, k, &args[1..])?,
        _ => {
            // A word that is no built-in section may be a section of the team's own
            // (`[[postmortem.sections]]`); the service knows which are configured.
            let custom = word.replace('_', "-");
            let section = match first.value.parse::<Section>() {
                Ok(s) => Some(s),
                Err(_) if crate::domain::is_custom_section_key(&custom) => None,
                Err(_) => Some(value(&first.value, K::PostmortemSet)?),
            };
            let mut rest = &args[1..];
            let replace = rest.first().is_some_and(|t| t.value == "--replace");
            if replace {
                rest = &rest[1..];
            }
            let text = text_of(line, rest);
            let name = section.map_or_else(|| custom.clone(), |s| s.to_string());
            if text.is_empty() {
                return Err(bad(K::PostmortemSet, format!("give the text for {name}")));
            }
            match section {
                Some(section) => PostmortemCmd::Set { section, text, replace },
                None => PostmortemCmd::SetCustom {
                    key: custom,
                    text,
                    replace,
                },
            }
        }
    };
    Ok(Command::Postmortem(cmd))
}

/// `postmortem link|related|author|reviewer|review|template|language ...`: the postmortem's
/// record around its sections. Values are checked as the domain checks them.
fn parse_writeup(line: &str, key: K, rest: &[Token]) -> R<PostmortemCmd> {
    let checked = |r: Result<(), crate::domain::TransitionError>| r.map_err(|e| bad(key, e.to_string()));
    let one = |what: &str| match rest {
        [v] => Ok(v.value.as_str()),
        _ => Err(bad(key, format!("give one {what}"))),
    };
    Ok(match key {
        K::PostmortemLink => {
            let Some(url) = rest.first() else {
                return Err(bad(key, "give the link's URL (and optionally a title)"));
            };
            checked(writeup::check_url(&url.value))?;
            let title = Some(text_of(line, &rest[1..])).filter(|t| !t.is_empty());
            PostmortemCmd::Link {
                url: url.value.clone(),
                title,
            }
        }
        K::PostmortemRelated => {
            let to: RelatedRef = value(one("incident id or URL")?, key)?;
            if let RelatedRef::Url(u) = &to {
                checked(writeup::check_url(u))?;
            }
            PostmortemCmd::Related(to)
        }
        K::PostmortemAuthor | K::PostmortemReviewer => {
            if rest.is_empty() || !rest.iter().all(|t| is_mention(&t.value)) {
                return Err(bad(key, "give one or more users as mentions: @alice @bob"));
            }
            let users = rest.iter().map(|t| t.value.clone()).collect();
            if key == K::PostmortemAuthor {
                PostmortemCmd::Author(users)
            } else {
                PostmortemCmd::Reviewer(users)
            }
        }
        K::PostmortemReview => PostmortemCmd::Review(value(one("review status")?, key)?),
        K::PostmortemTemplate => {
            let name = one("template name")?.to_ascii_lowercase();
            checked(writeup::check_template_name(&name))?;
            PostmortemCmd::Template(name)
        }
        _ => {
            let lang = one("language")?.to_ascii_lowercase();
            checked(writeup::check_language(&lang))?;
            PostmortemCmd::Language(lang)
        }
    })
}
