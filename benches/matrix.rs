//! Matrix latency benchmark against a real Synapse on loopback, with the release binary as the
//! bot: alert message sent → incident room announcement, and `!timeline` → the bot's reply,
//! p50/p95 over `BENCH_RUNS` (default 25) each; then the bot's RSS with 100 incidents.
//! Times come from the homeserver's `origin_server_ts` of the bot's events (same clock as
//! the sender here), so polling intervals do not count.
//!
//! Run: `cargo bench --bench matrix`

#![allow(dead_code)]

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
        "{name}: n={} p50={} ms p95={} ms min={} ms max={} ms",
        v.len(),
        pct(0.5),
        pct(0.95),
        v[0],
        v[v.len() - 1]
    );
}

fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
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
    let mut bot = BotProc::new(&syn, &["#alerts:localhost"], &["@alice:localhost"]).await;
    bot.start().await;
    println!("bot: {} (pid {})", support::BIN, bot.pid());

    let mut open_lat = Vec::new();
    let mut room = String::new();
    for i in 0..runs {
        let t0 = now_ms();
        cron.say(&alerts, &format!("bench service {i} is down")).await;
        room = alice.wait_invite().await;
        alice.join(&room).await;
        let ann = alice
            .wait_message(&room, BOT_USER, "announcement", |m| body(m).contains("🚨"))
            .await;
        open_lat.push(ts(&ann) - t0);
    }
    report("alert sent → announcement in the new incident room", open_lat);

    let mut cmd_lat = Vec::new();
    for j in 0..runs {
        let t0 = now_ms();
        let ev = alice.say(&room, &format!("!timeline bench entry {j}")).await;
        let reply = alice
            .wait_message(&room, BOT_USER, "reply", |m| {
                m["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == ev.as_str()
            })
            .await;
        cmd_lat.push(ts(&reply) - t0);
    }
    report("!timeline sent → bot's reply", cmd_lat);

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
        rss_mb(bot.pid())
    );
    assert!(bot.stop().success());
}
