//! Alert webhooks under load, on the release bot with the local fake of Slack as its chat
//! platform (Socket Mode):
//! 1. throughput and latency: `BENCH_REQUESTS` (default 5,000) generic webhooks from 50
//!    concurrent senders, each a distinct alert in one of 10 groups; every 2xx includes the
//!    durable write;
//! 2. a burst of 10,000 alerts: 1,000 Alertmanager notifications of 10 alerts each, in 20
//!    groups, from 50 concurrent senders: wall time, peak RSS, incidents opened and the chat
//!    messages posted (alert news coalesced per incident; `alerts.coalesce_seconds` = 5).
//!
//! Run: `cargo bench --bench hooks`

#![allow(dead_code)]

#[path = "../tests/it/fake_slack/mod.rs"]
mod fake_slack;
#[path = "../tests/it/mx.rs"]
mod mx;
#[path = "../tests/it/support.rs"]
mod support;
#[path = "../tests/it/synapse.rs"]
mod synapse;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fake_slack::{ALICE, Fake};
use serde_json::json;
use support::{percentile_ms, proc_mb};

const SENDERS: usize = 50;
const TOKEN: &str = "bench-hook-token";

/// Send `bodies` to `url` from `SENDERS` tasks; returns each request's latency.
async fn blast(http: &reqwest::Client, url: &str, bodies: Vec<String>) -> Vec<Duration> {
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..SENDERS {
        let (http, url, bodies, next) = (http.clone(), url.to_string(), bodies.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let started = Instant::now();
                let r = http
                    .post(&url)
                    .bearer_auth(TOKEN)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .expect("webhook");
                let status = r.status();
                let _ = r.bytes().await;
                assert!(status.is_success(), "webhook answered {status}");
                lat.push(started.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("sender"));
    }
    all.sort();
    all
}

/// Wait until the fake Slack has seen no new message for longer than a coalescing window
/// (5 s): the summaries are out and the outbox has drained.
async fn settle(fake: &Fake) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut seen, mut since) = (fake.with(|s| s.messages.len()), Instant::now());
    while since.elapsed() < Duration::from_secs(7) {
        assert!(Instant::now() < deadline, "chat traffic did not settle");
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = fake.with(|s| s.messages.len());
        if now != seen {
            (seen, since) = (now, Instant::now());
        }
    }
}

