//! Alert webhooks and operations end to end, on the real `warroom run` binary: Alertmanager
//! and generic payloads into a real Synapse; refusals that change nothing; re-sends with one
//! effect; resolution proposed; health, readiness and metrics; `incidents`/`export` while the
//! bot runs; one incident in Slack (fake) and Matrix at once; SIGTERM during a burst.

use std::time::Duration;

use serde_json::{Value, json};

use crate::fake_slack::{ALICE, Fake};
use crate::matrix::body;
use crate::mx::{BOT_PASSWORD, BOT_USER, BotProc, Mx};
use crate::support::{metric, ok, scrape, stdout};
use crate::synapse::Synapse;

const AM_TOKEN: &str = "am-bearer-7d1f0c";
const GENERIC_HMAC: &str = "generic-hmac-93be2a";

fn fixture(name: &str) -> Vec<u8> {
    crate::support::read(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/hooks")
            .join(name),
    )
    .into_bytes()
}

fn matrix_section(syn: &Synapse) -> String {
    format!(
        "[matrix]\nhomeserver = \"{}\"\nuser = \"{BOT_USER}\"\nalert_rooms = []\nresponders = [\"@alice:localhost\"]\n",
        syn.url
    )
}

async fn post(http: &reqwest::Client, url: &str, body: Vec<u8>, headers: &[(&str, String)]) -> (u16, Value) {
    let mut req = http.post(url).header("content-type", "application/json").body(body);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let r = req.send().await.expect("webhook request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn bearer(t: &str) -> Vec<(&'static str, String)> {
    vec![("authorization", format!("Bearer {t}"))]
}

fn signed(secret: &str, body: &[u8], age: i64) -> Vec<(&'static str, String)> {
    signed_at(secret, body, chrono::Utc::now().timestamp() - age)
}

/// Signature headers for `body` with the timestamp `ts` (Unix seconds).
fn signed_at(secret: &str, body: &[u8], ts: i64) -> Vec<(&'static str, String)> {
    vec![
        ("x-warroom-timestamp", ts.to_string()),
        ("x-warroom-signature", warroom::http::hooks::sign(secret, ts, body)),
    ]
}

/// A refused request: what, URL, body, headers, expected status, expected error text.
type Refusal = (
    &'static str,
    String,
    Vec<u8>,
    Vec<(&'static str, String)>,
    u16,
    &'static str,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_into_matrix_with_refusals_resends_resolution_and_ops() {
    let syn = Synapse::start().await;
    let alice = Mx::register(&syn, "alice", true).await;
    syn.register("warroom", BOT_PASSWORD, false).await;
    let mut bot = BotProc::configured(
        &format!("{}\n[hooks.alertmanager]\n[hooks.generic]\n", matrix_section(&syn)),
        &[
            ("WARROOM_MATRIX__PASSWORD", BOT_PASSWORD),
            ("WARROOM_HOOKS__ALERTMANAGER__BEARER_TOKEN", AM_TOKEN),
            ("WARROOM_HOOKS__GENERIC__HMAC_SECRET", GENERIC_HMAC),
            ("WARROOM_ALERTS__COALESCE_SECONDS", "2"),
        ],
        "matrix: ready",
    );
    bot.start().await;
    let base = bot.http_url();
    let http = reqwest::Client::new();
    let am = format!("{base}/hooks/alertmanager");
    let generic = format!("{base}/hooks/generic");

    // Health and readiness.
    let h = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(h.status(), 200);
    let r = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r: Value = r.json().await.unwrap();
    assert_eq!(
        (r["store"]["ready"].clone(), r["adapters"]["matrix"]["ready"].clone()),
        (json!(true), json!(true)),
        "{r}"
    );

    // Refusals: each a 4xx with a JSON reason, and nothing stored.
    let firing = fixture("alertmanager-firing.json");
    let cases: Vec<Refusal> = vec![
        (
            "no token",
            am.clone(),
            firing.clone(),
            vec![],
            401,
            "missing Authorization",
        ),
        (
            "wrong token",
            am.clone(),
            firing.clone(),
            bearer("nope"),
            401,
            "does not match",
        ),
        (
            "malformed",
            am.clone(),
            b"{\"version\":".to_vec(),
            bearer(AM_TOKEN),
            400,
            "not a valid Alertmanager payload",
        ),
        (
            "unknown version",
            am.clone(),
            String::from_utf8(firing.clone())
                .unwrap()
                .replacen("\"version\": \"4\"", "\"version\": \"3\"", 1)
                .into_bytes(),
            bearer(AM_TOKEN),
            422,
            "version \"3\" is not supported",
        ),
        (
            "oversize",
            am.clone(),
            vec![b' '; 1024 * 1024 + 1],
            bearer(AM_TOKEN),
            413,
            "larger than 1 MiB",
        ),
        (
            "unsigned",
            generic.clone(),
            fixture("generic-firing.json"),
            vec![],
            401,
            "missing X-Warroom-Timestamp",
        ),
        (
            "bad signature",
            generic.clone(),
            fixture("generic-firing.json"),
            signed("wrong-secret", &fixture("generic-firing.json"), 0),
            401,
            "signature does not match",
        ),
        (
            "stale signature",
            generic.clone(),
            fixture("generic-firing.json"),
            signed(GENERIC_HMAC, &fixture("generic-firing.json"), 600),
            401,
            "stale",
        ),
        (
            "disabled receiver",
            format!("{base}/hooks/grafana"),
            fixture("grafana-firing.json"),
            vec![],
            404,
            "[hooks.grafana]",
        ),
    ];
    for (what, url, body, headers, code, needle) in cases {
        let (status, v) = post(&http, &url, body, &headers).await;
        assert_eq!(status, code, "{what}: {v}");
        assert!(v["error"].as_str().unwrap_or("").contains(needle), "{what}: {v}");
    }
    // `warroom incidents` works while the bot holds the data dir (through its local API).
    let listed = stdout(&bot.cmd(&["incidents", "--all"]).output().unwrap());
    assert!(listed.contains("No incidents."), "{listed}");

    // Firing: one incident for the group, both alerts in it; the room opens in Matrix.
    let (status, v) = post(&http, &am, firing.clone(), &bearer(AM_TOKEN)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["outcomes"], json!({"opened": 1, "attached": 1}), "{v}");
    assert_eq!(v["opened"], json!(["INC-1"]));
    let room = alice.wait_invite().await;
    alice.join(&room).await;
    alice
        .wait_message(&room, BOT_USER, "the announcement", |m| body(m).contains("🚨 INC-1"))
        .await;
    alice
        .wait_message(&room, BOT_USER, "the second alert", |m| {
            body(m).contains("alert firing (×2)")
        })
        .await;
    // The same notification again (Alertmanager retries, repeat_interval): no effect.
    let (status, v) = post(&http, &am, firing.clone(), &bearer(AM_TOKEN)).await;
    assert_eq!((status, v["outcomes"].clone()), (200, json!({"duplicate": 2})), "{v}");

    // One alert resolves, then the other: timeline entries and a proposal, not a resolution.
    let (status, v) = post(&http, &am, fixture("alertmanager-resolved-one.json"), &bearer(AM_TOKEN)).await;
    assert_eq!(
        (status, v["outcomes"].clone()),
        (200, json!({"resolved": 1, "duplicate": 1})),
        "{v}"
    );
    let (status, _) = post(&http, &am, fixture("alertmanager-resolved-all.json"), &bearer(AM_TOKEN)).await;
    assert_eq!(status, 200);
    let proposal = alice
        .wait_message(&room, BOT_USER, "the proposal", |m| body(m).contains("have resolved"))
        .await;
    assert!(
        body(&proposal).contains("All 2 alerts of INC-1") && body(&proposal).contains("!incident resolve"),
        "{}",
        body(&proposal)
    );
    alice
        .wait_message(&room, BOT_USER, "the resolved news", |m| {
            body(m).contains("resolved: NDWEtlFailed: NDW ETL failed on etl-2")
        })
        .await;
    let firing_posts = alice
        .messages_from(&room, BOT_USER)
        .await
        .iter()
        .filter(|m| body(m).contains("alert firing (×"))
        .count();
    assert_eq!(firing_posts, 1, "the re-sent notification was not posted again");

    // Export while running: the timeline has the alerts and their resolution; still open.
    let md = ok(bot.cmd(&["export", "INC-1"]).output().unwrap());
    assert!(md.contains("alert firing (×2)"), "{md}");
    assert!(
        md.contains("(1 still firing)") && md.contains("(all 2 alerts resolved)"),
        "{md}"
    );
    // Proposed, not done: INC-1 is still investigating.
    let listed = stdout(&bot.cmd(&["incidents"]).output().unwrap());
    let row = listed.lines().find(|l| l.starts_with("INC-1 ")).unwrap_or_default();
    assert!(
        row.contains("investigating") && row.contains("NDWEtlFailed"),
        "{listed}"
    );
    let missing = bot.cmd(&["export", "INC-9"]).output().unwrap();
    assert!(!missing.status.success());
    assert!(crate::support::stderr(&missing).contains("INC-9 does not exist"));

    // A signed generic alert opens INC-2; the same one signed again is a duplicate.
    let g = fixture("generic-firing.json");
    let ts = chrono::Utc::now().timestamp();
    let (status, v) = post(&http, &generic, g.clone(), &signed_at(GENERIC_HMAC, &g, ts)).await;
    assert_eq!((status, v["opened"].clone()), (200, json!(["INC-2"])), "{v}");
    // (Signed anew, with another timestamp: the very same signature again would be refused as
    // a replay. Not "now - 1" taken later: a second boundary between the two would make it
    // the same timestamp.)
    let (status, v) = post(&http, &generic, g.clone(), &signed_at(GENERIC_HMAC, &g, ts - 1)).await;
    assert_eq!((status, v["outcomes"].clone()), (200, json!({"duplicate": 1})), "{v}");
    let room2 = alice.wait_invite().await;
    alice.join(&room2).await;
    alice
        .wait_message(&room2, BOT_USER, "INC-2's announcement", |m| {
            body(m).contains("Disk full on db-1")
        })
        .await;

    // Metrics say what happened.
    let m = scrape(&base).await;
    assert_eq!(
        metric(&m, "warroom_alerts_total{source=\"alertmanager\",outcome=\"opened\"}"),
        1.0,
        "{m}"
    );
    assert_eq!(
        metric(
            &m,
            "warroom_alerts_total{source=\"alertmanager\",outcome=\"duplicate\"}"
        ),
        4.0,
        "{m}"
    );
    assert_eq!(
        metric(&m, "warroom_alerts_total{source=\"alertmanager\",outcome=\"resolved\"}"),
        2.0,
        "{m}"
    );
    assert_eq!(
        metric(&m, "warroom_alerts_total{source=\"alertmanager\",outcome=\"rejected\"}"),
        5.0,
        "{m}"
    );
    assert_eq!(
        metric(&m, "warroom_alerts_total{source=\"generic\",outcome=\"rejected\"}"),
        3.0,
        "{m}"
    );
    assert_eq!(metric(&m, "warroom_incidents_open{severity=\"sev1\"}"), 1.0, "{m}");
    assert_eq!(metric(&m, "warroom_incidents_open{severity=\"sev2\"}"), 1.0, "{m}");
    assert_eq!(metric(&m, "warroom_incidents_opened_total"), 2.0, "{m}");
    assert!(
        m.contains("# TYPE warroom_incident_time_to_resolve_seconds histogram"),
        "{m}"
    );

    assert!(bot.stop().success());
    // Nothing the refusals carried was stored: exactly the two incidents.
    let all = ok(bot.cmd(&["incidents", "--all"]).output().unwrap());
    assert_eq!(all.lines().filter(|l| l.starts_with("INC-")).count(), 2, "{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_incident_lives_in_slack_and_matrix() {
    let syn = Synapse::start().await;
    let alice = Mx::register(&syn, "alice", true).await;
    syn.register("warroom", BOT_PASSWORD, false).await;
    let fake = Fake::start().await;
    let alerts = fake.add_channel("alerts", &[ALICE]);
    let (slack, mut env) = fake.section("socket", &alerts);
    env.extend([
        ("WARROOM_MATRIX__PASSWORD", BOT_PASSWORD),
        ("WARROOM_HOOKS__GENERIC__BEARER_TOKEN", "generic-bearer-51aa"),
    ]);
    let mut bot = BotProc::configured(
        &format!("{}\n{slack}\n[hooks.generic]\n", matrix_section(&syn)),
        &env,
        "matrix: ready",
    );
    bot.start().await;
    bot.wait_log("slack: ready (socket mode)", 1).await;
    let http = reqwest::Client::new();

    // A webhook alert opens INC-1 in both: a Slack channel and a Matrix room.
    let (status, v) = post(
        &http,
        &format!("{}/hooks/generic", bot.http_url()),
        fixture("generic-firing.json"),
        &bearer("generic-bearer-51aa"),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let chan = fake.wait_channel("inc-1-").await;
    fake.wait_message(&chan.id, "🚨 INC-1").await;
    let room = alice.wait_invite().await;
    alice.join(&room).await;
    alice
        .wait_message(&room, BOT_USER, "the announcement", |m| body(m).contains("🚨 INC-1"))
        .await;

    // A command on each side: both land in the one timeline, and each side sees the other's.
    // Each side's text as the other shows it: HTML, mentions and links stay text.
    let ack = fake
        .ack(&fake.slash("/timeline", "13:25 restarted docker <b>now</b> @room", &chan.id, ALICE))
        .await;
    assert!(ack["payload"]["text"].as_str().unwrap_or("").contains('#'), "{ack}");
    let ev = alice
        .say(&room, "!timeline 13:30 failed over the database <!channel> <@U1> & co")
        .await;
    alice.wait_reply(&room, BOT_USER, &ev).await;
    let mirrored = alice
        .wait_message(&room, BOT_USER, "Slack's command mirrored", |m| {
            body(m).contains("(slack)") && body(m).contains("restarted docker")
        })
        .await;
    let html = mirrored["content"]["formatted_body"].as_str().unwrap_or_default();
    assert!(
        html.contains("&lt;b&gt;now&lt;/b&gt;") && !html.contains("<b>"),
        "{mirrored}"
    );
    assert!(!body(&mirrored).contains("@room"), "{mirrored}");
    let seen = fake.wait_message(&chan.id, "failed over the database").await;
    assert!(seen.text.contains("(matrix)"), "{}", seen.text);
    assert!(
        seen.text.contains("&lt;!channel&gt; &lt;@U1&gt; &amp; co") && !seen.text.contains("<!channel>"),
        "{}",
        seen.text
    );
    // Severity changed in Matrix shows in Slack's topic too.
    let ev = alice.say(&room, "!incident sev sev1").await;
    alice.wait_reply(&room, BOT_USER, &ev).await;
    fake.wait("the Slack topic follows", |s| {
        s.channels
            .iter()
            .find(|c| c.id == chan.id && c.topic.to_lowercase().contains("sev1"))
            .map(|_| ())
    })
    .await;

    // Closed from Slack: the draft reaches the Matrix room as well, with both entries in order.
    fake.ack(&fake.slash("/incident", "close", &chan.id, ALICE)).await;
    fake.wait_message(&chan.id, "Draft postmortem of INC-1").await;
    let draft = alice
        .wait_message(&room, BOT_USER, "the draft in Matrix", |m| {
            body(m).contains("Draft postmortem of INC-1") || body(m).contains("# INC-1")
        })
        .await;
    let _ = draft;
    let md = ok(bot.cmd(&["export", "INC-1"]).output().unwrap());
    let (a, b) = (
        md.find("restarted docker").expect("Slack's entry"),
        md.find("failed over the database").expect("Matrix's entry"),
    );
    assert!(a < b, "entries in time order:\n{md}");
    assert_eq!(
        ok(bot.cmd(&["incidents", "--all"]).output().unwrap())
            .matches("INC-")
            .count(),
        1
    );
    assert!(bot.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_webhook_burst_loses_no_acknowledged_alert() {
    // Distinct fingerprints, each its own incident: no limit on openings a minute here (an
    // alert storm is `an_alert_storm_opens_one_channel_not_hundreds`).
    let mut bot = BotProc::configured(
        "[hooks.generic]\n",
        &[
            ("WARROOM_HOOKS__GENERIC__BEARER_TOKEN", "burst-bearer-0c11"),
            ("WARROOM_ALERTS__MAX_OPENINGS_PER_MINUTE", "0"),
        ],
        "http: listening",
    );
    bot.start().await;
    let url = format!("{}/hooks/generic", bot.http_url());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut senders = Vec::new();
    for s in 0..8 {
        let (http, url, acked) = (http.clone(), url.clone(), acked.clone());
        senders.push(tokio::spawn(async move {
            for n in 0..10_000 {
                let fp = format!("burst-{s}-{n}");
                let body = json!({"title": format!("Burst {fp}"), "fingerprint": fp, "severity": "sev4"});
                match http
                    .post(&url)
                    .bearer_auth("burst-bearer-0c11")
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => acked.lock().unwrap().push(fp),
                    _ => return,
                }
            }
        }));
    }
    // Let the burst run, then SIGTERM in the middle of it.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < 200 {
        assert!(
            std::time::Instant::now() < deadline && senders.iter().any(|s| !s.is_finished()),
            "the burst stopped before 200 webhooks were acknowledged:\n{}",
            bot.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let started = std::time::Instant::now();
    let status = bot.stop();
    assert!(status.success(), "{status}:\n{}", bot.log());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stopped in {:?}",
        started.elapsed()
    );
    for s in senders {
        let _ = s.await;
    }
    let acked = acked.lock().unwrap().clone();
    // Every alert that got a 2xx is in the store.
    let listed = ok(bot.cmd(&["incidents", "--all"]).output().unwrap());
    let titles: std::collections::HashSet<&str> = listed
        .lines()
        .filter_map(|l| l.split_once(" Burst ").map(|(_, t)| t))
        .collect();
    let missing: Vec<&String> = acked.iter().filter(|fp| !titles.contains(fp.as_str())).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged alerts lost: {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );
    assert!(bot.log().contains("store flushed"), "{}", bot.log());
}

/// Sum of the `outcomes` of webhook answers.
fn outcomes(answers: &[Value]) -> std::collections::BTreeMap<String, u64> {
    let mut sum = std::collections::BTreeMap::new();
    for v in answers {
        for (k, n) in v["outcomes"].as_object().expect("outcomes") {
            *sum.entry(k.clone()).or_default() += n.as_u64().expect("a count");
        }
    }
    sum
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_storm_opens_one_channel_not_hundreds() {
    let fake = Fake::start().await;
    let alerts = fake.add_channel("alerts", &[ALICE]);
    let (slack, mut env) = fake.section("socket", &alerts);
    env.extend([
        ("WARROOM_HOOKS__GENERIC__BEARER_TOKEN", "storm-bearer-2b77"),
        ("WARROOM_ALERTS__MAX_OPENINGS_PER_MINUTE", "10"),
    ]);
    let mut bot = BotProc::configured(
        &format!("{slack}\n[hooks.generic]\n"),
        &env,
        "slack: ready (socket mode)",
    );
    bot.start().await;
    let (http, url) = (reqwest::Client::new(), format!("{}/hooks/generic", bot.http_url()));
    let bodies: Vec<Vec<u8>> = (0..25)
        .map(|n| {
            serde_json::to_vec(&json!({"title": format!("Disk full on db-{n}"), "fingerprint": format!("db-{n}")}))
                .unwrap()
        })
        .collect();
    let mut answers = Vec::new();
    for b in &bodies {
        let (status, v) = post(&http, &url, b.clone(), &bearer("storm-bearer-2b77")).await;
        assert_eq!(status, 200, "{v}");
        answers.push(v);
    }
    let sum = outcomes(&answers);
    assert_eq!(sum, [("opened".into(), 10), ("storm".into(), 15)].into(), "{answers:?}");
    // Ten incidents of their own and one alert-storm incident: eleven channels, not 25.
    let storm = fake.wait_channel("inc-11-alert-storm-generic-alerts").await;
    fake.wait_message(&storm.id, "Alert storm: generic alerts").await;
    fake.wait("eleven incident channels", |s| {
        (s.channels.iter().filter(|c| c.name.starts_with("inc-")).count() == 11).then_some(())
    })
    .await;
    // Re-sent notifications are duplicates, wherever their alert went.
    let mut again = Vec::new();
    for b in &bodies {
        again.push(post(&http, &url, b.clone(), &bearer("storm-bearer-2b77")).await.1);
    }
    assert_eq!(outcomes(&again), [("duplicate".into(), 25)].into(), "{again:?}");
    let m = scrape(&bot.http_url()).await;
    assert_eq!(
        metric(&m, "warroom_alerts_total{source=\"generic\",outcome=\"storm\"}"),
        15.0,
        "{m}"
    );
    assert_eq!(
        metric(
            &m,
            "warroom_alert_storm_alerts_total{source=\"generic\",rule=\"hook:generic\"}"
        ),
        15.0,
        "{m}"
    );
    let log = bot.log();
    let warned = log.lines().filter(|l| l.contains("alert storm:")).count();
    assert_eq!(warned, 1, "one warning for the storm, not one per alert:\n{log}");
    assert!(bot.stop().success());
    let channels = fake.with(|s| s.channels.iter().filter(|c| c.name.starts_with("inc-")).count());
    assert_eq!(channels, 11);

    // The storm incident is an incident like any other: on disk, and found again after a restart.
    let listed = ok(bot.cmd(&["incidents", "--all"]).output().unwrap());
    assert_eq!(listed.lines().filter(|l| l.starts_with("INC-")).count(), 11, "{listed}");
    assert_eq!(listed.matches("Alert storm: generic alerts").count(), 1, "{listed}");
    let md = ok(bot.cmd(&["export", "INC-11"]).output().unwrap());
    assert!(md.contains("Disk full on db-24"), "{md}");
    bot.start().await;
    let url = format!("{}/hooks/generic", bot.http_url());
    let mut after = Vec::new();
    for b in &bodies {
        after.push(post(&http, &url, b.clone(), &bearer("storm-bearer-2b77")).await.1);
    }
    assert_eq!(outcomes(&after), [("duplicate".into(), 25)].into(), "{after:?}");
    assert!(bot.stop().success());
}

/// A title that retitles the terminal and turns its text red, in an alert.
const TERMINAL_ATTACK: &str = "\u{1b}]0;pwned\u{7}\u{1b}[31m";

/// What `warroom incidents` and `export` print, and what the bot logs, never carries a control
/// character from an alert: not from the running bot (local API), not from the store; and an
/// Alertmanager `groupKey` with a newline cannot start a log line of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_text_reaches_terminals_and_logs_as_text() {
    let mut bot = BotProc::configured(
        "[hooks.alertmanager]\n",
        &[("WARROOM_HOOKS__ALERTMANAGER__BEARER_TOKEN", AM_TOKEN)],
        "http: listening",
    );
    bot.start().await;
    let url = format!("{}/hooks/alertmanager", bot.http_url());
    let http = reqwest::Client::new();
    let mut firing: Value = serde_json::from_slice(&fixture("alertmanager-firing.json")).unwrap();
    firing["alerts"].as_array_mut().unwrap().truncate(1);
    firing["alerts"][0]["annotations"]["summary"] = json!(format!("{TERMINAL_ATTACK}NDW ETL failed"));
    firing["alerts"][0]["annotations"]["description"] = json!("cleared \u{1b}[2J\rthe screen\u{9b}31m");
    let (status, v) = post(&http, &url, firing.to_string().into_bytes(), &bearer(AM_TOKEN)).await;
    assert_eq!((status, v["opened"].clone()), (200, json!(["INC-1"])), "{v}");
    // A resolution for a group with no incident is logged with its fingerprint (the groupKey).
    let forged = "2026-01-01T00:00:00.000000Z ERROR forged: the store is corrupt, run `warroom restore`";
    let mut resolved = firing.clone();
    resolved["status"] = json!("resolved");
    resolved["alerts"][0]["status"] = json!("resolved");
    resolved["alerts"][0]["endsAt"] = json!("2026-11-20T13:40:00Z");
    resolved["alerts"][0]["fingerprint"] = json!("0000000000000001");
    resolved["groupKey"] = json!(format!("{{}}:{{alertname=\"Other\"}}\n{forged}"));
    let (status, v) = post(&http, &url, resolved.to_string().into_bytes(), &bearer(AM_TOKEN)).await;
    assert_eq!(status, 200, "{v}");
    bot.wait_log("resolved alert for no open incident", 1).await;

    let clean = |what: &str, out: &[u8]| {
        let text = String::from_utf8_lossy(out);
        for c in ['\u{1b}', '\u{7}', '\r', '\u{9b}'] {
            assert!(!text.contains(c), "{what} prints {c:?}: {text:?}");
        }
        text.into_owned()
    };
    // While the bot runs (through its local API), then from the store.
    for running in [true, false] {
        let list = bot.cmd(&["incidents", "--all"]).output().unwrap();
        let list = clean("incidents", &list.stdout);
        assert!(list.contains("]0;pwned") && list.contains("NDW ETL failed"), "{list}");
        for format in ["md", "html", "json"] {
            let out = bot.cmd(&["export", "INC-1", "--format", format]).output().unwrap();
            assert!(out.status.success(), "{}", crate::support::stderr(&out));
            let text = clean(&format!("export --format {format}"), &out.stdout);
            assert!(text.contains("the screen"), "{text}");
        }
        if running {
            assert!(bot.stop().success());
        }
    }
    let log = bot.log();
    assert!(
        log.contains(&format!("\\n{forged}")),
        "the groupKey was not logged:\n{log}"
    );
    assert!(
        !log.lines().any(|l| l.starts_with("2026-01-01")),
        "a logged value started a line of its own:\n{log}"
    );
    assert!(!log.contains('\u{1b}'), "{log:?}");
}

/// A notification of 10 alerts is one durability group: its answer comes after one flush +
/// fsync round (counted by `warroom_store_syncs_total`), and every alert in it survives a
/// kill -9 right after the answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_alert_notification_costs_one_sync_and_survives_a_crash() {
    let mut bot = BotProc::configured(
        "[hooks.alertmanager]\n",
        &[
            ("WARROOM_HOOKS__ALERTMANAGER__BEARER_TOKEN", AM_TOKEN),
            ("WARROOM_ALERTS__MAX_OPENINGS_PER_MINUTE", "0"),
        ],
        "http: listening",
    );
    bot.start().await;
    let base = bot.http_url();
    let http = reqwest::Client::new();
    let mut firing: Value = serde_json::from_slice(&fixture("alertmanager-firing.json")).unwrap();
    let one = firing["alerts"][0].clone();
    let alerts: Vec<Value> = (0..10)
        .map(|i| {
            let mut a = one.clone();
            a["fingerprint"] = json!(format!("{:016x}", 0xa000 + i));
            a["labels"]["instance"] = json!(format!("etl-{i}"));
            a
        })
        .collect();
    firing["alerts"] = json!(alerts);
    let syncs = || async { metric(&scrape(&base).await, "warroom_store_syncs_total ") };
    let before = syncs().await;
    let (status, v) = post(
        &http,
        &format!("{base}/hooks/alertmanager"),
        firing.to_string().into_bytes(),
        &bearer(AM_TOKEN),
    )
    .await;
    assert_eq!((status, v["alerts"].clone()), (200, json!(10)), "{v}");
    let after = syncs().await;
    assert_eq!(after - before, 1.0, "one sync for the whole notification");
    bot.kill();
    let listed = crate::support::ok(bot.cmd(&["export", "INC-1", "--format", "json"]).output().unwrap());
    let v: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(v["alert_count"], 10, "every acknowledged alert survived: {listed}");
}
