//! Tests of the incident module (service_tests).
use std::sync::Mutex;

use chrono::{Duration, TimeZone};

use super::*;
use crate::config::{Config, DEFAULT_CONFIG};
use crate::domain::{Milestone, Severity, Status};

struct ManualClock(Mutex<DateTime<Utc>>);

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

struct Harness {
    svc: Arc<IncidentService>,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), "test").unwrap();
    let rules = Config::from_parts(DEFAULT_CONFIG, "shipped", Vec::new())
        .unwrap()
        .rules()
        .unwrap();
    let clock = Arc::new(ManualClock(Mutex::new(
        Utc.with_ymd_and_hms(2026, 11, 20, 13, 20, 0).unwrap(),
    )));
    let tz: Tz = "Europe/London".parse().unwrap();
    Harness {
        svc: Arc::new(IncidentService::new(store, rules, tz, clock.clone())),
        clock,
        _dir: dir,
    }
}

impl Harness {
    fn advance(&self, minutes: i64) {
        *self.clock.0.lock().unwrap() += Duration::minutes(minutes);
    }
    fn msg(&self, room: &str, who: &str, text: &str) -> Inbound {
        Inbound {
            source: Source::Console,
            room: format!("console:{room}"),
            room_names: vec![room.to_string()],
            alert_room: room == "alerts",
            author: Person::new(who, who),
            text: text.into(),
            event_id: None,
            at: self.clock.now(),
        }
    }
    async fn say(&self, room: &str, who: &str, text: &str) -> Vec<Notice> {
        self.svc.handle(self.msg(room, who, text)).await
    }
    /// Opens an incident from an alert and binds its console room, like the console adapter.
    async fn open(&self, text: &str) -> Incident {
        let n = self.say("alerts", "cron", text).await;
        let Some(Notice::Opened { incident, .. }) = n.into_iter().next() else {
            panic!("no incident opened")
        };
        self.svc
            .bind_room(incident.id, &format!("console:{}", incident.slug))
            .await
            .unwrap()
    }
    fn reply(n: &[Notice]) -> String {
        n.iter()
            .filter_map(|n| {
                if let Notice::Reply(t) = n {
                    Some(t.as_str())
                } else {
                    None
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
    fn incident(&self, id: IncidentId) -> Incident {
        self.svc.store().incident(id).unwrap().unwrap()
    }
}

#[tokio::test]
async fn alert_opens_and_repeats_attach() {
    let h = harness();
    let inc = h.open("NDW ETL failed").await;
    assert_eq!(
        (inc.id, inc.slug.as_str(), inc.severity),
        (IncidentId(1), "inc-1-ndw-etl-failed", Severity::Sev2)
    );
    h.advance(5);
    let n = h.say("alerts", "cron", "NDW ETL failed").await;
    assert!(
        matches!(&n[..], [Notice::AlertNews { incident, line }] if *incident == inc.id && line.contains("alert repeated (×2)"))
    );
    assert_eq!(h.incident(inc.id).alert_count, 2);
    // A different job is a different incident; chatter is ignored.
    let other = h.open("BAG ETL failed").await;
    assert_eq!(other.id, IncidentId(2));
    assert!(h.say("alerts", "bob", "looking into it").await.is_empty());
    // A slash-prefixed alert line in an alert room is an alert, not an unknown command.
    let n = h.say("alerts", "cron", "/backup failed").await;
    assert!(
        matches!(&n[..], [Notice::Opened { incident, .. }] if incident.title == "/backup failed"),
        "{n:?}"
    );
    // After close, the same alert opens a new incident.
    h.say(&inc.slug, "alice", "/incident close").await;
    assert_eq!(h.open("NDW ETL failed").await.id, IncidentId(4));
}

#[tokio::test]
async fn concurrent_alerts_with_one_fingerprint_open_one_incident() {
    let h = harness();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (svc, m) = (h.svc.clone(), h.msg("alerts", "cron", "NDW ETL failed"));
        tasks.push(tokio::spawn(async move { svc.handle(m).await }));
    }
    let mut opened = 0;
    for t in tasks {
        opened += t
            .await
            .unwrap()
            .iter()
            .filter(|n| matches!(n, Notice::Opened { .. }))
            .count();
    }
    assert_eq!(opened, 1);
    let all = h.svc.store().incidents(true).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].alert_count, 16);
}

#[tokio::test]
async fn commands_record_timeline_and_reply_after_write() {
    let h = harness();
    let inc = h.open("NDW ETL failed").await;
    let room = inc.slug.clone();
    h.advance(10);
    let r = Harness::reply(&h.say(&room, "alice", "/timeline 13:25 restarted docker").await);
    assert!(
        r.starts_with("Added #3 at 2026-11-20 13:25 GMT: restarted docker"),
        "{r}"
    );
    h.say(&room, "alice", "/incident lead @alice").await;
    h.say(&room, "alice", "/incident sev critical").await;
    h.say(&room, "alice", "/incident status identified disk full").await;
    h.say(&room, "alice", "/action add disk alert @bob").await;
    h.say(&room, "alice", "/postmortem impact stale data for 30 min").await;
    let r = Harness::reply(&h.say(&room, "alice", "/incident milestone started 13:00").await);
    assert!(r.contains("Milestone started recorded at 2026-11-20 13:00 GMT"), "{r}");
    let got = h.incident(inc.id);
    assert_eq!(got.severity, Severity::Sev1);
    assert_eq!(got.status, Status::Identified);
    assert_eq!(got.roles, [(crate::domain::Role::Commander, "@alice".to_string())]);
    assert_eq!(got.actions[0].owner.as_deref(), Some("@bob"));
    let list = Harness::reply(&h.say(&room, "bob", "/timeline list").await);
    let pos = |s: &str| list.find(s).unwrap_or_else(|| panic!("{s} missing in {list}"));
    assert!(pos("milestone started") < pos("alert received") && pos("alert received") < pos("restarted docker"));
    // Edit and delete notes; automatic entries are protected.
    h.say(&room, "alice", "/timeline edit 3 restarted docker on etl-1")
        .await;
    let r = Harness::reply(&h.say(&room, "alice", "/timeline delete 1").await);
    assert!(r.contains("recorded automatically"), "{r}");
    let entries = h.svc.store().entries(inc.id).unwrap();
    assert_eq!(entries[2].text, "restarted docker on etl-1");
    assert_eq!(entries[2].edits[0].previous_text, "restarted docker");
    let r = Harness::reply(&h.say(&room, "alice", "/timeline delete 99").await);
    assert!(r.contains("no timeline entry #99"), "{r}");
}

#[tokio::test]
async fn bad_input_changes_nothing() {
    let h = harness();
    let inc = h.open("NDW ETL failed").await;
    let room = inc.slug.clone();
    h.advance(30);
    let before = (h.incident(inc.id), h.svc.store().entries(inc.id).unwrap());
    for (line, expect) in [
        ("/incident sev sev9", "not a valid severity"),
        (
            "/incident milestone started 2026-11-20 13:30",
            "started can't be after detected (2026-11-20 13:20 GMT)",
        ),
        ("/incident milestone mitigated 2026-11-21 10:00", "in the future"),
        ("/timeline 2026-11-21 10:00 too early", "in the future"),
        ("/incident status investigating", "already investigating"),
        ("/incident reopen", "only a resolved or closed incident"),
        ("/timeline", "what happened"),
        ("/bogus", "unknown command"),
    ] {
        let r = Harness::reply(&h.say(&room, "alice", line).await);
        assert!(r.contains(expect), "{line}: {r}");
    }
    assert_eq!((h.incident(inc.id), h.svc.store().entries(inc.id).unwrap()), before);
    // Commands outside an incident room are refused, except declare and help.
    let r = Harness::reply(&h.say("random", "bob", "/timeline hello").await);
    assert!(r.contains("not an incident room"), "{r}");
    assert!(Harness::reply(&h.say("random", "bob", "/help").await).contains("/incident declare"));
}

#[tokio::test]
async fn close_twice_resolve_and_reopen() {
    let h = harness();
    let inc = h.open("api is down").await;
    let room = inc.slug.clone();
    h.advance(30);
    let r = Harness::reply(&h.say(&room, "alice", "/incident resolve 13:45 rolled back").await);
    assert!(r.contains("resolved at 2026-11-20 13:45 GMT"), "{r}");
    let n = h.say(&room, "alice", "/incident close").await;
    let Some(Notice::Postmortem { markdown, file, .. }) = n.iter().find(|n| matches!(n, Notice::Postmortem { .. }))
    else {
        panic!("{n:?}")
    };
    assert!(markdown.starts_with("# INC-1: api is down"));
    assert_eq!(file.name, "INC-1-postmortem.md");
    assert!(markdown.contains("| Time to resolve | 25m"), "{markdown}");
    let r = Harness::reply(&h.say(&room, "alice", "/incident close").await);
    assert!(r.contains("already closed"), "{r}");
    // Notes and postmortem sections still work after close; status changes do not.
    assert!(Harness::reply(&h.say(&room, "alice", "/timeline wrote the postmortem").await).contains("Added"));
    assert!(Harness::reply(&h.say(&room, "alice", "/incident status monitoring").await).contains("reopen"));
    let r = Harness::reply(&h.say(&room, "alice", "/incident reopen").await);
    assert!(r.contains("reopened"), "{r}");
    let got = h.incident(inc.id);
    assert_eq!(got.status, Status::Investigating);
    assert!(!got.milestones.contains_key(&Milestone::Closed));
}

#[tokio::test]
async fn declared_incidents_and_exports() {
    let h = harness();
    let n = h
        .say("random", "alice", "/incident declare \"Checkout slow\" --sev p2")
        .await;
    let Some(Notice::Opened {
        incident,
        announcement,
        origin_room,
    }) = n.into_iter().next()
    else {
        panic!()
    };
    assert_eq!(origin_room, "console:random");
    assert!(
        announcement.contains("INC-1: Checkout slow — SEV2 (major)"),
        "{announcement}"
    );
    h.svc
        .bind_room(incident.id, "console:inc-1-checkout-slow")
        .await
        .unwrap();
    let n = h.say("inc-1-checkout-slow", "alice", "/postmortem export json").await;
    let Some(Notice::File(f)) = n.into_iter().next() else {
        panic!()
    };
    assert_eq!(f.name, "INC-1-postmortem.json");
    let v: serde_json::Value = serde_json::from_str(&f.content).unwrap();
    assert_eq!(v["title"], "Checkout slow");
}

#[tokio::test]
async fn redelivered_events_take_effect_once() {
    let h = harness();
    let inc = h.open("NDW ETL failed").await;
    let mut m = h.msg(&inc.slug, "alice", "/timeline restarted docker");
    m.event_id = Some("$event1".into());
    assert!(Harness::reply(&h.svc.handle(m.clone()).await).contains("Added #3"));
    assert!(h.svc.handle(m.clone()).await.is_empty());
    assert_eq!(h.svc.store().entries(inc.id).unwrap().len(), 3);
    let mut a = h.msg("alerts", "cron", "NDW ETL failed");
    a.event_id = Some("$alert2".into());
    h.svc.handle(a.clone()).await;
    h.svc.handle(a).await;
    assert_eq!(h.incident(inc.id).alert_count, 2);
}

fn hook_alert(kind: crate::alert::payload::HookKind, fixture: &str, now: DateTime<Utc>) -> Vec<crate::alert::Alert> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hooks")
        .join(fixture);
    kind.decode(&std::fs::read(p).unwrap(), now).unwrap()
}