fn am_notification(group: usize, first: usize, n: usize) -> String {
    let alerts: Vec<_> = (first..first + n)
        .map(|i| {
            json!({
                "status": "firing",
                "labels": {"alertname": format!("Storm{group}"), "instance": format!("host-{i}:9100"), "severity": "warning"},
                "annotations": {"summary": format!("Storm {group} on host-{i}")},
                "startsAt": "2026-11-20T13:20:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph",
                "fingerprint": format!("{group:04x}{i:012x}"),
            })
        })
        .collect();
    json!({
        "version": "4",
        "groupKey": format!("{{}}:{{alertname=\"Storm{group}\"}}"),
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "warroom",
        "groupLabels": {"alertname": format!("Storm{group}")},
        "commonLabels": {"alertname": format!("Storm{group}"), "severity": "warning"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": alerts,
    })
    .to_string()
}

#[tokio::main]
async fn main() {
    let requests: usize = std::env::var("BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let fake = Fake::start().await;
    let alerts = fake.add_channel("alerts", &[ALICE]);
    let (slack, mut env) = fake.section("socket", &alerts);
    env.push(("WARROOM_HOOKS__GENERIC__BEARER_TOKEN", TOKEN));
    env.push(("WARROOM_HOOKS__ALERTMANAGER__BEARER_TOKEN", TOKEN));
    env.push(("WARROOM_ALERTS__COALESCE_SECONDS", "5"));
    // Measure throughput, not the storm limit: every distinct alert may open its incident.
    env.push(("WARROOM_ALERTS__MAX_OPENINGS_PER_MINUTE", "0"));
    // The fake has no Tier 2 limit: no pacing of channel creation either.
    env.push(("WARROOM_SLACK__CHANNELS_PER_MINUTE", "0"));
    let mut bot = mx::BotProc::configured(
        // Generic alerts group by their fingerprint unless a rule says otherwise: this one puts
        // each distinct alert into one of 10 groups.
        &format!(
            "{slack}\n[hooks.generic]\n[hooks.alertmanager]\n\n[[alerts.rules]]\nname = \"bench\"\nsources = [\"generic\"]\ntitle = \"Latency {{labels.group}}\"\ngroup_by = \"{{labels.group}}\"\n"
        ),
        &env,
        "slack: ready (socket mode)",
    );
    bot.start().await;
    let pid = bot.pid();
    let base = bot.http_url();
    println!("bot: {} (pid {pid})", support::BIN);
    fake.wait_socket().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    println!(
        "idle (Slack Socket Mode and three webhook receivers, no incident): {}",
        support::memory(pid)
    );
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(SENDERS)
        .build()
        .unwrap();

    // 1. Throughput and latency.
    let bodies: Vec<String> = (0..requests)
        .map(|i| {
            json!({"title": format!("Latency {i}"), "fingerprint": format!("lat-{i}"), "severity": "sev3", "labels": {"group": format!("g{}", i % 10)}})
                .to_string()
        })
        .collect();
    let started = Instant::now();
    let lat = blast(&http, &format!("{base}/hooks/generic"), bodies).await;
    let wall = started.elapsed();
    println!(
        "generic webhooks: {} requests from {SENDERS} senders in {:.2} s = {:.0} req/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lat.len(),
        wall.as_secs_f64(),
        lat.len() as f64 / wall.as_secs_f64(),
        percentile_ms(&lat, 0.50),
        percentile_ms(&lat, 0.99),
        percentile_ms(&lat, 1.0)
    );
    settle(&fake).await;

    // 1b. One notification at a time: 1 alert vs 10 alerts (one durability group each).
    for n in [1usize, 10] {
        let mut lat = Vec::new();
        for k in 0..50 {
            // Each notification opens its own group's incident, for 1 and for 10 alerts alike.
            let body = am_notification(100 + 50 * (n / 10) + k, 0, n);
            let started = Instant::now();
            let r = http
                .post(format!("{base}/hooks/alertmanager"))
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("webhook");
            assert!(r.status().is_success());
            let _ = r.bytes().await;
            lat.push(started.elapsed());
        }
        lat.sort();
        println!(
            "one notification of {n} alert(s) at a time: n=50 p50 {:.1} ms, p99 {:.1} ms",
            percentile_ms(&lat, 0.50),
            percentile_ms(&lat, 0.99)
        );
    }
    settle(&fake).await;
    let incidents_before = fake.with(|s| s.channels.iter().filter(|c| c.name.starts_with("inc-")).count());
    let rss_before = proc_mb(pid, "VmRSS:");

    // 2. The 10,000-alert burst.
    let messages_before = fake.with(|s| s.messages.len());
    let bodies: Vec<String> = (0..1_000).map(|n| am_notification(n % 20, (n / 20) * 10, 10)).collect();
    let started = Instant::now();
    let lat = blast(&http, &format!("{base}/hooks/alertmanager"), bodies).await;
    let wall = started.elapsed();
    let hwm = proc_mb(pid, "VmHWM:");
    settle(&fake).await;
    let (channels, messages) = fake.with(|s| {
        (
            s.channels.iter().filter(|c| c.name.starts_with("inc-")).count(),
            s.messages.len(),
        )
    });
    println!(
        "burst: 10,000 alerts in 1,000 Alertmanager notifications (20 groups) in {:.2} s = {:.0} alerts/s; notification p50 {:.1} ms, p99 {:.1} ms",
        wall.as_secs_f64(),
        10_000.0 / wall.as_secs_f64(),
        percentile_ms(&lat, 0.50),
        percentile_ms(&lat, 0.99)
    );
    println!(
        "burst: incidents opened {}; chat messages posted {} ({:.1} per incident); RSS {:.1} MB before, peak (VmHWM) {:.1} MB; after: anonymous {:.1} MB, file {:.1} MB",
        channels - incidents_before,
        messages - messages_before,
        (messages - messages_before) as f64 / (channels - incidents_before).max(1) as f64,
        rss_before,
        hwm,
        proc_mb(pid, "RssAnon:"),
        proc_mb(pid, "RssFile:")
    );
    assert!(bot.stop().success());
}
