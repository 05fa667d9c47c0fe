//! Property-based fuzzing (proptest) of everything that reads untrusted input: the command
//! tokenizer and parser (any chat message starting with `/` or `!`), the webhook decoders, and
//! `restore`. Each target mixes random input with structure-aware input (commands built from the
//! command language, mutated valid commands, mutated fixtures and backups), and asserts that no
//! input panics, plus properties of what is accepted. The default run is short; the `#[ignore]`d
//! `*_long` tests run `WARROOM_FUZZ_CASES` inputs each (`cargo test --test it fuzz -- --ignored`).
//! The Slack form and event decoders are fuzzed next to them, in `src/chat/slack`.

use std::cell::Cell;
use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;

use warroom::alert::RuleSet;
use warroom::alert::payload::HookKind;
use warroom::command::{self, Command, IncidentCmd, MAX_COMMAND_CHARS, Parsed, TimelineCmd, When, lex};

/// Inputs for a `*_long` test: `WARROOM_FUZZ_CASES`, else `default`.
fn long_cases(default: u32) -> u32 {
    std::env::var("WARROOM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// Run `check` on `cases` inputs from `strategy`; a panic or failed property fails the test
/// with the (shrunk) input. Prints how many inputs ran and how long it took.
fn fuzz<S: Strategy>(name: &str, cases: u32, strategy: S, check: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..Config::default()
    });
    let started = Instant::now();
    if let Err(e) = runner.run(&strategy, check) {
        panic!("fuzz {name}: {e}");
    }
    eprintln!("fuzz {name}: {cases} inputs, no panic, {:.1?}", started.elapsed());
}

// ---------------------------------------------------------------------------------------------
// Command tokenizer and parser

const WORDS: &[&str] = &[
    "incident",
    "inc",
    "timeline",
    "tl",
    "action",
    "postmortem",
    "pm",
    "help",
    "declare",
    "open",
    "new",
    "sev",
    "severity",
    "status",
    "role",
    "lead",
    "commander",
    "milestone",
    "affects",
    "services",
    "resolve",
    "close",
    "reopen",
    "show",
    "info",
    "list",
    "add",
    "edit",
    "delete",
    "remove",
    "rm",
    "export",
    "md",
    "json",
    "html",
    "--sev",
    "--severity",
    "--sev=1",
    "--severity=p9",
    "--replace",
    "summary",
    "impact",
    "root-cause",
    "went_well",
    "lucky",
    "investigating",
    "identified",
    "monitoring",
    "resolved",
    "closed",
    "started",
    "detected",
    "acknowledged",
    "mitigated",
    "sev1",
    "p2",
    "critical",
    "scribe",
    "comms",
    "db-expert",
    "@alice",
    "<@U123>",
    "@",
    "<@",
    "#1",
    "#",
    "1",
    "0",
    "-1",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
    "13:25",
    "25:00",
    "9:5",
    "23:59:59",
    "00:00",
    "24:00",
    "2024-02-29",
    "2024-02-30",
    "0000-01-01",
    "9999-12-31",
    "-001-01-01",
    "2026-11-20T13:25:00Z",
    "2026-11-20T13:25Z",
    "2026-11-20T13:25",
    "2026-11-20t13:25z",
    "+10000-01-01T00:00:00Z",
    "9999-12-31T23:59:59-14:00",
    "0000-01-01T00:00:00+14:00",
    "0000-01-01T00:00Z",
    "9999-12-31T23:59Z",
    "UTC",
    "Z",
    "GMT",
    "+02:00",
    "-14:00",
    "+99:99",
    "+0530",
    "-12",
    "Europe/Amsterdam",
    "America/St_Johns",
    "Etc/GMT+12",
    "Mars/Base",
    "\"",
    "'",
    "“",
    "”",
    "‘",
    "’",
    "\"DB is down\"",
    "'x",
    "x'",
    "we're",
    "é",
    "🚨",
    ",",
    ",,",
    "a,b,",
    "\u{0}",
    "\u{7}",
    "\r",
    "\u{1b}[31m",
    "\u{200b}",
    "\u{202e}",
    "\u{feff}",
    "\\",
    "\\\"",
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

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 0).unwrap()
}

