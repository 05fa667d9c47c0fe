//! Tests of the postmortem's record around its sections through the service: new sections,
//! supporting links, related incidents, authors, reviewers, review status, template, language.

use super::Notice;
use super::tests::{Harness, harness, harness_with};
use crate::domain::{EntryKind, Incident, IncidentId, RelatedRef, ReviewStatus};

async fn opened(h: &Harness) -> (Incident, String) {
    let inc = h.open("NDW ETL failed").await;
    let room = inc.slug.clone();
    h.advance(30);
    (inc, room)
}

async fn say(h: &Harness, room: &str, line: &str) -> String {
    Harness::reply(&h.say(room, "alice", line).await)
}

async fn export_json(h: &Harness, room: &str) -> serde_json::Value {
    let n = h.say(room, "alice", "/postmortem export json").await;
    let Some(Notice::File(f)) = n.into_iter().next() else {
        panic!("no file")
    };
    serde_json::from_str(&f.content).unwrap()
}

#[tokio::test]
async fn record_commands_reply_store_and_stay_out_of_the_timeline() {
    let h = harness();
    let (inc, room) = opened(&h).await;
    let before = h.svc.store().entries(inc.id).unwrap().len();
    for (line, want) in [
        (
            "/postmortem link https://grafana.example/d/etl ETL dashboard",
            "Supporting link #1 added: ETL dashboard (https://grafana.example/d/etl).",
        ),
        (
            "/postmortem link https://logs.example/q?etl",
            "Supporting link #2 added: https://logs.example/q?etl.",
        ),
        (
            "/postmortem related https://status.example/i/9",
            "Related incident https://status.example/i/9 recorded for INC-1.",
        ),
        (
            "/postmortem related INC-7",
            "Related incident INC-7 recorded for INC-1; there is no INC-7 here, so check the number.",
        ),
        (
            "/postmortem author @alice @bob",
            "Authors of INC-1's postmortem: @alice, @bob.",
        ),
        (
            "/postmortem author @bob @carol",
            "Authors of INC-1's postmortem: @alice, @bob, @carol. (@bob already listed)",
        ),
        ("/postmortem reviewer @dave", "Reviewers of INC-1's postmortem: @dave."),
        ("/postmortem review in-review", "Review status: in-review (was draft)."),
        ("/postmortem review final", "Review status: final (was in-review)."),
        (
            "/postmortem template google-sre",
            "INC-1's postmortem will be rendered with the template google-sre.",
        ),
        ("/postmortem language fr", "INC-1's postmortem will be written in fr."),
        (
            "/postmortem contributing-factor no disk alert",
            "Added to contributing-factor.",
        ),
        (
            "/postmortem customer-communication status page at 13:50",
            "Added to customer-communication.",
        ),
    ] {
        assert_eq!(say(&h, &room, line).await, want, "{line}");
    }
    let got = h.incident(inc.id);
    assert_eq!(got.links.len(), 2);
    assert_eq!(got.links[0].title.as_deref(), Some("ETL dashboard"));
    assert_eq!(got.links[0].by.id, "alice");
    assert_eq!(
        got.related.iter().map(|r| r.to.clone()).collect::<Vec<_>>(),
        [
            RelatedRef::Url("https://status.example/i/9".into()),
            RelatedRef::Incident(IncidentId(7))
        ]
    );
    assert_eq!(got.authors, ["@alice", "@bob", "@carol"]);
    assert_eq!(got.reviewers, ["@dave"]);
    assert_eq!(got.review_status(), ReviewStatus::Final);
    assert_eq!(got.reviews.len(), 2);
    assert_eq!(
        (got.template.as_deref(), got.language.as_deref()),
        (Some("google-sre"), Some("fr"))
    );
    // Each change is a bookkeeping entry: in `timeline list --all`, not in `timeline list`.
    let entries = h.svc.store().entries(inc.id).unwrap();
    let added: Vec<&str> = entries[before..].iter().map(|e| e.text.as_str()).collect();
    assert_eq!(added.len(), 12, "{added:?}");
    assert!(entries[before..].iter().all(|e| e.kind == EntryKind::Postmortem));
    let list = say(&h, &room, "/timeline list").await;
    let all = say(&h, &room, "/timeline list --all").await;
    for text in [
        "supporting link added",
        "related incident added",
        "author added",
        "review status",
        "postmortem template",
        "postmortem language",
    ] {
        assert!(!list.contains(text), "{text} in the timeline:\n{list}");
        assert!(all.contains(text), "{text} not in --all:\n{all}");
    }
}

