//! Tests of the config module (config_tests).
use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn shipped_config_is_valid_and_documents_defaults() {
    let c = Config::from_parts(DEFAULT_CONFIG, "shipped", env(&[])).unwrap();
    assert_eq!(c.timezone, "UTC");
    assert_eq!(c.time.date_order, DateOrder::Dmy);
    assert_eq!(c.console.alert_rooms, ["alerts"]);
    assert_eq!(c.http.listen, "127.0.0.1:8080");
    assert!(c.matrix.is_none() && c.slack.is_none());
    assert_eq!(c.rules().unwrap().len(), 4);
    // Every key of the structs appears in the shipped file (as a key or in a comment).
    for key in [
        "timezone",
        "date_order",
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
        "team_id",
        "app_id",
        "private_channels",
        "allowed_servers",
        "admins",
        "matrix_power_level",
        "privileged",
        "commands_per_minute",
        "declarations_per_minute",
        "template",
        "language",
        "front_matter",
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
    let rules = |text: &str| Config::from_parts(text, "f", env(&[])).unwrap().rules().unwrap_err();
    let err = rules("[[alerts.rules]]\nname = \"etl\"\npattern = \"(unclosed\"\n").to_string();
    assert!(
        err.contains("alert rule `etl`") && err.contains("invalid pattern"),
        "{err}"
    );
    let err =
        rules("[[alerts.rules]]\nname = \"etl\"\npattern = \"(?P<job>x)\"\ntitle = \"{jbo} failed\"\n").to_string();
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

#[test]
fn without_access_rules_everything_is_open_and_says_so() {
    let c = Config::from_parts(DEFAULT_CONFIG, "shipped", env(&[])).unwrap();
    assert!(c.access.is_open());
    assert_eq!(c.access.commands_per_minute, 60);
    assert_eq!(c.access.declarations_per_minute, 5);
    assert_eq!(c.access.privileged, crate::service::DEFAULT_PRIVILEGED);
    let w = c.warnings().join("\n");
    assert!(w.contains("access control is off"), "{w}");
    // Rate limits alone keep it open; naming responders turns the rules on.
    let c = Config::from_parts("[access]\ncommands_per_minute = 100\n", "f", env(&[])).unwrap();
    assert!(c.access.is_open() && !c.warnings().is_empty());
    let c = Config::from_parts(
        "[access]\nadmins = [\"U0ROOT001\"]\n",
        "f",
        env(&[
            ("WARROOM_ACCESS__RESPONDERS", "[\"U0ALICE01\", \"S0ONCALL1\"]"),
            ("WARROOM_ACCESS__MATRIX_POWER_LEVEL", "50"),
            ("WARROOM_ACCESS__DECLARATIONS_PER_MINUTE", "2"),
        ]),
    )
    .unwrap();
    assert!(!c.access.is_open());
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    assert_eq!(c.access.matrix_power_level, Some(50));
    assert_eq!(c.access.declarations_per_minute, 2);
    assert_eq!(c.access.responders, ["U0ALICE01", "S0ONCALL1"]);
}

#[test]
fn bad_access_keys_are_named() {
    for (text, want) in [
        (
            "[access]\nprivileged = [\"incident nuke\"]\n",
            "incident close, incident reopen",
        ),
        ("[access]\nadmins = [\"*\"]\n", "name each admin"),
        ("[access]\nresponders = [\"alice smith\"]\n", "not a user id"),
        ("[access]\ncommands_per_minute = -1\n", "access.commands_per_minute"),
        ("[access]\nmatrix_power_level = \"high\"\n", "power level"),
        ("[access]\nsuperusers = []\n", "superusers"),
    ] {
        let err = Config::from_parts(text, "f", env(&[])).unwrap_err().to_string();
        assert!(err.contains(want), "{text}: {err}");
    }
}

#[test]
fn matrix_servers_default_to_the_bots_own() {
    let m = |extra: &str| {
        let text = format!("[matrix]\nhomeserver = \"h\"\nuser = \"@warroom:Example.org\"\n{extra}");
        Config::from_parts(&text, "f", env(&[])).map(|c| c.matrix.unwrap())
    };
    assert_eq!(m("").unwrap().allowed_servers(), ["example.org"]);
    let with_port = Config::from_parts(
        "[matrix]\nhomeserver = \"h\"\nuser = \"@bot:localhost:8448\"\n",
        "f",
        env(&[]),
    )
    .unwrap();
    assert_eq!(with_port.matrix.unwrap().allowed_servers(), ["localhost:8448"]);
    assert_eq!(
        m("allowed_servers = [\"example.org\", \"partner.example\"]")
            .unwrap()
            .allowed_servers(),
        ["example.org", "partner.example"]
    );
    let err = m("allowed_servers = [\"@alice:example.org\"]").unwrap_err().to_string();
    assert!(
        err.contains("matrix.allowed_servers") && err.contains("not a server name"),
        "{err}"
    );
    let open = Config::from_parts(
        "[matrix]\nhomeserver = \"h\"\nuser = \"@w:x\"\nallowed_servers = [\"*\"]\n",
        "f",
        env(&[]),
    )
    .unwrap();
    assert!(open.warnings().iter().any(|w| w.contains("any homeserver")));
}

#[test]
fn slack_origin_and_private_channels() {
    let c = Config::from_parts("[slack]\n", "f", env(&[])).unwrap();
    let s = c.slack.unwrap();
    assert!(s.team_id.is_none() && s.app_id.is_none() && !s.private_channels);
    let c = Config::from_parts(
        "[slack]\nteam_id = \"T0123ABCD\"\napp_id = \"A0123ABCD\"\nprivate_channels = true\n",
        "f",
        env(&[]),
    )
    .unwrap();
    let s = c.slack.unwrap();
    assert_eq!(
        (s.team_id.as_deref(), s.app_id.as_deref()),
        (Some("T0123ABCD"), Some("A0123ABCD"))
    );
    assert!(s.private_channels);
    let c = Config::from_parts("[slack]\n", "f", env(&[("WARROOM_SLACK__PRIVATE_CHANNELS", "true")])).unwrap();
    assert!(c.slack.unwrap().private_channels);
    for (k, v) in [("team_id", "my-team"), ("app_id", "T0123ABCD")] {
        let err = Config::from_parts(&format!("[slack]\n{k} = \"{v}\"\n"), "f", env(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("slack.{k}")), "{err}");
    }
}

#[test]
fn date_order_is_dmy_or_mdy() {
    assert_eq!(
        Config::from_parts("", "f", env(&[])).unwrap().time.date_order,
        DateOrder::Dmy
    );
    let c = Config::from_parts("[time]\ndate_order = \"mdy\"\n", "f", env(&[])).unwrap();
    assert_eq!(c.time.date_order, DateOrder::Mdy);
    assert!(c.to_redacted_toml().contains("date_order = \"mdy\""));
    let c = Config::from_parts("", "f", env(&[("WARROOM_TIME__DATE_ORDER", "MDY")])).unwrap();
    assert_eq!(c.time.date_order, DateOrder::Mdy);
    // A bad value names the key and says what to write.
    let err = Config::from_parts("[time]\ndate_order = \"ymd\"\n", "f.toml", env(&[]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("time.date_order")
            && err.contains("\"ymd\"")
            && err.contains("\"dmy\"")
            && err.contains("\"mdy\""),
        "{err}"
    );
    let err = Config::from_parts("", "f", env(&[("WARROOM_TIME__DATE_ORDER", "us")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("WARROOM_TIME__DATE_ORDER") && err.contains("\"mdy\""),
        "{err}"
    );
    let err = Config::from_parts("[time]\norder = \"mdy\"\n", "f.toml", env(&[]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("order"), "{err}");
}

#[test]
fn a_section_created_only_by_the_environment_says_so_and_what_it_needs() {
    let e = Config::from_parts(
        "timezone = \"UTC\"\n",
        "warroom.toml",
        env(&[("WARROOM_MATRIX__PASSWORD", "correct-horse-battery-staple")]),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("WARROOM_MATRIX__PASSWORD"), "{e}");
    assert!(e.contains("created a [matrix] section"), "{e}");
    assert!(e.contains("`homeserver`") && e.contains("`user`"), "{e}");
    assert!(e.contains("WARROOM_MATRIX__HOMESERVER"), "{e}");
    assert!(!e.contains("missing field"), "{e}");
    // With a [matrix] section in the file, a missing key is the file's problem, named as before.
    let e = Config::from_parts(
        "[matrix]\nhomeserver = \"http://h\"\n",
        "warroom.toml",
        env(&[("WARROOM_MATRIX__PASSWORD", "correct-horse-battery-staple")]),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("`user`") && !e.contains("created"), "{e}");
}

#[test]
fn http_listen_must_be_host_and_port() {
    for good in [
        "127.0.0.1:8080",
        "0.0.0.0:0",
        "[::1]:8080",
        "localhost:8080",
        "warroom.internal:80",
        "warroom_bot:8080",
    ] {
        let text = format!("[http]\nlisten = \"{good}\"\n");
        let c = Config::from_parts(&text, "f", env(&[])).unwrap_or_else(|e| panic!("{good}: {e}"));
        assert_eq!(c.http.listen, good);
    }
    for bad in [
        "1",
        "8080",
        ":8080",
        "127.0.0.1",
        "127.0.0.1:",
        "127.0.0.1:99999",
        "host:port",
        "a b:80",
        "http://h:80",
    ] {
        let text = format!("[http]\nlisten = \"{bad}\"\n");
        let e = Config::from_parts(&text, "f", env(&[])).unwrap_err().to_string();
        assert!(e.contains("http.listen") && e.contains("host:port"), "{bad}: {e}");
    }
    let e = Config::from_parts("", "f", env(&[("WARROOM_HTTP__LISTEN", "1")]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("WARROOM_HTTP__LISTEN") && e.contains("`1`"), "{e}");
}

#[test]
fn postmortem_section_defaults_and_refuses_an_unknown_language() {
    let c = Config::from_parts(DEFAULT_CONFIG, "shipped", env(&[])).unwrap();
    assert_eq!(c.postmortem.template, "warroom");
    assert_eq!(c.postmortem.language, "en");
    assert!(c.postmortem.front_matter);
    let c = Config::from_parts(
        "",
        "f",
        env(&[
            ("WARROOM_POSTMORTEM__FRONT_MATTER", "false"),
            ("WARROOM_POSTMORTEM__LANGUAGE", "SK"),
        ]),
    )
    .unwrap();
    assert!(!c.postmortem.front_matter);
    assert_eq!(c.postmortem.language, "sk");
    let err = Config::from_parts("[postmortem]\nlanguage = \"de\"\n", "warroom.toml", env(&[]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("postmortem.language") && err.contains("use one of en, fr, sk"),
        "{err}"
    );
    let err = Config::from_parts("[postmortem]\ntemplates = \"x\"\n", "warroom.toml", env(&[]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("templates"), "{err}");
}

fn sections_err(toml: &str) -> String {
    let c = Config::from_parts(toml, "warroom.toml", env(&[])).unwrap();
    c.postmortem().unwrap_err().to_string()
}

#[test]
fn custom_postmortem_sections_are_read_in_order_with_their_titles() {
    let toml = r#"
[[postmortem.sections]]
key = "timeline-of-comms"
title = "Communication log"
title_fr = "Journal des communications"
list = true
prompt = "Who was told what, when?"

[[postmortem.sections]]
key = "cost"
title = "Cost"
"#;
    let c = Config::from_parts(toml, "warroom.toml", env(&[])).unwrap();
    let options = c.postmortem().unwrap();
    let s = &options.custom_sections;
    assert_eq!(s.len(), 2);
    assert_eq!((s[0].key.as_str(), s[0].list), ("timeline-of-comms", true));
    assert_eq!(s[0].title_in("fr".parse().unwrap()), "Journal des communications");
    assert_eq!(s[0].title_in("sk".parse().unwrap()), "Communication log");
    assert_eq!(s[0].prompt.as_deref(), Some("Who was told what, when?"));
    assert_eq!(
        (s[1].key.as_str(), s[1].list, s[1].prompt.as_deref()),
        ("cost", false, None)
    );
}

#[test]
fn bad_custom_postmortem_sections_are_refused_naming_the_key() {
    let one = |key: &str, extra: &str| format!("[[postmortem.sections]]\nkey = \"{key}\"\ntitle = \"T\"\n{extra}");
    let err = sections_err(&one("Bad Key", ""));
    assert!(
        err.contains("postmortem.sections.key") && err.contains("lowercase"),
        "{err}"
    );
    let err = sections_err(&one(&"k".repeat(41), ""));
    assert!(err.contains("lowercase"), "{err}");
    for clash in [
        "impact",
        "root-causes",
        "factor",
        "link",
        "author",
        "template",
        "export",
        "help",
    ] {
        let err = sections_err(&one(clash, ""));
        assert!(
            err.contains("already a postmortem section or command word"),
            "{clash}: {err}"
        );
    }
    let err = sections_err(&format!("{}{}", one("cost", ""), one("cost", "")));
    assert!(err.contains("declared twice"), "{err}");
    let err = sections_err(&one("cost", "title_de = \"Kosten\"\n"));
    assert!(err.contains("title_de") && err.contains("title_fr, title_sk"), "{err}");
    let err = sections_err("[[postmortem.sections]]\nkey = \"cost\"\ntitle = \"  \"\n");
    assert!(
        err.contains("postmortem.sections.title") && err.contains("empty"),
        "{err}"
    );
    let err = sections_err(&format!(
        "[[postmortem.sections]]\nkey = \"cost\"\ntitle = \"{}\"\n",
        "t".repeat(201)
    ));
    assert!(err.contains("at most 200"), "{err}");
    let err = sections_err("[[postmortem.sections]]\nkey = \"cost\"\ntitle = \"a\\nb\"\n");
    assert!(err.contains("one line"), "{err}");
    let missing = Config::from_parts("[[postmortem.sections]]\nkey = \"cost\"\n", "warroom.toml", env(&[]));
    assert!(missing.unwrap_err().to_string().contains("title"));
}

#[test]
fn the_shipped_custom_section_example_is_valid() {
    let start = DEFAULT_CONFIG
        .find("# [[postmortem.sections]]")
        .expect("example in warroom.toml");
    let example: String = DEFAULT_CONFIG[start..]
        .lines()
        .take_while(|l| l.starts_with("# "))
        .map(|l| format!("{}\n", &l[2..]))
        .collect();
    let c = Config::from_parts(&example, "warroom.toml", env(&[])).unwrap();
    let s = &c.postmortem().unwrap().custom_sections;
    assert_eq!((s.len(), s[0].key.as_str()), (1, "timeline-of-comms"));
}
