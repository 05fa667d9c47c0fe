//! A multi-day incident reconstructed after the fact, in a zone that is not UTC, through the real
//! console: date-only, approximate and range entries, backdated status, severity and role
//! changes, two impact windows, a time correction and an undelete; then the exported Markdown,
//! JSON and HTML are checked entry by entry.

use serde_json::Value;

use crate::support::{Sandbox, ok};

/// Typed two years after the incident (the process runs "now"), in Europe/Amsterdam (CEST in
/// June, UTC+2). Bare times take the date of the latest dated entry.
const SCRIPT: &str = "\
/incident declare \"NDW feed stale\" --sev 3 --at 2024-06-18 06:10
/incident milestone started ~2024-06-18 05:40
/timeline 2024-06-17 nightly schema migration merged
/incident milestone detected 2024-06-18 06:05
/timeline ~05:40 feed stopped updating
/timeline 06:12 paged on-call
/incident lead @alice 06:15
/incident sev sev2 06:20
/incident status identified 07:30 migration dropped a column
/timeline 07:35..08:10 rebuilt the materialised view
/incident milestone mitigated 08:10
/incident impact 05:40..08:10 feed stale for all consumers
/timeline 2024-06-19 02:00 nightly run broke it again
/incident impact 02:00..02:45 second outage
/timeline 02:50 added the column back
/timeline edit 15 02:44
/timeline 03:00 restarted the wrong service
/timeline delete 16
/timeline restore 16
/action add a column check to CI @bob @carol due 2024-07-01 type prevent https://tickets.example/NDW-7
/action document the migration runbook @dave
/action done 2
/incident status monitoring 03:10
/incident resolve 2024-06-20 09:00 stable for a day
/postmortem summary A schema migration dropped a column the feed needed.
/incident close
";

/// A sandbox whose team is in Europe/Amsterdam.
fn in_amsterdam() -> Sandbox {
    Sandbox::with_env(&[("WARROOM_TIMEZONE", "Europe/Amsterdam")])
}

fn export(sb: &Sandbox, format: &str) -> String {
    ok(sb.run(&["export", "INC-1", "--format", format]))
}

/// The JSON timeline row whose text starts with `text`.
fn row<'a>(v: &'a Value, text: &str) -> &'a Value {
    v["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .find(|r| r["text"].as_str().is_some_and(|t| t.starts_with(text)))
        .unwrap_or_else(|| panic!("no timeline row {text:?} in {:#}", v["timeline"]))
}

#[test]
fn a_reconstructed_multi_day_incident_keeps_every_time_as_given() {
    let sb = in_amsterdam();
    let out = ok(sb.console("alice", SCRIPT));
    // Every reply states the date, time and zone it chose; bare times took the incident's dates.
    for want in [
        "Added #3 at 2024-06-17: nightly schema migration merged",
        "Milestone started recorded at ~2024-06-18 05:40 CEST.",
        "Milestone detected recorded at 2024-06-18 06:05 CEST.",
        "Added #5 at ~2024-06-18 05:40 CEST, on the day of the latest dated entry: feed stopped updating",
        "Added #6 at 2024-06-18 06:12 CEST, on the day of the latest dated entry: paged on-call",
        "Severity is now SEV2 (major) (since 2024-06-18 06:20 CEST, on the day of the latest dated entry).",
        "Added #10 at 2024-06-18 07:35–08:10 CEST, on the day of the latest dated entry: rebuilt the materialised view",
        "Impact window #1 recorded: 2024-06-18 05:40–08:10 CEST, on the day of the latest dated entry.",
        "Added #13 at 2024-06-19 02:00 CEST: nightly run broke it again",
        "Impact window #2 recorded: 2024-06-19 02:00–02:45 CEST, on the day of the latest dated entry. Total impact: 3h 15m.",
        "Added #15 at 2024-06-19 02:50 CEST, on the day of the latest dated entry: added the column back",
        "Entry #15 now reads: 2024-06-19 02:44 CEST: added the column back",
        "restarted the wrong service",
        "Entry #16 is back",
        "INC-1 resolved at 2024-06-20 09:00 CEST.",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    // The date-only entry lies before the start: the reply warned.
    assert!(out.contains("before the incident started"), "{out}");
    assert!(!out.contains("usage:"), "a line was refused:\n{out}");

    let v: Value = serde_json::from_str(&export(&sb, "json")).unwrap();
    // Each entry at its real instant (UTC in the JSON), with its precision and range end.
    let expect = [
        ("nightly schema migration merged", "2024-06-16T22:00:00Z", "date", None),
        ("feed stopped updating", "2024-06-18T03:40:00Z", "approximate", None),
        ("paged on-call", "2024-06-18T04:12:00Z", "minute", None),
        (
            "rebuilt the materialised view",
            "2024-06-18T05:35:00Z",
            "minute",
            Some("2024-06-18T06:10:00Z"),
        ),
        ("nightly run broke it again", "2024-06-19T00:00:00Z", "minute", None),
        ("added the column back", "2024-06-19T00:44:00Z", "minute", None),
        ("status identified → monitoring", "2024-06-19T01:10:00Z", "minute", None),
    ];
    for (text, at, precision, end) in expect {
        let r = row(&v, text);
        assert_eq!(r["at"], at, "{text}: {r:#}");
        assert_eq!(r["precision"], precision, "{text}: {r:#}");
        match end {
            Some(e) => assert_eq!(r["end"], e, "{text}"),
            None => assert!(r["end"].is_null(), "{text}: {r:#}"),
        }
    }
    // Backdated automatic entries are at the time given, not when they were typed.
    assert_eq!(row(&v, "INC-1 declared")["at"], "2024-06-18T04:10:00Z");
    assert_eq!(row(&v, "@alice is now commander")["at"], "2024-06-18T04:15:00Z");
    assert_eq!(row(&v, "severity sev3 → sev2")["at"], "2024-06-18T04:20:00Z");
    assert_eq!(
        row(&v, "status investigating → identified")["at"],
        "2024-06-18T05:30:00Z"
    );
    assert_eq!(row(&v, "status monitoring → resolved")["at"], "2024-06-20T07:00:00Z");
    // The correction and the undelete are on record.
    let corrected = row(&v, "added the column back");
    assert_eq!(corrected["edits"][0]["previous_time"]["at"], "2024-06-19T00:50:00Z");
    let restored = row(&v, "restarted the wrong service");
    assert_eq!(restored["restores"].as_array().map(Vec::len), Some(1));
    // Sorted by start: the date-only entry first, ties in recording order.
    let ats: Vec<&str> = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] != "action")
        .map(|r| r["at"].as_str().unwrap())
        .collect();
    assert!(ats.windows(2).all(|w| w[0] <= w[1]), "{ats:?}");
    assert_eq!(ats[0], "2024-06-16T22:00:00Z");

    let md = export(&sb, "md");
    for want in [
        "2024-06-17",
        "~2024-06-18 05:40",
        "07:35–08:10",
        "2024-06-19 02:44",
        "3h 15m",
        "~25m",
        "CEST",
        "https://tickets.example/NDW-7",
        "@bob, @carol",
        "2024-07-01",
        "prevent",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
    // Bookkeeping is not in the draft's timeline.
    assert!(
        !md.contains("action #1 added") && !md.contains("action #2 done"),
        "{md}"
    );
    // Detection follows the detected milestone, not the declaration.
    let detection = &md[md.find("## Detection").expect("detection")..];
    assert!(detection.contains("2024-06-18 06:05"), "{detection}");
    // Open actions first.
    assert!(md.find("add a column check to CI").unwrap() < md.find("document the migration runbook").unwrap());

    let html = export(&sb, "html");
    for want in ["~2024-06-18 05:40", "07:35–08:10", "3h 15m", "@bob, @carol"] {
        assert!(html.contains(want), "missing {want:?} in html");
    }
    assert!(!html.contains("action #1 added"));
}

