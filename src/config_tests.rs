//! Tests of the config module (config_tests).
use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn shipped_config_is_valid_and_documents_defaults() {
    let c = Config::from_parts(DEFAULT_CONFIG, "shipped", env(&[])).unwrap();
    assert_eq!(c.timezone, "UTC");
    assert_eq!(c.console.alert_rooms, ["alerts"]);
    assert_eq!(c.http.listen, "127.0.0.1:8080");
    assert!(c.matrix.is_none() && c.slack.is_none());
    assert_eq!(c.rules().unwrap().len(), 4);
    // Every key of the structs appears in the shipped file (as a key or in a comment).
    for key in [
        "timezone",
        "alert_rooms",
        "name",
        "pattern",
        "title",
        "severity",
        "group_by",
        "rooms",
        "listen",
        "homeserver",
        "user",
        "password_file",
        "access_token_file",
        "responders",
        "mode",
        "api_url",
        "bot_token_file",
        "app_token_file",
        "signing_secret_file",
        "alert_channels",
        "bearer_token_file",
        "hmac_secret_file",
        "coalesce_seconds",
        "max_openings_per_minute",
    ] {
        assert!(
            DEFAULT_CONFIG.contains(&format!("{key} =")) || DEFAULT_CONFIG.contains(&format!("#   {key}")),
            "{key} undocumented"
        );
    }
}

#[test]
fn env_overrides_and_lists() {
    let text = "timezone = \"UTC\"\n[matrix]\nhomeserver = \"http://127.0.0.1:8008\"\nuser = \"@bot:localhost\"\n";
    let c = Config::from_parts(
        text,
        "t",
        env(&[
            ("WARROOM_TIMEZONE", "Europe/Amsterdam"),
            ("WARROOM_MATRIX__PASSWORD", "hunter2"),
            (
                "WARROOM_MATRIX__ALERT_ROOMS",
                "[\"#alerts:localhost\", \"!abc:localhost\"]",
            ),
            ("WARROOM_DATA_DIR", "/tmp/x"),
            ("HOME", "/root"),
        ]),
    )
    .unwrap();
    assert_eq!(c.timezone, "Europe/Amsterdam");
    let m = c.matrix.as_ref().unwrap();
    assert_eq!(m.password.as_ref().unwrap().expose(), "hunter2");
    assert_eq!(m.alert_rooms, ["#alerts:localhost", "!abc:localhost"]);
    let shown = c.to_redacted_toml();
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("<redacted>"));
    assert!(!format!("{c:?}").contains("hunter2"));
}

