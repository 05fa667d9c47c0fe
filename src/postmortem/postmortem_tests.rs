//! Tests of the postmortem module (postmortem_tests).
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::ExportFormat;
use super::*;
use crate::domain::*;

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, h, m, 0).unwrap()
}

/// Drives a realistic incident through the domain and numbers the entries like the store does.
fn sample() -> (Incident, Vec<TimelineEntry>) {
    let alice = Person::new("@alice:example.org", "Alice");
    let cron = Person::new("cron", "cron");
    let src = Source::Matrix;
    let mut all = Vec::new();
    let (mut inc, e) = Incident::open(Opening {
        id: IncidentId(7),
        title: "NDW ETL failed".into(),
        severity: Severity::Sev2,
        by: Person::warroom(),
        at: t(13, 20),
        source: src,
        fingerprint: Some("failed:ndw etl".into()),
        trigger: Some(AlertInfo {
            rule: "failed".into(),
            text: "NDW ETL failed".into(),
            sender: cron.clone(),
            room: "#alerts".into(),
            at: t(13, 20),
            source: src,
        }),
    })
    .unwrap();
    all.extend(e);
    all.extend(
        inc.set_milestone(Milestone::Started, t(13, 5), &alice, t(13, 22), src)
            .unwrap(),
    );
    all.extend(
        inc.assign_role(Role::Commander, "@alice", &alice, t(13, 22), src)
            .unwrap(),
    );
    all.extend(inc.set_severity(Severity::Sev1, &alice, t(13, 23), src).unwrap());
    all.extend(
        inc.set_milestone(Milestone::Acknowledged, t(13, 22), &alice, t(13, 23), src)
            .unwrap(),
    );
    all.push(NewEntry::new(
        t(13, 25),
        &alice,
        EntryKind::Note,
        "restarted docker | on etl-1",
        src,
    ));
    all.extend(inc.alert_repeated("NDW ETL failed", &cron, t(13, 30), src));
    all.extend(
        inc.set_status(Status::Identified, Some("disk full on etl-1"), &alice, t(13, 35), src)
            .unwrap(),
    );
    all.extend(
        inc.set_milestone(Milestone::Mitigated, t(13, 40), &alice, t(13, 41), src)
            .unwrap(),
    );
    all.extend(
        inc.add_action("alert on disk usage above 80%", Some("@bob"), &alice, t(13, 45), src)
            .unwrap(),
    );
    all.extend(
        inc.add_services(&["etl".into(), "ndw-api".into()], &alice, t(13, 46), src)
            .unwrap(),
    );
    inc.contribute(
        Section::Impact,
        "NDW data was 50 minutes stale.",
        false,
        &alice,
        t(13, 50),
    )
    .unwrap();
    inc.contribute(
        Section::RootCause,
        "log rotation was disabled",
        false,
        &alice,
        t(13, 50),
    )
    .unwrap();
    inc.contribute(Section::RootCause, "no disk alert", false, &alice, t(13, 51))
        .unwrap();
    inc.contribute(
        Section::WentWell,
        "alert fired within a minute",
        false,
        &alice,
        t(13, 52),
    )
    .unwrap();
    all.extend(
        inc.resolve(t(13, 55), Some("ETL rerun succeeded"), &alice, t(13, 56), src)
            .unwrap(),
    );
    all.extend(inc.close(&alice, t(14, 10), src).unwrap());
    let entries = all
        .into_iter()
        .enumerate()
        .map(|(i, e)| TimelineEntry::from_new(i as u64 + 1, t(14, 10), e))
        .collect();
    (inc, entries)
}

fn build(tz: &str) -> Postmortem {
    let (inc, entries) = sample();
    Postmortem::build(&inc, &entries, tz.parse::<Tz>().unwrap(), t(14, 11))
}

#[test]
fn markdown_matches_snapshot() {
    let md = render(&build("Europe/London"), ExportFormat::Markdown);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/postmortem/snapshots/inc-7.md");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &md).unwrap();
    }
    let want = std::fs::read_to_string(&path).expect("snapshot missing: run with BLESS=1 once");
    assert_eq!(md, want, "markdown changed; review and rerun with BLESS=1 if intended");
}

