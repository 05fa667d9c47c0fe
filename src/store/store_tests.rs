//! Tests of the store module (store_tests).
use chrono::{TimeZone, Utc};

use super::*;
use crate::domain::{EntryKind, NewEntry, Opening, Person, Source, TransitionError};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap()
}

fn opening(id: IncidentId, fp: &str) -> Opening {
    Opening {
        fingerprint: Some(fp.into()),
        ..Opening::by_hand(id, "NDW ETL failed", Person::new("alice", "Alice"), now())
    }
}

async fn create(store: &Store, fp: &str) -> Incident {
    store
        .create_incident::<TransitionError>(None, now(), |id| Incident::open(opening(id, fp)))
        .await
        .unwrap()
        .incident
}

/// Append one note to an incident, optionally as inbound event `event_id`.
async fn add_note(store: &Store, id: IncidentId, event_id: Option<&str>, text: &str) {
    store
        .update_incident::<(), TransitionError>(id, event_id, now(), |_| Ok(((), vec![note(text)])))
        .await
        .unwrap();
}

fn note(text: &str) -> NewEntry {
    NewEntry::new(
        now(),
        &Person::new("bob", "Bob"),
        EntryKind::Note,
        text,
        Source::Console,
    )
}

#[tokio::test]
async fn writes_survive_reopen_and_indexes_follow_state() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), "test").unwrap();
        let inc = create(&store, "etl:ndw").await;
        assert_eq!(inc.id, IncidentId(1));
        let c = store
            .update_incident::<(), TransitionError>(inc.id, Some("ev-1"), now(), |i| {
                i.rooms.push("console:inc-1-ndw-etl-failed".parse().unwrap());
                Ok(((), vec![note("one"), note("two")]))
            })
            .await
            .unwrap();
        assert_eq!(c.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
        // Same event id again: nothing written.
        let dup = store
            .update_incident::<(), TransitionError>(inc.id, Some("ev-1"), now(), |_| Ok(((), vec![note("dup")])))
            .await;
        assert!(matches!(dup, Err(WriteError::Duplicate)));
        // A rejected change writes nothing.
        let rej = store
            .update_incident::<(), &str>(inc.id, Some("ev-2"), now(), |i| {
                i.title = "changed".into();
                Err("no")
            })
            .await;
        assert!(matches!(rej, Err(WriteError::Rejected("no"))));
        assert!(!store.is_seen("ev-2").unwrap());
        assert!(store.sync_count() >= 2);
    }
    let store = Store::open(dir.path(), "test").unwrap();
    let inc = store.incident_by_room("console:inc-1-ndw-etl-failed").unwrap().unwrap();
    assert_eq!(inc.title, "NDW ETL failed");
    assert_eq!(store.incident_by_fingerprint("etl:ndw").unwrap().unwrap().id, inc.id);
    let texts: Vec<_> = store.entries(inc.id).unwrap().into_iter().map(|e| e.text).collect();
    assert_eq!(texts.len(), 3);
    assert_eq!(&texts[1..], ["one", "two"]);
    // Closing drops the fingerprint from the index; the next incident gets id 2.
    store
        .update_incident::<(), TransitionError>(inc.id, None, now(), |i| {
            Ok(((), i.close(&Person::warroom(), now(), Source::Console)?))
        })
        .await
        .unwrap();
    assert!(store.incident_by_fingerprint("etl:ndw").unwrap().is_none());
    assert_eq!(create(&store, "etl:ndw").await.id, IncidentId(2));
    assert_eq!(store.incidents(false).unwrap().len(), 1);
    assert_eq!(store.incidents(true).unwrap().len(), 2);
}

#[test]
fn second_opener_is_told_who_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let _a = Store::open(dir.path(), "warroom console").unwrap();
    let err = Store::open(dir.path(), "warroom incidents").err().unwrap();
    let msg = err.to_string();
    assert!(msg.contains("in use by pid"), "{msg}");
    assert!(msg.contains("warroom console"), "{msg}");
}

