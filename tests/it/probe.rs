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

/// `[http] metrics_bearer`: `/metrics` and `/readyz` answer 401 without the token and 200 with
/// it, `/healthz` stays open, and `warroom probe` sends it; a weak token stops `run`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_readiness_behind_a_bearer() {
    const TOKEN: &str = "9c2f4e1a7b3d5c8e0f6a2b4d";
    let mut bot = BotProc::configured(
        "[hooks.generic]\n",
        &[
            ("WARROOM_HOOKS__GENERIC__BEARER_TOKEN", "probe-bearer-61c0"),
            ("WARROOM_HTTP__METRICS_BEARER", TOKEN),
        ],
        "http: listening",
    );
    bot.start().await;
    let base = bot.http_url();
    let http = reqwest::Client::new();
    for path in ["/metrics", "/readyz"] {
        let r = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path} without the token");
        let r = http
            .get(format!("{base}{path}"))
            .bearer_auth("9c2f4e1a7b3d5c8e0f6a2b4X")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path} with a wrong token");
        let r = http
            .get(format!("{base}{path}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path} with the token");
    }
    let r = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let probe = bot.cmd(&["probe", "--url", &base]).output().unwrap();
    assert_eq!(probe.status.code(), Some(0), "{}", stderr(&probe));
    assert!(bot.stop().success(), "{}", bot.log());

    let weak = Sandbox::with_env(&[("WARROOM_HTTP__METRICS_BEARER", "secret")]).run(&["check-config"]);
    assert_eq!(weak.status.code(), Some(2), "{}", stderr(&weak));
    assert!(
        stderr(&weak).contains("WARROOM_HTTP__METRICS_BEARER"),
        "{}",
        stderr(&weak)
    );
}