#[tokio::test]
async fn a_related_incident_that_exists_is_named_without_a_warning() {
    let h = harness();
    let (first, _) = opened(&h).await;
    h.say("random", "alice", "/incident declare \"Checkout slow\"").await;
    let second = h.svc.store().incident(IncidentId(2)).unwrap().unwrap();
    h.svc
        .bind_room(second.id, &format!("console:{}", second.slug).parse().unwrap())
        .await
        .unwrap();
    let r = say(&h, &second.slug, &format!("/postmortem related {}", first.id)).await;
    assert_eq!(r, "Related incident INC-1 recorded for INC-2.");
    let r = say(&h, &second.slug, "/postmortem related INC-2").await;
    assert!(r.contains("INC-2 is this incident"), "{r}");
}

#[tokio::test]
async fn bad_record_commands_change_nothing() {
    let h = harness();
    let (inc, room) = opened(&h).await;
    say(&h, &room, "/postmortem link https://a.example/d").await;
    say(&h, &room, "/postmortem author @bob").await;
    say(&h, &room, "/postmortem language sk").await;
    let before = (h.incident(inc.id), h.svc.store().entries(inc.id).unwrap());
    for (line, expect) in [
        ("/postmortem link grafana", "not an http(s) URL"),
        (
            "/postmortem link https://a.example/d again",
            "already a supporting link",
        ),
        ("/postmortem related INC-1", "INC-1 is this incident"),
        ("/postmortem related last week", "give one incident id or URL"),
        ("/postmortem author @bob", "already listed as authors"),
        ("/postmortem author bob", "@alice @bob"),
        ("/postmortem review draft", "already draft"),
        ("/postmortem review done-ish", "draft, in-review, final"),
        ("/postmortem template Mine!", "not a template name"),
        ("/postmortem language de", "use one of: en, fr, sk"),
        ("/postmortem language sk", "already sk"),
    ] {
        let r = say(&h, &room, line).await;
        assert!(r.contains(expect), "{line}: {r}");
    }
    assert_eq!((h.incident(inc.id), h.svc.store().entries(inc.id).unwrap()), before);
}

#[tokio::test]
async fn the_json_export_carries_the_record_and_the_new_sections() {
    let h = harness();
    let (_, room) = opened(&h).await;
    let v = export_json(&h, &room).await;
    assert_eq!(v["review_status"], "draft");
    assert_eq!(v["authors"], serde_json::json!([]));
    assert!(v["template"].is_null() && v["language"].is_null());
    for line in [
        "/postmortem link https://grafana.example/d/etl ETL dashboard",
        "/postmortem related INC-4",
        "/postmortem related https://status.example/i/9",
        "/postmortem author @alice",
        "/postmortem reviewer @bob",
        "/postmortem review in-review",
        "/postmortem template atlassian",
        "/postmortem language sk",
        "/postmortem contributing-factor no disk alert",
        "/postmortem contributing-factor retries hid the failure",
        "/postmortem customer-communication status page at 13:50",
    ] {
        say(&h, &room, line).await;
    }
    let v = export_json(&h, &room).await;
    assert_eq!(v["authors"], serde_json::json!(["@alice"]));
    assert_eq!(v["reviewers"], serde_json::json!(["@bob"]));
    assert_eq!(v["review_status"], "in-review");
    assert_eq!(v["review_history"][0]["status"], "in-review");
    assert_eq!(v["review_history"][0]["by"]["id"], "alice");
    assert_eq!(v["links"][0]["url"], "https://grafana.example/d/etl");
    assert_eq!(v["links"][0]["title"], "ETL dashboard");
    assert_eq!(v["related"][0]["text"], "INC-4");
    assert_eq!(v["related"][0]["incident"], "INC-4");
    assert!(v["related"][0]["url"].is_null());
    assert_eq!(v["related"][1]["url"], "https://status.example/i/9");
    assert_eq!(
        (v["template"].as_str(), v["language"].as_str()),
        (Some("atlassian"), Some("sk"))
    );
    let sections = v["sections"].as_array().unwrap();
    let keys: Vec<&str> = sections.iter().map(|s| s["key"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "summary",
            "impact",
            "root-cause",
            "contributing-factor",
            "trigger",
            "resolution",
            "detection",
            "customer-communication",
            "went-well",
            "went-wrong",
            "lucky"
        ]
    );
    let factors = &sections[3];
    assert_eq!(factors["heading"], "Contributing factors");
    assert_eq!(factors["list"], true);
    assert_eq!(factors["items"][1]["text"], "retries hid the failure");
    assert_eq!(sections[7]["heading"], "Customer communication");
    assert_eq!(sections[7]["items"][0]["text"], "status page at 13:50");
    // The changes are bookkeeping rows of the JSON timeline.
    let rows = v["timeline"].as_array().unwrap();
    let kept: Vec<&serde_json::Value> = rows.iter().filter(|r| r["kind"] == "postmortem").collect();
    assert_eq!(kept.len(), 8);
    assert!(kept.iter().all(|r| r["bookkeeping"] == true));
}