#[test]
fn refuses_foreign_or_newer_stores() {
    let dir = tempfile::tempdir().unwrap();
    // A sled db without our marker.
    {
        let db = sled::open(dir.path().join(STORE_DIR)).unwrap();
        db.insert(b"x", b"y").unwrap();
        db.flush().unwrap();
    }
    let err = Store::open(dir.path(), "t").err().unwrap();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
    // A store from a future schema.
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path(), "t").unwrap());
    {
        let db = sled::open(dir.path().join(STORE_DIR)).unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert(META_SCHEMA, &(SCHEMA + 1).to_be_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    let err = Store::open(dir.path(), "t").err().unwrap();
    assert!(err.to_string().contains("newer warroom"), "{err}");
}

#[test]
fn garbage_store_is_refused_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join(STORE_DIR);
    std::fs::create_dir_all(&store_dir).unwrap();
    std::fs::write(store_dir.join("conf"), b"this is not a sled config\n").unwrap();
    std::fs::write(store_dir.join("db"), vec![0xAB; 4096]).unwrap();
    let err = Store::open(dir.path(), "t").err().unwrap();
    assert!(
        matches!(err, StoreError::Unopenable { .. } | StoreError::NotAStore { .. }),
        "{err}"
    );
    // The damaged files are left as they were.
    assert_eq!(std::fs::read(store_dir.join("db")).unwrap(), vec![0xAB; 4096]);
}

#[tokio::test]
async fn backup_restore_round_trip_and_validation() {
    let src = tempfile::tempdir().unwrap();
    let store = Store::open(src.path(), "t").unwrap();
    let inc = create(&store, "fp").await;
    add_note(&store, inc.id, Some("$ev"), "x").await;
    let mut buf = Vec::new();
    let stats = store.backup(&mut buf, now()).unwrap();
    assert_eq!(
        stats,
        BackupStats {
            incidents: 1,
            entries: 2,
            seen: 1
        }
    );
    drop(store);

    let dst = tempfile::tempdir().unwrap();
    let (restored, moved) = restore(dst.path(), &buf[..], false).unwrap();
    assert_eq!(restored, stats);
    assert!(moved.is_none());
    let copy = Store::open(dst.path(), "t").unwrap();
    let mut again = Vec::new();
    copy.backup(&mut again, now()).unwrap();
    assert_eq!(
        String::from_utf8(again).unwrap(),
        String::from_utf8(buf.clone()).unwrap()
    );
    assert!(copy.is_seen("$ev").unwrap());
    drop(copy);

    // Existing store: refused without --force; with it, moved aside.
    assert!(matches!(
        restore(dst.path(), &buf[..], false),
        Err(RestoreError::Exists(_))
    ));
    let (_, moved) = restore(dst.path(), &buf[..], true).unwrap();
    assert!(moved.unwrap().exists());

    // A truncated file changes nothing.
    let text = String::from_utf8(buf).unwrap();
    let cut: String = text.lines().take(3).map(|l| format!("{l}\n")).collect();
    let empty = tempfile::tempdir().unwrap();
    let err = restore(empty.path(), cut.as_bytes(), false).unwrap_err();
    assert!(err.to_string().contains("no end marker"), "{err}");
    assert!(!empty.path().join(STORE_DIR).exists());
    let err = restore(
        empty.path(),
        &b"{\"type\":\"meta\",\"next_incident_id\":1}\n"[..],
        false,
    )
    .unwrap_err();
    assert!(err.to_string().contains("header"), "{err}");
}

