//! Matrix latency benchmark against a real Synapse on loopback, with the release binary as the
//! bot: alert message sent → incident room announcement, `!timeline` → the bot's reply, and a
//! 📌 reaction on someone's message → the bot's "recorded" reply (the entry is durable before
//! it), p50/p95/p99 over `BENCH_RUNS` (default 25) each; then the bot's RSS with 100 incidents.
//! Idle RSS is measured for a Matrix-only bot and for one with Matrix and (the local fake of)
//! Slack. `!timeline` is measured alternately with a do-nothing Python bot (`benches/floor_bot.py`) on
//! the same Synapse: the floor any bot's reply stands on.
//! Times come from the homeserver's `origin_server_ts` of the bot's events (same clock as
//! the sender here), so polling intervals do not count.
//!
//! Run: `cargo bench --bench matrix`

#![allow(dead_code)]

#[path = "../tests/it/fake_slack/mod.rs"]
mod fake_slack;
#[path = "../tests/it/mx.rs"]
mod mx;
#[path = "../tests/it/support.rs"]
mod support;
#[path = "../tests/it/synapse.rs"]
mod synapse;

use std::time::{SystemTime, UNIX_EPOCH};

use mx::{BOT_USER, BotProc, Mx};
use serde_json::{Value, json};
use synapse::Synapse;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn ts(ev: &Value) -> i64 {
    ev["origin_server_ts"].as_i64().unwrap_or(0)
}

fn body(m: &Value) -> &str {
    m["content"]["body"].as_str().unwrap_or("")
}

fn report(name: &str, mut v: Vec<i64>) {
    v.sort_unstable();
    let pct = |p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "{name}: n={} p50={} ms p95={} ms p99={} ms min={} ms max={} ms",
        v.len(),
        pct(0.5),
        pct(0.95),
        pct(0.99),
        v[0],
        v[v.len() - 1]
    );
}

/// Send `text` to `room` and wait for `bot`'s reply to it; from the send to the reply's
/// `origin_server_ts`, in ms.
async fn ask(alice: &Mx, room: &str, bot: &str, text: &str) -> i64 {
    let t0 = now_ms();
    let ev = alice.say(room, text).await;
    let reply = alice
        .wait_message(room, bot, "reply", |m| {
            m["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == ev.as_str()
        })
        .await;
    ts(&reply) - t0
}

const MAUBOT_USER: &str = "@maubot:localhost";

/// maubot in standalone mode running `benches/maubot` (a plugin answering `!timeline`), on the
/// same Synapse, invited to its own room.
struct Maubot {
    proc: std::process::Child,
    room: String,
    _dir: tempfile::TempDir,
}

impl Maubot {
    async fn start(syn: &Synapse, alice: &Mx, venv: &str) -> Maubot {
        let (_, token) = syn.register("maubot", "maubot-password", false).await;
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = format!(
            "user:\n  credentials:\n    id: \"{MAUBOT_USER}\"\n    homeserver: {url}\n    access_token: {token}\n    device_id: null\n  sync: true\n  autojoin: true\n  displayname: disable\n  avatar_url: disable\n  ignore_initial_sync: true\n  ignore_first_sync: true\nserver:\n  hostname: 127.0.0.1\n  port: {port}\n  public_url: http://127.0.0.1:{port}\ndatabase: sqlite:{db}\nplugin_config: {{}}\nlogging:\n  version: 1\n  handlers:\n    console:\n      class: logging.StreamHandler\n  loggers:\n    maubot.init:\n      level: INFO\n  root:\n    level: WARNING\n    handlers: [console]\n",
            url = syn.url,
            db = dir.path().join("bot.db").display()
        );
        let path = dir.path().join("config.yaml");
        std::fs::write(&path, config).unwrap();
        let mut proc = std::process::Command::new(format!("{venv}/bin/python"))
            .args(["-m", "maubot.standalone", "-c"])
            .arg(&path)
            .arg("-m")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/maubot/maubot.yaml"))
            .current_dir(dir.path())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("maubot from BENCH_MAUBOT_VENV");
        // Its log is read to the end (a closed pipe would break its logging); the startup line
        // says it is syncing.
        let stderr = proc.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            use std::io::BufRead;
            let mut tx = Some(tx);
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("Startup completed") {
                    tx.take().map(|t| t.send(()));
                } else if tx.is_some() {
                    eprintln!("maubot: {line}");
                }
            }
        });
        let started = tokio::task::spawn_blocking(move || rx.recv_timeout(std::time::Duration::from_secs(60)).is_ok())
            .await
            .unwrap();
        assert!(started, "maubot did not start");
        let room = alice
            .create_room(json!({"preset": "private_chat", "invite": [MAUBOT_USER]}))
            .await;
        // Autojoin on invite: ask until it answers.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let ev = alice.say(&room, "!timeline warm-up").await;
            let answered = tokio::time::timeout(
                std::time::Duration::from_secs(2),
                alice.wait_message(&room, MAUBOT_USER, "warm-up reply", |m| {
                    m["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == ev.as_str()
                }),
            )
            .await;
            if answered.is_ok() {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "maubot never answered");
        }
        Maubot { proc, room, _dir: dir }
    }
}

