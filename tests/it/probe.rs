//! `warroom probe`, the container health check: exit 0 against a running bot whose store is
//! ready (at the configured `http.listen` by default, or `--url`), 1 with a one-line reason
//! when nothing answers.

use crate::mx::BotProc;
use crate::support::{Sandbox, stderr, stdout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_is_0_against_a_ready_bot_and_1_against_nothing() {
    // A port that was free a moment ago, so the default (the configured http.listen) can be
    // tested; the bot fails to start, visibly, in the unlikely case it was taken meanwhile.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut bot = BotProc::configured(
        "[hooks.generic]\n",
        &[
            ("WARROOM_HOOKS__GENERIC__BEARER_TOKEN", "probe-bearer-61c0"),
            ("WARROOM_HTTP__LISTEN", &listen),
        ],
        "http: listening",
    );
    bot.start().await;
    let url = bot.http_url();

    let by_config = bot.cmd(&["probe"]).output().unwrap();
    assert_eq!(by_config.status.code(), Some(0), "{}", stderr(&by_config));
    assert!(stdout(&by_config).contains("store ready"), "{}", stdout(&by_config));
    let by_url = bot.cmd(&["probe", "--url", &url]).output().unwrap();
    assert_eq!(by_url.status.code(), Some(0), "{}", stderr(&by_url));

    assert!(bot.stop().success(), "{}", bot.log());
    // Nothing listening any more: 1, one line saying what failed.
    for o in [
        bot.cmd(&["probe"]).output().unwrap(),
        Sandbox::new().run(&["probe", "--url", &url, "--timeout", "2"]),
    ] {
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("cannot reach") && err.contains(&listen), "{err}");
    }
}