async fn close(store: &Store, id: IncidentId) {
    store
        .update_incident::<(), TransitionError>(id, None, now(), |i| {
            Ok(((), i.close(&Person::warroom(), now(), Source::Console)?))
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn fingerprint_index_follows_reopen_and_close() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), "t").unwrap();
    let a = create(&store, "fp").await;
    close(&store, a.id).await;
    let b = create(&store, "fp").await;
    assert_eq!(store.incident_by_fingerprint("fp").unwrap().unwrap().id, b.id);
    // Reopen A while B holds the fingerprint, then close B: A must still be found.
    store
        .update_incident::<(), TransitionError>(a.id, None, now(), |i| {
            Ok(((), i.reopen(&Person::warroom(), now(), Source::Console)?))
        })
        .await
        .unwrap();
    assert_eq!(
        store.incident_by_fingerprint("fp").unwrap().unwrap().id,
        a.id,
        "oldest open incident first"
    );
    close(&store, b.id).await;
    assert_eq!(store.incident_by_fingerprint("fp").unwrap().unwrap().id, a.id);
    let attached = store
        .open_or_attach::<(), TransitionError>(
            "fp",
            None,
            now(),
            |id| Incident::open(opening(id, "fp")),
            |i| ((), i.alert_repeated("x", &Person::warroom(), now(), Source::Console)),
        )
        .await
        .unwrap();
    assert!(matches!(attached, OpenOrAttach::Attached(c) if c.incident.id == a.id));
    close(&store, a.id).await;
    assert!(store.incident_by_fingerprint("fp").unwrap().is_none());
}

#[test]
fn restore_leftovers_are_never_silently_replaced() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("store.replaced-20260101T000000")).unwrap();
    let err = Store::open(dir.path(), "t").err().unwrap();
    assert!(matches!(err, StoreError::Leftover { .. }), "{err}");
    assert!(!dir.path().join(STORE_DIR).exists());
}

#[tokio::test]
async fn restore_rejects_duplicate_or_missing_entries() {
    let src = tempfile::tempdir().unwrap();
    let store = Store::open(src.path(), "t").unwrap();
    let inc = create(&store, "fp").await;
    add_note(&store, inc.id, None, "x").await;
    let mut buf = Vec::new();
    store.backup(&mut buf, now()).unwrap();
    let text = String::from_utf8(buf).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Duplicate the last entry in place of the first one: same count, wrong sequence numbers.
    let entry_lines: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("\"type\":\"entry\""))
        .collect();
    let mut bad = lines.clone();
    bad[entry_lines[0]] = lines[*entry_lines.last().unwrap()];
    let empty = tempfile::tempdir().unwrap();
    let err = restore(empty.path(), bad.join("\n").as_bytes(), false).unwrap_err();
    assert!(err.to_string().contains("entry #2 appears twice"), "{err}");
    assert!(!empty.path().join(STORE_DIR).exists());
}

#[tokio::test]
async fn adapter_state_is_durable_and_left_out_of_backups() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), "test").unwrap();
        assert_eq!(store.adapter_state("matrix.next_batch").unwrap(), None);
        store.set_adapter_state("matrix.next_batch", "s1_2_3").await.unwrap();
        store.set_adapter_state("matrix.next_batch", "s4_5_6").await.unwrap();
    }
    let store = Store::open(dir.path(), "test").unwrap();
    assert_eq!(
        store.adapter_state("matrix.next_batch").unwrap().as_deref(),
        Some("s4_5_6")
    );
    // A backup describes incidents, not one deployment's chat connections.
    let mut out = Vec::new();
    store.backup(&mut out, now()).unwrap();
    assert!(!String::from_utf8(out).unwrap().contains("s4_5_6"));
}

#[tokio::test]
async fn adapter_queue_survives_reopen_in_order() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), "test").unwrap();
        let a = store.queue_push("matrix", "first").await.unwrap();
        let b = store.queue_push("matrix", "second").await.unwrap();
        store.queue_push("slack", "other adapter").await.unwrap();
        let c = store.queue_push("matrix", "third").await.unwrap();
        assert!(a < b && b < c);
        store.queue_remove("matrix", b).unwrap();
        store.sync().await.unwrap();
    }
    let store = Store::open(dir.path(), "test").unwrap();
    let jobs: Vec<String> = store.queued("matrix").unwrap().into_iter().map(|(_, j)| j).collect();
    assert_eq!(jobs, ["first", "third"]);
    // Sequence numbers keep increasing after a restart.
    let next = store.queue_push("matrix", "fourth").await.unwrap();
    assert!(store.queued("matrix").unwrap().iter().all(|(s, _)| *s <= next));
    assert_eq!(store.queued("slack").unwrap().len(), 1);
}

