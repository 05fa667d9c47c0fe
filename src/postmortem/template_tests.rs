//! Tests of the postmortem templates, languages and front matter (template_tests).
use super::*;
use crate::postmortem::{RenderOptions, Rendered, TemplateChoice, render_with};

fn with(template: TemplateChoice, lang: &str, front_matter: bool) -> RenderOptions {
    RenderOptions {
        template,
        lang: lang.parse().unwrap(),
        front_matter,
        custom_sections: Vec::new(),
    }
}

fn md(pm: &Postmortem, options: &RenderOptions) -> Rendered {
    render_with(pm, ExportFormat::Markdown, options)
}

/// An incident declared by hand a minute ago, with nothing else on record.
fn empty() -> Postmortem {
    let (inc, e) = Incident::open(Opening {
        id: IncidentId(3),
        title: "Checkout slow".into(),
        severity: Severity::Sev3,
        by: Person::new("@dan:example.org", "Dan"),
        at: t(9, 0),
        source: Source::Matrix,
        fingerprint: None,
        trigger: None,
    })
    .unwrap();
    let entries: Vec<TimelineEntry> = e
        .into_iter()
        .enumerate()
        .map(|(i, e)| TimelineEntry::from_new(i as u64 + 1, t(9, 0), e))
        .collect();
    Postmortem::build(&inc, &entries, Tz::UTC, t(9, 1))
}

/// Every fixture of the draft tests: the sample, the reconstructed record, the faithful one,
/// action items, an empty incident.
fn fixtures() -> Vec<(&'static str, Postmortem)> {
    vec![
        ("sample", build("Europe/London")),
        ("reconstructed", reconstructed_pm()),
        ("faithful", faithful()),
        ("actions", with_actions()),
        ("empty", empty()),
    ]
}

#[test]
fn the_warroom_template_writes_exactly_what_the_markdown_writer_wrote() {
    let options = with(TemplateChoice::default(), "en", false);
    for (name, pm) in fixtures() {
        let got = md(&pm, &options);
        assert!(got.fallback_notice.is_none(), "{name}: {:?}", got.fallback_notice);
        assert_eq!(got.text, super::markdown::render(&pm), "{name}");
    }
    // User text of every shape, in every place: the same bytes as the writer.
    let mut rng = fastrand::Rng::with_seed(12);
    let bits = [
        "\n", "```", "~~~", "|", "`", "<b>", "\\", "- ", "# ", "[x](y)", "a", " ", "~", "\r\n",
    ];
    for case in 0..150 {
        let texts: Vec<String> = (0..11)
            .map(|_| {
                let s: String = (0..rng.usize(1..20)).map(|_| bits[rng.usize(..bits.len())]).collect();
                if s.trim().is_empty() { "x".into() } else { s }
            })
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let pm = with_user_text(&refs);
        assert_eq!(
            md(&pm, &options).text,
            super::markdown::render(&pm),
            "case {case}: {texts:?}"
        );
    }
}

fn builtin(name: &str) -> TemplateChoice {
    TemplateChoice::builtin(name).unwrap()
}

/// Headings (`#`, `##`, `###`) of a Markdown draft, in order.
fn headings(md: &str) -> Vec<String> {
    md.lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#').trim().to_string())
        .collect()
}

