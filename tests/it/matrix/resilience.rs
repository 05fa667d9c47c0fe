//! Resilience: restarts, a fresh store, a crash with queued replies, homeserver outages, rate
//! limits, and alert rooms joined while running.

use std::time::Duration;

use serde_json::json;

use super::{World, exempt_people, open_incident, replies_to, world};
use crate::mx::{BOT_USER, BotProc, Mx};
use crate::support::{ok, read};
use crate::synapse::Synapse;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_runs_each_command_exactly_once() {
    let syn = Synapse::start().await;
    let mut w = world(&syn).await;
    w.bot.start().await;
    let room = open_incident(&w, "payments API is down").await;
    let first = w.alice.say(&room, "!timeline first entry").await;
    w.alice.wait_reply(&room, BOT_USER, &first).await;
    let session = read(&w.bot.sb.data().join("matrix/session.json"));
    assert!(w.bot.stop().success(), "{}", w.bot.log());

    // While the bot is down.
    let down1 = w.alice.say(&room, "!timeline while down one").await;
    let down2 = w.alice.say(&room, "!timeline while down two").await;

    w.bot.start().await;
    w.alice.wait_reply(&room, BOT_USER, &down1).await;
    w.alice.wait_reply(&room, BOT_USER, &down2).await;
    let ev = w.alice.say(&room, "!timeline list").await;
    let list = w.alice.wait_reply(&room, BOT_USER, &ev).await;
    for entry in ["first entry", "while down one", "while down two"] {
        assert_eq!(list.matches(entry).count(), 1, "{entry} in:\n{list}");
    }
    // Commands handled before the restart were not run again.
    assert_eq!(replies_to(&w.alice, &room, std::slice::from_ref(&first)).await.len(), 1);
    // The same device, not a new login per start.
    assert_eq!(read(&w.bot.sb.data().join("matrix/session.json")), session);
    let (_, devices) = w
        .alice
        .call(
            reqwest::Method::GET,
            "/_synapse/admin/v2/users/@warroom:localhost/devices",
            None,
        )
        .await;
    // (Registration through the admin API made one device with no name; ours is "warroom".)
    let ours = devices["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["display_name"] == "warroom")
        .count();
    assert_eq!(ours, 1, "{devices}");
    assert!(w.bot.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_store_does_not_replay_history() {
    let syn = Synapse::start().await;
    let mut w = world(&syn).await;
    w.bot.start().await;
    let old_room = open_incident(&w, "NDW ETL failed").await;
    let ev = w.alice.say(&old_room, "!timeline from the first store").await;
    w.alice.wait_reply(&old_room, BOT_USER, &ev).await;
    assert!(w.bot.stop().success());
    // History the next bot will find: a close command and an alert.
    w.alice.say(&old_room, "!incident close").await;
    w.cron.say(&w.alerts, "billing DB is down").await;

    // A new data dir: new store, new device.
    let first_store = w.bot.new_data_dir();
    // Counted while no bot runs, so a replayed `!incident close` would show up as more.
    let before = w.alice.messages_from(&old_room, BOT_USER).await.len();
    w.bot.start().await;
    // Something new still works, and it is INC-1 of the new store in a new room (the old
    // room's alias belongs to the first store's INC-1).
    let new_room = open_incident(&w, "NDW ETL failed").await;
    assert_ne!(new_room, old_room);
    let (_, alias) = w.alice.state(&new_room, "m.room.canonical_alias", "").await;
    assert_eq!(alias["alias"], "#inc-1-ndw-etl-failed-2:localhost");
    assert_eq!(w.alice.messages_from(&old_room, BOT_USER).await.len(), before);
    assert!(w.bot.stop().success());
    let listed = ok(w.bot.cmd(&["incidents", "--all"]).output().unwrap());
    assert!(listed.contains("INC-1"), "{listed}");
    assert!(!listed.contains("INC-2"), "old history was replayed:\n{listed}");
    assert!(!listed.contains("billing"), "old history was replayed:\n{listed}");
    drop(first_store);
}

/// On a Synapse that lets the bot send one message per second after a burst of 2 (people are
/// exempt): an incident room, and six `!timeline <label> N` commands sent at once, so replies
/// queue up in the bot.
async fn throttled_incident(syn: &Synapse, label: &str) -> (World, String, Vec<String>) {
    let mut w = world(syn).await;
    exempt_people(&w).await;
    w.bot.start().await;
    let room = open_incident(&w, "search cluster is down").await;
    let mut sent = Vec::new();
    for n in 1..=6 {
        sent.push(w.alice.say(&room, &format!("!timeline {label} {n}")).await);
    }
    (w, room, sent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_an_outage_lose_nothing_and_keep_order() {
    let mut syn = Synapse::start_with(Some((1.0, 2))).await;
    let (mut w, room, sent) = throttled_incident(&syn, "step").await;
    // Once the first reply is through, the homeserver goes away for a while.
    w.alice.wait_reply(&room, BOT_USER, &sent[0]).await;
    syn.stop();
    // The bot notices the homeserver is gone (and keeps running).
    w.bot.wait_log("matrix: sync failed", 1).await;
    assert!(w.bot.is_running(), "the bot died with the homeserver:\n{}", w.bot.log());
    syn.restart().await;
    for ev in &sent {
        w.alice.wait_reply(&room, BOT_USER, ev).await;
    }
    let after = w.alice.say(&room, "!timeline after the outage").await;
    w.alice.wait_reply(&room, BOT_USER, &after).await;
    // Every reply exactly once, in the order of the commands.
    let replies = replies_to(&w.alice, &room, &sent).await;
    assert_eq!(replies, sent, "replies missing, repeated or out of order");
    // The homeserver did throttle the bot (its 429s were honoured; the SDK retries them before
    // our outbox would see one).
    assert!(
        syn.rate_limited(BOT_USER) > 0,
        "Synapse never answered the bot with 429"
    );
    assert!(w.bot.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_queued_at_a_crash_are_sent_after_restart_once_in_order() {
    let syn = Synapse::start_with(Some((1.0, 2))).await;
    let (mut w, room, sent) = throttled_incident(&syn, "queued").await;
    w.alice.wait_reply(&room, BOT_USER, &sent[0]).await;
    // All six handled (durably recorded: one alert and six commands) but not all answered yet.
    w.bot.wait_log("matrix: handled", 7).await;
    w.bot.kill();
    let answered = replies_to(&w.alice, &room, &sent).await.len();
    assert!(
        answered < sent.len(),
        "everything was answered before the kill; the test proves nothing"
    );
    w.bot.start().await;
    for ev in &sent {
        w.alice.wait_reply(&room, BOT_USER, ev).await;
    }
    let replies = replies_to(&w.alice, &room, &sent).await;
    assert_eq!(
        replies, sent,
        "replies missing, repeated or out of order (answered before the kill: {answered})"
    );
    let ev = w.alice.say(&room, "!timeline list").await;
    let list = w.alice.wait_reply(&room, BOT_USER, &ev).await;
    for n in 1..=6 {
        assert_eq!(list.matches(&format!("queued {n}")).count(), 1, "{list}");
    }
    assert!(w.bot.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_room_joined_while_running_is_not_replayed() {
    let syn = Synapse::start().await;
    let alice = Mx::register(&syn, "alice", true).await;
    let cron = Mx::register(&syn, "cron", false).await;
    // `#late` does not exist when the bot starts.
    let mut bot = BotProc::new(&syn, &["#late:localhost"], &["@alice:localhost"]).await;
    bot.start().await;
    let late = alice
        .create_room(json!({"preset": "private_chat", "room_alias_name": "late", "invite": ["@cron:localhost"]}))
        .await;
    cron.join(&late).await;
    cron.say(&late, "billing DB is down").await;
    alice
        .call(
            reqwest::Method::POST,
            &format!("/_matrix/client/v3/rooms/{late}/invite"),
            Some(json!({"user_id": BOT_USER})),
        )
        .await;
    let start = std::time::Instant::now();
    while alice.state(&late, "m.room.member", BOT_USER).await.1["membership"] != "join" {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the bot did not accept the invite:\n{}",
            bot.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Only what is said after the join counts.
    let alert = cron.say(&late, "search cluster is down").await;
    let link = alice.wait_reply(&late, BOT_USER, &alert).await;
    assert!(link.contains("INC-1 opened: search cluster is down"), "{link}");
    assert!(bot.stop().success());
    let listed = ok(bot.cmd(&["incidents", "--all"]).output().unwrap());
    assert!(
        !listed.contains("billing"),
        "history before the join was handled:\n{listed}"
    );
    assert!(!listed.contains("INC-2"), "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gap_longer_than_one_sync_is_paged_back() {
    let syn = Synapse::start().await;
    let mut w = world(&syn).await;
    w.bot.start().await;
    let room = open_incident(&w, "NDW ETL failed").await;
    assert!(w.bot.stop().success());
    // While the bot is down: a command, more chatter than one sync returns (200), a command.
    let first = w.alice.say(&room, "!timeline before the chatter").await;
    for n in 0..210 {
        w.alice.say(&room, &format!("chatter {n}")).await;
    }
    let last = w.alice.say(&room, "!timeline after the chatter").await;
    w.bot.start().await;
    w.alice.wait_reply(&room, BOT_USER, &first).await;
    w.alice.wait_reply(&room, BOT_USER, &last).await;
    assert!(w.bot.log().contains("paged back"), "{}", w.bot.log());
    let ev = w.alice.say(&room, "!timeline list").await;
    let list = w.alice.wait_reply(&room, BOT_USER, &ev).await;
    let (a, b) = (list.find("before the chatter"), list.find("after the chatter"));
    assert!(a.is_some() && b.is_some() && a < b, "{list}");
    assert!(w.bot.stop().success());
}