/// The store's index leads every grouped fingerprint of an alert-storm incident to it while
/// it is open (also after a backup is restored), and to nothing once it is closed.
#[tokio::test]
async fn storm_fingerprints_are_indexed_restored_and_dropped_on_close() {
    let src = tempfile::tempdir().unwrap();
    let store = Store::open(src.path(), "t").unwrap();
    let opened = store
        .attach_or_storm::<(), TransitionError>(
            "rule:db-1",
            &crate::domain::storm_fingerprint("rule"),
            None,
            now(),
            |id| Incident::open_storm(opening(id, "rule:db-1"), "rule", 10),
            |_, _| panic!("nothing to join yet"),
        )
        .await
        .unwrap();
    let Stormed::Opened(c) = opened else {
        panic!("{opened:?}")
    };
    let id = c.incident.id;
    let joined = store
        .attach_or_storm::<(), TransitionError>(
            "rule:db-2",
            &crate::domain::storm_fingerprint("rule"),
            Some("$alert-2"),
            now(),
            |_| panic!("the storm incident is open"),
            |i, storm| {
                assert!(storm);
                i.group_fingerprint("rule:db-2");
                ((), Vec::new())
            },
        )
        .await
        .unwrap();
    assert!(matches!(joined, Stormed::Joined(c) if c.incident.id == id));
    for fp in ["rule:db-1", "rule:db-2", "(alert storm) rule"] {
        assert_eq!(
            store.incident_by_fingerprint(fp).unwrap().map(|i| i.id),
            Some(id),
            "{fp}"
        );
    }
    // An alert whose own fingerprint is grouped joins as an ordinary attached alert.
    let again = store
        .attach_or_storm::<(), TransitionError>(
            "rule:db-2",
            "(alert storm) rule",
            None,
            now(),
            |_| panic!("found by its fingerprint"),
            |_, storm| {
                assert!(!storm);
                ((), Vec::new())
            },
        )
        .await
        .unwrap();
    assert!(matches!(again, Stormed::Attached(c) if c.incident.id == id));

    let mut buf = Vec::new();
    store.backup(&mut buf, now()).unwrap();
    let dst = tempfile::tempdir().unwrap();
    restore(dst.path(), &buf[..], false).unwrap();
    let copy = Store::open(dst.path(), "t").unwrap();
    assert_eq!(
        copy.incident_by_fingerprint("rule:db-2").unwrap().map(|i| i.id),
        Some(id),
        "restored index"
    );
    close(&store, id).await;
    for fp in ["rule:db-1", "rule:db-2", "(alert storm) rule"] {
        assert!(store.incident_by_fingerprint(fp).unwrap().is_none(), "{fp}");
        assert!(store.inner.fingerprints.get(fp.as_bytes()).unwrap().is_none(), "{fp}");
    }
}

