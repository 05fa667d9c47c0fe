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

/// The app manifest asks for exactly what the code uses: the four commands, the scopes of the
/// Web API methods it calls, the message events of alert channels, Socket Mode on.
#[test]
fn manifest_matches_the_code() {
    let m = crate::support::read(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/slack/manifest.yml"
    )));
    let commands: Vec<&str> = m.lines().filter_map(|l| l.trim().strip_prefix("- command: ")).collect();
    assert_eq!(commands, ["/incident", "/timeline", "/postmortem", "/action"]);
    let section = |start: &str| -> Vec<String> {
        let from = m.find(start).unwrap_or_else(|| panic!("{start} missing"));
        m[from + start.len()..]
            .lines()
            .skip(1)
            .take_while(|l| l.trim_start().starts_with("- "))
            .map(|l| {
                l.trim()
                    .trim_start_matches("- ")
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    // chat.postMessage; conversations.create/invite/setTopic; conversations.join;
    // conversations.list (public and private); users.info; the file upload flow; slash
    // commands; message events in public and private channels.
    assert_eq!(
        section("    bot:"),
        [
            "channels:history",
            "channels:join",
            "channels:manage",
            "channels:read",
            "chat:write",
            "commands",
            "files:write",
            "groups:history",
            "groups:read",
            "users:read"
        ]
    );
    assert_eq!(section("    bot_events:"), ["message.channels", "message.groups"]);
    assert!(m.contains("socket_mode_enabled: true"));
    // The Slack mode default in the config is the one the manifest sets up.
    assert!(
        crate::support::read(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/config/warroom.toml"
        )))
        .contains("# mode = \"socket\"")
    );
}

/// check-config names the secrets the chosen mode needs, and where to put them.
#[test]
fn check_config_names_missing_slack_secrets() {
    let sb = crate::support::Sandbox::new();
    let cfg = sb.dir.path().join("c.toml");
    std::fs::write(&cfg, "[slack]\nmode = \"http\"\nalert_channels = [\"C0123ABCD\"]\n").unwrap();
    let o = sb
        .cmd(&["--config", cfg.to_str().unwrap(), "check-config"])
        .env("WARROOM_SLACK__BOT_TOKEN", "xoxb-secret-value")
        .output()
        .unwrap();
    let err = crate::support::stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("WARROOM_SLACK__SIGNING_SECRET"), "{err}");
    assert!(
        !err.contains("WARROOM_SLACK__APP_TOKEN"),
        "HTTP mode needs no app token: {err}"
    );
    assert!(!crate::support::stdout(&o).contains("xoxb-secret-value"));
}