/// A French team: `[postmortem] language = "fr"` and its own template (the example shipped in
/// `config/templates/`), an incident recorded in French through the console, exported in
/// every format.
#[test]
fn a_french_incident_through_a_custom_template() {
    let template = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/templates/team.md.j2");
    let sb = Sandbox::with_env(&[
        ("WARROOM_TIMEZONE", "Europe/Paris"),
        ("WARROOM_POSTMORTEM__LANGUAGE", "fr"),
        ("WARROOM_POSTMORTEM__TEMPLATE", template.to_str().expect("UTF-8 path")),
    ]);
    let script = "\
/incident declare \"Panne du serveur de paiement\" --sev 1 --at 2024-03-12 09h40
/incident milestone started ~2024-03-12 09h30
/timeline 09h45 le service de paiement renvoie des erreurs 502
/timeline 10h05..10h20 bascule vers le centre de données secondaire
/incident impact 09h30..10h20 paiements refusés
/postmortem summary Une mise à jour du certificat a coupé les paiements pendant 50 minutes.
/postmortem author @camille
/action ajouter une alerte sur l'expiration des certificats @camille due 2024-04-01
/incident resolve 2024-03-12 10h25
/incident close
";
    let out = ok(sb.console("camille", script));
    assert!(!out.contains("usage:"), "{out}");
    assert!(
        out.contains("Added #3 at 2024-03-12 09:45 CET, on the day of the latest dated entry"),
        "{out}"
    );
    let export = |format: &str| export(&sb, format);
    let md = export("md");
    // Front matter first, as YAML a static-site generator reads.
    let rest = md.strip_prefix("---\n").expect("front matter");
    let (yaml, body) = rest.split_once("\n---\n").expect("front matter end");
    let fm: serde_yaml_ng::Value = serde_yaml_ng::from_str(yaml).expect("front matter is YAML");
    assert_eq!(fm["lang"].as_str(), Some("fr"));
    assert_eq!(fm["title"].as_str(), Some("INC-1: Panne du serveur de paiement"));
    assert_eq!(fm["authors"][0].as_str(), Some("@camille"));
    // The team's template, in French.
    for want in [
        "# Panne du serveur de paiement (INC-1)",
        "## Résumé",
        "Une mise à jour du certificat a coupé les paiements pendant 50 minutes.",
        "10:05–10:20",
        "~2024-03-12 09:30",
    ] {
        assert!(body.contains(want), "missing {want:?} in\n{body}");
    }
    for english in ["## Summary", "## Timeline", "Time to resolve", "## Action items"] {
        assert!(!body.contains(english), "English label {english:?} left in\n{body}");
    }
    let html = export("html");
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains("Chronologie"), "{html}");
    let json: Value = serde_json::from_str(&export("json")).unwrap();
    assert_eq!(json["authors"][0], "@camille");
    assert_eq!(row(&json, "bascule vers")["end"], "2024-03-12T09:20:00Z");
}
