//! Stores written by released versions still load: a backup made by the last release before the
//! record format grew (serde-defaulted fields for precision, ranges, impact windows, actions with
//! several owners) is restored by today's binary with every fact intact, and the store keeps
//! working.
//!
//! The fixture `tests/fixtures/backup-9e6e8a5.jsonl` was written by warroom at commit 9e6e8a5 (the
//! last release). It holds two incidents:
//! - INC-1 "NDW ETL failed", opened from an alert in `alerts` and repeated once there (2 alerts);
//!   commander @alice and scribe @bob; notes backdated to 13:05 and 13:25 UTC on 2026-11-20; note
//!   #8 edited (was "checking the cron logs"); note #9 deleted; severity sev2 → sev1; status
//!   identified; milestones started/detected/acknowledged/mitigated set by hand; affected
//!   services; summary, impact (replaced with `--replace`), root-cause and went-well; action #1
//!   with owner @bob; resolved at 13:55 and closed.
//! - INC-2 "Billing API latency", declared by hand at SEV3, with one note; still investigating.
//!
//! To make it again (the times will differ, so the expectations below must be updated with it):
//! ```sh
//! git worktree add /tmp/wt-old 9e6e8a5 && cd /tmp/wt-old && cargo build --bin warroom
//! cp "$CARGO_TARGET_DIR/debug/warroom" /tmp/warroom-9e6e8a5   # or target/debug/warroom
//! /tmp/warroom-9e6e8a5 --data-dir /tmp/old-data console --user alice \
//!     < tests/fixtures/backup-9e6e8a5.session.txt              # the script, from this tree
//! /tmp/warroom-9e6e8a5 --data-dir /tmp/old-data backup tests/fixtures/backup-9e6e8a5.jsonl
//! git worktree remove /tmp/wt-old
//! ```

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::support::{Sandbox, ok, stderr};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/backup-9e6e8a5.jsonl")
}

fn time(v: &Value) -> DateTime<Utc> {
    let s = v.as_str().unwrap_or_else(|| panic!("not a time: {v}"));
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("not a time: {s}: {e}"))
        .with_timezone(&Utc)
}

fn at(s: &str) -> DateTime<Utc> {
    time(&Value::String(s.into()))
}

fn export(sb: &Sandbox, id: &str) -> Value {
    let json = ok(sb.run(&["export", id, "--format", "json"]));
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("export {id} is not JSON ({e}): {json}"))
}

