//! Postmortem render benchmark: incidents with 10,000 timeline entries (one-line notes; and a
//! mix of precisions, ranges, multi-line texts, code blocks and bookkeeping rows), built into
//! the view-model and rendered as Markdown (through the built-in templates, and through
//! warroom's own Markdown writer, the baseline the `warroom` template should stay within 2× of),
//! JSON and HTML. Run: `cargo bench --bench render`.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use warroom::domain::{
    Action, ActionFields, EntryKind, ImpactWindow, Incident, IncidentId, Milestone, Moment, NewEntry, Opening, Person,
    Precision, Severity, Source, TimelineEntry,
};
use warroom::postmortem::{ExportFormat, Lang, RenderOptions, TemplateChoice};
use warroom::postmortem::{Postmortem, render, render_markdown_writer, render_with};

const ENTRIES: u64 = 10_000;
const RUNS: usize = 30;

fn sample() -> (Incident, Vec<TimelineEntry>) {
    let start = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap();
    let (mut inc, first) = Incident::open(Opening {
        id: IncidentId(1),
        title: "NDW ETL failed".into(),
        severity: Severity::Sev2,
        by: Person::warroom(),
        at: start,
        source: Source::Console,
        fingerprint: None,
        trigger: None,
    })
    .expect("open");
    let alice = Person::new("@alice:example.org", "Alice");
    let mut entries: Vec<TimelineEntry> = first
        .into_iter()
        .enumerate()
        .map(|(i, e)| TimelineEntry::from_new(i as u64 + 1, start, e))
        .collect();
    for seq in entries.len() as u64 + 1..=ENTRIES {
        // Out of order on purpose: every 7th entry is backdated, so sorting has work to do.
        let offset = if seq % 7 == 0 { seq as i64 - 500 } else { seq as i64 };
        let at = start + chrono::Duration::seconds(offset * 3);
        let e = NewEntry::new(
            at,
            &alice,
            EntryKind::Note,
            format!("step {seq}: restarted worker | checked logs on etl-{}", seq % 13),
            Source::Matrix,
        );
        entries.push(TimelineEntry::from_new(seq, at, e));
    }
    inc.last_seq = ENTRIES;
    (inc, entries)
}

/// The entry `seq` of the mixed sample: every 5th date-only, every 5th+1 approximate,
/// every 5th+2 a range (every 50th across midnight), every 5th+3 to the second, the rest to the
/// minute; every 4th multi-line, every 20th with a code block, every 25th bookkeeping.
fn mixed_entry(seq: u64, start: chrono::DateTime<Utc>, who: &Person) -> NewEntry {
    let at = start + chrono::Duration::seconds(seq as i64 * 37);
    let (precision, end) = match seq % 5 {
        0 => (Precision::Date, None),
        1 => (Precision::Approximate, None),
        2 if seq % 50 == 2 => (Precision::Minute, Some(at + chrono::Duration::hours(20))),
        2 => (Precision::Minute, Some(at + chrono::Duration::minutes(35))),
        3 => (Precision::Second, None),
        _ => (Precision::Minute, None),
    };
    let text = if seq.is_multiple_of(20) {
        format!(
            "step {seq}: ran\n```sh\n$ kubectl rollout undo deploy/etl-{}\n# done\n```\nthen checked | logs",
            seq % 13
        )
    } else if seq.is_multiple_of(4) {
        format!(
            "step {seq}: restarted worker\n# not a heading\n- checked logs on etl-{}",
            seq % 13
        )
    } else {
        format!("step {seq}: restarted worker | checked logs on etl-{}", seq % 13)
    };
    let kind = if seq.is_multiple_of(25) {
        EntryKind::Action
    } else {
        EntryKind::Note
    };
    NewEntry::new(at, who, kind, text, Source::Matrix).at_moment(Moment { at, precision, end })
}

/// A reconstructed multi-day incident: mixed entries, vague milestones, impact windows and
/// action items in every state.
fn mixed() -> (Incident, Vec<TimelineEntry>) {
    let (mut inc, _) = sample();
    let start = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap();
    let alice = Person::new("@alice:example.org", "Alice");
    let entries = (1..=ENTRIES)
        .map(|seq| TimelineEntry::from_new(seq, start, mixed_entry(seq, start, &alice)))
        .collect();
    inc.milestones
        .insert(Milestone::Started, start - chrono::Duration::hours(2));
    inc.milestone_precision
        .insert(Milestone::Started, Precision::Approximate);
    inc.impacts = (0..40)
        .map(|n| ImpactWindow {
            seq: 0,
            n: n + 1,
            start: start + chrono::Duration::minutes(i64::from(n) * 90),
            end: start + chrono::Duration::minutes(i64::from(n) * 90 + 120),
            precision: if n % 3 == 0 {
                Precision::Approximate
            } else {
                Precision::Minute
            },
            note: Some(format!("window {n}")),
            by: alice.clone(),
            recorded_at: start,
            deleted: None,
        })
        .collect();
    inc.actions = (1..=200)
        .map(|n| Action {
            n,
            fields: ActionFields {
                text: format!("follow-up {n}"),
                owners: vec!["@alice".into(), "@bob".into()],
                ticket: Some(format!("https://tracker.example.org/OPS-{n}")),
                ..ActionFields::default()
            },
            added_by: alice.clone(),
            at: start,
            done: None,
            deleted: None,
            history: Vec::new(),
        })
        .collect();
    inc.last_seq = ENTRIES;
    (inc, entries)
}

fn measure(label: &str, mut f: impl FnMut() -> usize) -> Duration {
    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    let mut bytes = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        bytes = f();
        times.push(t.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<34} median {:>7.2} ms   p95 {:>7.2} ms   min {:>7.2} ms   output {:>8} bytes",
        ms(times[RUNS / 2]),
        ms(times[RUNS * 95 / 100]),
        ms(times[0]),
        bytes
    );
    times[RUNS / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let tz: Tz = "Europe/London".parse().expect("tz");
    let now = Utc::now();
    for (name, (inc, entries)) in [("one-line notes", sample()), ("mixed precisions", mixed())] {
        println!("postmortem of an incident with {ENTRIES} timeline entries ({name}), {RUNS} runs each");
        measure("build view-model", || {
            Postmortem::build(&inc, &entries, tz, now).timeline.len()
        });
        let writer = measure("build + markdown (writer)", || {
            render_markdown_writer(&Postmortem::build(&inc, &entries, tz, now)).len()
        });
        let template = measure("build + markdown (template)", || {
            render(&Postmortem::build(&inc, &entries, tz, now), ExportFormat::Markdown).len()
        });
        println!(
            "  template / writer: {:.2}x (should stay within 2x)",
            template.as_secs_f64() / writer.as_secs_f64().max(1e-9)
        );
        for name in ["google-sre", "atlassian", "pagerduty"] {
            let options = RenderOptions {
                template: TemplateChoice::builtin(name).expect("built-in"),
                lang: "fr".parse::<Lang>().expect("fr"),
                front_matter: true,
                custom_sections: Vec::new(),
            };
            measure(&format!("build + markdown ({name}, fr)"), || {
                render_with(
                    &Postmortem::build(&inc, &entries, tz, now),
                    ExportFormat::Markdown,
                    &options,
                )
                .text
                .len()
            });
        }
        for (label, format) in [
            ("build + json", ExportFormat::Json),
            ("build + html", ExportFormat::Html),
        ] {
            measure(label, || {
                render(&Postmortem::build(&inc, &entries, tz, now), format).len()
            });
        }
    }
}