async fn ingest_all(h: &Harness, alerts: &[crate::alert::Alert]) -> Vec<(Outcome, Vec<Notice>)> {
    let mut out = Vec::new();
    for a in alerts {
        out.push(h.svc.ingest(a, None).await.unwrap());
    }
    out
}

#[tokio::test]
async fn webhook_group_opens_once_resends_change_nothing_and_resolution_is_proposed() {
    use crate::alert::payload::HookKind::Alertmanager;
    let mut h = harness();
    h.svc = Arc::new(
        IncidentService::new(h.svc.store().clone(), RuleSet::default(), h.svc.tz(), h.clock.clone())
            .with_platforms(vec!["matrix".into(), "slack".into()]),
    );
    let now = h.clock.now();
    let firing = hook_alert(Alertmanager, "alertmanager-firing.json", now);
    let r = ingest_all(&h, &firing).await;
    assert_eq!((r[0].0, r[1].0), (Outcome::Opened, Outcome::Attached));
    let Notice::Opened { incident, .. } = &r[0].1[0] else {
        panic!("{:?}", r[0].1)
    };
    let id = incident.id;
    assert_eq!(
        incident.open_in,
        ["matrix", "slack"],
        "webhook default: every configured platform"
    );
    assert_eq!(incident.title, "NDWEtlFailed");
    assert_eq!(incident.severity, Severity::Sev1);
    // Alertmanager re-sends the same group (repeat_interval, retries): nothing changes.
    let entries_before = h.svc.store().entries(id).unwrap().len();
    let again = ingest_all(&h, &firing).await;
    assert!(
        again.iter().all(|(o, n)| *o == Outcome::Duplicate && n.is_empty()),
        "{again:?}"
    );
    assert_eq!(h.incident(id).alert_count, 2);
    assert_eq!(h.svc.store().entries(id).unwrap().len(), entries_before);

    let one = hook_alert(Alertmanager, "alertmanager-resolved-one.json", now);
    let r = ingest_all(&h, &one).await;
    assert_eq!((r[0].0, r[1].0), (Outcome::Resolved, Outcome::Duplicate));
    assert!(
        matches!(&r[0].1[..], [Notice::AlertNews { line, .. }] if line.contains("resolved")),
        "{:?}",
        r[0].1
    );
    assert!(
        h.svc
            .store()
            .entries(id)
            .unwrap()
            .iter()
            .any(|e| e.text.contains("(1 still firing)"))
    );
    let all = hook_alert(Alertmanager, "alertmanager-resolved-all.json", now);
    let r = ingest_all(&h, &all).await;
    assert_eq!((r[0].0, r[1].0), (Outcome::Duplicate, Outcome::Resolved));
    assert!(
        matches!(&r[1].1[..], [Notice::AlertNews { .. }, Notice::ProposeResolve { incident, alerts: 2 }] if *incident == id),
        "{:?}",
        r[1].1
    );
    // Proposed, not done: the incident is still open until someone resolves it.
    assert_eq!(h.incident(id).status, Status::Investigating);
    let r = ingest_all(&h, &all).await;
    assert!(r.iter().all(|(o, _)| *o == Outcome::Duplicate));
    // A "resolved" for a group with no open incident changes nothing.
    let grafana = hook_alert(crate::alert::payload::HookKind::Grafana, "grafana-resolved.json", now);
    assert_eq!(ingest_all(&h, &grafana).await[0].0, Outcome::Ignored);
    assert_eq!(h.svc.store().incidents(true).unwrap().len(), 1);
}

