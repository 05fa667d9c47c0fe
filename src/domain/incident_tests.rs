//! Tests of the incident transitions: valid paths, and refusals that leave the incident as it was.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;

fn t(m: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 29, 12, 0, 0).unwrap() + Duration::minutes(m)
}

fn who() -> Person {
    Person::new("alice", "Alice")
}

fn open() -> Incident {
    Incident::open(Opening::by_hand(IncidentId(1), "DB down", who(), t(0)))
        .unwrap()
        .0
}

/// Apply `f` and check that a refusal changed nothing.
fn refused<T: std::fmt::Debug>(
    inc: &mut Incident,
    f: impl FnOnce(&mut Incident) -> Result<T, TransitionError>,
) -> TransitionError {
    let before = inc.clone();
    let err = f(inc).unwrap_err();
    assert_eq!(*inc, before, "a refused transition changed the incident");
    err
}

#[test]
fn lifecycle_and_automatic_entries() {
    let mut inc = open();
    assert_eq!(inc.status, Status::Investigating);
    assert_eq!(inc.milestones.get(&Milestone::Detected), Some(&t(0)));
    let e = inc
        .set_status(Status::Identified, Some("bad index"), &who(), t(5), Source::Console)
        .unwrap();
    assert_eq!(e[0].text, "status investigating → identified: bad index");
    inc.set_status(Status::Monitoring, None, &who(), t(10), Source::Console)
        .unwrap();
    // Setting status resolved records the resolved milestone too.
    let e = inc
        .set_status(Status::Resolved, None, &who(), t(20), Source::Console)
        .unwrap();
    assert_eq!(e.len(), 2);
    assert_eq!(inc.milestones.get(&Milestone::Resolved), Some(&t(20)));
    // Going back to monitoring clears it again.
    inc.set_status(Status::Monitoring, None, &who(), t(21), Source::Console)
        .unwrap();
    assert!(!inc.milestones.contains_key(&Milestone::Resolved));
    let e = inc.close(&who(), t(30), Source::Console).unwrap();
    assert_eq!(e.last().unwrap().kind, EntryKind::Closed);
    assert_eq!(
        inc.milestones.get(&Milestone::Resolved),
        Some(&t(30)),
        "close implies resolved"
    );
    assert_eq!(inc.status, Status::Closed);
    inc.reopen(&who(), t(40), Source::Console).unwrap();
    assert_eq!(inc.status, Status::Investigating);
    assert!(!inc.milestones.contains_key(&Milestone::Closed));
}