#[test]
fn each_built_in_renders_a_full_and_an_empty_incident_in_its_order() {
    let order = [
        (
            "google-sre",
            vec![
                "Summary",
                "Impact",
                "Root causes",
                "Trigger",
                "Resolution",
                "Detection",
                "Action items",
                "Lessons learned",
                "What went well",
                "What went wrong",
                "Where we got lucky",
                "Timeline",
                "Supporting information",
            ],
        ),
        (
            "atlassian",
            vec![
                "Incident summary",
                "Leadup",
                "Fault",
                "Impact",
                "Detection",
                "Response",
                "Recovery",
                "Timeline",
                "Five whys",
                "Related incidents",
                "Lessons learned",
                "What went well",
                "What went wrong",
                "Where we got lucky",
                "Corrective actions",
            ],
        ),
        (
            "pagerduty",
            vec![
                "Overview",
                "What happened",
                "Contributing factors",
                "Root causes",
                "Resolution",
                "Impact",
                "Responders",
                "Timeline",
                "How did we do?",
                "What went well",
                "What went wrong",
                "Action items",
                "Messaging",
            ],
        ),
    ];
    for (name, want) in order {
        for (fixture, pm) in [("full", faithful()), ("empty", empty())] {
            let got = md(&pm, &with(builtin(name), "en", false));
            assert!(
                got.fallback_notice.is_none(),
                "{name} {fixture}: {:?}",
                got.fallback_notice
            );
            let text = got.text;
            let h = headings(&text);
            assert_eq!(h[0], format!("{}: {}", pm.id, pm.title), "{name} {fixture}");
            assert_eq!(h[1..], want, "{name} {fixture}:\n{text}");
            assert!(!text.contains("\n\n\n"), "{name} {fixture}: blank lines\n{text}");
            assert!(text.ends_with("_\n"), "{name} {fixture}");
            if fixture == "full" {
                // The record is all there: the timeline, the causes, the actions, the code block.
                for shown in [
                    "canary every payments deploy",
                    "<https://tracker.example.org/PAY-231>",
                    "$ kubectl rollout undo deploy/payments",
                    "checkout unavailable",
                    "@alice, @bob",
                ] {
                    assert!(text.contains(shown), "{name}: {shown:?} missing\n{text}");
                }
                assert_eq!(
                    text.matches("**").count() / 2,
                    pm.story().count(),
                    "{name}: timeline rows"
                );
            } else {
                assert!(
                    text.contains(&Lang::EN.t("timeline-empty")) || pm.story().count() > 0,
                    "{name}"
                );
                assert!(text.contains(&Lang::EN.t("actions-empty")), "{name}:\n{text}");
            }
        }
    }
}

/// A template using every field of the context.
const EVERY_FIELD: &str = r#"{{ incident.id }}|{{ incident.title }}|{{ incident.severity }}|{{ incident.severity_label }}|{{ incident.status }}|{{ incident.status_label }}|{{ incident.timezone }}
roles:{% for name, user in incident.roles|items %} {{ name }}={{ user }}/{{ incident.role_labels[name] }}{% endfor +%}
affects: {{ incident.affects|join(",") }}
milestones:{% for name, at in incident.milestones|items %} {{ name }}={{ at or "null" }}{% endfor +%}
metrics:{% for name, v in incident.metrics|items %} {{ name }}={{ v or "null" }}/{{ incident.metric_notes[name] or "" }}{% endfor +%}
impact:{% for w in incident.impact_windows %} {{ w.n }} {{ w.at_text }} {{ w.start }} {{ w.end }} {{ w.precision }} {{ w.duration }} {{ w.note }} {{ w.by }};{% endfor %} total={{ incident.total_impact }} alerts={{ incident.alert_count }}
{% for e in timeline %}
T {{ e.n }} {{ e.at }} {{ e.at_text }} {{ e.precision }} {{ e.end or "-" }} {{ e.who }} {{ e.kind }} {{ e.text }} {{ e.edited or "" }} {{ e.ends_in_code }}
{% endfor %}
{% for key, s in sections|items %}
S {{ key }}={{ s.key }} {{ s.title }} [{{ s.prompt }}] {{ s.prefilled or "" }} list={{ s.list }} replaced={{ s.replaced or "" }} {% for i in s.items %}<{{ i.text }} by {{ i.by }} {{ i.ends_in_code }}>{% endfor +%}
{% endfor %}
S root_causes: {{ sections.root_causes.items|length }}
{% for a in actions %}
A {{ a.n }} {{ a.text }} {{ a.owners|join(",") }} {{ a.status }} {{ a.done }} {{ a.due }} {{ a.ticket }} {{ a.type }} {{ a.edited }}
{% endfor %}
authors={{ authors|join(",") }} reviewers={{ reviewers|join(",") }} review={{ review_status }}/{{ review_status_label }} generated={{ generated_at }} lang={{ lang }} approximate={{ approximate }}
{{ t("times-in", zone="X") }}
"#;

#[test]
fn a_custom_template_sees_every_context_field() {
    let pm = faithful();
    let choice = TemplateChoice::from_source("team.md.j2", EVERY_FIELD.into()).unwrap();
    let got = md(&pm, &with(choice, "fr", false));
    assert!(got.fallback_notice.is_none(), "{:?}", got.fallback_notice);
    let text = got.text;
    for want in [
        "INC-12|",
        "|sev",
        "|Europe/Amsterdam\n",
        "started=~2020-",
        "time_to_detect=",
        "canary every payments deploy @alice,@bob ouverte False 2020-05-15 <https://tracker.example.org/PAY-231> prevent None",
        "rotate the payments DB credentials @carol terminée True",
        "S summary=summary Résumé [",
        "S root_causes=root_causes Causes profondes",
        "S contributing_factors=contributing_factors Facteurs contributifs",
        "S customer_communication=",
        "S supporting_info=",
        "S related=",
        "S detection=detection Détection [Comment l'avons-nous appris ? (`postmortem detection ...`)] Déclaré manuellement par Alice le 2020-04-22 14:00 CEST.",
        " min",
        "checkout unavailable",
        "lang=fr approximate=True",
        "authors= reviewers= review=draft/brouillon",
        "Heures exprimées dans le fuseau X.",
        "rollback:\n  ```\n  $ kubectl rollout undo deploy/payments\n  ```  True",
    ] {
        assert!(text.contains(want), "{want:?} missing:\n{text}");
    }
    assert_eq!(text.matches("\nT ").count(), pm.story().count(), "{text}");
    assert!(text.contains("S root_causes: "), "{text}");
}

