//! Postmortem render benchmark: an incident with 10,000 timeline entries, built into the
//! view-model and rendered as Markdown, JSON and HTML. Run: `cargo bench --bench render`.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use warroom::domain::{EntryKind, Incident, IncidentId, NewEntry, Opening, Person, Severity, Source, TimelineEntry};
use warroom::postmortem::ExportFormat;
use warroom::postmortem::{Postmortem, render};

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

fn measure(label: &str, mut f: impl FnMut() -> usize) {
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
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let (inc, entries) = sample();
    let tz: Tz = "Europe/London".parse().expect("tz");
    let now = Utc::now();
    println!("postmortem of an incident with {ENTRIES} timeline entries, {RUNS} runs each");
    measure("build view-model", || {
        Postmortem::build(&inc, &entries, tz, now).timeline.len()
    });
    for (label, format) in [
        ("build + markdown", ExportFormat::Markdown),
        ("build + json", ExportFormat::Json),
        ("build + html", ExportFormat::Html),
    ] {
        measure(label, || {
            render(&Postmortem::build(&inc, &entries, tz, now), format).len()
        });
    }
}
