//! Tests of the alert module (rules_tests).
use super::*;
use crate::config::{Config, DEFAULT_CONFIG};

fn shipped() -> RuleSet {
    Config::from_parts(DEFAULT_CONFIG, "shipped", Vec::new())
        .unwrap()
        .rules()
        .unwrap()
}

fn rule(name: &str, pattern: &str, title: &str, group_by: Option<&str>, rooms: &[&str]) -> RuleConfig {
    RuleConfig {
        name: name.into(),
        pattern: Some(pattern.into()),
        title: title.into(),
        severity: "sev2".into(),
        group_by: group_by.map(Into::into),
        rooms: rooms.iter().map(|s| s.to_string()).collect(),
        labels: Default::default(),
        sources: Vec::new(),
        open_in: Vec::new(),
        ignore: false,
    }
}

#[test]
fn shipped_rules_catch_typical_alert_lines() {
    let rules = shipped();
    let cases = [
        ("NDW ETL failed", "failed", "NDW ETL failed", Severity::Sev2),
        (
            "Nightly backup job has failed with exit code 2",
            "failed",
            "Nightly backup job failed",
            Severity::Sev2,
        ),
        (
            "[FIRING] api-gateway is down",
            "down",
            "api-gateway is down",
            Severity::Sev2,
        ),
        (
            "db-2.internal unreachable from eu-west",
            "unreachable",
            "db-2.internal unreachable",
            Severity::Sev2,
        ),
        (
            "CRITICAL: disk full on db-2",
            "critical",
            "disk full on db-2",
            Severity::Sev1,
        ),
        (
            "CRITICAL - checkout is down",
            "critical",
            "checkout is down",
            Severity::Sev1,
        ),
    ];
    for (text, rule, title, sev) in cases {
        let m = rules
            .match_text(text, &["alerts"])
            .unwrap_or_else(|| panic!("{text} did not match"));
        assert_eq!(
            (m.rule.as_str(), m.title.as_str(), m.severity),
            (rule, title, sev),
            "{text}"
        );
    }
    for text in [
        "good morning",
        "deploy finished",
        "the critical path is fine",
        "who is on call?",
    ] {
        assert_eq!(rules.match_text(text, &["alerts"]), None, "{text}");
    }
}

#[test]
fn fingerprints_group_repeats() {
    let rules = shipped();
    let a = rules.match_text("NDW ETL failed", &["alerts"]).unwrap();
    let b = rules.match_text("ndw  ETL failed (attempt 2)", &["alerts"]).unwrap();
    let c = rules.match_text("BAG ETL failed", &["alerts"]).unwrap();
    assert_eq!(a.fingerprint, "failed:ndw etl");
    assert_eq!(a.fingerprint, b.fingerprint);
    assert_ne!(a.fingerprint, c.fingerprint);
}

#[test]
fn templates_and_rooms() {
    let rules = RuleSet::compile(&[
        rule(
            "etl",
            r"(?i)(?P<job>\w[\w ]*?) ETL .*failed",
            "{job} ETL failed",
            Some("{job}"),
            &["alerts"],
        ),
        rule("any", r"(?P<x>boom)?.*explod", "{{literal}} {text}", None, &[]),
    ])
    .unwrap();
    let m = rules.match_text("NDW ETL run 7 failed", &["C0123", "alerts"]).unwrap();
    assert_eq!(
        (m.title.as_str(), m.fingerprint.as_str()),
        ("NDW ETL failed", "etl:ndw")
    );
    // Room-restricted rule does not apply elsewhere.
    assert_eq!(rules.match_text("NDW ETL run 7 failed", &["random"]), None);
    let m = rules.match_text("it exploded", &["random"]).unwrap();
    assert_eq!(m.title, "{literal} it exploded");
}