/// Records written before edit history and alert storms were shown (schema 1 as written by
/// e9aa398) still load, and a postmortem builds from them.
#[tokio::test]
async fn records_without_the_new_fields_still_load() {
    let dir = tempfile::tempdir().unwrap();
    let old_incident = r#"{"v":1,"id":1,"title":"NDW ETL failed","severity":"sev2","status":"investigating",
        "declared_at":"2026-11-20T10:00:00Z","declared_by":{"id":"alice","name":"Alice"},"source":"console",
        "slug":"inc-1-ndw-etl-failed","roles":[],"milestones":{"detected":"2026-11-20T10:00:00Z"},"services":[],
        "actions":[],"sections":{"impact":[{"text":"stale","by":{"id":"alice","name":"Alice"},"at":"2026-11-20T10:00:00Z"}]},
        "fingerprint":"fp","trigger":null,"alert_count":0,"rooms":[],"last_seq":2}"#;
    let old_entry = |seq: u64, extra: &str| {
        format!(
            r#"{{"v":1,"seq":{seq},"at":"2026-11-20T10:00:00Z","recorded_at":"2026-11-20T10:00:00Z",
            "author":{{"id":"alice","name":"Alice"}},"kind":"note","text":"restarted docker","source":"console"{extra}}}"#
        )
    };
    {
        let store = Store::open(dir.path(), "t").unwrap();
        let i = &store.inner;
        i.incidents
            .insert(codec::id_key(IncidentId(1)), old_incident.as_bytes())
            .unwrap();
        i.entries
            .insert(codec::entry_key(IncidentId(1), 1), old_entry(1, "").as_bytes())
            .unwrap();
        let edited =
            r#","edits":[{"at":"2026-11-20T10:05:00Z","by":{"id":"bob","name":"Bob"},"previous_text":"restarted"}]"#;
        i.entries
            .insert(codec::entry_key(IncidentId(1), 2), old_entry(2, edited).as_bytes())
            .unwrap();
        store.sync().await.unwrap();
    }
    let store = Store::open(dir.path(), "t").unwrap();
    let inc = store.incident(IncidentId(1)).unwrap().unwrap();
    assert!(inc.section_edits.is_empty() && inc.storm.is_none() && inc.storm_fingerprints.is_empty());
    let entries = store.entries(IncidentId(1)).unwrap();
    assert!(entries[0].edits.is_empty() && entries[0].deleted.is_none());
    assert_eq!(entries[1].last_edit().map(|e| e.by.name.as_str()), Some("Bob"));
    let pm = crate::postmortem::Postmortem::build(&inc, &entries, chrono_tz::UTC, now());
    assert_eq!(pm.timeline[1].edited_by.as_ref().map(|p| p.name.as_str()), Some("Bob"));
    let md = crate::postmortem::render(&pm, crate::postmortem::ExportFormat::Markdown);
    assert!(md.contains("_(edited by Bob at 2026-11-20 10:05 UTC)_"), "{md}");
}

#[tokio::test]
async fn exhausted_counters_are_refused_not_overflowed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), "t").unwrap();
    let inc = create(&store, "fp").await;
    // A store whose next id or sequence number is at the end of the range (damaged, or
    // restored by an earlier build that did not check): the next write fails, nothing panics.
    store.inner.meta.insert(META_NEXT_ID, &u64::MAX.to_be_bytes()).unwrap();
    let err = store
        .create_incident::<TransitionError>(None, now(), |id| Incident::open(opening(id, "other")))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("ids used up"), "{err}");
    let mut full = inc.clone();
    full.last_seq = u64::MAX;
    store
        .inner
        .incidents
        .insert(codec::id_key(inc.id), codec::encode(&full))
        .unwrap();
    let err = store
        .update_incident::<(), TransitionError>(inc.id, None, now(), |_| Ok(((), vec![note("x")])))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("sequence numbers used up"), "{err}");
    assert_eq!(
        store.incident(inc.id).unwrap().unwrap().last_seq,
        u64::MAX,
        "nothing written"
    );
}

#[test]
fn restore_reads_lines_within_a_bound() {
    let lines: Vec<String> = super::backup::bounded_lines(&b"one\r\ntwo\nthree"[..], 8)
        .map(|l| l.unwrap())
        .collect();
    assert_eq!(lines, ["one", "two", "three"]);
    let mut long = super::backup::bounded_lines(&b"0123456789abc\nx\n"[..], 8);
    let e = long.next().unwrap().unwrap_err();
    assert!(e.to_string().contains("longer than 8 bytes"), "{e}");
}

/// The backup the last release (9e6e8a5) wrote; `tests/it/compat.rs` says what it holds and how
/// it was made.
const OLD_BACKUP: &str = include_str!("../../tests/fixtures/backup-9e6e8a5.jsonl");

/// The `data` of the backup line of `kind` for which `pick` holds.
fn old_record(kind: &str, pick: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    OLD_BACKUP
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|l| l["type"] == kind && pick(&l["data"]))
        .unwrap_or_else(|| panic!("no {kind} line in the fixture"))["data"]
        .clone()
}

/// A record as the old release kept it in sled: its backup data with the schema version.
fn as_stored(mut data: serde_json::Value) -> Vec<u8> {
    data.as_object_mut().unwrap().insert("v".into(), 1.into());
    serde_json::to_vec(&data).unwrap()
}

