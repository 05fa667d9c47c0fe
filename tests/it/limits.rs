//! The trust boundary of `warroom run`'s HTTP port, attacked as the internet would: oversized,
//! stalled and idle connections cannot exhaust memory, slots or descriptors, nor keep signed
//! requests out; a signed request cannot be replayed (not even across a restart); absurd
//! timestamps are refused, not panicked on; and weak secrets stop `run` and `check-config`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::fake_slack::{ALICE, Fake, SIGNING_SECRET, slack_request, slash_form, slash_payload};
use crate::mx::BotProc;
use crate::support::{Sandbox, ok, stderr};

const HMAC: &str = "limits-hmac-5f20c9e1";
const BEARER: &str = "limits-bearer-77ad03";

fn signed(body: &[u8], ts: i64) -> Vec<(&'static str, String)> {
    vec![
        ("x-warroom-timestamp", ts.to_string()),
        ("x-warroom-signature", warroom::http::hooks::sign(HMAC, ts, body)),
    ]
}

async fn post(url: &str, body: Vec<u8>, headers: &[(&str, String)]) -> (u16, Value) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let mut req = http.post(url).header("content-type", "application/json").body(body);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Open a connection and send `head` (and nothing more).
async fn stalled(addr: &str, head: String) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(head.as_bytes()).await.expect("send");
    s
}

/// Read what the server sends until it closes the connection (bounded by `limit`).
async fn until_closed(s: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut buf = Vec::new();
    match tokio::time::timeout(limit, s.read_to_end(&mut buf)).await {
        Ok(_) => Some(String::from_utf8_lossy(&buf).into_owned()),
        Err(_) => None,
    }
}

fn addr_of(url: &str) -> String {
    url.trim_start_matches("http://").to_string()
}