#[tokio::test]
async fn an_alert_storm_is_counted_not_listed() {
    let h = harness();
    let base = hook_alert(
        crate::alert::payload::HookKind::Generic,
        "generic-firing.json",
        h.clock.now(),
    );
    for n in 0..(crate::domain::MAX_LISTED_ALERTS + 50) {
        let mut a = base[0].clone();
        a.key = Some(format!("disk-{n}"));
        h.svc.ingest(&a, None).await.unwrap();
    }
    let inc = &h.svc.store().incidents(false).unwrap()[0];
    assert_eq!(inc.alert_count, crate::domain::MAX_LISTED_ALERTS + 50);
    let entries = h.svc.store().entries(inc.id).unwrap();
    let listed = entries.iter().filter(|e| e.text.starts_with("alert firing")).count() as u64;
    assert_eq!(
        listed,
        crate::domain::MAX_LISTED_ALERTS - 1,
        "the first opened the incident"
    );
    assert!(entries.iter().any(|e| e.text.contains("further ones are counted")));
}

#[tokio::test]
async fn times_from_outside_are_kept_within_the_years_a_backup_accepts() {
    let h = harness();
    // A webhook's startsAt and a chat message's platform time at chrono's limits.
    let body = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hooks/generic-firing.json"),
    )
    .unwrap()
    .replace("\"status\"", "\"at\": \"-262143-01-01T00:00:00Z\", \"status\"");
    let alerts = crate::alert::payload::HookKind::Generic
        .decode(body.as_bytes(), h.svc.now())
        .unwrap();
    assert_eq!(alerts[0].at, DateTime::<Utc>::MIN_UTC);
    let (outcome, _) = h.svc.ingest(&alerts[0], None).await.unwrap();
    assert_eq!(outcome, Outcome::Opened);
    let mut msg = h.msg("alerts", "alice", "/incident declare far future");
    msg.at = DateTime::<Utc>::MAX_UTC;
    h.svc.handle(msg).await;
    let (first, last) = crate::domain::time_range();
    for inc in h.svc.store().incidents(true).unwrap() {
        inc.check_invariants().unwrap();
        for t in inc.milestones.values().chain([&inc.declared_at]) {
            assert!(first <= *t && *t <= last, "{} {t}", inc.id);
        }
        for e in h.svc.store().entries(inc.id).unwrap() {
            e.check_invariants().unwrap();
        }
    }
    assert_eq!(h.svc.store().incidents(true).unwrap().len(), 2);
    // And so a backup of them restores.
    let mut buf = Vec::new();
    h.svc.store().backup(&mut buf, h.svc.now()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    crate::store::restore(dir.path(), &buf[..], false).unwrap();
}