#[test]
fn layout_order_metrics_and_prompts() {
    let pm = build("Europe/London");
    let md = render(&pm, ExportFormat::Markdown);
    let order = [
        "# INC-7: NDW ETL failed",
        "| Severity |",
        "## Summary",
        "## Impact",
        "## Timeline",
        "## Root causes",
        "## Trigger",
        "## Resolution",
        "## Detection",
        "## Action items",
        "## Lessons learned",
        "### What went well",
        "### What went wrong",
        "### Where we got lucky",
    ];
    let mut last = 0;
    for h in order {
        let at = md[last..]
            .find(h)
            .unwrap_or_else(|| panic!("{h} missing or out of order"))
            + last;
        last = at;
    }
    // Durations: detect 13:05→13:20, acknowledge 13:20→13:22, mitigate 13:05→13:40, resolve 13:05→13:55.
    let secs: Vec<_> = pm.durations.iter().map(|d| d.seconds).collect();
    assert_eq!(secs, [Some(900), Some(120), Some(2100), Some(3000)]);
    assert!(md.contains("| Time to resolve | 50m |"));
    // Empty sections are kept with an italic prompt.
    assert!(md.contains("## Summary\n\n_What happened"));
    assert!(md.contains("### Where we got lucky\n\n_Add with"));
    // Detection pre-filled from the alert.
    assert!(md.contains("Detected by an alert in #alerts at 2026-11-20 13:20 GMT (rule `failed`, posted by cron): \"NDW ETL failed\" — 2 alerts in all."));
    // Pipes in user text cannot break the table.
    assert!(md.contains("restarted docker \\| on etl-1"));
}

#[test]
fn timeline_is_sorted_by_event_time_with_zone() {
    let pm = build("Europe/Amsterdam");
    let times: Vec<_> = pm.timeline.iter().map(|r| r.at).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
    // The backdated "started" milestone (13:05) comes first though it was recorded later.
    assert_eq!(pm.timeline[0].kind, "milestone");
    let md = render(&pm, ExportFormat::Markdown);
    assert!(
        md.contains("| 2026-11-20 14:05 CET | Alice | milestone started |"),
        "{md}"
    );
    assert!(md.contains("| Time (Europe/Amsterdam) | Who | What |"));
}

#[test]
fn json_holds_the_same_data_in_utc() {
    let pm = build("Europe/London");
    let v: serde_json::Value = serde_json::from_str(&render(&pm, ExportFormat::Json)).unwrap();
    assert_eq!(v["id"], "INC-7");
    assert_eq!(v["severity"], "sev1");
    assert_eq!(v["timeline"].as_array().unwrap().len(), pm.timeline.len());
    assert_eq!(v["timeline"][0]["at"], "2026-11-20T13:05:00Z");
    assert_eq!(v["milestones"][5]["name"], "closed");
    assert_eq!(v["milestones"][5]["at"], "2026-11-20T14:10:00Z");
    assert_eq!(v["durations"][3]["seconds"], 3000);
    assert_eq!(v["actions"][0]["owners"][0], "@bob");
    assert_eq!(v["sections"][2]["items"][1]["text"], "no disk alert");
}

#[test]
fn html_escapes_user_text() {
    let (mut inc, entries) = sample();
    inc.contribute(
        Section::Summary,
        "<script>alert(1)</script>",
        false,
        &Person::new("x", "x"),
        t(14, 0),
    )
    .unwrap();
    let pm = Postmortem::build(&inc, &entries, Tz::UTC, t(14, 11));
    let html = render(&pm, ExportFormat::Html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>"));
    assert_eq!(file_name(&pm, ExportFormat::Html), "INC-7-postmortem.html");
}

#[test]
fn missing_milestones_are_explained() {
    let (mut inc, entries) = sample();
    inc.milestones.remove(&Milestone::Started);
    inc.milestones.remove(&Milestone::Acknowledged);
    let pm = Postmortem::build(&inc, &entries, Tz::UTC, t(14, 11));
    let md = render(&pm, ExportFormat::Markdown);
    assert!(
        md.contains("| Time to detect | — (needs `incident milestone started`) |"),
        "{md}"
    );
    assert!(
        md.contains("| Time to resolve | 35m (from detected; set `incident milestone started WHEN`"),
        "{md}"
    );
    assert_eq!(format_duration(45), "45s");
    assert_eq!(format_duration(3900), "1h 05m");
    assert_eq!(format_duration(93_600 + 600), "1d 02h 10m");
}

/// What a CommonMark/GFM reader makes of a draft: its headings (level and text), the raw HTML
/// in it, its links and images, and how many tables, lists, list items, code blocks and quotes.
#[derive(Debug, Default)]
struct Structure {
    headings: Vec<String>,
    html: Vec<String>,
    links: Vec<String>,
    images: usize,
    tables: usize,
    table_rows: usize,
    lists: usize,
    items: usize,
    code_blocks: usize,
    quotes: usize,
    text: String,
}

fn structure(md: &str) -> Structure {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut s = Structure::default();
    let mut heading: Option<String> = None;
    for ev in Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match ev {
            Event::Start(Tag::Heading { level, .. }) => heading = Some(format!("{level:?} ")),
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
                s.text.push_str(&t);
            }
            Event::End(TagEnd::Heading(_)) => {
                s.headings.extend(heading.take());
                s.text.push('\n');
            }
            Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::Paragraph | TagEnd::TableCell) => {
                s.text.push('\n')
            }
            Event::Html(h) | Event::InlineHtml(h) => s.html.push(h.to_string()),
            Event::Start(Tag::Link { dest_url, .. }) => s.links.push(dest_url.to_string()),
            Event::Start(Tag::Image { .. }) => s.images += 1,
            Event::Start(Tag::Table(_)) => s.tables += 1,
            Event::Start(Tag::TableRow | Tag::TableHead) => s.table_rows += 1,
            Event::Start(Tag::List(_)) => s.lists += 1,
            Event::Start(Tag::Item) => s.items += 1,
            Event::Start(Tag::CodeBlock(_)) => s.code_blocks += 1,
            Event::Start(Tag::BlockQuote(_)) => s.quotes += 1,
            _ => {}
        }
    }
    s
}

