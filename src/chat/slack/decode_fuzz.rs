//! Fuzzing (proptest) of what Slack's HTTP mode decodes from unauthenticated-until-verified
//! bytes: the slash command form (`serde_urlencoded` into `SlashCommand`, then the command
//! parser) and the Events API JSON (`SlackPushEventCallback`, then the message text and time
//! warroom reads from it), exactly as `http_mode` does. Random bytes plus structure-aware
//! input (forms built from Slack's fields, mutated real event payloads); no input may panic.
//! `slack_decoders_long` runs `WARROOM_FUZZ_CASES` inputs per decoder.

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use super::*;

const FIELDS: &[&str] = &[
    "command",
    "text",
    "channel_id",
    "user_id",
    "user_name",
    "response_url",
    "trigger_id",
    "team_id",
    "token",
    "api_app_id",
    "",
    "text[]",
    "%00",
];

const VALUES: &[&str] = &[
    "",
    "/incident",
    "/timeline",
    "incident declare \"DB down\" --sev 1",
    "timeline 13:25 \"a \"a \"a",
    "C0123",
    "U0ALICE",
    "https://hooks.slack.com/commands/T1/2/x",
    "1.2.3",
    "%",
    "%zz",
    "%F0%9F",
    "\u{0}",
    "<!channel>",
    "é",
    "🚨",
    "a+b",
    "&",
    "=",
];

/// A complete slash command form, as Slack sends it.
const BASE: &[(&str, &str)] = &[
    ("token", "gIkuvaNzQIHg97ATvDxqgjtO"),
    ("team_id", "T0FAKE0001"),
    ("channel_id", "C0123"),
    ("user_id", "U0ALICE"),
    ("user_name", "alice"),
    ("command", "/incident"),
    ("text", "declare DB down"),
    ("response_url", "https://hooks.slack.com/commands/T1/2/x"),
    ("trigger_id", "1.2.3"),
];

fn form() -> impl Strategy<Value = Vec<u8>> {
    // Slack's fields with some values replaced, some removed and junk added; each pair encoded
    // properly or pasted raw (so `%`, `&` and `=` inside values reach the decoder).
    let edits = proptest::collection::vec((any::<usize>(), select(FIELDS), select(VALUES), 0..4u8), 0..6);
    let structured = (edits, any::<u16>()).prop_map(|(edits, raw_mask)| {
        let mut pairs: Vec<(&str, &str)> = BASE.to_vec();
        for (i, k, v, op) in edits {
            let n = pairs.len().max(1);
            match op {
                0 if !pairs.is_empty() => pairs[i % n].1 = v,
                1 if !pairs.is_empty() => {
                    pairs.remove(i % n);
                }
                _ => pairs.insert(i % (pairs.len() + 1), (k, v)),
            }
        }
        let encoded: Vec<String> = pairs
            .iter()
            .enumerate()
            .map(|(i, (k, v))| match raw_mask & (1 << (i % 16)) {
                0 => serde_urlencoded::to_string([(k, v)]).unwrap_or_default(),
                _ => format!("{k}={v}"),
            })
            .collect();
        encoded.join("&").into_bytes()
    });
    prop_oneof![
        5 => structured,
        1 => proptest::collection::vec(select(b"az=&%+09AFf\xff\xc3 ".to_vec()), 0..80),
        1 => proptest::collection::vec(any::<u8>(), 0..120),
    ]
}

fn events() -> Vec<Value> {
    let wrap = |event: Value| {
        json!({
            "token": "XXYYZZ", "team_id": "T0FAKE0001", "api_app_id": "A0WARROOM1", "event": event,
            "type": "event_callback", "event_id": "Ev1", "event_time": 1_700_000_000,
            "authorizations": [{"enterprise_id": null, "team_id": "T0FAKE0001", "user_id": "U0BOT", "is_bot": true}],
            "is_ext_shared_channel": false, "event_context": "4-x"
        })
    };
    vec![
        wrap(
            json!({"type": "message", "channel": "C1", "user": "U1", "text": "NDW ETL failed", "ts": "1700000000.000100", "event_ts": "1700000000.000100", "channel_type": "channel"}),
        ),
        wrap(
            json!({"type": "message", "subtype": "bot_message", "text": "", "ts": "1700000000.000200", "username": "cron", "bot_id": "B1", "channel": "C1",
            "attachments": [{"id": 1, "color": "danger", "fallback": "backup failed", "title": "backup failed", "text": "exit code 1"}]}),
        ),
        wrap(
            json!({"type": "message", "channel": "C2", "user": "U2", "text": "/timeline restarted", "ts": "1700000000.000300", "thread_ts": "1700000000.000100"}),
        ),
        json!({"type": "url_verification", "challenge": "abc", "token": "x"}),
    ]
}

