//! Tests of capture through the service (holds, releases, edits, deletions, redeliveries, the
//! access rule), status updates and reminders (capture_tests).

use chrono::TimeZone;

use super::tests::{Harness, harness, harness_with};
use super::{CaptureEvent, CaptureInput, Notice};
use crate::domain::{Attachment, CapturedMessage, EntryKind, Person, Precision, Source};

fn input(h: &Harness, room: &str, by: &str, event_id: &str, event: CaptureEvent) -> CaptureInput {
    CaptureInput {
        source: Source::Console,
        room: format!("console:{room}"),
        by: Person::new(by, by),
        standing: Default::default(),
        event_id: Some(event_id.to_string()),
        at: h.clock.0.lock().unwrap().to_owned(),
        event,
    }
}

fn message() -> CapturedMessage {
    CapturedMessage {
        key: "console:m1".into(),
        author: Person::new("bob", "Bob"),
        sent_at: chrono::Utc.with_ymd_and_hms(2026, 11, 20, 13, 25, 7).unwrap(),
        text: "restarted docker on etl-1".into(),
        files: vec![Attachment {
            name: "df.txt".into(),
            url: "https://files.example/df.txt".into(),
        }],
        link: Some("https://chat.example/m1".into()),
        source: Source::Console,
    }
}

fn hold(holder: &str) -> CaptureEvent {
    CaptureEvent::Hold {
        msg: message(),
        holder: holder.into(),
        event: None,
    }
}

#[tokio::test]
async fn a_pinned_message_becomes_an_entry_and_follows_its_edits_and_removal() {
    let h = harness();
    let inc = h.open("NDW ETL failed").await;
    let room = inc.slug.clone();
    h.advance(10);
    let n = h
        .svc
        .capture(input(&h, &room, "alice", "e1", hold("reaction:alice")))
        .await;
    let reply = Harness::reply(&n);
    assert!(
        reply.starts_with(&format!("📌 Recorded as #3 of {}: Bob at 2026-11-20 13:25:07", inc.id)),
        "{reply}"
    );
    let e = h.svc.store().entry(inc.id, 3).unwrap().unwrap();
    assert_eq!(
        (e.kind, e.author.name.as_str(), e.precision),
        (EntryKind::Captured, "Bob", Precision::Second)
    );
    assert!(
        e.text
            .contains("📎 df.txt: https://files.example/df.txt\n🔗 https://chat.example/m1")
    );
    // The same delivery again: nothing. Another holder: quiet.
    assert!(
        h.svc
            .capture(input(&h, &room, "alice", "e1", hold("reaction:alice")))
            .await
            .is_empty()
    );
    assert!(
        h.svc
            .capture(input(&h, &room, "carol", "e2", hold("pin")))
            .await
            .is_empty()
    );
    // An edit on the platform: the entry follows, quietly, with history.
    h.advance(1);
    let edit = CaptureEvent::Edited {
        key: "console:m1".into(),
        text: "restarted docker on etl-2".into(),
        edited_at: h.svc.now(),
    };
    assert!(h.svc.capture(input(&h, &room, "bob", "e3", edit)).await.is_empty());
    let e = h.svc.store().entry(inc.id, 3).unwrap().unwrap();
    assert!(e.text.starts_with("restarted docker on etl-2\n"), "{}", e.text);
    assert_eq!(e.edits.len(), 1);
    // Both holders go: the entry leaves the draft, kept in history.
    let release = |holder: &str| CaptureEvent::Release {
        key: "console:m1".into(),
        holder: holder.into(),
    };
    h.advance(1);
    assert!(
        h.svc
            .capture(input(&h, &room, "alice", "e4", release("reaction:alice")))
            .await
            .is_empty()
    );
    let n = h.svc.capture(input(&h, &room, "carol", "e5", release("pin"))).await;
    assert!(Harness::reply(&n).contains("#3 left the timeline"), "{n:?}");
    let e = h.svc.store().entry(inc.id, 3).unwrap().unwrap();
    assert_eq!(e.deleted.as_ref().map(|d| d.by.name.as_str()), Some("carol"));
    let md = h
        .svc
        .export(inc.id, crate::postmortem::ExportFormat::Markdown)
        .unwrap()
        .content;
    assert!(!md.contains("restarted docker"), "{md}");
    // Reacting again brings it back; deleting the message removes it for good.
    h.advance(1);
    let n = h
        .svc
        .capture(input(&h, &room, "alice", "e6", hold("reaction:alice")))
        .await;
    assert!(Harness::reply(&n).contains("Back on the timeline as #3"), "{n:?}");
    let n = h
        .svc
        .capture(input(
            &h,
            &room,
            "bob",
            "e7",
            CaptureEvent::Deleted {
                key: "console:m1".into(),
            },
        ))
        .await;
    assert!(Harness::reply(&n).contains("its message was deleted"), "{n:?}");
    assert!(
        h.svc
            .capture(input(&h, &room, "dan", "e8", hold("reaction:dan")))
            .await
            .is_empty()
    );
    assert!(!h.svc.store().entry(inc.id, 3).unwrap().unwrap().is_visible());
    // Outside incident rooms nothing is captured.
    assert!(
        h.svc
            .capture(input(&h, "alerts", "alice", "e9", hold("pin")))
            .await
            .is_empty()
    );
    assert_eq!(h.incident(inc.id).last_seq, 3);
    // A backup of a record with a captured entry that was edited, released, restored and
    // deleted restores (the entry's history is valid for a captured message).
    let mut backup = Vec::new();
    h.svc.store().backup(&mut backup, h.svc.now()).unwrap();
    let dst = tempfile::tempdir().unwrap();
    crate::store::restore(dst.path(), &backup[..], false).unwrap_or_else(|e| panic!("{e}"));
}