#[test]
fn refusals_change_nothing() {
    let mut inc = open();
    assert!(matches!(
        refused(&mut inc, |i| i.reopen(&who(), t(1), Source::Console)),
        TransitionError::NotReopenable { .. }
    ));
    assert!(matches!(
        refused(&mut inc, |i| i.set_severity(
            Severity::Sev2,
            &who(),
            t(1),
            Source::Console
        )),
        TransitionError::SameSeverity(_)
    ));
    assert!(matches!(
        refused(&mut inc, |i| i.set_status(
            Status::Investigating,
            None,
            &who(),
            t(1),
            Source::Console
        )),
        TransitionError::SameStatus(_)
    ));
    // Nothing before `started`, and `started` not after `detected`.
    inc.set_milestone(Milestone::Started, t(-10), &who(), t(1), Source::Console)
        .unwrap();
    let err = refused(&mut inc, |i| {
        i.set_milestone(Milestone::Detected, t(-20), &who(), t(1), Source::Console)
    });
    assert_eq!(
        err.to_string(),
        format!("detected can't be before started ({})", t(-10))
    );
    let err = refused(&mut inc, |i| {
        i.set_milestone(Milestone::Started, t(5), &who(), t(6), Source::Console)
    });
    assert!(
        matches!(
            err,
            TransitionError::MilestoneOrder {
                before: false,
                other: Milestone::Detected,
                ..
            }
        ),
        "{err}"
    );
    assert!(matches!(
        refused(&mut inc, |i| i.set_milestone(
            Milestone::Mitigated,
            t(60),
            &who(),
            t(1),
            Source::Console
        )),
        TransitionError::Future { .. }
    ));
    assert!(matches!(
        refused(&mut inc, |i| i.add_action(
            crate::domain::ActionFields::new("  ", None),
            &who(),
            t(1),
            Source::Console
        )),
        TransitionError::Empty
    ));
    let long = "x".repeat(MAX_TEXT_CHARS + 1);
    assert!(matches!(
        refused(&mut inc, |i| i.add_action(
            crate::domain::ActionFields::new(&long, None),
            &who(),
            t(1),
            Source::Console
        )),
        TransitionError::TooLong { .. }
    ));
    inc.assign_role(Role::Commander, "@alice", &who(), t(1), Source::Console)
        .unwrap();
    assert!(matches!(
        refused(&mut inc, |i| i.assign_role(
            Role::Commander,
            "@alice",
            &who(),
            t(1),
            Source::Console
        )),
        TransitionError::SameRole(_)
    ));
    let e = inc
        .assign_role(Role::Commander, "@bob", &who(), t(2), Source::Console)
        .unwrap();
    assert_eq!(e[0].text, "@bob is now commander (was @alice)");
    // Closing twice, resolving a closed incident.
    inc.close(&who(), t(3), Source::Console).unwrap();
    assert!(matches!(
        refused(&mut inc, |i| i.close(&who(), t(4), Source::Console)),
        TransitionError::AlreadyClosed { .. }
    ));
    assert!(matches!(
        refused(&mut inc, |i| i.resolve(t(4), None, &who(), t(4), Source::Console)),
        TransitionError::Closed { .. }
    ));
    assert!(matches!(
        refused(&mut inc, |i| i.set_status(
            Status::Monitoring,
            None,
            &who(),
            t(4),
            Source::Console
        )),
        TransitionError::Closed { .. }
    ));
}

#[test]
fn milestone_messages_use_the_given_zone() {
    let mut inc = open();
    inc.set_milestone(Milestone::Started, t(-30), &who(), t(1), Source::Console)
        .unwrap();
    let err = inc
        .set_milestone(Milestone::Detected, t(-40), &who(), t(1), Source::Console)
        .unwrap_err();
    let tz: chrono_tz::Tz = "Europe/London".parse().unwrap();
    // 2026-03-29 11:30 UTC is 12:30 BST (the clocks went forward that morning).
    assert_eq!(
        err.message(&tz),
        "detected can't be before started (2026-03-29 12:30 BST); correct started first with `incident milestone started WHEN`"
    );
}

/// What a room name must be: Slack's channel names (at most 80 characters) and Matrix alias
/// localparts as warroom makes them (lowercase a-z, 0-9 and `-`, no dash at either end).
fn assert_valid_room(room: &str) {
    assert!(room.len() <= 80, "{room}");
    assert!(!room.ends_with('-') && !room.contains("--"), "{room}");
    assert!(
        room.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
        "{room}"
    );
}

#[test]
fn room_slugs_transliterate_letters_of_every_language() {
    for (id, title, want) in [
        (1, "Výpadok účtovného systému", "inc-1-vypadok-uctovneho-systemu"),
        (
            2,
            "Panne du serveur de paiement à Paris",
            "inc-2-panne-du-serveur-de-paiement-a-paris",
        ),
        (
            3,
            "Störung der Datenbank, Straße gesperrt",
            "inc-3-storung-der-datenbank-strasse-gesperrt",
        ),
        (4, "🔥🔥 DB on fire 🚒", "inc-4-db-on-fire"),
        (5, "数据库故障", "inc-5-shu-ju-ku-gu-zhang"),
        (6, "🔥", "inc-6"),
        // Decomposed accents (e + combining acute) are part of their letter.
        (7, "re\u{301}seau lent", "inc-7-reseau-lent"),
        (8, "Łódź: Ошибка сети", "inc-8-lodz-oshibka-seti"),
    ] {
        let room = room_slug(IncidentId(id), title);
        assert_eq!(room, want, "{title}");
        assert_valid_room(&room);
    }
    // Long titles in scripts that transliterate to several letters each still fit.
    for title in [
        "数据库".repeat(60),
        "Ä".repeat(200),
        "ß ".repeat(100),
        "🔥a".repeat(100),
    ] {
        assert_valid_room(&room_slug(IncidentId(123_456), &title));
    }
}

