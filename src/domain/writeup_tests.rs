//! Tests of the postmortem's record around its sections (writeup).
use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::domain::Opening;

fn t(m: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 29, 12, 0, 0).unwrap() + chrono::Duration::minutes(m)
}

fn who() -> Person {
    Person::new("alice", "Alice")
}

fn open() -> Incident {
    Incident::open(Opening::by_hand(IncidentId(3), "DB down", who(), t(0)))
        .unwrap()
        .0
}

const SRC: Source = Source::Console;

fn only_bookkeeping(entries: &[NewEntry]) {
    assert!(!entries.is_empty());
    for e in entries {
        assert_eq!(e.kind, EntryKind::Postmortem);
        assert!(e.kind.is_bookkeeping(), "{e:?}");
    }
}

#[test]
fn links_are_http_urls_kept_with_title_who_and_when() {
    let mut inc = open();
    let e = inc
        .add_link(
            "https://grafana.example/d/db",
            Some(" DB\n dashboard "),
            &who(),
            t(1),
            SRC,
        )
        .unwrap();
    only_bookkeeping(&e);
    assert_eq!(
        e[0].text,
        "supporting link added: DB dashboard (https://grafana.example/d/db)"
    );
    inc.add_link("http://logs.example/q?x=1", None, &who(), t(2), SRC)
        .unwrap();
    assert_eq!(inc.links.len(), 2);
    assert_eq!(inc.links[0].title.as_deref(), Some("DB dashboard"));
    assert_eq!((inc.links[1].by.id.as_str(), inc.links[1].at), ("alice", t(2)));
    let before = inc.clone();
    for (url, says) in [
        ("ftp://x.example/a", "not an http(s) URL"),
        ("javascript:alert(1)", "not an http(s) URL"),
        ("https://", "not an http(s) URL"),
        ("https://x.example/a b", "percent-encode"),
        ("https://x.example/\"><script>", "percent-encode"),
        ("https://grafana.example/d/db", "already a supporting link"),
    ] {
        let err = inc.add_link(url, None, &who(), t(3), SRC).unwrap_err().to_string();
        assert!(err.contains(says), "{url}: {err}");
    }
    let long = "x".repeat(MAX_LINK_TITLE_CHARS + 1);
    assert!(
        inc.add_link("https://a.example", Some(&long), &who(), t(3), SRC)
            .is_err()
    );
    let url = format!("https://a.example/{}", "a".repeat(MAX_URL_CHARS));
    assert!(inc.add_link(&url, None, &who(), t(3), SRC).is_err());
    assert_eq!(inc, before, "a refused link changes nothing");
    inc.check_invariants().unwrap();
}

#[test]
fn related_incidents_are_ids_or_urls_once_each_and_never_this_one() {
    let mut inc = open();
    let four: RelatedRef = "inc-4".parse().unwrap();
    assert_eq!(four, RelatedRef::Incident(IncidentId(4)));
    only_bookkeeping(&inc.add_related(four.clone(), &who(), t(1), SRC).unwrap());
    let url: RelatedRef = "https://status.example/incidents/9".parse().unwrap();
    assert_eq!(url.to_string(), "https://status.example/incidents/9");
    inc.add_related(url, &who(), t(1), SRC).unwrap();
    let before = inc.clone();
    let dup = inc.add_related(four, &who(), t(2), SRC).unwrap_err().to_string();
    assert!(dup.contains("INC-4 is already related"), "{dup}");
    let me = inc
        .add_related(RelatedRef::Incident(IncidentId(3)), &who(), t(2), SRC)
        .unwrap_err()
        .to_string();
    assert!(me.contains("INC-3 is this incident"), "{me}");
    assert_eq!(inc, before);
    let bad = "yesterday's outage".parse::<RelatedRef>().unwrap_err().to_string();
    assert!(bad.contains("INC-4") && bad.contains("URL"), "{bad}");
    inc.check_invariants().unwrap();
}

