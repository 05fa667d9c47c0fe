//! Capture without typing on a real Synapse: a 📌 reaction from one user on another's message
//! records it with its author and send time; edits follow, unreacting and redacting remove it,
//! pins capture too, and 👀 / 🙋 / ✅ on the announcement run their commands.

use serde_json::{Value, json};

use super::{body, open_incident, world};
use crate::mx::{BOT_USER, Mx};
use crate::synapse::Synapse;

fn enc(s: &str) -> String {
    s.replace('!', "%21")
        .replace('$', "%24")
        .replace(':', "%3A")
        .replace('#', "%23")
}

async fn send(who: &Mx, room: &str, kind: &str, content: Value) -> String {
    let (status, v) = who
        .call(
            reqwest::Method::PUT,
            &format!(
                "/_matrix/client/v3/rooms/{}/send/{kind}/t{}",
                enc(room),
                fastrand::u64(..)
            ),
            Some(content),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    v["event_id"].as_str().unwrap().to_string()
}

async fn react(who: &Mx, room: &str, target: &str, key: &str) -> String {
    send(
        who,
        room,
        "m.reaction",
        json!({"m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": key}}),
    )
    .await
}

async fn redact(who: &Mx, room: &str, target: &str) {
    let (status, v) = who
        .call(
            reqwest::Method::PUT,
            &format!(
                "/_matrix/client/v3/rooms/{}/redact/{}/r{}",
                enc(room),
                enc(target),
                fastrand::u64(..)
            ),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
}

async fn pin(who: &Mx, room: &str, pinned: &[&str]) {
    let (status, v) = who
        .call(
            reqwest::Method::PUT,
            &format!("/_matrix/client/v3/rooms/{}/state/m.room.pinned_events/", enc(room)),
            Some(json!({ "pinned": pinned })),
        )
        .await;
    assert_eq!(status, 200, "{v}");
}

/// The bot's notice that replies to `event` and contains `needle`.
async fn wait_notice(who: &Mx, room: &str, event: &str, needle: &str) -> String {
    let m = who
        .wait_message(room, BOT_USER, needle, |m| {
            m["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == event && body(m).contains(needle)
        })
        .await;
    body(&m).to_string()
}

/// `!timeline list --all` as alice: the reply.
async fn timeline(w: &super::World, room: &str) -> String {
    let ev = w.alice.say(room, "!timeline list --all").await;
    w.alice.wait_reply(room, BOT_USER, &ev).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_or_reacted_message_is_recorded_with_its_author_and_time() {
    let syn = Synapse::start().await;
    let mut w = world(&syn).await;
    w.bot.start().await;
    let room = open_incident(&w, "NDW ETL failed").await;
    w.cron.join(&room).await;

    // cron (not a command) says something; alice captures it with 📌.
    let said = w.cron.say(&room, "disk full on etl-1 at /var").await;
    let events = w.alice.events(&room).await;
    let sent_ms = events.iter().find(|e| e["event_id"] == said.as_str()).unwrap()["origin_server_ts"]
        .as_i64()
        .unwrap();
    let sent = chrono::DateTime::from_timestamp_millis(sent_ms).unwrap();
    let reaction = react(&w.alice, &room, &said, "📌").await;
    let recorded = wait_notice(&w.alice, &room, &said, "📌 Recorded as #").await;
    assert!(recorded.contains("INC-1: cron at "), "{recorded}");
    assert!(
        recorded.contains(&sent.format("%H:%M:%S").to_string()),
        "{recorded} vs {sent}"
    );
    let seq: String = recorded
        .split("#")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();

    // cron edits it: the entry follows (a forged edit by alice does not).
    send(
        &w.alice,
        &room,
        "m.room.message",
        json!({"msgtype": "m.text", "body": "* forged", "m.new_content": {"msgtype": "m.text", "body": "forged"},
               "m.relates_to": {"rel_type": "m.replace", "event_id": said}}),
    )
    .await;
    send(
        &w.cron,
        &room,
        "m.room.message",
        json!({"msgtype": "m.text", "body": "* disk full on etl-2 at /var",
               "m.new_content": {"msgtype": "m.text", "body": "disk full on etl-2 at /var"},
               "m.relates_to": {"rel_type": "m.replace", "event_id": said}}),
    )
    .await;
    let list = timeline(&w, &room).await;
    let line = list
        .lines()
        .find(|l| l.starts_with(&format!("#{seq} ")))
        .unwrap_or_default()
        .to_string();
    assert!(line.ends_with("cron: disk full on etl-2 at /var"), "{list}");
    assert!(list.contains("(edited by cron"), "{list}");
    assert!(list.contains("🔗 https://matrix.to/#/"), "{list}");
    assert!(!list.contains("forged"), "{list}");

    // Unreacting removes it from the draft (kept, marked deleted); reacting again restores it.
    redact(&w.alice, &room, &reaction).await;
    w.alice
        .wait_message(&room, BOT_USER, "the removal notice", |m| {
            body(m) == format!("📌 #{seq} left the timeline of INC-1 (kept in its history).")
        })
        .await;
    let again = react(&w.alice, &room, &said, "📌").await;
    assert!(
        wait_notice(&w.alice, &room, &said, "Back on the timeline")
            .await
            .contains(&format!("#{seq}")),
        "restored"
    );
    let _ = again;
    // Redacting the message removes it for good.
    redact(&w.cron, &room, &said).await;
    w.alice
        .wait_message(&room, BOT_USER, "the deletion notice", |m| {
            body(m).contains("its message was deleted")
        })
        .await;
    let list = timeline(&w, &room).await;
    assert!(list.contains("(deleted by cron"), "{list}");

    // A pin captures too (anyone in the room may pin); unpinning removes it.
    let graph = w
        .cron
        .send_content(
            &room,
            json!({"msgtype": "m.image", "body": "disk.png", "url": "mxc://localhost/graph"}),
        )
        .await;
    let note = w.cron.say(&room, "rollback started").await;
    // One state change pins both; the next unpins both: every message takes effect.
    pin(&w.alice, &room, &[&graph, &note]).await;
    let pinned = wait_notice(&w.alice, &room, &graph, "📌 Recorded as #").await;
    let noted = wait_notice(&w.alice, &room, &note, "📌 Recorded as #").await;
    let list = timeline(&w, &room).await;
    assert!(list.contains("📎 disk.png: mxc://localhost/graph"), "{pinned}\n{list}");
    assert!(list.contains("cron: rollback started"), "{list}");
    // "📌 Recorded as #12 of INC-1: …" → 12
    let seq_of = |notice: &str| -> u64 {
        let rest = notice.strip_prefix("📌 Recorded as #").expect("a recorded notice");
        rest.split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .expect("its entry number")
    };
    pin(&w.alice, &room, &[]).await;
    for seq in [seq_of(&pinned), seq_of(&noted)] {
        w.alice
            .wait_message(&room, BOT_USER, "an unpin's removal notice", |m| {
                body(m) == format!("📌 #{seq} left the timeline of INC-1 (kept in its history).")
            })
            .await;
    }

    // 👀 on the announcement acknowledges, 🙋 makes the reactor lead, ✅ resolves.
    let announcement = w
        .alice
        .wait_message(&room, BOT_USER, "the announcement", |m| body(m).starts_with("🚨 INC-1"))
        .await;
    let ann = announcement["event_id"].as_str().unwrap().to_string();
    for (key, says) in [
        ("👀", "`!incident milestone acknowledged`"),
        ("🙋", "`!incident lead @alice:localhost`"),
        ("✅", "`!incident resolve`"),
    ] {
        let r = react(&w.alice, &room, &ann, key).await;
        let reply = w.alice.wait_reply(&room, BOT_USER, &r).await;
        assert!(reply.contains(says), "{key}: {reply}");
    }
    let show = w.alice.say(&room, "!incident show").await;
    let show = w.alice.wait_reply(&room, BOT_USER, &show).await;
    assert!(
        show.contains("resolved") && show.contains("lead @alice:localhost")
            || show.contains("commander @alice:localhost"),
        "{show}"
    );
    assert!(show.contains("acknowledged"), "{show}");
    assert!(w.bot.stop().success(), "{}", w.bot.log());
}

/// `encrypted_rooms = true`: the incident room is end-to-end encrypted; a 📌 reaction (itself
/// encrypted) on an encrypted message by a client that shares its keys with the bot's device
/// captures the message with its author and text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capture_works_in_an_encrypted_incident_room() {
    use matrix_sdk::config::SyncSettings;
    use matrix_sdk::ruma::events::reaction::ReactionEventContent;
    use matrix_sdk::ruma::events::relation::Annotation;
    use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
    use std::time::Duration;

    let syn = Synapse::start().await;
    syn.register("alice", "alice-pw", true).await;
    let cron = Mx::register(&syn, "cron", false).await;
    let admin = Mx::register(&syn, "admin", true).await;
    let alerts = admin
        .create_room(json!({"preset": "public_chat", "room_alias_name": "alerts"}))
        .await;
    cron.join("#alerts:localhost").await;
    syn.register("warroom", crate::mx::BOT_PASSWORD, false).await;
    let mut bot = crate::mx::BotProc::configured(
        &format!(
            "[matrix]\nhomeserver = \"{}\"\nuser = \"{BOT_USER}\"\nalert_rooms = [\"#alerts:localhost\"]\nresponders = [\"@alice:localhost\"]\nencrypted_rooms = true\n",
            syn.url
        ),
        &[("WARROOM_MATRIX__PASSWORD", crate::mx::BOT_PASSWORD)],
        "matrix: ready",
    );
    bot.start().await;

    // alice with an E2EE-capable client (the SDK, in memory).
    let alice = matrix_sdk::Client::builder()
        .homeserver_url(&syn.url)
        .build()
        .await
        .unwrap();
    alice
        .matrix_auth()
        .login_username("alice", "alice-pw")
        .send()
        .await
        .unwrap();
    alice.sync_once(SyncSettings::default()).await.unwrap();
    cron.say(&alerts, "NDW ETL failed").await;
    let start = std::time::Instant::now();
    let room = loop {
        alice
            .sync_once(SyncSettings::default().timeout(Duration::from_millis(500)))
            .await
            .unwrap();
        if let Some(r) = alice.invited_rooms().into_iter().next() {
            break r;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no invite:\n{}", bot.log());
    };
    let room_id = room.room_id().to_owned();
    alice.join_room_by_id(&room_id).await.unwrap();
    alice.sync_once(SyncSettings::default()).await.unwrap();
    let room = alice.get_room(&room_id).unwrap();
    assert!(
        room.latest_encryption_state().await.unwrap().is_encrypted(),
        "the incident room is encrypted"
    );

    let said = room
        .send(RoomMessageEventContent::text_plain(
            "disk full on etl-1 (said in private)",
        ))
        .await
        .unwrap()
        .response
        .event_id;
    room.send(ReactionEventContent::new(Annotation::new(said.clone(), "📌".into())))
        .await
        .unwrap();

    // The bot's store has the captured entry (read through the running bot's local API).
    let start = std::time::Instant::now();
    loop {
        let out = bot.cmd(&["export", "INC-1", "--format", "json"]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            let captured = v["timeline"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|e| e["kind"] == "captured");
            if let Some(e) = captured {
                assert!(
                    e["text"]
                        .as_str()
                        .unwrap()
                        .starts_with("disk full on etl-1 (said in private)"),
                    "{e}"
                );
                assert_eq!(e["author"]["id"], "@alice:localhost");
                assert_eq!(e["precision"], "second");
                break;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "nothing captured:\n{text}\n{}",
            bot.log()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(bot.stop().success(), "{}", bot.log());
}

/// `incident update` in Matrix: the update goes to the incident room and to
/// `matrix.updates_room` (an alias the bot resolves and joins when it delivers the update).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_update_reaches_the_updates_room() {
    let syn = Synapse::start().await;
    let alice = Mx::register(&syn, "alice", true).await;
    let cron = Mx::register(&syn, "cron", false).await;
    let alerts = alice
        .create_room(json!({"preset": "public_chat", "room_alias_name": "alerts"}))
        .await;
    let updates = alice
        .create_room(json!({"preset": "public_chat", "room_alias_name": "incident-updates"}))
        .await;
    cron.join("#alerts:localhost").await;
    syn.register("warroom", crate::mx::BOT_PASSWORD, false).await;
    let mut bot = crate::mx::BotProc::configured(
        &format!(
            "[matrix]\nhomeserver = \"{}\"\nuser = \"{BOT_USER}\"\nalert_rooms = [\"#alerts:localhost\"]\nresponders = [\"@alice:localhost\"]\nupdates_room = \"#incident-updates:localhost\"\n",
            syn.url
        ),
        &[("WARROOM_MATRIX__PASSWORD", crate::mx::BOT_PASSWORD)],
        "matrix: ready",
    );
    bot.start().await;
    cron.say(&alerts, "NDW ETL failed").await;
    let room = alice.wait_invite().await;
    alice.join(&room).await;
    let ev = alice.say(&room, "!incident update rollback in progress").await;
    let reply = alice.wait_reply(&room, BOT_USER, &ev).await;
    assert!(reply.contains("Update recorded"), "{reply}");
    let posted = alice
        .wait_message(&updates, BOT_USER, "the update in the updates room", |m| {
            body(m).starts_with("📣 INC-1 update") && body(m).contains("rollback in progress")
        })
        .await;
    assert!(body(&posted).contains("investigating"), "{}", body(&posted));
    alice
        .wait_message(&room, BOT_USER, "the update in the incident room", |m| {
            body(m).starts_with("📣 INC-1 update")
        })
        .await;
    assert!(bot.stop().success(), "{}", bot.log());
}