#[test]
fn room_slugs_are_valid_channel_names() {
    assert_eq!(room_slug(IncidentId(1), "NDW ETL failed"), "inc-1-ndw-etl-failed");
    assert_eq!(room_slug(IncidentId(2), "  !!! "), "inc-2");
    assert_eq!(
        room_slug(IncidentId(3), "Café — DB/API down 🔥"),
        "inc-3-cafe-db-api-down"
    );
    let long = room_slug(IncidentId(4), &"word ".repeat(100));
    assert!(long.len() <= 80 && !long.ends_with('-'), "{long}");
    assert!(
        long.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    );
}

#[test]
fn replacing_a_section_keeps_who_when_and_the_previous_text() {
    let mut inc = open();
    let bob = Person::new("bob", "Bob");
    // Replacing an empty section replaces nothing, so nothing is kept.
    inc.contribute(Section::Impact, "API stale", true, &who(), t(1))
        .unwrap();
    assert!(inc.section_edits.is_empty());
    inc.contribute(Section::Impact, "for 50 minutes", false, &who(), t(2))
        .unwrap();
    inc.contribute(Section::Impact, "NDW data 50 minutes stale", true, &bob, t(3))
        .unwrap();
    assert_eq!(inc.sections[&Section::Impact].len(), 1);
    assert_eq!(inc.sections[&Section::Impact][0].text, "NDW data 50 minutes stale");
    assert_eq!(inc.section_edits.len(), 1);
    let e = &inc.section_edits[0];
    assert_eq!((e.section, &e.by, e.at), (Section::Impact, &bob, t(3)));
    let previous: Vec<&str> = e.previous.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(previous, ["API stale", "for 50 minutes"]);
    // A refused replacement keeps everything as it was.
    let before = inc.clone();
    assert_eq!(
        inc.contribute(Section::Impact, "  ", true, &bob, t(4)),
        Err(TransitionError::Empty)
    );
    assert_eq!(inc, before);
}

fn storm_opening(id: u64, fp: &str) -> Opening {
    Opening {
        source: Source::Webhook,
        fingerprint: Some(fp.into()),
        trigger: Some(AlertInfo {
            rule: "hook:alertmanager".into(),
            text: "Disk full on db-7".into(),
            sender: Person::new("alertmanager", "alertmanager"),
            room: "hook:alertmanager".into(),
            at: t(0),
            source: Source::Webhook,
        }),
        ..Opening::by_hand(IncidentId(id), "Disk full on db-7", Person::warroom(), t(0))
    }
}

#[test]
fn an_alert_storm_incident_groups_the_fingerprints_of_its_alerts() {
    let (mut inc, entries) =
        Incident::open_storm(storm_opening(11, "hook:alertmanager:db-7"), "hook:alertmanager", 10).unwrap();
    assert_eq!(inc.title, "Alert storm: alertmanager alerts");
    assert_eq!(inc.storm.as_deref(), Some("hook:alertmanager"));
    assert_eq!(inc.fingerprint.as_deref(), Some("(alert storm) hook:alertmanager"));
    assert_eq!(inc.alert_count, 1);
    assert_eq!(entries[0].kind, EntryKind::AlertReceived);
    assert!(
        entries[1]
            .text
            .contains("alertmanager alerts opened 10 incidents within a minute"),
        "{}",
        entries[1].text
    );
    inc.group_fingerprint("hook:alertmanager:db-8");
    inc.group_fingerprint("hook:alertmanager:db-8");
    let fps: Vec<&str> = inc.open_fingerprints().collect();
    assert_eq!(
        fps,
        [
            "(alert storm) hook:alertmanager",
            "hook:alertmanager:db-7",
            "hook:alertmanager:db-8"
        ]
    );
    // Grouped fingerprints are bounded like tracked alerts.
    for n in 0..MAX_TRACKED_ALERTS + 5 {
        inc.group_fingerprint(&format!("fp-{n}"));
    }
    assert_eq!(inc.storm_fingerprints.len(), MAX_TRACKED_ALERTS);
    // Closed, it groups nothing.
    inc.close(&who(), t(30), Source::Console).unwrap();
    assert_eq!(inc.open_fingerprints().count(), 0);
    assert_eq!(storm_subject("data-pipeline"), "rule data-pipeline");
}

