//! Socket Mode: alert from an integration → incident channel → slash commands → close with
//! the draft and the uploaded file; repeated deliveries; an outage of the Web API.

use std::time::Duration;

use crate::fake_slack::{ALICE, BOT_USER, Fake, Fault, Message, bot_message, user_message};
use crate::support::ok;

/// Mentions, a broadcast and a link as Slack delivers them in a message or a slash command
/// (markup live, a typed `&` escaped), and how they must come back: shown, not acted on.
const EVIL_IN: &str = "<!channel> <@U123> <https://evil.example|x> &amp; more";
const EVIL_OUT: &str = "&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|x&gt; &amp; more";

/// No live markup from user text in what the bot posted, and the text shown once-escaped.
fn assert_inert(what: &str, text: &str) {
    assert!(text.contains(EVIL_OUT), "{what}: {text}");
    assert_no_markup(what, text);
}

fn assert_no_markup(what: &str, text: &str) {
    for live in ["<!channel>", "<@U123>", "<https://evil", "&amp;amp;", "&amp;lt;"] {
        assert!(!text.contains(live), "{what} has {live}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_mode_alert_to_postmortem() {
    let fake = Fake::start().await;
    let alerts = fake.add_channel("alerts", &[ALICE]);
    let mut b = fake.bot("socket", &alerts);
    b.start().await;
    b.wait_log("slack: authenticated", 1).await;

    // An integration posts the alert as an attachment (bot_message); the ack comes back.
    let env = fake.push_event(
        bot_message(&alerts, "NDW ETL failed", "1700000000.000100"),
        "Ev0ALERT01",
    );
    fake.ack(&env).await;
    let chan = fake.wait_channel("inc-1-").await;
    assert_eq!(chan.name, "inc-1-ndw-etl-failed");
    let ann = fake.wait_message(&chan.id, "🚨 INC-1").await;
    let blocks = ann.blocks.expect("announcement has Block Kit blocks");
    assert_eq!(blocks[0]["type"], "header");
    // Invites: alice joins; an unknown responder does not block her and is reported.
    fake.wait_message(&chan.id, "could not invite").await;
    assert!(fake.channel_named("inc-1-")[0].members.contains(&ALICE.to_string()));
    // A threaded reply in the alert channel links to the incident channel.
    let link = fake.wait_message(&alerts, "INC-1 opened").await;
    assert_eq!(link.thread_ts.as_deref(), Some("1700000000.000100"));
    assert!(link.text.contains("#inc-1-ndw-etl-failed"), "{}", link.text);
    fake.wait("the topic", |s| {
        s.channels
            .iter()
            .find(|c| c.name == "inc-1-ndw-etl-failed" && c.topic.contains("investigating"))
            .map(|_| ())
    })
    .await;

    // The same repeat delivered 4 times (Slack retries): one effect. Its alert text carries
    // mentions and a link, shown as text in the alert news.
    for _ in 0..4 {
        let env = fake.push_event(
            bot_message(&alerts, &format!("NDW ETL failed {EVIL_IN}"), "1700000100.000200"),
            "Ev0REPEAT1",
        );
        fake.ack(&env).await;
    }
    let news = fake.wait_message(&chan.id, "alert repeated").await;
    assert_inert("alert news", &news.text);
    // Our own messages never count, even if they look like alerts.
    let own = serde_json::json!({"type": "message", "channel": alerts, "user": BOT_USER, "text": "billing is down", "ts": "1700000101.000001", "channel_type": "channel"});
    fake.ack(&fake.push_event(own, "Ev0OWN0001")).await;

    // Slash commands in the incident channel; the reply travels in the ack.
    let slash = |cmd: &str, text: &str| fake.slash(cmd, text, &chan.id, ALICE);
    let ack = fake.ack(&slash("/timeline", "13:25 restarted docker")).await;
    assert!(ack["payload"]["text"].as_str().unwrap().contains('#'), "{ack}");
    let ack = fake.ack(&slash("/timeline", &format!("13:26 {EVIL_IN}"))).await;
    assert_inert("slash reply", ack["payload"]["text"].as_str().unwrap_or_default());
    fake.ack(&slash("/postmortem", "impact ETL data delayed by two hours"))
        .await;
    fake.ack(&slash("/action", "add a disk-space alert")).await;
    let bad = fake.ack(&slash("/incident", "sev bogus")).await;
    let bad = bad["payload"]["text"].as_str().unwrap_or_default();
    assert!(
        bad.contains("`bogus` is not a valid severity") && bad.contains("usage: /incident sev"),
        "{bad}"
    );
    let resolved = fake.ack(&slash("/incident", "resolve")).await;
    assert!(
        resolved["payload"]["text"]
            .as_str()
            .unwrap_or("")
            .contains("INC-1 resolved at"),
        "{resolved}"
    );
    fake.ack(&slash("/incident", "close")).await;
    // The draft is Markdown in a code block (its own escaping adds a backslash here and there).
    let draft = fake.wait_message(&chan.id, "Draft postmortem of INC-1").await;
    assert_no_markup("posted postmortem", &draft.text);
    for shown in [
        "&lt;!channel&gt;",
        "&lt;@U123&gt;",
        "&lt;https://evil.example",
        "&amp; more",
    ] {
        assert!(draft.text.contains(shown), "{shown} missing: {}", draft.text);
    }
    let md = fake
        .wait("the .md file", |s| {
            s.files
                .iter()
                .find(|f| f.name == "INC-1-postmortem.md" && f.channel.as_deref() == Some(chan.id.as_str()))
                .map(|f| String::from_utf8_lossy(&f.content).into_owned())
        })
        .await;
    for want in [
        "restarted docker",
        "13:25",
        "ETL data delayed by two hours",
        "add a disk-space alert",
        "alert repeated (×2)",
    ] {
        assert!(md.contains(want), "{want} missing:\n{md}");
    }
    assert!(
        !md.contains("alert repeated (×3)"),
        "a redelivered event counted twice:\n{md}"
    );
    assert!(!md.contains("bogus"));
    fake.ack(&slash("/postmortem", "export json")).await;
    fake.wait("the .json file", |s| {
        s.files.iter().find(|f| f.name == "INC-1-postmortem.json").map(|_| ())
    })
    .await;
    assert!(
        fake.calls("files.upload").is_empty(),
        "the retired files.upload was called"
    );

    // Outside an incident channel: a clear reply; `/incident declare` works anywhere.
    let elsewhere = fake.slash("/timeline", "hello", &alerts, ALICE);
    let reply = fake.ack(&elsewhere).await;
    assert!(
        reply["payload"]["text"].as_str().unwrap().contains("not an incident"),
        "{reply}"
    );
    let declared = fake
        .ack(&fake.slash(
            "/incident",
            &format!("declare \"Payments are slow {EVIL_IN}\""),
            &alerts,
            ALICE,
        ))
        .await;
    let declared = declared["payload"]["text"].as_str().unwrap_or_default();
    assert!(declared.contains("INC-2"), "{declared}");
    assert_inert("declare reply", declared);
    let chan2 = fake.wait_channel("inc-2-payments-are-slow").await;
    // The announcement: its text and section escaped, its header plain_text as typed.
    let Message { text, blocks, .. } = fake.wait_message(&chan2.id, "🚨 INC-2").await;
    assert_inert("announcement", &text);
    let blocks = blocks.expect("announcement blocks");
    assert_inert(
        "announcement section",
        blocks[1]["text"]["text"].as_str().unwrap_or_default(),
    );
    assert_eq!(blocks[0]["text"]["type"], "plain_text");
    assert!(
        blocks[0]["text"]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("<!channel> <@U123> <https://evil.example|x> & more"),
        "{blocks}"
    );
    // Declared by slash command: where the channel is comes back through the response_url.
    let answer = fake
        .wait("the response_url answer", |s| {
            s.responses
                .iter()
                .filter_map(|r| r["body"]["text"].as_str())
                .find(|t| t.contains("INC-2 opened") && t.contains("#inc-2-payments-are-slow"))
                .map(str::to_string)
        })
        .await;
    assert_inert("response_url answer", &answer);

    assert!(b.stop().success(), "{}", b.log());
    let listed = ok(b.cmd(&["incidents", "--all"]).output().unwrap());
    assert!(listed.contains("INC-2") && !listed.contains("INC-3"), "{listed}");
    assert!(
        !listed.contains("billing"),
        "our own message counted as an alert:\n{listed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_api_outage_is_recorded_and_posted_later_in_order() {
    let fake = Fake::start().await;
    let alerts = fake.add_channel("alerts", &[ALICE]);
    let mut b = fake.bot("socket", &alerts);
    b.start().await;
    b.wait_log("slack: authenticated", 1).await;
    // The Socket Mode connection is opened in the background; taking the Web API down before
    // it is up would stop the connection itself (`apps.connections.open`), not the outage
    // this test is about.
    fake.wait_socket().await;
    // Slack's Web API goes down; events still arrive (and are acked once durable).
    fake.set_down(true);
    let env = fake.push_event(
        user_message(&alerts, ALICE, "payments API is down", "1700000200.000001"),
        "Ev0DOWN001",
    );
    fake.ack(&env).await;
    // The same alert again while Slack is down: recorded, posted after the announcement.
    let again = fake.push_event(
        user_message(&alerts, ALICE, "payments API is down", "1700000201.000001"),
        "Ev0DOWN002",
    );
    fake.ack(&again).await;
    // The bot tried to open the channel and Slack refused: nothing was created yet.
    fake.wait("a channel creation attempt while down", |s| {
        s.calls.iter().find(|c| c.method == "conversations.create").map(|_| ())
    })
    .await;
    fake.set_down(false);
    let chan = fake.wait_channel("inc-1-payments-api-is-down").await;
    fake.wait_message(&chan.id, "🚨 INC-1").await;
    fake.wait_message(&alerts, "INC-1 opened").await;
    // Exactly one channel and one announcement, and the announcement leads the channel even
    // though the repeat was recorded while the channel could not be made.
    assert_eq!(fake.channel_named("inc-1-").len(), 1);
    fake.wait_message(&chan.id, "alert repeated").await;
    let texts: Vec<String> = fake.messages(&chan.id).into_iter().map(|m| m.text).collect();
    assert_eq!(texts.iter().filter(|t| t.contains("🚨 INC-1")).count(), 1, "{texts:#?}");
    let announce = texts.iter().position(|t| t.contains("🚨 INC-1"));
    let repeat = texts.iter().position(|t| t.contains("alert repeated"));
    assert!(announce < repeat, "the announcement must lead the channel: {texts:#?}");

    // users.info hangs: commands from someone the bot has not seen yet are still acknowledged
    // within Slack's 3 s, one after another on the same connection.
    fake.fault("users.info", Fault::Hang(Duration::from_secs(10)));
    for n in 1..=4 {
        let sent = std::time::Instant::now();
        let ack = fake
            .ack(&fake.slash("/timeline", &format!("bob's note {n}"), &chan.id, "UBOB000001"))
            .await;
        assert!(
            sent.elapsed() < Duration::from_secs(3),
            "ack {n} took {:?}",
            sent.elapsed()
        );
        assert!(
            ack["payload"]["text"].as_str().unwrap_or_default().contains('#'),
            "{ack}"
        );
    }
    fake.clear_fault("users.info");
    assert!(b.stop().success());
}

/// Capture without typing in Slack: a 📌 (`pushpin`) reaction on a person's message puts it on
/// the timeline with its author, send time, files and permalink (a thread reply too); the
/// author's edit follows, removing the reaction removes it, a pin captures, a deleted message
/// leaves the draft; redelivered events change nothing twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reactions_and_pins_capture_messages_in_the_incident_channel() {
    let fake = Fake::start().await;
    let (mut b, _, chan, _) = with_incident(&fake, "").await;
    const BOB: &str = "UBOB000001";

    let files = serde_json::json!([{"id": "F0GRAPH01", "name": "disk.png", "title": "disk graph",
        "permalink": "https://fake.slack.com/files/UBOB000001/F0GRAPH01/disk.png"}]);
    let said = fake.post_as(&chan.id, BOB, "disk full on etl-1 &lt;see graph&gt;", None, files);
    let reacted = fake.react(&chan.id, &said, ALICE, "pushpin", true);
    let recorded = fake.wait_message(&chan.id, "📌 Recorded as #").await;
    assert_eq!(
        recorded.thread_ts.as_deref(),
        Some(said.as_str()),
        "answered in the message's thread"
    );
    let sent = chrono::DateTime::from_timestamp(said.split('.').next().unwrap().parse().unwrap(), 0).unwrap();
    assert!(
        recorded
            .text
            .contains(&format!("bob at {}", sent.format("%Y-%m-%d %H:%M:%S"))),
        "{}",
        recorded.text
    );
    assert_eq!(fake.calls("conversations.history").len(), 1);
    assert_eq!(fake.calls("chat.getPermalink").len(), 1);
    // The same event again (Slack retries): nothing more.
    let env = fake.push_event(
        serde_json::json!({"type": "reaction_added", "user": ALICE, "reaction": "pushpin",
            "item": {"type": "message", "channel": chan.id, "ts": said}, "event_ts": "1"}),
        &reacted,
    );
    fake.ack(&env).await;

    // A thread reply, captured with a pin: found through conversations.replies.
    let reply = fake.post_as(
        &chan.id,
        ALICE,
        "rolled back the config",
        Some(&said),
        serde_json::json!([]),
    );
    fake.pin(&chan.id, &reply, BOB, true);
    fake.wait("the pinned reply's notice", |s| {
        s.messages
            .iter()
            .find(|m| m.text.contains("📌 Recorded as #") && m.thread_ts.as_deref() == Some(reply.as_str()))
            .map(|_| ())
    })
    .await;
    assert!(!fake.calls("conversations.replies").is_empty());

    // Bob edits his message: the entry follows.
    fake.edit_as(&chan.id, &said, "disk full on etl-2");
    let list = |fake: &Fake| {
        let env = fake.slash("/timeline", "list --all", &chan.id, ALICE);
        let fake = fake.clone();
        async move {
            fake.ack(&env).await["payload"]["text"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        }
    };
    let shown = list(&fake).await;
    assert!(shown.contains("bob: disk full on etl-2"), "{shown}");
    assert!(
        shown.contains("📎 disk.png: https://fake.slack.com/files/UBOB000001/F0GRAPH01/disk.png"),
        "{shown}"
    );
    assert!(shown.contains("🔗 https://fake.slack.com/archives/"), "{shown}");
    assert!(shown.contains("alice: rolled back the config"), "{shown}");

    // Alice removes her 📌: the entry leaves the draft; Bob unpins the reply likewise.
    fake.react(&chan.id, &said, ALICE, "pushpin", false);
    fake.pin(&chan.id, &reply, BOB, false);
    fake.wait("two removal notices", |s| {
        (s.messages
            .iter()
            .filter(|m| m.text.contains("left the timeline"))
            .count()
            == 2)
            .then_some(())
    })
    .await;
    // Reacting again brings Bob's message back; deleting it removes it for good.
    fake.react(&chan.id, &said, ALICE, "pushpin", true);
    fake.wait_message(&chan.id, "Back on the timeline").await;
    fake.delete_message(&chan.id, &said);
    fake.wait_message(&chan.id, "its message was deleted").await;
    let shown = list(&fake).await;
    assert!(shown.contains("(deleted by bob"), "{shown}");
    // Other reactions do nothing.
    fake.react(&chan.id, &reply, ALICE, "thumbsup", true);
    fake.ack(&fake.slash("/incident", "show", &chan.id, ALICE)).await;
    assert_eq!(
        fake.with(|s| s.messages.iter().filter(|m| m.text.contains("📌 Recorded")).count()),
        2
    );
    assert!(b.stop().success(), "{}", b.log());
}

/// `/incident update`: recorded, posted in the incident channel and in `[slack]
/// updates_channel`, with the incident's state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_update_reaches_the_incident_channel_and_the_updates_channel() {
    let fake = Fake::start().await;
    let updates = fake.add_channel("incident-updates", &[ALICE, BOT_USER]);
    let (mut b, _, chan, _) = with_incident(&fake, &format!("updates_channel = \"{updates}\"\n")).await;
    let ack = fake
        .ack(&fake.slash(
            "/incident",
            "update rollback in progress, errors falling",
            &chan.id,
            ALICE,
        ))
        .await;
    assert!(
        ack["payload"]["text"].as_str().unwrap().contains("Update recorded"),
        "{ack}"
    );
    let posted = fake.wait_message(&updates, "📣 INC-1 update").await;
    assert!(
        posted.text.contains("SEV2 (major), investigating, lead none yet")
            && posted.text.contains("rollback in progress, errors falling"),
        "{}",
        posted.text
    );
    fake.wait_message(&chan.id, "📣 INC-1 update").await;
    assert!(b.stop().success(), "{}", b.log());
}

/// The incident card's buttons run their commands under the same access rules (an outsider's
/// press is refused and changes nothing), the card is updated in place as the state changes
/// (no buttons once closed), `/inc declare` without a title opens the declare dialog, and its
/// submission declares with the severity, description and services.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_buttons_and_the_declare_dialog() {
    const BOB: &str = "UBOB000001";
    let fake = Fake::start().await;
    let (mut b, alerts, chan, card) = with_incident(&fake, &format!("\n[access]\nresponders = [\"{ALICE}\"]\n")).await;
    let blocks = card.blocks.clone().unwrap();
    let actions: Vec<&str> = blocks
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| {
            b["elements"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["action_id"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        actions,
        ["warroom.ack", "warroom.lead", "warroom.resolve", "warroom.close"]
    );
    let press = |user: &str, action: &str| fake.interaction(fake.button_payload(&chan.id, &card.ts, user, action));
    let card_now = |fake: &Fake| fake.with(|s| s.messages.iter().find(|m| m.ts == card.ts).cloned().unwrap());

    // An outsider's press is refused, says why, and changes nothing.
    fake.ack(&press(BOB, "warroom.resolve")).await;
    let refused = fake.wait_message(&chan.id, "pressed Resolve").await;
    assert!(refused.text.contains("responder"), "{}", refused.text);
    // Alice acknowledges and takes the lead: recorded with her, the card follows.
    fake.ack(&press(ALICE, "warroom.ack")).await;
    fake.wait_message(&chan.id, "alice pressed Acknowledge").await;
    fake.ack(&press(ALICE, "warroom.lead")).await;
    fake.wait_message(&chan.id, "alice pressed I'll lead").await;
    fake.wait("the card updated with the lead", |s| {
        s.messages
            .iter()
            .find(|m| {
                m.ts == card.ts
                    && m.updates > 0
                    && m.blocks
                        .as_ref()
                        .is_some_and(|b| b.to_string().contains("lead *@alice*"))
            })
            .map(|_| ())
    })
    .await;
    let shown = fake.ack(&fake.slash("/inc", "show", &chan.id, ALICE)).await;
    let shown = shown["payload"]["text"].as_str().unwrap_or_default().to_string();
    assert!(
        shown.contains("investigating") && shown.contains("commander @alice"),
        "{shown}"
    );
    // Recorded when it was pressed (Slack's `action_ts`, two minutes ago), not when the bot
    // handled it.
    let now = chrono::Utc::now();
    let at = |secs: i64| {
        (now - chrono::Duration::seconds(secs))
            .format("acknowledged %Y-%m-%d %H:%M")
            .to_string()
    };
    assert!((115..=130).any(|s| shown.contains(&at(s))), "{shown}");
    assert!(!shown.contains(&at(0)), "{shown}");
    // Resolve, then close (Slack asks to confirm before it sends the press): the draft is
    // posted, and the card has no buttons any more.
    fake.ack(&press(ALICE, "warroom.resolve")).await;
    fake.wait_message(&chan.id, "alice pressed Resolve").await;
    fake.ack(&press(ALICE, "warroom.close")).await;
    fake.wait_message(&chan.id, "Draft postmortem of INC-1").await;
    fake.wait("the closed card", |s| {
        s.messages
            .iter()
            .find(|m| {
                m.ts == card.ts
                    && m.blocks
                        .as_ref()
                        .is_some_and(|b| !b.to_string().contains("\"actions\"") && b.to_string().contains("closed"))
            })
            .map(|_| ())
    })
    .await;
    assert!(card_now(&fake).updates >= 2);

    // `/inc declare` alone opens the dialog; submitting it declares INC-2.
    let ack = fake.ack(&fake.slash("/inc", "declare", &alerts, ALICE)).await;
    assert!(
        ack["payload"]["text"].as_str().unwrap_or_default().contains("dialog"),
        "{ack}"
    );
    let (trigger, view) = fake.with(|s| s.views.last().cloned()).expect("views.open was called");
    assert!(trigger.starts_with("trig."));
    assert_eq!(view["callback_id"], "warroom.declare");
    assert_eq!(view["private_metadata"], alerts.as_str());
    let submission = serde_json::json!({
        "type": "view_submission",
        "team": {"id": crate::fake_slack::TEAM, "domain": "fake"},
        "user": {"id": ALICE, "username": "alice", "name": "alice", "team_id": crate::fake_slack::TEAM},
        "api_app_id": crate::fake_slack::APP_ID,
        "token": "XXYYZZ",
        "trigger_id": "trig.submit",
        "view": {
            "id": "V0DECLARE1", "type": "modal", "callback_id": "warroom.declare", "private_metadata": alerts,
            "team_id": crate::fake_slack::TEAM, "hash": "1", "blocks": view["blocks"],
            "title": view["title"],
            "state": {"values": {
                "title": {"value": {"type": "plain_text_input", "value": "Payments are slow"}},
                "severity": {"value": {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "SEV1 (critical)"}, "value": "sev1"}}},
                "description": {"value": {"type": "plain_text_input", "value": "p99 above 4 s since 10:00"}},
                "services": {"value": {"type": "plain_text_input", "value": "payments, api"}}
            }}
        },
        "response_urls": []
    });
    fake.ack(&fake.interaction(submission)).await;
    let chan2 = fake.wait_channel("inc-2-").await;
    assert_eq!(chan2.name, "inc-2-payments-are-slow");
    let list = fake.ack(&fake.slash("/timeline", "list", &chan2.id, ALICE)).await;
    let list = list["payload"]["text"].as_str().unwrap_or_default().to_string();
    assert!(
        list.contains("alice: p99 above 4 s since 10:00") && list.contains("affects: payments, api"),
        "{list}"
    );
    assert!(list.contains("SEV1 (critical)"), "{list}");
    assert!(b.stop().success(), "{}", b.log());
}

/// A slash command's entry and the jobs it queues (the topic, the card) are made durable by
/// one flush + fsync round before the acknowledgement, not one each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slash_command_costs_one_sync() {
    let fake = Fake::start().await;
    let (mut b, _, chan, _) = with_incident(&fake, "").await;
    fake.wait_message(&chan.id, "could not invite").await;
    let syncs = || async {
        crate::support::metric(
            &crate::support::scrape(&b.http_url()).await,
            "warroom_store_syncs_total ",
        )
    };
    let mut deltas = Vec::new();
    for i in 0..5 {
        let before = syncs().await;
        let ack = fake
            .ack(&fake.slash("/incident", &format!("sev sev{}", 1 + i % 2), &chan.id, ALICE))
            .await;
        assert!(
            ack["payload"]["text"].as_str().unwrap_or_default().contains("Severity"),
            "{ack}"
        );
        let after = syncs().await;
        deltas.push(after - before);
    }
    assert_eq!(deltas, [1.0; 5], "one sync per acknowledgement");
    assert!(b.stop().success(), "{}", b.log());
}

/// A Socket Mode bot configured for `fake` (with `extra` after its `[slack]` section), started
/// and connected, and INC-1 opened by an integration's alert: the bot, the alert channel, the
/// incident channel and its card.
async fn with_incident(fake: &Fake, extra: &str) -> (crate::mx::BotProc, String, crate::fake_slack::Channel, Message) {
    let alerts = fake.add_channel("alerts", &[ALICE]);
    let (section, env) = fake.section("socket", &alerts);
    let mut b = crate::mx::BotProc::configured(&format!("{section}{extra}"), &env, "slack: ready (socket mode)");
    b.start().await;
    fake.wait_socket().await;
    fake.ack(&fake.push_event(
        bot_message(&alerts, "NDW ETL failed", "1700000000.000100"),
        "Ev0ALERT01",
    ))
    .await;
    let chan = fake.wait_channel("inc-1-").await;
    let card = fake.wait_message(&chan.id, "🚨 INC-1").await;
    (b, alerts, chan, card)
}
