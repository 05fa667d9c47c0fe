//! Tests of the faithful record through the service: times on every command that records an
//! event, corrections (time edits, restore, renames), impact windows and action items.

use chrono::{DateTime, TimeZone, Utc};

use super::tests::{Harness, harness};
use crate::domain::{EntryKind, Incident, Milestone, Precision, Status, TimelineEntry};

fn at(h: u32, m: u32) -> DateTime<Utc> {
    // The harness's zone is Europe/London, which is UTC in November.
    Utc.with_ymd_and_hms(2026, 11, 20, h, m, 0).unwrap()
}

async fn opened(h: &Harness) -> (Incident, String) {
    let inc = h.open("NDW ETL failed").await;
    let room = inc.slug.clone();
    h.advance(30);
    (inc, room)
}

fn entries(h: &Harness, inc: &Incident) -> Vec<TimelineEntry> {
    h.svc.store().entries(inc.id).unwrap()
}

fn last(h: &Harness, inc: &Incident, kind: EntryKind) -> TimelineEntry {
    entries(h, inc).into_iter().rev().find(|e| e.kind == kind).unwrap()
}

#[tokio::test]
async fn status_severity_role_and_resolve_take_the_time_they_happened() {
    let h = harness();
    let (inc, room) = opened(&h).await;
    let r = Harness::reply(
        &h.say(&room, "alice", "/incident status identified 13:25 disk full")
            .await,
    );
    assert!(r.contains("since 2026-11-20 13:25 GMT"), "{r}");
    let e = last(&h, &inc, EntryKind::Status);
    assert_eq!(
        (e.at, e.text.as_str()),
        (at(13, 25), "status investigating → identified: disk full")
    );
    h.say(&room, "alice", "/incident sev sev1 13:21").await;
    assert_eq!(last(&h, &inc, EntryKind::Severity).at, at(13, 21));
    h.say(&room, "alice", "/incident lead @alice 13:22").await;
    assert_eq!(last(&h, &inc, EntryKind::Role).at, at(13, 22));
    h.say(&room, "alice", "/incident affects etl --at 13:23").await;
    assert_eq!(last(&h, &inc, EntryKind::Services).at, at(13, 23));
    let r = Harness::reply(&h.say(&room, "alice", "/incident resolve 13:45 rerun worked").await);
    assert!(r.contains("resolved at 2026-11-20 13:45 GMT"), "{r}");
    // The status entry of the resolution is at the resolution, not when it was typed (13:50).
    assert_eq!(last(&h, &inc, EntryKind::Status).at, at(13, 45));
    let got = h.incident(inc.id);
    assert_eq!(got.milestones[&Milestone::Resolved], at(13, 45));
    assert_eq!(got.status, Status::Resolved);
}

#[tokio::test]
async fn a_time_in_the_future_or_a_range_for_one_event_is_refused_and_changes_nothing() {
    let h = harness();
    let (inc, room) = opened(&h).await;
    let before = h.incident(inc.id);
    let r = Harness::reply(
        &h.say(&room, "alice", "/incident status identified 2026-11-20 18:00 x")
            .await,
    );
    assert!(r.contains("in the future"), "{r}");
    let r = Harness::reply(&h.say(&room, "alice", "/incident sev sev1 25:00").await);
    assert!(r.contains("not a valid time") || r.contains("not a time"), "{r}");
    assert_eq!(h.incident(inc.id), before);
}

#[tokio::test]
async fn declare_at_backdates_the_declaration_and_detection() {
    let h = harness();
    let r = Harness::reply(
        &h.say(
            "ops",
            "alice",
            "/incident declare \"Disk full\" --sev 2 --at 2026-11-19 06:00",
        )
        .await,
    );
    assert!(r.is_empty(), "{r}");
    let inc = h.svc.store().incidents(true).unwrap().pop().unwrap();
    let day_before = Utc.with_ymd_and_hms(2026, 11, 19, 6, 0, 0).unwrap();
    assert_eq!((inc.title.as_str(), inc.declared_at), ("Disk full", day_before));
    assert_eq!(inc.milestones[&Milestone::Detected], day_before);
    assert_eq!(inc.dated_anchor, Some(day_before));
    let e = entries(&h, &inc);
    assert_eq!((e[0].kind, e[0].at), (EntryKind::Declared, day_before));
}

#[tokio::test]
async fn timeline_edit_corrects_the_time_and_keeps_the_previous_one() {
    let h = harness();
    let (inc, room) = opened(&h).await;
    h.say(&room, "alice", "/timeline 13:25 restarted docker").await;
    let seq = last(&h, &inc, EntryKind::Note).seq;
    let r = Harness::reply(&h.say(&room, "alice", &format!("/timeline edit {seq} 13:27")).await);
    assert!(r.contains("2026-11-20 13:27 GMT: restarted docker"), "{r}");
    let e = last(&h, &inc, EntryKind::Note);
    assert_eq!((e.at, e.text.as_str()), (at(13, 27), "restarted docker"));
    assert_eq!(e.edits.len(), 1);
    assert_eq!(e.edits[0].previous_time.map(|m| m.at), Some(at(13, 25)));
    // Time and text at once; both earlier values are on record.
    h.say(
        &room,
        "alice",
        &format!("/timeline edit {seq} 13:26:30 restarted docker on etl-1"),
    )
    .await;
    let e = last(&h, &inc, EntryKind::Note);
    assert_eq!(
        (e.at, e.precision),
        (at(13, 26) + chrono::Duration::seconds(30), Precision::Second)
    );
    assert_eq!(e.edits[1].previous_text, "restarted docker");
    // Text that only looks like a time is text after `--`.
    h.say(&room, "alice", &format!("/timeline edit {seq} -- 1.2.3 deployed"))
        .await;
    assert_eq!(last(&h, &inc, EntryKind::Note).text, "1.2.3 deployed");
}