const CUSTOM: &str = r#"
[[postmortem.sections]]
key = "timeline-of-comms"
title = "Communication log"
title_fr = "Journal des communications"
list = true
prompt = "Who was told what, when?"

[[postmortem.sections]]
key = "cost"
title = "Cost"
"#;

#[tokio::test]
async fn a_configured_custom_section_is_stored_and_replacing_keeps_the_previous_text() {
    let h = harness_with(CUSTOM);
    let (inc, room) = opened(&h).await;
    let before = h.svc.store().entries(inc.id).unwrap().len();
    assert_eq!(
        say(&h, &room, "/postmortem timeline-of-comms status page at 10:05").await,
        "Added to Communication log."
    );
    say(&h, &room, "/postmortem timeline-of-comms email at 10:20").await;
    assert_eq!(
        say(
            &h,
            &room,
            "/postmortem timeline-of-comms --replace one status page update"
        )
        .await,
        "Replaced Communication log."
    );
    let stored = h.svc.store().incident(inc.id).unwrap().unwrap();
    let texts: Vec<&str> = stored.custom_sections["timeline-of-comms"]
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(texts, ["one status page update"]);
    let previous: Vec<&str> = stored.custom_section_edits[0]
        .previous
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(previous, ["status page at 10:05", "email at 10:20"]);
    assert_eq!(
        h.svc.store().entries(inc.id).unwrap().len(),
        before,
        "not a timeline event"
    );
}

#[tokio::test]
async fn an_unconfigured_custom_section_is_refused_with_the_sections_there_are() {
    let h = harness_with(CUSTOM);
    let (inc, room) = opened(&h).await;
    let before = h.svc.store().incident(inc.id).unwrap().unwrap();
    let r = say(&h, &room, "/postmortem feelings great").await;
    assert!(
        r.contains("`feelings` is not a postmortem section")
            && r.contains("summary, impact, root-cause")
            && r.contains("this team's own: timeline-of-comms, cost"),
        "{r}"
    );
    assert_eq!(h.svc.store().incident(inc.id).unwrap().unwrap(), before);
    // Without [[postmortem.sections]], the reply says where they are declared.
    let h = harness();
    let (_, room) = opened(&h).await;
    let r = say(&h, &room, "/postmortem cost 3 hours").await;
    assert!(
        r.contains("`cost` is not a postmortem section") && r.contains("[[postmortem.sections]]"),
        "{r}"
    );
}

/// With `[postmortem] language = "fr"` the bot speaks French in the incident's rooms: the
/// announcement, alert news and the reply to a close; `postmortem language sk` switches that
/// incident to Slovak. Commands stay as typed, and the stored record keeps English text.
#[tokio::test]
async fn the_bot_speaks_the_incidents_language_in_its_rooms() {
    let h = harness_with("[postmortem]\nlanguage = \"fr\"\n");
    let n = h.say("alerts", "cron", "NDW ETL failed").await;
    let Some(Notice::Opened {
        incident, announcement, ..
    }) = n.into_iter().next()
    else {
        panic!("no incident opened")
    };
    assert!(
        announcement.starts_with(&format!(
            "🚨 {} : NDW ETL failed — SEV2 (majeur), en cours d'analyse",
            incident.id
        )) && announcement.contains("Ouvert à partir d'une alerte dans alerts")
            && announcement.contains("Consignez ce qui se passe : /timeline [WHEN]"),
        "{announcement}"
    );
    let room = h
        .svc
        .bind_room(incident.id, &format!("console:{}", incident.slug).parse().unwrap())
        .await
        .unwrap()
        .slug;
    h.advance(1);
    let n = h.say("alerts", "cron", "NDW ETL failed").await;
    assert!(
        matches!(&n[..], [Notice::AlertNews { line, .. }] if line.starts_with("alerte répétée (×2)")),
        "{n:?}"
    );
    let stored = h.svc.store().entries(incident.id).unwrap();
    assert!(
        stored.iter().any(|e| e.text.starts_with("alert repeated (×2)")),
        "{stored:?}"
    );
    assert!(say(&h, &room, "/postmortem language sk").await.contains("sk"));
    h.advance(1);
    let n = h.say("alerts", "cron", "NDW ETL failed").await;
    assert!(
        matches!(&n[..], [Notice::AlertNews { line, .. }] if line.starts_with("opakované upozornenie (×3)")),
        "{n:?}"
    );
    let closed = say(&h, &room, "/incident close").await;
    assert!(
        closed.contains(&format!("{} uzavretý. Tu je koncept postmortemu:", incident.id)),
        "{closed}"
    );
}