/// An incident as stored before section history and alert storms existed still reads.
#[test]
fn an_incident_without_the_new_fields_still_loads() {
    let mut v = serde_json::to_value(open()).unwrap();
    for k in ["section_edits", "storm", "storm_fingerprints"] {
        v.as_object_mut().unwrap().remove(k);
    }
    let inc: Incident = serde_json::from_value(v).unwrap();
    assert!(inc.section_edits.is_empty() && inc.storm.is_none() && inc.storm_fingerprints.is_empty());
}

/// A title is one line wherever it is shown: line breaks and control characters in it (from a
/// webhook or a quoted command) become single spaces; nothing but them is refused as empty.
#[test]
fn titles_are_single_line() {
    let opened = |title: &str| Incident::open(Opening::by_hand(IncidentId(5), title, who(), t(0)));
    let (inc, entries) = opened("DB down\n## Root causes\r\n\u{1b}]0;pwned\u{7} now\u{2028}x").unwrap();
    assert_eq!(inc.title, "DB down ## Root causes ]0;pwned now x");
    assert_eq!(
        entries[0].text,
        "INC-5 declared: DB down ## Root causes ]0;pwned now x, SEV2 (major)"
    );
    assert_eq!(opened("  spaced   title \t").unwrap().0.title, "spaced   title");
    assert!(matches!(opened("\n\u{1b}\r\n").unwrap_err(), TransitionError::Empty));
    assert_eq!(single_line("Café — DB/API down 🔥"), "Café — DB/API down 🔥");
}

#[test]
fn counters_at_their_limit_do_not_overflow() {
    let mut inc = open();
    inc.alert_count = u64::MAX;
    inc.alerts_untracked = u64::MAX;
    inc.alerts = (0..MAX_TRACKED_ALERTS).map(|i| (i.to_string(), true)).collect();
    let (effect, _) = inc.alert_fired(Some("new"), "x", &who(), t(1), Source::Webhook);
    assert_eq!(effect, AlertEffect::Counted);
    assert_eq!((inc.alert_count, inc.alerts_untracked), (u64::MAX, u64::MAX));
    inc.add_action(
        crate::domain::ActionFields::new("a", None),
        &who(),
        t(1),
        Source::Console,
    )
    .unwrap();
    inc.actions[0].n = u32::MAX;
    let err = refused(&mut inc, |i| {
        i.add_action(
            crate::domain::ActionFields::new("b", None),
            &who(),
            t(2),
            Source::Console,
        )
    });
    assert_eq!(err, TransitionError::Full("actions"));
}