#[tokio::test]
async fn delete_names_what_it_removed_and_restore_brings_it_back() {
    let h = harness();
    let (inc, room) = opened(&h).await;
    h.say(&room, "alice", "/timeline 13:25 restarted the wrong host").await;
    let seq = last(&h, &inc, EntryKind::Note).seq;
    let r = Harness::reply(&h.say(&room, "alice", &format!("/timeline delete {seq}")).await);
    assert!(r.contains("restarted the wrong host") && r.contains("13:25"), "{r}");
    let r = Harness::reply(&h.say(&room, "alice", "/timeline list").await);
    assert!(!r.contains("wrong host"), "{r}");
    let r = Harness::reply(&h.say(&room, "alice", "/timeline list --all").await);
    assert!(r.contains("wrong host") && r.contains("deleted by alice"), "{r}");
    let r = Harness::reply(&h.say(&room, "bob", &format!("/timeline restore {seq}")).await);
    assert!(r.contains("is back") && r.contains("wrong host"), "{r}");
    let e = last(&h, &inc, EntryKind::Note);
    assert!(e.is_visible());
    assert_eq!(e.restores.len(), 1);
    assert_eq!(e.restores[0].deleted.by.id, "alice");
    assert_eq!(e.restores[0].by.id, "bob");
    let r = Harness::reply(&h.say(&room, "bob", &format!("/timeline restore {seq}")).await);
    assert!(r.contains("not deleted"), "{r}");
}

#[tokio::test]
async fn renames_and_action_bookkeeping_stay_out_of_the_plain_listing() {
    let h = harness();
    let (inc, room) = opened(&h).await;
    let r = Harness::reply(&h.say(&room, "alice", "/incident title NDW ETL failed: disk full").await);
    assert!(r.contains("now titled: NDW ETL failed: disk full"), "{r}");
    let got = h.incident(inc.id);
    assert_eq!(got.title_edits[0].previous, "NDW ETL failed");
    h.say(&room, "alice", "/action add disk alerts @bob").await;
    let r = Harness::reply(&h.say(&room, "alice", "/timeline list").await);
    assert!(!r.contains("title changed") && !r.contains("action #1"), "{r}");
    let r = Harness::reply(&h.say(&room, "alice", "/timeline list --all").await);
    assert!(r.contains("title changed") && r.contains("action #1 added"), "{r}");
}

#[tokio::test]
async fn action_items_have_owners_due_type_ticket_and_a_history() {
    let h = harness();
    let (inc, room) = opened(&h).await;
    let r = Harness::reply(
        &h.say(
            &room,
            "alice",
            "/action alert on disk usage @bob @carol due 2026-12-15 type detect https://tickets.example/OPS-1",
        )
        .await,
    );
    assert!(r.contains("Action #1 recorded"), "{r}");
    h.say(&room, "alice", "/action rotate logs").await;
    let a = &h.incident(inc.id).actions[0];
    assert_eq!(a.fields.text, "alert on disk usage");
    assert_eq!(a.fields.owners, ["@bob", "@carol"]);
    assert_eq!(a.fields.due, chrono::NaiveDate::from_ymd_opt(2026, 12, 15));
    assert_eq!(a.fields.kind.as_deref(), Some("detect"));
    assert_eq!(a.fields.ticket.as_deref(), Some("https://tickets.example/OPS-1"));
    h.say(&room, "bob", "/action edit 1 @dave due none").await;
    let a = &h.incident(inc.id).actions[0];
    assert_eq!(
        (a.fields.owners.as_slice(), a.fields.due),
        (&["@dave".to_string()][..], None)
    );
    assert_eq!(a.history[0].previous.owners, ["@bob", "@carol"]);
    h.say(&room, "bob", "/action done 1").await;
    let r = Harness::reply(&h.say(&room, "bob", "/action list").await);
    let (open, done) = (r.find("rotate logs").unwrap(), r.find("alert on disk usage").unwrap());
    assert!(open < done && r.contains("[done]"), "open items first: {r}");
    let r = Harness::reply(&h.say(&room, "bob", "/action delete 2").await);
    assert!(r.contains("rotate logs"), "{r}");
    assert!(h.incident(inc.id).actions[1].deleted.is_some());
    let before = h.incident(inc.id);
    for bad in [
        "/action done 9",
        "/action delete 2",
        "/action x due 2026-13-01",
        "/action x ticket not-a-url",
    ] {
        let r = Harness::reply(&h.say(&room, "bob", bad).await);
        assert!(!r.is_empty() && !r.contains("recorded"), "{bad}: {r}");
    }
    assert_eq!(h.incident(inc.id), before);
}

