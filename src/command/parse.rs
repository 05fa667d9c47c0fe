//! The parser: a chat line in, a `Parsed` out. Pure; never touches state.

use super::help::{self, CommandKey as K, Family};
use super::lex::{Token, text_of, tokenize};
use super::when::{self, When};
use super::{Command, ExportFormat, IncidentCmd, Parsed, PostmortemCmd, TimelineCmd, UsageError};
use crate::domain::{MAX_TEXT_CHARS, Milestone, Role, Section, Severity, Status};

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
            [s] => IncidentCmd::Severity(value(&s.value, K::IncidentSev)?),
            _ => return Err(bad(K::IncidentSev, "give exactly one severity")),
        },
        Some((K::IncidentStatus, _)) => parse_status(line, rest)?,
        // `incident lead @user`: the role is fixed to commander.
        Some((K::IncidentRole, Some(_))) => match rest {
            [u] => IncidentCmd::Role {
                role: Role::Commander,
                user: u.value.clone(),
            },
            _ => return Err(bad(K::IncidentRole, "give one user")),
        },
        Some((K::IncidentRole, None)) => match rest {
            [r, u] => IncidentCmd::Role {
                role: value(&r.value, K::IncidentRole)?,
                user: u.value.clone(),
            },
            _ => return Err(bad(K::IncidentRole, "give a role and one user")),
        },
        Some((K::IncidentMilestone, _)) => parse_milestone(rest)?,
        Some((K::IncidentAffects, _)) => parse_affects(rest)?,
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

/// `incident declare <title> [--sev SEV]`: the flag may stand anywhere; the other words are the
/// title (its original spacing kept when they are contiguous).
fn parse_declare(line: &str, rest: &[Token]) -> R<IncidentCmd> {
    const KEY: K = K::IncidentDeclare;
    let mut severity = None;
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
    Ok(IncidentCmd::Declare { title, severity })
}

fn parse_status(line: &str, rest: &[Token]) -> R<IncidentCmd> {
    let s = rest.first().ok_or_else(|| bad(K::IncidentStatus, "which status?"))?;
    let status: Status = value(&s.value, K::IncidentStatus)?;
    let note = Some(text_of(line, &rest[1..])).filter(|n| !n.is_empty());
    Ok(IncidentCmd::Status { status, note })
}

fn parse_milestone(rest: &[Token]) -> R<IncidentCmd> {
    const KEY: K = K::IncidentMilestone;
    let m = rest.first().ok_or_else(|| bad(KEY, "which milestone?"))?;
    let milestone: Milestone = value(&m.value, KEY)?;
    let when = match &rest[1..] {
        [] => None,
        w => Some(when::parse_all(w).map_err(|e| bad(KEY, e.0))?),
    };
    Ok(IncidentCmd::Milestone { milestone, when })
}

fn parse_affects(rest: &[Token]) -> R<IncidentCmd> {
    let services: Vec<String> = rest
        .iter()
        .flat_map(|t| t.value.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if services.is_empty() {
        return Err(bad(K::IncidentAffects, "name at least one service"));
    }
    Ok(IncidentCmd::Affects(services))
}

fn no_args<T>(rest: &[Token], key: K, v: T) -> R<T> {
    if rest.is_empty() {
        Ok(v)
    } else {
        Err(bad(key, format!("`{}` takes no arguments", key.name())))
    }
}

/// An optional `WHEN` at the start of `tokens`. A word that looks like a time but is not a
/// valid one (`25:00`, `2024-02-30`, a date without a time) is an error, not text.
fn split_when(tokens: &[Token], key: K) -> R<(Option<When>, usize)> {
    match when::parse_prefix(tokens) {
        Some((w, n)) => Ok((Some(w), n)),
        None => match tokens.first() {
            Some(t) if when::looks_like_time(&t.value) => Err(bad(
                key,
                format!(
                    "`{}` is not a valid time; use HH:MM, YYYY-MM-DD HH:MM or RFC 3339",
                    t.value
                ),
            )),
            _ => Ok((None, 0)),
        },
    }
}

fn parse_seq(t: Option<&Token>, key: K) -> R<u64> {
    let t = t.ok_or_else(|| bad(key, "which entry? give its number from `timeline list`"))?;
    t.value
        .trim_start_matches('#')
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| bad(key, format!("`{}` is not an entry number", t.value)))
}

fn parse_timeline(line: &str, args: &[Token]) -> R<Command> {
    let Some(first) = args.first() else {
        return Err(bad(K::TimelineAdd, "what happened?"));
    };
    let word = lower(first);
    let key = help::lookup(Family::Timeline, &word).map(|(k, _)| k);
    let cmd = match key {
        Some(K::TimelineList) if args.len() == 1 => TimelineCmd::List,
        None if word == "help" && args.len() == 1 => return Ok(Command::Help(Some(Family::Timeline))),
        // `timeline list 20` is a mistaken listing, not a note.
        Some(K::TimelineList) if args.len() == 2 && args[1].value.chars().all(|c| c.is_ascii_digit()) => {
            return Err(bad(
                K::TimelineList,
                "`timeline list` takes no arguments; it shows the last 50 entries",
            ));
        }
        Some(K::TimelineEdit) => {
            let seq = parse_seq(args.get(1), K::TimelineEdit)?;
            let text = text_of(line, &args[2.min(args.len())..]);
            if text.is_empty() {
                return Err(bad(K::TimelineEdit, "give the new text"));
            }
            TimelineCmd::Edit { seq, text }
        }
        Some(K::TimelineDelete) => {
            let seq = parse_seq(args.get(1), K::TimelineDelete)?;
            if args.len() > 2 {
                return Err(bad(
                    K::TimelineDelete,
                    "`timeline delete` takes only an entry number; to record text starting with that word use `timeline add ...`",
                ));
            }
            TimelineCmd::Delete { seq }
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

/// Is this token a mention of a user (`@alice`, `@alice:server`, Slack's `<@U123>`)?
pub fn is_mention(s: &str) -> bool {
    (s.starts_with('@') && s.len() > 1) || (s.starts_with("<@") && s.ends_with('>'))
}

fn parse_action(line: &str, args: &[Token]) -> R<Command> {
    let (body, owner) = match args.split_last() {
        Some((last, body)) if is_mention(&last.value) && !body.is_empty() => (body, Some(last.value.clone())),
        _ => (args, None),
    };
    let text = text_of(line, body);
    if text.is_empty() {
        return Err(bad(K::Action, "describe the action"));
    }
    Ok(Command::Action { text, owner })
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
        _ => {
            let section: Section = value(&first.value, K::PostmortemSet)?;
            let mut rest = &args[1..];
            let replace = rest.first().is_some_and(|t| t.value == "--replace");
            if replace {
                rest = &rest[1..];
            }
            let text = text_of(line, rest);
            if text.is_empty() {
                return Err(bad(K::PostmortemSet, format!("give the text for {section}")));
            }
            PostmortemCmd::Set { section, text, replace }
        }
    };
    Ok(Command::Postmortem(cmd))
}
