//! The Matrix adapter end to end: the real `warroom run` binary against a real Synapse, with
//! people and an alerting script driven over the client-server API. `flow`: what users see;
//! `resilience`: restarts, crashes, outages and rate limits.

mod capture;
mod flow;
mod logs;
mod resilience;

use serde_json::{Value, json};

use crate::mx::{BOT_USER, BotProc, Mx};
use crate::synapse::Synapse;

pub(super) const ALERTS: &str = "#alerts:localhost";

pub(super) struct World {
    pub alice: Mx,
    pub cron: Mx,
    pub alerts: String,
    pub bot: BotProc,
}

/// Synapse users alice (responder, admin) and cron (posts alerts), a public `#alerts` room, and
/// a configured (not yet started) bot.
pub(super) async fn world(syn: &Synapse) -> World {
    let alice = Mx::register(syn, "alice", true).await;
    let cron = Mx::register(syn, "cron", false).await;
    let alerts = alice
        .create_room(json!({"preset": "public_chat", "room_alias_name": "alerts", "name": "Alerts"}))
        .await;
    cron.join(ALERTS).await;
    let bot = BotProc::new(syn, &[ALERTS], &["@alice:localhost"]).await;
    World {
        alice,
        cron,
        alerts,
        bot,
    }
}

pub(super) fn body(m: &Value) -> &str {
    m["content"]["body"].as_str().unwrap_or("")
}

/// Bot messages in a room whose body contains `needle`.
pub(super) async fn count_bot(who: &Mx, room: &str, needle: &str) -> usize {
    who.messages_from(room, BOT_USER)
        .await
        .iter()
        .filter(|m| body(m).contains(needle))
        .count()
}

/// Open an incident from an alert and join its room as alice; returns the room id.
pub(super) async fn open_incident(w: &World, alert: &str) -> String {
    let ev = w.cron.say(&w.alerts, alert).await;
    let room = w.alice.wait_invite().await;
    w.alice.join(&room).await;
    let link = w.alice.wait_reply(&w.alerts, BOT_USER, &ev).await;
    assert!(link.contains("opened"), "{link}");
    room
}

/// Let people (alice, cron) send as fast as they like on a Synapse started with a message
/// rate limit, so only the bot is throttled.
pub(super) async fn exempt_people(w: &World) {
    for who in ["@alice:localhost", "@cron:localhost"] {
        let (status, v) = w
            .alice
            .call(
                reqwest::Method::POST,
                &format!("/_synapse/admin/v1/users/{who}/override_ratelimit"),
                Some(json!({"messages_per_second": 0, "burst_count": 0})),
            )
            .await;
        assert_eq!(status, 200, "{v}");
    }
}

/// The bot's replies in `room` to the events in `sent`, in the order they were posted.
pub(super) async fn replies_to(who: &Mx, room: &str, sent: &[String]) -> Vec<String> {
    who.messages_from(room, BOT_USER)
        .await
        .iter()
        .filter_map(|m| {
            m["content"]["m.relates_to"]["m.in_reply_to"]["event_id"]
                .as_str()
                .map(String::from)
        })
        .filter(|id| sent.contains(id))
        .collect()
}
