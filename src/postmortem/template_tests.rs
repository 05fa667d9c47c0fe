//! Tests of the postmortem templates, languages and front matter (template_tests).
use super::*;
use crate::postmortem::{RenderOptions, Rendered, TemplateChoice, render_with};

fn with(template: TemplateChoice, lang: &str, front_matter: bool) -> RenderOptions {
    RenderOptions {
        template,
        lang: lang.parse().unwrap(),
        front_matter,
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