#[test]
fn records_of_release_9e6e8a5_still_decode() {
    use crate::domain::{Milestone, Precision, Section};

    let data = old_record("incident", |d| d["id"] == 1);
    assert!(
        data["actions"][0].get("owners").is_none(),
        "the fixture has the old one-owner form"
    );
    let from_backup: Incident = serde_json::from_value(data.clone()).unwrap();
    let inc: Incident = codec::decode(&as_stored(data), "incident").unwrap();
    assert_eq!(inc, from_backup);
    assert_eq!(inc.title, "NDW ETL failed");
    assert_eq!(inc.last_seq, 20);
    assert_eq!(inc.alert_count, 2);
    assert_eq!(
        inc.milestones[&Milestone::Resolved],
        Utc.with_ymd_and_hms(2026, 11, 20, 13, 55, 0).unwrap()
    );
    assert_eq!(inc.actions.len(), 1);
    assert_eq!(inc.actions[0].fields.text, "re-enable log rotation on etl hosts");
    assert_eq!(inc.actions[0].fields.owners, ["@bob"]);
    assert!(inc.actions[0].done.is_none() && inc.actions[0].history.is_empty());
    assert_eq!(
        inc.sections[&Section::Impact][0].text,
        "NDW data on the public API was 50 minutes stale."
    );
    assert_eq!(inc.section_edits[0].previous[0].text, "NDW data was stale.");
    assert!(inc.milestone_precision.is_empty() && inc.impacts.is_empty() && inc.title_edits.is_empty());
    // The postmortem's record (links, related, people, review, template, language) defaults.
    assert!(inc.links.is_empty() && inc.related.is_empty() && inc.authors.is_empty() && inc.reviewers.is_empty());
    assert_eq!(inc.review_status(), crate::domain::ReviewStatus::Draft);
    assert!(inc.template.is_none() && inc.language.is_none());
    inc.check_invariants().unwrap();
    // Written again, it reads back the same (owners in the new form).
    assert_eq!(
        codec::decode::<Incident>(&codec::encode(&inc), "incident").unwrap(),
        inc
    );

    let data = old_record("entry", |d| d["seq"] == 8);
    let entry: TimelineEntry = codec::decode(&as_stored(data), "entry").unwrap();
    assert_eq!(entry.seq, 8);
    assert_eq!(entry.kind, EntryKind::Note);
    assert_eq!(entry.text, "checking the cron and logrotate logs");
    assert_eq!(entry.edits.len(), 1);
    assert_eq!(entry.edits[0].previous_text, "checking the cron logs");
    assert_eq!(entry.edits[0].previous_time, None);
    assert_eq!(entry.precision, Precision::Minute);
    assert_eq!(entry.end, None);
    assert!(entry.deleted.is_none());

    let backdated: TimelineEntry = serde_json::from_value(old_record("entry", |d| d["seq"] == 6)).unwrap();
    assert_eq!(backdated.at, Utc.with_ymd_and_hms(2026, 11, 20, 13, 5, 0).unwrap());
    assert!(backdated.recorded_at > backdated.at);
    let deleted: TimelineEntry = serde_json::from_value(old_record("entry", |d| d["seq"] == 9)).unwrap();
    assert_eq!(
        deleted.deleted.map(|d| d.previous_text).as_deref(),
        Some("a note that was a mistake")
    );
}