/// Resolve a parsed time as the service does, and show it as replies do.
fn resolve(w: &When) {
    for tz in [
        chrono_tz::Europe::Amsterdam,
        chrono_tz::Pacific::Kiritimati,
        chrono_tz::Etc::GMTPlus12,
    ] {
        if let Ok(t) = w.resolve(now(), tz) {
            let _ = t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string();
            let _ = (t - now()).num_seconds();
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

// ---------------------------------------------------------------------------------------------
// JSON mutation, shared by the webhook and restore targets

const KEYS: &[&str] = &[
    "version",
    "groupKey",
    "status",
    "receiver",
    "alerts",
    "truncatedAlerts",
    "commonLabels",
    "commonAnnotations",
    "labels",
    "annotations",
    "startsAt",
    "endsAt",
    "fingerprint",
    "generatorURL",
    "dashboardURL",
    "valueString",
    "ruleName",
    "evalMatches",
    "title",
    "text",
    "severity",
    "url",
    "at",
    "id",
    "last_seq",
    "seq",
    "incident",
    "milestones",
    "rooms",
    "next_incident_id",
    "type",
    "data",
    "alertname",
    "summary",
    "description",
    "detected",
    "closed",
    "resolved",
    "kind",
    "edits",
    "deleted",
    "n",
    "actions",
];

const STRINGS: &[&str] = &[
    "",
    " ",
    "firing",
    "resolved",
    "FIRING",
    "4",
    "1",
    "3",
    "0001-01-01T00:00:00Z",
    "2026-11-20T13:20:00Z",
    "2026-11-20T13:20:00+25:00",
    "-262143-01-01T00:00:00Z",
    "+262142-12-31T23:59:59Z",
    "9999-12-31T23:59:59Z",
    "0000-01-01T00:00:00Z",
    "not a time",
    "sev1",
    "warning",
    "page",
    "nonsense",
    "INC-1",
    "console:x",
    "inc-1-x",
    "closed",
    "note",
    "alert_received",
    "incident",
    "entry",
    "seen",
    "end",
    "meta",
    "header",
    "<!channel>",
    "<@U1>",
    "\u{0}",
    "\u{1b}]8;;x\u{7}",
    "a\nb",
    "\u{202e}",
    "💥",
    "{}",
    "[]",
];

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        select(vec![0u64, 1, 2, u32::MAX as u64, u64::MAX, 1 << 53]).prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        select(STRINGS).prop_map(Value::from),
        (select(STRINGS), 1..3000usize).prop_map(|(s, n)| Value::from(s.repeat(n))),
        proptest::collection::vec(any::<char>(), 0..40).prop_map(|c| Value::from(c.into_iter().collect::<String>())),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::vec((select(KEYS), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

/// One change to a JSON document: at the node reached by following `path` (indices taken
/// modulo the children at each level), replace the value, delete it, add a key, or repeat it.
#[derive(Debug, Clone)]
enum JsonEdit {
    Replace(Vec<usize>, Value),
    Remove(Vec<usize>),
    AddKey(Vec<usize>, &'static str, Value),
    Repeat(Vec<usize>, usize),
}

fn json_edit() -> impl Strategy<Value = JsonEdit> {
    let path = proptest::collection::vec(any::<usize>(), 0..6);
    prop_oneof![
        4 => (path.clone(), json_value()).prop_map(|(p, v)| JsonEdit::Replace(p, v)),
        2 => path.clone().prop_map(JsonEdit::Remove),
        2 => (path.clone(), select(KEYS), json_value()).prop_map(|(p, k, v)| JsonEdit::AddKey(p, k, v)),
        1 => (path, 2..50usize).prop_map(|(p, n)| JsonEdit::Repeat(p, n)),
    ]
}

fn child_count(v: &Value) -> usize {
    match v {
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        _ => 0,
    }
}

/// The parent of the node `path` leads to, and that node's index in it (`None`: the root).
fn walk<'a>(root: &'a mut Value, path: &[usize]) -> (&'a mut Value, Option<usize>) {
    let mut node = root;
    let mut at = None;
    for (depth, step) in path.iter().enumerate() {
        let n = child_count(node);
        if n == 0 {
            break;
        }
        let i = step % n;
        let descend = depth + 1 < path.len() && {
            let child = match &*node {
                Value::Array(a) => &a[i],
                Value::Object(o) => o.values().nth(i).unwrap_or(&Value::Null),
                _ => &Value::Null,
            };
            child_count(child) > 0
        };
        if !descend {
            at = Some(i);
            break;
        }
        node = match node {
            Value::Array(a) => &mut a[i],
            Value::Object(o) => o.values_mut().nth(i).unwrap(),
            _ => unreachable!(),
        };
    }
    (node, at)
}

fn edit_json(root: &mut Value, e: &JsonEdit) {
    let (path, op) = match e {
        JsonEdit::Replace(p, _) | JsonEdit::Remove(p) | JsonEdit::AddKey(p, ..) | JsonEdit::Repeat(p, _) => (p, e),
    };
    let (parent, at) = walk(root, path);
    match (op, at) {
        (JsonEdit::Replace(_, v), None) => *parent = v.clone(),
        (JsonEdit::Replace(_, v), Some(i)) => match parent {
            Value::Array(a) => a[i] = v.clone(),
            Value::Object(o) => {
                if let Some(slot) = o.values_mut().nth(i) {
                    *slot = v.clone();
                }
            }
            _ => {}
        },
        (JsonEdit::Remove(_), Some(i)) => match parent {
            Value::Array(a) => {
                a.remove(i);
            }
            Value::Object(o) => {
                let k = o.keys().nth(i).cloned().unwrap_or_default();
                o.remove(&k);
            }
            _ => {}
        },
        (JsonEdit::AddKey(_, k, v), _) => {
            if let Value::Object(o) = parent {
                o.insert(k.to_string(), v.clone());
            }
        }
        (JsonEdit::Repeat(_, n), Some(i)) => {
            if let Value::Array(a) = parent {
                let item = a[i].clone();
                a.extend(std::iter::repeat_n(item, *n));
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Webhook decoders

fn fixtures() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hooks");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    out.sort();
    assert!(out.len() >= 8, "fixtures in {}", dir.display());
    out
}

fn webhook_body() -> impl Strategy<Value = Vec<u8>> {
    let fx = fixtures();
    let values: Vec<Value> = fx.iter().map(|b| serde_json::from_slice(b).unwrap()).collect();
    prop_oneof![
        4 => (select(values), proptest::collection::vec(json_edit(), 1..5)).prop_map(|(mut v, edits)| {
            for e in &edits {
                edit_json(&mut v, e);
            }
            serde_json::to_vec(&v).unwrap()
        }),
        2 => (select(fx), proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8), any::<usize>()).prop_map(
            |(mut b, flips, cut)| {
                for (at, byte) in flips {
                    let n = b.len();
                    b[at % n] = byte;
                }
                if cut % 4 == 0 {
                    b.truncate(cut % (b.len() + 1));
                }
                b
            }
        ),
        1 => proptest::collection::vec(any::<u8>(), 0..300),
    ]
}

fn shipped_rules() -> RuleSet {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/warroom.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let config = warroom::config::Config::from_parts(&text, "config/warroom.toml", Vec::new()).unwrap();
    config.rules().unwrap()
}

fn check_webhook(rules: &RuleSet, body: &[u8], accepted: &Cell<u64>) -> Result<(), TestCaseError> {
    for kind in HookKind::ALL {
        match kind.decode(body, now()) {
            Ok(alerts) => {
                accepted.set(accepted.get() + 1);
                prop_assert!(!alerts.is_empty(), "{} accepted a payload with no alert", kind.name());
                for a in &alerts {
                    let line = a.line();
                    prop_assert!(!line.contains('\n'), "an alert line spans lines: {line:?}");
                    let m = rules.decide(a).unwrap_or_else(|| RuleSet::default_for_webhook(a));
                    prop_assert!(!m.fingerprint.is_empty() || m.ignore);
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
    Ok(())
}

fn fuzz_webhook_decoders_n(cases: u32) {
    let (rules, accepted) = (shipped_rules(), Cell::new(0));
    fuzz("webhook decoders (x3 kinds)", cases, webhook_body(), |b| {
        check_webhook(&rules, &b, &accepted)
    });
    eprintln!("fuzz webhook decoders: {} decodes accepted", accepted.get());
}

#[test]
fn fuzz_webhook_decoders() {
    fuzz_webhook_decoders_n(3_000);
}

#[test]
#[ignore = "long run: WARROOM_FUZZ_CASES inputs (default 1,000,000)"]
fn fuzz_webhook_decoders_long() {
    fuzz_webhook_decoders_n(long_cases(1_000_000));
}

// ---------------------------------------------------------------------------------------------
// restore

/// A valid backup from the real binary: two incidents (one closed) with notes, an edited and a
/// deleted entry, roles, milestones, an action and postmortem sections.
fn valid_backup() -> Vec<Value> {
    let sb = crate::support::Sandbox::new();
    crate::support::ok(sb.console(
        "alice",
        "NDW ETL failed\n/incident lead @alice\n/timeline 10:00 first note\n/timeline edit 3 first note, edited\n/timeline second\n/timeline delete 4\n/incident milestone mitigated\n/postmortem summary it broke\n/action fix it @bob\n/incident affects etl, api\n/incident close\n/room alerts\nAPI is down\n",
    ));
    let o = sb.run(&["backup", "-"]);
    assert!(o.status.success());
    crate::support::stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[derive(Debug, Clone)]
enum LineEdit {
    Json(usize, JsonEdit),
    Drop(usize),
    Duplicate(usize),
    Swap(usize, usize),
}

fn line_edit() -> impl Strategy<Value = LineEdit> {
    prop_oneof![
        6 => (any::<usize>(), json_edit()).prop_map(|(i, e)| LineEdit::Json(i, e)),
        1 => any::<usize>().prop_map(LineEdit::Drop),
        1 => any::<usize>().prop_map(LineEdit::Duplicate),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| LineEdit::Swap(a, b)),
    ]
}

/// Mutated backups. With `fix_counts`, the end marker is made to agree with the lines again,
/// so the mutation reaches the checks behind the count check.
fn backup_text(base: Vec<Value>) -> impl Strategy<Value = Vec<u8>> {
    let structured = (proptest::collection::vec(line_edit(), 1..4), any::<bool>()).prop_map(move |(edits, fix)| {
        let mut lines = base.clone();
        for e in &edits {
            let n = lines.len();
            match e {
                LineEdit::Json(i, je) => edit_json(&mut lines[i % n], je),
                LineEdit::Drop(i) if n > 1 => {
                    lines.remove(i % n);
                }
                LineEdit::Duplicate(i) => {
                    let l = lines[i % n].clone();
                    lines.insert(i % n, l);
                }
                LineEdit::Swap(a, b) => lines.swap(a % n, b % n),
                _ => {}
            }
        }
        if fix {
            let count = |t: &str| lines.iter().filter(|l| l["type"] == t).count();
            let (i, e, s) = (count("incident"), count("entry"), count("seen"));
            if let Some(last) = lines.last_mut().filter(|l| l["type"] == "end") {
                last["incidents"] = i.into();
                last["entries"] = e.into();
                last["seen"] = s.into();
            }
        }
        lines.iter().map(|l| format!("{l}\n")).collect::<String>().into_bytes()
    });
    prop_oneof![
        8 => structured,
        1 => proptest::collection::vec(any::<u8>(), 0..400),
    ]
}

/// Restore `bytes` into a fresh data dir under `root`. Refused: nothing was created. Accepted:
/// the store opens, every incident renders in every export format, and a backup of it restores
/// again (what restore accepts, it also writes).
fn check_restore(
    root: &std::path::Path,
    n: &Cell<u64>,
    accepted: &Cell<u64>,
    bytes: &[u8],
) -> Result<(), TestCaseError> {
    n.set(n.get() + 1);
    let dir = root.join(format!("case-{}", n.get()));
    match warroom::store::restore(&dir, bytes, false) {
        Err(e) => {
            prop_assert!(e.to_string().ends_with("nothing was changed"), "{e}");
            prop_assert!(!dir.join("store").exists(), "a refused restore left a store");
        }
        Ok(_) => {
            accepted.set(accepted.get() + 1);
            let store = warroom::store::Store::open(&dir, "fuzz").unwrap();
            for inc in store.incidents(true).unwrap() {
                let entries = store.entries(inc.id).unwrap();
                let pm = warroom::postmortem::Postmortem::build(&inc, &entries, chrono_tz::Europe::Amsterdam, now());
                for f in [
                    command::ExportFormat::Markdown,
                    command::ExportFormat::Json,
                    command::ExportFormat::Html,
                ] {
                    let _ = warroom::postmortem::render(&pm, f);
                }
            }
            let mut again = Vec::new();
            store.backup(&mut again, now()).unwrap();
            drop(store);
            let copy = root.join(format!("case-{}-again", n.get()));
            let restored = warroom::store::restore(&copy, &again[..], false);
            prop_assert!(
                restored.is_ok(),
                "a backup of a restored store is refused: {:?}",
                restored.err()
            );
            let _ = std::fs::remove_dir_all(&copy);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn fuzz_restore_n(cases: u32) {
    let root = tempfile::tempdir().unwrap();
    let (n, accepted) = (Cell::new(0), Cell::new(0));
    fuzz("restore", cases, backup_text(valid_backup()), |b| {
        check_restore(root.path(), &n, &accepted, &b)
    });
    eprintln!(
        "fuzz restore: {} inputs restored (and re-checked), the rest refused",
        accepted.get()
    );
}

#[test]
fn fuzz_restore() {
    fuzz_restore_n(1_500);
}

#[test]
#[ignore = "long run: WARROOM_FUZZ_CASES inputs (default 100,000)"]
fn fuzz_restore_long() {
    fuzz_restore_n(long_cases(100_000));
}
