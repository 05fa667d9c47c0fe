//! What an operator reads in the bot's log: an ERROR is something to act on.

use super::{open_incident, world};
use crate::synapse::Synapse;

/// A new incident room has no encryption state yet; the SDK's lookup of it (a 404 from the
/// homeserver) is not an error, even with a filter such as `info` that lets the SDK's own
/// events through (the docker-compose file sets `WARROOM_LOG=info`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_incident_room_logs_no_error() {
    let syn = Synapse::start().await;
    let mut w = world(&syn).await;
    w.bot.log_filter("info");
    w.bot.start().await;
    let room = open_incident(&w, "NDW ETL failed").await;
    let ev = w.alice.say(&room, "!timeline restarted docker").await;
    w.alice.wait_reply(&room, crate::mx::BOT_USER, &ev).await;
    assert!(w.bot.stop().success());
    let log = w.bot.log();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(
        errors.is_empty(),
        "ERROR lines in the bot's log:\n{}",
        errors.join("\n")
    );
    // The filter let matrix-sdk's own events through, so the check above meant something.
    assert!(log.contains("matrix: ready"), "{log}");
}
