//! Tests of the command module (parse_tests).
use chrono::NaiveTime;

use super::when::{Clock, Point, When};
use super::*;

fn cmd(line: &str) -> Command {
    match parse(line) {
        Parsed::Command(c) => c,
        other => panic!("{line:?} parsed as {other:?}"),
    }
}

fn invalid(line: &str) -> UsageError {
    match parse(line) {
        Parsed::Invalid(e) => e,
        other => panic!("{line:?} should be invalid, got {other:?}"),
    }
}

fn clock(h: u32, m: u32) -> Option<When> {
    Some(When {
        start: Point::Bare {
            clock: Clock {
                time: NaiveTime::from_hms_opt(h, m, 0).unwrap(),
                seconds: false,
            },
            zone: None,
        },
        end: None,
        approx: false,
    })
}

#[test]
fn plain_text_is_not_a_command() {
    for line in [
        "NDW ETL failed",
        "/var/log is full",
        "!!! down",
        "",
        "/ incident",
        "path /incident",
    ] {
        assert_eq!(parse(line), Parsed::NotACommand, "{line:?}");
    }
}

#[test]
fn both_prefixes() {
    assert_eq!(cmd("/incident close"), cmd("!incident close"));
    assert_eq!(cmd("  !incident close"), Command::Incident(IncidentCmd::Close));
}

