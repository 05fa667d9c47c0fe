//! Tests of the webhook decoders against payloads shaped like Alertmanager's and Grafana's
//! (tests/fixtures/hooks, see SOURCES.md there).
use super::*;
use crate::domain::Severity;

fn fixture(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hooks")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn now() -> DateTime<Utc> {
    "2026-11-20T14:30:00Z".parse().unwrap()
}

#[test]
fn alertmanager_v4_group_becomes_one_alert_each() {
    let alerts = HookKind::Alertmanager
        .decode(&fixture("alertmanager-firing.json"), now())
        .unwrap();
    assert_eq!(alerts.len(), 2);
    let a = &alerts[0];
    assert_eq!(a.status, AlertStatus::Firing);
    assert_eq!(a.source, Source::Webhook);
    assert_eq!(a.room, "hook:alertmanager");
    assert_eq!(
        a.title.as_deref(),
        Some("NDWEtlFailed"),
        "two alerts: the group's alertname"
    );
    assert!(a.text.starts_with("NDW ETL failed on etl-1"), "{}", a.text);
    assert_eq!(a.severity, Some(Severity::Sev1));
    assert_eq!(a.group.as_deref(), Some("{}:{alertname=\"NDWEtlFailed\"}"));
    assert_eq!(a.key.as_deref(), Some("84c2f6d507f3ccdd@2026-11-20T13:20:00+00:00"));
    assert_eq!(a.at, "2026-11-20T13:20:00Z".parse::<DateTime<Utc>>().unwrap());
    assert_eq!(a.labels.get("instance").map(String::as_str), Some("etl-1:9100"));
    assert!(a.url.as_deref().is_some_and(|u| u.starts_with("http")));
    assert_ne!(alerts[0].key, alerts[1].key);
    assert_eq!(alerts[0].group, alerts[1].group);

    let r = HookKind::Alertmanager
        .decode(&fixture("alertmanager-resolved-one.json"), now())
        .unwrap();
    assert_eq!(r[0].status, AlertStatus::Resolved);
    assert_eq!(r[0].key, alerts[0].key, "a resolved alert keeps its identity");
    assert_eq!(r[0].at, "2026-11-20T13:40:00Z".parse::<DateTime<Utc>>().unwrap());
    assert_eq!(r[1].status, AlertStatus::Firing);
}

#[test]
fn grafana_v1_and_its_values() {
    let a = HookKind::Grafana
        .decode(&fixture("grafana-firing.json"), now())
        .unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].title.as_deref(), Some("p99 latency above 2s on api"));
    assert_eq!(a[0].severity, Some(Severity::Sev3), "warning");
    assert!(a[0].text.contains("value=2.41"), "{}", a[0].text);
    assert_eq!(a[0].room_names, ["hook:grafana", "grafana"]);
    let r = HookKind::Grafana
        .decode(&fixture("grafana-resolved.json"), now())
        .unwrap();
    assert_eq!((r[0].status, &r[0].key), (AlertStatus::Resolved, &a[0].key));
}

#[test]
fn generic_json() {
    let a = HookKind::Generic
        .decode(&fixture("generic-firing.json"), now())
        .unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].title.as_deref(), Some("Disk full on db-1"));
    assert_eq!(a[0].text, "/var is 97% full");
    assert_eq!(a[0].severity, Some(Severity::Sev2));
    assert_eq!(a[0].key.as_deref(), Some("disk-db-1"));
    assert_eq!(a[0].group.as_deref(), Some("disk-db-1"));
    assert_eq!(a[0].at, now(), "no `at`: received now");
    let r = HookKind::Generic
        .decode(&fixture("generic-resolved.json"), now())
        .unwrap();
    assert_eq!(r[0].status, AlertStatus::Resolved);
}

#[test]
fn refusals_say_what_is_wrong() {
    let bad = |kind: HookKind, body: &str| kind.decode(body.as_bytes(), now()).unwrap_err();
    let legacy = HookKind::Grafana
        .decode(&fixture("grafana-legacy.json"), now())
        .unwrap_err();
    assert!(
        matches!(&legacy, PayloadError::Unsupported(m) if m.contains("legacy Grafana")),
        "{legacy}"
    );
    let mut v: serde_json::Value = serde_json::from_slice(&fixture("alertmanager-firing.json")).unwrap();
    v["version"] = "3".into();
    let e = HookKind::Alertmanager
        .decode(v.to_string().as_bytes(), now())
        .unwrap_err();
    assert!(
        matches!(&e, PayloadError::Unsupported(m) if m.contains("version \"3\"")),
        "{e}"
    );
    v["version"] = "4".into();
    v["alerts"][1]["status"] = "pending".into();
    let e = HookKind::Alertmanager
        .decode(v.to_string().as_bytes(), now())
        .unwrap_err();
    assert!(e.to_string().contains("alerts[1].status"), "{e}");
    v["alerts"] = serde_json::json!([]);
    assert!(
        HookKind::Alertmanager
            .decode(v.to_string().as_bytes(), now())
            .unwrap_err()
            .to_string()
            .contains("empty")
    );

    assert!(
        bad(HookKind::Generic, "not json")
            .to_string()
            .contains("not a valid generic webhook payload")
    );
    assert!(
        bad(HookKind::Generic, r#"{"title":"x"}"#)
            .to_string()
            .contains("fingerprint")
    );
    assert!(
        bad(HookKind::Generic, r#"{"title":" ","fingerprint":"f"}"#)
            .to_string()
            .contains("`title` is empty")
    );
    assert!(
        bad(
            HookKind::Generic,
            r#"{"title":"x","fingerprint":"f","severity":"huge"}"#
        )
        .to_string()
        .contains("`severity` is `huge`")
    );
    assert!(
        bad(HookKind::Generic, r#"{"title":"x","fingerprint":"f","status":"open"}"#)
            .to_string()
            .contains("`status` is `open`")
    );
    let typo = bad(HookKind::Generic, r#"{"title":"x","fingerprint":"f","sevrity":"sev1"}"#).to_string();
    assert!(typo.contains("sevrity"), "{typo}");
    assert!(
        bad(HookKind::Generic, r#"{"title":"x","fingerprint":"f","labels":{"a":1}}"#)
            .to_string()
            .contains("labels.a")
    );
}

#[test]
fn an_alert_line_stays_one_line_whatever_the_url() {
    let body =
        br#"{"title": "Disk full", "fingerprint": "f", "url": "https://x.example/a b\n## Root causes\u2028x\u0007"}"#;
    let a = &HookKind::Generic.decode(body, now()).unwrap()[0];
    assert_eq!(
        a.line(),
        "Disk full (https://x.example/a%20b%0A##%20Root%20causes%E2%80%A8x%07)"
    );
}
