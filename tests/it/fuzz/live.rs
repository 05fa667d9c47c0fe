//! Random sessions through the service (commands, alerts, webhooks with odd times, clock
//! steps), then a backup and a restore: what warroom records, restore must accept.

use super::*;

/// A line a responder might type (mostly well-formed, with edge values), or a clock step.
#[derive(Debug, Clone)]
enum Step {
    /// A message in the alert room (an alert line or a command).
    Alerts(String),
    /// A message in the newest incident's room.
    Incident(String),
    /// A webhook notification: a fixture with its times replaced.
    Webhook(usize, &'static str),
    /// Move the clock (minutes; may go back).
    Clock(i64),
}

const TIMES: &[&str] = &[
    "",
    "13:25",
    "00:00",
    "23:59",
    "2026-11-20 09:00",
    "2026-11-19T23:00Z",
    "0000-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "2026-11-21T13:00Z",
    "1970-01-01T00:00Z",
];

fn incident_line() -> impl Strategy<Value = String> {
    let text = select(vec!["restarted docker", "x", "we're \"fine\"", "🚨 <!channel>", "a\nb"]);
    let big = (0..3usize).prop_map(|k| "y".repeat([1, 7_999, 8_000][k]));
    prop_oneof![
        (select(TIMES), text.clone()).prop_map(|(w, t)| format!("/timeline {w} {t}")),
        big.prop_map(|t| format!("/timeline {t}")),
        (1..12u32, text.clone()).prop_map(|(n, t)| format!("/timeline edit {n} {t}")),
        (1..12u32).prop_map(|n| format!("/timeline delete {n}")),
        (
            select(vec!["started", "detected", "acknowledged", "mitigated", "resolved"]),
            select(TIMES)
        )
            .prop_map(|(m, w)| format!("/incident milestone {m} {w}")),
        select(vec!["investigating", "identified", "monitoring", "resolved"])
            .prop_map(|s| format!("/incident status {s} note")),
        select(TIMES).prop_map(|w| format!("/incident resolve {w}")),
        select(vec![
            "/incident close",
            "/incident reopen",
            "/incident sev 1",
            "/incident sev low",
            "/incident lead @bob",
            "/incident role scribe @carol",
            "/incident role db-expert @dan",
            "/incident affects api, web,,db",
            "/action fix it @bob",
            "/action check",
            "/postmortem summary it broke",
            "/postmortem root-cause --replace disk",
            "/incident show",
            "/timeline list"
        ])
        .prop_map(str::to_string),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => select(vec!["NDW ETL failed", "API is down", "CRITICAL: disk full", "/incident declare DB down --sev 2",
            "/incident declare \"x\"", "/backup failed"]).prop_map(|s| Step::Alerts(s.to_string())),
        6 => incident_line().prop_map(Step::Incident),
        1 => (any::<usize>(), select(vec!["2026-11-20T13:00:00Z", "-262143-01-01T00:00:00Z", "+262142-01-01T00:00:00Z", "0001-01-01T00:00:00Z"]))
            .prop_map(|(i, t)| Step::Webhook(i, t)),
        1 => select(vec![-600i64, -3, 1, 5, 60, 1440]).prop_map(Step::Clock),
    ]
}

struct TestClock(std::sync::Mutex<DateTime<Utc>>);

impl warroom::service::Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

async fn live_session(dir: &std::path::Path, steps: &[Step]) -> Result<(), TestCaseError> {
    use warroom::domain::{Person, Source};
    use warroom::service::{Inbound, Notice};
    let clock = std::sync::Arc::new(TestClock(std::sync::Mutex::new(now())));
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/warroom.toml")).unwrap();
    let config = warroom::config::Config::from_parts(&text, "config", Vec::new()).unwrap();
    let app = warroom::app::App::build(
        warroom::settings::Settings::local(config).unwrap(),
        &dir.join("data"),
        "fuzz",
        clock.clone(),
    )
    .unwrap();
    let svc = app.service.clone();
    let fixture = |name: &str| {
        std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/hooks")
                .join(name),
        )
        .unwrap()
    };
    let (am, generic) = (fixture("alertmanager-firing.json"), fixture("generic-firing.json"));
    let mut room = "console:alerts".to_string();
    for s in steps {
        let (in_room, line) = match s {
            Step::Clock(m) => {
                *clock.0.lock().unwrap() += chrono::Duration::minutes(*m);
                continue;
            }
            Step::Webhook(i, t) => {
                let (kind, body) = match i % 2 {
                    0 => (HookKind::Alertmanager, am.replace("2026-11-20T13:20:00Z", t)),
                    _ => (
                        HookKind::Generic,
                        generic.replacen('{', &format!("{{\"at\": \"{t}\","), 1),
                    ),
                };
                if let Ok(alerts) = kind.decode(body.as_bytes(), svc.now()) {
                    for a in alerts {
                        let _ = svc.ingest(&a, None).await;
                    }
                }
                continue;
            }
            Step::Alerts(l) => ("console:alerts".to_string(), l.clone()),
            Step::Incident(l) => (room.clone(), l.clone()),
        };
        let msg = Inbound {
            source: Source::Console,
            room: in_room,
            room_names: vec!["alerts".into()],
            alert_room: matches!(s, Step::Alerts(_)),
            author: Person::new("alice", "alice"),
            text: line,
            event_id: None,
            at: svc.now(),
            standing: Default::default(),
        };
        for n in svc.handle(msg).await {
            if let Notice::Opened { incident, .. } = n {
                room = format!("console:{}", incident.slug);
                svc.bind_room(incident.id, &room.parse().unwrap()).await.unwrap();
            }
        }
    }
    let mut backup = Vec::new();
    svc.store().backup(&mut backup, svc.now()).unwrap();
    drop((svc, app));
    let restored = warroom::store::restore(&dir.join("copy"), &backup[..], false);
    prop_assert!(
        restored.is_ok(),
        "what warroom recorded, restore refuses: {}",
        restored.unwrap_err()
    );
    Ok(())
}

fn fuzz_live_n(cases: u32) {
    let root = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let n = Cell::new(0u64);
    fuzz(
        "live session, then backup and restore",
        cases,
        proptest::collection::vec(step(), 1..40),
        |steps| {
            n.set(n.get() + 1);
            let dir = root.path().join(format!("s{}", n.get()));
            let r = rt.block_on(live_session(&dir, &steps));
            let _ = std::fs::remove_dir_all(&dir);
            r
        },
    );
}

#[test]
fn fuzz_live_backups_restore() {
    fuzz_live_n(25);
}

#[test]
#[ignore = "long run: WARROOM_FUZZ_CASES sessions (default 2,000)"]
fn fuzz_live_backups_restore_long() {
    fuzz_live_n(long_cases(2_000));
}