fn short_limits() -> Vec<(&'static str, &'static str)> {
    vec![
        ("WARROOM_HTTP__HEADER_TIMEOUT_SECS", "2"),
        ("WARROOM_HTTP__BODY_TIMEOUT_SECS", "5"),
        ("WARROOM_HTTP__IDLE_TIMEOUT_SECS", "8"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_and_oversized_requests_cannot_keep_signed_ones_out() {
    let fake = Fake::start().await;
    let alerts = fake.add_channel("alerts", &[ALICE]);
    let (slack, mut env) = fake.section("http", &alerts);
    env.push(("WARROOM_HOOKS__GENERIC__HMAC_SECRET", HMAC));
    env.push(("WARROOM_HOOKS__ALERTMANAGER__BEARER_TOKEN", BEARER));
    env.extend(short_limits());
    let mut bot = BotProc::configured(
        &format!("{slack}\n[hooks.generic]\n[hooks.alertmanager]\n"),
        &env,
        "slack: ready (http mode)",
    );
    bot.start().await;
    let base = bot.http_url();
    let addr = addr_of(&base);

    // A Slack body declared bigger than Slack ever sends is refused before a byte is read.
    let mut big = stalled(
        &addr,
        "POST /slack/commands HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1990000\r\n\r\nx".into(),
    )
    .await;
    let answer = until_closed(&mut big, Duration::from_secs(5))
        .await
        .expect("an oversized declaration is answered at once, not waited for");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // 70 unauthenticated uploads that stall on the HMAC-only receiver hold no processing slot:
    // a correctly signed alert still gets in at once.
    let mut stallers = Vec::new();
    for _ in 0..70 {
        stallers.push(
            stalled(
                &addr,
                "POST /hooks/generic HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{".into(),
            )
            .await,
        );
    }
    let body = serde_json::to_vec(&json!({"title": "Disk full on db-1", "fingerprint": "disk-db-1"})).unwrap();
    let started = Instant::now();
    let (status, v) = post(
        &format!("{base}/hooks/generic"),
        body.clone(),
        &signed(&body, chrono::Utc::now().timestamp()),
    )
    .await;
    assert_eq!(status, 200, "{v}\n{}", bot.log());
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the signed alert waited {:?} behind unauthenticated uploads",
        started.elapsed()
    );
    // Each stalled upload is cut off after the body deadline, with 408 and a closed connection.
    for s in &mut stallers {
        let answer = until_closed(s, Duration::from_secs(10))
            .await
            .expect("a stalled body is cut off");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }

    // Uploads that send almost all of a big body and then stall hold real bytes, counted as
    // they arrive: one address may hold a quarter of the anonymous pool (16 MiB) and is refused
    // at once past it, so memory stays bounded however many it opens.
    let mut uploads = Vec::new();
    for _ in 0..40 {
        let mut s = stalled(
            &addr,
            "POST /slack/commands HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500000\r\n\r\n".into(),
        )
        .await;
        let _ = s.write_all(&vec![b'x'; 499_999]).await;
        uploads.push(s);
    }
    // While they hang on, Slack (another address) and a bearer-authenticated sender are served.
    let slack_http = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let form = slash_form(&slash_payload(&fake.url, "/incident", "help", &alerts, ALICE, "trig.1"));
    let r = slack_request(
        &slack_http,
        &format!("{base}/slack/commands"),
        &form,
        true,
        Some((SIGNING_SECRET, 0)),
    )
    .send()
    .await
    .expect("slash command during the upload flood");
    assert_eq!(r.status().as_u16(), 200, "{}", bot.log());
    let am = crate::support::read(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hooks/alertmanager-firing.json"),
    )
    .into_bytes();
    let (status, v) = post(
        &format!("{base}/hooks/alertmanager"),
        am,
        &[("authorization", format!("Bearer {BEARER}"))],
    )
    .await;
    assert_eq!(status, 200, "a bearer-authenticated webhook is not kept out: {v}");
    // Every upload ends with an answer: 503 at once past the address's share, 408 at the body
    // deadline for those held. Counting them needs no timing.
    let (mut held, mut refused) = (0, 0);
    for s in &mut uploads {
        let answer = until_closed(s, Duration::from_secs(15))
            .await
            .expect("every stalled upload is answered");
        if answer.starts_with("HTTP/1.1 503") {
            refused += 1;
        } else {
            assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
            held += 1;
        }
    }
    assert!(
        refused > 0 && held <= 16 * 1024 * 1024 / 499_999 + 1,
        "{held} uploads held, {refused} refused"
    );

    // An absurd timestamp is refused, not a panic that drops the connection.
    let mut h = signed(&body, 0);
    h[0].1 = i64::MIN.to_string();
    let (status, v) = post(&format!("{base}/hooks/generic"), body.clone(), &h).await;
    assert_eq!(status, 401, "{v}");
    assert!(v["error"].as_str().unwrap_or("").contains("stale"), "{v}");
    assert!(bot.stop().success(), "{}", bot.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_half_sent_connections_are_closed_and_cannot_starve_health() {
    let mut env = vec![("WARROOM_HOOKS__ALERTMANAGER__BEARER_TOKEN", BEARER)];
    env.extend(short_limits());
    let mut bot = BotProc::configured("[hooks.alertmanager]\n", &env, "http: listening");
    // A small descriptor limit, as on a tight container: 300 idle clients are more than it has.
    bot.limit_open_files(256);
    bot.start().await;
    let base = bot.http_url();
    let addr = addr_of(&base);
    let mut idle = Vec::new();
    for n in 0..300 {
        let head = match n % 3 {
            0 => String::new(),
            1 => "GET /healthz HTTP/1.1\r\nHost: x\r\n".into(),
            _ => "POST /hooks/alertmanager HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{".into(),
        };
        idle.push(stalled(&addr, head).await);
    }
    // Health answers while they hang on: they are closed after the header or body deadline,
    // and the server never runs out of descriptors.
    // (The probe comes from another address than the hanging clients, as a real one would.)
    let http = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 3]))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let r = http
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz while 300 clients hang");
    assert_eq!(r.status().as_u16(), 200);
    for s in &mut idle {
        assert!(
            until_closed(s, Duration::from_secs(20)).await.is_some(),
            "an idle connection was left open:\n{}",
            bot.log()
        );
    }
    assert!(
        !bot.log().contains("Too many open files"),
        "the server ran out of descriptors:\n{}",
        bot.log()
    );
    assert!(bot.stop().success(), "{}", bot.log());
}

/// Copies of one signed request sent at once: one is applied; the others are told to retry
/// while it is handled (503: if it failed, a copy is welcome) or, once it is stored, refused as
/// replays (409). The check and the claim are one step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_copies_of_a_signed_webhook_are_applied_once() {
    let mut bot = BotProc::configured(
        "[hooks.generic]\n",
        &[("WARROOM_HOOKS__GENERIC__HMAC_SECRET", HMAC)],
        "http: listening",
    );
    bot.start().await;
    let url = format!("{}/hooks/generic", bot.http_url());
    for round in 0..3 {
        let body =
            serde_json::to_vec(&json!({"title": format!("disk full {round}"), "fingerprint": format!("disk-{round}")}))
                .unwrap();
        let headers = signed(&body, chrono::Utc::now().timestamp() - round);
        let copies: Vec<_> = (0..8)
            .map(|_| tokio::spawn(post_owned(url.clone(), body.clone(), headers.clone())))
            .collect();
        let mut codes = Vec::new();
        for c in copies {
            codes.push(c.await.unwrap().0);
        }
        codes.sort_unstable();
        assert_eq!(codes[0], 200, "round {round}: {codes:?}");
        assert!(
            codes[1..].iter().all(|c| *c == 409 || *c == 503),
            "round {round}: one copy applied, the others refused or told to retry: {codes:?}"
        );
    }
    let firing = ok(bot.cmd(&["incidents", "--all"]).output().unwrap());
    assert_eq!(firing.matches("INC-").count(), 3, "{firing}");
    assert!(bot.stop().success(), "{}", bot.log());
}