/// Taking the shared pin off a message is a timeline change: someone without the right to add
/// to the timeline cannot remove what responders pinned.
#[tokio::test]
async fn unpinning_needs_the_right_to_change_the_timeline() {
    let h = harness_with("[access]\nresponders = [\"alice\"]\n");
    let inc = h.open("NDW ETL failed").await;
    let n = h.svc.capture(input(&h, &inc.slug, "alice", "e1", hold("pin"))).await;
    assert!(Harness::reply(&n).starts_with("📌 Recorded"), "{n:?}");
    let unpin = CaptureEvent::Release {
        key: "console:m1".into(),
        holder: "pin".into(),
    };
    let n = h
        .svc
        .capture(input(&h, &inc.slug, "mallory", "e2", unpin.clone()))
        .await;
    assert!(
        matches!(&n[..], [Notice::Reply(t)] if t.contains("responders")),
        "{n:?}"
    );
    assert!(h.svc.store().entry(inc.id, 3).unwrap().unwrap().is_visible());
    let n = h.svc.capture(input(&h, &inc.slug, "alice", "e3", unpin)).await;
    assert!(Harness::reply(&n).contains("left the timeline"), "{n:?}");
}

#[tokio::test]
async fn a_capture_needs_the_right_to_add_to_the_timeline() {
    let h = harness_with("[access]\nresponders = [\"alice\"]\n");
    let inc = h.open("NDW ETL failed").await;
    let before = h.incident(inc.id).last_seq;
    let n = h
        .svc
        .capture(input(&h, &inc.slug, "mallory", "e1", hold("reaction:mallory")))
        .await;
    assert!(
        matches!(&n[..], [Notice::Reply(t)] if t.contains("responders")),
        "{n:?}"
    );
    assert_eq!(h.incident(inc.id).last_seq, before);
    let n = h
        .svc
        .capture(input(&h, &inc.slug, "alice", "e2", hold("reaction:alice")))
        .await;
    assert!(Harness::reply(&n).starts_with("📌 Recorded"), "{n:?}");
}

