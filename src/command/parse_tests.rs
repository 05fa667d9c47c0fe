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
            severity: Some(Severity::Sev1)
        })
    );
    assert_eq!(
        cmd("/incident declare --sev=p3 DNS flaps in eu-west"),
        Command::Incident(IncidentCmd::Declare {
            title: "DNS flaps in eu-west".into(),
            severity: Some(Severity::Sev3)
        })
    );
    assert_eq!(
        cmd("/incident declare DB is down"),
        Command::Incident(IncidentCmd::Declare {
            title: "DB is down".into(),
            severity: None
        })
    );
    assert_eq!(
        cmd("/incident sev major"),
        Command::Incident(IncidentCmd::Severity(Severity::Sev2))
    );
    assert_eq!(
        cmd("/incident status identified disk full on db-2"),
        Command::Incident(IncidentCmd::Status {
            status: Status::Identified,
            note: Some("disk full on db-2".into())
        })
    );
    assert_eq!(
        cmd("/incident status monitoring"),
        Command::Incident(IncidentCmd::Status {
            status: Status::Monitoring,
            note: None
        })
    );
    assert_eq!(
        cmd("/incident role scribe @bob"),
        Command::Incident(IncidentCmd::Role {
            role: Role::Scribe,
            user: "@bob".into()
        })
    );
    assert_eq!(
        cmd("/incident lead @alice"),
        Command::Incident(IncidentCmd::Role {
            role: Role::Commander,
            user: "@alice".into()
        })
    );
    assert_eq!(
        cmd("/incident role db-expert @carol:example.org"),
        Command::Incident(IncidentCmd::Role {
            role: Role::Custom("db-expert".into()),
            user: "@carol:example.org".into()
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
        Command::Incident(IncidentCmd::Affects(vec!["api".into(), "db".into(), "etl".into()]))
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
    assert!(invalid("/incident role scribe").message.contains("role and one user"));
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
    assert_eq!(cmd("/timeline list"), Command::Timeline(TimelineCmd::List));
    assert_eq!(
        cmd("/timeline edit 3 restarted docker on db-2"),
        Command::Timeline(TimelineCmd::Edit {
            seq: 3,
            text: "restarted docker on db-2".into()
        })
    );
    assert_eq!(
        cmd("/timeline edit #3 x"),
        Command::Timeline(TimelineCmd::Edit {
            seq: 3,
            text: "x".into()
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
    assert!(invalid("/timeline edit 3").message.contains("new text"));
    assert!(invalid("/timeline delete").message.contains("which entry"));
    assert!(invalid("/timeline delete 3 old pods").message.contains("timeline add"));
    // Malformed times are refused, not stored as text at "now".
    assert!(
        invalid("/timeline 25:00 db restarted")
            .message
            .contains("`25:00` is not a valid time")
    );
    assert!(
        invalid("/timeline 2024-02-30 10:00 x")
            .message
            .contains("not a valid time")
    );
    assert!(
        invalid("/timeline 2024-13-01 restarted")
            .message
            .contains("not a valid time")
    );
    assert!(invalid("/incident resolve 24:10").message.contains("not a valid time"));
    assert!(invalid("/timeline list 20").message.contains("takes no arguments"));
    // Unknown command words are flagged as such (an alert room treats them as text).
    assert!(invalid("/backup failed").unknown_command);
    assert!(!invalid("/incident frobnicate").unknown_command);
}

#[test]
fn action_and_postmortem() {
    assert_eq!(
        cmd("/action add disk alerts @bob"),
        Command::Action {
            text: "add disk alerts".into(),
            owner: Some("@bob".into())
        }
    );
    assert_eq!(
        cmd("/action add disk alerts <@U024BE7LH>"),
        Command::Action {
            text: "add disk alerts".into(),
            owner: Some("<@U024BE7LH>".into())
        }
    );
    assert_eq!(
        cmd("/action ping @bob about it"),
        Command::Action {
            text: "ping @bob about it".into(),
            owner: None
        }
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
    assert!(
        invalid("/postmortem feelings great")
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
        ("action", "/action x"),
        ("postmortem set", "/postmortem summary x"),
        ("postmortem show", "/postmortem show"),
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