#[test]
fn a_template_that_does_not_parse_is_refused_with_its_line() {
    let err = TemplateChoice::from_source(
        "config/templates/broken.md.j2",
        "# {{ incident.id }}\n\n{% for e in timeline %}\n- {{ e.text }\n".into(),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("config/templates/broken.md.j2, line 4"), "{msg}");
    assert!(msg.contains("warroom, google-sre, atlassian, pagerduty"), "{msg}");
    let unclosed = TemplateChoice::from_source("t.md.j2", "a\nb\n{% if x %}\nc\n".into()).unwrap_err();
    assert!(
        matches!(unclosed, crate::postmortem::TemplateError::Parse { .. }),
        "{unclosed}"
    );
    // A name that is neither built in nor a file; a file that is not there.
    let unknown = TemplateChoice::load("google").unwrap_err().to_string();
    assert!(unknown.contains("`google` is not a built-in"), "{unknown}");
    let missing = TemplateChoice::load("no/such/file.md.j2").unwrap_err().to_string();
    assert!(
        missing.contains("cannot read postmortem template no/such/file.md.j2"),
        "{missing}"
    );
    assert_eq!(TemplateChoice::load("pagerduty").unwrap().name(), "pagerduty");
}

#[test]
fn a_template_that_fails_at_render_falls_back_to_warroom_and_says_so() {
    let pm = build("Europe/London");
    for (source, why) in [
        ("# {{ incident.id }}\n{{ no_such_function() }}\n", "unknown function"),
        ("{{ incident.title.no.deeper }}", "attribute of undefined"),
        ("{{ t(\"no-such-label\") }}", "unknown label"),
    ] {
        let choice = TemplateChoice::from_source("team.md.j2", source.into()).unwrap();
        for lang in ["en", "fr"] {
            let got = md(&pm, &with(choice.clone(), lang, false));
            let notice = got.fallback_notice.unwrap_or_else(|| panic!("{why}: no notice"));
            assert!(
                notice.contains("`team.md.j2`") && notice.contains("`warroom`"),
                "{why}: {notice}"
            );
            assert!(!notice.contains('\n'), "{notice}");
            let warroom = md(&pm, &with(TemplateChoice::default(), lang, false));
            assert_eq!(got.text, warroom.text, "{why}");
        }
    }
    // The default render never needs the fallback.
    assert!(md(&pm, &RenderOptions::default()).fallback_notice.is_none());
}

/// The literal parts of each English catalogue value (between placeables) with at least
/// three letters, by key.
fn english_chunks() -> Vec<(String, String)> {
    let en = crate::postmortem::i18n::LANGUAGES[0].1;
    let mut out = Vec::new();
    for line in en.lines().filter(|l| !l.starts_with('#')) {
        let Some((key, value)) = line.split_once(" = ") else {
            continue;
        };
        let mut rest = value;
        while !rest.is_empty() {
            let (lit, after) = match rest.find('{') {
                Some(i) => (&rest[..i], rest[i..].split_once('}').map_or("", |(_, a)| a)),
                None => (rest, ""),
            };
            let lit = lit.trim();
            if lit.chars().filter(|c| c.is_alphabetic()).count() >= 3 {
                out.push((key.to_string(), lit.to_string()));
            }
            rest = after;
        }
    }
    out
}