#[test]
fn incident_commands() {
    assert_eq!(
        cmd(r#"/incident declare "Checkout is down" --sev critical"#),
        Command::Incident(IncidentCmd::Declare {
            title: "Checkout is down".into(),
            severity: Some(Severity::Sev1),
            at: None
        })
    );
    assert_eq!(
        cmd("/incident declare --sev=p3 DNS flaps in eu-west"),
        Command::Incident(IncidentCmd::Declare {
            title: "DNS flaps in eu-west".into(),
            severity: Some(Severity::Sev3),
            at: None
        })
    );
    assert_eq!(
        cmd("/incident declare DB is down"),
        Command::Incident(IncidentCmd::Declare {
            title: "DB is down".into(),
            severity: None,
            at: None
        })
    );
    assert_eq!(
        cmd("/incident sev major"),
        Command::Incident(IncidentCmd::Severity {
            severity: Severity::Sev2,
            when: None
        })
    );
    assert_eq!(
        cmd("/incident status identified disk full on db-2"),
        Command::Incident(IncidentCmd::Status {
            status: Status::Identified,
            when: None,
            note: Some("disk full on db-2".into())
        })
    );
    assert_eq!(
        cmd("/incident status monitoring"),
        Command::Incident(IncidentCmd::Status {
            status: Status::Monitoring,
            when: None,
            note: None
        })
    );
    assert_eq!(
        cmd("/incident role scribe @bob"),
        Command::Incident(IncidentCmd::Role {
            role: Role::Scribe,
            user: "@bob".into(),
            when: None
        })
    );
    assert_eq!(
        cmd("/incident lead @alice"),
        Command::Incident(IncidentCmd::Role {
            role: Role::Commander,
            user: "@alice".into(),
            when: None
        })
    );
    assert_eq!(
        cmd("/incident role db-expert @carol:example.org"),
        Command::Incident(IncidentCmd::Role {
            role: Role::Custom("db-expert".into()),
            user: "@carol:example.org".into(),
            when: None
        })
    );
    assert_eq!(
        cmd("/incident milestone mitigated 13:40"),
        Command::Incident(IncidentCmd::Milestone {
            milestone: Milestone::Mitigated,
            when: clock(13, 40)
        })
    );
    assert_eq!(
        cmd("/incident milestone started"),
        Command::Incident(IncidentCmd::Milestone {
            milestone: Milestone::Started,
            when: None
        })
    );
    assert_eq!(
        cmd("/incident affects api, db etl"),
        Command::Incident(IncidentCmd::Affects {
            services: vec!["api".into(), "db".into(), "etl".into()],
            when: None
        })
    );
    assert_eq!(
        cmd("/incident resolve 14:05 rolled back"),
        Command::Incident(IncidentCmd::Resolve {
            when: clock(14, 5),
            note: Some("rolled back".into())
        })
    );
    assert_eq!(
        cmd("/incident resolve"),
        Command::Incident(IncidentCmd::Resolve { when: None, note: None })
    );
    assert_eq!(cmd("/incident reopen"), Command::Incident(IncidentCmd::Reopen));
    assert_eq!(cmd("/incident show"), Command::Incident(IncidentCmd::Show));
    assert_eq!(cmd("/incident help"), Command::Help(Some(Family::Incident)));
    assert_eq!(cmd("/incident"), Command::Help(Some(Family::Incident)));
    assert_eq!(cmd("/help"), Command::Help(None));
}

#[test]
fn incident_bad_arguments() {
    assert!(
        invalid("/incident sev sev9")
            .render('/')
            .contains("usage: /incident sev <SEV>")
    );
    assert!(invalid("/incident declare --sev 1").message.contains("needs a title"));
    assert!(
        invalid("/incident declare x --sev")
            .message
            .contains("needs a severity")
    );
    assert!(
        invalid("/incident status closed")
            .message
            .contains("not a valid status")
    );
    assert!(invalid("/incident role scribe").message.contains("one user"));
    assert!(
        invalid("/incident milestone closed")
            .message
            .contains("not a valid milestone")
    );
    assert!(
        invalid("/incident milestone detected tomorrow")
            .message
            .contains("not a time")
    );
    assert!(invalid("/incident close now").message.contains("takes no arguments"));
    assert!(invalid("/incident affects").message.contains("at least one"));
    let e = invalid("/incident frobnicate");
    assert!(e.message.contains("unknown incident command"));
    assert!(e.render('!').contains("usage: !incident declare"));
    assert!(invalid("/deploy now").message.contains("unknown command `deploy`"));
}

#[test]
fn timeline_commands() {
    assert_eq!(
        cmd("/timeline 13:25 restarted docker"),
        Command::Timeline(TimelineCmd::Add {
            when: clock(13, 25),
            text: "restarted docker".into()
        })
    );
    assert_eq!(
        cmd("!timeline we're rolling back, it's slow"),
        Command::Timeline(TimelineCmd::Add {
            when: None,
            text: "we're rolling back, it's slow".into()
        })
    );
    assert_eq!(
        cmd("/timeline add list of pods"),
        Command::Timeline(TimelineCmd::Add {
            when: None,
            text: "list of pods".into()
        })
    );
    assert_eq!(
        cmd("/timeline list of pods restarted"),
        Command::Timeline(TimelineCmd::Add {
            when: None,
            text: "list of pods restarted".into()
        })
    );
    assert_eq!(
        cmd("/timeline list"),
        Command::Timeline(TimelineCmd::List { all: false })
    );
    assert_eq!(
        cmd("/timeline edit 3 restarted docker on db-2"),
        Command::Timeline(TimelineCmd::Edit {
            seq: 3,
            when: None,
            text: Some("restarted docker on db-2".into())
        })
    );
    assert_eq!(
        cmd("/timeline edit #3 x"),
        Command::Timeline(TimelineCmd::Edit {
            seq: 3,
            when: None,
            text: Some("x".into())
        })
    );
    assert_eq!(
        cmd("/timeline delete 4"),
        Command::Timeline(TimelineCmd::Delete { seq: 4 })
    );
    match cmd("/timeline 2020-11-13 10:54 Europe/Amsterdam \"first\" page") {
        Command::Timeline(TimelineCmd::Add {
            when:
                Some(When {
                    start: Point::Dated { zone: Some(_), .. },
                    ..
                }),
            text,
        }) => assert_eq!(text, "\"first\" page"),
        other => panic!("{other:?}"),
    }
    match cmd("/timeline 2020-11-13T10:54:00Z paged") {
        Command::Timeline(TimelineCmd::Add {
            when: Some(When {
                start: Point::Instant { .. },
                ..
            }),
            text,
        }) => assert_eq!(text, "paged"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn timeline_bad_arguments() {
    assert!(invalid("/timeline").message.contains("what happened"));
    assert!(invalid("/timeline 13:25").message.contains("text after the time"));
    assert!(invalid("/timeline edit x text").message.contains("not an entry number"));
    assert!(invalid("/timeline edit 3").message.contains("new text, or both"));
    assert!(invalid("/timeline delete").message.contains("which entry"));
    assert!(invalid("/timeline delete 3 old pods").message.contains("timeline add"));
    // Malformed times are refused, not stored as text at "now".
    assert!(
        invalid("/timeline 25:00 db restarted")
            .message
            .contains("`25:00` is not a time or date")
    );
    assert!(
        invalid("/timeline 2024-02-30 10:00 x")
            .message
            .contains("is not a time")
    );
    assert!(
        invalid("/timeline 2024-13-01 restarted")
            .message
            .contains("is not a time")
    );
    assert!(invalid("/incident resolve 24:10").message.contains("is not a time"));
    assert!(invalid("/timeline list 20").message.contains("takes no number"));
    // Unknown command words are flagged as such (an alert room treats them as text).
    assert!(invalid("/backup failed").unknown_command);
    assert!(!invalid("/incident frobnicate").unknown_command);
}

#[test]
fn action_and_postmortem() {
    assert_eq!(
        cmd("/action add disk alerts @bob"),
        Command::Action(ActionCmd::Add(ActionSpec {
            text: Some("add disk alerts".into()),
            owners: vec!["@bob".into()],
            ..ActionSpec::default()
        }))
    );
    assert_eq!(
        cmd("/action add disk alerts <@U024BE7LH>"),
        Command::Action(ActionCmd::Add(ActionSpec {
            text: Some("add disk alerts".into()),
            owners: vec!["<@U024BE7LH>".into()],
            ..ActionSpec::default()
        }))
    );
    assert_eq!(
        cmd("/action ping @bob about it"),
        Command::Action(ActionCmd::Add(ActionSpec {
            text: Some("ping @bob about it".into()),
            ..ActionSpec::default()
        }))
    );
    assert!(invalid("/action").message.contains("describe"));
    assert_eq!(cmd("/postmortem"), Command::Postmortem(PostmortemCmd::Show));
    assert_eq!(cmd("/postmortem show"), Command::Postmortem(PostmortemCmd::Show));
    assert_eq!(
        cmd("/postmortem impact 40% of checkouts failed for 20 min"),
        Command::Postmortem(PostmortemCmd::Set {
            section: Section::Impact,
            text: "40% of checkouts failed for 20 min".into(),
            replace: false
        })
    );
    assert_eq!(
        cmd("/postmortem root-cause --replace disk full"),
        Command::Postmortem(PostmortemCmd::Set {
            section: Section::RootCause,
            text: "disk full".into(),
            replace: true
        })
    );
    assert_eq!(
        cmd("/postmortem export"),
        Command::Postmortem(PostmortemCmd::Export(ExportFormat::Markdown))
    );
    assert_eq!(
        cmd("/postmortem export json"),
        Command::Postmortem(PostmortemCmd::Export(ExportFormat::Json))
    );
    assert_eq!(
        cmd("/postmortem export html"),
        Command::Postmortem(PostmortemCmd::Export(ExportFormat::Html))
    );
    assert!(
        invalid("/postmortem export pdf")
            .message
            .contains("not an export format")
    );
    // A word with no section key's shape is a usage error; one with the shape may be a
    // section of the team's own (the service checks the config).
    assert!(
        invalid("/postmortem feelings! great")
            .message
            .contains("not a valid postmortem section")
    );
    assert_eq!(
        cmd("/postmortem Timeline_of-Comms --replace status page at 10:05"),
        Command::Postmortem(PostmortemCmd::SetCustom {
            key: "timeline-of-comms".into(),
            text: "status page at 10:05".into(),
            replace: true
        })
    );
    assert_eq!(
        cmd("/postmortem cost 3 hours of two engineers"),
        Command::Postmortem(PostmortemCmd::SetCustom {
            key: "cost".into(),
            text: "3 hours of two engineers".into(),
            replace: false
        })
    );
    assert!(invalid("/postmortem cost").message.contains("give the text for cost"));
    assert!(
        invalid(&format!("/postmortem {} text", "k".repeat(41)))
            .message
            .contains("not a valid postmortem section")
    );
    assert!(invalid("/postmortem summary").message.contains("give the text"));
}

#[test]
fn every_table_row_has_a_parsing_example() {
    // Keeps the help table and the parser in step: each row's key must be reachable.
    let examples = [
        ("incident declare", "/incident declare x"),
        ("incident sev", "/incident sev 1"),
        ("incident status", "/incident status monitoring"),
        ("incident role", "/incident role comms @a"),
        ("incident milestone", "/incident milestone started 10:00"),
        ("incident impact", "/incident impact list"),
        ("incident title", "/incident title x"),
        ("incident affects", "/incident affects api"),
        ("incident resolve", "/incident resolve"),
        ("incident close", "/incident close"),
        ("incident reopen", "/incident reopen"),
        ("incident show", "/incident show"),
        ("incident help", "/incident help"),
        ("timeline add", "/timeline x"),
        ("timeline list", "/timeline list"),
        ("timeline edit", "/timeline edit 1 x"),
        ("timeline delete", "/timeline delete 1"),
        ("timeline restore", "/timeline restore 1"),
        ("action", "/action x"),
        ("action list", "/action list"),
        ("action edit", "/action edit 1 y"),
        ("action done", "/action done 1"),
        ("action delete", "/action delete 1"),
        ("postmortem set", "/postmortem summary x"),
        ("postmortem link", "/postmortem link https://a.example"),
        ("postmortem related", "/postmortem related INC-1"),
        ("postmortem author", "/postmortem author @a"),
        ("postmortem reviewer", "/postmortem reviewer @a"),
        ("postmortem review", "/postmortem review final"),
        ("postmortem template", "/postmortem template warroom"),
        ("postmortem language", "/postmortem language sk"),
        ("postmortem show", "/postmortem show"),
        ("incident update", "/incident update rollback done"),
        ("incident snooze", "/incident snooze 30m"),
        ("postmortem export", "/postmortem export md"),
    ];
    assert_eq!(examples.len(), help::COMMANDS.len());
    for (key, line) in examples {
        assert!(help::COMMANDS.iter().any(|s| s.key == key), "{key}");
        assert!(matches!(parse(line), Parsed::Command(_)), "{line}");
    }
    let help = help_text('!', None);
    assert!(help.contains("!timeline [WHEN] <text>"));
    assert!(help.contains("WHEN:"));
}

#[test]
fn overlong_commands_are_refused_before_tokenizing() {
    // The pathological line from the report (60 KB of unclosed quotes): refused, with a message
    // that says what to do, instead of being tokenized.
    let line = format!("/timeline {}", "\"a ".repeat(20_000));
    let e = invalid(&line);
    assert!(!e.unknown_command);
    assert!(e.message.contains("60010 characters long"), "{}", e.message);
    assert!(
        e.message.contains(&format!("at most {MAX_COMMAND_CHARS}")),
        "{}",
        e.message
    );
    assert!(e.message.contains("split the text"), "{}", e.message);
    let e = invalid(&format!("!incident declare {}", "x".repeat(MAX_COMMAND_CHARS)));
    assert!(e.message.contains("characters long"), "{}", e.message);
    // An unknown first word stays an unknown command (in an alert room: an alert), and text
    // that is no command stays text, however long.
    assert!(invalid(&format!("/backup failed {}", "x".repeat(MAX_COMMAND_CHARS))).unknown_command);
    assert_eq!(
        parse(&format!("/var/log {}", "x".repeat(MAX_COMMAND_CHARS))),
        Parsed::NotACommand
    );
    // Up to the cap, a command parses as before: the longest text a field takes fits.
    let text = "y".repeat(crate::domain::MAX_TEXT_CHARS);
    assert_eq!(
        cmd(&format!("/timeline 13:25 {text}")),
        Command::Timeline(TimelineCmd::Add {
            when: clock(13, 25),
            text: text.clone()
        })
    );
    let at_cap = format!("/timeline {}", "z".repeat(MAX_COMMAND_CHARS - "/timeline ".len()));
    assert!(matches!(parse(&at_cap), Parsed::Command(_)));
    assert!(matches!(parse(&format!("{at_cap}z")), Parsed::Invalid(_)));
}

#[test]
fn commands_that_record_an_event_take_a_when() {
    let when_of = |line: &str| match cmd(line) {
        Command::Incident(
            IncidentCmd::Severity { when, .. }
            | IncidentCmd::Status { when, .. }
            | IncidentCmd::Role { when, .. }
            | IncidentCmd::Affects { when, .. },
        ) => when,
        Command::Incident(IncidentCmd::Declare { at, .. }) => at,
        other => panic!("{line}: {other:?}"),
    };
    for line in [
        "/incident sev sev1 13:05",
        "/incident status identified 13:10 disk full",
        "/incident role scribe @bob 13:11",
        "/incident lead @alice 13:12",
        "/incident affects etl, api --at 13:13",
        "/incident declare Feed stale --at 2024-06-18 06:10 --sev 2",
    ] {
        assert!(when_of(line).is_some(), "{line}");
    }
    match cmd("/incident status identified 13:10 disk full") {
        Command::Incident(IncidentCmd::Status { note, .. }) => assert_eq!(note.as_deref(), Some("disk full")),
        other => panic!("{other:?}"),
    }
    match cmd("/incident declare Feed stale --at 2024-06-18 06:10 --sev 2") {
        Command::Incident(IncidentCmd::Declare { title, severity, .. }) => {
            assert_eq!((title.as_str(), severity), ("Feed stale", Some(Severity::Sev2)))
        }
        other => panic!("{other:?}"),
    }
    assert!(
        invalid("/incident declare x --at")
            .message
            .contains("--at needs a time")
    );
    assert!(invalid("/incident sev sev1 soon").message.contains("not a time"));
    assert!(
        invalid("/incident affects etl --at 13:00 api")
            .message
            .contains("after the services")
    );
}

#[test]
fn corrections_restore_titles_and_impact_listing() {
    assert_eq!(
        cmd("/timeline edit 3 -- 1.2.3 deployed"),
        Command::Timeline(TimelineCmd::Edit {
            seq: 3,
            when: None,
            text: Some("1.2.3 deployed".into())
        })
    );
    match cmd("/timeline edit 3 13:27") {
        Command::Timeline(TimelineCmd::Edit {
            seq: 3,
            when: Some(_),
            text: None,
        }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        cmd("/timeline restore #4"),
        Command::Timeline(TimelineCmd::Restore { seq: 4 })
    );
    assert_eq!(
        cmd("/timeline list --all"),
        Command::Timeline(TimelineCmd::List { all: true })
    );
    assert_eq!(
        cmd("/timeline -- 10:00 is when the batch starts"),
        Command::Timeline(TimelineCmd::Add {
            when: None,
            text: "10:00 is when the batch starts".into()
        })
    );
    assert_eq!(
        cmd("/incident title NDW feed stale"),
        Command::Incident(IncidentCmd::Title("NDW feed stale".into()))
    );
    assert_eq!(cmd("/incident impact list"), Command::Incident(IncidentCmd::ImpactList));
    assert_eq!(
        cmd("/incident impact delete 2"),
        Command::Incident(IncidentCmd::ImpactDelete(2))
    );
    assert!(
        invalid("/incident impact 13:00 checkout")
            .message
            .contains("START..END")
    );
    assert!(
        invalid("/incident impact delete x")
            .message
            .contains("not an impact window number")
    );
    assert!(invalid("/timeline restore").message.contains("which entry"));
    assert_eq!(
        cmd("/timeline restore db from snapshot"),
        Command::Timeline(TimelineCmd::Add {
            when: None,
            text: "restore db from snapshot".into()
        })
    );
    assert!(invalid("/incident title").message.contains("new title"));
}

#[test]
fn action_items_read_owners_due_type_and_ticket_from_the_end() {
    let spec = |line: &str| match cmd(line) {
        Command::Action(ActionCmd::Add(s)) => s,
        other => panic!("{line}: {other:?}"),
    };
    let s =
        spec("/action alert on disk usage @bob <@U024BE7LH> due 2026-12-15 type detect ticket https://t.example/OPS-1");
    assert_eq!(s.text.as_deref(), Some("alert on disk usage"));
    assert_eq!(s.owners, ["@bob", "<@U024BE7LH>"]);
    assert_eq!(s.due, Some(chrono::NaiveDate::from_ymd_opt(2026, 12, 15)));
    assert_eq!(s.kind, Some(Some("detect".into())));
    assert_eq!(s.ticket, Some(Some("https://t.example/OPS-1".into())));
    // A bare URL at the end is the ticket; a mention inside the text stays text.
    let s = spec("/action ask @bob about quotas https://t.example/2");
    assert_eq!(s.text.as_deref(), Some("ask @bob about quotas"));
    assert!(s.owners.is_empty());
    assert_eq!(s.ticket, Some(Some("https://t.example/2".into())));
    // Subcommand words are commands only when a number follows.
    assert_eq!(
        spec("/action delete old snapshots").text.as_deref(),
        Some("delete old snapshots")
    );
    assert_eq!(cmd("/action done 2"), Command::Action(ActionCmd::Done(2)));
    assert_eq!(cmd("/action rm #3"), Command::Action(ActionCmd::Delete(3)));
    assert_eq!(cmd("/action list"), Command::Action(ActionCmd::List));
    match cmd("/action edit 1 @dave due none") {
        Command::Action(ActionCmd::Edit { n: 1, spec }) => {
            assert_eq!(
                (spec.text, spec.owners, spec.due),
                (None, vec!["@dave".to_string()], Some(None))
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(invalid("/action fix it due tomorrow").message.contains("YYYY-MM-DD"));
    assert!(invalid("/action fix it ticket JIRA-1").message.contains("http(s) URL"));
    assert!(invalid("/action edit 1").message.contains("what to change"));
    // Words after the number make it an action's text, as before these subcommands existed.
    assert_eq!(
        spec("/action close 3 stale tickets").text.as_deref(),
        Some("close 3 stale tickets")
    );
}

#[test]
fn multi_line_text_and_code_blocks_survive_parsing() {
    let text = "restarted the workers:\n```\nkubectl rollout restart deploy/etl\n# not a heading\n```\nsee https://x.example/log";
    assert_eq!(
        cmd(&format!("/timeline 13:25 {text}")),
        Command::Timeline(TimelineCmd::Add {
            when: Some(clock(13, 25).unwrap()),
            text: text.into()
        })
    );
    match cmd(&format!("/postmortem resolution {text}")) {
        Command::Postmortem(PostmortemCmd::Set { text: got, .. }) => assert_eq!(got, text),
        other => panic!("{other:?}"),
    }
}

#[test]
fn postmortem_record_commands() {
    use crate::domain::{IncidentId, RelatedRef, ReviewStatus};
    let pm = |c| Command::Postmortem(c);
    assert_eq!(
        cmd("/postmortem contributing-factor no disk alert on the replica"),
        pm(PostmortemCmd::Set {
            section: Section::ContributingFactor,
            text: "no disk alert on the replica".into(),
            replace: false,
        })
    );
    assert_eq!(
        cmd("/pm customer-communication status page updated at 13:40"),
        pm(PostmortemCmd::Set {
            section: Section::CustomerCommunication,
            text: "status page updated at 13:40".into(),
            replace: false,
        })
    );
    assert_eq!(
        cmd("/postmortem link https://grafana.example/d/db?from=now-6h DB latency (p99)"),
        pm(PostmortemCmd::Link {
            url: "https://grafana.example/d/db?from=now-6h".into(),
            title: Some("DB latency (p99)".into()),
        })
    );
    assert_eq!(
        cmd("/postmortem link http://logs.example/q"),
        pm(PostmortemCmd::Link {
            url: "http://logs.example/q".into(),
            title: None,
        })
    );
    assert_eq!(
        cmd("/postmortem related inc-4"),
        pm(PostmortemCmd::Related(RelatedRef::Incident(IncidentId(4))))
    );
    assert_eq!(
        cmd("/postmortem related https://status.example/i/9"),
        pm(PostmortemCmd::Related(RelatedRef::Url(
            "https://status.example/i/9".into()
        )))
    );
    assert_eq!(
        cmd("/postmortem author @bob <@U0CAROL01>"),
        pm(PostmortemCmd::Author(vec!["@bob".into(), "<@U0CAROL01>".into()]))
    );
    assert_eq!(
        cmd("/postmortem reviewers @dave:example.org"),
        pm(PostmortemCmd::Reviewer(vec!["@dave:example.org".into()]))
    );
    assert_eq!(
        cmd("/postmortem review In-Review"),
        pm(PostmortemCmd::Review(ReviewStatus::InReview))
    );
    assert_eq!(
        cmd("/postmortem template Google-SRE"),
        pm(PostmortemCmd::Template("google-sre".into()))
    );
    assert_eq!(cmd("/postmortem lang FR"), pm(PostmortemCmd::Language("fr".into())));
}

#[test]
fn postmortem_record_commands_refuse_bad_values() {
    for (line, says) in [
        ("/postmortem link", "give the link's URL"),
        ("/postmortem link grafana dashboard", "not an http(s) URL"),
        ("/postmortem link ftp://files.example/x", "not an http(s) URL"),
        ("/postmortem link javascript:alert(1)", "not an http(s) URL"),
        ("/postmortem link \"https://a.example/x y\"", "percent-encode"),
        ("/postmortem related", "give one incident id or URL"),
        ("/postmortem related INC-4 INC-5", "give one incident id or URL"),
        (
            "/postmortem related yesterday",
            "an incident id (INC-4) or an http(s) URL",
        ),
        ("/postmortem related INC-0", "an incident id (INC-4) or an http(s) URL"),
        ("/postmortem author", "@alice @bob"),
        ("/postmortem author bob", "@alice @bob"),
        ("/postmortem reviewer @bob and carol", "@alice @bob"),
        ("/postmortem review", "give one review status"),
        ("/postmortem review published", "draft, in-review, final"),
        ("/postmortem review in review", "give one review status"),
        ("/postmortem template", "give one template name"),
        ("/postmortem template ../../etc/passwd", "not a template name"),
        ("/postmortem template my_template", "not a template name"),
        ("/postmortem language de", "use one of: en, fr, sk"),
        ("/postmortem language french", "use one of: en, fr, sk"),
        ("/postmortem language", "give one language"),
    ] {
        let e = invalid(line);
        assert!(e.message.contains(says), "{line}: {}", e.message);
        assert_eq!(e.usage.len(), 1, "{line}: the usage line of the form");
        assert!(e.usage[0].usage.starts_with("postmortem "), "{line}");
    }
}
