//! Tests of the postmortem module (postmortem_tests).
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::*;
use crate::command::ExportFormat;
use crate::domain::*;

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, h, m, 0).unwrap()
}

/// Drives a realistic incident through the domain and numbers the entries like the store does.
fn sample() -> (Incident, Vec<TimelineEntry>) {
    let alice = Person::new("@alice:example.org", "Alice");
    let cron = Person::new("cron", "cron");
    let src = Source::Matrix;
    let mut all = Vec::new();
    let (mut inc, e) = Incident::open(Opening {
        id: IncidentId(7),
        title: "NDW ETL failed".into(),
        severity: Severity::Sev2,
        by: Person::warroom(),
        at: t(13, 20),
        source: src,
        fingerprint: Some("failed:ndw etl".into()),
        trigger: Some(AlertInfo {
            rule: "failed".into(),
            text: "NDW ETL failed".into(),
            sender: cron.clone(),
            room: "#alerts".into(),
            at: t(13, 20),
            source: src,
        }),
    })
    .unwrap();
    all.extend(e);
    all.extend(
        inc.set_milestone(Milestone::Started, t(13, 5), &alice, t(13, 22), src)
            .unwrap(),
    );
    all.extend(
        inc.assign_role(Role::Commander, "@alice", &alice, t(13, 22), src)
            .unwrap(),
    );
    all.extend(inc.set_severity(Severity::Sev1, &alice, t(13, 23), src).unwrap());
    all.extend(
        inc.set_milestone(Milestone::Acknowledged, t(13, 22), &alice, t(13, 23), src)
            .unwrap(),
    );
    all.push(NewEntry::new(
        t(13, 25),
        &alice,
        EntryKind::Note,
        "restarted docker | on etl-1",
        src,
    ));
    all.extend(inc.alert_repeated("NDW ETL failed", &cron, t(13, 30), src));
    all.extend(
        inc.set_status(Status::Identified, Some("disk full on etl-1"), &alice, t(13, 35), src)
            .unwrap(),
    );
    all.extend(
        inc.set_milestone(Milestone::Mitigated, t(13, 40), &alice, t(13, 41), src)
            .unwrap(),
    );
    all.extend(
        inc.add_action("alert on disk usage above 80%", Some("@bob"), &alice, t(13, 45), src)
            .unwrap(),
    );
    all.extend(
        inc.add_services(&["etl".into(), "ndw-api".into()], &alice, t(13, 46), src)
            .unwrap(),
    );
    inc.contribute(
        Section::Impact,
        "NDW data was 50 minutes stale.",
        false,
        &alice,
        t(13, 50),
    )
    .unwrap();
    inc.contribute(
        Section::RootCause,
        "log rotation was disabled",
        false,
        &alice,
        t(13, 50),
    )
    .unwrap();
    inc.contribute(Section::RootCause, "no disk alert", false, &alice, t(13, 51))
        .unwrap();
    inc.contribute(
        Section::WentWell,
        "alert fired within a minute",
        false,
        &alice,
        t(13, 52),
    )
    .unwrap();
    all.extend(
        inc.resolve(t(13, 55), Some("ETL rerun succeeded"), &alice, t(13, 56), src)
            .unwrap(),
    );
    all.extend(inc.close(&alice, t(14, 10), src).unwrap());
    let entries = all
        .into_iter()
        .enumerate()
        .map(|(i, e)| TimelineEntry::from_new(i as u64 + 1, t(14, 10), e))
        .collect();
    (inc, entries)
}

fn build(tz: &str) -> Postmortem {
    let (inc, entries) = sample();
    Postmortem::build(&inc, &entries, tz.parse::<Tz>().unwrap(), t(14, 11))
}

#[test]
fn markdown_matches_snapshot() {
    let md = render(&build("Europe/London"), ExportFormat::Markdown);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/postmortem/snapshots/inc-7.md");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &md).unwrap();
    }
    let want = std::fs::read_to_string(&path).expect("snapshot missing: run with BLESS=1 once");
    assert_eq!(md, want, "markdown changed; review and rerun with BLESS=1 if intended");
}