#[test]
fn config_errors_name_the_rule() {
    let e = RuleSet::compile(&[rule("bad", "(", "x", None, &[])]).unwrap_err();
    assert_eq!(e.rule, "bad");
    assert!(e.msg.contains("invalid pattern"));
    let e = RuleSet::compile(&[rule("t", "(?P<a>x)", "{b}", None, &[])]).unwrap_err();
    assert!(e.to_string().contains("alert rule `t`: title: `{b}`"), "{e}");
    let e = RuleSet::compile(&[rule("t", "x", "ok", Some("{oops"), &[])]).unwrap_err();
    assert!(e.msg.contains("group_by"), "{e}");
    let e = RuleSet::compile(&[rule("d", "x", "t", None, &[]), rule("d", "y", "t", None, &[])]).unwrap_err();
    assert!(e.msg.contains("unique"));
    let mut r = rule("s", "x", "t", None, &[]);
    r.severity = "urgent".into();
    assert!(RuleSet::compile(&[r]).unwrap_err().msg.contains("severity"));
}

fn webhook_alert(labels: &[(&str, &str)], title: &str, group: &str) -> Alert {
    let mut a = Alert::from_chat(
        "p99 latency above 2s",
        crate::domain::Person::new("hook:alertmanager", "Alertmanager"),
        "hook:alertmanager",
        vec!["hook:alertmanager".into(), "alertmanager".into()],
        chrono::Utc::now(),
        crate::domain::Source::Webhook,
    );
    a.hook = Some(crate::alert::payload::HookKind::Alertmanager);
    a.title = Some(title.into());
    a.group = Some(group.into());
    a.labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    a
}

#[test]
fn label_rules_template_severity_and_open_in() {
    let mut api = rule("api", "", "{labels.service}: {title}", None, &["alertmanager"]);
    api.pattern = None;
    api.labels = [("service".to_string(), "api|web".to_string())].into();
    api.severity = "{labels.severity}".into();
    api.open_in = vec!["matrix".into(), "slack".into()];
    let mut quiet = rule("quiet", "", "x", None, &[]);
    quiet.pattern = None;
    quiet.labels = [("severity".to_string(), "info".to_string())].into();
    quiet.ignore = true;
    let rules = RuleSet::compile(&[quiet, api]).unwrap();
    // The shipped rules read chat text only: a webhook's own title and severity stand.
    assert_eq!(shipped().decide(&webhook_alert(&[], "Backup failed", "g")), None);

    let m = rules
        .decide(&webhook_alert(
            &[("service", "api"), ("severity", "critical")],
            "HighLatency",
            "{}:{a}",
        ))
        .unwrap();
    assert_eq!(m.title, "api: HighLatency");
    assert_eq!(m.severity, Severity::Sev1);
    assert_eq!(m.fingerprint, "api:{}:{a}", "default group_by is the source's group");
    assert_eq!(m.open_in, ["matrix", "slack"]);
    assert!(!m.ignore);
    // A severity label that is not a severity falls back to sev3; a label regex is anchored.
    let m = rules
        .decide(&webhook_alert(
            &[("service", "web"), ("severity", "whatever")],
            "T",
            "g",
        ))
        .unwrap();
    assert_eq!(m.severity, Severity::Sev3);
    assert_eq!(rules.decide(&webhook_alert(&[("service", "api-gw")], "T", "g")), None);
    assert_eq!(rules.decide(&webhook_alert(&[], "T", "g")), None);
    let m = rules.decide(&webhook_alert(&[("severity", "info")], "T", "g")).unwrap();
    assert!(m.ignore);
}

#[test]
fn bad_label_rules_are_refused_with_the_reason() {
    let mut r = rule("r", "x", "{labels.}", None, &[]);
    assert!(
        RuleSet::compile(std::slice::from_ref(&r))
            .unwrap_err()
            .msg
            .contains("title")
    );
    r.title = "{title}".into();
    r.open_in = vec!["teams".into()];
    assert!(
        RuleSet::compile(std::slice::from_ref(&r))
            .unwrap_err()
            .msg
            .contains("`teams` is not a platform")
    );
    r.open_in.clear();
    r.labels = [("a".to_string(), "(".to_string())].into();
    assert!(
        RuleSet::compile(std::slice::from_ref(&r))
            .unwrap_err()
            .msg
            .contains("labels.a")
    );
    r.labels.clear();
    r.severity = "{nope}".into();
    assert!(
        RuleSet::compile(std::slice::from_ref(&r))
            .unwrap_err()
            .msg
            .contains("severity")
    );
}