#[tokio::test]
async fn an_entry_far_before_the_previous_note_or_the_start_is_flagged() {
    let h = harness();
    let (inc, room) = opened(&h).await;
    h.say(&room, "alice", "/incident milestone started 13:00").await;
    let r = Harness::reply(&h.say(&room, "alice", "/timeline 12:55 deploy went out").await);
    assert!(r.contains("before the incident started"), "{r}");
    h.say(&room, "alice", "/timeline 13:30 rolled back").await;
    let r = Harness::reply(
        &h.say(&room, "alice", "/timeline 2026-11-19 14:31 rollback verified")
            .await,
    );
    assert!(r.contains("well before #"), "{r}");
    let r = Harness::reply(&h.say(&room, "alice", "/timeline 13:32 all green").await);
    assert!(!r.contains('⚠'), "{r}");
    let _ = inc;
}

/// On Slack and Matrix every message has an event id. A time correction to a dated time
/// writes twice (the entry, then the incident's date anchor): both happen and the user gets
/// a reply; a redelivery of the same event changes nothing more.
#[tokio::test]
async fn a_dated_correction_from_a_platform_event_is_answered_and_moves_the_anchor() {
    let h = harness();
    let (inc, room) = opened(&h).await;
    h.say(&room, "alice", "/timeline 13:25 restarted docker").await;
    let seq = last(&h, &inc, EntryKind::Note).seq;
    let mut m = h.msg(&room, "alice", &format!("/timeline edit {seq} 2026-11-18 13:25"));
    m.event_id = Some("$event-1".into());
    let r = Harness::reply(&h.svc.handle(m.clone()).await);
    assert!(r.contains("now reads: 2026-11-18 13:25 GMT"), "{r}");
    let day = Utc.with_ymd_and_hms(2026, 11, 18, 13, 25, 0).unwrap();
    assert_eq!(h.incident(inc.id).dated_anchor, Some(day));
    assert!(h.svc.handle(m).await.is_empty(), "a redelivery is silent");
    assert_eq!(last(&h, &inc, EntryKind::Note).edits.len(), 1);
}

/// A live incident that runs for days: declared with a written date, then recorded live. A day
/// later a bare time is still today's (or yesterday's), not the declaration's date; a
/// reconstruction, where bare times follow a dated entry, says where their date came from.
#[tokio::test]
async fn a_live_incident_keeps_reading_bare_times_live_after_a_day() {
    let h = harness();
    h.say("ops", "alice", "/incident declare \"DB slow\" --at 2026-11-20 13:00")
        .await;
    let inc = h.svc.store().incidents(true).unwrap().pop().unwrap();
    h.svc
        .bind_room(inc.id, &format!("console:{}", inc.slug).parse().unwrap())
        .await
        .unwrap();
    let room = inc.slug.clone();
    h.say(&room, "alice", "/timeline failover started").await;
    assert!(h.incident(inc.id).live_since_anchor);
    h.advance(26 * 60);
    let r = Harness::reply(&h.say(&room, "alice", "/incident milestone mitigated 15:10").await);
    assert!(r.contains("recorded at 2026-11-21 15:10 GMT."), "{r}");
    // Reconstructing: a dated entry, then a bare time in its day, marked as such.
    h.say(&room, "alice", "/timeline 2026-11-20 13:30 first page").await;
    h.advance(25 * 60);
    let r = Harness::reply(&h.say(&room, "alice", "/timeline 13:40 second page").await);
    assert!(
        r.contains("Added #5 at 2026-11-20 13:40 GMT, on the day of the latest dated entry: second page"),
        "{r}"
    );
}

/// A message delivered late (a chat outage, a sync backlog) is recorded at the time the
/// platform gave it, not when warroom handled it: a close, an edit, an action.
#[tokio::test]
async fn what_people_did_is_stamped_with_their_message_time() {
    let h = harness();
    let (inc, room) = opened(&h).await;
    h.say(&room, "alice", "/timeline 13:25 restarted docker").await;
    let seq = last(&h, &inc, EntryKind::Note).seq;
    let sent = h.svc.now() - chrono::Duration::minutes(7);
    let late = |text: &str| {
        let mut m = h.msg(&room, "bob", text);
        m.at = sent;
        m
    };
    h.advance(3);
    h.svc
        .handle(late(&format!("/timeline edit {seq} restarted docker on etl-1")))
        .await;
    h.svc.handle(late("/action rotate logs @bob")).await;
    h.svc.handle(late("/incident close")).await;
    let got = h.incident(inc.id);
    assert_eq!(got.milestones[&Milestone::Closed], sent);
    assert_eq!(got.actions[0].at, sent);
    assert_eq!(last(&h, &inc, EntryKind::Note).edits[0].at, sent);
    assert_eq!(last(&h, &inc, EntryKind::Closed).at, sent);
}