/// A record written when `rooms` and `open_in` were plain strings loads into the typed fields
/// and is written back byte for byte: the stored format did not change.
#[test]
fn stored_rooms_and_open_in_keep_their_string_form() {
    let old = r#"{"id":1,"title":"DB down","severity":"sev2","status":"investigating","declared_at":"2026-03-29T12:00:00Z","declared_by":{"id":"alice","name":"Alice"},"source":"console","slug":"inc-1-db-down","roles":[],"milestones":{"detected":"2026-03-29T12:00:00Z"},"services":[],"actions":[],"sections":{},"fingerprint":null,"trigger":null,"alert_count":0,"rooms":["matrix:!abc:localhost","slack:C0123","console:inc-1-db-down"],"last_seq":0,"open_in":["matrix","slack"]}"#;
    let inc: Incident = serde_json::from_str(old).unwrap();
    assert_eq!(inc.rooms[0], RoomKey::new(Platform::Matrix, "!abc:localhost"));
    assert_eq!(inc.room_on(Platform::Slack), Some("C0123"));
    assert_eq!(inc.room_on(Platform::Console), Some("inc-1-db-down"));
    assert_eq!(inc.open_in, [Platform::Matrix, Platform::Slack]);
    assert_eq!(serde_json::to_string(&inc).unwrap(), old);
    // The shortest old form, as the issue gives it.
    let mut v: serde_json::Value = serde_json::from_str(old).unwrap();
    v["rooms"] = serde_json::json!(["matrix:!abc:localhost"]);
    let inc: Incident = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(serde_json::to_value(&inc).unwrap(), v);
    // A room on a platform this version does not know is refused, not silently rerouted.
    v["rooms"] = serde_json::json!(["teams:19:abc"]);
    assert!(serde_json::from_value::<Incident>(v).is_err());
}

/// Every transition, fed the longest input it accepts, leaves records that `restore` accepts:
/// the incident and each entry it wrote pass their invariants (a backup must always restore).
#[test]
fn the_longest_accepted_inputs_make_records_restore_accepts() {
    let long = "é".repeat(MAX_TEXT_CHARS);
    let url = format!(
        "https://t.example/{}",
        "a".repeat(crate::domain::writeup::MAX_URL_CHARS - 18)
    );
    let name = "n".repeat(MAX_NAME_CHARS);
    let (mut inc, mut entries) = Incident::open(Opening::by_hand(IncidentId(1), &long, who(), t(0))).unwrap();
    let fields = ActionFields {
        text: long.clone(),
        owners: (0..MAX_OWNERS)
            .map(|i| format!("@{i}{name}")[..MAX_NAME_CHARS].to_string())
            .collect(),
        due: None,
        ticket: Some(url.clone()),
        kind: Some(name.clone()),
    };
    let (n, e) = inc.add_action(fields, &who(), t(1), Source::Console).unwrap();
    entries.extend(e);
    entries.extend(inc.action_done(n, &who(), t(2), Source::Console).unwrap());
    let window = Moment {
        at: t(1),
        precision: Precision::Minute,
        end: Some(t(2)),
    };
    entries.extend(
        inc.add_impact(window, Some(&long), &who(), t(3), Source::Console)
            .unwrap()
            .1,
    );
    entries.extend(
        inc.set_title(&"z".repeat(MAX_TEXT_CHARS), &who(), t(4), Source::Console)
            .unwrap(),
    );
    entries.extend(
        inc.add_services(std::slice::from_ref(&name), &who(), t(5), Source::Console)
            .unwrap(),
    );
    inc.last_seq = entries.len() as u64;
    inc.check_invariants().unwrap();
    for (i, e) in entries.into_iter().enumerate() {
        crate::domain::TimelineEntry::from_new(i as u64 + 1, t(6), e)
            .check_invariants()
            .unwrap();
    }
    // One character more is refused where it is typed, not at restore.
    let too_long = |f: ActionFields| inc.clone().add_action(f, &who(), t(7), Source::Console).is_err();
    assert!(too_long(ActionFields {
        ticket: Some(format!("{url}a")),
        ..ActionFields::new("x", None)
    }));
    assert!(too_long(ActionFields {
        owners: vec![format!("{name}n")],
        ..ActionFields::new("x", None)
    }));
    assert!(too_long(ActionFields {
        owners: (0..=MAX_OWNERS).map(|i| format!("@o{i}")).collect(),
        ..ActionFields::new("x", None)
    }));
    assert!(
        inc.clone()
            .add_services(&[format!("{name}n")], &who(), t(7), Source::Console)
            .is_err()
    );
}

