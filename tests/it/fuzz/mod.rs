//! Property-based fuzzing (proptest) of everything that reads untrusted input: the command
//! tokenizer and parser (any chat message starting with `/` or `!`), the webhook decoders, and
//! `restore`. Each target mixes random input with structure-aware input (commands built from the
//! command language, mutated valid commands, mutated fixtures and backups), and asserts that no
//! input panics, plus properties of what is accepted. The default run is short; the `#[ignore]`d
//! `*_long` tests run `WARROOM_FUZZ_CASES` inputs each (`cargo test --test it fuzz -- --ignored`).
//! A last target runs random sessions through the service and checks that restore accepts
//! every backup of what it recorded. The Slack form and event decoders are fuzzed next to
//! them, in `src/chat/slack`.

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

mod hooks;
mod json;
mod live;
mod parser;
mod restore;

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

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 0).unwrap()
}

/// The webhook fixtures (tests/fixtures/hooks).
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