#[test]
fn authors_and_reviewers_are_lists_without_duplicates() {
    let mut inc = open();
    let users = |u: &[&str]| u.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let (added, e) = inc
        .add_people(People::Authors, &users(&["@bob", "@carol", "@bob"]), &who(), t(1), SRC)
        .unwrap();
    assert_eq!(added, ["@bob", "@carol"]);
    assert_eq!(e.len(), 2);
    only_bookkeeping(&e);
    let (added, _) = inc
        .add_people(People::Authors, &users(&["@carol", "@dave"]), &who(), t(2), SRC)
        .unwrap();
    assert_eq!(added, ["@dave"]);
    assert_eq!(inc.authors, ["@bob", "@carol", "@dave"]);
    let err = inc
        .add_people(People::Authors, &users(&["@bob"]), &who(), t(3), SRC)
        .unwrap_err()
        .to_string();
    assert!(err.contains("@bob already listed as authors"), "{err}");
    inc.add_people(People::Reviewers, &users(&["@bob"]), &who(), t(3), SRC)
        .unwrap();
    assert_eq!(inc.reviewers, ["@bob"]);
    let before = inc.clone();
    assert!(
        inc.add_people(People::Reviewers, &users(&["@eve", "two words"]), &who(), t(3), SRC)
            .is_err()
    );
    assert_eq!(inc, before, "one bad name: nobody is added");
    inc.check_invariants().unwrap();
}

#[test]
fn the_review_status_keeps_every_change() {
    let mut inc = open();
    assert_eq!(inc.review_status(), ReviewStatus::Draft);
    let err = inc
        .set_review(ReviewStatus::Draft, &who(), t(1), SRC)
        .unwrap_err()
        .to_string();
    assert!(err.contains("already draft"), "{err}");
    let e = inc.set_review(ReviewStatus::InReview, &who(), t(1), SRC).unwrap();
    only_bookkeeping(&e);
    assert_eq!(e[0].text, "postmortem review status: in-review (was draft)");
    inc.set_review(ReviewStatus::Final, &Person::new("bob", "Bob"), t(2), SRC)
        .unwrap();
    assert_eq!(inc.review_status(), ReviewStatus::Final);
    let history: Vec<(ReviewStatus, &str)> = inc.reviews.iter().map(|r| (r.status, r.by.id.as_str())).collect();
    assert_eq!(
        history,
        [(ReviewStatus::InReview, "alice"), (ReviewStatus::Final, "bob")]
    );
    for (word, want) in [
        ("in_review", ReviewStatus::InReview),
        ("IN-REVIEW", ReviewStatus::InReview),
        ("final", ReviewStatus::Final),
        ("draft", ReviewStatus::Draft),
    ] {
        assert_eq!(word.parse::<ReviewStatus>().unwrap(), want, "{word}");
    }
    let bad = "published".parse::<ReviewStatus>().unwrap_err().to_string();
    assert!(bad.contains("draft, in-review, final"), "{bad}");
    inc.check_invariants().unwrap();
}

#[test]
fn template_and_language_are_checked_and_kept() {
    let mut inc = open();
    only_bookkeeping(&inc.set_template("google-sre", &who(), t(1), SRC).unwrap());
    inc.set_template("team-ops-2", &who(), t(1), SRC).unwrap();
    assert_eq!(inc.template.as_deref(), Some("team-ops-2"));
    only_bookkeeping(&inc.set_language("fr", &who(), t(1), SRC).unwrap());
    assert_eq!(inc.language.as_deref(), Some("fr"));
    let before = inc.clone();
    for name in ["", "Google", "../etc/passwd", "a b", &"x".repeat(41)] {
        let err = inc.set_template(name, &who(), t(2), SRC).unwrap_err().to_string();
        assert!(err.contains("not a template name"), "{name}: {err}");
    }
    for lang in ["de", "FR", "french", ""] {
        let err = inc.set_language(lang, &who(), t(2), SRC).unwrap_err().to_string();
        assert!(err.contains("use one of: en, fr, sk"), "{lang}: {err}");
    }
    assert!(inc.set_language("fr", &who(), t(2), SRC).is_err());
    assert_eq!(inc, before);
    inc.check_invariants().unwrap();
}

