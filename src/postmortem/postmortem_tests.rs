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
        inc.add_action(
            crate::domain::ActionFields::new("alert on disk usage above 80%", Some("@bob")),
            &alice,
            t(13, 45),
            src,
        )
        .unwrap()
        .1,
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
    // Pipes in user text stay text (the timeline is a list, not a table).
    assert!(md.contains("— Alice: restarted docker | on etl-1\n"), "{md}");
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
        md.contains("- **2026-11-20 14:05 CET** — Alice: milestone started\n"),
        "{md}"
    );
    assert!(md.contains("_Times in Europe/Amsterdam._"));
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

const HEADINGS: [&str; 14] = [
    "H2 Summary",
    "H2 Impact",
    "H2 Timeline",
    "H2 Root causes",
    "H2 Contributing factors",
    "H2 Trigger",
    "H2 Resolution",
    "H2 Detection",
    "H2 Customer communication",
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
    inc.add_action(
        crate::domain::ActionFields::new(pick(7), Some(pick(8))),
        &eve,
        t(14, 1),
        Source::Slack,
    )
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

/// Code blocks the draft must hold: one per fenced block in the texts it shows as blocks
/// (section texts and items, the Detection text, timeline entries) and no other.
fn fenced_blocks(pm: &Postmortem) -> usize {
    use super::pieces::{Piece, pieces};
    let count = |t: &str| pieces(t).iter().filter(|p| matches!(p, Piece::Code { .. })).count();
    let sections: usize = pm
        .sections
        .iter()
        .map(|s| s.prefilled.as_deref().map_or(0, count) + s.items.iter().map(|i| count(&i.text)).sum::<usize>())
        .sum();
    sections + pm.story().map(|r| count(&r.text)).sum::<usize>()
}

/// The structure user text must never change: the sample's headings after the title, its
/// two tables (metadata, actions), its four lists (timeline, root causes, went well, lucky)
/// with their items, no quotes, links, images, no code but the user's fenced blocks, and no
/// HTML but the `<br>` of multi-line cells.
fn assert_structure_kept(md: &str, what: &str, pm: &Postmortem) {
    let s = structure(md);
    assert_eq!(s.headings.len(), 15, "{what}: headings {:?}\n{md}", s.headings);
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
    assert_eq!(s.tables, 2, "{what}: tables\n{md}");
    assert_eq!((s.lists, s.items), (4, 5 + pm.story().count()), "{what}: lists\n{md}");
    assert_eq!(
        (s.code_blocks, s.quotes),
        (fenced_blocks(pm), 0),
        "{what}: code or quote\n{md}"
    );
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
        let pm = with_user_text(&texts);
        let md = render(&pm, ExportFormat::Markdown);
        assert_structure_kept(&md, &format!("rotation {i}"), &pm);
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
    // A name is one line; an entry's further lines stay in its item.
    assert!(
        md.contains("— x # Fake title ===: a | b\n  \\--- | ---\n  \\:-|-:\n"),
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
        let pm = with_user_text(&refs);
        let md = render(&pm, ExportFormat::Markdown);
        assert_structure_kept(&md, &format!("case {case}: {texts:?}"), &pm);
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

// ---- The faithful record: precision, bookkeeping, impact windows, actions, longer texts ----

fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 4, d, h, m, 0).unwrap()
}

fn entry(seq: u64, m: Moment, kind: EntryKind, text: &str) -> TimelineEntry {
    let alice = Person::new("@alice:example.org", "Alice");
    TimelineEntry::from_new(
        seq,
        at(25, 9, 0),
        NewEntry::new(m.at, &alice, kind, text, Source::Console).at_moment(m),
    )
}

fn moment(at: DateTime<Utc>, precision: Precision, end: Option<DateTime<Utc>>) -> Moment {
    Moment { at, precision, end }
}

/// A two-day incident reconstructed afterwards (times in UTC; Amsterdam is UTC+2 in April).
fn reconstructed() -> (Incident, Vec<TimelineEntry>) {
    let (mut inc, _) = Incident::open(Opening {
        id: IncidentId(12),
        title: "payments API errors".into(),
        severity: Severity::Sev1,
        by: Person::new("@alice:example.org", "Alice"),
        at: at(22, 12, 0),
        source: Source::Console,
        fingerprint: None,
        trigger: None,
    })
    .unwrap();
    inc.milestones.insert(Milestone::Started, at(22, 4, 0));
    inc.milestone_precision
        .insert(Milestone::Started, Precision::Approximate);
    inc.milestones.insert(Milestone::Resolved, at(23, 16, 10));
    let entries = vec![
        entry(
            1,
            moment(at(22, 12, 0), Precision::Minute, None),
            EntryKind::Declared,
            "INC-12 declared",
        ),
        entry(
            2,
            moment(at(22, 4, 0), Precision::Approximate, None),
            EntryKind::Note,
            "first errors",
        ),
        entry(
            3,
            moment(at(21, 22, 0), Precision::Date, None),
            EntryKind::Note,
            "deploy of v2.3 that day",
        ),
        entry(
            4,
            moment(at(22, 11, 35), Precision::Minute, Some(at(22, 13, 50))),
            EntryKind::Note,
            "failover attempts",
        ),
        entry(
            5,
            moment(at(22, 11, 35), Precision::Minute, Some(at(23, 16, 10))),
            EntryKind::Impact,
            "impact: checkout unavailable",
        ),
        entry(
            6,
            moment(at(23, 9, 40) + chrono::Duration::seconds(5), Precision::Second, None),
            EntryKind::Note,
            "config pushed",
        ),
        entry(
            7,
            moment(at(22, 12, 5), Precision::Minute, None),
            EntryKind::Action,
            "action #1: add a canary",
        ),
        entry(
            8,
            moment(at(22, 12, 6), Precision::Minute, None),
            EntryKind::Title,
            "title changed",
        ),
    ];
    (inc, entries)
}

fn reconstructed_pm() -> Postmortem {
    let (inc, entries) = reconstructed();
    Postmortem::build(&inc, &entries, "Europe/Amsterdam".parse().unwrap(), at(25, 9, 0))
}

fn json(pm: &Postmortem) -> serde_json::Value {
    serde_json::from_str(&render(pm, ExportFormat::Json)).unwrap()
}

#[test]
fn timeline_rows_show_date_precision_range_and_zone() {
    let pm = reconstructed_pm();
    let md = render(&pm, ExportFormat::Markdown);
    let html = render(&pm, ExportFormat::Html);
    // In display order: the date-only entry first in its day (it starts at 00:00 local).
    let want = [
        "2020-04-22** — Alice: deploy of v2.3 that day",
        "~2020-04-22 06:00 CEST** — Alice: first errors",
        "2020-04-22 13:35–15:50 CEST** — Alice: failover attempts",
        "2020-04-22 13:35 – 2020-04-23 18:10 CEST** — Alice: impact: checkout unavailable",
        "2020-04-22 14:00 CEST** — Alice: INC-12 declared",
        "2020-04-23 11:40:05 CEST** — Alice: config pushed",
    ];
    let mut last = 0;
    for w in want {
        let i = md
            .find(w)
            .unwrap_or_else(|| panic!("{w:?} missing or out of order:\n{md}"));
        assert!(i > last, "{w:?} out of order:\n{md}");
        last = i;
        let time = w.split("**").next().unwrap();
        assert!(
            html.contains(&format!("<td>{time}</td>")),
            "{time:?} not in the HTML:\n{html}"
        );
    }
    assert!(md.contains("_Times in Europe/Amsterdam._"), "{md}");
    // JSON: precision always, as a string; a range's end in UTC.
    let v = json(&pm);
    let rows = v["timeline"].as_array().unwrap();
    let by_seq = |s: u64| rows.iter().find(|r| r["seq"] == s).unwrap();
    assert_eq!(by_seq(1)["precision"], "minute");
    assert_eq!(by_seq(2)["precision"], "approximate");
    assert_eq!(by_seq(3)["precision"], "date");
    assert_eq!(by_seq(6)["precision"], "second");
    assert_eq!(by_seq(4)["end"], "2020-04-22T13:50:00Z");
    assert!(by_seq(1)["end"].is_null());
    let order: Vec<u64> = rows.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert_eq!(order, [3, 2, 4, 5, 1, 7, 8, 6]);
}

#[test]
fn bookkeeping_stays_out_of_the_draft_timeline_but_in_the_json() {
    let pm = reconstructed_pm();
    let md = render(&pm, ExportFormat::Markdown);
    let html = render(&pm, ExportFormat::Html);
    for text in ["action #1: add a canary", "title changed"] {
        assert!(!md.contains(text), "{text:?} in the draft:\n{md}");
        assert!(!html.contains(text), "{text:?} in the HTML:\n{html}");
    }
    let v = json(&pm);
    let rows = v["timeline"].as_array().unwrap();
    let action = rows.iter().find(|r| r["kind"] == "action").unwrap();
    assert_eq!(action["text"], "action #1: add a canary");
    assert_eq!(action["bookkeeping"], true);
    assert_eq!(rows.iter().find(|r| r["kind"] == "title").unwrap()["bookkeeping"], true);
    assert_eq!(rows.iter().find(|r| r["seq"] == 2).unwrap()["bookkeeping"], false);
    // The sample's "action #1" row is gone from its draft timeline too.
    let md = render(&build("Europe/London"), ExportFormat::Markdown);
    assert!(!md.contains("action #1:"), "{md}");
}

fn window(n: u32, start: DateTime<Utc>, end: DateTime<Utc>, precision: Precision, note: Option<&str>) -> ImpactWindow {
    ImpactWindow {
        seq: 0,
        n,
        start,
        end,
        precision,
        note: note.map(Into::into),
        by: Person::new("@alice:example.org", "Alice"),
        recorded_at: at(25, 9, 0),
        deleted: None,
    }
}

#[test]
fn impact_windows_are_listed_and_their_total_counts_overlaps_once() {
    let (mut inc, entries) = reconstructed();
    inc.impacts = vec![
        window(
            1,
            at(22, 11, 35),
            at(22, 13, 35),
            Precision::Minute,
            Some("checkout down"),
        ),
        window(2, at(22, 13, 5), at(22, 14, 5), Precision::Minute, None),
        window(
            3,
            at(23, 8, 0),
            at(23, 8, 15),
            Precision::Minute,
            Some("retries ~failing~"),
        ),
        {
            let mut w = window(
                4,
                at(23, 10, 0),
                at(23, 20, 0),
                Precision::Minute,
                Some("mistaken window"),
            );
            w.deleted = Some(Stamp {
                by: Person::new("b", "Bob"),
                at: at(25, 8, 0),
            });
            w
        },
    ];
    let pm = Postmortem::build(&inc, &entries, "Europe/Amsterdam".parse().unwrap(), at(25, 9, 0));
    let md = render(&pm, ExportFormat::Markdown);
    assert!(
        md.contains("| Impact window | 2020-04-22 13:35–15:35 CEST (2h 00m): checkout down |"),
        "{md}"
    );
    assert!(
        md.contains("| Impact window | 2020-04-22 15:05–16:05 CEST (1h 00m) |"),
        "{md}"
    );
    assert!(
        md.contains("| Impact window | 2020-04-23 10:00–10:15 CEST (15m): retries \\~failing\\~ |"),
        "{md}"
    );
    assert!(!md.contains("mistaken"), "{md}");
    // 11:35–14:05 merged (2h 30m) + 15m; not 3h 15m.
    assert!(md.contains("| Total impact | 2h 45m |"), "{md}");
    // Time to resolve stays started → resolved.
    assert!(md.contains("| Time to resolve | ~1d 12h 10m |"), "{md}");
    let html = render(&pm, ExportFormat::Html);
    assert!(html.contains("<tr><th>Total impact</th><td>2h 45m</td></tr>"), "{html}");
    let v = json(&pm);
    assert_eq!(v["total_impact_seconds"], 9900);
    assert_eq!(v["impact_windows"].as_array().unwrap().len(), 3);
    assert_eq!(v["impact_windows"][0]["note"], "checkout down");
    assert_eq!(v["impact_windows"][0]["seconds"], 7200);
    // A vague window makes the total approximate.
    inc.impacts[2].precision = Precision::Approximate;
    let pm = Postmortem::build(&inc, &entries, "Europe/Amsterdam".parse().unwrap(), at(25, 9, 0));
    let md = render(&pm, ExportFormat::Markdown);
    assert!(md.contains("| Total impact | ~2h 45m |"), "{md}");
    assert!(
        md.contains("| Impact window | ~2020-04-23 10:00–10:15 CEST (~15m): retries \\~failing\\~ |"),
        "{md}"
    );
    assert_eq!(json(&pm)["total_impact_approximate"], true);
}

#[test]
fn durations_from_vague_milestones_are_approximate_and_milestones_show_precision() {
    let (mut inc, entries) = sample();
    inc.milestone_precision
        .insert(Milestone::Started, Precision::Approximate);
    let pm = Postmortem::build(&inc, &entries, "Europe/London".parse().unwrap(), t(14, 11));
    let md = render(&pm, ExportFormat::Markdown);
    assert!(md.contains("| Started | ~2026-11-20 13:05 GMT |"), "{md}");
    assert!(md.contains("| Time to detect | ~15m |"), "{md}");
    assert!(md.contains("| Time to acknowledge | 2m |"), "{md}");
    assert!(md.contains("| Time to resolve | ~50m |"), "{md}");
    let v = json(&pm);
    assert_eq!(v["durations"][0]["approximate"], true);
    assert_eq!(v["durations"][1]["approximate"], false);
    assert_eq!(v["milestones"][0]["precision"], "approximate");
    assert_eq!(v["milestones"][1]["precision"], "minute");
    // A date-only milestone shows its date only.
    inc.milestone_precision.insert(Milestone::Started, Precision::Date);
    let md = render(
        &Postmortem::build(&inc, &entries, "Europe/London".parse().unwrap(), t(14, 11)),
        ExportFormat::Markdown,
    );
    assert!(md.contains("| Started | 2026-11-20 |"), "{md}");
}

#[test]
fn detection_follows_the_detected_milestone() {
    let (mut inc, entries) = sample();
    // Corrected with `incident milestone detected 13:12`: a person noticed before the alert.
    inc.milestones.insert(Milestone::Detected, t(13, 12));
    let pm = Postmortem::build(&inc, &entries, "Europe/London".parse().unwrap(), t(14, 11));
    let detection = pm.section("detection").unwrap().prefilled.clone().unwrap();
    assert!(detection.starts_with("Detected at 2026-11-20 13:12 GMT"), "{detection}");
    for kept in ["#alerts", "rule `failed`", "cron", "\"NDW ETL failed\"", "13:20 GMT"] {
        assert!(detection.contains(kept), "{kept:?} missing: {detection}");
    }
    // Declared by hand, detection corrected to an approximate earlier time.
    inc.trigger = None;
    inc.milestones.insert(Milestone::Detected, t(13, 10));
    inc.milestone_precision
        .insert(Milestone::Detected, Precision::Approximate);
    let pm = Postmortem::build(&inc, &entries, "Europe/London".parse().unwrap(), t(14, 11));
    let detection = pm.section("detection").unwrap().prefilled.clone().unwrap();
    assert_eq!(
        detection,
        "Detected at ~2026-11-20 13:10 GMT; declared by hand by warroom at 2026-11-20 13:20 GMT."
    );
}

fn action(n: u32, text: &str, owners: &[&str]) -> Action {
    Action {
        n,
        fields: ActionFields {
            text: text.into(),
            owners: owners.iter().map(|o| o.to_string()).collect(),
            ..ActionFields::default()
        },
        added_by: Person::new("a", "Alice"),
        at: t(13, 45),
        done: None,
        deleted: None,
        history: Vec::new(),
    }
}

fn with_actions() -> Postmortem {
    let (mut inc, entries) = sample();
    let bob = Person::new("b", "Bob");
    let stamp = Stamp {
        by: bob.clone(),
        at: t(14, 0),
    };
    let mut done = action(2, "rotate logs daily", &["@carol"]);
    done.done = Some(stamp.clone());
    let mut full = action(3, "page on disk > 80%", &["@bob", "@dan"]);
    full.fields.due = chrono::NaiveDate::from_ymd_opt(2026, 12, 1);
    full.fields.kind = Some("detect".into());
    full.fields.ticket = Some("https://jira.example.org/browse/OPS-12".into());
    let mut deleted = action(4, "buy more disks", &[]);
    deleted.deleted = Some(stamp.clone());
    let mut edited = action(5, "document the runbook", &[]);
    edited.fields.ticket = Some("javascript:alert(1)".into());
    edited.history.push(ActionEdit {
        at: t(14, 1),
        by: bob.clone(),
        change: "edit".into(),
        previous: ActionFields {
            text: "write docs".into(),
            ..ActionFields::default()
        },
    });
    let mut spaced = action(6, "fix <b>it</b>", &[]);
    spaced.fields.ticket = Some("https://x.example.org/a b>c".into());
    inc.actions = vec![
        action(1, "alert on disk usage above 80%", &["@bob"]),
        done,
        full,
        deleted,
        edited,
        spaced,
    ];
    Postmortem::build(&inc, &entries, "Europe/London".parse().unwrap(), t(14, 11))
}

#[test]
fn action_items_table_lists_open_first_with_status_owners_due_type_and_ticket() {
    let pm = with_actions();
    let md = render(&pm, ExportFormat::Markdown);
    assert!(
        md.contains("| # | Action | Status | Owners | Due | Type | Ticket |"),
        "{md}"
    );
    let rows = [
        "| 1 | alert on disk usage above 80% | open | @bob | — | — | — |",
        "| 3 | page on disk > 80% | open | @bob, @dan | 2026-12-01 | detect | <https://jira.example.org/browse/OPS-12> |",
        "| 5 | document the runbook _(edited by Bob at 2026-11-20 14:01 GMT)_ | open | — | — | — | javascript:alert(1) |",
        "| 6 | fix \\<b>it\\</b> | open | — | — | — | https://x.example.org/a b>c |",
        "| 2 | rotate logs daily | done | @carol | — | — | — |",
    ];
    let mut last = 0;
    for r in rows {
        let i = md.find(r).unwrap_or_else(|| panic!("{r:?} missing:\n{md}"));
        assert!(i > last, "{r:?} out of order:\n{md}");
        last = i;
    }
    assert!(!md.contains("buy more disks"), "{md}");
    let s = structure(&md);
    assert_eq!(s.links, ["https://jira.example.org/browse/OPS-12"], "{md}");
    let html = render(&pm, ExportFormat::Html);
    assert!(
        html.contains("<a href=\"https://jira.example.org/browse/OPS-12\">https://jira.example.org/browse/OPS-12</a>"),
        "{html}"
    );
    assert!(html.contains("<td>javascript:alert(1)</td>"), "{html}");
    assert!(!html.contains("href=\"javascript"), "{html}");
    assert!(html.contains("<td>fix &lt;b&gt;it&lt;/b&gt;"), "{html}");
    assert!(!html.contains("buy more disks"), "{html}");
    assert_eq!(html.matches("<a href").count(), 1, "{html}");
    // The JSON keeps every action, deleted ones with who deleted them, and the history.
    let v = json(&pm);
    let actions = v["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 6);
    let deleted = actions.iter().find(|a| a["n"] == 4).unwrap();
    assert_eq!(deleted["deleted"]["by"]["name"], "Bob");
    let edited = actions.iter().find(|a| a["n"] == 5).unwrap();
    assert_eq!(edited["history"][0]["previous"]["text"], "write docs");
}

#[test]
fn time_corrections_and_edits_are_marked_and_restored_entries_show() {
    let (inc, mut entries) = sample();
    let bob = Person::new("b", "Bob");
    let note = entries
        .iter_mut()
        .find(|e| e.text.starts_with("restarted docker"))
        .unwrap();
    note.correct(Some(Moment::exact(t(13, 24))), None, &bob, t(14, 3))
        .unwrap();
    let seq = note.seq;
    let pm = Postmortem::build(&inc, &entries, "Europe/London".parse().unwrap(), t(14, 11));
    let md = render(&pm, ExportFormat::Markdown);
    assert!(
        md.contains(
            "restarted docker | on etl-1 _(time corrected from 2026-11-20 13:25 GMT by Bob at 2026-11-20 14:03 GMT)_"
        ),
        "{md}"
    );
    let html = render(&pm, ExportFormat::Html);
    assert!(
        html.contains("(time corrected from 2026-11-20 13:25 GMT by Bob at 2026-11-20 14:03 GMT)"),
        "{html}"
    );
    // Text and time both changed: both said.
    let note = entries.iter_mut().find(|e| e.seq == seq).unwrap();
    note.correct(None, Some("restarted docker on etl-1".into()), &bob, t(14, 4))
        .unwrap();
    note.delete(&bob, t(14, 5)).unwrap();
    note.restore(&bob, t(14, 6)).unwrap();
    let pm = Postmortem::build(&inc, &entries, "Europe/London".parse().unwrap(), t(14, 11));
    let md = render(&pm, ExportFormat::Markdown);
    assert!(
        md.contains("restarted docker on etl-1 _(edited by Bob at 2026-11-20 14:04 GMT; time corrected from 2026-11-20 13:25 GMT by Bob at 2026-11-20 14:03 GMT)_"),
        "{md}"
    );
    let v = json(&pm);
    let row = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["seq"] == seq)
        .unwrap()
        .clone();
    assert_eq!(row["edits"][0]["previous_time"]["at"], "2026-11-20T13:25:00Z");
    assert_eq!(row["restores"][0]["by"]["name"], "Bob");
    assert_eq!(row["restores"][0]["deleted"]["at"], "2026-11-20T14:05:00Z");
}

/// Text with lines a reader would take for structure, inside and outside a fenced block.
const LONG_TEXT: &str = "ran the failover:\n# not a heading\n| a | b |\n---\n```sh\n$ kubectl get pods\n# comment\n| x | y |\n</pre><script>alert(1)</script>\n````not closing\n```\nafter the block @here <!channel>\n- not an item";

#[test]
fn multi_line_text_and_code_blocks_survive_as_text() {
    let (mut inc, mut entries) = sample();
    inc.contribute(
        Section::Resolution,
        LONG_TEXT,
        false,
        &Person::new("x", "Xavier"),
        t(14, 0),
    )
    .unwrap();
    inc.contribute(
        Section::WentWrong,
        LONG_TEXT,
        false,
        &Person::new("x", "Xavier"),
        t(14, 0),
    )
    .unwrap();
    let n = entries.len() as u64;
    entries.push(TimelineEntry::from_new(
        n + 1,
        t(14, 2),
        NewEntry::new(
            t(13, 26),
            &Person::new("x", "Xavier"),
            EntryKind::Note,
            LONG_TEXT,
            Source::Slack,
        ),
    ));
    let pm = Postmortem::build(&inc, &entries, Tz::UTC, t(14, 11));
    let md = render(&pm, ExportFormat::Markdown);
    let s = structure(&md);
    // The three copies (timeline item, paragraph, list item) each hold one code block whose
    // fence is longer than any backtick run inside.
    assert_eq!(s.code_blocks, 3, "{md}");
    assert!(md.contains("`````sh\n"), "{md}");
    assert_eq!(s.headings.len(), 15, "{:?}\n{md}", s.headings);
    assert_eq!(s.tables, 2, "{md}");
    assert!(s.html.is_empty(), "raw HTML {:?}\n{md}", s.html);
    assert!(s.links.is_empty(), "{md}");
    for shown in [
        "# not a heading",
        "| a | b |",
        "$ kubectl get pods\n# comment\n| x | y |\n</pre><script>alert(1)</script>\n````not closing\n",
        "after the block @here <!channel>",
        "- not an item",
    ] {
        assert_eq!(
            s.text.matches(shown).count(),
            3,
            "{shown:?} not shown three times:\n{}",
            s.text
        );
    }
    // In the list item and the timeline item, every line stays inside the item.
    let item = md
        .lines()
        .skip_while(|l| !l.contains("Xavier: ran the failover:"))
        .nth(1)
        .unwrap();
    assert!(item.starts_with("  "), "{item:?}\n{md}");
    let html = render(&pm, ExportFormat::Html);
    assert_eq!(html.matches("<pre><code class=\"language-sh\">").count(), 3, "{html}");
    assert!(!html.contains("<script>") && !html.contains("</pre><script"), "{html}");
    assert!(
        html.contains("&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;\n````not closing\n</code></pre>"),
        "{html}"
    );
    assert!(
        html.contains("ran the failover:<br># not a heading<br>| a | b |<br>---"),
        "{html}"
    );
    assert!(
        html.contains("after the block @here &lt;!channel&gt;<br>- not an item"),
        "{html}"
    );
}

/// The reconstructed two-day incident with everything a published postmortem holds: vague
/// and ranged times, impact windows, a corrected entry, a command pasted as a code block,
/// action items in every state.
fn faithful() -> Postmortem {
    let (mut inc, mut entries) = reconstructed();
    let bob = Person::new("@bob:example.org", "Bob");
    inc.impacts = vec![
        window(
            1,
            at(22, 11, 35),
            at(23, 16, 10),
            Precision::Minute,
            Some("checkout unavailable"),
        ),
        window(
            2,
            at(24, 7, 0),
            at(24, 7, 20),
            Precision::Approximate,
            Some("retries failing"),
        ),
    ];
    inc.contribute(
        Section::Resolution,
        "Rolled back to v2.2:\n```sh\n$ kubectl rollout undo deploy/payments\n```\nthen drained the queue.",
        false,
        &bob,
        at(25, 8, 0),
    )
    .unwrap();
    entries.push(entry(
        9,
        moment(at(23, 14, 0), Precision::Minute, None),
        EntryKind::Note,
        "rollback:\n```\n$ kubectl rollout undo deploy/payments\n```",
    ));
    let fix = entries.iter_mut().find(|e| e.seq == 6).unwrap();
    fix.correct(
        Some(moment(at(23, 9, 38), Precision::Minute, None)),
        None,
        &bob,
        at(25, 8, 30),
    )
    .unwrap();
    let mut done = action(2, "rotate the payments DB credentials", &["@carol"]);
    done.done = Some(Stamp {
        by: bob.clone(),
        at: at(24, 9, 0),
    });
    let mut canary = action(1, "canary every payments deploy", &["@alice", "@bob"]);
    canary.fields.due = chrono::NaiveDate::from_ymd_opt(2020, 5, 15);
    canary.fields.kind = Some("prevent".into());
    canary.fields.ticket = Some("https://tracker.example.org/PAY-231".into());
    inc.actions = vec![canary, done, action(3, "alert on checkout error rate", &["@dan"])];
    Postmortem::build(&inc, &entries, "Europe/Amsterdam".parse().unwrap(), at(25, 9, 0))
}

fn snapshot(name: &str, got: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/postmortem/snapshots")
        .join(name);
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path).expect("snapshot missing: run with BLESS=1 once");
    assert_eq!(got, want, "{name} changed; review and rerun with BLESS=1 if intended");
}

