//! HTTP mode: every request signed (HMAC-SHA256 over `v0:{ts}:{body}`); forged, stale and
//! unsigned requests get 401 and change nothing; slash commands are acknowledged within 3 s
//! even while the Web API hangs; `429 Retry-After` is honoured; `name_taken` and a lost answer
//! to `conversations.create` still give one channel.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_slack::{
    ALICE, Channel, Fake, Fault, SIGNING_SECRET as SECRET, bot_message, event_callback, slack_request, slash_form,
    slash_payload,
};
use crate::support::ok;

struct Caller {
    http: reqwest::Client,
    base: String,
}

impl Caller {
    /// POST `body` to `path`; `signing`: None = unsigned, Some((secret, age in seconds)).
    async fn post(&self, path: &str, body: &str, form: bool, signing: Option<(&str, i64)>) -> (u16, Value) {
        let url = format!("http://{}{path}", self.base);
        let resp = slack_request(&self.http, &url, body, form, signing)
            .send()
            .await
            .expect("post to warroom");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn slash(
        &self,
        fake: &Fake,
        command: &str,
        text: &str,
        channel: &str,
        signing: Option<(&str, i64)>,
    ) -> (u16, Value) {
        let trigger = format!("trig.{}", fastrand::u64(..));
        let body = slash_form(&slash_payload(&fake.url, command, text, channel, ALICE, &trigger));
        self.post("/slack/commands", &body, true, signing).await
    }

    async fn event(&self, event: Value, event_id: &str) -> (u16, Value) {
        let body = event_callback(event, event_id).to_string();
        self.post("/slack/events", &body, false, Some((SECRET, 0))).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_mode_verifies_every_request_and_acks_in_time() {
    let fake = Fake::start().await;
    let alerts = fake.add_channel("alerts", &[ALICE]);
    // Someone else's channel already holds the name INC-2 would get.
    fake.with(|s| {
        s.channels.push(Channel {
            id: "COTHER0001".into(),
            name: "inc-2-search-is-slow".into(),
            creator: ALICE.into(),
            created: 1_600_000_000,
            topic: String::new(),
            members: vec![ALICE.into()],
            private: false,
        })
    });
    // And the answer to our first create gets lost after the channel was made.
    fake.fault("conversations.create", Fault::LoseAnswer);
    let mut b = fake.bot("http", &alerts);
    b.start().await;
    b.wait_log("slack: authenticated", 1).await;
    let c = Caller {
        http: reqwest::Client::new(),
        base: b.http_url().trim_start_matches("http://").to_string(),
    };

    // url_verification is answered with the challenge.
    let body = json!({"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}).to_string();
    let (status, v) = c.post("/slack/events", &body, false, Some((SECRET, 0))).await;
    assert_eq!(
        (status, v["challenge"].as_str()),
        (200, Some("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"))
    );

    // The alert; Slack makes the channel but our answer is lost, so the create is retried
    // and gets `name_taken`: still exactly one channel for INC-1.
    let (status, _) = c
        .event(
            bot_message(&alerts, "NDW ETL failed", "1700000000.000100"),
            "Ev0HTTP001",
        )
        .await;
    assert_eq!(status, 200);
    let chan = fake.wait_channel("inc-1-ndw-etl-failed").await;
    fake.wait_message(&chan.id, "🚨 INC-1").await;
    assert_eq!(
        fake.channel_named("inc-1-").len(),
        1,
        "a retried create made a second channel"
    );
    assert_eq!(fake.calls("conversations.create").len(), 2);

    // Forged, stale and unsigned requests: 401, nothing stored.
    for (signing, what) in [
        (Some(("wrong-secret", 0)), "forged"),
        (Some((SECRET, 600)), "stale"),
        (None, "unsigned"),
    ] {
        let (status, v) = c
            .slash(&fake, "/timeline", &format!("{what} entry"), &chan.id, signing)
            .await;
        assert_eq!(status, 401, "{what}: {v}");
    }
    let (status, _) = c
        .post(
            "/slack/events",
            &event_callback(
                bot_message(&alerts, "billing DB is down", "1700000001.000001"),
                "Ev0FORGED1",
            )
            .to_string(),
            false,
            Some(("wrong-secret", 0)),
        )
        .await;
    assert_eq!(status, 401);

    // The same signed bytes sent four times at once, then once more: Slack signs every request
    // (retries included) afresh, so one is handled and the others are replays.
    {
        let body = slash_form(&slash_payload(
            &fake.url,
            "/timeline",
            "replayed entry",
            &chan.id,
            ALICE,
            "trig.replayed",
        ));
        let ts = chrono::Utc::now().timestamp();
        let url = format!("http://{}/slack/commands", c.base);
        let send = || {
            c.http
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("x-slack-request-timestamp", ts.to_string())
                .header("x-slack-signature", crate::fake_slack::sign(SECRET, ts, &body))
                .body(body.clone())
                .send()
        };
        let answers = futures_util::future::join_all((0..4).map(|_| send())).await;
        let mut codes: Vec<u16> = answers.iter().map(|r| r.as_ref().unwrap().status().as_u16()).collect();
        codes.push(send().await.unwrap().status().as_u16());
        codes.sort_unstable();
        assert_eq!(codes, [200, 401, 401, 401, 401], "one handled, the rest replays");
    }

    // Signed slash command: the reply is the response body.
    let (status, v) = c
        .slash(
            &fake,
            "/timeline",
            "13:25 restarted docker",
            &chan.id,
            Some((SECRET, 0)),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert!(v["text"].as_str().unwrap().contains('#'), "{v}");
    // Mentions and links in the text come back shown, not live.
    let (status, v) = c
        .slash(
            &fake,
            "/timeline",
            "13:26 <!here> <@U123> <https://evil.example|x> &amp; more",
            &chan.id,
            Some((SECRET, 0)),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["response_type"], "in_channel");
    let reply = v["text"].as_str().unwrap_or_default();
    assert!(
        reply.ends_with(": &lt;!here&gt; &lt;@U123&gt; &lt;https://evil.example|x&gt; &amp; more"),
        "{v}"
    );

    // A card button over HTTP: signed `payload=<JSON>` form; a forged one is refused.
    let card = fake.wait_message(&chan.id, "🚨 INC-1").await;
    let payload = fake.button_payload(&chan.id, &card.ts, ALICE, "warroom.ack");
    let form = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    let (status, _) = c
        .post("/slack/interactivity", &form, true, Some(("wrong-secret", 0)))
        .await;
    assert_eq!(status, 401);
    let (status, v) = c.post("/slack/interactivity", &form, true, Some((SECRET, 0))).await;
    assert_eq!(status, 200, "{v}");
    fake.wait_message(&chan.id, "alice pressed Acknowledge").await;
    let (status, _) = c
        .post("/slack/interactivity", "payload=%7Bnot-json", true, Some((SECRET, 0)))
        .await;
    assert_eq!(status, 400);

    // 429 with Retry-After: 2 on chat.postMessage: the next call of that method waits ≥ 2 s,
    // and the message still goes out.
    // Everything INC-1's opening posts is out before the 429 is armed.
    fake.wait_message(&chan.id, "could not invite").await;
    fake.wait_message(&alerts, "INC-1 opened").await;
    let before = fake.calls("chat.postMessage").len();
    fake.fault("chat.postMessage", Fault::RateLimit(2));
    for (cmd, text) in [("/incident", "sev sev1"), ("/postmortem", "export md")] {
        let (status, v) = c.slash(&fake, cmd, text, &chan.id, Some((SECRET, 0))).await;
        assert_eq!(status, 200, "{cmd} {text}: {v}");
    }
    let (status, v) = c
        .event(
            bot_message(&alerts, "NDW ETL failed", "1700000002.000002"),
            "Ev0HTTP002",
        )
        .await;
    assert_eq!(status, 200, "{v}");
    fake.wait_message(&chan.id, "alert repeated").await;
    let posts = fake.calls("chat.postMessage");
    let (limited, next) = (&posts[before], &posts[before + 1]);
    assert!(
        next.at.duration_since(limited.at) >= Duration::from_secs(2),
        "the call after the 429 came {:?} later",
        next.at.duration_since(limited.at)
    );
    assert!(
        limited.params["text"]
            .as_str()
            .is_some_and(|t| t.contains("alert repeated"))
    );
    assert_eq!(
        fake.messages(&chan.id)
            .iter()
            .filter(|m| m.text.contains("alert repeated"))
            .count(),
        1,
        "lost or doubled after the 429"
    );

    // The Web API hangs for 10 s: slash commands are still acknowledged within 3 s.
    fake.fault("chat.postMessage", Fault::Hang(Duration::from_secs(10)));
    fake.fault("conversations.create", Fault::Hang(Duration::from_secs(10)));
    fake.fault("users.info", Fault::Hang(Duration::from_secs(10)));
    for text in ["during the hang", "still hanging"] {
        let started = Instant::now();
        let (status, v) = c.slash(&fake, "/timeline", text, &chan.id, Some((SECRET, 0))).await;
        assert_eq!(status, 200, "{v}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "ack took {:?}",
            started.elapsed()
        );
    }
    let started = Instant::now();
    let (_, v) = c
        .slash(
            &fake,
            "/incident",
            "declare \"Search is slow\"",
            &alerts,
            Some((SECRET, 0)),
        )
        .await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(v["text"].as_str().unwrap().contains("INC-2"), "{v}");
    fake.clear_fault("chat.postMessage");
    fake.clear_fault("conversations.create");
    fake.clear_fault("users.info");
    // INC-2's first name belongs to someone else's channel: it gets the next one.
    fake.wait_channel("inc-2-search-is-slow-2").await;
    assert_eq!(fake.channel_named("inc-2-").len(), 2);

    assert!(b.stop().success(), "{}", b.log());
    let md = ok(b.cmd(&["export", "INC-1"]).output().unwrap());
    assert!(
        md.contains("restarted docker") && md.contains("during the hang") && md.contains("still hanging"),
        "{md}"
    );
    for what in ["forged", "stale", "unsigned"] {
        assert!(
            !md.contains(&format!("{what} entry")),
            "a {what} request changed the store:\n{md}"
        );
    }
    let listed = ok(b.cmd(&["incidents", "--all"]).output().unwrap());
    assert!(!listed.contains("billing"), "{listed}");
}