#[test]
fn an_incident_stored_before_these_fields_loads_and_round_trips_with_them() {
    let mut inc = open();
    let old = serde_json::to_value(&inc).unwrap();
    for key in [
        "links",
        "related",
        "authors",
        "reviewers",
        "reviews",
        "template",
        "language",
    ] {
        assert!(old.get(key).is_none(), "{key} is written only when set");
    }
    let back: Incident = serde_json::from_value(old).unwrap();
    assert_eq!(back, inc);
    inc.add_link("https://a.example", Some("dash"), &who(), t(1), SRC)
        .unwrap();
    inc.add_related(RelatedRef::Incident(IncidentId(1)), &who(), t(1), SRC)
        .unwrap();
    inc.set_review(ReviewStatus::InReview, &who(), t(1), SRC).unwrap();
    inc.set_language("sk", &who(), t(1), SRC).unwrap();
    let json = serde_json::to_value(&inc).unwrap();
    assert_eq!(json["related"][0]["to"], serde_json::json!({"incident": 1}));
    assert_eq!(json["reviews"][0]["status"], "in-review");
    let back: Incident = serde_json::from_value(json).unwrap();
    assert_eq!(back, inc);
}

#[test]
fn broken_writeup_records_are_named_on_restore() {
    type Break = Box<dyn Fn(&mut Incident)>;
    let link = |url: &str, title: Option<&str>| Link {
        url: url.into(),
        title: title.map(String::from),
        by: who(),
        at: t(1),
    };
    let related = |to: RelatedRef| Related {
        to,
        by: who(),
        at: t(1),
    };
    let review = |status| ReviewChange {
        status,
        by: who(),
        at: t(1),
    };
    let cases: Vec<(&str, Break)> = vec![
        (
            "not an http(s) URL",
            Box::new(move |i| i.links = vec![link("javascript:x", None)]),
        ),
        (
            "listed twice",
            Box::new(move |i| i.links = vec![link("https://a.example", None), link("https://a.example", None)]),
        ),
        (
            "not one short line",
            Box::new(move |i| i.links = vec![link("https://a.example", Some("a\n# b"))]),
        ),
        (
            "outside the years",
            Box::new(move |i| {
                i.links = vec![Link {
                    at: DateTime::<Utc>::MIN_UTC,
                    ..link("https://a.example", None)
                }]
            }),
        ),
        (
            "this incident",
            Box::new(move |i| i.related = vec![related(RelatedRef::Incident(IncidentId(3)))]),
        ),
        (
            "related incident: ",
            Box::new(move |i| i.related = vec![related(RelatedRef::Url("file:///etc".into()))]),
        ),
        ("author", Box::new(|i| i.authors = vec!["two words".into()])),
        (
            "listed twice",
            Box::new(|i| i.reviewers = vec!["@a".into(), "@a".into()]),
        ),
        (
            "at most",
            Box::new(|i| i.authors = (0..=MAX_WRITEUP_ITEMS).map(|n| format!("@u{n}")).collect()),
        ),
        (
            "already is draft",
            Box::new(move |i| i.reviews = vec![review(ReviewStatus::Draft)]),
        ),
        (
            "already is final",
            Box::new(move |i| i.reviews = vec![review(ReviewStatus::Final), review(ReviewStatus::Final)]),
        ),
        ("template", Box::new(|i| i.template = Some("../x".into()))),
        ("language", Box::new(|i| i.language = Some("de".into()))),
    ];
    for (says, f) in cases {
        let mut inc = open();
        f(&mut inc);
        let e = inc.check_invariants().unwrap_err();
        assert!(e.contains(says), "expected `{says}` in: {e}");
    }
}