fn median(v: &[i64]) -> i64 {
    let mut v = v.to_vec();
    v.sort_unstable();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25);
    let syn = Synapse::start().await;
    let alice = Mx::register(&syn, "alice", true).await;
    let cron = Mx::register(&syn, "cron", false).await;
    let alerts = alice
        .create_room(json!({"preset": "public_chat", "room_alias_name": "alerts"}))
        .await;
    cron.join("#alerts:localhost").await;
    // Baseline: what Synapse itself needs to create a private room with an alias (the bulk of
    // opening an incident), timed from the client.
    let mut create = Vec::new();
    for i in 0..runs {
        let t0 = std::time::Instant::now();
        alice
            .create_room(json!({"preset": "private_chat", "room_alias_name": format!("baseline-{i}"), "name": "x", "topic": "y"}))
            .await;
        create.push(t0.elapsed().as_millis() as i64);
    }
    report("baseline: createRoom by a client", create);

    // Every bench alert opens an incident: no alert-storm limit in the way.
    syn.register("warroom", mx::BOT_PASSWORD, false).await;
    let mut bot = BotProc::configured(
        &format!(
            "[matrix]\nhomeserver = \"{}\"\nuser = \"{BOT_USER}\"\nalert_rooms = [\"#alerts:localhost\"]\nresponders = [\"@alice:localhost\"]\n",
            syn.url
        ),
        &[
            ("WARROOM_MATRIX__PASSWORD", mx::BOT_PASSWORD),
            ("WARROOM_ALERTS__MAX_OPENINGS_PER_MINUTE", "100000"),
        ],
        "matrix: ready",
    );
    bot.start().await;
    println!("bot: {} (pid {})", support::BIN, bot.pid());
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    println!("idle (Matrix only, no incident): {}", support::memory(bot.pid()));
    if std::env::var_os("BENCH_SMAPS").is_some() {
        // The largest mappings at idle, for finding what holds the memory.
        let smaps = std::fs::read_to_string(format!("/proc/{}/smaps", bot.pid())).unwrap_or_default();
        let mut maps: Vec<(u64, String)> = Vec::new();
        let mut name = String::new();
        for line in smaps.lines() {
            if line.starts_with("Rss:") {
                let kb: u64 = line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0);
                maps.push((kb, name.clone()));
            } else if line
                .split_whitespace()
                .next()
                .is_some_and(|f| f.contains('-') && f.len() > 20)
            {
                let f: Vec<&str> = line.split_whitespace().collect();
                name = format!(
                    "{} {} {}",
                    f.get(1).unwrap_or(&""),
                    f.first().unwrap_or(&""),
                    f.get(5).unwrap_or(&"[anon]")
                );
            } else if (line.starts_with("FilePmdMapped:") || line.starts_with("Private_Clean:"))
                && let Some(last) = maps.last_mut()
            {
                last.1.push_str(&format!(
                    " {}",
                    line.split_whitespace().take(2).collect::<Vec<_>>().join("")
                ));
            }
        }
        maps.sort_by_key(|m| std::cmp::Reverse(m.0));
        for (kb, name) in maps.iter().take(12) {
            println!("  {kb:>8} kB  {name}");
        }
    }

    // Idle with both platforms configured: a second bot (its own Matrix account and data dir)
    // with Matrix and the local fake of Slack in Socket Mode.
    {
        syn.register("warroom2", mx::BOT_PASSWORD, false).await;
        let fake = fake_slack::Fake::start().await;
        let channel = fake.add_channel("alerts", &[fake_slack::ALICE]);
        let (slack, mut env) = fake.section("socket", &channel);
        env.push(("WARROOM_MATRIX__PASSWORD", mx::BOT_PASSWORD));
        let mut both = BotProc::configured(
            &format!(
                "[matrix]\nhomeserver = \"{}\"\nuser = \"@warroom2:localhost\"\n{slack}",
                syn.url
            ),
            &env,
            "matrix: ready",
        );
        both.start().await;
        fake.wait_socket().await;
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        println!(
            "idle (Matrix and Slack Socket Mode, no incident): {}",
            support::memory(both.pid())
        );
        assert!(both.stop().success());
    }

    // Polling stays cheap (the alert room's recent messages, then the admin API for the new
    // room), so the measuring client does not load the 2-core machine it measures.
    let mut open_lat = Vec::new();
    let mut room = String::new();
    for i in 0..runs {
        let t0 = now_ms();
        let alert = cron.say(&alerts, &format!("bench service {i} is down")).await;
        let link = alice.wait_reply(&alerts, BOT_USER, &alert).await;
        let alias = link
            .split_whitespace()
            .find(|w| w.starts_with("#inc-"))
            .expect("link names the room alias")
            .to_string();
        let (_, resolved) = alice
            .call(
                reqwest::Method::GET,
                &format!("/_matrix/client/v3/directory/room/{}", alias.replace('#', "%23")),
                None,
            )
            .await;
        room = resolved["room_id"].as_str().expect("room id").to_string();
        let (_, msgs) = alice
            .call(
                reqwest::Method::GET,
                &format!("/_synapse/admin/v1/rooms/{room}/messages?dir=f&limit=100"),
                None,
            )
            .await;
        let ann = msgs["chunk"]
            .as_array()
            .expect("admin messages")
            .iter()
            .find(|m| m["type"] == "m.room.message" && body(m).contains("🚨"))
            .expect("announcement before the link")
            .clone();
        open_lat.push(ts(&ann) - t0);
    }
    alice.join(&room).await;
    report("alert sent → announcement in the new incident room", open_lat);

    // The floor: a Python bot that only answers (benches/floor_bot.py, standard library only),
    // in its own room on the same Synapse, measured alternately with warroom so both see the
    // same load.
    let (_, _) = syn.register("floorbot", "floorbot-password", false).await;
    let floor_room = alice.create_room(json!({"preset": "public_chat"})).await;
    let mut floor = std::process::Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/floor_bot.py"))
        .args([syn.url.as_str(), "floorbot", "floorbot-password", floor_room.as_str()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 for the floor bot");
    {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(floor.stdout.take().expect("floor bot stdout"))
            .read_line(&mut line)
            .expect("floor bot output");
        assert_eq!(line.trim(), "ready", "the floor bot did not start");
    }
    let mut maubot = match std::env::var("BENCH_MAUBOT_VENV") {
        Ok(venv) => Some(Maubot::start(&syn, &alice, &venv).await),
        Err(_) => {
            println!("maubot: not measured (set BENCH_MAUBOT_VENV to a venv made with `pip install maubot==0.6.0`)");
            None
        }
    };
    let jobs_before = support::scrape(&bot.http_url()).await;
    let mut cmd_lat = Vec::new();
    let mut floor_lat = Vec::new();
    let mut maubot_lat = Vec::new();
    for j in 0..runs {
        cmd_lat.push(ask(&alice, &room, BOT_USER, &format!("!timeline bench entry {j}")).await);
        floor_lat.push(ask(&alice, &floor_room, "@floorbot:localhost", &format!("!ping {j}")).await);
        if let Some(m) = &maubot {
            maubot_lat.push(ask(&alice, &m.room, MAUBOT_USER, &format!("!timeline bench entry {j}")).await);
        }
    }
    let _ = floor.kill();
    let _ = floor.wait();
    if let Some(m) = maubot.as_mut() {
        let _ = m.proc.kill();
        let _ = m.proc.wait();
    }
    // Where warroom's own time goes: the outbox job of each reply, from being queued (after
    // the entry is durable) to being picked up, and from there to Synapse's answer to the send.
    let jobs_after = support::scrape(&bot.http_url()).await;
    for stage in ["queued", "sent"] {
        let labels = format!("{{platform=\"matrix\",stage=\"{stage}\"}}");
        let during = |name: &str| {
            let key = format!("warroom_outbox_job_seconds_{name}{labels}");
            support::metric(&jobs_after, &key) - support::metric(&jobs_before, &key)
        };
        let (sum, count) = (during("sum"), during("count"));
        println!(
            "warroom's Matrix outbox jobs, stage {stage}: mean {:.2} ms over {count} jobs",
            1000.0 * sum / count.max(1.0)
        );
    }
    let (ours, theirs) = (median(&cmd_lat), median(&floor_lat));
    report("!timeline sent → bot's reply", cmd_lat);
    report("floor: !ping sent → a do-nothing Python bot's reply", floor_lat);
    println!(
        "warroom's reply (entry durable first) vs the do-nothing bot's, p50: {ours} vs {theirs} ms = {:.2}×",
        ours as f64 / theirs.max(1) as f64
    );
    if maubot.is_some() {
        let m = median(&maubot_lat);
        report(
            "maubot 0.6 (standalone, a plugin that replies): !timeline sent → reply",
            maubot_lat,
        );
        println!(
            "warroom vs maubot, p50: {ours} vs {m} ms = {:.2}×",
            ours as f64 / m.max(1) as f64
        );
    }

    // Capture: cron says something in the incident room, alice reacts with 📌; from the
    // reaction's send to the bot's reply (sent after the entry is durable).
    cron.join(&room).await;
    let mut pin_lat = Vec::new();
    for j in 0..runs {
        let said = cron.say(&room, &format!("bench observation {j}")).await;
        let t0 = now_ms();
        let (status, v) = alice
            .call(
                reqwest::Method::PUT,
                &format!(
                    "/_matrix/client/v3/rooms/{}/send/m.reaction/pin{j}",
                    room.replace('!', "%21").replace(':', "%3A")
                ),
                Some(json!({"m.relates_to": {"rel_type": "m.annotation", "event_id": said, "key": "📌"}})),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        let reply = alice
            .wait_message(&room, BOT_USER, "the capture reply", |m| {
                m["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == said.as_str()
                    && body(m).contains("📌 Recorded")
            })
            .await;
        pin_lat.push(ts(&reply) - t0);
    }
    report("📌 reaction sent → bot's \"recorded\" reply", pin_lat);

    // Up to 100 incidents in all, then measure memory once the bot has caught up.
    let total = 100;
    for i in runs..total {
        cron.say(&alerts, &format!("bench service {i} is down")).await;
    }
    let start = std::time::Instant::now();
    loop {
        let links = alice
            .messages_from(&alerts, BOT_USER)
            .await
            .iter()
            .filter(|m| body(m).contains("opened"))
            .count();
        if links >= total {
            break;
        }
        assert!(start.elapsed().as_secs() < 300, "only {links} incidents opened");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    println!(
        "{total} incidents opened ({} s for the last {}); bot RSS {:.1} MB",
        start.elapsed().as_secs(),
        total - runs,
        support::proc_mb(bot.pid(), "VmRSS:")
    );
    assert!(bot.stop().success());
}
