//! Tests of the incident module (service_tests).
use std::sync::Mutex;

use chrono::{Duration, TimeZone};

use super::*;
use crate::config::{Config, DEFAULT_CONFIG};
use crate::domain::{Milestone, Platform, Severity, Status};

pub(super) struct ManualClock(pub(super) Mutex<DateTime<Utc>>);

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

pub(super) struct Harness {
    pub(super) svc: Arc<IncidentService>,
    pub(super) clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

pub(super) fn harness() -> Harness {
    harness_with("")
}

/// A harness whose service has the shipped rules and the `[access]` and `[postmortem]` of the
/// config `extra`.
pub(super) fn harness_with(extra: &str) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), "test").unwrap();
    let rules = Config::from_parts(DEFAULT_CONFIG, "shipped", Vec::new())
        .unwrap()
        .rules()
        .unwrap();
    let config = Config::from_parts(extra, "test", Vec::new()).unwrap();
    let clock = Arc::new(ManualClock(Mutex::new(
        Utc.with_ymd_and_hms(2026, 11, 20, 13, 20, 0).unwrap(),
    )));
    let tz: Tz = "Europe/London".parse().unwrap();
    Harness {
        svc: Arc::new(
            IncidentService::new(store, rules, tz, clock.clone())
                .with_access(&config.access)
                .with_postmortem(config.postmortem().unwrap())
                .with_reminders(config.reminders.rules().unwrap()),
        ),
        clock,
        _dir: dir,
    }
}

