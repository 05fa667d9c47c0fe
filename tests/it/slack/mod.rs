//! The Slack adapter end to end: the real `warroom run` binary against the local fake of Slack
//! (`fake_slack`), in Socket Mode and in HTTP mode.

mod access;
mod http;
mod socket;
mod stranded;

/// The app manifest asks for exactly what the code uses: the four commands, the scopes of the
/// Web API methods it calls, the message events of alert channels, Socket Mode on.
#[test]
fn manifest_matches_the_code() {
    let m = crate::support::read(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/slack/manifest.yml"
    )));
    let commands: Vec<&str> = m.lines().filter_map(|l| l.trim().strip_prefix("- command: ")).collect();
    assert_eq!(commands, ["/incident", "/inc", "/timeline", "/postmortem", "/action"]);
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
    // The scopes follow from the Web API methods the adapter calls (read from its source, so a
    // new call without a scope decision fails here), the slash commands, and the message events.
    let api = crate::support::read(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/chat/slack/api.rs"
    )));
    let scope_of = |method: &str| -> &[&str] {
        match method {
            "auth.test" => &[],
            "chat.postMessage" => &["chat:write"],
            // Incident channels may be private (`slack.private_channels`): groups:write too.
            "conversations.create" | "conversations.invite" | "conversations.setTopic" => {
                &["channels:manage", "groups:write"]
            }
            "bots.info" => &["users:read"],
            "usergroups.users.list" => &["usergroups:read"],
            "conversations.join" => &["channels:join"],
            "conversations.list" => &["channels:read", "groups:read"],
            "users.info" => &["users:read"],
            "files.getUploadURLExternal" | "files.completeUploadExternal" => &["files:write"],
            // Fetching a captured message, in public or private incident channels.
            "conversations.history" | "conversations.replies" => &["channels:history", "groups:history"],
            "chat.getPermalink" => &[],
            "chat.update" => &["chat:write"],
            "views.open" => &[],
            other => panic!("the adapter calls {other}: decide its scope in the manifest and here"),
        }
    };
    let methods: Vec<&str> = api
        .split("call!(self, \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert!(methods.len() >= 10, "{methods:?}");
    let mut want: Vec<&str> = methods.iter().flat_map(|m| scope_of(m).iter().copied()).collect();
    // Capture: reactions and pins on messages in incident channels.
    want.extend([
        "commands",
        "channels:history",
        "groups:history",
        "pins:read",
        "reactions:read",
    ]);
    want.sort_unstable();
    want.dedup();
    assert_eq!(section("    bot:"), want);
    assert_eq!(
        section("    bot_events:"),
        [
            "message.channels",
            "message.groups",
            "pin_added",
            "pin_removed",
            "reaction_added",
            "reaction_removed"
        ]
    );
    assert!(m.contains("socket_mode_enabled: true"));
    // The Slack mode a config without `mode` gets is the one the manifest sets up.
    let cfg = warroom::config::Config::from_parts("[slack]\n", "test", Vec::new()).unwrap();
    assert_eq!(cfg.slack.map(|s| s.mode), Some(warroom::config::SlackMode::Socket));
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
