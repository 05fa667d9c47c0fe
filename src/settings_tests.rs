use super::*;

fn config(text: &str, env: &[(&str, &str)]) -> Config {
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    Config::from_parts(text, "f", env).unwrap()
}

const GOOD: &str = "0a6c2f5e9b8d4f7a1c3e5b7d";

#[test]
fn every_problem_is_listed_at_once() {
    let c = config(
        "[[alerts.rules]]\nname = \"etl\"\npattern = \"x\"\nopen_in = [\"matrix\"]\n[slack]\nmode = \"http\"\n[hooks.generic]\n[hooks.grafana]\n",
        &[("WARROOM_HOOKS__GRAFANA__BEARER_TOKEN", "short")],
    );
    let problems = Settings::from_config(c).err().unwrap();
    let all = problems.join("\n");
    assert!(all.contains("slack.bot_token"), "{all}");
    assert!(all.contains("slack.signing_secret"), "{all}");
    assert!(all.contains("[hooks.generic] has no credentials"), "{all}");
    assert!(all.contains("WARROOM_HOOKS__GRAFANA__BEARER_TOKEN"), "{all}");
    assert!(!all.contains("short"), "the secret is not echoed: {all}");
    assert!(all.contains("alert rule `etl` opens incidents in matrix"), "{all}");
}

#[test]
fn bad_rules_are_a_problem_of_the_settings() {
    let c = config("[[alerts.rules]]\nname = \"etl\"\npattern = \"(unclosed\"\n", &[]);
    let problems = Settings::from_config(c.clone()).err().unwrap();
    assert!(problems[0].contains("alert rule `etl`") && problems[0].contains("invalid pattern"));
    let err = Settings::local(c).err().unwrap().to_string();
    assert!(err.contains("alert rule `etl`"), "{err}");
}

#[test]
fn good_settings_hold_what_run_needs() {
    let c = config(
        "timezone = \"Europe/London\"\n[time]\ndate_order = \"mdy\"\n[alerts]\ncoalesce_seconds = 0\n[hooks.generic]\n",
        &[("WARROOM_HOOKS__GENERIC__HMAC_SECRET", GOOD)],
    );
    let s = Settings::from_config(c).unwrap_or_else(|p| panic!("{p:?}"));
    assert_eq!(s.tz, chrono_tz::Europe::London);
    assert_eq!(s.date_order, DateOrder::Mdy);
    assert_eq!(s.hooks.len(), 1);
    assert!(s.platforms.is_empty() && s.slack.is_none() && s.matrix.is_none());
    assert_eq!(s.coalesce, Duration::from_secs(1));
}

#[test]
fn local_settings_read_no_secrets() {
    // A console needs no Slack token even when [slack] is configured.
    let c = config("[slack]\n", &[]);
    assert!(Settings::from_config(c.clone()).is_err());
    let s = Settings::local(c).unwrap();
    assert_eq!(s.platforms, vec![crate::domain::Platform::Slack]);
    assert!(s.slack.is_none() && s.hooks.is_empty());
}

#[test]
fn the_postmortem_template_is_parsed_once_and_a_broken_one_is_a_problem_naming_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.md.j2");
    std::fs::write(
        &broken,
        "# {{ incident.id }}\n\n{% for e in timeline %}\n- {{ e.text }\n{% endfor %}\n",
    )
    .unwrap();
    let text = format!("[postmortem]\ntemplate = {:?}\n", broken.display().to_string());
    let problems = Settings::from_config(config(&text, &[])).err().unwrap().join("\n");
    assert!(
        problems.contains(&format!("{}, line 4", broken.display())),
        "{problems}"
    );
    let err = Settings::local(config(&text, &[])).err().unwrap().to_string();
    assert!(err.contains("line 4"), "{err}");
    // Listed with the other problems, not instead of them.
    let both = format!("{text}[[alerts.rules]]\nname = \"etl\"\npattern = \"(unclosed\"\n");
    let problems = Settings::from_config(config(&both, &[])).err().unwrap().join("\n");
    assert!(
        problems.contains("line 4") && problems.contains("alert rule `etl`"),
        "{problems}"
    );
    // A file that is not there; a name that is not built in.
    for (spec, want) in [
        (
            "templates/none.md.j2",
            "cannot read postmortem template templates/none.md.j2",
        ),
        ("sre", "`sre` is not a built-in postmortem template"),
    ] {
        let text = format!("[postmortem]\ntemplate = {spec:?}\n");
        let problems = Settings::from_config(config(&text, &[])).err().unwrap().join("\n");
        assert!(problems.contains(want), "{problems}");
    }
}

#[test]
fn postmortem_settings_carry_template_language_and_front_matter() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("team.md.j2");
    std::fs::write(&file, "# {{ incident.title }}\n").unwrap();
    let text = format!(
        "[postmortem]\ntemplate = {:?}\nlanguage = \"fr\"\nfront_matter = false\n",
        file.display().to_string()
    );
    let s = Settings::local(config(&text, &[])).unwrap();
    assert_eq!(s.postmortem.template.name(), file.display().to_string());
    assert_eq!(s.postmortem.lang.code(), "fr");
    assert!(!s.postmortem.front_matter);
    let d = Settings::local(config("", &[("WARROOM_POSTMORTEM__TEMPLATE", "atlassian")])).unwrap();
    assert_eq!(d.postmortem.template.name(), "atlassian");
    assert_eq!(d.postmortem.lang.code(), "en");
    assert!(d.postmortem.front_matter);
}