const HEADINGS: [&str; 12] = [
    "H2 Summary",
    "H2 Impact",
    "H2 Timeline",
    "H2 Root causes",
    "H2 Trigger",
    "H2 Resolution",
    "H2 Detection",
    "H2 Action items",
    "H2 Lessons learned",
    "H3 What went well",
    "H3 What went wrong",
    "H3 Where we got lucky",
];

/// The sample with user text in every place the Markdown shows it (title, sections, list
/// items, timeline, actions, names, the alert that opened it).
fn with_user_text(texts: &[&str]) -> Postmortem {
    let (mut inc, mut entries) = sample();
    let pick = |i: usize| texts[i % texts.len()];
    let eve = Person::new("eve", pick(0));
    inc.title = format!("DB down {}", pick(1));
    for (n, section) in [
        Section::Summary,
        Section::Impact,
        Section::RootCause,
        Section::Trigger,
        Section::Lucky,
    ]
    .into_iter()
    .enumerate()
    {
        inc.contribute(section, pick(n + 2), false, &eve, t(14, 0)).unwrap();
    }
    inc.add_action(pick(7), Some(pick(8)), &eve, t(14, 1), Source::Slack)
        .unwrap();
    if let Some(a) = inc.trigger.as_mut() {
        a.text = pick(9).into();
    }
    let n = entries.len() as u64;
    entries.push(TimelineEntry::from_new(
        n + 1,
        t(14, 2),
        NewEntry::new(t(13, 26), &eve, EntryKind::Note, pick(10), Source::Slack),
    ));
    Postmortem::build(&inc, &entries, Tz::UTC, t(14, 11))
}

/// The structure user text must never change: the sample's headings after the title, its
/// three tables (metadata, timeline, actions), its two lists, no code, quotes, links, images,
/// and no HTML but the `<br>` of multi-line cells.
fn assert_structure_kept(md: &str, what: &str) {
    let s = structure(md);
    assert_eq!(s.headings.len(), 13, "{what}: headings {:?}\n{md}", s.headings);
    assert!(
        s.headings[0].starts_with("H1 INC-7: DB down"),
        "{what}: {:?}",
        s.headings[0]
    );
    assert_eq!(s.headings[1..], HEADINGS, "{what}:\n{md}");
    assert!(
        s.html.iter().all(|h| h == "<br>"),
        "{what}: raw HTML {:?}\n{md}",
        s.html
    );
    assert!(s.links.is_empty() && s.images == 0, "{what}: links {:?}\n{md}", s.links);
    assert_eq!(s.tables, 3, "{what}: tables\n{md}");
    assert_eq!((s.lists, s.items), (3, 5), "{what}: lists\n{md}");
    assert_eq!((s.code_blocks, s.quotes), (0, 0), "{what}: code or quote\n{md}");
}