/// Every JSON pointer in `v` (`""` is the root).
fn pointers(v: &Value, at: &str, out: &mut Vec<String>) {
    out.push(at.to_string());
    match v {
        Value::Object(o) => o.iter().for_each(|(k, c)| pointers(c, &format!("{at}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, c)| pointers(c, &format!("{at}/{i}"), out)),
        _ => {}
    }
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        select(VALUES).prop_map(Value::from),
        select(vec![
            "message",
            "bot_message",
            "event_callback",
            "url_verification",
            "9999999999999.999999",
            "-1.5",
            ".",
            "1.",
            "1.0000001",
            "99999999999999999999"
        ])
        .prop_map(Value::from),
        proptest::collection::vec(any::<char>(), 0..30).prop_map(|c| Value::from(c.into_iter().collect::<String>())),
        Just(json!([])),
        Just(json!({})),
        Just(json!([{"title": null, "text": "t", "fallback": 1}])),
    ]
}

/// A real event payload with some values replaced or removed.
fn event() -> impl Strategy<Value = Vec<u8>> {
    let docs: Vec<(Value, Vec<String>)> = events()
        .into_iter()
        .map(|d| {
            let mut ps = Vec::new();
            pointers(&d, "", &mut ps);
            (d, ps)
        })
        .collect();
    let edits = proptest::collection::vec((any::<usize>(), leaf(), any::<bool>()), 1..5);
    let mutated = (select(docs), edits).prop_map(|((mut doc, ps), edits)| {
        for (i, value, remove) in edits {
            let p = &ps[i % ps.len()];
            match p.rsplit_once('/') {
                Some((parent, key)) if remove => match doc.pointer_mut(parent) {
                    Some(Value::Object(o)) => {
                        o.remove(key);
                    }
                    Some(Value::Array(a)) => {
                        if let Ok(i) = key.parse::<usize>()
                            && i < a.len()
                        {
                            a.remove(i);
                        }
                    }
                    _ => {}
                },
                _ => {
                    if let Some(slot) = doc.pointer_mut(p) {
                        *slot = value;
                    }
                }
            }
        }
        serde_json::to_vec(&doc).unwrap_or_default()
    });
    prop_oneof![5 => mutated, 1 => proptest::collection::vec(any::<u8>(), 0..200)]
}

/// What `http_mode::commands` does with a verified body, short of running the command.
fn decode_form(body: &[u8]) -> bool {
    let Ok(cmd) = serde_urlencoded::from_bytes::<SlashCommand>(body) else {
        return false;
    };
    let _ = crate::command::parse(&format!("{} {}", cmd.command, cmd.text));
    true
}

/// What `http_mode::events` and `on_event` read from a verified body.
fn decode_event(body: &[u8]) -> bool {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    if value["type"].as_str() != Some("event_callback") {
        let _ = json!({"challenge": value["challenge"]});
        return false;
    }
    if let Ok(ev) = serde_json::from_value::<SlackPushEventCallback>(value)
        && let SlackEventCallbackBody::Message(m) = ev.event
    {
        let text = message_text(&m);
        let _ = crate::command::parse(&text);
        let _ = ts_time(m.origin.ts.as_ref());
        let _ = m.origin.channel.as_ref().map(|c| c.to_string());
        return true;
    }
    false
}

fn run(cases: u32) {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let started = std::time::Instant::now();
    let (forms, messages) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    TestRunner::new(config.clone())
        .run(&form(), |b| {
            forms.set(forms.get() + u32::from(decode_form(&b)));
            Ok(())
        })
        .unwrap();
    TestRunner::new(config)
        .run(&event(), |b| {
            messages.set(messages.get() + u32::from(decode_event(&b)));
            Ok(())
        })
        .unwrap();
    eprintln!(
        "fuzz slack decoders: {cases} forms ({} decoded) and {cases} events ({} message events), no panic, {:.1?}",
        forms.get(),
        messages.get(),
        started.elapsed()
    );
}

#[test]
fn slack_decoders() {
    run(3_000);
}

#[test]
#[ignore = "long run: WARROOM_FUZZ_CASES inputs per decoder (default 1,000,000)"]
fn slack_decoders_long() {
    let cases = std::env::var("WARROOM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok());
    run(cases.unwrap_or(1_000_000));
}