/// Whether `needle` occurs in `hay` as a whole (not inside a longer word).
fn occurs(hay: &str, needle: &str) -> bool {
    hay.match_indices(needle).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[test]
fn french_and_slovak_drafts_leave_no_english_label() {
    let chunks = english_chunks();
    assert!(chunks.len() > 80, "{}", chunks.len());
    for code in ["fr", "sk"] {
        let lang: Lang = code.parse().unwrap();
        for (fixture, pm) in [
            ("full", faithful()),
            ("empty", empty()),
            ("sample", build("Europe/London")),
        ] {
            let mut drafts = vec![(
                "html".to_string(),
                render_with(&pm, ExportFormat::Html, &with(TemplateChoice::default(), code, true)).text,
            )];
            for (name, _, _) in crate::postmortem::template::BUILT_INS {
                let got = md(&pm, &with(builtin(name), code, true));
                assert!(got.fallback_notice.is_none(), "{code} {name}");
                drafts.push((name.to_string(), got.text));
            }
            // What the record says (entries written by warroom's commands, in the room's
            // language) is not a label of the draft.
            let record: String = pm
                .timeline
                .iter()
                .map(|r| r.text.as_str())
                .chain(pm.sections.iter().flat_map(|s| s.items.iter().map(|i| i.text.as_str())))
                .collect::<Vec<_>>()
                .join("\n");
            for (name, text) in &drafts {
                // The front matter holds keys, not labels.
                let body = text.rsplit_once("\n---\n\n").map_or(text.as_str(), |(_, b)| b);
                // Commands in backticks stay as they are in every language.
                let body: String = body.split('`').step_by(2).collect::<Vec<_>>().join(" ");
                for (key, chunk) in &chunks {
                    // A label that is the same word in both languages (Impact, Incident, Date).
                    if occurs(&lang.t(key), chunk) || occurs(&record, chunk) {
                        continue;
                    }
                    assert!(
                        !occurs(&body, chunk),
                        "{code} {name} {fixture}: English `{chunk}` ({key}) left:\n{text}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_html_draft_names_its_language_and_stays_one_page() {
    let pm = faithful();
    for code in ["en", "fr", "sk"] {
        let html = render_with(&pm, ExportFormat::Html, &with(TemplateChoice::default(), code, true)).text;
        assert!(html.contains(&format!("<html lang=\"{code}\">")), "{code}");
        // Self-contained: inline style, no external request of any kind.
        assert!(html.contains("<style>"));
        for external in ["<link", "<script", "src=", "@import", "url("] {
            assert!(!html.contains(external), "{code}: {external}");
        }
    }
    let fr = render_with(&pm, ExportFormat::Html, &with(TemplateChoice::default(), "fr", true)).text;
    assert!(
        fr.contains("<h2>Chronologie</h2>") && fr.contains("1 j 4 h 35 min"),
        "{fr}"
    );
}

/// The YAML front matter of a Markdown draft, parsed.
fn front_matter_of(md: &str) -> serde_yaml_ng::Value {
    let rest = md.strip_prefix("---\n").expect("starts with front matter");
    let (yaml, _) = rest.split_once("\n---\n\n").expect("front matter closes");
    serde_yaml_ng::from_str(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

#[test]
fn front_matter_is_yaml_whatever_the_title() {
    let hostile = [
        "DB down: primary & replica",
        "\"quoted\" and 'single' quotes",
        "- starts like a list",
        "[flow] {map: x} # not a comment",
        "key: value\nsecond: line",
        "yes",
        "null",
        "~",
        "@alice `code` |pipe >fold *alias &anchor !tag %directive",
        "tab\there, backslash \\ and unicode Výpadok účtovného systému ✓",
        "bidi \u{202e}evil\u{202c} and C1 \u{85}\u{9b} and DEL \u{7f} and \u{feff}BOM",
        "---",
        "...",
    ];
    for title in hostile {
        let (mut inc, entries) = sample();
        inc.title = title.into();
        let pm = Postmortem::build(&inc, &entries, Tz::UTC, t(14, 11));
        for code in ["en", "sk"] {
            let text = md(&pm, &with(TemplateChoice::default(), code, true)).text;
            let fm = front_matter_of(&text);
            assert_eq!(fm["id"].as_str(), Some("INC-7"), "{title:?}");
            assert_eq!(
                fm["title"].as_str(),
                Some(format!("INC-7: {}", pm.title).as_str()),
                "{title:?}"
            );
            assert_eq!(fm["severity"].as_str(), Some("sev1"));
            assert_eq!(fm["status"].as_str(), Some("closed"));
            assert_eq!(fm["lang"].as_str(), Some(code));
            assert_eq!(fm["date"].as_str(), Some("2026-11-20T13:05:00Z"));
            assert_eq!(fm["closed"].as_str(), Some("2026-11-20T14:10:00Z"));
            assert!(fm["authors"].as_sequence().is_some_and(|a| a.is_empty()));
            assert_eq!(fm["review_status"].as_str(), Some("draft"));
            // The body after it is the draft as without front matter.
            let plain = md(&pm, &with(TemplateChoice::default(), code, false)).text;
            assert!(text.ends_with(&plain), "{title:?}");
            assert!(plain.starts_with("# INC-7: "));
        }
    }
}

#[test]
fn every_template_gets_the_front_matter_and_the_chat_render_does_not() {
    let pm = empty();
    for (name, _, _) in crate::postmortem::template::BUILT_INS {
        let text = md(&pm, &with(builtin(name), "fr", true)).text;
        assert_eq!(
            front_matter_of(&text)["title"].as_str(),
            Some("INC-3: Checkout slow"),
            "{name}"
        );
        assert!(front_matter_of(&text)["started"].is_null(), "{name}");
    }
    assert!(!render(&pm, ExportFormat::Markdown).starts_with("---"));
    assert!(
        md(&pm, &RenderOptions::default())
            .text
            .starts_with("---\nid: \"INC-3\"\n")
    );
}

#[test]
fn a_built_in_as_printed_by_template_show_renders_as_the_built_in() {
    let pm = faithful();
    for (name, _, _) in crate::postmortem::template::BUILT_INS {
        let shown = crate::postmortem::template::show(name).unwrap();
        assert!(shown.starts_with("{#\nThe template context"), "{name}");
        let copy = TemplateChoice::from_source("copy.md.j2", shown).unwrap();
        for code in ["en", "sk"] {
            let want = md(&pm, &with(builtin(name), code, true));
            let got = md(&pm, &with(copy.clone(), code, true));
            assert!(got.fallback_notice.is_none(), "{name}");
            assert_eq!(got.text, want.text, "{name} {code}");
        }
    }
    assert!(crate::postmortem::template::show("nope").is_none());
}

#[test]
fn the_example_template_in_config_renders_in_every_language() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/templates/team.md.j2");
    let choice = TemplateChoice::load(path.to_str().unwrap()).unwrap();
    for (fixture, pm) in [("full", faithful()), ("empty", empty())] {
        for code in ["en", "fr", "sk"] {
            let got = md(&pm, &with(choice.clone(), code, true));
            assert!(
                got.fallback_notice.is_none(),
                "{fixture} {code}: {:?}",
                got.fallback_notice
            );
            assert!(!got.text.contains("\n\n\n"), "{fixture} {code}:\n{}", got.text);
            assert!(
                got.text.contains(&format!("# {} ({})", pm.title, pm.id)),
                "{}",
                got.text
            );
        }
    }
    let text = md(&faithful(), &with(choice, "en", false)).text;
    assert!(
        text.contains("- [x] rotate the payments DB credentials — @carol"),
        "{text}"
    );
    assert!(
        text.contains(
            "- [ ] canary every payments deploy — @alice, @bob (Due 2020-05-15) <https://tracker.example.org/PAY-231>"
        ),
        "{text}"
    );
}

#[test]
fn an_incident_may_choose_a_built_in_template_and_a_language() {
    let team = TemplateChoice::from_source("config/templates/team.md.j2", "# {{ incident.title }}\n".into()).unwrap();
    let configured = with(team, "en", true);
    let fr = configured.with_overrides(Some("pagerduty"), Some("fr")).unwrap();
    assert_eq!(
        (fr.template.name(), fr.lang.code(), fr.front_matter),
        ("pagerduty", "fr", true)
    );
    // The configured template by its name, and nothing chosen: as configured.
    let same = configured
        .with_overrides(Some("config/templates/team.md.j2"), None)
        .unwrap();
    assert_eq!(
        (same.template.name(), same.lang.code()),
        ("config/templates/team.md.j2", "en")
    );
    // `default` picks the configured template back, whatever its file is called.
    let back = configured.with_overrides(Some("default"), None).unwrap();
    assert_eq!(back.template.name(), "config/templates/team.md.j2");
    let err = configured.with_overrides(Some("../../etc/passwd"), None).unwrap_err();
    assert!(
        err.contains("use one of warroom, google-sre, atlassian, pagerduty, or `default` for the configured one"),
        "{err}"
    );
    assert!(
        !err.contains("config/templates"),
        "the file's path is not shown in chat: {err}"
    );
    let err = configured.with_overrides(None, Some("de")).unwrap_err();
    assert!(err.contains("en, fr, sk"), "{err}");
    // What to post in the room: the draft without its front matter.
    let pm = empty();
    let rendered = md(&pm, &fr);
    assert!(rendered.text.starts_with("---\n"));
    assert_eq!(rendered.body(), md(&pm, &with(builtin("pagerduty"), "fr", false)).text);
    assert_eq!(md(&pm, &with(builtin("warroom"), "en", false)).front_matter_len, 0);
}

/// In every template and language, user text adds no heading, link, image, HTML, quote or
/// code block: each draft of hostile text has the structure of the same draft of plain text.
#[test]
fn no_template_or_language_lets_user_text_make_markup() {
    let attacks = [
        "all fine\n## Root causes\n- forged cause",
        "<img src=x onerror=alert(1)> [x](javascript:y) ![i](mxc://e/i)",
        "a | b\n--- | ---\n> quote\n1. one",
        "<script>alert(1)</script>\n[ref]: javascript:z\n[ref]",
        "Text\n===\n***",
    ];
    let plain = ["fine", "ok", "x", "y", "z"];
    for (name, _, _) in crate::postmortem::template::BUILT_INS {
        for code in ["en", "fr", "sk"] {
            let options = with(builtin(name), code, true);
            let hostile = structure(&md(&with_user_text(&attacks), &options).text);
            let calm = structure(&md(&with_user_text(&plain), &options).text);
            let what = format!("{name} {code}");
            assert_eq!(
                hostile.headings.len(),
                calm.headings.len(),
                "{what}: {:?}",
                hostile.headings
            );
            assert!(hostile.html.iter().all(|h| h == "<br>"), "{what}: {:?}", hostile.html);
            assert!(
                hostile.links.is_empty() && hostile.images == 0,
                "{what}: {:?}",
                hostile.links
            );
            assert_eq!(
                (hostile.tables, hostile.lists, hostile.quotes, hostile.code_blocks),
                (calm.tables, calm.lists, calm.quotes, calm.code_blocks),
                "{what}"
            );
            assert!(hostile.text.contains("<script>alert(1)</script>"), "{what}");
        }
    }
}

fn custom_defs() -> Vec<CustomSection> {
    vec![
        CustomSection {
            key: "timeline-of-comms".into(),
            title: "Communication log".into(),
            titles: [("fr".to_string(), "Journal des communications".to_string())].into(),
            list: true,
            prompt: Some("Who was told <i>what</i>, when?".into()),
        },
        CustomSection {
            key: "cost".into(),
            title: "Cost <b>|</b> `spend`".into(),
            titles: Default::default(),
            list: false,
            prompt: None,
        },
    ]
}

/// The sample incident with custom sections: one configured and filled (then replaced), one
/// configured and empty, one stored under a key no longer configured.
fn with_custom_sections() -> Postmortem {
    let (mut inc, entries) = sample();
    let alice = Person::new("@alice:example.org", "Alice");
    inc.contribute_custom("timeline-of-comms", "status page at 13:40", false, &alice, t(14, 0))
        .unwrap();
    inc.contribute_custom("timeline-of-comms", "email to *all* customers", true, &alice, t(14, 1))
        .unwrap();
    inc.contribute_custom("old-key", "kept from an older config", false, &alice, t(14, 2))
        .unwrap();
    Postmortem::build_with(
        &inc,
        &entries,
        "Europe/London".parse().unwrap(),
        t(14, 11),
        &custom_defs(),
    )
}

#[test]
fn custom_sections_are_drafted_in_config_order_after_customer_communication() {
    let pm = with_custom_sections();
    let text = md(&pm, &with(TemplateChoice::default(), "en", false)).text;
    // The warroom template and warroom's own writer stay byte-identical.
    assert_eq!(text, super::markdown::render(&pm));
    let h = headings(&text);
    let at = |s: &str| h.iter().position(|x| x == s).unwrap_or_else(|| panic!("{s} in {h:?}"));
    assert!(at("Customer communication") < at("Communication log"));
    assert!(at("Communication log") < at("Cost \\<b>|\\</b> `spend`"));
    assert!(at("Cost \\<b>|\\</b> `spend`") < at("old-key"));
    assert!(at("old-key") < at("Action items"));
    assert!(text.contains("- email to *all* customers (Alice)\n"), "{text}");
    assert!(!text.contains("status page at 13:40"), "replaced text left the draft");
    assert!(text.contains("_(replaced by Alice at "), "{text}");
    assert!(text.contains("_Add it with `postmortem cost ...`._"), "{text}");
    assert!(text.contains("kept from an older config"));
    // An empty configured section shows its own prompt, escaped.
    let mut empty = with_custom_sections();
    empty.custom_sections[0].items.clear();
    let text = md(&empty, &with(TemplateChoice::default(), "en", false)).text;
    assert!(text.contains("_Who was told \\<i>what\\</i>, when?_"), "{text}");
    assert_eq!(text, super::markdown::render(&empty));
}

#[test]
fn custom_sections_take_their_french_title_and_are_in_the_context() {
    let pm = with_custom_sections();
    let text = md(&pm, &with(TemplateChoice::default(), "fr", false)).text;
    let h = headings(&text);
    assert!(h.contains(&"Journal des communications".to_string()), "{h:?}");
    assert!(!h.contains(&"Communication log".to_string()));
    // No French title: the title as written; the generic prompt in French.
    assert!(h.contains(&"Cost \\<b>|\\</b> `spend`".to_string()), "{h:?}");
    assert!(text.contains("_À ajouter avec `postmortem cost ...`._"), "{text}");
    // A custom template reaches them by key and as an ordered list.
    let template = "{{ sections[\"timeline-of-comms\"].title }}|{% for s in custom_sections %}{{ s.key }},{% endfor %}";
    let choice = TemplateChoice::from_source("custom.md.j2", template.to_string()).unwrap();
    let out = md(&pm, &with(choice, "fr", false)).text;
    assert_eq!(out, "Journal des communications|timeline-of-comms,cost,old-key,");
}

#[test]
fn custom_sections_in_html_and_json() {
    let pm = with_custom_sections();
    let html = render_with(&pm, ExportFormat::Html, &with(TemplateChoice::default(), "fr", false)).text;
    assert!(html.contains("<h2>Journal des communications</h2>"), "{html}");
    assert!(html.contains("<h2>Cost &lt;b&gt;|&lt;/b&gt; `spend`</h2>"), "{html}");
    assert!(html.contains("<h2>old-key</h2>"));
    let comms = html.find("Journal des communications").unwrap();
    assert!(html.find("email to *all* customers").unwrap() > comms);
    let json: serde_json::Value =
        serde_json::from_str(&render_with(&pm, ExportFormat::Json, &with(TemplateChoice::default(), "en", false)).text)
            .unwrap();
    let custom = json["custom_sections"].as_array().unwrap();
    let keys: Vec<&str> = custom.iter().map(|s| s["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["timeline-of-comms", "cost", "old-key"]);
    assert_eq!(custom[0]["heading"], "Communication log");
    assert_eq!(custom[0]["titles"]["fr"], "Journal des communications");
    assert_eq!(custom[0]["items"][0]["text"], "email to *all* customers");
    assert_eq!(custom[0]["replaced"][0]["previous"][0]["text"], "status page at 13:40");
    // Without custom sections the JSON has no such key (as before).
    let plain: serde_json::Value =
        serde_json::from_str(&render_with(&build("Europe/London"), ExportFormat::Json, &RenderOptions::default()).text)
            .unwrap();
    assert!(plain.get("custom_sections").is_none());
}

#[test]
fn every_built_in_template_shows_the_custom_sections_before_its_footer() {
    let pm = with_custom_sections();
    for name in ["google-sre", "atlassian", "pagerduty"] {
        let text = md(&pm, &with(builtin(name), "en", false)).text;
        let h = headings(&text);
        let n = h.len();
        assert_eq!(
            h[n - 3..],
            ["Communication log", "Cost \\<b>|\\</b> `spend`", "old-key"],
            "{name}: {h:?}"
        );
        assert!(text.contains("- email to *all* customers (Alice)"), "{name}");
        // Without custom sections, nothing changes.
        let plain = md(&build("Europe/London"), &with(builtin(name), "en", false)).text;
        assert!(!plain.contains("old-key") && !plain.contains("Communication log"));
    }
}

/// The incident of `sample()` plus the automatic entries it lacks: a reopen, an alert storm
/// declaration, alerts firing and resolving, a corrected milestone, a role handed over.
fn every_automatic_entry() -> Vec<TimelineEntry> {
    let (mut inc, mut entries) = sample();
    let (alice, cron, src) = (
        Person::new("@alice:example.org", "Alice"),
        Person::new("cron", "cron"),
        Source::Matrix,
    );
    let mut more = inc.reopen(&alice, t(14, 20), src).unwrap();
    more.extend(
        inc.assign_role(Role::Commander, "@bob", &alice, t(14, 21), src)
            .unwrap(),
    );
    more.extend(
        inc.assign_role(Role::Custom("liaison".into()), "@carol", &alice, t(14, 21), src)
            .unwrap(),
    );
    more.extend(
        inc.set_milestone(Milestone::Started, t(13, 1), &alice, t(14, 22), src)
            .unwrap(),
    );
    more.extend(inc.alert_fired(Some("k1"), "disk 95%", &cron, t(14, 23), src).1);
    more.extend(inc.alert_fired(Some("k2"), "disk 99%", &cron, t(14, 23), src).1);
    more.extend(inc.alert_resolved("k1", "disk 95%", &cron, t(14, 24), src).1);
    more.extend(inc.alert_resolved("k2", "disk 99%", &cron, t(14, 25), src).1);
    more.extend(inc.alert_fired(Some("k1"), "disk 95%", &cron, t(14, 26), src).1);
    more.extend(
        inc.set_status(Status::Monitoring, None, &alice, t(14, 27), src)
            .unwrap(),
    );
    more.extend(inc.post_update("rollback done", &alice, t(14, 28), src).unwrap());
    let (_, storm) = Incident::open_storm(
        Opening {
            id: IncidentId(8),
            title: "ignored".into(),
            severity: Severity::Sev2,
            by: Person::warroom(),
            at: t(14, 30),
            source: src,
            fingerprint: Some("fp".into()),
            trigger: None,
        },
        "failed",
        5,
    )
    .unwrap();
    more.extend(storm);
    let n = entries.len() as u64;
    entries.extend(
        more.into_iter()
            .enumerate()
            .map(|(i, e)| TimelineEntry::from_new(n + i as u64 + 1, t(14, 30), e)),
    );
    entries
}

/// An automatic entry's words in English are exactly the text it stores, so the catalogue
/// and the domain cannot drift apart; every automatic kind carries its words.
#[test]
fn automatic_entries_say_in_english_exactly_what_they_store() {
    let entries = every_automatic_entry();
    let mut keys = std::collections::BTreeSet::new();
    for e in &entries {
        match &e.phrase {
            Some(p) => {
                assert_eq!(Lang::EN.phrase(p), e.text, "{}", p.key);
                keys.insert(p.key.clone());
            }
            None => assert!(
                e.kind == EntryKind::Note || e.kind.is_bookkeeping(),
                "{:?} entry without words: {}",
                e.kind,
                e.text
            ),
        }
    }
    let en = crate::postmortem::i18n::LANGUAGES[0].1;
    let declared: Vec<&str> = en
        .lines()
        .filter_map(|l| l.split_once(" = ").map(|(k, _)| k))
        .filter(|k| k.starts_with("entry-"))
        .collect();
    let unused: Vec<_> = declared
        .iter()
        .filter(|k| !keys.contains(**k) && **k != "entry-alerts-not-listed")
        .collect();
    assert!(unused.is_empty(), "catalogue keys no entry used: {unused:?}");
}

/// In a French or Slovak draft the automatic entries are in that language (the JSON export and
/// the stored record keep the English text); an entry a user edited is shown as edited.
#[test]
fn automatic_entries_are_said_in_the_drafts_language() {
    let (inc, _) = sample();
    let entries = every_automatic_entry();
    let pm = Postmortem::build(&inc, &entries, Tz::UTC, t(15, 0));
    for code in ["fr", "sk"] {
        let lang: Lang = code.parse().unwrap();
        let md = md(&pm, &with(TemplateChoice::default(), code, false)).text;
        let html = render_with(&pm, ExportFormat::Html, &with(TemplateChoice::default(), code, false)).text;
        for e in entries
            .iter()
            .filter(|e| e.phrase.is_some() && !e.kind.is_bookkeeping())
        {
            let said = lang.phrase(e.phrase.as_ref().unwrap());
            assert_ne!(said, e.text, "{code}: {}", e.text);
            let first_words: String = e.text.split(':').next().unwrap().to_string();
            assert!(
                !md.contains(&format!("| {first_words}")),
                "{code} still says `{}`:\n{md}",
                e.text
            );
            assert!(
                md.contains(&said.replace('|', "\\|")) || md.contains(&said),
                "{code} lacks `{said}`:\n{md}"
            );
            assert!(
                !html.contains(&format!(">{first_words}")),
                "{code} html still says `{}`",
                e.text
            );
        }
        let json = render_with(&pm, ExportFormat::Json, &with(TemplateChoice::default(), code, false)).text;
        assert!(
            json.contains("milestone mitigated") && json.contains("status identified → resolved"),
            "{json}"
        );
    }
    let fr = md(&pm, &with(TemplateChoice::default(), "fr", false)).text;
    assert!(fr.contains("jalon : Atténuation"), "{fr}");
    assert!(
        fr.contains("statut : cause identifiée → résolu : ETL rerun succeeded"),
        "{fr}"
    );
    assert!(
        fr.contains("@bob est désormais Responsable d'incident (auparavant @alice)"),
        "{fr}"
    );
}