/// `incident update`: an update entry on the timeline (and in the draft), a reply, and the
/// formatted update (status, severity, lead, time so far, text) for every room; `incident
/// snooze` pauses reminders and `off` turns them back on.
#[tokio::test]
async fn a_status_update_is_recorded_and_posted_with_the_incidents_state() {
    let h = harness();
    let inc = h.open("NDW ETL failed").await;
    let room = inc.slug.clone();
    h.say(&room, "alice", "/incident lead @alice").await;
    h.advance(65);
    let n = h
        .say(&room, "alice", "/incident update rollback in progress, errors falling")
        .await;
    let update = n
        .iter()
        .find_map(|n| match n {
            Notice::Update { incident, text } if *incident == inc.id => Some(text.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no update notice: {n:?}"));
    assert_eq!(
        update,
        format!(
            "📣 {} update — SEV2 (major), investigating, lead @alice, 1h 05m so far\nrollback in progress, errors falling",
            inc.id
        )
    );
    assert!(Harness::reply(&n).contains("Update recorded"), "{n:?}");
    let stored = h.incident(inc.id);
    assert_eq!(
        stored.last_update.as_ref().map(|u| u.text.as_str()),
        Some("rollback in progress, errors falling")
    );
    let entries = h.svc.store().entries(inc.id).unwrap();
    let e = entries
        .iter()
        .find(|e| e.kind == EntryKind::Update)
        .expect("an update entry");
    assert_eq!(e.text, "status update: rollback in progress, errors falling");
    let md = h
        .svc
        .export(inc.id, crate::postmortem::ExportFormat::Markdown)
        .unwrap()
        .content;
    assert!(md.contains("status update: rollback in progress"), "{md}");
    // Empty updates are refused; snooze and unsnooze.
    assert!(Harness::reply(&h.say(&room, "alice", "/incident update").await).contains("say what the update is"));
    let r = Harness::reply(&h.say(&room, "alice", "/incident snooze 30m").await);
    assert!(
        r.starts_with(&format!("Reminders for {} are paused until", inc.id)),
        "{r}"
    );
    assert!(h.incident(inc.id).reminders.snoozed_until.is_some());
    assert!(Harness::reply(&h.say(&room, "alice", "/incident snooze 9 days").await).contains("at most 7 days"));
    assert!(Harness::reply(&h.say(&room, "alice", "/incident snooze off").await).contains("back on"));
    assert!(h.incident(inc.id).reminders.snoozed_until.is_none());
}

/// The reminder texts of one check.
async fn reminders(svc: &super::IncidentService) -> Vec<String> {
    svc.remind()
        .await
        .into_iter()
        .map(|n| match n {
            Notice::Remind { text, .. } => text,
            other => panic!("{other:?}"),
        })
        .collect()
}

/// Reminders with a controllable clock: each fires once per occasion, a restart (a new service
/// on the same store) neither loses nor repeats one, a snooze pauses them, an update resets
/// the update reminder, and the postmortem and action reminders come when due.
#[tokio::test]
async fn reminders_fire_once_survive_a_restart_and_snooze() {
    let h = harness_with(
        "[reminders]\nlead_after = \"10m\"\nupdate_every = \"30m\"\nupdate_every_sev1 = \"15m\"\npostmortem_after = \"48h\"\nactions_due = true\n",
    );
    let inc = h.open("NDW ETL failed").await;
    let room = inc.slug.clone();
    h.advance(5);
    assert!(reminders(&h.svc).await.is_empty());
    h.advance(5);
    let got = reminders(&h.svc).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with(&format!("⏰ Nobody leads {} yet (10m since it was declared)", inc.id)),
        "{got:?}"
    );
    assert!(reminders(&h.svc).await.is_empty(), "sent once");
    // A restart: a new service on the same store repeats nothing.
    let restarted = super::IncidentService::new(
        h.svc.store().clone(),
        crate::alert::RuleSet::default(),
        h.svc.tz(),
        h.clock.clone(),
    )
    .with_reminders(
        crate::config::Config::from_parts(
            "[reminders]\nlead_after = \"10m\"\nupdate_every = \"30m\"\n",
            "t",
            Vec::new(),
        )
        .unwrap()
        .reminders
        .rules()
        .unwrap(),
    );
    assert!(reminders(&restarted).await.is_empty());
    // No update for 30 minutes: reminded, again 30 minutes later, not in between.
    h.advance(20);
    let got = reminders(&restarted).await;
    assert!(
        matches!(&got[..], [t] if t.starts_with(&format!("⏰ No update on {} for 30m", inc.id))),
        "{got:?}"
    );
    h.advance(15);
    assert!(reminders(&h.svc).await.is_empty());
    h.advance(15);
    assert_eq!(reminders(&h.svc).await.len(), 1);
    // An update resets it; sev1 makes it every 15 minutes.
    h.say(&room, "alice", "/incident update rolling back").await;
    h.say(&room, "alice", "/incident sev sev1").await;
    h.advance(14);
    assert!(reminders(&h.svc).await.is_empty());
    h.advance(1);
    assert!(reminders(&h.svc).await[0].contains("for 15m"));
    // Snoozed: nothing until the snooze ends.
    h.say(&room, "alice", "/incident snooze 1h").await;
    h.advance(59);
    assert!(reminders(&h.svc).await.is_empty());
    h.advance(2);
    assert_eq!(reminders(&h.svc).await.len(), 1);
    // An action due tomorrow: its owners are reminded today, once.
    let tomorrow = (h.svc.now() + chrono::Duration::days(1)).date_naive();
    h.say(&room, "alice", &format!("/action add disk alerts @bob due {tomorrow}"))
        .await;
    let got = reminders(&h.svc).await;
    assert!(
        got.iter().any(|t| t.contains("Action #1") && t.contains("@bob")),
        "{got:?}"
    );
    assert!(!reminders(&h.svc).await.iter().any(|t| t.contains("Action #1")));
    // Closed with an empty postmortem: the commander is nudged after 48 hours, once.
    h.say(&room, "alice", "/incident lead @alice").await;
    h.say(&room, "alice", "/incident close").await;
    h.advance(47 * 60);
    assert!(!reminders(&h.svc).await.iter().any(|t| t.contains("postmortem")));
    h.advance(60);
    let got = reminders(&h.svc).await;
    assert!(
        matches!(&got[..], [t] if t.contains("was closed 2d 00h 00m ago") && t.contains("@alice: start with")),
        "{got:?}"
    );
    assert!(reminders(&h.svc).await.is_empty());
    assert!(h.svc.reminder_tick().is_some());
    assert!(harness().svc.reminder_tick().is_none(), "off by default");
}
