//! An incident is never stranded without its channel: a garbled answer, a proxy's error page
//! and a refusal from Slack on `conversations.create` each end with the channel and the
//! announcement (the refusal told in the alert's thread, counted in `/readyz` and `/metrics`
//! meanwhile); an open incident restored from a backup gets its channel at start.

use crate::fake_slack::{ALICE, Fake, Fault, bot_message};
use crate::support::ok;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_answers_to_channel_creation_never_strand_an_incident() {
    let fake = Fake::start().await;
    let alerts = fake.add_channel("alerts", &[ALICE]);
    let mut b = fake.bot("socket", &alerts);
    b.start().await;
    fake.wait_socket().await;
    let faults = [
        // Slack made the channel, the answer was cut off.
        Fault::Answer {
            status: 200,
            body: r#"{"ok":true,"channel":{"id":"C"#,
            perform: true,
        },
        // A proxy's error page.
        Fault::Answer {
            status: 500,
            body: "<html><body><h1>500 Internal Server Error</h1></body></html>",
            perform: false,
        },
        // Slack refuses (a workspace policy changed meanwhile).
        Fault::Answer {
            status: 200,
            body: r#"{"ok":false,"error":"restricted_action"}"#,
            perform: false,
        },
    ];
    for (i, fault) in faults.into_iter().enumerate() {
        let n = i + 1;
        fake.fault("conversations.create", fault);
        let ts = format!("17000000{n:02}.000100");
        fake.ack(&fake.push_event(
            bot_message(&alerts, &format!("service {n} is down"), &ts),
            &format!("Ev0ALERT{n:02}"),
        ))
        .await;
        let chan = fake.wait_channel(&format!("inc-{n}-")).await;
        fake.wait_message(&chan.id, &format!("🚨 INC-{n}")).await;
        assert_eq!(
            fake.channel_named(&format!("inc-{n}-")).len(),
            1,
            "one channel for INC-{n}"
        );
    }
    // The refusal was told where the alert came from, with what failed.
    let told = fake.wait_message(&alerts, "refused to open the channel of INC-3").await;
    assert!(told.text.contains("restricted_action"), "{}", told.text);
    assert_eq!(told.thread_ts.as_deref(), Some("1700000003.000100"));
    // Nothing is left without a channel.
    let http = reqwest::Client::new();
    let ready: serde_json::Value = http
        .get(format!("{}/readyz", b.http_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["incidents_without_room"]["slack"], 0, "{ready}");
    let metrics = crate::support::scrape(&b.http_url()).await;
    assert!(
        metrics.contains("warroom_incidents_without_room{platform=\"slack\"} 0"),
        "{metrics}"
    );
    assert!(b.stop().success(), "{}", b.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_incident_restored_from_a_backup_gets_its_channel_at_start() {
    // An incident declared (in the console) and backed up, meant for Slack.
    let fake = Fake::start().await;
    let alerts = fake.add_channel("alerts", &[ALICE]);
    let mut b = fake.bot("socket", &alerts);
    let mut console = b.cmd(&["console", "--user", "alice"]);
    let mut child = console
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"/room ops\n/incident declare Checkout is down --sev sev1\n")
        .unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    let backup = ok(b.cmd(&["backup", "-"]).output().unwrap());
    let edited: String = backup
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            if v["type"] == "incident" {
                v["data"]["open_in"] = serde_json::json!(["slack"]);
            }
            v.to_string() + "\n"
        })
        .collect();
    let file = b.sb.dir.path().join("backup.jsonl");
    std::fs::write(&file, edited).unwrap();
    ok(b.cmd(&["restore", file.to_str().unwrap(), "--force"]).output().unwrap());
    // At start, the bot sees INC-1 has no Slack channel and opens it.
    b.start().await;
    let chan = fake.wait_channel("inc-1-checkout-is-down").await;
    fake.wait_message(&chan.id, "🚨 INC-1").await;
    assert_eq!(fake.channel_named("inc-1-").len(), 1);
    assert!(b.stop().success(), "{}", b.log());
}
