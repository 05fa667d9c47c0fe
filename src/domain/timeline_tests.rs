//! Tests of timeline entries: edits and deletions keep who, when and the previous text.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;

fn t(m: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 13, 0, 0).unwrap() + Duration::minutes(m)
}

fn note(author: &Person, text: &str) -> TimelineEntry {
    TimelineEntry::from_new(
        3,
        t(0),
        NewEntry::new(t(0), author, EntryKind::Note, text, Source::Slack),
    )
}

#[test]
fn every_edit_keeps_editor_time_and_previous_text() {
    let (alice, bob, carol) = (
        Person::new("U1", "alice"),
        Person::new("U2", "bob"),
        Person::new("U3", "carol"),
    );
    let mut e = note(&alice, "restarted docker");
    assert_eq!(e.last_edit(), None);
    e.edit("restarted docker on etl-1".into(), &bob, t(5)).unwrap();
    e.edit("restarted docker on etl-1 and etl-2".into(), &carol, t(9))
        .unwrap();
    // The author stays the one who wrote it; the editors are in the history, in order.
    assert_eq!(e.author, alice);
    assert_eq!(e.text, "restarted docker on etl-1 and etl-2");
    assert_eq!(
        e.edits,
        [
            Edit {
                at: t(5),
                by: bob.clone(),
                previous_text: "restarted docker".into(),
                previous_time: None,
            },
            Edit {
                at: t(9),
                by: carol.clone(),
                previous_text: "restarted docker on etl-1".into(),
                previous_time: None,
            },
        ]
    );
    assert_eq!(e.last_edit().map(|l| (&l.by, l.at)), Some((&carol, t(9))));
    // Deleting keeps the entry, who deleted it, when, and its text at that moment.
    e.delete(&bob, t(12)).unwrap();
    assert!(!e.is_visible());
    assert_eq!(
        e.deleted,
        Some(Edit {
            at: t(12),
            by: bob.clone(),
            previous_text: "restarted docker on etl-1 and etl-2".into(),
            previous_time: None,
        })
    );
    assert_eq!(e.edits.len(), 2, "the edit history survives the deletion");
    let before = e.clone();
    assert!(e.edit("x".into(), &bob, t(13)).unwrap_err().contains("was deleted"));
    assert_eq!(e, before);
}

#[test]
fn an_edit_that_changes_nothing_is_refused_and_not_recorded() {
    let alice = Person::new("U1", "alice");
    let mut e = note(&alice, "restarted docker");
    let err = e.edit("  restarted docker ".into(), &alice, t(1)).unwrap_err();
    assert!(err.contains("already reads that"), "{err}");
    assert!(e.edits.is_empty());
}

#[test]
fn automatic_entries_cannot_be_edited_or_deleted() {
    let mut e = TimelineEntry::from_new(
        1,
        t(0),
        NewEntry::new(
            t(0),
            &Person::warroom(),
            EntryKind::Severity,
            "severity sev3 → sev1",
            Source::Slack,
        ),
    );
    let before = e.clone();
    assert!(e.edit("x".into(), &Person::new("U1", "alice"), t(1)).is_err());
    assert!(e.delete(&Person::new("U1", "alice"), t(1)).is_err());
    assert_eq!(e, before);
}

/// A timeline entry as stored before edit history was shown anywhere (no `edits`, no
/// `deleted`) still reads, with an empty history.
#[test]
fn an_entry_without_history_fields_still_loads() {
    let old = r#"{"seq":4,"at":"2026-11-20T13:25:00Z","recorded_at":"2026-11-20T13:26:00Z",
        "author":{"id":"U1","name":"alice"},"kind":"note","text":"restarted docker","source":"slack"}"#;
    let e: TimelineEntry = serde_json::from_str(old).unwrap();
    assert!(e.edits.is_empty() && e.deleted.is_none() && e.last_edit().is_none());
}