#[test]
fn faithful_record_matches_snapshots() {
    let pm = faithful();
    snapshot("inc-12.md", &render(&pm, ExportFormat::Markdown));
    snapshot("inc-12.html", &render(&pm, ExportFormat::Html));
}

/// Every tag in an HTML draft is one warroom writes: user text (names, titles, sections,
/// entries with code blocks, actions, the alert) adds none, and no attribute but ours.
#[test]
fn html_user_text_adds_no_tag_or_attribute() {
    const OURS: [&str; 22] = [
        "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "table", "tr", "th", "td", "p",
        "em", "span", "ul", "li", "br", "hr", "div",
    ];
    let attacks = [
        "<img src=x onerror=alert(1)>",
        "ran:\n```sh\n</code></pre><script>alert(2)</script>\n```\n</p><iframe src=x>",
        "\" onmouseover=\"alert(3)",
        "<!-- x --><![CDATA[y]]><?php ?>",
        "```\" class=\"x\nz\n```",
        "<a href=\"javascript:alert(4)\">x</a> @here <!channel>",
    ];
    for i in 0..attacks.len() {
        let texts: Vec<&str> = attacks[i..].iter().chain(&attacks[..i]).copied().collect();
        let html = render(&with_user_text(&texts), ExportFormat::Html);
        for tag in html.split('<').skip(1) {
            let tag = tag.trim_start_matches('/');
            let name = tag.split([' ', '>']).next().unwrap();
            let allowed = OURS.contains(&name)
                || (name == "pre" && tag.starts_with("pre>"))
                || (name == "code" && (tag.starts_with("code>") || tag.starts_with("code class=\"language-")));
            assert!(allowed, "rotation {i}: tag <{tag:.40}\n{html}");
            if !matches!(name, "code" | "p" | "span" | "table" | "div" | "html" | "meta") {
                assert!(
                    !tag.split('>').next().unwrap().contains('='),
                    "rotation {i}: attribute in <{tag:.40}"
                );
            }
        }
    }
}

#[path = "template_tests.rs"]
mod template_tests;