/// Backups taken while writers keep committing each describe one point in the write order:
/// `restore` accepts every one (ids, next id and timeline numbers agree), and each event id
/// recorded as seen has its change in the same file.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backups_during_concurrent_writes_are_consistent_snapshots() {
    let src = tempfile::tempdir().unwrap();
    let store = Store::open(src.path(), "t").unwrap();
    let writers: Vec<_> = (0..6)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                let inc = create(&store, &format!("fp-{w}")).await;
                for n in 0..40 {
                    let ev = format!("w{w}-{n}");
                    add_note(&store, inc.id, Some(&ev), &ev).await;
                }
            })
        })
        .collect();
    let reader = store.clone();
    let backups = tokio::spawn(async move {
        let mut files = Vec::new();
        while files.len() < 15 {
            let (mut spool, stats) = reader.backup_spooled(now()).await.unwrap();
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut spool, &mut buf).unwrap();
            files.push((buf, stats));
        }
        files
    });
    for w in writers {
        w.await.unwrap();
    }
    let files = backups.await.unwrap();
    for (buf, stats) in files {
        let dst = tempfile::tempdir().unwrap();
        let (restored, _) = restore(dst.path(), &buf[..], false)
            .unwrap_or_else(|e| panic!("a backup taken during writes was refused: {e}"));
        assert_eq!(restored, stats);
        let text = String::from_utf8(buf).unwrap();
        let mut seen = Vec::new();
        let mut notes = Vec::new();
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            match v["type"].as_str() {
                Some("seen") => seen.push(v["event_id"].as_str().unwrap().to_string()),
                Some("entry") if v["data"]["text"].as_str().is_some_and(|t| t.starts_with('w')) => {
                    notes.push(v["data"]["text"].as_str().unwrap().to_string())
                }
                _ => {}
            }
        }
        seen.sort();
        notes.sort();
        assert_eq!(
            seen, notes,
            "event ids marked seen without their change (or the reverse)"
        );
    }
}

/// The synchronous backup is for a store nobody else writes: while a write holds the gate it
/// refuses instead of blocking.
#[tokio::test]
async fn a_synchronous_backup_refuses_while_a_write_is_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), "t").unwrap();
    let writing = store.admit().await;
    assert!(matches!(store.backup(&mut Vec::new(), now()), Err(StoreError::Busy)));
    drop(writing);
    store.backup(&mut Vec::new(), now()).unwrap();
}

/// A batch (an input, the jobs it causes) costs one flush + fsync round, where the same writes
/// alone cost one each; what it wrote is durable when it returns.
#[tokio::test]
async fn a_batch_of_writes_costs_one_sync() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), "test").unwrap();
    let inc = create(&store, "fp").await;
    let before = store.sync_count();
    add_note(&store, inc.id, None, "alone").await;
    store.queue_push("slack", "{}").await.unwrap();
    assert_eq!(store.sync_count() - before, 2, "two writes alone: two syncs");
    let before = store.sync_count();
    store
        .batch(async {
            add_note(&store, inc.id, None, "in a batch").await;
            store.queue_push("slack", "{}").await.unwrap();
            store.set_adapter_state("k", "v").await.unwrap();
        })
        .await
        .unwrap();
    assert_eq!(store.sync_count() - before, 1, "a batch: one sync");
    // Settling after the batch needs no further sync.
    store.settle().await.unwrap();
    assert_eq!(store.sync_count() - before, 1);
    drop(store);
    let store = Store::open(dir.path(), "test").unwrap();
    assert!(store.entries(inc.id).unwrap().iter().any(|e| e.text == "in a batch"));
    assert_eq!(store.queued("slack").unwrap().len(), 2);
}

#[tokio::test]
async fn settling_what_was_read_covers_a_commit_that_has_no_ticket_yet() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), "test").unwrap();
    let inc = create(&store, "fp").await;
    store.sync().await.unwrap();
    // Nothing under way and everything synced: settling costs nothing.
    let before = store.sync_count();
    store.settle_seen().await.unwrap();
    assert_eq!(store.sync_count(), before);
    // A write whose commit a reader can already see, a moment before it takes its ticket.
    let writing = store.inner.durability.writing().unwrap();
    store.inner.adapter_state.insert("seen-before-its-ticket", "x").unwrap();
    store.settle_seen().await.unwrap();
    assert_eq!(
        store.sync_count(),
        before + 1,
        "settle returned without a sync while a visible commit had no ticket"
    );
    store.durable_after(writing.ticket()).await.unwrap();
    // The guard of a write that failed (dropped without a ticket) leaves nothing under way.
    let after = store.sync_count();
    drop(store.inner.durability.writing().unwrap());
    store.settle_seen().await.unwrap();
    assert_eq!(
        store.sync_count(),
        after,
        "a failed write's guard left a write under way"
    );
    assert!(store.incident(inc.id).unwrap().is_some());
}