impl Harness {
    pub(super) fn advance(&self, minutes: i64) {
        *self.clock.0.lock().unwrap() += Duration::minutes(minutes);
    }
    fn advance_secs(&self, secs: i64) {
        *self.clock.0.lock().unwrap() += Duration::seconds(secs);
    }
    pub(super) fn msg(&self, room: &str, who: &str, text: &str) -> Inbound {
        Inbound {
            source: Source::Console,
            room: format!("console:{room}"),
            room_names: vec![room.to_string()],
            alert_room: room == "alerts",
            author: Person::new(who, who),
            text: text.into(),
            event_id: None,
            at: self.clock.now(),
            standing: Default::default(),
        }
    }
    pub(super) async fn say(&self, room: &str, who: &str, text: &str) -> Vec<Notice> {
        self.svc.handle(self.msg(room, who, text)).await
    }
    /// Opens an incident from an alert and binds its console room, like the console adapter.
    pub(super) async fn open(&self, text: &str) -> Incident {
        let n = self.say("alerts", "cron", text).await;
        let Some(Notice::Opened { incident, .. }) = n.into_iter().next() else {
            panic!("no incident opened")
        };
        self.svc
            .bind_room(incident.id, &format!("console:{}", incident.slug).parse().unwrap())
            .await
            .unwrap()
    }
    pub(super) fn reply(n: &[Notice]) -> String {
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
    pub(super) fn incident(&self, id: IncidentId) -> Incident {
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
    assert_eq!(got.actions[0].fields.owners, vec!["@bob".to_string()]);
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
        .bind_room(incident.id, &"console:inc-1-checkout-slow".parse().unwrap())
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

/// A notification's alerts, applied as the webhook receivers do: one transaction.
async fn ingest_all(h: &Harness, alerts: &[crate::alert::Alert]) -> Vec<(Outcome, Vec<Notice>)> {
    let applied = h.svc.ingest_all(alerts).await.unwrap();
    applied.into_iter().map(|a| (a.outcome, a.notices)).collect()
}

#[tokio::test]
async fn webhook_group_opens_once_resends_change_nothing_and_resolution_is_proposed() {
    use crate::alert::payload::HookKind::Alertmanager;
    let mut h = harness();
    h.svc = Arc::new(
        IncidentService::new(h.svc.store().clone(), RuleSet::default(), h.svc.tz(), h.clock.clone())
            .with_platforms(vec![Platform::Matrix, Platform::Slack]),
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
async fn an_entry_edited_by_someone_else_names_the_editor_and_keeps_the_previous_text() {
    let h = harness();
    let inc = h.open("NDW ETL failed").await;
    let room = inc.slug.clone();
    h.advance(5);
    h.say(&room, "alice", "/timeline 13:22 restarted docker").await;
    h.say(&room, "alice", "/timeline 13:23 looked at the wrong host").await;
    h.say(&room, "alice", "/postmortem impact API stale").await;
    h.advance(5);
    let r = Harness::reply(&h.say(&room, "bob", "/timeline edit 3 restarted docker on etl-1").await);
    assert!(
        r.contains("now reads: 2026-11-20 13:22 GMT: restarted docker on etl-1"),
        "{r}"
    );
    let r = Harness::reply(&h.say(&room, "bob", "/timeline edit 3 restarted docker on etl-1").await);
    assert!(r.contains("already reads that"), "{r}");
    h.say(&room, "bob", "/timeline delete 4").await;
    h.say(&room, "bob", "/postmortem impact --replace NDW data 50 minutes stale")
        .await;

    let entries = h.svc.store().entries(inc.id).unwrap();
    let edited = &entries[2];
    assert_eq!(
        (edited.author.name.as_str(), edited.text.as_str()),
        ("alice", "restarted docker on etl-1")
    );
    assert_eq!(edited.edits.len(), 1, "the refused edit is not in the history");
    let e = &edited.edits[0];
    assert_eq!(
        (e.by.name.as_str(), e.at, e.previous_text.as_str()),
        ("bob", h.clock.now(), "restarted docker")
    );
    let deleted = entries[3].deleted.as_ref().unwrap();
    assert_eq!(
        (deleted.by.name.as_str(), deleted.previous_text.as_str()),
        ("bob", "looked at the wrong host")
    );

    let list = Harness::reply(&h.say(&room, "carol", "/timeline list").await);
    assert!(
        list.contains("alice: restarted docker on etl-1 (edited by bob at 2026-11-20 13:30 GMT)"),
        "{list}"
    );
    assert!(!list.contains("wrong host"), "{list}");

    // The JSON export holds the whole history: edits, the deleted entry and the replaced text.
    let json: serde_json::Value =
        serde_json::from_str(&h.svc.export(inc.id, ExportFormat::Json).unwrap().content).unwrap();
    let row = json["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["seq"] == 3)
        .unwrap();
    assert_eq!(row["author"]["name"], "alice");
    assert_eq!(row["edited_by"]["name"], "bob");
    assert_eq!(row["edited_at"], "2026-11-20T13:30:00Z");
    assert_eq!(row["edits"][0]["previous_text"], "restarted docker");
    assert_eq!(row["edits"][0]["by"]["name"], "bob");
    assert!(json["timeline"].as_array().unwrap().iter().all(|r| r["seq"] != 4));
    assert_eq!(json["deleted_entries"][0]["seq"], 4);
    assert_eq!(json["deleted_entries"][0]["deleted"]["by"]["name"], "bob");
    assert_eq!(
        json["deleted_entries"][0]["deleted"]["previous_text"],
        "looked at the wrong host"
    );
    let impact = json["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "impact")
        .unwrap();
    assert_eq!(impact["items"][0]["text"], "NDW data 50 minutes stale");
    assert_eq!(impact["replaced"][0]["by"]["name"], "bob");
    assert_eq!(impact["replaced"][0]["previous"][0]["text"], "API stale");

    // The drafts say who edited, and leave the deleted entry out.
    let md = h.svc.export(inc.id, ExportFormat::Markdown).unwrap().content;
    assert!(
        md.contains("— alice: restarted docker on etl-1 _(edited by bob at 2026-11-20 13:30 GMT)_\n"),
        "{md}"
    );
    assert!(md.contains("_(replaced by bob at 2026-11-20 13:30 GMT)_"), "{md}");
    assert!(!md.contains("wrong host"), "{md}");
    let html = h.svc.export(inc.id, ExportFormat::Html).unwrap().content;
    assert!(
        html.contains(
            "<td>alice</td><td>restarted docker on etl-1 <span class=\"by\">(edited by bob at 2026-11-20 13:30 GMT)</span></td>"
        ),
        "{html}"
    );
    assert!(html.contains("(replaced by bob at 2026-11-20 13:30 GMT)"), "{html}");
    assert!(!html.contains("wrong host"), "{html}");
}

/// A service whose webhook alerts match the rule `rule` (generic source, grouped by the
/// alert's fingerprint), with at most `limit` openings a minute.
fn storm_service(store: Store, clock: Arc<ManualClock>, rule: &str, limit: u32) -> IncidentService {
    let toml = format!("[[alerts.rules]]\nname = \"{rule}\"\nsources = [\"generic\"]\n");
    let rules = Config::from_parts(&toml, "test.toml", Vec::new())
        .unwrap()
        .rules()
        .unwrap();
    IncidentService::new(store, rules, chrono_tz::UTC, clock)
        .with_platforms(vec![Platform::Slack])
        .with_max_openings_per_minute(limit)
}

/// A harness whose service opens at most `limit` incidents a minute for the generic-webhook
/// rule `rule`, and a generic webhook alert to vary with `fingerprinted`.
fn storm_harness(rule: &str, limit: u32) -> (Harness, crate::alert::Alert) {
    let mut h = harness();
    h.svc = Arc::new(storm_service(h.svc.store().clone(), h.clock.clone(), rule, limit));
    let base = hook_alert(
        crate::alert::payload::HookKind::Generic,
        "generic-firing.json",
        h.clock.now(),
    )[0]
    .clone();
    (h, base)
}

/// A generic webhook alert with its own fingerprint `fp`.
fn fingerprinted(base: &crate::alert::Alert, fp: &str) -> crate::alert::Alert {
    let mut a = base.clone();
    a.title = Some(format!("Disk full on {fp}"));
    a.key = Some(fp.to_string());
    a.group = Some(fp.to_string());
    a
}

/// `n` alerts `disk-0`… with fingerprints of their own, all in `group`.
fn grouped(base: &crate::alert::Alert, group: &str, n: usize) -> Vec<crate::alert::Alert> {
    (0..n)
        .map(|i| {
            let mut a = fingerprinted(base, &format!("disk-{i}"));
            a.group = Some(group.into());
            a
        })
        .collect()
}

fn storm_incident(h: &Harness) -> Incident {
    let storms: Vec<Incident> = h
        .svc
        .store()
        .incidents(true)
        .unwrap()
        .into_iter()
        .filter(|i| i.storm.is_some())
        .collect();
    assert_eq!(storms.len(), 1, "{storms:?}");
    storms.into_iter().next().unwrap()
}

/// Log lines written while the returned guard lives (this thread; tests run on one).
fn capture_logs() -> (Arc<Mutex<Vec<u8>>>, tracing::subscriber::DefaultGuard) {
    #[derive(Clone)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Arc::new(Mutex::new(Vec::new()));
    let sink = Sink(buf.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || sink.clone())
        .finish();
    (buf, tracing::subscriber::set_default(subscriber))
}

#[tokio::test]
async fn an_alert_storm_joins_one_incident_and_the_next_minute_opens_again() {
    let (logs, _guard) = capture_logs();
    let (h, base) = storm_harness("storm-minute", 10);
    let burst: Vec<_> = (0..25).map(|n| fingerprinted(&base, &format!("db-{n}"))).collect();
    let mut opened = Vec::new();
    let mut storm_notices = Vec::new();
    for (n, a) in burst.iter().enumerate() {
        h.advance_secs(2);
        let (outcome, notices) = h.svc.ingest(a, None).await.unwrap();
        let want = if n < 10 { Outcome::Opened } else { Outcome::Storm };
        assert_eq!(outcome, want, "alert {n}");
        if outcome == Outcome::Opened {
            opened.push(notices);
        } else {
            storm_notices.push(notices);
        }
    }
    // 10 incidents of their own, then one alert-storm incident holding the other 15.
    let all = h.svc.store().incidents(true).unwrap();
    assert_eq!(all.len(), 11);
    let storm = storm_incident(&h);
    assert_eq!(storm.title, "Alert storm: rule storm-minute");
    assert_eq!((storm.alert_count, storm.alerts.len()), (15, 15));
    assert_eq!(storm.storm_fingerprints.len(), 15);
    assert_eq!(storm.open_in, ["slack"]);
    assert!(
        matches!(&storm_notices[0][..], [Notice::Opened { incident, announcement, .. }]
            if incident.id == storm.id && announcement.contains("Alert storm: rule storm-minute opened more incidents")),
        "the storm incident gets one room: {:?}",
        storm_notices[0]
    );
    assert!(
        storm_notices[1..]
            .iter()
            .all(|n| matches!(&n[..], [Notice::AlertNews { incident, .. }] if *incident == storm.id))
    );
    // Every alert is on the storm incident's timeline, as an attached alert would be.
    let entries = h.svc.store().entries(storm.id).unwrap();
    assert!(entries[0].text.contains("Disk full on db-10"), "{:?}", entries[0]);
    for n in 11..25 {
        assert!(
            entries
                .iter()
                .any(|e| e.text.starts_with("alert firing") && e.text.contains(&format!("Disk full on db-{n}:"))),
            "db-{n} missing: {entries:?}"
        );
    }
    // The log says so once for the storm, not once per alert.
    let log = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    let warns: Vec<&str> = log.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warns.len(), 1, "{log}");
    assert!(
        warns[0].contains("alert storm: rule storm-minute opened 10 incidents within a minute")
            && warns[0].contains(&format!("join {}", storm.id)),
        "{log}"
    );
    let metrics = crate::telemetry::metrics().render(&[]);
    assert!(
        metrics.contains("warroom_alert_storm_alerts_total{source=\"generic\",rule=\"storm-minute\"} 15\n"),
        "{metrics}"
    );

    // Re-sent notifications change nothing, whether they went to an incident or the storm.
    for a in &burst {
        assert_eq!(h.svc.ingest(a, None).await.unwrap().0, Outcome::Duplicate);
    }
    assert_eq!(h.svc.store().incidents(true).unwrap().len(), 11);
    assert_eq!(storm_incident(&h).alert_count, 15);
    // A new alert of a group in the storm finds the storm incident.
    let mut more = fingerprinted(&base, "db-20");
    more.key = Some("db-20-second".into());
    assert_eq!(h.svc.ingest(&more, None).await.unwrap().0, Outcome::Attached);
    assert_eq!(storm_incident(&h).alert_count, 16);

    // A minute later, new alerts open incidents of their own again.
    h.advance(1);
    let (outcome, notices) = h.svc.ingest(&fingerprinted(&base, "db-99"), None).await.unwrap();
    assert_eq!(outcome, Outcome::Opened);
    assert!(matches!(&notices[..], [Notice::Opened { incident, .. }] if incident.storm.is_none()));
    assert_eq!(h.svc.store().incidents(true).unwrap().len(), 12);
}

#[tokio::test]
async fn rules_and_sources_have_their_own_limits_and_people_are_not_limited() {
    let (h, base) = storm_harness("storm-own", 2);
    for n in 0..3 {
        h.svc
            .ingest(&fingerprinted(&base, &format!("x-{n}")), None)
            .await
            .unwrap();
    }
    assert_eq!(storm_incident(&h).alert_count, 1);
    // Alertmanager alerts match no rule: their source has its own window.
    let am = hook_alert(
        crate::alert::payload::HookKind::Alertmanager,
        "alertmanager-firing.json",
        h.clock.now(),
    );
    assert_eq!(h.svc.ingest(&am[0], None).await.unwrap().0, Outcome::Opened);
    // Declarations typed by people open incidents whatever the storm.
    for n in 0..3 {
        let n = h.say("alerts", "alice", &format!("/incident declare Manual {n}")).await;
        assert!(matches!(&n[..], [Notice::Opened { .. }]), "{n:?}");
    }
}

#[tokio::test]
async fn an_alert_storm_incident_survives_a_restart() {
    let (h, base) = storm_harness("storm-restart", 3);
    let burst: Vec<_> = (0..6).map(|n| fingerprinted(&base, &format!("r-{n}"))).collect();
    for a in &burst {
        h.svc.ingest(a, None).await.unwrap();
    }
    let storm = storm_incident(&h);
    assert_eq!(storm.alert_count, 3);

    // Restart within the same minute: the store is reopened by a new service.
    let Harness { svc, clock, _dir } = h;
    drop(svc);
    let store = Store::open(_dir.path(), "test").unwrap();
    let h = Harness {
        svc: Arc::new(storm_service(store, clock.clone(), "storm-restart", 3)),
        clock,
        _dir,
    };
    assert_eq!(storm_incident(&h), storm, "the storm incident is durable");
    // Re-sent alerts are still duplicates, and the window still counts the openings before
    // the restart: a new alert joins the storm instead of opening a room.
    for a in &burst {
        assert_eq!(h.svc.ingest(a, None).await.unwrap().0, Outcome::Duplicate);
    }
    let (outcome, notices) = h.svc.ingest(&fingerprinted(&base, "r-new"), None).await.unwrap();
    assert_eq!(outcome, Outcome::Storm);
    assert!(matches!(&notices[..], [Notice::AlertNews { incident, .. }] if *incident == storm.id));
    assert_eq!(storm_incident(&h).alert_count, 4);
    assert_eq!(h.svc.store().incidents(true).unwrap().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_alerts_in_a_storm_open_the_limit_and_one_storm_incident() {
    let (h, base) = storm_harness("storm-concurrent", 5);
    let mut tasks = Vec::new();
    for n in 0..30 {
        let (svc, a) = (h.svc.clone(), fingerprinted(&base, &format!("c-{n}")));
        tasks.push(tokio::spawn(async move { svc.ingest(&a, None).await.unwrap().0 }));
    }
    let mut outcomes = std::collections::BTreeMap::new();
    for t in tasks {
        *outcomes.entry(t.await.unwrap().as_str()).or_insert(0) += 1;
    }
    assert_eq!(outcomes, [("opened", 5), ("storm", 25)].into());
    assert_eq!(h.svc.store().incidents(true).unwrap().len(), 6);
    let storm = storm_incident(&h);
    assert_eq!((storm.alert_count, storm.storm_fingerprints.len()), (25, 25));
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

#[tokio::test]
async fn a_notifications_alerts_are_stored_together_or_not_at_all() {
    let (h, base) = storm_harness("atomic", 10);
    // INC-1 holds db-5; then its stored record is damaged, so the alert that joins it fails.
    ingest_all(&h, &[fingerprinted(&base, "db-5")]).await;
    let good = h.svc.store().raw_incident(IncidentId(1)).unwrap();
    h.svc.store().put_raw_incident(IncidentId(1), b"{not json");
    let alerts: Vec<_> = (0..10).map(|n| fingerprinted(&base, &format!("db-{n}"))).collect();
    let (done, err) = h.svc.ingest_all(&alerts).await.unwrap_err();
    assert!(
        done.is_empty(),
        "one transaction: nothing before the failure is reported done"
    );
    assert!(matches!(err, ServiceError::Fault { .. }), "{err:?}");
    // Nothing of the notification was stored: not the five alerts before the failing one
    // either (each would have opened an incident).
    h.svc.store().put_raw_incident(IncidentId(1), &good);
    let ids: Vec<u64> = h.svc.store().incidents(true).unwrap().iter().map(|i| i.id.0).collect();
    assert_eq!(ids, [1]);
    // The openings it reserved were given back: sent again, nine open (with INC-1, ten in the
    // minute, the limit) and none joins an alert storm.
    let r = ingest_all(&h, &alerts).await;
    let opened = r.iter().filter(|(o, _)| *o == Outcome::Opened).count();
    assert_eq!(opened, 9, "{:?}", r.iter().map(|r| r.0).collect::<Vec<_>>());
    assert_eq!(r[5].0, Outcome::Duplicate, "db-5 is INC-1's own alert");
    let ids: Vec<u64> = h.svc.store().incidents(true).unwrap().iter().map(|i| i.id.0).collect();
    assert_eq!(
        ids,
        (1..=10).collect::<Vec<_>>(),
        "the failed notification used up no incident id"
    );
}

#[tokio::test]
async fn a_storm_begun_by_a_notification_that_failed_is_logged_when_it_is_stored() {
    let (logs, _guard) = capture_logs();
    let (h, base) = storm_harness("retried", 2);
    ingest_all(&h, &[fingerprinted(&base, "db-0"), fingerprinted(&base, "db-1")]).await;
    // INC-1's record is damaged: the notification fails whole, though its two alerts over the
    // limit began the storm when it was planned.
    let good = h.svc.store().raw_incident(IncidentId(1)).unwrap();
    h.svc.store().put_raw_incident(IncidentId(1), b"{not json");
    let notification = [
        fingerprinted(&base, "db-2"),
        fingerprinted(&base, "db-3"),
        fingerprinted(&base, "db-0"),
    ];
    h.svc.ingest_all(&notification).await.unwrap_err();
    let warned = || {
        let log = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
        log.lines()
            .filter(|l| l.contains("WARN") && l.contains("alert storm:"))
            .count()
    };
    assert_eq!(warned(), 0);
    // Sent again once the record is mended: the storm begins now, and the log says so.
    h.svc.store().put_raw_incident(IncidentId(1), &good);
    let r = ingest_all(&h, &notification).await;
    let outcomes: Vec<Outcome> = r.iter().map(|r| r.0).collect();
    assert_eq!(outcomes[..2], [Outcome::Storm, Outcome::Storm], "{outcomes:?}");
    assert_eq!(warned(), 1, "the storm began without a word in the log");
    // Further storm alerts say nothing more.
    ingest_all(&h, &[fingerprinted(&base, "db-4")]).await;
    assert_eq!(warned(), 1);
}

#[tokio::test]
async fn an_alert_that_cannot_open_an_incident_is_refused_and_the_others_are_stored() {
    let (h, base) = storm_harness("refusal", 20);
    let mut alerts: Vec<_> = (0..10).map(|n| fingerprinted(&base, &format!("db-{n}"))).collect();
    // The fourth alert has no title and no text to name an incident by.
    alerts[3].title = Some(String::new());
    alerts[3].text.clear();
    let r = h.svc.ingest_all(&alerts).await.unwrap();
    assert_eq!(r[3].outcome, Outcome::Refused);
    assert!(
        r[3].refused.as_deref().unwrap().contains("could not open an incident"),
        "{:?}",
        r[3]
    );
    assert!(r[3].notices.is_empty());
    assert!(
        r.iter()
            .enumerate()
            .all(|(i, a)| i == 3 || (a.outcome == Outcome::Opened && a.refused.is_none()))
    );
    let ids: Vec<u64> = h.svc.store().incidents(true).unwrap().iter().map(|i| i.id.0).collect();
    assert_eq!(
        ids,
        (1..=9).collect::<Vec<_>>(),
        "the refused alert used up no incident id"
    );
    // Alone, the same alert is refused with the reason, as a chat alert would be.
    let err = h.svc.ingest(&alerts[3], None).await.unwrap_err();
    assert!(matches!(err, ServiceError::Refused(_)), "{err:?}");
}

#[tokio::test]
async fn a_large_notification_is_applied_a_transaction_at_a_time() {
    // More alerts than one transaction takes, all of one group: one incident, every alert
    // counted once, in order.
    let (h, base) = storm_harness("large", 10);
    let n = super::alerts::ALERTS_PER_TRANSACTION * 2 + 7;
    let alerts: Vec<_> = (0..n)
        .map(|i| {
            let mut a = fingerprinted(&base, &format!("disk-{i}"));
            a.group = Some("disks".into());
            a
        })
        .collect();
    let r = ingest_all(&h, &alerts).await;
    assert_eq!(r.len(), n);
    assert_eq!(r[0].0, Outcome::Opened);
    assert!(r[1..].iter().all(|(o, _)| *o == Outcome::Attached));
    let all = h.svc.store().incidents(true).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].alert_count as usize, n);
}

#[tokio::test]
async fn alerts_of_one_notification_see_the_ones_before_them() {
    // Ten alerts of one group in one notification: the first opens the incident and the
    // other nine join it, inside the same transaction; a repeat changes nothing.
    let (h, base) = storm_harness("one-group", 2);
    let alerts = grouped(&base, "disks", 10);
    let r = ingest_all(&h, &alerts).await;
    let outcomes: Vec<Outcome> = r.iter().map(|r| r.0).collect();
    assert_eq!(outcomes[0], Outcome::Opened);
    assert!(outcomes[1..].iter().all(|o| *o == Outcome::Attached), "{outcomes:?}");
    let all = h.svc.store().incidents(true).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!((all[0].alert_count, all[0].alerts.len()), (10, 10));
    assert!(ingest_all(&h, &alerts).await.iter().all(|r| r.0 == Outcome::Duplicate));
    // Over the opening limit (2 per minute, one taken by the disks incident) in one
    // notification: one opens, the rest storm,
    // and a resolve of an alert opened earlier in the same notification finds it.
    let mut storm: Vec<_> = (0..5).map(|n| fingerprinted(&base, &format!("net-{n}"))).collect();
    let mut resolved = storm[0].clone();
    resolved.status = crate::alert::AlertStatus::Resolved;
    storm.push(resolved);
    let r = ingest_all(&h, &storm).await;
    let outcomes: Vec<Outcome> = r.iter().map(|r| r.0).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Opened,
            Outcome::Storm,
            Outcome::Storm,
            Outcome::Storm,
            Outcome::Storm,
            Outcome::Resolved
        ],
        "the disks incident is the first opening of the minute"
    );
}

#[tokio::test]
async fn in_a_storm_too_big_to_index_a_repeated_alert_still_joins_the_storm() {
    // Limit 1: the first alert opens an incident, every other one joins the storm incident,
    // which tracks at most MAX_TRACKED_ALERTS fingerprints.
    let (h, base) = storm_harness("huge-storm", 1);
    let first: Vec<_> = (0..crate::domain::MAX_TRACKED_ALERTS + 2)
        .map(|n| fingerprinted(&base, &format!("host-{n}")))
        .collect();
    ingest_all(&h, &first).await;
    assert_eq!(h.svc.store().incidents(true).unwrap().len(), 2);
    // A new group of two alerts in one notification: its fingerprint is not indexed (the storm
    // incident is full), so the second alert must not open an incident of its own.
    let group = grouped(&base, "new-group", 2);
    let r = ingest_all(&h, &group).await;
    assert_eq!(
        r.iter().map(|r| r.0).collect::<Vec<_>>(),
        [Outcome::Storm, Outcome::Storm]
    );
    assert_eq!(
        h.svc.store().incidents(true).unwrap().len(),
        2,
        "no incident outside the storm"
    );
}

#[tokio::test]
async fn a_refused_alert_with_an_event_id_is_not_taken_as_handled() {
    // A platform delivery that the domain refuses keeps nothing, not even its event id: a
    // redelivery is refused again with the reason, not dropped as a duplicate.
    let (h, base) = storm_harness("refused-event", 10);
    let mut bad = fingerprinted(&base, "db-1");
    bad.title = Some(String::new());
    bad.text.clear();
    for _ in 0..2 {
        let err = h.svc.ingest(&bad, Some("$event-1")).await.unwrap_err();
        assert!(matches!(err, ServiceError::Refused(_)), "{err:?}");
    }
}
