//! Who may talk to warroom through Slack: only its own workspace and app (HTTP mode answers
//! 403, Socket Mode ignores the rest, and nothing changes), only `[access]` responders (a user
//! group resolved with `usergroups.users.list`) may declare; incident channels may be private.

use serde_json::{Value, json};

use crate::fake_slack::{
    ALICE, Fake, SIGNING_SECRET as SECRET, bot_message, event_callback, slack_request, slash_form, slash_payload,
};
use crate::mx::BotProc;
use crate::support::ok;

const BOB: &str = "UBOB000001";
const OTHER_TEAM: &str = "T0OTHER001";
const OTHER_APP: &str = "A0OTHER001";

async fn post(http: &reqwest::Client, url: &str, body: &str, form: bool) -> (u16, Value) {
    let resp = slack_request(http, url, body, form, Some((SECRET, 0)))
        .send()
        .await
        .expect("post to warroom");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn slash(fake: &Fake, text: &str, channel: &str, user: &str) -> Value {
    let trigger = format!("trig.{}", fastrand::u64(..));
    slash_payload(&fake.url, "/incident", text, channel, user, &trigger)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_mode_serves_one_workspace_app_and_its_responders() {
    let fake = Fake::start().await;
    let alerts = fake.add_channel("alerts", &[ALICE, BOB]);
    fake.with(|s| s.groups.insert("S0ONCALL1".into(), vec![ALICE.into()]));
    let (section, mut env) = fake.section("http", &alerts);
    env.push(("WARROOM_ACCESS__RESPONDERS", "[\"S0ONCALL1\"]"));
    let mut b = BotProc::configured(&format!("{section}private_channels = true\n"), &env, "http: listening");
    b.start().await;
    b.wait_log("slack: responder groups loaded", 1).await;
    let http = reqwest::Client::new();
    let base = b.http_url();
    let (commands, events) = (format!("{base}/slack/commands"), format!("{base}/slack/events"));

    // Correctly signed, but from another workspace or for another app (or naming none): 403.
    let mut forged = Vec::new();
    for (key, value) in [
        ("team_id", Some(OTHER_TEAM)),
        ("api_app_id", Some(OTHER_APP)),
        ("api_app_id", None),
    ] {
        let mut p = slash(&fake, "declare \"Forged outage\"", &alerts, ALICE);
        match value {
            Some(v) => p[key] = json!(v),
            None => {
                p.as_object_mut().unwrap().remove(key);
            }
        }
        forged.push(post(&http, &commands, &slash_form(&p), true).await);
    }
    for (key, value) in [("team_id", OTHER_TEAM), ("api_app_id", OTHER_APP)] {
        let mut ev = event_callback(
            bot_message(&alerts, "billing DB is down", "1700000001.000001"),
            &format!("Ev0{key}"),
        );
        ev[key] = json!(value);
        forged.push(post(&http, &events, &ev.to_string(), false).await);
    }
    for (i, (status, v)) in forged.iter().enumerate() {
        assert_eq!(*status, 403, "request {i}: {v}");
        let why = v["error"].as_str().unwrap_or_default();
        assert!(
            why.contains("Slack workspace") || why.contains("Slack app"),
            "request {i}: {v}"
        );
    }

    // From our workspace: a member of the responder group declares; someone else may not.
    let (status, v) = post(
        &http,
        &commands,
        &slash_form(&slash(&fake, "declare \"Search is slow\"", &alerts, ALICE)),
        true,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert!(v["text"].as_str().unwrap_or_default().contains("INC-1 declared"), "{v}");
    let (status, v) = post(
        &http,
        &commands,
        &slash_form(&slash(&fake, "declare \"Bob's outage\"", &alerts, BOB)),
        true,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let text = v["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("Only responders may declare incidents") && text.contains(BOB),
        "{v}"
    );
    // Alerts from our workspace still open incidents (alerts are not gated by [access]).
    let ev = event_callback(
        bot_message(&alerts, "NDW ETL failed", "1700000002.000002"),
        "Ev0OURS0001",
    );
    assert_eq!(post(&http, &events, &ev.to_string(), false).await.0, 200);

    // The incident channel is private.
    let chan = fake.wait_channel("inc-1-search-is-slow").await;
    assert!(chan.private, "{chan:?}");
    let create = fake.calls("conversations.create");
    assert!(
        create
            .iter()
            .all(|c| c.params["is_private"] == json!(true) || c.params["is_private"] == "true"),
        "{create:?}"
    );
    fake.wait_channel("inc-2-ndw-etl-failed").await;

    // Every refusal is counted.
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "warroom_commands_refused_total{reason=\"slack_origin\"} 5",
        "warroom_commands_refused_total{reason=\"not_responder\"} 1",
    ] {
        assert!(metrics.lines().any(|l| l == line), "no {line:?} in\n{metrics}");
    }

    assert!(b.stop().success(), "{}", b.log());
    let listed = ok(b.cmd(&["incidents", "--all"]).output().unwrap());
    assert!(
        listed.contains("Search is slow") && listed.contains("NDW ETL failed"),
        "{listed}"
    );
    for absent in ["Forged", "billing", "Bob's"] {
        assert!(!listed.contains(absent), "{absent} changed the store:\n{listed}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_mode_ignores_other_workspaces_and_apps() {
    let fake = Fake::start().await;
    let alerts = fake.add_channel("alerts", &[ALICE]);
    let mut b = fake.bot("socket", &alerts);
    b.start().await;

    let mut cmd = slash(&fake, "declare \"Forged outage\"", &alerts, ALICE);
    cmd["team_id"] = json!(OTHER_TEAM);
    let ack = fake.ack(&fake.envelope("slash_commands", cmd)).await;
    assert!(ack["payload"]["text"].as_str().unwrap_or_default().is_empty(), "{ack}");
    for (key, value) in [("team_id", OTHER_TEAM), ("api_app_id", OTHER_APP)] {
        let mut ev = event_callback(
            bot_message(&alerts, "billing DB is down", "1700000001.000001"),
            &format!("Ev0{key}"),
        );
        ev[key] = json!(value);
        // Acknowledged (so Slack does not retry), after the bot decided: nothing to do.
        fake.ack(&fake.envelope("events_api", ev)).await;
    }
    b.wait_log("refused a request from outside", 3).await;
    // The same command from our workspace works.
    let ack = fake
        .ack(&fake.slash("/incident", "declare \"Real outage\"", &alerts, ALICE))
        .await;
    assert!(
        ack["payload"]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("INC-1 declared"),
        "{ack}"
    );

    assert!(b.stop().success(), "{}", b.log());
    let listed = ok(b.cmd(&["incidents", "--all"]).output().unwrap());
    assert!(listed.contains("Real outage"), "{listed}");
    assert!(!listed.contains("Forged") && !listed.contains("billing"), "{listed}");
}