#[test]
fn unknown_keys_are_named() {
    let err = Config::from_parts("timezon = \"UTC\"\n", "f.toml", env(&[]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("timezon"), "{err}");
    let err = Config::from_parts("[[alerts.rules]]\nname = \"x\"\npatern = \"a\"\n", "f.toml", env(&[]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("patern") && err.contains("alerts.rules[0]"), "{err}");
    let err = Config::from_parts("", "f.toml", env(&[("WARROOM_HTTP__LISTN", "x")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("listn") && err.contains("WARROOM_HTTP__LISTN"), "{err}");
}

#[test]
fn secrets_in_file_are_refused() {
    let text = "[matrix]\nhomeserver = \"h\"\nuser = \"u\"\npassword = \"hunter2\"\n";
    let err = Config::from_parts(text, "f.toml", env(&[])).unwrap_err().to_string();
    assert!(
        err.contains("matrix.password") && err.contains("WARROOM_MATRIX__PASSWORD"),
        "{err}"
    );
    assert!(!err.contains("hunter2"));
}

#[test]
fn bad_timezone_and_rules_are_startup_errors() {
    let err = Config::from_parts("timezone = \"Mars/Base\"\n", "f", env(&[]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("Mars/Base"), "{err}");
    let err = Config::from_parts(
        "[[alerts.rules]]\nname = \"etl\"\npattern = \"(unclosed\"\n",
        "f",
        env(&[]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("alert rule `etl`") && err.contains("invalid pattern"),
        "{err}"
    );
    let err = Config::from_parts(
        "[[alerts.rules]]\nname = \"etl\"\npattern = \"(?P<job>x)\"\ntitle = \"{jbo} failed\"\n",
        "f",
        env(&[]),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("alert rule `etl`") && err.contains("{jbo}"), "{err}");
}

#[test]
fn secret_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pw");
    std::fs::write(&p, "s3cret\n").unwrap();
    let s = read_secret(&None, &Some(p.clone()), "password").unwrap().unwrap();
    assert_eq!(s.expose(), "s3cret");
    assert!(
        read_secret(&None, &Some(dir.path().join("missing")), "password")
            .unwrap_err()
            .contains("password_file")
    );
}

#[test]
fn empty_weak_and_placeholder_secrets_are_refused_naming_where_they_came_from() {
    let env = |v: &str| Some(Secret(v.to_string()));
    let refused = |v: &str, key: &str| read_secret(&env(v), &None, key).unwrap_err();
    let e = refused("", "slack.signing_secret");
    assert!(
        e.contains("WARROOM_SLACK__SIGNING_SECRET") && e.contains("empty"),
        "{e}"
    );
    let e = refused("   ", "hooks.generic.hmac_secret");
    assert!(e.contains("WARROOM_HOOKS__GENERIC__HMAC_SECRET"), "{e}");
    for weak in ["short", "aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "abababababababababab"] {
        let e = refused(weak, "hooks.grafana.bearer_token");
        assert!(e.contains("too weak") && e.contains("openssl rand"), "{weak}: {e}");
        assert!(!e.contains(weak), "the value is not echoed: {e}");
    }
    for placeholder in [
        "REPLACE-ME-with-openssl-rand-hex-32",
        "xoxb-REPLACE-ME",
        "xoxb-...",
        "<your token>",
    ] {
        let e = refused(placeholder, "slack.bot_token");
        assert!(e.contains("placeholder"), "{placeholder}: {e}");
    }
    let e = refused("xoxp-0123456789-abcdef", "slack.bot_token");
    assert!(e.contains("xoxb-"), "{e}");
    // Real-looking values pass: Slack's documented example secret, a random hex token.
    assert!(read_secret(&env("8f742231b10e8888abcd99yyyzzz85a5"), &None, "slack.signing_secret").is_ok());
    assert!(read_secret(&env("3f1c9a0e7b5d2c4f"), &None, "hooks.generic.bearer_token").is_ok());
    // A Matrix password is the user's choice: only empty and placeholders are refused.
    assert!(read_secret(&env("hunter2!"), &None, "matrix.password").is_ok());
    // From a file: the error names the file.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("empty");
    std::fs::write(&p, "\n").unwrap();
    let e = read_secret(&None, &Some(p.clone()), "hooks.generic.hmac_secret").unwrap_err();
    assert!(e.contains(&p.display().to_string()) && e.contains("empty"), "{e}");
}

#[test]
fn max_openings_per_minute_defaults_to_ten_and_reads_env_text() {
    let c = Config::from_parts(DEFAULT_CONFIG, "shipped", env(&[])).unwrap();
    assert_eq!(c.alerts.max_openings_per_minute, 10);
    assert_eq!(
        Config::from_parts("", "t", env(&[]))
            .unwrap()
            .alerts
            .max_openings_per_minute,
        10
    );
    let c = Config::from_parts("", "t", env(&[("WARROOM_ALERTS__MAX_OPENINGS_PER_MINUTE", "0")])).unwrap();
    assert_eq!(c.alerts.max_openings_per_minute, 0);
    let err = Config::from_parts("", "t", env(&[("WARROOM_ALERTS__MAX_OPENINGS_PER_MINUTE", "ten")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`ten` is not a whole number") && err.contains("max_openings_per_minute"),
        "{err}"
    );
    let err = Config::from_parts("[alerts]\nmax_openings_per_minute = -1\n", "t", env(&[]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`-1` is not a whole number") && err.contains("max_openings_per_minute"),
        "{err}"
    );
}
