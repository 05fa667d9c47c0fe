//! Durable-append benchmark: raw fsync rate of the disk (the ceiling), then `/timeline`
//! appends through the real service and store, one writer and 16 concurrent writers (group
//! commit); then what reading every incident costs as history grows (each reminder check and
//! each metrics scrape does). Run: `cargo bench --bench store` (BENCH_SECS=N per phase,
//! BENCH_DIR=path for the disk, BENCH_HISTORY=N incidents, default 2000).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use warroom::app::App;
use warroom::config::{Config, DEFAULT_CONFIG};
use warroom::domain::{Person, Source};
use warroom::service::{Inbound, IncidentService, Notice};
use warroom::settings::Settings;

const ROOM: &str = "console:bench";

fn secs() -> Duration {
    Duration::from_secs_f64(
        std::env::var("BENCH_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(5.0),
    )
}

fn msg(svc: &IncidentService, text: String) -> Inbound {
    Inbound {
        source: Source::Console,
        room: ROOM.into(),
        room_names: vec!["bench".into()],
        alert_room: false,
        author: Person::new("bench", "bench"),
        text,
        event_id: None,
        at: svc.now(),
        standing: Default::default(),
    }
}

fn raw_fsync_rate(dir: &std::path::Path, window: Duration) -> f64 {
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path).expect("probe file");
    let record = [b'x'; 256];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < window {
        f.write_all(&record).expect("write");
        f.sync_all().expect("fsync");
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

async fn appends(svc: Arc<IncidentService>, writers: usize, window: Duration) -> (f64, u64, u64) {
    let done = Arc::new(AtomicU64::new(0));
    let syncs_before = svc.store().sync_count();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (svc, done) = (svc.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0u64;
            while start.elapsed() < window {
                let n = svc.handle(msg(&svc, format!("/timeline writer {w} entry {i}"))).await;
                assert!(
                    matches!(n.first(), Some(Notice::Reply(r)) if r.starts_with("Added")),
                    "{n:?}"
                );
                done.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));
    }
    for t in tasks {
        t.await.expect("writer");
    }
    let total = done.load(Ordering::Relaxed);
    let syncs = svc.store().sync_count() - syncs_before;
    (total as f64 / start.elapsed().as_secs_f64(), total, syncs)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` probes with --list
    }
    let base = std::env::var_os("BENCH_DIR").map_or_else(std::env::temp_dir, Into::into);
    let dir = tempfile::tempdir_in(&base).expect("tempdir");
    let window = secs();
    println!(
        "disk: {} (BENCH_DIR), {}s per phase",
        base.display(),
        window.as_secs_f64()
    );
    let raw = raw_fsync_rate(dir.path(), window);
    println!("raw fsync (256 B write + fsync, one file):     {raw:>9.0} /s   (ceiling for one writer)");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let config = Config::from_parts(DEFAULT_CONFIG, "built-in", Vec::new()).expect("config");
        let app = App::build(
            Settings::local(config).expect("settings"),
            &dir.path().join("data"),
            "bench",
            Arc::new(warroom::service::SystemClock),
        ).expect("app");
        let svc = app.service.clone();
        let n = svc.handle(msg(&svc, "/incident declare bench".into())).await;
        let Some(Notice::Opened { incident, .. }) = n.first() else { panic!("{n:?}") };
        svc.bind_room(incident.id, &ROOM.parse().expect("room key")).await.expect("bind");
        for writers in [1usize, 16] {
            let (rate, total, syncs) = appends(svc.clone(), writers, window).await;
            println!(
                "durable appends, {writers:>2} writer(s):                 {rate:>9.0} /s   ({total} appends, {syncs} fsync rounds, {:.1} appends/fsync, {:.2}x raw fsync)",
                total as f64 / syncs.max(1) as f64,
                rate / raw
            );
        }
        // History: closed incidents pile up; every reminder check (each 1–15 s when reminders
        // are on) and every scrape reads them all.
        let history: u64 = std::env::var("BENCH_HISTORY")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000);
        let store = svc.store().clone();
        store
            .clone()
            .batch(async {
                for i in 0..history {
                    store
                        .create_incident::<warroom::domain::TransitionError>(None, svc.now(), |id| {
                            warroom::domain::Incident::open(warroom::domain::Opening {
                                id,
                                title: format!("past incident {i}"),
                                severity: warroom::domain::Severity::Sev2,
                                by: Person::new("bench", "bench"),
                                at: svc.now(),
                                source: Source::Console,
                                fingerprint: None,
                                trigger: None,
                            })

                        })
                        .await
                        .expect("create");
                }
            })
            .await
            .expect("durable");
        let mut times = Vec::new();
        for _ in 0..10 {
            let t = Instant::now();
            let all = store.incidents(true).expect("read");
            times.push(t.elapsed());
            assert!(all.len() as u64 > history);
        }
        times.sort();
        println!(
            "reading all {} incidents (a reminder check, a scrape): median {:.1} ms, max {:.1} ms",
            history + 1,
            times[times.len() / 2].as_secs_f64() * 1e3,
            times[times.len() - 1].as_secs_f64() * 1e3
        );
    });
}
