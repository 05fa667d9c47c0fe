//! Fuzzing the command tokenizer and parser: random lines, lines built from the command
//! language, and mutated valid commands; parsed times are resolved and shown as replies do.

use super::*;

#[rustfmt::skip]
const WORDS: &[&str] = &[
    "incident", "inc", "timeline", "tl", "action", "postmortem", "pm", "help", "declare", "open", "new",
    "sev", "severity", "status", "role", "lead", "commander", "milestone", "affects", "services", "resolve",
    "close", "reopen", "show", "info", "list", "add", "edit", "delete", "remove", "rm", "export", "md",
    "json", "html", "--sev", "--severity", "--sev=1", "--severity=p9", "--replace", "summary", "impact",
    "root-cause", "went_well", "lucky", "investigating", "identified", "monitoring", "resolved", "closed",
    "started", "detected", "acknowledged", "mitigated", "sev1", "p2", "critical", "scribe", "comms",
    "db-expert", "@alice", "<@U123>", "@", "<@", "#1", "#", "1", "0", "-1", "18446744073709551615",
    "18446744073709551616", "99999999999999999999999", "13:25", "25:00", "9:5", "23:59:59", "00:00", "24:00",
    "2024-02-29", "2024-02-30", "0000-01-01", "9999-12-31", "-001-01-01", "2026-11-20T13:25:00Z",
    "2026-11-20T13:25Z", "2026-11-20T13:25", "2026-11-20t13:25z", "+10000-01-01T00:00:00Z",
    "9999-12-31T23:59:59-14:00", "0000-01-01T00:00:00+14:00", "0000-01-01T00:00Z", "9999-12-31T23:59Z", "UTC",
    "Z", "GMT", "+02:00", "-14:00", "+99:99", "+0530", "-12", "Europe/Amsterdam", "America/St_Johns",
    "Etc/GMT+12", "Mars/Base", "\"", "'", "“", "”", "‘", "’", "\"DB is down\"", "'x", "x'", "we're", "é", "🚨",
    ",", ",,", "a,b,", "\u{0}", "\u{7}", "\r", "\u{1b}[31m", "\u{200b}", "\u{202e}", "\u{feff}", "\\", "\\\"",
    "<!channel>",
];

const SEPARATORS: &[&str] = &[" ", " ", " ", "  ", "\t", "\n", "", "\u{a0}", "\u{3000}"];

/// Valid commands, to mutate.
const VALID: &[&str] = &[
    "/incident declare \"Checkout is down\" --sev critical",
    "/incident declare --sev=p3 DNS flaps in eu-west",
    "!incident sev 1",
    "/incident status monitoring fix deployed, watching",
    "/incident role comms @a",
    "/incident lead <@U123>",
    "/incident milestone started 2026-11-20 13:05 Europe/Amsterdam",
    "/incident milestone mitigated 13:40 +02:00",
    "/incident affects api, web,db",
    "/incident resolve 2026-11-20T14:00:00Z all good",
    "/incident close",
    "/timeline 13:25 restarted \"nightly\" docker",
    "/timeline add 2026-11-20T13:25Z 'quoted note' we're fine",
    "/timeline edit #3 “smart quotes” text",
    "/timeline delete 2",
    "/timeline list",
    "/action re-enable log rotation on etl hosts @bob",
    "/postmortem root-cause --replace log rotation was disabled",
    "/postmortem export html",
    "!help timeline",
];

fn words_line() -> impl Strategy<Value = String> {
    (
        select(vec!["/", "!", " /", "/ ", "", "!!", "  !"]),
        proptest::collection::vec((select(WORDS), select(SEPARATORS)), 0..14),
    )
        .prop_map(|(prefix, parts)| {
            let mut line = prefix.to_string();
            for (w, sep) in parts {
                line.push_str(w);
                line.push_str(sep);
            }
            line
        })
}

fn random_line() -> impl Strategy<Value = String> {
    (
        select(vec!["/", "!", ""]),
        proptest::collection::vec(any::<char>(), 0..120),
    )
        .prop_map(|(p, cs)| format!("{p}{}", cs.into_iter().collect::<String>()))
}

