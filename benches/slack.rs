//! Slack slash-command acknowledgement latency in HTTP mode: the release bot against the local
//! fake of Slack, `BENCH_ROUNDS` (default 20) rounds of 50 concurrent signed `/timeline`
//! requests in one incident channel; each acknowledgement includes the durable write. Then
//! capture: `BENCH_RUNS` (default 50) sequential `reaction_added` (📌) events on people's
//! messages, from the event's POST to its acknowledgement (the message fetched with
//! `conversations.history` and `chat.getPermalink`, the entry durable) and to the bot's
//! "recorded" reply reaching the fake; beside sequential `/timeline` acknowledgements.
//!
//! Run: `cargo bench --bench slack`

#![allow(dead_code)]

#[path = "../tests/it/fake_slack/mod.rs"]
mod fake_slack;
#[path = "../tests/it/mx.rs"]
mod mx;
#[path = "../tests/it/support.rs"]
mod support;
#[path = "../tests/it/synapse.rs"]
mod synapse;

use std::time::{Duration, Instant};

use fake_slack::{ALICE, Fake, SIGNING_SECRET, bot_message, event_callback, slash_form, slash_payload};
use support::percentile_ms;

const CONCURRENCY: usize = 50;

async fn post(http: &reqwest::Client, url: &str, body: String, form: bool) -> (u16, Duration) {
    let req = fake_slack::slack_request(http, url, &body, form, Some((SIGNING_SECRET, 0)));
    let started = Instant::now();
    let resp = req.send().await.expect("post");
    let status = resp.status().as_u16();
    let _ = resp.bytes().await;
    (status, started.elapsed())
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let fake = Fake::start().await;
    let alerts = fake.add_channel("alerts", &[ALICE]);
    // One user sends every request: a limit far above the load keeps the per-user rate limit
    // in the path (its cost is measured) without refusing anything.
    let (section, mut env) = fake.section("http", &alerts);
    env.push(("WARROOM_ACCESS__COMMANDS_PER_MINUTE", "100000000"));
    let mut bot = mx::BotProc::configured(&section, &env, "http: listening");
    bot.start().await;
    println!("bot: {} (pid {})", support::BIN, bot.pid());
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let addr = bot.http_url();
    let events = format!("{addr}/slack/events");
    let commands = format!("{addr}/slack/commands");
    let body = event_callback(
        bot_message(&alerts, "bench ETL failed", "1700000000.000100"),
        "Ev0BENCH01",
    )
    .to_string();
    assert_eq!(post(&http, &events, body, false).await.0, 200);
    let chan = fake.wait_channel("inc-1-").await;

    let mut lat = Vec::new();
    let started = Instant::now();
    for r in 0..rounds {
        let mut tasks = Vec::new();
        for i in 0..CONCURRENCY {
            let (http, url, base, chan) = (http.clone(), commands.clone(), fake.url.clone(), chan.id.clone());
            tasks.push(tokio::spawn(async move {
                let p = slash_payload(
                    &base,
                    "/timeline",
                    &format!("bench {r}-{i}"),
                    &chan,
                    ALICE,
                    &format!("trig.{r}.{i}"),
                );
                post(&http, &url, slash_form(&p), true).await
            }));
        }
        for t in tasks {
            let (status, d) = t.await.unwrap();
            assert_eq!(status, 200);
            lat.push(d);
        }
    }
    let wall = started.elapsed();
    lat.sort();
    println!(
        "slash-command ack latency, HTTP mode, {CONCURRENCY} concurrent, {} requests: p50={:.1} ms p99={:.1} ms max={:.1} ms; {:.0} acks/s",
        lat.len(),
        percentile_ms(&lat, 0.5),
        percentile_ms(&lat, 0.99),
        percentile_ms(&lat, 1.0),
        lat.len() as f64 / wall.as_secs_f64()
    );
    capture(&fake, &http, &events, &commands, &chan.id).await;
    assert!(bot.stop().success());
}

/// Sequential 📌 captures (ack, and the reply in the channel) beside sequential `/timeline`.
async fn capture(fake: &Fake, http: &reqwest::Client, events: &str, commands: &str, chan: &str) {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let mut slash = Vec::new();
    for i in 0..runs {
        let p = slash_payload(
            &fake.url,
            "/timeline",
            &format!("seq {i}"),
            chan,
            ALICE,
            &format!("trig.seq.{i}"),
        );
        let (status, d) = post(http, commands, slash_form(&p), true).await;
        assert_eq!(status, 200);
        slash.push(d);
    }
    let (mut ack, mut replied) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let ts = fake.with(|s| {
            let ts = s.ts();
            s.people.push((
                chan.to_string(),
                serde_json::json!({"type": "message", "user": "UBOB000001", "text": format!("observation {i}"), "ts": ts}),
            ));
            ts
        });
        let event = serde_json::json!({"type": "reaction_added", "user": ALICE, "reaction": "pushpin",
            "item_user": "UBOB000001", "item": {"type": "message", "channel": chan, "ts": ts}, "event_ts": ts});
        let started = Instant::now();
        let (status, d) = post(
            http,
            events,
            event_callback(event, &format!("Ev0PIN{i:05}")).to_string(),
            false,
        )
        .await;
        assert_eq!(status, 200);
        ack.push(d);
        // Polled every millisecond (the fake is in this process), so polling barely counts.
        loop {
            let done = fake.with(|s| {
                s.messages
                    .iter()
                    .any(|m| m.thread_ts.as_deref() == Some(ts.as_str()) && m.text.contains("📌 Recorded"))
            });
            if done {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "no capture reply");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        replied.push(started.elapsed());
    }
    for (name, mut v) in [
        ("/timeline ack, sequential", slash),
        ("📌 reaction_added ack (fetch + durable entry), sequential", ack),
        ("📌 reaction_added → \"recorded\" reply in the channel", replied),
    ] {
        v.sort();
        println!(
            "{name}: n={} p50={:.1} ms p99={:.1} ms max={:.1} ms",
            v.len(),
            percentile_ms(&v, 0.5),
            percentile_ms(&v, 0.99),
            percentile_ms(&v, 1.0)
        );
    }
}
