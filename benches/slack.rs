//! Slack slash-command acknowledgement latency in HTTP mode: the release bot against the local
//! fake of Slack, `BENCH_ROUNDS` (default 20) rounds of 50 concurrent signed `/timeline`
//! requests in one incident channel; each acknowledgement includes the durable write.
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

use fake_slack::{APP_TOKEN, BOT_TOKEN, Fake, bot_message, event_callback, slash_payload};

const SECRET: &str = "bench-signing-secret";
const CONCURRENCY: usize = 50;

async fn post(http: &reqwest::Client, url: &str, body: String, form: bool) -> (u16, Duration) {
    let ts = chrono::Utc::now().timestamp();
    let sig = fake_slack::sign(SECRET, ts, &body);
    let started = Instant::now();
    let resp = http
        .post(url)
        .header(
            "content-type",
            if form {
                "application/x-www-form-urlencoded"
            } else {
                "application/json"
            },
        )
        .header("x-slack-request-timestamp", ts.to_string())
        .header("x-slack-signature", sig)
        .body(body)
        .send()
        .await
        .expect("post");
    let status = resp.status().as_u16();
    let _ = resp.bytes().await;
    (status, started.elapsed())
}

fn pct(v: &[Duration], p: f64) -> f64 {
    v[((v.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let fake = Fake::start().await;
    let alerts = fake.add_channel("alerts", &["UALICE0001"]);
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let section = format!(
        "[slack]\nmode = \"http\"\napi_url = \"{}\"\nalert_channels = [\"{alerts}\"]\nresponders = [\"UALICE0001\"]\n",
        fake.api_url()
    );
    let mut bot = mx::BotProc::configured(
        &section,
        &[
            ("WARROOM_SLACK__BOT_TOKEN", BOT_TOKEN),
            ("WARROOM_SLACK__APP_TOKEN", APP_TOKEN),
            ("WARROOM_SLACK__SIGNING_SECRET", SECRET),
            ("WARROOM_HTTP__LISTEN", &addr),
        ],
        "http: listening",
    );
    bot.start().await;
    println!("bot: {} (pid {})", support::BIN, bot.pid());
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let events = format!("http://{addr}/slack/events");
    let commands = format!("http://{addr}/slack/commands");
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
                    "UALICE0001",
                    &format!("trig.{r}.{i}"),
                );
                let form: Vec<(String, String)> = p
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect();
                post(&http, &url, serde_urlencoded::to_string(&form).unwrap(), true).await
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
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 1.0),
        lat.len() as f64 / wall.as_secs_f64()
    );
    assert!(bot.stop().success());
}