async fn post_owned(url: String, body: Vec<u8>, headers: Vec<(&'static str, String)>) -> (u16, Value) {
    post(&url, body, &headers).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_webhook_cannot_be_replayed_even_after_a_restart() {
    let mut bot = BotProc::configured(
        "[hooks.generic]\n",
        &[("WARROOM_HOOKS__GENERIC__HMAC_SECRET", HMAC)],
        "http: listening",
    );
    bot.start().await;
    let body = serde_json::to_vec(&json!({"title": "API 5xx", "fingerprint": "api-5xx"})).unwrap();
    let headers = signed(&body, chrono::Utc::now().timestamp());
    let url = format!("{}/hooks/generic", bot.http_url());
    let (status, v) = post(&url, body.clone(), &headers).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["opened"], json!(["INC-1"]), "{v}");
    // Before this change the same signed bytes were taken again: while INC-1 is open as a
    // duplicate, and once it is closed as a new incident. Now they are refused, also after a
    // restart inside the signature window.
    assert!(bot.stop().success(), "{}", bot.log());
    bot.start().await;
    let url = format!("{}/hooks/generic", bot.http_url());
    let (status, v) = post(&url, body.clone(), &headers).await;
    assert_eq!(status, 409, "a replay after a restart: {v}");
    assert!(v["error"].as_str().unwrap_or("").contains("already accepted"), "{v}");
    let all = ok(bot.cmd(&["incidents", "--all"]).output().unwrap());
    assert_eq!(all.matches("INC-").count(), 1, "{all}");
    // A fresh signature over the same alert is a new request, as senders expect.
    let fresh = signed(&body, chrono::Utc::now().timestamp() + 1);
    let (status, v) = post(&url, body, &fresh).await;
    assert_eq!(status, 200, "{v}");
    assert!(bot.stop().success(), "{}", bot.log());
}

#[test]
fn empty_weak_and_placeholder_secrets_stop_run_and_check_config() {
    let cases: &[(&str, &str, &str)] = &[
        ("[hooks.generic]\n", "WARROOM_HOOKS__GENERIC__HMAC_SECRET", ""),
        ("[hooks.generic]\n", "WARROOM_HOOKS__GENERIC__BEARER_TOKEN", "short"),
        (
            "[hooks.generic]\n",
            "WARROOM_HOOKS__GENERIC__BEARER_TOKEN",
            "aaaaaaaaaaaaaaaaaaaaaaaa",
        ),
        (
            "[hooks.alertmanager]\n",
            "WARROOM_HOOKS__ALERTMANAGER__BEARER_TOKEN",
            "REPLACE-ME-with-openssl-rand-hex-32",
        ),
        (
            "[slack]\nmode = \"http\"\napi_url = \"http://127.0.0.1:9/api\"\n",
            "WARROOM_SLACK__SIGNING_SECRET",
            "",
        ),
        (
            "[matrix]\nhomeserver = \"http://127.0.0.1:9\"\nuser = \"@warroom:localhost\"\n",
            "WARROOM_MATRIX__PASSWORD",
            "",
        ),
    ];
    for (section, var, value) in cases {
        let mut env = vec![(*var, *value)];
        if section.starts_with("[slack]") {
            env.push(("WARROOM_SLACK__BOT_TOKEN", "xoxb-limits-test-token"));
        }
        let sb = Sandbox::new();
        let config = sb.dir.path().join("warroom.toml");
        std::fs::write(&config, section).unwrap();
        for args in [&["check-config"][..], &["run"][..]] {
            let out = sb
                .cmd(&["--config", config.to_str().unwrap()])
                .args(args)
                .env("WARROOM_HTTP__LISTEN", "127.0.0.1:0")
                .envs(env.iter().copied())
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(2),
                "{args:?} with {var}={value:?}: {}",
                stderr(&out)
            );
            assert!(stderr(&out).contains(var), "{args:?} names {var}: {}", stderr(&out));
            if !value.is_empty() {
                assert!(
                    !stderr(&out).contains(value),
                    "the secret is not echoed: {}",
                    stderr(&out)
                );
            }
        }
    }
}

#[test]
fn secret_files_readable_by_others_are_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let bot = BotProc::configured("[hooks.generic]\n", &[], "http: listening");
    let file = bot.sb.dir.path().join("hook-token");
    std::fs::write(&file, "0a6c2f5e9b8d4f7a1c3e\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = bot
        .cmd(&["check-config"])
        .env("WARROOM_HOOKS__GENERIC__BEARER_TOKEN_FILE", &file)
        .output()
        .unwrap();
    let text = ok(out);
    assert!(
        text.contains("readable by group or others") && text.contains("chmod 600"),
        "{text}"
    );
    // The metrics bearer's file is a secret file too.
    let text = ok(bot
        .cmd(&["check-config"])
        .env("WARROOM_HOOKS__GENERIC__BEARER_TOKEN", "a3f9c1d7e5b2094f6a8c")
        .env("WARROOM_HTTP__METRICS_BEARER_FILE", &file)
        .output()
        .unwrap());
    assert!(
        text.contains("readable by group or others") && text.contains("hook-token"),
        "{text}"
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let text = ok(bot
        .cmd(&["check-config"])
        .env("WARROOM_HOOKS__GENERIC__BEARER_TOKEN_FILE", &file)
        .output()
        .unwrap());
    assert!(!text.contains("readable by group or others"), "{text}");
}
