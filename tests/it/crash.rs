//! Crash test: a child process appends timeline entries from 16 concurrent writers and prints
//! each acknowledged one; the parent kills it with SIGKILL at a random moment, reopens the
//! store and checks that every acknowledged entry is there and sequence numbers have no holes.
//! Cycles: 20 by default, `WRTEST_CRASH_CYCLES=200` for a longer run.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use warroom::app::App;
use warroom::config::{Config, DEFAULT_CONFIG};
use warroom::domain::{IncidentId, Person, Source};
use warroom::service::{Inbound, Notice, SystemClock};
use warroom::settings::Settings;

const WRITERS: usize = 16;
const ROOM: &str = "console:crash";

fn settings() -> Settings {
    Settings::local(config()).expect("settings")
}

fn config() -> Config {
    Config::from_parts(DEFAULT_CONFIG, "built-in", Vec::new()).expect("config")
}

fn inbound(text: String, at: chrono::DateTime<chrono::Utc>) -> Inbound {
    Inbound {
        source: Source::Console,
        room: ROOM.into(),
        room_names: vec!["crash".into()],
        alert_room: false,
        author: Person::new("crash", "crash"),
        text,
        event_id: None,
        at,
        standing: Default::default(),
    }
}

/// Entry point of the child process (run by the parent with `--ignored --exact`).
#[test]
#[ignore = "child process of crash_cycles; runs until killed"]
fn crash_child() {
    let Some(dir) = std::env::var_os("WRTEST_CRASH_DIR") else {
        return;
    };
    let cycle: u64 = std::env::var("WRTEST_CYCLE")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let app = App::build(settings(), Path::new(&dir), "crash child", Arc::new(SystemClock)).expect("open store");
        let svc = app.service.clone();
        if svc.store().incident_by_room(ROOM).unwrap().is_none() {
            let n = svc
                .handle(inbound("/incident declare crash test".into(), svc.now()))
                .await;
            let Some(Notice::Opened { incident, .. }) = n.first() else {
                panic!("declare failed: {n:?}")
            };
            svc.bind_room(incident.id, &ROOM.parse().unwrap()).await.unwrap();
        }
        println!("READY");
        let mut tasks = Vec::new();
        for w in 0..WRITERS {
            let svc = svc.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0.. {
                    let text = format!("c{cycle}-w{w}-i{i}");
                    let notices = svc.handle(inbound(format!("/timeline {text}"), svc.now())).await;
                    match notices.first() {
                        Some(Notice::Reply(r)) if r.starts_with("Added #") => {
                            let seq: u64 = r["Added #".len()..].split(' ').next().unwrap().parse().unwrap();
                            let mut out = std::io::stdout().lock();
                            writeln!(out, "ACK {seq} {text}").unwrap();
                            out.flush().unwrap();
                        }
                        other => panic!("unexpected reply: {other:?}"),
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
}

#[test]
fn crash_cycles() {
    let cycles: u64 = std::env::var("WRTEST_CRASH_CYCLES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut acked: BTreeMap<u64, String> = BTreeMap::new();
    let mut total_kills_mid_write = 0;
    for cycle in 0..cycles {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash::crash_child",
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("WRTEST_CRASH_DIR", dir.path())
            .env("WRTEST_CYCLE", cycle.to_string())
            .env("RUST_BACKTRACE", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait for the child to be writing, then kill it at a random moment.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            // libtest prints "test crash::crash_child ... " on the same line before READY.
            match rx.recv_timeout(Duration::from_secs(1)) {
                Ok(l) if l.ends_with("READY") => break,
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("child exited before it was ready in cycle {cycle}")
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            assert!(Instant::now() < deadline, "child never became ready in cycle {cycle}");
        }
        std::thread::sleep(Duration::from_millis(fastrand::u64(5..250)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        let mut this_cycle = 0;
        for line in rx.try_iter() {
            if let Some(rest) = line.strip_prefix("ACK ") {
                let (seq, text) = rest.split_once(' ').unwrap();
                acked.insert(seq.parse().unwrap(), text.to_string());
                this_cycle += 1;
            }
        }
        if this_cycle > 0 {
            total_kills_mid_write += 1;
        }
        verify(dir.path(), &acked, cycle);
    }
    assert!(
        total_kills_mid_write >= cycles / 2,
        "too few cycles killed the child mid-write ({total_kills_mid_write}/{cycles})"
    );
    eprintln!(
        "crash test: {cycles} cycles, {} acknowledged entries, all present, no holes",
        acked.len()
    );
}

fn verify(dir: &Path, acked: &BTreeMap<u64, String>, cycle: u64) {
    let app = App::build(settings(), dir, "crash verifier", Arc::new(SystemClock))
        .unwrap_or_else(|e| panic!("cycle {cycle}: reopen failed: {e}"));
    let store = app.service.store();
    let inc = store.incident(IncidentId(1)).unwrap().expect("incident survives");
    let entries = store.entries(inc.id).unwrap();
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    let expected: Vec<u64> = (1..=inc.last_seq).collect();
    assert_eq!(
        seqs, expected,
        "cycle {cycle}: sequence numbers have holes or do not match last_seq"
    );
    for (seq, text) in acked {
        let e = entries
            .get((*seq - 1) as usize)
            .unwrap_or_else(|| panic!("cycle {cycle}: acknowledged entry #{seq} ({text}) lost"));
        assert_eq!(&e.text, text, "cycle {cycle}: entry #{seq}");
    }
}
