//! The Slack adapter end to end: the real `warroom run` binary against the local fake of Slack
//! (`fake_slack`), in Socket Mode and in HTTP mode.

mod http;
mod socket;

use crate::fake_slack::{APP_TOKEN, BOT_TOKEN, Fake};
use crate::mx::BotProc;

pub const ALICE: &str = "UALICE0001";
pub const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

/// A bot configured against `fake`: `mode` is "socket" or "http" (then on `listen`).
pub fn bot(fake: &Fake, mode: &str, alert_channel: &str, listen: Option<&str>) -> BotProc {
    let section = format!(
        "[slack]\nmode = \"{mode}\"\napi_url = \"{}\"\nalert_channels = [\"{alert_channel}\"]\nresponders = [\"{ALICE}\", \"UNOSUCHUSER\"]\n",
        fake.api_url()
    );
    let mut env = vec![
        ("WARROOM_SLACK__BOT_TOKEN", BOT_TOKEN),
        ("WARROOM_SLACK__APP_TOKEN", APP_TOKEN),
        ("WARROOM_SLACK__SIGNING_SECRET", SECRET),
    ];
    if let Some(l) = listen {
        env.push(("WARROOM_HTTP__LISTEN", l));
    }
    let ready = if mode == "http" {
        "http: listening"
    } else {
        "slack: ready (socket mode)"
    };
    BotProc::configured(&section, &env, ready)
}

/// A free loopback address for `http.listen`.
pub fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").to_string()
}