#[test]
fn layout_order_metrics_and_prompts() {
    let pm = build("Europe/London");
    let md = render(&pm, ExportFormat::Markdown);
    let order = [
        "# INC-7: NDW ETL failed",
        "| Severity |",
        "## Summary",
        "## Impact",
        "## Timeline",
        "## Root causes",
        "## Trigger",
        "## Resolution",
        "## Detection",
        "## Action items",
        "## Lessons learned",
        "### What went well",
        "### What went wrong",
        "### Where we got lucky",
    ];
    let mut last = 0;
    for h in order {
        let at = md[last..]
            .find(h)
            .unwrap_or_else(|| panic!("{h} missing or out of order"))
            + last;
        last = at;
    }
    // Durations: detect 13:05→13:20, acknowledge 13:20→13:22, mitigate 13:05→13:40, resolve 13:05→13:55.
    let secs: Vec<_> = pm.durations.iter().map(|d| d.seconds).collect();
    assert_eq!(secs, [Some(900), Some(120), Some(2100), Some(3000)]);
    assert!(md.contains("| Time to resolve | 50m |"));
    // Empty sections are kept with an italic prompt.
    assert!(md.contains("## Summary\n\n_What happened"));
    assert!(md.contains("### Where we got lucky\n\n_Add with"));
    // Detection pre-filled from the alert.
    assert!(md.contains("Detected by an alert in #alerts at 2026-11-20 13:20 GMT (rule `failed`, posted by cron): \"NDW ETL failed\" — 2 alerts in all."));
    // Pipes in user text cannot break the table.
    assert!(md.contains("restarted docker \\| on etl-1"));
}

#[test]
fn timeline_is_sorted_by_event_time_with_zone() {
    let pm = build("Europe/Amsterdam");
    let times: Vec<_> = pm.timeline.iter().map(|r| r.at).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
    // The backdated "started" milestone (13:05) comes first though it was recorded later.
    assert_eq!(pm.timeline[0].kind, "milestone");
    let md = render(&pm, ExportFormat::Markdown);
    assert!(
        md.contains("| 2026-11-20 14:05 CET | Alice | milestone started |"),
        "{md}"
    );
    assert!(md.contains("| Time (Europe/Amsterdam) | Who | What |"));
}

#[test]
fn json_holds_the_same_data_in_utc() {
    let pm = build("Europe/London");
    let v: serde_json::Value = serde_json::from_str(&render(&pm, ExportFormat::Json)).unwrap();
    assert_eq!(v["id"], "INC-7");
    assert_eq!(v["severity"], "sev1");
    assert_eq!(v["timeline"].as_array().unwrap().len(), pm.timeline.len());
    assert_eq!(v["timeline"][0]["at"], "2026-11-20T13:05:00Z");
    assert_eq!(v["milestones"][5]["name"], "closed");
    assert_eq!(v["milestones"][5]["at"], "2026-11-20T14:10:00Z");
    assert_eq!(v["durations"][3]["seconds"], 3000);
    assert_eq!(v["actions"][0]["owner"], "@bob");
    assert_eq!(v["sections"][2]["items"][1]["text"], "no disk alert");
}

#[test]
fn html_escapes_user_text() {
    let (mut inc, entries) = sample();
    inc.contribute(
        Section::Summary,
        "<script>alert(1)</script>",
        false,
        &Person::new("x", "x"),
        t(14, 0),
    )
    .unwrap();
    let pm = Postmortem::build(&inc, &entries, Tz::UTC, t(14, 11));
    let html = render(&pm, ExportFormat::Html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>"));
    assert_eq!(file_name(&pm, ExportFormat::Html), "INC-7-postmortem.html");
}

#[test]
fn missing_milestones_are_explained() {
    let (mut inc, entries) = sample();
    inc.milestones.remove(&Milestone::Started);
    inc.milestones.remove(&Milestone::Acknowledged);
    let pm = Postmortem::build(&inc, &entries, Tz::UTC, t(14, 11));
    let md = render(&pm, ExportFormat::Markdown);
    assert!(
        md.contains("| Time to detect | — (needs `incident milestone started`) |"),
        "{md}"
    );
    assert!(
        md.contains("| Time to resolve | 35m (from detected; set `incident milestone started WHEN`"),
        "{md}"
    );
    assert_eq!(format_duration(45), "45s");
    assert_eq!(format_duration(3900), "1h 05m");
    assert_eq!(format_duration(93_600 + 600), "1d 02h 10m");
}