#[test]
fn custom_sections_are_stored_by_key_and_replacing_keeps_the_previous_text() {
    let mut inc = open();
    let bob = Person::new("bob", "Bob");
    inc.contribute_custom("timeline-of-comms", "status page at 10:05", false, &who(), t(1))
        .unwrap();
    inc.contribute_custom("timeline-of-comms", "email at 10:20", false, &who(), t(2))
        .unwrap();
    inc.contribute_custom("timeline-of-comms", "one status page update", true, &bob, t(3))
        .unwrap();
    let texts: Vec<&str> = inc.custom_sections["timeline-of-comms"]
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(texts, ["one status page update"]);
    let e = &inc.custom_section_edits[0];
    assert_eq!((e.key.as_str(), &e.by, e.at), ("timeline-of-comms", &bob, t(3)));
    let previous: Vec<&str> = e.previous.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(previous, ["status page at 10:05", "email at 10:20"]);
    assert!(inc.sections.is_empty() && inc.section_edits.is_empty());
    inc.check_invariants().unwrap();
    // Refused: an empty text, a key of the wrong shape; nothing changes.
    let before = inc.clone();
    assert_eq!(
        inc.contribute_custom("timeline-of-comms", " ", false, &bob, t(4)),
        Err(TransitionError::Empty)
    );
    assert!(inc.contribute_custom("Bad_Key", "x", false, &bob, t(4)).is_err());
    assert!(inc.contribute_custom(&"k".repeat(41), "x", false, &bob, t(4)).is_err());
    assert_eq!(inc, before);
}

#[test]
fn restore_checks_custom_sections() {
    let mut inc = open();
    inc.contribute_custom("comms", "ok", false, &who(), t(1)).unwrap();
    inc.check_invariants().unwrap();
    let mut bad_key = inc.clone();
    let items = bad_key.custom_sections.remove("comms").unwrap();
    bad_key.custom_sections.insert("Not A Key".into(), items);
    assert!(bad_key.check_invariants().unwrap_err().contains("key"));
    let mut long = inc.clone();
    long.custom_sections.get_mut("comms").unwrap()[0].text = "x".repeat(MAX_TEXT_CHARS + 1);
    assert!(long.check_invariants().unwrap_err().contains("comms"));
    let mut many = inc.clone();
    for n in 0..MAX_CUSTOM_SECTIONS {
        many.custom_sections.insert(format!("k{n}"), Vec::new());
    }
    assert!(many.check_invariants().is_err());
    // An incident stored before custom sections existed loads with none.
    let mut json = serde_json::to_value(open()).unwrap();
    json.as_object_mut().unwrap().remove("custom_sections");
    let old: Incident = serde_json::from_value(json).unwrap();
    assert!(old.custom_sections.is_empty() && old.custom_section_edits.is_empty());
}

/// A close whose message time lies before a recorded milestone (the alert came later, or the
/// message was delivered late) closes at the latest milestone: the record stays in order.
#[test]
fn a_close_never_precedes_a_recorded_milestone() {
    let mut inc = open();
    inc.set_milestone(Milestone::Detected, t(30), &who(), t(30), Source::Console)
        .unwrap();
    inc.close(&who(), t(10), Source::Console).unwrap();
    assert_eq!(inc.milestones[&Milestone::Resolved], t(30));
    assert_eq!(inc.milestones[&Milestone::Closed], t(30));
    inc.check_invariants().unwrap();
}

/// Replacing a built-in section counts against the same cap as replacing a custom one, the cap
/// `restore` checks: a record the live code writes is always one a backup can restore.
#[test]
fn built_in_and_custom_section_replacements_share_one_cap() {
    let (mut inc, _) = Incident::open(Opening::by_hand(IncidentId(1), "DB down", who(), t(0))).unwrap();
    inc.contribute(Section::Summary, "first", false, &who(), t(1)).unwrap();
    let edit = CustomSectionEdit {
        key: "comms".into(),
        at: t(1),
        by: who(),
        previous: Vec::new(),
    };
    inc.custom_section_edits = vec![edit; MAX_SECTION_EDITS];
    assert!(matches!(
        inc.contribute(Section::Summary, "second", true, &who(), t(2)),
        Err(TransitionError::Full(_))
    ));
    assert!(inc.section_edits.is_empty());
}