/// The texts of one postmortem section of an export.
fn section(inc: &Value, key: &str) -> Vec<String> {
    let s = inc["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("no section {key}"));
    s["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["text"].as_str().expect("text").to_string())
        .collect()
}

/// Every visible entry of INC-1 in the fixture: seq, time, kind, text.
const INC1_TIMELINE: [(u64, &str, &str, &str); 19] = [
    (
        1,
        "2026-11-30T07:34:18.110723241Z",
        "alert_received",
        "alert received (rule failed): NDW ETL failed",
    ),
    (
        2,
        "2026-11-30T07:34:18.111630512Z",
        "declared",
        "INC-1 declared: NDW ETL failed, SEV2 (major)",
    ),
    (
        3,
        "2026-11-30T07:34:18.113994042Z",
        "alert_repeated",
        "alert repeated (×2): NDW ETL failed",
    ),
    (4, "2026-11-30T07:34:18.115461517Z", "role", "@alice is now commander"),
    (5, "2026-11-30T07:34:18.123542181Z", "role", "@bob is now scribe"),
    (
        6,
        "2026-11-20T13:05:00Z",
        "note",
        "nightly NDW import started, disk at 97%",
    ),
    (7, "2026-11-20T13:25:00Z", "note", "restarted docker on etl-1"),
    (
        8,
        "2026-11-30T07:34:18.135132941Z",
        "note",
        "checking the cron and logrotate logs",
    ),
    (10, "2026-11-30T07:34:18.151210749Z", "severity", "severity sev2 → sev1"),
    (11, "2026-11-20T13:00:00Z", "milestone", "milestone started"),
    (
        12,
        "2026-11-20T13:10:00Z",
        "milestone",
        "milestone detected (corrected; was 2026-11-30 07:34 UTC)",
    ),
    (13, "2026-11-20T13:12:00Z", "milestone", "milestone acknowledged"),
    (
        14,
        "2026-11-30T07:34:18.163386971Z",
        "status",
        "status investigating → identified: log rotation disabled, disk full",
    ),
    (15, "2026-11-20T13:40:00Z", "milestone", "milestone mitigated"),
    (
        16,
        "2026-11-30T07:34:18.166657251Z",
        "services",
        "affects: ndw-etl, ndw-api",
    ),
    (
        17,
        "2026-11-30T07:34:18.183221368Z",
        "action",
        "action #1: re-enable log rotation on etl hosts (owner @bob)",
    ),
    (
        18,
        "2026-11-30T07:34:18.187641020Z",
        "status",
        "status identified → resolved: ETL rerun succeeded",
    ),
    (19, "2026-11-20T13:55:00Z", "milestone", "milestone resolved"),
    (20, "2026-11-30T07:34:18.191483471Z", "closed", "INC-1 closed"),
];

fn check_closed_incident(inc: &Value) {
    assert_eq!(inc["id"], "INC-1");
    assert_eq!(inc["title"], "NDW ETL failed");
    assert_eq!(inc["severity"], "sev1");
    assert_eq!(inc["status"], "closed");
    assert_eq!(inc["alert_count"], 2);
    assert_eq!(inc["services"], serde_json::json!(["ndw-etl", "ndw-api"]));
    let roles: Vec<(&str, &str)> = inc["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .map(|r| (r["role"].as_str().unwrap(), r["who"].as_str().unwrap()))
        .collect();
    assert_eq!(roles, [("commander", "@alice"), ("scribe", "@bob")]);

    let milestones: Vec<(&str, DateTime<Utc>)> = inc["milestones"]
        .as_array()
        .expect("milestones")
        .iter()
        .map(|m| (m["name"].as_str().unwrap(), time(&m["at"])))
        .collect();
    assert_eq!(
        milestones,
        [
            ("started", at("2026-11-20T13:00:00Z")),
            ("detected", at("2026-11-20T13:10:00Z")),
            ("acknowledged", at("2026-11-20T13:12:00Z")),
            ("mitigated", at("2026-11-20T13:40:00Z")),
            ("resolved", at("2026-11-20T13:55:00Z")),
            ("closed", at("2026-11-30T07:34:18.191483471Z")),
        ]
    );

    let mut timeline: Vec<&Value> = inc["timeline"].as_array().expect("timeline").iter().collect();
    timeline.sort_by_key(|e| e["seq"].as_u64());
    let got: Vec<(u64, DateTime<Utc>, &str, &str)> = timeline
        .iter()
        .map(|e| {
            (
                e["seq"].as_u64().expect("seq"),
                time(&e["at"]),
                e["kind"].as_str().expect("kind"),
                e["text"].as_str().expect("text"),
            )
        })
        .collect();
    let want: Vec<(u64, DateTime<Utc>, &str, &str)> = INC1_TIMELINE
        .iter()
        .map(|&(seq, t, kind, text)| (seq, at(t), kind, text))
        .collect();
    assert_eq!(got, want);

    // The edit keeps who, when and the previous text; the deletion keeps the entry and its text.
    let edited = timeline.iter().find(|e| e["seq"] == 8).expect("entry #8");
    assert_eq!(edited["edited"], true);
    let edits = edited["edits"].as_array().expect("edits");
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0]["previous_text"], "checking the cron logs");
    assert_eq!(edits[0]["by"]["id"], "alice");
    assert_eq!(time(&edits[0]["at"]), at("2026-11-30T07:34:18.142794441Z"));
    let deleted = inc["deleted_entries"].as_array().expect("deleted_entries");
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["seq"], 9);
    assert_eq!(deleted[0]["text"], "a note that was a mistake");
    assert_eq!(deleted[0]["deleted"]["by"]["id"], "alice");
    assert_eq!(time(&deleted[0]["deleted"]["at"]), at("2026-11-30T07:34:18.145217569Z"));

    // The one `owner` of the old format is now the first of `owners`.
    let actions = inc["actions"].as_array().expect("actions");
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0]["n"], 1);
    assert_eq!(actions[0]["text"], "re-enable log rotation on etl hosts");
    assert_eq!(actions[0]["owners"], serde_json::json!(["@bob"]));
    assert_eq!(actions[0]["added_by"]["id"], "alice");

    assert_eq!(
        section(inc, "summary"),
        ["The nightly NDW import failed because etl-1 ran out of disk."]
    );
    assert_eq!(
        section(inc, "impact"),
        ["NDW data on the public API was 50 minutes stale."]
    );
    assert_eq!(section(inc, "root-cause"), ["log rotation was disabled on etl-1"]);
    assert_eq!(section(inc, "went-well"), ["the cron alert fired within a minute"]);
    assert!(section(inc, "trigger").is_empty());
    let impact = inc["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "impact")
        .unwrap();
    let replaced = impact["replaced"]
        .as_array()
        .expect("impact keeps what --replace replaced");
    assert_eq!(replaced.len(), 1);
    assert_eq!(replaced[0]["previous"][0]["text"], "NDW data was stale.");
}

#[test]
fn a_backup_from_release_9e6e8a5_restores_with_every_fact() {
    let sb = Sandbox::new();
    let o = sb.run(&["restore", fixture().to_str().expect("utf-8 path")]);
    assert!(o.status.success(), "restore failed: {}", stderr(&o));
    assert!(
        stderr(&o).contains("2 incidents, 22 timeline entries"),
        "{}",
        stderr(&o)
    );

    check_closed_incident(&export(&sb, "INC-1"));

    let open = ok(sb.run(&["incidents"]));
    assert!(open.contains("INC-2") && open.contains("Billing API latency"), "{open}");
    assert!(!open.contains("INC-1"), "{open}");

    // The open incident accepts new entries, numbered after the old ones.
    let out = ok(sb.console(
        "bob",
        "/room inc-2-billing-api-latency\n/timeline still slow after the failover\n",
    ));
    assert!(out.contains("Added #3"), "{out}");
    let inc = export(&sb, "INC-2");
    assert_eq!(inc["status"], "investigating");
    assert_eq!(inc["severity"], "sev3");
    let mut texts: Vec<(u64, String, String)> = inc["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| {
            (
                e["seq"].as_u64().unwrap(),
                e["author"]["id"].as_str().unwrap().to_string(),
                e["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    texts.sort();
    assert_eq!(
        texts,
        [
            (
                1,
                "alice".into(),
                "INC-2 declared: Billing API latency, SEV3 (minor)".into()
            ),
            (2, "alice".into(), "customers report slow invoices".into()),
            (3, "bob".into(), "still slow after the failover".into()),
        ]
    );
}