/// An edit of a string: at a position (taken modulo its length), delete some characters,
/// insert a word, or repeat a stretch.
#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, &'static str),
    Repeat(usize, usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1..8usize).prop_map(|(a, n)| Edit::Delete(a, n)),
        (any::<usize>(), select(WORDS)).prop_map(|(a, w)| Edit::Insert(a, w)),
        (any::<usize>(), 1..12usize, 2..6usize).prop_map(|(a, n, k)| Edit::Repeat(a, n, k)),
    ]
}

fn apply(s: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    for e in edits {
        let len = chars.len();
        match *e {
            Edit::Delete(at, n) if len > 0 => {
                let at = at % len;
                chars.drain(at..(at + n).min(len));
            }
            Edit::Insert(at, w) => {
                let at = at % (len + 1);
                chars.splice(at..at, w.chars());
            }
            Edit::Repeat(at, n, k) if len > 0 => {
                let at = at % len;
                let part: Vec<char> = chars[at..(at + n).min(len)].to_vec();
                let copies = part.repeat(k);
                chars.splice(at..at, copies);
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

fn mutated_command() -> impl Strategy<Value = String> {
    (select(VALID), proptest::collection::vec(edit(), 1..6)).prop_map(|(s, edits)| apply(s, &edits))
}

fn command_line() -> impl Strategy<Value = String> {
    prop_oneof![3 => words_line(), 3 => mutated_command(), 2 => random_line()]
}

/// Resolve a parsed time as the service does, and show it as replies do.
fn resolve(w: &When) {
    for tz in [
        chrono_tz::Europe::Amsterdam,
        chrono_tz::Pacific::Kiritimati,
        chrono_tz::Etc::GMTPlus12,
    ] {
        for (anchor, date_order) in [
            (None, warroom::domain::DateOrder::Dmy),
            (
                Some(now() - chrono::Duration::days(800)),
                warroom::domain::DateOrder::Mdy,
            ),
        ] {
            let ctx = warroom::command::TimeContext {
                now: now(),
                tz,
                date_order,
                anchor,
            };
            if let Ok(r) = w.resolve_in(&ctx) {
                let _ = warroom::domain::fmt_moment(&r.moment, &tz);
                let _ = (r.moment.at - now()).num_seconds();
                assert!(
                    r.moment.end.is_none_or(|e| e >= r.moment.at),
                    "{w:?} ends before it starts"
                );
            }
        }
    }
}

fn check_command_line(line: String, commands: &Cell<u64>) -> Result<(), TestCaseError> {
    let tokens = lex::tokenize(&line);
    let mut end = 0;
    for t in &tokens {
        prop_assert!(
            t.start >= end && t.start < t.end && t.end <= line.len(),
            "token {t:?} out of place"
        );
        prop_assert!(line.is_char_boundary(t.start) && line.is_char_boundary(t.end));
        end = t.end;
    }
    let _ = lex::text_of(&line, &tokens);
    match command::parse(&line) {
        Parsed::Command(c) => {
            commands.set(commands.get() + 1);
            prop_assert!(line.chars().count() <= MAX_COMMAND_CHARS);
            match &c {
                Command::Incident(IncidentCmd::Milestone { when: Some(w), .. })
                | Command::Incident(IncidentCmd::Resolve { when: Some(w), .. })
                | Command::Timeline(TimelineCmd::Add { when: Some(w), .. }) => resolve(w),
                Command::Timeline(TimelineCmd::Add { text, .. }) => prop_assert!(!text.trim().is_empty()),
                _ => {}
            }
        }
        Parsed::Invalid(e) => prop_assert!(!e.render('/').is_empty()),
        Parsed::NotACommand => {}
    }
    Ok(())
}

fn fuzz_command_parser_n(cases: u32) {
    let commands = Cell::new(0);
    fuzz("command parser", cases, command_line(), |l| {
        check_command_line(l, &commands)
    });
    eprintln!("fuzz command parser: {} of them parsed as commands", commands.get());
}

#[test]
fn fuzz_command_parser() {
    fuzz_command_parser_n(20_000);
}

#[test]
#[ignore = "long run: WARROOM_FUZZ_CASES inputs (default 10,000,000)"]
fn fuzz_command_parser_long() {
    fuzz_command_parser_n(long_cases(10_000_000));
}