#[test]
fn a_store_of_the_previous_schema_is_read_and_marked_with_this_one() {
    // A store as schema 1 left it: the marker says 1, and so does a record of that release.
    let dir = tempfile::tempdir().unwrap();
    let old = old_record("incident", |d| d["id"] == 1);
    let title = old["title"].as_str().unwrap().to_string();
    as_schema_one(dir.path(), as_stored(old));
    // A command that only reads (`backup`, `incidents`, `export`) leaves the store to the
    // warroom that wrote it.
    let store = Store::open_to_read(dir.path(), "t").unwrap();
    assert_eq!(store.incident(IncidentId(1)).unwrap().unwrap().title, title);
    drop(store);
    assert_eq!(schema_marker(dir.path()), 1);
    let store = Store::open(dir.path(), "t").unwrap();
    assert_eq!(store.incident(IncidentId(1)).unwrap().unwrap().title, title);
    drop(store);
    // The marker now says this schema: an older warroom refuses the store rather than
    // misreading what this one writes.
    assert_eq!(schema_marker(dir.path()), SCHEMA);
}

/// A store in `data_dir` as the previous schema left it, holding `incident` as INC-1.
fn as_schema_one(data_dir: &Path, incident: Vec<u8>) {
    drop(Store::open(data_dir, "t").unwrap());
    let db = sled::open(data_dir.join(STORE_DIR)).unwrap();
    let meta = db.open_tree("meta").unwrap();
    meta.insert(META_SCHEMA, &1u32.to_be_bytes()).unwrap();
    meta.insert(super::META_NEXT_ID, &2u64.to_be_bytes()).unwrap();
    db.open_tree("incidentid_incident")
        .unwrap()
        .insert(IncidentId(1).0.to_be_bytes(), incident)
        .unwrap();
    db.flush().unwrap();
}

/// The schema marker of the store in `data_dir`.
fn schema_marker(data_dir: &Path) -> u32 {
    let db = sled::open(data_dir.join(STORE_DIR)).unwrap();
    let m = db.open_tree("meta").unwrap().get(META_SCHEMA).unwrap().unwrap();
    u32::from_be_bytes(m.as_ref().try_into().unwrap())
}

/// A blob that appears with a lower number than one already synced (sled reserved it earlier
/// and wrote it later) is synced too: no high-water mark skips it.
#[tokio::test]
async fn every_blob_is_synced_whatever_its_number() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), "t").unwrap();
    let blobs = store.dir().join("blobs");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(blobs.join("300"), b"later reservation").unwrap();
    let d = &store.inner.durability;
    d.sync_now().unwrap();
    let before = d.blob_sync_count();
    std::fs::write(blobs.join("250"), b"earlier reservation, written last").unwrap();
    d.sync_now().unwrap();
    assert_eq!(d.blob_sync_count() - before, 2, "blob 250 was skipped");
}

#[test]
fn an_older_store_this_version_cannot_read_stays_marked_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    as_schema_one(dir.path(), b"{damaged".to_vec());
    assert!(Store::open(dir.path(), "t").is_err());
    assert_eq!(
        schema_marker(dir.path()),
        1,
        "marked with this schema though it could not be opened: the old version is locked out too"
    );
}

#[test]
fn opening_makes_what_sled_recovered_durable() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), "t").unwrap();
    assert_eq!(store.sync_count(), 1, "the bot's open syncs once");
    drop(store);
    let store = Store::open_to_read(dir.path(), "t").unwrap();
    assert_eq!(store.sync_count(), 0, "a command that only reads writes nothing");
}

/// A filesystem that cannot exchange directories (NFS, older ZFS) answers EINVAL or ENOSYS:
/// restore then moves the old store aside and the new one in; any other error stops it.
#[test]
fn restore_knows_a_filesystem_that_cannot_exchange_directories() {
    let os = std::io::Error::from_raw_os_error;
    assert!(backup::cannot_exchange(&os(libc::EINVAL)));
    assert!(backup::cannot_exchange(&os(libc::ENOSYS)));
    assert!(!backup::cannot_exchange(&os(libc::ENOSPC)));
    assert!(!backup::cannot_exchange(&os(libc::EACCES)));
}
