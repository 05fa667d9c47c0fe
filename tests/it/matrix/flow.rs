//! What users see: alert to postmortem, declaring, encrypted alert rooms, big drafts and
//! check-config.

use std::time::Duration;

use serde_json::{Value, json};

use super::{ALERTS, body, count_bot, open_incident, world};
use crate::mx::{BOT_USER, BotProc, Mx};
use crate::support::{ok, stderr, stdout};
use crate::synapse::Synapse;

/// A link to a javascript: URL, an image from the media repo, a script and a room mention, as
/// users and alerting scripts can type them.
const HOSTILE: &str =
    "<a href='javascript:alert(1)'>re-login</a> <img src='mxc://evil.example/abc'> <script>alert(2)</script> @room";

/// A bot message that shows `HOSTILE` as text: no tag of it in the HTML, no `@room` that
/// notifies, no mentions.
fn assert_inert(what: &str, m: &Value) {
    let html = m["content"]["formatted_body"].as_str().unwrap_or_default();
    for tag in ["<a href=\"javascript", "<a href='javascript", "<img", "<script"] {
        assert!(!html.contains(tag), "{what}: {tag} in formatted_body {m}");
    }
    assert!(html.contains("&lt;script&gt;alert(2)&lt;/script&gt;"), "{what}: {m}");
    assert!(!body(m).contains("@room"), "{what}: @room in the body {m}");
    assert!(body(m).contains("script>alert(2)"), "{what}: {m}");
    assert_eq!(m["content"]["m.mentions"], json!({}), "{what}: {m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_to_postmortem_in_matrix() {
    let syn = Synapse::start().await;
    let mut w = world(&syn).await;
    w.bot.start().await;

    // An alert from another account (a cron script) opens INC-1 in its own room.
    let alert = w.cron.say(&w.alerts, "NDW ETL failed").await;
    let room = w.alice.wait_invite().await;
    w.alice.join(&room).await;
    let link = w.alice.wait_reply(&w.alerts, BOT_USER, &alert).await;
    assert!(link.contains("INC-1 opened: NDW ETL failed"), "{link}");
    assert!(link.contains("#inc-1-ndw-etl-failed:localhost"), "{link}");
    let (_, name) = w.alice.state(&room, "m.room.name", "").await;
    assert_eq!(name["name"], "INC-1: NDW ETL failed");
    let (_, alias) = w.alice.state(&room, "m.room.canonical_alias", "").await;
    assert_eq!(alias["alias"], "#inc-1-ndw-etl-failed:localhost");
    let (_, topic) = w.alice.state(&room, "m.room.topic", "").await;
    assert!(topic["topic"].as_str().unwrap().contains("investigating"), "{topic}");
    // The alert's poster is invited too.
    let (_, cron_member) = w.alice.state(&room, "m.room.member", "@cron:localhost").await;
    assert_eq!(cron_member["membership"], "invite");
    let announce = w
        .alice
        .wait_message(&room, BOT_USER, "the announcement", |m| body(m).contains("🚨 INC-1"))
        .await;
    assert_eq!(announce["content"]["msgtype"], "m.notice");
    assert!(body(&announce).contains("NDW ETL failed"), "{}", body(&announce));
    assert!(announce["content"]["formatted_body"].as_str().is_some());

    // Commands, with a backdated entry; each gets a notice in reply.
    let ev = w.alice.say(&room, "!timeline 13:25 restarted docker").await;
    assert!(w.alice.wait_reply(&room, BOT_USER, &ev).await.contains("#"));
    let ev = w
        .alice
        .say(&room, "!postmortem impact ETL data delayed by two hours")
        .await;
    w.alice.wait_reply(&room, BOT_USER, &ev).await;
    let ev = w
        .alice
        .say(&room, "!action add a disk-space alert @alice:localhost")
        .await;
    w.alice.wait_reply(&room, BOT_USER, &ev).await;
    let ev = w.alice.say(&room, "!incident sev sev1").await;
    w.alice.wait_reply(&room, BOT_USER, &ev).await;
    // `/` works too when a client sends it as text.
    let ev = w.alice.say(&room, "/timeline rolled back the config via slash").await;
    w.alice.wait_reply(&room, BOT_USER, &ev).await;

    // A malformed command gets a usage notice and changes nothing.
    let ev = w.alice.say(&room, "!incident sev bogus").await;
    let usage = w.alice.wait_reply(&room, BOT_USER, &ev).await;
    assert!(
        usage.contains("`bogus` is not a valid severity") && usage.contains("usage: !incident sev"),
        "{usage}"
    );

    // A reply whose quoted part holds `!incident close` runs only its own text: the fallback
    // is stripped before parsing (unstripped, the body would start with `>` and run nothing).
    let quoting = w
        .alice
        .send_content(
            &room,
            json!({"msgtype": "m.text",
                   "body": "> <@alice:localhost> !incident close\n\n!incident show",
                   "m.relates_to": {"m.in_reply_to": {"event_id": ev}}}),
        )
        .await;
    let show = w.alice.wait_reply(&room, BOT_USER, &quoting).await;
    assert!(show.contains("investigating"), "{show}");
    assert!(show.contains("SEV1"), "{show}");

    // The same alert again joins INC-1: noted in its room, not announced again. Its text holds
    // HTML and @room: shown, not rendered, and nobody is pinged.
    w.cron.say(&w.alerts, &format!("NDW ETL failed {HOSTILE}")).await;
    let note = w
        .alice
        .wait_message(&room, BOT_USER, "the repeat note", |m| {
            body(m).contains("alert repeated")
        })
        .await;
    assert_inert("the repeat note", &note);
    // A note with the same: the draft shows it as text too.
    let ev = w.alice.say(&room, &format!("!timeline 13:27 {HOSTILE}")).await;
    let reply = w
        .alice
        .wait_message(&room, BOT_USER, "the reply", |m| {
            m["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == ev
        })
        .await;
    assert_inert("the reply", &reply);
    assert!(
        w.alice.invites().await.is_empty(),
        "a repeated alert opened another room"
    );
    assert_eq!(count_bot(&w.alice, &w.alerts, "opened").await, 1);

    let ev = w.alice.say(&room, "!incident resolve").await;
    w.alice.wait_reply(&room, BOT_USER, &ev).await;
    // The topic follows the status.
    let start = std::time::Instant::now();
    loop {
        let (_, topic) = w.alice.state(&room, "m.room.topic", "").await;
        let t = topic["topic"].as_str().unwrap_or("").to_string();
        if t.contains("resolved") && t.contains("SEV1") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "topic not updated: {t}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Close: the draft as a formatted message, and the Markdown file in the room.
    w.alice.say(&room, "!incident close").await;
    let draft = w
        .alice
        .wait_message(&room, BOT_USER, "the draft", |m| body(m).starts_with("# INC-1"))
        .await;
    assert!(draft["content"]["formatted_body"].as_str().unwrap().contains("<table>"));
    assert_inert("the draft", &draft);
    assert!(
        draft["content"]["formatted_body"]
            .as_str()
            .unwrap()
            .contains("&lt;a href="),
        "{draft}"
    );
    let file = w
        .alice
        .wait_message(&room, BOT_USER, "the postmortem file", |m| {
            m["content"]["msgtype"] == "m.file" && body(m) == "INC-1-postmortem.md"
        })
        .await;
    let md = w.alice.download(file["content"]["url"].as_str().unwrap()).await;
    for want in [
        "restarted docker",
        "13:25",
        "ETL data delayed by two hours",
        "add a disk-space alert",
        "## Timeline",
        "alert repeated",
        "rolled back the config via slash",
    ] {
        assert!(md.contains(want), "{want} missing from the postmortem:\n{md}");
    }
    assert!(!md.contains("bogus"), "{md}");

    // Export from chat.
    w.alice.say(&room, "!postmortem export json").await;
    let json_file = w
        .alice
        .wait_message(&room, BOT_USER, "the JSON export", |m| {
            body(m) == "INC-1-postmortem.json"
        })
        .await;
    let exported: Value = serde_json::from_str(&w.alice.download(json_file["content"]["url"].as_str().unwrap()).await)
        .expect("export is JSON");
    assert_eq!(exported["id"], "INC-1");

    // Declaring by hand in the alert room opens a second incident with its own room.
    let ev = w
        .alice
        .say(&w.alerts, "!incident declare \"Payments are slow\" --sev sev2")
        .await;
    let declared = w.alice.wait_invite().await;
    assert_ne!(declared, room);
    w.alice.join(&declared).await;
    let (_, name) = w.alice.state(&declared, "m.room.name", "").await;
    assert_eq!(name["name"], "INC-2: Payments are slow");
    assert!(
        w.alice
            .wait_reply(&w.alerts, BOT_USER, &ev)
            .await
            .contains("INC-2 opened")
    );

    assert!(w.bot.stop().success(), "{}", w.bot.log());
    let listed = ok(w.bot.cmd(&["incidents", "--all"]).output().unwrap());
    assert!(listed.contains("INC-1"), "{listed}");
    assert!(listed.contains("INC-2"), "{listed}");
    assert!(!listed.contains("INC-3"), "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_reports_matrix_problems_in_plain_words() {
    let syn = Synapse::start().await;
    let w = world(&syn).await;
    // A private room nobody invited the bot to, and a responder who does not exist.
    w.alice
        .create_room(json!({"preset": "private_chat", "room_alias_name": "secret"}))
        .await;
    std::fs::write(
        &w.bot.config,
        format!(
            "[matrix]\nhomeserver = \"{}\"\nuser = \"{BOT_USER}\"\nalert_rooms = [\"{ALERTS}\", \"#secret:localhost\", \"#nowhere:localhost\"]\nresponders = [\"@alice:localhost\", \"@ghost:localhost\"]\n",
            syn.url
        ),
    )
    .unwrap();
    let o = w.bot.cmd(&["check-config"]).output().unwrap();
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(2), "{out}\n{err}");
    assert!(out.contains("logged in as @warroom:localhost"), "{out}");
    assert!(out.contains("alert room #alerts:localhost"), "{out}");
    assert!(err.contains("cannot join alert room #secret:localhost"), "{err}");
    assert!(err.contains("#nowhere:localhost: the alias does not resolve"), "{err}");
    assert!(err.contains("responder @ghost:localhost does not exist"), "{err}");
    assert!(!err.contains(crate::mx::BOT_PASSWORD) && !out.contains(crate::mx::BOT_PASSWORD));

    // A wrong password is a login failure, said plainly.
    let o = w
        .bot
        .cmd(&["check-config"])
        .env("WARROOM_MATRIX__PASSWORD", "wrong")
        .output()
        .unwrap();
    assert!(
        stderr(&o).contains("Matrix login as @warroom:localhost"),
        "{}",
        stderr(&o)
    );
    // `run` with a wrong password stops with the same plain message instead of retrying forever.
    let o = w
        .bot
        .cmd(&["run"])
        .env("WARROOM_MATRIX__PASSWORD", "wrong")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("refused the credentials"), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypted_alert_room_opens_an_incident() {
    use matrix_sdk::config::SyncSettings;
    use matrix_sdk::ruma::api::client::room::create_room::v3::{Request as CreateRoom, RoomPreset};
    use matrix_sdk::ruma::events::room::member::MembershipState;
    use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;

    let syn = Synapse::start().await;
    let alice = Mx::register(&syn, "alice", true).await;
    syn.register("pager", "pager-pw", false).await;
    let mut bot = BotProc::new(&syn, &["#secure-alerts:localhost"], &["@alice:localhost"]).await;

    // An E2EE-capable sender (the SDK, in memory) makes an encrypted alert room and invites the bot.
    let pager = matrix_sdk::Client::builder()
        .homeserver_url(&syn.url)
        .build()
        .await
        .unwrap();
    pager
        .matrix_auth()
        .login_username("pager", "pager-pw")
        .send()
        .await
        .unwrap();
    pager.sync_once(SyncSettings::default()).await.unwrap();
    let mut req = CreateRoom::new();
    req.room_alias_name = Some("secure-alerts".into());
    req.preset = Some(RoomPreset::PrivateChat);
    req.invite = vec![BOT_USER.try_into().unwrap()];
    let room = pager.create_room(req).await.unwrap();
    room.enable_encryption().await.unwrap();

    bot.start().await;
    let bot_id: matrix_sdk::ruma::OwnedUserId = BOT_USER.try_into().unwrap();
    let start = std::time::Instant::now();
    loop {
        pager
            .sync_once(SyncSettings::default().timeout(Duration::from_millis(500)))
            .await
            .unwrap();
        let joined = room
            .get_member_no_sync(&bot_id)
            .await
            .unwrap()
            .is_some_and(|m| *m.membership() == MembershipState::Join);
        if joined {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the bot did not join:\n{}",
            bot.log()
        );
    }
    assert!(room.latest_encryption_state().await.unwrap().is_encrypted());
    room.send(RoomMessageEventContent::text_plain("NDW ETL failed"))
        .await
        .unwrap();

    let inc = alice.wait_invite().await;
    alice.join(&inc).await;
    let announce = alice
        .wait_message(&inc, BOT_USER, "the announcement", |m| body(m).contains("🚨 INC-1"))
        .await;
    assert!(body(&announce).contains("NDW ETL failed"), "{}", body(&announce));
    // The link back into the encrypted alert room is encrypted, so only check it was sent.
    assert!(bot.stop().success(), "{}", bot.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_too_big_for_one_event_goes_out_as_a_file() {
    let syn = Synapse::start().await;
    let mut w = world(&syn).await;
    w.bot.start().await;
    let room = open_incident(&w, "NDW ETL failed").await;
    // Eight long sections: about 56,000 characters of Markdown, more than one event can hold.
    for section in [
        "summary",
        "impact",
        "root-cause",
        "trigger",
        "resolution",
        "detection",
        "went-well",
        "went-wrong",
    ] {
        let text = format!("{section} ").repeat(7000 / (section.len() + 1));
        let ev = w.alice.say(&room, &format!("!postmortem {section} {text}")).await;
        w.alice.wait_reply(&room, BOT_USER, &ev).await;
    }
    w.alice.say(&room, "!incident close").await;
    let summary = w
        .alice
        .wait_message(&room, BOT_USER, "the summary", |m| {
            body(m).contains("too long for one message")
        })
        .await;
    assert!(body(&summary).contains("INC-1-postmortem.md"), "{}", body(&summary));
    let file = w
        .alice
        .wait_message(&room, BOT_USER, "the file", |m| body(m) == "INC-1-postmortem.md")
        .await;
    let md = w.alice.download(file["content"]["url"].as_str().unwrap()).await;
    assert!(md.len() > 56_000, "{}", md.len());
    assert!(md.contains("root-cause root-cause"));
    // No inline draft was attempted.
    assert_eq!(count_bot(&w.alice, &room, "## Timeline").await, 0);
    assert!(w.bot.stop().success());
}

/// `[access] matrix_power_level`: the bot reads each sender's power level in the room from its
/// own room state; below the level, declaring is refused and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn power_level_decides_who_may_declare() {
    let syn = Synapse::start().await;
    let mut w = world(&syn).await;
    let mut config = std::fs::read_to_string(&w.bot.config).unwrap();
    config.push_str("[access]\nmatrix_power_level = 50\n");
    std::fs::write(&w.bot.config, config).unwrap();
    w.bot.start().await;
    assert!(!w.bot.log().contains("access control is off"), "{}", w.bot.log());

    // cron has the default power level 0 in #alerts; alice created it (100).
    let ev = w.cron.say(&w.alerts, "!incident declare \"Cron's outage\"").await;
    let refused = w.cron.wait_reply(&w.alerts, BOT_USER, &ev).await;
    assert!(
        refused.contains("Only responders may declare incidents") && refused.contains("power level 50 or more"),
        "{refused}"
    );
    let ev = w.alice.say(&w.alerts, "!incident declare \"Search is slow\"").await;
    let opened = w.alice.wait_reply(&w.alerts, BOT_USER, &ev).await;
    assert!(opened.contains("INC-1 opened"), "{opened}");

    assert!(w.bot.stop().success(), "{}", w.bot.log());
    let listed = ok(w.bot.cmd(&["incidents", "--all"]).output().unwrap());
    assert!(
        listed.contains("Search is slow") && !listed.contains("Cron"),
        "{listed}"
    );
}