#[test]
fn markdown_user_text_cannot_forge_structure_or_html() {
    let attacks = [
        "all fine\n## Root causes\n- forged cause",
        "x\n# Fake title\n===",
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        "[re-login here](javascript:alert(1)) or <javascript:alert(2)> or ![x](mxc://evil/img)",
        "[ref]: javascript:alert(3)\n[ref]",
        "```\n<script>alert(4)</script>\n```",
        "    indented <b>code</b>\n\n    more code",
        "Text\n---\nmore\n***\n___",
        "a | b\n--- | ---\n:-|-:",
        "1. one\n2) two\n> quote\n+ plus\n* star",
        "\\<img src=x onerror=alert(5)> \\[a](javascript:x) \\` <i>x</i>",
        "~~~\n<!-- comment -->\n<?php ?>\n<![CDATA[x]]>",
        "a <div onclick=\"x()\">\n\n<div>\nblock\n</div>",
        "cell | one\r\n## CRLF heading\rCR heading",
        "\u{1b}]0;pwned\u{7}\u{1b}[31m",
    ];
    for (i, _) in attacks.iter().enumerate() {
        let texts: Vec<&str> = attacks[i..].iter().chain(&attacks[..i]).copied().collect();
        let md = render(&with_user_text(&texts), ExportFormat::Markdown);
        assert_structure_kept(&md, &format!("rotation {i}"));
        assert!(!md.contains('\u{1b}'), "{md}");
    }
    // The text itself is all there, as text; a title is one line; a cell keeps its row.
    let mut texts = attacks;
    texts.swap(0, 1);
    texts.swap(9, 10);
    texts.swap(5, 11);
    let md = render(&with_user_text(&texts), ExportFormat::Markdown);
    let s = structure(&md);
    for shown in [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[re-login here](javascript:alert(1)) or <javascript:alert(2)> or ![x](mxc://evil/img)",
        "\\<img src=x onerror=alert(5)> \\[a](javascript:x) \\` <i>x</i>",
        "## Root causes",
        "- forged cause",
        "restarted docker | on etl-1",
        "a | b",
    ] {
        assert!(s.text.contains(shown), "{shown:?} not shown as text:\n{}", s.text);
    }
    assert!(
        md.starts_with("# INC-7: DB down all fine ## Root causes - forged cause\n"),
        "{md}"
    );
    assert!(
        md.contains("| x # Fake title === | a \\| b<br>--- \\| ---<br>:-\\|-: |"),
        "{md}"
    );
}

/// Random mixes of the pieces an attack is made of, in every place: the structure holds.
#[test]
fn markdown_structure_holds_for_random_text() {
    let pieces = [
        "\n",
        "\r",
        "\n\n",
        "#",
        "## ",
        ">",
        "- ",
        "* ",
        "+ ",
        "1. ",
        "2) ",
        "---",
        "===",
        "```",
        "~~~",
        "|",
        ":-",
        "<",
        "</",
        "<!",
        "<?",
        "img",
        "script",
        ">",
        "[",
        "]",
        "(",
        ")",
        ":",
        "!",
        "`",
        "``",
        "\\",
        " ",
        "    ",
        "javascript:",
        "a",
        "&lt;",
        "\t",
        "_",
        "***",
    ];
    let mut rng = fastrand::Rng::with_seed(6);
    for case in 0..400 {
        let texts: Vec<String> = (0..11)
            .map(|_| {
                let s: String = (0..rng.usize(1..30))
                    .map(|_| pieces[rng.usize(..pieces.len())])
                    .collect();
                if s.trim().is_empty() { "x".into() } else { s }
            })
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let md = render(&with_user_text(&refs), ExportFormat::Markdown);
        assert_structure_kept(&md, &format!("case {case}: {texts:?}"));
    }
}

/// Ordinary notes come out exactly as typed: no backslashes where nothing needs one.
#[test]
fn markdown_leaves_ordinary_text_alone() {
    let plain = [
        "we're at 50% - not great (see #ops), a < b > c & d",
        "C:\\path\\to\\file, `Vec<u8>` and `<service>`, snake_case, *emphasis*, [prod] cluster",
        "3.5 GB free; 1.0 is the old version; email ops@example.org; https://status.example.org",
        "multi-line note\nsecond line",
    ];
    let md = render(&with_user_text(&plain), ExportFormat::Markdown);
    for p in &plain[..3] {
        assert!(md.contains(p), "{p:?} changed:\n{md}");
    }
    assert!(md.contains("multi-line note\nsecond line\n"), "{md}");
}

#[test]
fn json_export_escapes_what_a_terminal_would_act_on_and_stays_json() {
    let raw = "{\"t\": \"a\\u001bb\u{85}c\u{202e}d\u{2066}e\u{2028}f é\"}";
    let safe = super::escape_invisible(raw);
    assert!(!safe.contains(['\u{85}', '\u{202e}', '\u{2066}', '\u{2028}']), "{safe}");
    let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
    let orig: serde_json::Value = serde_json::from_str(raw).unwrap();
    assert_eq!(back, orig, "the same JSON value");
}
